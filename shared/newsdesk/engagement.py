"""Engagement signals (views and comment counts): the domain rules, with no AWS in them.

A request to ``POST /v1/events`` carries a batch of events (what a valid batch and a valid event
are: :mod:`newsdesk.events`, the events route's pydantic models). This module says which user
agents are crawlers, how a visitor is remembered without being stored, which hour a counter counts
in, and how the new visits that the table's stream reports collapse into the few counter updates
that are actually written (design and costs: docs/engagement.md). It imports no pydantic: the view
counter, trending and publish functions load it on their cold start.

Every function that needs the time takes it as a parameter (``now``), so tests pin the clock.
"""

from __future__ import annotations

import hashlib
import re
from collections.abc import Iterable
from dataclasses import dataclass
from datetime import UTC, datetime, timedelta

# One article's view counter of an hour is spread over this many items (a random shard per write),
# so that a viral article's writes are not limited by what a single item can absorb, and an hour's
# partition has many distinct sort keys to split on (docs/engagement.md, "Data layout, and why").
VIEW_SHARDS = 8
# Counter items outlive the trending window so that a longer window can be configured later;
# DynamoDB's TTL removes them afterwards.
COUNTER_RETENTION = timedelta(days=14)
HOUR = timedelta(hours=1)
HOUR_FORMAT = "%Y-%m-%dT%H"

# Ignored-event reasons, as reported to the caller in ``ignored_reasons``.
MALFORMED = "malformed"
CRAWLER = "crawler"
UNKNOWN_ARTICLE = "unknown_article"
NOT_PUBLISHED = "not_published"
DUPLICATE = "duplicate"

# Known crawlers, link previewers, headless browsers and monitors. Matched case-insensitively
# anywhere in the User-Agent; "bot" alone covers Googlebot, bingbot, YandexBot, AhrefsBot, ...
_CRAWLER_PATTERN = re.compile(
    r"bot|crawl|spider|slurp|headless|preview|facebookexternalhit|facebookcatalog|embedly|"
    r"outbrain|pinterest|vkshare|whatsapp|telegram|lighthouse|pingdom|uptime|scrapy|phantomjs|"
    r"mediapartners-google|feedfetcher|archive\.org",
    re.IGNORECASE,
)


# --- crawlers ----------------------------------------------------------------------------------


def is_crawler(user_agent: str | None) -> bool:
    """Known crawlers and previewers; a request without a User-Agent is no reader's browser either."""
    if not user_agent or not user_agent.strip():
        return True
    return _CRAWLER_PATTERN.search(user_agent) is not None


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
    """One counter update: add ``views`` to the article's counter of the hour."""

    article_id: str
    hour: str
    views: int
    section: str


@dataclass(frozen=True)
class CommentCount:
    """The absolute comment count of an article, as recorded in an hour bucket."""

    article_id: str
    hour: str
    count: int
    section: str


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
        increment = ViewIncrement(article_id=article_id, hour=hour, views=len(ordered), section=ordered[-1].section)
        updates.append(CounterUpdate(increment, tuple(visit.sequence_number for visit in ordered)))
    return sorted(updates, key=lambda update: (update.first_sequence_number, update.increment.article_id))
