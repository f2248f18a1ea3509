/**
 * Building the page from data, safely. Every text from a snapshot goes into the page through
 * `textContent` (via `el`), never as HTML, so a headline such as `<img onerror=…>` is shown as
 * the characters it is. The one exception, the sanitized article body, is in body.js.
 */

import { SITE_LANGUAGE, SITE_TIME_ZONE } from "./config.js";

/**
 * Create an element: `el("a", { href: url, className: "teaser" }, "text", child)`.
 * Properties are set as DOM properties (`className`, `href`, `src`, …); `attrs` sets attributes
 * (`{ attrs: { "aria-label": "…" } }`). Children are nodes or strings, and strings become text
 * nodes. `null`, `undefined`, `false` and "" children are skipped, which keeps optional parts
 * short to write. Event handlers are refused here: attach them with addEventListener.
 */
export function el(tag, props = {}, ...children) {
  const node = document.createElement(tag);
  for (const [name, value] of Object.entries(props)) {
    if (value === undefined || value === null) continue;
    if (name.startsWith("on")) throw new Error(`el(): no event handlers as properties (${name})`);
    if (name === "attrs") {
      for (const [attribute, text] of Object.entries(value)) node.setAttribute(attribute, String(text));
    } else {
      node[name] = value;
    }
  }
  append(node, children);
  return node;
}

/** Append nodes and strings (as text) to `parent`, skipping empty values and flattening arrays. */
export function append(parent, children) {
  for (const child of children.flat(Infinity)) {
    if (child === null || child === undefined || child === false || child === "") continue;
    parent.append(child instanceof Node ? child : document.createTextNode(String(child)));
  }
  return parent;
}

/** Replace everything inside `parent` with `children`. */
export function replaceContent(parent, ...children) {
  parent.replaceChildren();
  return append(parent, children);
}

/**
 * A URL from a snapshot that may become an `href` or `src`: an absolute http(s) URL, or a path
 * from the site's root ("/v1/media/…", our own renditions). Anything else (a `javascript:` URL,
 * a protocol-relative "//host") gives "" and the caller leaves the link or image out. Publish
 * already guarantees this; checking again costs nothing and keeps a copied site safe.
 */
export function safeUrl(value) {
  if (typeof value !== "string" || value === "") return "";
  if (value.startsWith("/")) {
    // A browser reads "/\host" and "/<tab>/host" as "//host" (another site): resolve it as the page would.
    try {
      return new URL(value, location.origin).origin === location.origin ? value : "";
    } catch {
      return "";
    }
  }
  try {
    const url = new URL(value);
    return url.protocol === "http:" || url.protocol === "https:" ? url.href : "";
  } catch {
    return "";
  }
}

const timeFormat = new Intl.DateTimeFormat(SITE_LANGUAGE, {
  timeZone: SITE_TIME_ZONE,
  hour: "2-digit",
  minute: "2-digit",
});
const dateFormat = new Intl.DateTimeFormat(SITE_LANGUAGE, {
  timeZone: SITE_TIME_ZONE,
  day: "numeric",
  month: "long",
});
const dateTimeFormat = new Intl.DateTimeFormat(SITE_LANGUAGE, {
  timeZone: SITE_TIME_ZONE,
  day: "numeric",
  month: "long",
  year: "numeric",
  hour: "2-digit",
  minute: "2-digit",
});
const dayFormat = new Intl.DateTimeFormat(SITE_LANGUAGE, {
  timeZone: SITE_TIME_ZONE,
  day: "numeric",
  month: "long",
  year: "numeric",
});
const dayKey = new Intl.DateTimeFormat("en-CA", { timeZone: SITE_TIME_ZONE }); // YYYY-MM-DD

/**
 * A `<time>` element for a snapshot time: "14:05" today, "29 ноября, 14:05" otherwise
 * (`full`: always with the date and year; `day`: the date alone, "29 ноября 2026 г.").
 * The machine-readable UTC value stays in `datetime`.
 */
export function timeElement(isoText, { full = false, day = false } = {}) {
  const moment = new Date(isoText);
  if (Number.isNaN(moment.getTime())) return null;
  let text;
  if (day) {
    text = dayFormat.format(moment);
  } else if (full) {
    text = dateTimeFormat.format(moment);
  } else if (dayKey.format(moment) === dayKey.format(new Date())) {
    text = timeFormat.format(moment);
  } else {
    text = `${dateFormat.format(moment)}, ${timeFormat.format(moment)}`;
  }
  return el("time", { dateTime: isoText, className: "time" }, text);
}

const numberFormat = new Intl.NumberFormat(SITE_LANGUAGE);
const pluralRules = new Intl.PluralRules(SITE_LANGUAGE);

/** "3 816" with the language's digit grouping. */
export function formatCount(count) {
  return numberFormat.format(count);
}

/**
 * The noun form for a count: `plural(5, {one: "комментарий", few: "комментария",
 * many: "комментариев"})` gives "комментариев" (Russian has three forms; Intl knows which).
 */
export function plural(count, forms) {
  return forms[pluralRules.select(count)] ?? forms.many ?? forms.other;
}
