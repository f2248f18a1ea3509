"""What turns a generated request into one that reaches the interesting code.

Purely generated requests would stop at the key check (no valid key), at 404 (no article has a
random id) and at the profile's 422 (the ninjs schema requires only ``uri``). So, with choices
drawn from hypothesis' random (reproducible from the seed), a request gets a real key or a wrong one,
the id of a stored article (ours or another partner's) and its ETag or a stale one, and a positive
document is often completed with a main headline, a body and a uri from a small pool (so that
updates, replays and version conflicts happen). Everything else stays as schemathesis made it.

``MALFORMED`` are bodies no JSON Schema generator produces: broken JSON, numbers Python cannot hold,
deep nesting, other encodings and media types, the sizes and dates of issue 8's first bug.
"""

from __future__ import annotations

import json
import random
from collections.abc import Callable
from dataclasses import dataclass, field
from typing import Any

JSON = "application/json"
URI_POOL = tuple(f"urn:newsdesk:fuzz:{n}" for n in range(12))
HEADLINES = (
    "Ростех передал заказчику партию вертолётов Ми-28НМ",
    "Saab levererar Gripen E till Brasilien",
    "<b>Bold</b> & <script>alert(1)</script> headline",
    "Rüstungsindustrie: \u202eevil\u202c Auftrag",
    "   ",
)
BODIES = (
    {"contenttype": "text/html", "value": "<p>Первый абзац.</p><p>Второй <a href='javascript:x'>абзац</a>.</p>"},
    {"contenttype": "text/plain", "value": "Line one.\n\nLine two."},
    {"contenttype": "text/html", "value": "<script>x</script><img src=x onerror=alert(1)>"},
)


@dataclass
class Stored:
    """An article the run has seen stored: its id, uri, the partner's key and its last ETag."""

    article_id: str
    uri: str
    key: str
    etag: str


@dataclass
class Keys:
    partner: str
    other_partner: str
    site: str


@dataclass
class Known:
    """Articles stored during the run, by id (updated from every 200/201 answer)."""

    articles: dict[str, Stored] = field(default_factory=dict)

    def remember(self, key: str, status: int, headers: dict[str, str], body: Any) -> None:
        if status in (200, 201) and isinstance(body, dict) and "id" in body and "uri" in body:
            etag = headers.get("etag") or headers.get("ETag") or ""
            self.articles[body["id"]] = Stored(body["id"], body["uri"], key, etag)

    def pick(self, rnd: random.Random) -> Stored | None:
        if not self.articles:
            return None
        return self.articles[rnd.choice(sorted(self.articles))]


def partner_headers(rnd: random.Random, keys: Keys) -> dict[str, str]:
    """Mostly the partner's key; sometimes another partner's, none, or something that is no key."""
    roll = rnd.random()
    if roll < 0.82:
        return {"Authorization": f"Bearer {keys.partner}"}
    if roll < 0.88:
        return {"Authorization": f"Bearer {keys.other_partner}"}
    if roll < 0.92:
        return {}
    return {"Authorization": rnd.choice(["Bearer k_nope.nope", "Basic dXNlcjpwYXNz", "Bearer ", "bearer x" * 50])}


def events_headers(rnd: random.Random, keys: Keys) -> dict[str, str]:
    """Views need no key, comment counts the site's: both, plus the wrong keys."""
    roll = rnd.random()
    if roll < 0.4:
        return {"User-Agent": rnd.choice(["Mozilla/5.0 (X11; Linux x86_64) Firefox/128.0", "curl/8.5.0"])}
    if roll < 0.75:
        return {"Authorization": f"Bearer {keys.site}"}
    if roll < 0.9:
        return {"Authorization": f"Bearer {keys.partner}"}
    return {"Authorization": "Bearer k_bogus.bogus"}


def complete_document(rnd: random.Random, body: Any, uri: str | None = None) -> Any:
    """A generated ninjs document with what Newsdesk's profile requires, keeping what was generated."""
    if not isinstance(body, dict):
        return body
    document = dict(body)
    if uri is not None:
        document["uri"] = uri
    elif rnd.random() < 0.6:
        document["uri"] = rnd.choice(URI_POOL)
    if not isinstance(document.get("headlines"), list) or not document["headlines"] or rnd.random() < 0.5:
        document["headlines"] = [{"role": "main", "value": rnd.choice(HEADLINES)}]
    if not isinstance(document.get("bodies"), list) or not document["bodies"] or rnd.random() < 0.5:
        document["bodies"] = [rnd.choice(BODIES)]
    for name in ("type", "representationtype"):
        if rnd.random() < 0.8:
            document.pop(name, None)
    if rnd.random() < 0.5:
        document["version"] = str(rnd.randint(1, 30))
    return document


def _document(**extra: Any) -> dict[str, Any]:
    return {
        "uri": "urn:newsdesk:fuzz:malformed",
        "headlines": [{"role": "main", "value": "Malformed but complete"}],
        "bodies": [{"contenttype": "text/plain", "value": "Body."}],
        **extra,
    }


def _raw(document: Any) -> bytes:
    return json.dumps(document, ensure_ascii=False).encode("utf-8")


Malformed = tuple[str, Callable[[], tuple[bytes, str]]]

# name -> (body, content type); built lazily, some are large.
MALFORMED_ARTICLES: tuple[Malformed, ...] = (
    ("truncated", lambda: (b'{"uri": "urn:x", "headlines": [', JSON)),
    ("integer of 4,400 digits", lambda: (b'{"uri": "urn:x", "version": 1' + b"0" * 4400 + b"}", JSON)),
    ("float overflow", lambda: (b'{"uri": "urn:x", "version": 1e999, "urgency": -1e999}', JSON)),
    ("NaN and Infinity", lambda: (b'{"uri": "urn:x", "urgency": NaN, "priority": Infinity}', JSON)),
    ("nested 100,000 deep", lambda: (b'{"uri": "urn:x", "x": ' + b"[" * 100_000 + b"]" * 100_000 + b"}", JSON)),
    ("not UTF-8", lambda: (b'{"uri": "urn:\xff\xfe"}', JSON)),
    ("UTF-8 BOM", lambda: (b"\xef\xbb\xbf" + _raw(_document()), JSON)),
    ("lone surrogate", lambda: (b'{"uri": "urn:\\ud800", "headlines": [{"value": "\\udfff"}]}', JSON)),
    ("NUL in strings", lambda: (_raw(_document(uri="urn:a\u0000b", language="ru\u0000")), JSON)),
    ("duplicate keys", lambda: (b'{"uri": "urn:a", "uri": "urn:b"}', JSON)),
    ("empty", lambda: (b"", JSON)),
    ("JSON null", lambda: (b"null", JSON)),
    ("JSON array", lambda: (b"[]", JSON)),
    ("JSON string", lambda: (b'"urn:x"', JSON)),
    ("text/plain", lambda: (_raw(_document()), "text/plain")),
    ("latin-1 charset", lambda: (_raw(_document()), "application/json; charset=latin-1")),
    ("form post", lambda: (b"uri=urn%3Ax", "application/x-www-form-urlencoded")),
    ("over 1 MiB", lambda: (_raw(_document(description_text="x" * (1024 * 1024 + 10))), JSON)),
    ("year 1 at +14:00", lambda: (_raw(_document(versioncreated="0001-01-01T00:00:00+14:00")), JSON)),
    ("year 9999 at -14:00", lambda: (_raw(_document(versioncreated="9999-12-31T23:59:59-14:00")), JSON)),
    ("450 KB headline", lambda: (_raw(_document(headlines=[{"role": "main", "value": "Ж" * 230_000}])), JSON)),
    ("450 KB language tag", lambda: (_raw(_document(language="a" * 450_000)), JSON)),
    ("30 unknown 20 KB names", lambda: (_raw(_document(**{f"{n}{'x' * 20_000}": n for n in range(30)})), JSON)),
    ("version 1e4400", lambda: (_raw(_document(version="1" + "0" * 4400)), JSON)),
    ("60,000 organisations", lambda: (_raw(_document(organisations=[{"name": f"O{n}"} for n in range(60_000)])), JSON)),
)

MALFORMED_EVENTS: tuple[Malformed, ...] = (
    ("truncated", lambda: (b'{"events": [{"type": "view"', JSON)),
    ("integer of 4,400 digits", lambda: (b'{"events": [{"type": "comments", "count": 1' + b"0" * 4400 + b"}]}", JSON)),
    ("huge count", lambda: (b'{"events": [{"type": "comments", "article_id": "a", "count": 1e400}]}', JSON)),
    ("NaN count", lambda: (b'{"events": [{"type": "comments", "article_id": "a", "count": NaN}]}', JSON)),
    ("nested 100,000 deep", lambda: (b'{"events": ' + b"[" * 100_000 + b"]" * 100_000 + b"}", JSON)),
    ("not UTF-8", lambda: (b'{"events": [{"type": "view", "visitor": "\xff"}]}', JSON)),
    ("lone surrogate", lambda: (b'{"events": [{"type": "view", "article_id": "a", "visitor": "\\ud800"}]}', JSON)),
    ("empty", lambda: (b"", JSON)),
    ("JSON null", lambda: (b"null", JSON)),
    ("text/plain", lambda: (b'{"events": []}', "text/plain")),
    ("51 events", lambda: (_raw({"events": [{"type": "view", "article_id": "a", "visitor": "v"}] * 51}), JSON)),
    ("over 1 MiB", lambda: (_raw({"events": [], "pad": "x" * (1024 * 1024 + 10)}), JSON)),
)
