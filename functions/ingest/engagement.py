"""What happens to a batch of engagement events, independent of HTTP.

``POST /v1/events`` (design: docs/engagement.md):

1. the envelope is checked (JSON, an array of at most 50 events) — only this can fail the request,
   besides a comment count sent without the site's key (401/403);
2. each event is validated on its own; malformed ones are ignored and counted;
3. views from crawlers, and events about articles that are unknown or not published, are ignored
   and counted;
4. a view counts once per visitor, article and hour: repeats inside the batch and visits already
   recorded (dedupe records) are ignored; new visits get a dedupe record — and that is all the
   request writes for views. The record's insert reaches the view counter function through the
   table's stream (``trending.counting``), which adds up a whole stream batch of new visits
   into one counter update per (article, hour), across requests;
5. comment counts are written at once: one absolute-count update per article.

Two requests racing for the same visit in the same milliseconds both find no dedupe record (check
and write are separate batch calls) and both write it; the second write puts an identical item,
which is not an insert, so the view is still counted once (the caller is told "accepted" twice).
A request that fails after writing some dedupe records is retried by the caller and finds those
visits recorded: they were counted from the stream, and are not counted again.
"""

from __future__ import annotations

from collections import Counter
from collections.abc import Iterable, Mapping, Sequence
from dataclasses import dataclass
from datetime import datetime
from typing import Any, Protocol

from ingest.service import parse_json
from newsdesk.articles import ArticleRecord
from newsdesk.engagement import CRAWLER, DUPLICATE, NOT_PUBLISHED, UNKNOWN_ARTICLE, CommentCount, Visit, is_crawler
from newsdesk.errors import Forbidden, ServiceUnavailable, Unauthenticated
from newsdesk.events import (
    CommentsEvent,
    ViewEvent,
    claims_comments,
    events_of,
    latest_comment_counts,
    validate_events,
    visits_of,
)
from newsdesk.models import ArticleStatus
from newsdesk.partners import Principal


class ArticleLookup(Protocol):
    def current_articles(self, article_ids: Iterable[str]) -> dict[str, ArticleRecord]: ...


class CounterWriter(Protocol):
    def seen_visits(self, visits: Sequence[Visit]) -> set[Visit]: ...

    def put_visits(self, visits: Sequence[Visit], sections: Mapping[str, str]) -> None: ...

    def set_comment_counts(self, counts: Sequence[CommentCount], now: datetime) -> None: ...


@dataclass(frozen=True)
class EventsOutcome:
    """How many events of a batch counted, and why the others did not."""

    accepted: int
    ignored_reasons: dict[str, int]

    @property
    def ignored(self) -> int:
        return sum(self.ignored_reasons.values())

    def body(self) -> dict[str, Any]:
        return {
            "accepted": self.accepted,
            "ignored": self.ignored,
            "ignored_reasons": dict(sorted(self.ignored_reasons.items())),
        }


@dataclass
class EngagementService:
    counters: CounterWriter
    articles: ArticleLookup

    def record(
        self,
        batch_raw: bytes,
        principal: Principal | None,
        user_agent: str | None,
        now: datetime,
        *,
        keys_unavailable: bool = False,
    ) -> EventsOutcome:
        """Record one request's events at ``now``; see the module docstring for the rules."""
        raw_events = events_of(parse_json(batch_raw))
        if any(claims_comments(raw_event) for raw_event in raw_events):
            authorize_comment_counts(principal, keys_unavailable=keys_unavailable)
        batch = validate_events(raw_events)
        ignored = batch.ignored
        views = batch.views
        if views and is_crawler(user_agent):
            ignored[CRAWLER] += len(views)
            views = []

        published = self._published_sections([*views, *batch.comments], ignored)
        views = [event for event in views if event.article_id in published]
        comments = [event for event in batch.comments if event.article_id in published]

        accepted_views = self._record_views(views, published, now, ignored)
        counts = latest_comment_counts(comments, now, published)
        if counts:
            self.counters.set_comment_counts(counts, now)
        return EventsOutcome(accepted=accepted_views + len(comments), ignored_reasons=dict(ignored))

    def _published_sections(self, events: Sequence[ViewEvent | CommentsEvent], ignored: Counter[str]) -> dict[str, str]:
        """Section of each published article the events name; the other events are counted as ignored."""
        if not events:
            return {}
        records = self.articles.current_articles({event.article_id for event in events})
        published = {
            article_id: record.section
            for article_id, record in records.items()
            if record.status is ArticleStatus.PUBLISHED
        }
        for event in events:
            if event.article_id not in records:
                ignored[UNKNOWN_ARTICLE] += 1
            elif event.article_id not in published:
                ignored[NOT_PUBLISHED] += 1
        return published

    def _record_views(
        self, views: Sequence[ViewEvent], sections: dict[str, str], now: datetime, ignored: Counter[str]
    ) -> int:
        if not views:
            return 0
        visits, repeats = visits_of(views, now)
        already_seen = self.counters.seen_visits(visits)
        new_visits = [visit for visit in visits if visit not in already_seen]
        duplicates = repeats + len(visits) - len(new_visits)
        if duplicates:
            ignored[DUPLICATE] += duplicates
        if new_visits:
            # Only the dedupe records: their inserts are counted from the table's stream.
            self.counters.put_visits(new_visits, sections)
        return len(new_visits)


def authorize_comment_counts(principal: Principal | None, *, keys_unavailable: bool) -> None:
    """Comment counts come only from the site's comment service, with a key of role ``site``."""
    if principal is None:
        if keys_unavailable:
            raise ServiceUnavailable("Keys cannot be checked right now; retry shortly.")
        raise Unauthenticated("Comment counts need 'Authorization: Bearer <key>' with the site's key.")
    if principal.role != "site":
        raise Forbidden("Only the site's key (role site) may send comment counts.")
