/**
 * The sidebar blocks from v1/trending.json: "Обсуждаемое" (recently discussed stories: time,
 * headline, comment count, newest discussion first), "Самое читаемое" (most_read) and
 * "Самое обсуждаемое" (most_discussed). Every block is left out when its list is absent or empty,
 * so the sidebar works with older files too.
 */

import { SIDEBAR_ENTRIES } from "./config.js";
import { el, formatCount, plural, timeElement } from "./dom.js";
import { articleLink } from "./snapshots.js";

const VIEWS = { one: "просмотр", few: "просмотра", many: "просмотров", other: "просмотра" };
const COMMENTS = { one: "комментарий", few: "комментария", many: "комментариев", other: "комментария" };

/** The blocks for `trending` (the parsed file, or null), optionally for one section. */
export function trendingBlocks(trending, { section = null } = {}) {
  if (!trending) return [];
  const lists = section ? (trending.sections?.[section] ?? {}) : trending;
  return [
    // The recent-discussion list exists only for the whole site.
    !section && block("Обсуждаемое", "recently-discussed", trending.recently_discussed, COMMENTS),
    block("Самое читаемое", "most-read", lists.most_read, VIEWS),
    block("Самое обсуждаемое", "most-discussed", lists.most_discussed, COMMENTS),
  ].filter(Boolean);
}

function block(title, name, entries, countForms) {
  if (!Array.isArray(entries) || entries.length === 0) return null;
  const id = `sidebar-${name}`;
  return el(
    "section",
    { className: `sidebar-block sidebar-block--${name}`, attrs: { "aria-labelledby": id } },
    el("h2", { className: "sidebar-block__title", id }, title),
    el(
      "ol",
      { className: "sidebar-list" },
      entries.slice(0, SIDEBAR_ENTRIES).map((entry) => line(entry, countForms)),
    ),
  );
}

/** One line: time, headline, count ("12" with the noun for screen readers and tooltips). */
function line(entry, countForms) {
  const href = articleLink(entry);
  const count = Number.isInteger(entry.count) ? entry.count : 0;
  const label = `${formatCount(count)} ${plural(count, countForms)}`;
  return el(
    "li",
    { className: "sidebar-entry" },
    timeElement(entry.published_at),
    href ? el("a", { href, className: "sidebar-entry__headline" }, entry.headline) : el("span", {}, entry.headline),
    el("span", { className: "sidebar-entry__count", title: label, attrs: { "aria-label": label } }, formatCount(count)),
  );
}
