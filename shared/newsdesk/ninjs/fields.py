"""Reading values out of a document whose shape may still be wrong anywhere, and cleaning them.

Every accessor checks types and answers "nothing" (``None``, ``""``, ``[]``) for a value of the
wrong kind: the schema check reports those, the normalizer must not crash on them.
"""

from __future__ import annotations

import math
import re
import unicodedata
from datetime import UTC, datetime
from urllib.parse import urlsplit

from newsdesk.sanitize import plain_text

JSONObject = dict[str, object]

LEAD_MAX_CHARS = 400
MAX_DIMENSION = 100_000
# Longer URLs are not used (browsers and CDNs refuse them well before this); the lead image's is stored on the record.
MAX_URL_CHARS = 2048
# Schemes that make a browser run or inline something instead of following a link.
DANGEROUS_SCHEMES = frozenset({"javascript", "vbscript", "data", "file", "blob"})

_DATE_TIME = re.compile(r"\d{4}-\d{2}-\d{2}[Tt ]\d{2}:\d{2}(?::\d{2}(?:\.\d+)?)?(?:[Zz]|[+-]\d{2}:?\d{2})?")
_URI_SCHEME = re.compile(r"([A-Za-z][A-Za-z0-9+.\-]*):")
_NOT_IN_URIS = re.compile(r"[\s<>\"'`\\{}|^]")
# Unicode general category Cc is exactly U+0000-001F and U+007F-009F (Unicode keeps it so): a
# search instead of a per-character loop.
_CONTROL_CHARACTER = re.compile("[\x00-\x1f\x7f-\x9f]")
# Characters that make a URL display as something else (bidi controls and marks) or hide in it.
_INVISIBLE_IN_URL = re.compile("[\u061c\u180e\u200b-\u200f\u202a-\u202e\u2060-\u2069\ufeff\U000e0000-\U000e007f]")


def text_of(container: object, key: str) -> str | None:
    """``container[key]`` when the container is an object and the value a string, else None."""
    if isinstance(container, dict):
        value = container.get(key)
        if isinstance(value, str):
            return value
    return None


def plain_of(container: object, key: str) -> str:
    value = text_of(container, key)
    return plain_text(value) if value is not None else ""


def role_of(container: object) -> str:
    return (text_of(container, "role") or "").strip().lower()


def objects_in(container: object, key: str) -> list[tuple[int, JSONObject]]:
    """The (index, object) entries of the array ``container[key]``; anything else is skipped."""
    if not isinstance(container, dict):
        return []
    items = container.get(key)
    if not isinstance(items, list):
        return []
    return [(index, item) for index, item in enumerate(items) if isinstance(item, dict)]


def media_type(value: str | None) -> str:
    return (value or "").split(";", 1)[0].strip().lower()


def parse_date_time(value: str) -> datetime | None:
    """An RFC 3339 date-time in UTC (a missing offset taken as UTC), or None."""
    if not _DATE_TIME.fullmatch(value.strip()):
        return None
    try:
        parsed = datetime.fromisoformat(value.strip().upper())
        if parsed.tzinfo is None:
            parsed = parsed.replace(tzinfo=UTC)
        # An offset can carry a time at either end of the calendar out of range in UTC.
        return parsed.astimezone(UTC)
    except (ValueError, OverflowError):
        return None


def http_url(value: str | None) -> str:
    """The value when it is an absolute http(s) URL safe to put in a page, else ``""``."""
    if value is None:
        return ""
    candidate = unicodedata.normalize("NFC", value.strip())
    if not candidate or len(candidate) > MAX_URL_CHARS:
        return ""
    if _NOT_IN_URIS.search(candidate) or _CONTROL_CHARACTER.search(candidate) or _INVISIBLE_IN_URL.search(candidate):
        return ""
    try:
        parts = urlsplit(candidate)
    except ValueError:
        return ""
    if parts.scheme.lower() not in ("http", "https") or not parts.hostname:
        return ""
    return candidate


def identifier(value: str | None) -> str:
    """A concept id (``medtop:20000001``, ``http://…``, ``urn:…``) unless it is not one or could run code."""
    if value is None:
        return ""
    candidate = plain_text(value)
    if not candidate or _NOT_IN_URIS.search(candidate):
        return ""
    scheme = _URI_SCHEME.match(candidate)
    if scheme and scheme.group(1).lower() in DANGEROUS_SCHEMES:
        return ""
    return candidate


def dimension(value: object) -> int | None:
    if isinstance(value, bool) or not isinstance(value, int | float):
        return None
    if not math.isfinite(value) or not 0 < value <= MAX_DIMENSION:
        return None
    return round(value)


def shorten(text: str, limit: int = LEAD_MAX_CHARS) -> str:
    """At most ``limit`` characters, cut at a word boundary with an ellipsis when it had to be cut."""
    if len(text) <= limit:
        return text
    cut = text[: limit - 1]
    boundary = cut.rfind(" ")
    if boundary >= limit // 2:
        cut = cut[:boundary]
    return cut.rstrip(" ,;:-–—") + "…"


def unique(values: list[str]) -> list[str]:
    return list(dict.fromkeys(value for value in values if value))
