"""Reading values out of a document whose shape may still be wrong anywhere, and cleaning them.

Every accessor checks types and answers "nothing" (``None``, ``""``, ``[]``) for a value of the
wrong kind: the schema check reports those, the normalizer must not crash on them.
"""

from __future__ import annotations

import json
import math
import re
import unicodedata
from datetime import UTC, datetime

from newsdesk.sanitize import MAX_LINK_BYTES, is_published_link, plain_text
from newsdesk.text import clip

JSONObject = dict[str, object]

LEAD_MAX_CHARS = 400
MAX_DIMENSION = 100_000
# Longer URLs are not used (newsdesk.sanitize.MAX_LINK_BYTES: the same rule as links in the body).
MAX_URL_BYTES = MAX_LINK_BYTES
MAX_URL_CHARS = MAX_URL_BYTES  # the same number for an ASCII URL (the name older tests use)
# A concept id (QCode, urn:, http URI) is published as text, never as a link (docs/snapshots.md).
MAX_IDENTIFIER_CHARS = 200
# Never an alias of a QCode: schemes a browser or the OS acts on ("javascript:x"), and http(s), which
# must be a whole URL with a host ("https:evil.example" is neither).
NOT_QCODE_ALIASES = frozenset(
    {"http", "https", "javascript", "vbscript", "data", "file", "blob", "about", "jar", "intent", "chrome"}
)

_DATE_TIME = re.compile(r"\d{4}-\d{2}-\d{2}[Tt ]\d{2}:\d{2}(?::\d{2}(?:\.\d+)?)?(?:[Zz]|[+-]\d{2}:?\d{2})?")
# The identifiers published (an allowlist of shapes): an IPTC QCode "alias:code" (medtop:20000763),
# whose alias is letters and digits and whose code has no "/" (so no "//host"), and a URN (RFC 8141).
_QCODE = re.compile(r"([A-Za-z][A-Za-z0-9]{0,31}):[A-Za-z0-9][A-Za-z0-9._~\-]*")
_URN = re.compile(r"urn:[A-Za-z0-9][A-Za-z0-9\-]{0,31}:[A-Za-z0-9()+,\-.:=@;$_!*%/~&]+", re.IGNORECASE)


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
    """The value when it is a link we publish: an absolute http(s) URL with a host and no credentials
    (``https://bank.example@evil.example`` shows one host and goes to another), else ``""``."""
    if value is None:
        return ""
    candidate = unicodedata.normalize("NFC", value.strip())
    return candidate if is_published_link(candidate) else ""


def identifier(value: str | None) -> str:
    """A concept id we publish as text: an http(s) URI (as :func:`http_url`), a URN or a QCode, at
    most MAX_IDENTIFIER_CHARS; anything else (``//host/x``, ``/relative``, ``ms-msdt:x``,
    ``intent://…``, ``view-source:…``) is ``""``. An allowlist: the shapes are what IPTC and partners
    use, and none of them is something a browser or the OS acts on."""
    if value is None:
        return ""
    candidate = plain_text(value)
    if not candidate or len(candidate) > MAX_IDENTIFIER_CHARS or not candidate.isascii():
        return ""
    if _URN.fullmatch(candidate):
        return candidate
    qcode = _QCODE.fullmatch(candidate)
    if qcode:
        return candidate if qcode.group(1).lower() not in NOT_QCODE_ALIASES else ""
    return http_url(candidate)


def json_text_bytes(text: str) -> int:
    """The bytes of ``text`` as a JSON string in a snapshot file (UTF-8, non-ASCII as is, quotes included)."""
    return len(json.dumps(text, ensure_ascii=False).encode("utf-8"))


def dimension(value: object) -> int | None:
    if isinstance(value, bool) or not isinstance(value, int | float):
        return None
    if not math.isfinite(value) or not 0 < value <= MAX_DIMENSION:
        return None
    return round(value)


def shorten(text: str, limit: int = LEAD_MAX_CHARS) -> str:
    """At most ``limit`` characters (a lead, by default), cut at a word boundary when it had to be."""
    return clip(text, limit)


def unique(values: list[str]) -> list[str]:
    return list(dict.fromkeys(value for value in values if value))
