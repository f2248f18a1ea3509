/**
 * The section navigation, built from v1/sections.json: every configured section, in the site's
 * order, with its title in the site's language. The same file gives every other module the
 * title of a section slug (teasers and lists carry only the slug).
 */

import { SITE_LANGUAGE } from "./config.js";
import { append, el } from "./dom.js";
import { getOptionalSnapshot, isSegment, links, paths } from "./snapshots.js";

/** slug → title, in the file's order; empty when the file is missing. */
export async function loadSectionTitles() {
  const file = await getOptionalSnapshot(paths.sections());
  const titles = new Map();
  for (const section of file?.sections ?? []) {
    if (!isSegment(section.slug)) continue;
    const names = section.titles ?? {};
    titles.set(section.slug, names[SITE_LANGUAGE] ?? Object.values(names)[0] ?? section.slug);
  }
  return titles;
}

/** Fill `<nav>` with one link per section; `current` (a slug) is marked for assistive tech. */
export function renderSectionsNav(nav, titles, current = null) {
  const list = el("ul", { className: "sections-nav" });
  list.append(navItem(links.latest(), "Все новости", current === ""));
  for (const [slug, title] of titles) list.append(navItem(links.section(slug), title, slug === current));
  append(nav, [list]);
}

function navItem(href, text, isCurrent) {
  const link = el("a", { href }, text);
  if (isCurrent) link.setAttribute("aria-current", "page");
  return el("li", {}, link);
}
