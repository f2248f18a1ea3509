"""Engagement signals (views and comment counts): the domain rules, with no AWS in them.

A request to ``POST /v1/events`` carries a batch of events. This module says what a valid batch
and a valid event are, which user agents are crawlers, how a visitor is remembered without being
stored, which hour a counter counts in, and how the new visits that the table's stream reports
collapse into the few counter updates that are actually written (design and costs:
docs/engagement.md).

Every function that needs the time takes it as a parameter (``now``), so tests pin the clock.
"""

from __future__ import annotations

import hashlib
import re
from collections import Counter
from collections.abc import Iterable, Sequence
from dataclasses import dataclass, field
from datetime import UTC, datetime, timedelta
from typing import Annotated, Any, Literal

from pydantic import BaseModel, ConfigDict, Field, StrictInt, TypeAdapter, ValidationError

from newsdesk.errors import FieldError, ValidationFailed

MAX_EVENTS_PER_BATCH = 50
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

_ARTICLE_ID = r"^[a-z0-9][a-z0-9-]{0,79}$"

# Known crawlers, link previewers, headless browsers and monitors. Matched case-insensitively
# anywhere in the User-Agent; "bot" alone covers Googlebot, bingbot, YandexBot, AhrefsBot, ...
_CRAWLER_PATTERN = re.compile(
    r"bot|crawl|spider|slurp|headless|preview|facebookexternalhit|facebookcatalog|embedly|"
    r"outbrain|pinterest|vkshare|whatsapp|telegram|lighthouse|pingdom|uptime|scrapy|phantomjs|"
    r"mediapartners-google|feedfetcher|archive\.org",
    re.IGNORECASE,
)


# --- events ------------------------------------------------------------------------------------


class _Event(BaseModel):
    # Unknown fields are ignored so that the site can add fields before Newsdesk reads them.
    model_config = ConfigDict(frozen=True, extra="ignore")

    article_id: str = Field(pattern=_ARTICLE_ID)


class ViewEvent(_Event):
    """A reader's browser showed an article. ``visitor`` is an opaque id the site keeps per reader."""

    type: Literal["view"]
    visitor: str = Field(min_length=1, max_length=256)


class CommentsEvent(_Event):
    """The comment service's current, absolute comment count of an article (a resend is harmless)."""

    type: Literal["comments"]
    count: StrictInt = Field(ge=0, le=1_000_000_000)


EngagementEvent = Annotated[ViewEvent | CommentsEvent, Field(discriminator="type")]
_EVENT_ADAPTER: TypeAdapter[ViewEvent | CommentsEvent] = TypeAdapter(EngagementEvent)


@dataclass
class EventBatch:
    """The valid events of a batch, and how many of the others were ignored, by reason."""

    views: list[ViewEvent] = field(default_factory=list)
    comments: list[CommentsEvent] = field(default_factory=list)
    ignored: Counter[str] = field(default_factory=Counter)


def events_of(document: object) -> list[Any]:
    """The raw events of a request body: ``{"events": [...]}`` or a bare JSON array.

    Only the envelope can fail the whole request (422 with a JSON pointer); each event inside a
    valid envelope is judged on its own by :func:`validate_events`.
    """
    if isinstance(document, list):
        events, pointer = document, ""
    elif isinstance(document, dict):
        if "events" not in document:
            raise ValidationFailed(
                'Send {"events": [...]} or a JSON array of events.',
                [FieldError(pointer="/events", message="required")],
            )
        events, pointer = document["events"], "/events"
        if not isinstance(events, list):
            raise ValidationFailed(
                "events must be a JSON array.", [FieldError(pointer=pointer, message="must be an array")]
            )
    else:
        raise ValidationFailed(
            "The body must be a JSON object with an events array, or an array of events.",
            [FieldError(pointer="", message="must be an object or an array")],
        )
    if len(events) > MAX_EVENTS_PER_BATCH:
        raise ValidationFailed(
            f"A batch holds at most {MAX_EVENTS_PER_BATCH} events; this one has {len(events)}.",
            [FieldError(pointer=pointer, message=f"at most {MAX_EVENTS_PER_BATCH} items")],
        )
    return events


def claims_comments(raw_event: object) -> bool:
    """Whether an event asks to set a comment count (which needs the site's key), valid or not."""
    return isinstance(raw_event, dict) and raw_event.get("type") == "comments"


def validate_events(raw_events: Iterable[object]) -> EventBatch:
    """Split raw events into valid views and comment counts; anything else is counted as malformed."""
    batch = EventBatch()
    for raw_event in raw_events:
        try:
            event = _EVENT_ADAPTER.validate_python(raw_event)
        except ValidationError:
            batch.ignored[MALFORMED] += 1
            continue
        if isinstance(event, ViewEvent):
            batch.views.append(event)
        else:
            batch.comments.append(event)
    return batch


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


def visits_of(views: Sequence[ViewEvent], now: datetime) -> tuple[list[Visit], int]:
    """The distinct visits of a batch at ``now``, in first-seen order, and how many were repeats."""
    hour = hour_bucket(now)
    seen: dict[Visit, None] = {}
    for event in views:
        seen.setdefault(Visit(event.article_id, hour, visit_hash(event.visitor, event.article_id, hour)))
    return list(seen), len(views) - len(seen)


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


def latest_comment_counts(
    events: Sequence[CommentsEvent], now: datetime, sections: dict[str, str]
) -> list[CommentCount]:
    """One absolute count per article: the last one in the batch wins, as it would on a resend."""
    latest = {event.article_id: event.count for event in events}
    hour = hour_bucket(now)
    return [
        CommentCount(article_id=article_id, hour=hour, count=count, section=sections.get(article_id, ""))
        for article_id, count in sorted(latest.items())
    ]
