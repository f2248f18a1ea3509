"""The limits of a partner's ninjs document, checked in one walk before anything is written
(docs/api.md, "Limits"; issue 8, 'What broke' 1).

They bound what one request can make Newsdesk store and publish: the article's CURRENT and
revision items stay far under DynamoDB's 400 KB, and every snapshot file has the maximum size of
``newsdesk.snapshots.limits``. They are generous for real news: a document over one is refused
with a 422 naming the field, never shortened in silence (the few values shortened for display are
listed in docs/api.md too).

String limits are in characters and apply to a field wherever its name occurs: ``name`` is the
name of an organisation, a person, a rendition..., and a string inside an array (``keywords``)
counts as a field of the array's name. ninjs 3.x spells names in camelCase: they are compared in
lower case.
"""

from __future__ import annotations

# Deeper than any ninjs document (five levels at most); Python's own parsers stop near 1,000.
MAX_NESTING = 40
MAX_FIELD_NAME_CHARS = 100
MAX_OBJECT_FIELDS = 100
MAX_ARRAY_ITEMS = 100
# Integers that every JSON reader holds exactly (JavaScript's Number.MAX_SAFE_INTEGER).
MAX_INTEGER = 2**53 - 1
# Any string field not named below (slugline, ednote, located, a role, an unknown field's value...).
DEFAULT_STRING_CHARS = 2_000
STRING_CHARS: dict[str, int] = {
    # headlines and descriptions; the main headline has its own 1,000 once markup is removed
    "value": 10_000,
    "uri": 1_024,
    # a longer URL is not published (2,048 bytes, newsdesk.ninjs.fields.MAX_URL_BYTES), this only bounds the request
    "href": 8_192,
    "linkedrights": 8_192,
    "name": 200,
    "by": 300,
    "copyrightholder": 300,
    "copyrightnotice": 1_000,
    "usageterms": 2_000,
    "keywords": 200,
}
# bodies[].value is bounded by the request (1 MiB) and, once sanitized, by this: the size of
# body_html as JSON text in the article file (UTF-8, quotes and escapes included).
BODY_FIELD = ("bodies", "value")
MAX_BODY_HTML_JSON_BYTES = 512 * 1024


def string_limit(container_name: str, field_name: str) -> int | None:
    """The limit of a string field in characters (None: the body, bounded as HTML once sanitized)."""
    if (container_name, field_name) == BODY_FIELD:
        return None
    return STRING_CHARS.get(field_name, DEFAULT_STRING_CHARS)


# How much of a document an article page shows (the same numbers as newsdesk.snapshots.limits, which
# publish imports without this package; a test holds them equal): more is kept in the archive and
# reported in the response's warnings (newsdesk.ninjs.agency).
SHOWN_MENTIONS_PER_GROUP = 50  # organisations, people, places, objects, subjects
SHOWN_EVENTS = 20
SHOWN_GENRES = 10
SHOWN_ALTIDS = 10
SHOWN_ALTID_CHARS = 200
SHOWN_SOURCES = 20
