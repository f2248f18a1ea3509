/** Lists of stories (teasers): the front page, section and outlet pages. */

import { el, safeUrl, timeElement } from "./dom.js";
import { links } from "./snapshots.js";

/**
 * One teaser: picture (if the list gives one), section, time, headline linked to the article,
 * lead. `sectionTitles` maps slugs to titles (sections.js).
 */
export function teaser(item, sectionTitles) {
  const href = links.article(item.id);
  const image = safeUrl(item.image_url);
  const section = sectionTitles.get(item.section);
  return el(
    "article",
    { className: image ? "teaser teaser--with-image" : "teaser" },
    image &&
      el(
        "a",
        { href, className: "teaser__image", tabIndex: -1, attrs: { "aria-hidden": "true" } },
        // The teaser's picture is decoration beside a headline that says the same: alt is empty.
        el("img", { src: image, alt: "", loading: "lazy", decoding: "async", width: 640, height: 427 }),
      ),
    el(
      "div",
      { className: "teaser__text" },
      el(
        "p",
        { className: "teaser__meta" },
        section && el("a", { href: links.section(item.section), className: "teaser__section" }, section),
        timeElement(item.published_at),
        item.outlet?.name && el("span", { className: "teaser__outlet" }, item.outlet.name),
      ),
      el("h2", { className: "teaser__headline" }, el("a", { href, lang: item.language || null }, item.headline)),
      item.lead && el("p", { className: "teaser__lead", lang: item.language || null }, item.lead),
    ),
  );
}

/** A list of teasers, or a short note when the list is empty. */
export function teaserList(items, sectionTitles, emptyText = "Здесь пока нет материалов.") {
  if (!items.length) return el("p", { className: "empty" }, emptyText);
  return el(
    "div",
    { className: "teasers" },
    items.map((item) => teaser(item, sectionTitles)),
  );
}
