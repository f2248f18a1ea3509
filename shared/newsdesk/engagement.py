"""Engagement signals (views and comment counts): the domain rules, with no AWS in them.

A request to ``POST /v1/events`` carries a batch of events (what a valid batch and a valid event
are: :mod:`newsdesk.events`, the events route's pydantic models). This module says which user
agents are not readers, how a visitor and a client are remembered without being stored, how many
views one client may add to an article in an hour, which hour a counter counts in, and how the new
visits that the table's stream reports collapse into the few counter updates that are actually
written (design and costs: docs/engagement.md). It imports no pydantic, and loads the crawler list
only when a User-Agent is first judged: the view counter, trending and publish functions load this
module on their cold start and never judge one.

Every function that needs the time takes it as a parameter (``now``), so tests pin the clock.
"""

from __future__ import annotations

import hashlib
import hmac
import ipaddress
import re
import zlib
from collections.abc import Iterable
from dataclasses import dataclass, replace
from datetime import UTC, datetime, timedelta
from functools import cache, lru_cache

# One article's view counter of an hour is spread over this many items (a random shard per write),
# so that a viral article's writes are not limited by what a single item can absorb, and an hour's
# partition has many distinct sort keys to split on (docs/engagement.md, "Data layout, and why").
VIEW_SHARDS = 8
# Counter items outlive the trending window so that a longer window can be configured later;
# DynamoDB's TTL removes them afterwards.
COUNTER_RETENTION = timedelta(days=14)
HOUR = timedelta(hours=1)
HOUR_FORMAT = "%Y-%m-%dT%H"
# New visits one client (an IPv4 address or an IPv6 /64) may add to one article in one UTC hour,
# whatever visitor ids it sends. At least 50: readers behind one office or mobile network share an
# address (setting ``VIEWS_PER_CLIENT_HOUR``; docs/engagement.md, "One client, one bound").
DEFAULT_VIEWS_PER_CLIENT_HOUR = 60

# Ignored-event reasons, as reported to the caller in ``ignored_reasons``.
MALFORMED = "malformed"
CRAWLER = "crawler"
UNKNOWN_ARTICLE = "unknown_article"
NOT_PUBLISHED = "not_published"
DUPLICATE = "duplicate"
RATE_LIMITED = "rate_limited"


# --- crawlers ----------------------------------------------------------------------------------

# Longer than any browser's User-Agent; judged without matching, and never cached.
MAX_USER_AGENT = 1000
# A reader's browser names its product and, in parentheses, its platform: "Mozilla/5.0 (iPhone; ...".
# Tools and HTTP libraries (curl, Wget, python-requests, Go-http-client, okhttp, Java, Dalvik, ...)
# do not, and neither does a bare "Mozilla/5.0". "Opera/" still starts Opera Mini's. Only the start
# of the comment is checked: platforms may nest parentheses ("moto g power (2022)").
_BROWSER_SHAPE = re.compile(r"^(?:Mozilla|Opera)/\d+(?:\.\d+)* \(\s*[A-Za-z]")
# Beside the list: a bot that is not listed yet still names itself ("SomeNewBot/0.1") or its info
# page; browsers never put a URL in their User-Agent. Case-sensitive, so that a phone called
# "CUBOT X30" stays a phone.
_UNLISTED_BOT = re.compile(r"(?:[Bb]ot|[Cc]rawler|[Ss]pider|FeedFetcher)\b|https?://|\+http")


@cache
def _listed_crawlers() -> re.Pattern[str]:
    """The maintained list (the ``crawler-user-agents`` package: 1,500 patterns of crawlers, link
    previewers, monitors, headless browsers and HTTP tools) as one regular expression.

    Loaded at the first User-Agent judged, not at import: reading and compiling it takes about 20 ms,
    which only the events route pays, once per process. The patterns are written case-sensitively,
    as the package matches them.
    """
    from crawleruseragents import CRAWLER_USER_AGENTS_DATA

    return re.compile("|".join(f"(?:{entry['pattern']})" for entry in CRAWLER_USER_AGENTS_DATA))


def is_crawler(user_agent: str | None) -> bool:
    """Whether a request's User-Agent is not a reader's browser: no User-Agent, a tool or HTTP
    library, a listed crawler or previewer, or a bot that names itself."""
    if not user_agent or not user_agent.strip() or len(user_agent) > MAX_USER_AGENT:
        return True
    return _judged(user_agent)


@lru_cache(maxsize=4096)
def _judged(user_agent: str) -> bool:
    # Cached: readers share a few hundred User-Agent strings, and a miss of the list costs ~0.3 ms.
    if _BROWSER_SHAPE.match(user_agent) is None:
        return True
    return _UNLISTED_BOT.search(user_agent) is not None or _listed_crawlers().search(user_agent) is not None


# --- clients -----------------------------------------------------------------------------------

UNKNOWN_CLIENT = "unknown"


def client_network(address: str | None) -> str:
    """Who a client is for the bound: its IPv4 address, or its IPv6 /64.

    One host usually holds a whole IPv6 /64 and can use any address in it; counting by address would
    let it rotate through 2**64 of them. An IPv4 address mapped into IPv6 is that IPv4 address. A
    request without a readable address counts as one client, "unknown" (API Gateway always gives one).
    """
    try:
        parsed = ipaddress.ip_address((address or "").strip())
    except ValueError:
        return UNKNOWN_CLIENT
    if isinstance(parsed, ipaddress.IPv6Address):
        if parsed.ipv4_mapped is not None:
            return str(parsed.ipv4_mapped)
        return str(ipaddress.IPv6Network((parsed, 64), strict=False))
    return str(parsed)


def client_hash(key: bytes, address: str | None, article_id: str, hour: str) -> str:
    """What is stored of a client: HMAC-SHA256 under a secret key of its network, article and hour.

    Keyed, because there are only 2**32 IPv4 addresses: a plain hash would be reversed by trying
    them all. Scoped to article and hour like the visit hash, so a client's records cannot be linked
    across articles or hours even by someone who holds the key.
    """
    message = f"{hour}\n{article_id}\n{client_network(address)}".encode()
    return hmac.new(key, message, hashlib.sha256).hexdigest()[:32]


def admitted_visits(before: int, requested: int, bound: int) -> int:
    """How many of ``requested`` new visits a client may still add when it has added ``before``."""
    return max(0, min(requested, bound - before))


# --- time buckets ------------------------------------------------------------------------------


def _utc(moment: datetime) -> datetime:
    return moment.replace(tzinfo=UTC) if moment.tzinfo is None else moment.astimezone(UTC)


def hour_bucket(moment: datetime) -> str:
    """The UTC hour a moment falls in, e.g. ``2026-11-25T08``; sorts in time order as text."""
    return _utc(moment).strftime(HOUR_FORMAT)


def hour_start(bucket: str) -> datetime:
    return datetime.strptime(bucket, HOUR_FORMAT).replace(tzinfo=UTC)


def window_buckets(now: datetime, hours: int) -> list[str]:
    """The hour buckets of the active window ending at ``now``, newest (the current hour) first."""
    current = hour_start(hour_bucket(now))
    return [hour_bucket(current - index * HOUR) for index in range(max(hours, 1))]


def visit_hash(visitor: str, article_id: str, hour: str) -> str:
    """What is stored of a visitor: a hash that only answers "already counted this hour?".

    The hour and the article are part of the input, so the same reader's records cannot be linked
    across articles or hours, and the opaque site id itself is never written.
    """
    return hashlib.sha256(f"{hour}\n{article_id}\n{visitor}".encode()).hexdigest()[:32]


def seen_expiration(hour: str) -> int:
    """Epoch seconds when a dedupe record may go: an hour after its hour has ended."""
    return int((hour_start(hour) + 2 * HOUR).timestamp())


def counter_expiration(hour: str) -> int:
    return int((hour_start(hour) + HOUR + COUNTER_RETENTION).timestamp())


# --- aggregation -------------------------------------------------------------------------------


@dataclass(frozen=True, order=True)
class Visit:
    """One counted view: this visitor (hashed) saw this article in this hour."""

    article_id: str
    hour: str
    visitor_hash: str


@dataclass(frozen=True)
class ViewIncrement:
    """One counter update: add ``views`` to the article's counter of the hour.

    ``sequence_numbers`` are the stream records the views come from (one each): the counter keeps
    the highest it has counted, so a batch delivered again counts none of them twice.
    """

    article_id: str
    hour: str
    views: int
    section: str
    sequence_numbers: tuple[str, ...] = ()

    def after(self, counted_to: str) -> ViewIncrement:
        """The part of this increment the counter has not counted yet (records past ``counted_to``)."""
        remaining = tuple(number for number in self.sequence_numbers if sequence_key(number) > counted_to)
        return replace(self, views=len(remaining), sequence_numbers=remaining)


def sequence_key(sequence_number: str) -> str:
    """A stream sequence number as text that sorts as the number does (they run to 40 digits,
    beyond what a DynamoDB number holds exactly)."""
    return sequence_number.rjust(40, "0")


def view_shard(article_id: str) -> int:
    """The counter shard of an article's views. Stable, so that one item holds what the stream
    counted for the article and hour and a delivered-again record is recognised there; a stream
    shard delivers an article's records one batch at a time, so one item absorbs them."""
    return zlib.crc32(article_id.encode("utf-8")) % VIEW_SHARDS


@dataclass(frozen=True)
class CommentCount:
    """The absolute comment count of an article, as recorded in an hour bucket.

    ``last_comment_at`` is when the article's count last went up (a new comment), whichever hour
    that was in; None when it never did, or for a bucket written before it was recorded.
    """

    article_id: str
    hour: str
    count: int
    section: str
    last_comment_at: datetime | None = None


def is_new_comment(before: int | None, count: int) -> bool:
    """Whether a reported count means someone commented: it went up (a first report counts from 0).

    A lower count is a deletion, the same count a resend: neither makes a story "discussed" now.
    """
    return count > (before or 0)


@dataclass(frozen=True)
class ViewCount:
    """What one counter item holds: views of an article in an hour (one shard's share)."""

    article_id: str
    hour: str
    views: int
    section: str


@dataclass(frozen=True)
class NewVisit:
    """A dedupe record the table's stream reports as inserted: one view to count.

    ``sequence_number`` is the stream record's, so that a failed counter update can be reported
    back to the stream as the point to resume from.
    """

    article_id: str
    hour: str
    section: str
    sequence_number: str


@dataclass(frozen=True)
class CounterUpdate:
    """One counter update for a stream batch, and the stream records it accounts for."""

    increment: ViewIncrement
    sequence_numbers: tuple[str, ...]

    @property
    def first_sequence_number(self) -> int:
        return min(int(number) for number in self.sequence_numbers)


def counter_updates(visits: Iterable[NewVisit]) -> list[CounterUpdate]:
    """One update per distinct (article, hour) of a stream batch, however many visits it holds.

    A record delivered twice within the batch (same sequence number) counts once. The section is
    the one of the latest record (an article moved to another section mid-hour counts there). The
    updates come in stream order of their first record, so that a failure can be reported as the
    earliest record not yet counted.
    """
    groups: dict[tuple[str, str], dict[str, NewVisit]] = {}
    for visit in visits:
        groups.setdefault((visit.article_id, visit.hour), {})[visit.sequence_number] = visit
    updates: list[CounterUpdate] = []
    for (article_id, hour), by_sequence in groups.items():
        ordered = sorted(by_sequence.values(), key=lambda visit: int(visit.sequence_number))
        increment = ViewIncrement(
            article_id=article_id,
            hour=hour,
            views=len(ordered),
            section=ordered[-1].section,
            sequence_numbers=tuple(visit.sequence_number for visit in ordered),
        )
        updates.append(CounterUpdate(increment, tuple(visit.sequence_number for visit in ordered)))
    return sorted(updates, key=lambda update: (update.first_sequence_number, update.increment.article_id))
