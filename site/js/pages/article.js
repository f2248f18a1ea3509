/**
 * The article page (`article.html?id=…`): v1/articles/{id}.json, which holds either the article
 * or, once it is retracted or withheld, a small tombstone; its views and comments come from
 * v1/counts/{id}.json, a small file rewritten when a number changes, so the article's own file
 * stays cached.
 */

import { sanitizedBody } from "../body.js";
import { el, formatCount, plural, replaceContent, safeUrl, timeElement } from "../dom.js";
import { figure } from "../media.js";
import { setTitle, showLoadError, showMessage, startPage, startSidebar } from "../page.js";
import { getOptionalSnapshot, getSnapshot, isSegment, links, paths, SnapshotMissing } from "../snapshots.js";
import { countView } from "../views.js";

const VIEWS = { one: "просмотр", few: "просмотра", many: "просмотров", other: "просмотра" };
const COMMENTS = { one: "комментарий", few: "комментария", many: "комментариев", other: "комментария" };

/** Mention groups in the order the page lists them; groups a snapshot does not have are skipped. */
const MENTION_GROUPS = [
  ["companies", "Компании"],
  ["people", "Персоны"],
  ["projects", "Проекты"],
  ["places", "Места"],
  ["events", "События"],
  ["subjects", "Темы"],
];

/** Why an article is no longer there, in the reader's words. */
const TOMBSTONE_TEXT = {
  canceled: "Материал отозван правообладателем.",
  deleted: "Материал удалён правообладателем.",
  expired: "Срок, на который правообладатель разрешил размещение материала, истёк.",
  operator: "Материал снят с публикации редакцией.",
  withheld: "Материал временно недоступен.",
  embargoed: "Материал ещё не опубликован.",
};

async function main() {
  const id = new URLSearchParams(location.search).get("id");
  const content = document.getElementById("content");
  startSidebar();
  startPage();
  if (!isSegment(id)) {
    notFound(content);
    return;
  }
  try {
    const snapshot = await getSnapshot(paths.article(id));
    if (snapshot.kind === "tombstone") {
      tombstone(content, snapshot);
      return;
    }
    renderArticle(content, snapshot);
    showCounts(id);
    countView(id);
  } catch (error) {
    if (error instanceof SnapshotMissing) notFound(content);
    else showLoadError(content, error);
  }
}

function notFound(content) {
  setTitle("Материал не найден");
  showMessage(content, "Материал не найден", "Возможно, ссылка неверна или материал ещё не опубликован.");
}

/** A retracted or withheld story: say so, keep nothing of its text. */
function tombstone(content, snapshot) {
  setTitle("Материал снят с публикации");
  noIndex();
  // Own keys only: a reason such as "constructor" would otherwise name Object's own function.
  const known = [snapshot.reason, snapshot.status].find(
    (key) => typeof key === "string" && Object.hasOwn(TOMBSTONE_TEXT, key),
  );
  const reason = known ? TOMBSTONE_TEXT[known] : "";
  showMessage(content, "Материал снят с публикации", reason);
  content.classList.add("tombstone");
}

function renderArticle(content, article) {
  setTitle(article.headline);
  const lang = article.language || null;
  const body = el("div", { className: "article__body", lang });
  body.append(sanitizedBody(article.body_html));
  replaceContent(
    content,
    el(
      "article",
      { className: "article", lang },
      el(
        "header",
        { className: "article__header" },
        article.section?.slug &&
          isSegment(article.section.slug) &&
          el(
            "p",
            { className: "article__section" },
            el("a", { href: links.section(article.section.slug) }, article.section.title || article.section.slug),
          ),
        el("h1", { className: "article__headline" }, article.headline),
        article.subheadline && el("p", { className: "article__subheadline" }, article.subheadline),
        meta(article),
      ),
      figure(article.lead_image, { className: "figure figure--lead", eager: true }),
      article.located && el("p", { className: "article__dateline" }, article.located),
      body,
      article.ednote &&
        el("aside", { className: "article__ednote" }, el("strong", {}, "Примечание редакции. "), article.ednote),
      rights(article.rights),
      mentions(article),
    ),
  );
  content.setAttribute("aria-busy", "false");
}

/** Time, byline, source outlet with a link to the original, and the counters (filled later). */
function meta(article) {
  const updated = article.updated_at && article.updated_at !== article.published_at;
  const original = safeUrl(article.source_url);
  const outlet = article.outlet ?? {};
  return el(
    "div",
    { className: "article__meta" },
    el(
      "p",
      { className: "article__times" },
      timeElement(article.published_at, { full: true }),
      updated &&
        el("span", { className: "article__updated" }, " · обновлено ", timeElement(article.updated_at, { full: true })),
    ),
    article.byline && el("p", { className: "article__byline" }, "Автор: ", el("span", {}, article.byline)),
    outlet.name &&
      el(
        "p",
        { className: "article__source" },
        "Источник: ",
        isSegment(outlet.id)
          ? el("a", { href: links.outlet(outlet.id), className: "article__outlet" }, outlet.name)
          : outlet.name,
        original && " · ",
        original &&
          el("a", { href: original, className: "article__original", rel: "noopener noreferrer" }, "оригинал материала"),
      ),
    el(
      "p",
      { className: "article__counters", id: "counters", hidden: true },
      el("span", { className: "counter counter--views", id: "views" }),
      el("span", { className: "counter counter--comments", id: "comments" }),
    ),
  );
}

/** "Права на данный материал принадлежат …", the usage terms and the notice, if it says more. */
function rights(rightsInfo) {
  if (!rightsInfo) return null;
  const statement = rightsInfo.holder ? `Права на данный материал принадлежат ${rightsInfo.holder}` : "";
  // A partner's notice often is that very sentence; it is shown only when it adds something.
  const notice = rightsInfo.notice && !sameText(rightsInfo.notice, statement) ? rightsInfo.notice : "";
  const infoUrl = safeUrl(rightsInfo.info_url);
  if (!statement && !notice && !rightsInfo.usage_terms) return null;
  return el(
    "footer",
    { className: "article__rights" },
    statement && el("p", { className: "rights__statement" }, statement),
    rightsInfo.usage_terms && el("p", { className: "rights__terms" }, rightsInfo.usage_terms),
    notice && el("p", { className: "rights__notice" }, notice),
    infoUrl && el("p", {}, el("a", { href: infoUrl, rel: "noopener noreferrer" }, "Условия использования")),
  );
}

function sameText(a, b) {
  const normal = (text) =>
    text
      .replace(/[\s.«»"]+/gu, " ")
      .trim()
      .toLowerCase();
  return normal(a) === normal(b);
}

/** Companies, people, projects… mentioned; names only (a mention's uri is an identifier, never a link). */
function mentions(article) {
  const groups = { ...(article.mentions ?? {}) };
  for (const extra of ["events", "subjects"])
    if (!groups[extra] && Array.isArray(article[extra])) groups[extra] = article[extra];
  const rows = MENTION_GROUPS.filter(([key]) => Array.isArray(groups[key]) && groups[key].length).map(
    ([key, title]) => [
      el("dt", {}, title),
      el(
        "dd",
        {},
        el(
          "ul",
          { className: `mentions__list mentions__list--${key}` },
          groups[key].map((mention) => el("li", {}, mention.name)),
        ),
      ),
    ],
  );
  if (!rows.length) return null;
  return el(
    "section",
    { className: "article__mentions", attrs: { "aria-labelledby": "mentions-title" } },
    el("h2", { id: "mentions-title" }, "Упоминаются в материале"),
    el("dl", { className: "mentions" }, rows),
  );
}

/**
 * Views (all time) and comments: v1/counts/{id}.json; where it is not published yet, the
 * trending window's v1/counters.json; a story nobody has counted yet has 0 of both.
 */
async function showCounts(id) {
  try {
    let counts = await getOptionalSnapshot(paths.counts(id));
    if (!counts) counts = (await getOptionalSnapshot(paths.counters()))?.articles?.[id] ?? null;
    const views = Number.isInteger(counts?.views) ? counts.views : 0;
    const comments = Number.isInteger(counts?.comments) ? counts.comments : 0;
    counter("views", views, VIEWS);
    counter("comments", comments, COMMENTS);
    document.getElementById("counters").hidden = false;
  } catch (error) {
    console.warn("counts could not be read", error); // the page is complete without them
  }
}

function counter(name, count, forms) {
  const node = document.getElementById(name);
  const label = `${formatCount(count)} ${plural(count, forms)}`;
  replaceContent(
    node,
    el("span", { className: "counter__value" }, formatCount(count)),
    " ",
    el("span", { className: "counter__label" }, plural(count, forms)),
  );
  node.title = label;
}

function noIndex() {
  document.head.append(el("meta", { name: "robots", content: "noindex" }));
}

main();
