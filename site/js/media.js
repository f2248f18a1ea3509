/**
 * Pictures from an ImageSnapshot: `<picture>` with a WebP `<source>` and a JPEG `<img srcset>`
 * built from the renditions Newsdesk publishes under /v1/media/, so the browser picks the size
 * and format it needs; the caption and "Источник: …" credit go in a `<figcaption>`.
 *
 * Older snapshots have no `status` and no `renditions`, only `url`: then the picture is a plain
 * `<img src>`. A picture that is not ready yet (status "pending" or "failed") is left out.
 */

import { BODY_IMAGE_SIZES } from "./body.js";
import { el, safeUrl } from "./dom.js";

/** A `<figure>` for the image, or null when there is nothing to show. */
export function figure(image, { className = "figure", eager = false } = {}) {
  const picture = pictureElement(image, eager);
  if (!picture) return null;
  const credit = creditText(image.credit);
  return el(
    "figure",
    { className },
    picture,
    (image.caption || credit) &&
      el(
        "figcaption",
        { className: "figure__caption" },
        image.caption && el("span", { className: "figure__caption-text" }, image.caption),
        credit && el("span", { className: "figure__credit" }, credit),
      ),
  );
}

function pictureElement(image, eager) {
  if (!image || (image.status && image.status !== "ready")) return null;
  const renditions = (Array.isArray(image.renditions) ? image.renditions : []).filter(
    (rendition) => safeUrl(rendition.url) && Number.isInteger(rendition.width),
  );
  const jpeg = srcset(renditions.filter((rendition) => rendition.type === "image/jpeg"));
  const webp = srcset(renditions.filter((rendition) => rendition.type === "image/webp"));
  const src = safeUrl(image.url) || jpeg.fallback;
  if (!src) return null;
  const img = el("img", {
    src,
    // Alt text that only repeats the caption below would be read twice by a screen reader.
    alt: image.alt && image.alt !== image.caption ? image.alt : "",
    decoding: "async",
    loading: eager ? "eager" : "lazy",
  });
  // The original's size gives the box its aspect ratio before the picture arrives (no jump).
  if (Number.isInteger(image.width) && Number.isInteger(image.height)) {
    img.width = image.width;
    img.height = image.height;
  }
  if (jpeg.value) {
    img.srcset = jpeg.value;
    img.sizes = BODY_IMAGE_SIZES;
  }
  if (!webp.value) return img;
  return el("picture", {}, el("source", { type: "image/webp", srcset: webp.value, sizes: BODY_IMAGE_SIZES }), img);
}

/** "url 320w, url 640w, …" from renditions of one type, and the largest one's URL. */
function srcset(renditions) {
  const sorted = [...renditions].sort((a, b) => a.width - b.width);
  return {
    value: sorted.map((rendition) => `${safeUrl(rendition.url)} ${rendition.width}w`).join(", "),
    fallback: sorted.length ? safeUrl(sorted[sorted.length - 1].url) : "",
  };
}

/**
 * "Источник: …". Partners sometimes write the word themselves ("Источник: пресс-служба …");
 * it is not repeated.
 */
export function creditText(credit) {
  const text = String(credit ?? "")
    .trim()
    .replace(/^источник\s*:\s*/iu, "");
  return text ? `Источник: ${text}` : "";
}
