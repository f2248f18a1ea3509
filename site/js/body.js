/**
 * The article body: the only HTML from the snapshots that the site renders as markup.
 *
 * Why this is acceptable: `body_html` is the one field the snapshot contract defines as HTML,
 * and ingest sanitizes it with an allowlist (nh3, i.e. ammonia: no script, style, event handler
 * attributes or `javascript:` URLs; docs/snapshots.md, "Text rules"). Every other field is plain
 * text and goes in with textContent (dom.js).
 *
 * How: DOMParser parses the string into a separate, inert document (its scripts never run, its
 * images never load, nothing is attached to this page), and the parsed nodes are then imported.
 * Before import, a short pass removes what the allowlist never lets through anyway: a second line
 * of defence that costs microseconds, so a copy of this site stays safe even if it is pointed at
 * files that did not come through Newsdesk's publish.
 */

import { safeUrl } from "./dom.js";

/** Elements that never belong in an article body (their content goes too). */
const DROPPED = [
  "script, style, iframe, frame, object, embed, form, input, button, textarea, select",
  "link, meta, base, svg, math, template, noscript, title",
].join(", ");
/**
 * The elements and attributes publish writes (shared/newsdesk/sanitize.py ALLOWED_TAGS, plus the
 * pictures of snapshots/images.py). Any other element is unwrapped (its text stays) and any other
 * attribute removed: an `id` or `name` would shadow the page's own (`<img name="getElementById">`
 * replaces document.getElementById), `class` would borrow the site's styles, `ping` reports a click.
 */
const KEPT_TAGS = new Set([
  ...["p", "br", "strong", "b", "em", "i", "u", "s", "sub", "sup", "blockquote", "q", "cite", "ul", "ol", "li"],
  ...["h2", "h3", "h4", "a", "figure", "figcaption", "table", "thead", "tbody", "tr", "th", "td", "code", "pre"],
  ...["hr", "img"],
]);
const KEPT_ATTRIBUTES = {
  "*": new Set(["lang", "title"]),
  a: new Set(["href", "title", "rel"]),
  img: new Set(["src", "srcset", "width", "height", "alt", "loading"]),
};

/** Parse `html` and return a DocumentFragment of the body's nodes, ready to append. */
export function sanitizedBody(html) {
  const parsed = new DOMParser().parseFromString(String(html ?? ""), "text/html");
  for (const node of parsed.body.querySelectorAll(DROPPED)) node.remove();
  for (const node of [...parsed.body.querySelectorAll("*")]) {
    if (!KEPT_TAGS.has(node.localName)) {
      node.replaceWith(...node.childNodes);
      continue;
    }
    const kept = KEPT_ATTRIBUTES[node.localName] ?? KEPT_ATTRIBUTES["*"];
    for (const { name, value } of [...node.attributes]) {
      const lower = name.toLowerCase();
      if (!kept.has(lower) && !KEPT_ATTRIBUTES["*"].has(lower)) node.removeAttribute(name);
      else if (lower === "src" && !safeUrl(value)) node.removeAttribute(name);
      else if (lower === "href" && !(safeUrl(value) || value.startsWith("mailto:"))) node.removeAttribute(name);
      else if (lower === "srcset" && !safeSrcset(value)) node.removeAttribute(name);
    }
    if (node.localName === "img") {
      if (!node.hasAttribute("src")) {
        node.remove();
        continue;
      }
      // Pictures inside the text load when they come into view; the first screen is the lead image.
      node.setAttribute("loading", "lazy");
      node.setAttribute("decoding", "async");
      // A srcset from the snapshot (our renditions) is fine; a `sizes` is ours to give: the column's width.
      if (node.hasAttribute("srcset")) node.setAttribute("sizes", BODY_IMAGE_SIZES);
    }
    if (node.localName === "a" && node.hasAttribute("href")) {
      // Links to other sites must not get a handle on this page (window.opener).
      node.setAttribute("rel", "noopener noreferrer");
    }
  }
  const fragment = document.createDocumentFragment();
  for (const node of [...parsed.body.childNodes]) fragment.append(document.importNode(node, true));
  return fragment;
}

/** True when every candidate of a srcset ("url 640w, url 1024w") is a URL safeUrl accepts. */
function safeSrcset(value) {
  const candidates = value.split(",").map((candidate) => candidate.trim().split(/\s+/)[0]);
  return candidates.length > 0 && candidates.every((url) => safeUrl(url) !== "");
}

/** The article column is at most 720 CSS pixels wide (css/site.css, --column). */
export const BODY_IMAGE_SIZES = "(min-width: 780px) 720px, calc(100vw - 2rem)";
