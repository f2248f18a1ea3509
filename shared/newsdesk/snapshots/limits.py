"""How large each published file can be, and the field limits that make it so (docs/snapshots.md,
"Maximum sizes"; issue 8, 'What broke' 8).

Ingest refuses documents over the limits of ``newsdesk.ninjs.limits``; publish clips again here
what it copies into a file, so that a file's size is bounded by these numbers whatever is stored
(a record written before a limit existed, a text that Unicode normalization made longer).
Text limits are in characters; a character is at most 4 bytes of UTF-8, and the plain text of a
snapshot has no character JSON writes longer than that (control characters are removed at ingest).
The file maxima assume the defaults of ``newsdesk.settings`` (50 entries per list, 10 per trending
list) and the sections of ``config/sections.json``; tests/unit/test_file_sizes.py renders the
worst case of every file and checks it against them.
"""

from __future__ import annotations

from newsdesk.text import clip as clip  # publish cuts snapshot fields with it

# --- What one article page carries -------------------------------------------------------------
HEADLINE_CHARS = 1_000  # headline and subheadline
LEAD_CHARS = 400
BYLINE_CHARS = 300
NAME_CHARS = 200  # a mention, a source, the outlet
IDENTIFIER_CHARS = 200  # a mention's concept id (ASCII)
CAPTION_CHARS = 1_000
CREDIT_CHARS = 300
MIMETYPE_CHARS = 100
RIGHTS_HOLDER_CHARS = 300
RIGHTS_NOTICE_CHARS = 1_000
USAGE_TERMS_CHARS = 2_000
LANGUAGE_CHARS = 35
URL_BYTES = 2_048  # an image or rights URL (longer ones are not published)
BODY_HTML_JSON_BYTES = 512 * 1024  # body_html as JSON text, quotes included
MENTIONS_PER_GROUP = 50  # companies, people, places, projects: the first 50 of each
SOURCES_PER_ARTICLE = 20
# Agency fields (issue 9; newsdesk.ninjs.limits has the same numbers, to warn at ingest):
LOCATED_CHARS = 200  # the dateline place
EVENTS_PER_ARTICLE = 20  # events, each a mention (name 200, uri 200)
GENRES_PER_ARTICLE = 10
ALTIDS_PER_ARTICLE = 10
ALTID_CHARS = 200  # an alternative id's value (a longer one is left out, never cut); its role is a name

# --- What a list or trending entry carries ------------------------------------------------------
SUMMARY_HEADLINE_CHARS = 200  # list entries and trending entries (the page has the whole headline)
SECTION_TITLE_CHARS = 200  # a section's title in v1/sections.json (slugs are path segments, 80 at most)
# counters.json lists at most this many articles (the most active; "truncated" says so). The
# TRENDING item stores trending.json and counters.json together, under DynamoDB's 400 KB.
COUNTED_ARTICLES = 2_000

# --- Maximum size of each published file, in bytes ----------------------------------------------
MAX_ARTICLE_BYTES = 1024 * 1024  # raised from 800 KiB for the agency fields (issue 9)
MAX_TOMBSTONE_BYTES = 1_024
MAX_LIST_BYTES = 300 * 1024  # latest.json, sections/{slug}.json, outlets/{id}.json with 50 entries
MAX_TRENDING_BYTES = 200 * 1024
MAX_COUNTERS_BYTES = 150 * 1024
MAX_SCHEMA_BYTES = 16 * 1024
MAX_COUNTS_BYTES = 512  # v1/counts/{id}.json: an id, two counts and a time (217 bytes at most)
MAX_SECTIONS_BYTES = 16 * 1024  # v1/sections.json with the eight sections of config/sections.json
# Day pages (v1/latest/{date}.json, ...; docs/snapshots.md "Paging"): a day with more stories is split into
# numbered parts of this many, so a day page is no larger than a head list (plus its two links).
DAY_PAGE_LENGTH = 50
MAX_DAY_PAGE_BYTES = 300 * 1024
# Feeds (RSS 2.0 and Atom of latest and each section, list_length entries) and the news sitemap.
SITE_URL_BYTES = 200  # settings.site_url beyond this is not used (links become site-root paths)
SITE_NAME_CHARS = 200
SITEMAP_ENTRIES = 1_000  # Google's limit for a news sitemap
SITEMAP_WINDOW_HOURS = 48  # Google news reads the stories of the last two days
MAX_FEED_BYTES = 300 * 1024
MAX_SITEMAP_BYTES = 4 * 1024 * 1024  # Google reads up to 50 MB
# The manifest lists every list file (one per outlet) and schema: it grows with the outlets.
MANIFEST_BASE_BYTES = 1_024
MANIFEST_ENTRY_BYTES = 200


def max_manifest_bytes(files: int) -> int:
    """The manifest's maximum size when it lists ``files`` files (lists, trending, counters, schemas)."""
    return MANIFEST_BASE_BYTES + MANIFEST_ENTRY_BYTES * files


def bounded_url(url: str) -> str:
    """The URL if it fits its limit, else ``""`` (a cut URL would point elsewhere)."""
    return url if len(url.encode("utf-8")) <= URL_BYTES else ""
