"""Where each snapshot lives in the bucket, and the Cache-Control header of each kind of file."""

from __future__ import annotations

import re

PREFIX = "v1/"
LATEST_PATH = "v1/latest.json"
MANIFEST_PATH = "v1/manifest.json"
TRENDING_PATH = "v1/trending.json"
COUNTERS_PATH = "v1/counters.json"
SECTIONS_PATH = "v1/sections.json"
CONTENT_TYPE = "application/json; charset=utf-8"
# Feeds and the news sitemap (docs/snapshots.md, "Feeds"); the latest list's feeds are feeds/latest.*,
# a section's feeds/sections/{slug}.*.
FEEDS_PREFIX = "v1/feeds/"
SITEMAP_PATH = "v1/sitemap-news.xml"
_CONTENT_TYPES = {
    ".xml": "application/rss+xml; charset=utf-8",
    ".atom": "application/atom+xml; charset=utf-8",
}
SITEMAP_CONTENT_TYPE = "application/xml; charset=utf-8"

# What a frontend may cache, per kind of file. Articles change rarely once out; lists change with
# every new story; the manifest is the entry point and must always be revalidated; schemas change
# only with a new deploy.
ARTICLE_CACHE_CONTROL = "public, max-age=300, stale-while-revalidate=600"
LIST_CACHE_CONTROL = "public, max-age=60, stale-while-revalidate=60"
MANIFEST_CACHE_CONTROL = "no-cache"
SCHEMA_CACHE_CONTROL = "public, max-age=86400"
# An article's views and comments (v1/counts/{id}.json): rewritten at most once a publish timer
# run when they change, so a minute is as fresh as they get.
COUNTS_CACHE_CONTROL = "public, max-age=60"

# Path segments come from article ids, partner ids and section slugs; anything else is refused
# rather than written to an unexpected key.
_SEGMENT = re.compile(r"[a-z0-9][a-z0-9-]{0,79}")


def _segment(value: str) -> str:
    if not _SEGMENT.fullmatch(value):
        raise ValueError(f"not a safe snapshot path segment: {value!r}")
    return value


def article_path(article_id: str) -> str:
    return f"{PREFIX}articles/{_segment(article_id)}.json"


def section_path(slug: str) -> str:
    return f"{PREFIX}sections/{_segment(slug)}.json"


def outlet_path(partner_id: str) -> str:
    return f"{PREFIX}outlets/{_segment(partner_id)}.json"


def counts_path(article_id: str) -> str:
    return f"{PREFIX}counts/{_segment(article_id)}.json"


def is_counts_path(path: str) -> bool:
    return path.startswith(f"{PREFIX}counts/")


def schema_path(kind: str) -> str:
    return f"{PREFIX}schemas/{kind}.json"


# A day page of a list: v1/latest/2026-11-30.json (the day's entry page: its newest stories) and, for a
# day larger than a page, its older parts v1/latest/2026-11-30.1.json, .2.json, ... (docs/snapshots.md,
# "Paging").
_DAY = re.compile(r"\d{4}-\d{2}-\d{2}")
_DAY_PAGE = re.compile(
    r"(v1/(?:latest|sections/[a-z0-9][a-z0-9-]{0,79}|outlets/[a-z0-9][a-z0-9-]{0,79}))/\d{4}-\d{2}-\d{2}(?:\.[1-9][0-9]{0,5})?\.json"
)


def day_page_path(list_path: str, day: str, part: int | None = None) -> str:
    """The day page of the list at ``list_path`` for ``day`` (YYYY-MM-DD): its entry page, or a numbered part."""
    if not _DAY.fullmatch(day) or (part is not None and part < 1):
        raise ValueError(f"not a day page: {day!r} part {part!r}")
    suffix = "" if part is None else f".{part}"
    return f"{list_path.removesuffix('.json')}/{day}{suffix}.json"


def day_pages_folder(path: str) -> str | None:
    """The folder of a day page ("v1/latest", "v1/sections/news"), or None when ``path`` is no day page."""
    match = _DAY_PAGE.fullmatch(path)
    return match.group(1) if match else None


def feed_paths(list_path: str) -> tuple[str, str]:
    """The RSS 2.0 and Atom feeds of the latest list or a section list."""
    name = list_path.removeprefix(PREFIX).removesuffix(".json")
    return f"{FEEDS_PREFIX}{name}.xml", f"{FEEDS_PREFIX}{name}.atom"


def content_type_for(path: str) -> str:
    """The Content-Type of a published file: JSON, or the XML of a feed or the sitemap."""
    if path == SITEMAP_PATH:
        return SITEMAP_CONTENT_TYPE
    if path.startswith(FEEDS_PREFIX):
        return _CONTENT_TYPES.get(path[path.rfind(".") :], SITEMAP_CONTENT_TYPE)
    return CONTENT_TYPE


def is_article_path(path: str) -> bool:
    return path.startswith(f"{PREFIX}articles/")


def cache_control_for(path: str) -> str:
    """The Cache-Control header of a snapshot file, by its kind."""
    if path == MANIFEST_PATH:
        return MANIFEST_CACHE_CONTROL
    if path.startswith(f"{PREFIX}schemas/"):
        return SCHEMA_CACHE_CONTROL
    if is_article_path(path):
        return ARTICLE_CACHE_CONTROL
    if is_counts_path(path):
        return COUNTS_CACHE_CONTROL
    return LIST_CACHE_CONTROL
