"""The request body of ``POST /v1/events``: the batch envelope, the events, and what they count as.

Only the events route (``ingest.engagement``) imports this module: its event models are pydantic
models, and the functions that count views and rank articles (``trending``, ``publish``, the
data-access layer) must not pay pydantic's import on their cold start. The rules the events feed
(crawlers, hour buckets, visitor hashes, counter aggregation) are in :mod:`newsdesk.engagement`.
"""

from __future__ import annotations

from collections import Counter
from collections.abc import Iterable, Sequence
from dataclasses import dataclass, field
from datetime import datetime
from typing import Annotated, Any, Literal

from pydantic import BaseModel, ConfigDict, Field, StrictInt, TypeAdapter, ValidationError

from newsdesk.engagement import MALFORMED, CommentCount, Visit, hour_bucket, visit_hash
from newsdesk.errors import FieldError, ValidationFailed

MAX_EVENTS_PER_BATCH = 50

_ARTICLE_ID = r"^[a-z0-9][a-z0-9-]{0,79}$"


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


def visits_of(views: Sequence[ViewEvent], now: datetime) -> tuple[list[Visit], int]:
    """The distinct visits of a batch at ``now``, in first-seen order, and how many were repeats."""
    hour = hour_bucket(now)
    seen: dict[Visit, None] = {}
    for event in views:
        seen.setdefault(Visit(event.article_id, hour, visit_hash(event.visitor, event.article_id, hour)))
    return list(seen), len(views) - len(seen)


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
