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

# --- What a list or trending entry carries ------------------------------------------------------
SUMMARY_HEADLINE_CHARS = 200  # list entries and trending entries (the page has the whole headline)
SECTION_TITLE_CHARS = 200  # a section's title in v1/sections.json (slugs are path segments, 80 at most)
# counters.json lists at most this many articles (the most active; "truncated" says so). The
# TRENDING item stores trending.json and counters.json together, under DynamoDB's 400 KB.
COUNTED_ARTICLES = 2_000

# --- Maximum size of each published file, in bytes ----------------------------------------------
MAX_ARTICLE_BYTES = 800 * 1024
MAX_TOMBSTONE_BYTES = 1_024
MAX_LIST_BYTES = 300 * 1024  # latest.json, sections/{slug}.json, outlets/{id}.json with 50 entries
MAX_TRENDING_BYTES = 200 * 1024
MAX_COUNTERS_BYTES = 150 * 1024
MAX_SCHEMA_BYTES = 16 * 1024
MAX_SECTIONS_BYTES = 16 * 1024  # v1/sections.json with the eight sections of config/sections.json
# The manifest lists every list file (one per outlet) and schema: it grows with the outlets.
MANIFEST_BASE_BYTES = 1_024
MANIFEST_ENTRY_BYTES = 200


def max_manifest_bytes(files: int) -> int:
    """The manifest's maximum size when it lists ``files`` files (lists, trending, counters, schemas)."""
    return MANIFEST_BASE_BYTES + MANIFEST_ENTRY_BYTES * files


def bounded_url(url: str) -> str:
    """The URL if it fits its limit, else ``""`` (a cut URL would point elsewhere)."""
    return url if len(url.encode("utf-8")) <= URL_BYTES else ""
