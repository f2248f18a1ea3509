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

# What a frontend may cache, per kind of file. Articles change rarely once out; lists change with
# every new story; the manifest is the entry point and must always be revalidated; schemas change
# only with a new deploy.
ARTICLE_CACHE_CONTROL = "public, max-age=300, stale-while-revalidate=600"
LIST_CACHE_CONTROL = "public, max-age=60, stale-while-revalidate=60"
MANIFEST_CACHE_CONTROL = "no-cache"
SCHEMA_CACHE_CONTROL = "public, max-age=86400"

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


def schema_path(kind: str) -> str:
    return f"{PREFIX}schemas/{kind}.json"


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
    return LIST_CACHE_CONTROL
