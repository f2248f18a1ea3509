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
const DROPPED =
  "script, style, iframe, frame, object, embed, form, input, button, textarea, select, link, meta, base, svg, math, template";
/** Attributes holding a URL, checked like every other link of the site. */
const URL_ATTRIBUTES = new Set(["href", "src", "cite", "action", "formaction", "poster"]);

/** Parse `html` and return a DocumentFragment of the body's nodes, ready to append. */
export function sanitizedBody(html) {
  const parsed = new DOMParser().parseFromString(String(html ?? ""), "text/html");
  for (const node of parsed.body.querySelectorAll(DROPPED)) node.remove();
  for (const node of parsed.body.querySelectorAll("*")) {
    for (const { name, value } of [...node.attributes]) {
      const lower = name.toLowerCase();
      const isUnsafeUrl =
        URL_ATTRIBUTES.has(lower) && !(safeUrl(value) || (lower === "href" && value.startsWith("mailto:")));
      if (lower.startsWith("on") || lower === "style" || lower === "srcdoc" || isUnsafeUrl) node.removeAttribute(name);
    }
    if (node.localName === "img") {
      // Pictures inside the text load when they come into view; the first screen is the lead image.
      node.setAttribute("loading", "lazy");
      node.setAttribute("decoding", "async");
      // A srcset from the snapshot (our renditions) is fine; a `sizes` is ours to give: the column's width.
      if (node.hasAttribute("srcset") && !node.hasAttribute("sizes")) node.setAttribute("sizes", BODY_IMAGE_SIZES);
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

/** The article column is at most 720 CSS pixels wide (css/site.css, --column). */
export const BODY_IMAGE_SIZES = "(min-width: 780px) 720px, calc(100vw - 2rem)";
