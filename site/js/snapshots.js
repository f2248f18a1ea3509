/**
 * Reading the snapshots: the only data source of the site. The publish function writes them
 * under /v1/ and the CDN serves them beside the pages (docs/snapshots.md), so every request
 * is a same-origin GET of a static JSON file that browsers and the CDN cache by its
 * Cache-Control header.
 */

import { SNAPSHOTS_ROOT } from "./config.js";

/** Ids and slugs are path segments of this shape (shared/newsdesk/snapshots/paths.py). */
const SEGMENT = /^[a-z0-9][a-z0-9-]{0,79}$/;

/** A day page or head list linked by `older`/`newer`: "/v1/…/2026-11-29.json" and the like. */
const LIST_PAGE = /^\/v1\/(?:latest|sections\/[a-z0-9-]+|outlets\/[a-z0-9-]+)(?:\/[a-z0-9-]+)*\.json$/;

export class SnapshotMissing extends Error {
  constructor(path) {
    super(`no snapshot at ${path}`);
    this.path = path;
  }
}

/** True when `value` may name an article, section or outlet in a snapshot path. */
export function isSegment(value) {
  return typeof value === "string" && SEGMENT.test(value);
}

/** True when `value` is a list page path a paging link may lead to. */
export function isListPage(value) {
  return typeof value === "string" && LIST_PAGE.test(value) && !value.includes("..");
}

/**
 * GET a snapshot as JSON. `path` is "v1/…", "/v1/…" (both spellings appear in the files) or
 * relative to /v1/. Throws SnapshotMissing on 404 (e.g. an article that never existed), and
 * Error on anything else.
 */
export async function getSnapshot(path) {
  const url = path.startsWith("/v1/") ? path : path.startsWith("v1/") ? `/${path}` : SNAPSHOTS_ROOT + path;
  const response = await fetch(url, { headers: { Accept: "application/json" } });
  if (response.status === 404) throw new SnapshotMissing(url);
  if (!response.ok) throw new Error(`${url}: HTTP ${response.status}`);
  return response.json();
}

/** The same, but `null` when the file is not there (optional files: counts, trending). */
export async function getOptionalSnapshot(path) {
  try {
    return await getSnapshot(path);
  } catch (error) {
    if (error instanceof SnapshotMissing) return null;
    throw error;
  }
}

export const paths = {
  latest: () => "latest.json",
  sections: () => "sections.json",
  section: (slug) => `sections/${slug}.json`,
  outlet: (id) => `outlets/${id}.json`,
  article: (id) => `articles/${id}.json`,
  counts: (id) => `counts/${id}.json`,
  counters: () => "counters.json",
  trending: () => "trending.json",
};

/** The page that shows an article, and a list page. */
export const links = {
  article: (id) => `article.html?id=${encodeURIComponent(id)}`,
  section: (slug) => `section.html?slug=${encodeURIComponent(slug)}`,
  outlet: (id) => `section.html?outlet=${encodeURIComponent(id)}`,
  latest: () => "section.html",
  /** A list page reached by paging: the same page with the snapshot path as `page`. */
  listPage: (current, page) => {
    const query = new URLSearchParams(current);
    query.set("page", page);
    return `section.html?${query}`;
  },
};

/** The article id of a trending entry or teaser ("/v1/articles/{id}.json" or its `id`). */
export function articleLink(entry) {
  return isSegment(entry.id) ? links.article(entry.id) : null;
}
