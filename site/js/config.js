/**
 * Site-wide settings of the reference reader site. Everything here is a plain constant:
 * the site has no build step, so a copy of these files is configured by editing this one.
 */

/** The language the site shows; section titles are picked from `titles[SITE_LANGUAGE]`. */
export const SITE_LANGUAGE = "ru";

/**
 * Times in the snapshots are UTC ("2026-11-25T08:00:00Z"). A Russian news site shows Moscow time
 * to every reader, wherever the reader is, so the same story has the same time for everyone.
 */
export const SITE_TIME_ZONE = "Europe/Moscow";

/** Where the snapshots are, from the site's root: the CDN serves them beside the pages. */
export const SNAPSHOTS_ROOT = "/v1/";

/** Teasers shown on the front page before "Все новости". */
export const FRONT_PAGE_TEASERS = 20;

/** Entries of each trending block in the sidebar. */
export const SIDEBAR_ENTRIES = 8;
