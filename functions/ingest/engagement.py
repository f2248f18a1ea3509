"""What happens to a batch of engagement events, independent of HTTP.

``POST /v1/events`` (design: docs/engagement.md):

1. the envelope is checked (JSON, an array of at most 50 events) — only this can fail the request,
   besides a comment count sent without the site's key (401/403);
2. each event is validated on its own; malformed ones are ignored and counted;
3. views from crawlers and tools, and events about articles that are unknown or not published,
   are ignored and counted;
4. a view counts once per visitor, article and hour: repeats inside the batch and visits already
   recorded (dedupe records) are ignored;
5. one client (source address, or IPv6 /64, kept only as a keyed hash) adds at most
   ``views_per_client`` new visits per article and hour, whatever visitor ids it sends: one
   conditional count update per article of the request admits what is left of the bound, and the
   other new visits are ignored as ``rate_limited``;
6. admitted visits get a dedupe record — and that is all the request writes for views besides the
   client counts. The record's insert reaches the view counter function through the table's stream
   (``trending.counting``), which adds up a whole stream batch of new visits into one counter
   update per (article, hour), across requests;
7. comment counts are written at once: one absolute-count update per article.

Two requests racing for the same visit in the same milliseconds both find no dedupe record (check
and write are separate batch calls) and both write it; the second write puts an identical item,
which is not an insert, so the view is still counted once (the caller is told "accepted" twice).
A request that fails after writing some dedupe records is retried by the caller and finds those
visits recorded: they were counted from the stream, and are not counted again. A request that fails
between its client count and its dedupe records has used up part of that client's bound for visits
that were not recorded; the retry counts them against the bound again (the client loses, never the
rankings).
"""

from __future__ import annotations

import secrets
from collections import Counter
from collections.abc import Iterable, Mapping, Sequence
from dataclasses import dataclass, field
from datetime import datetime
from functools import cache
from typing import Any, Protocol

from ingest.service import parse_json
from newsdesk.articles import ArticleRecord
from newsdesk.engagement import (
    CRAWLER,
    DEFAULT_VIEWS_PER_CLIENT_HOUR,
    DUPLICATE,
    NOT_PUBLISHED,
    RATE_LIMITED,
    UNKNOWN_ARTICLE,
    CommentCount,
    Visit,
    admitted_visits,
    client_hash,
    is_crawler,
)
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

    def add_client_visits(self, client: str, hour: str, requested: int, bound: int) -> int | None: ...

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


@cache
def client_key(secret_id: str) -> bytes:
    """The key of the client-address hash: the deployment's secret, read once per process; without
    one (locally, in tests) a random key of this process — one process serves every request there."""
    if not secret_id:
        return secrets.token_bytes(32)
    from newsdesk.dal.secrets import read_secret

    return read_secret(secret_id)


@dataclass
class EngagementService:
    counters: CounterWriter
    articles: ArticleLookup
    # Key of the client-address hash (HMAC-SHA256), and the bound it enforces.
    client_key: bytes = field(default_factory=lambda: client_key(""), repr=False)
    views_per_client: int = DEFAULT_VIEWS_PER_CLIENT_HOUR

    def record(
        self,
        batch_raw: bytes,
        principal: Principal | None,
        user_agent: str | None,
        now: datetime,
        *,
        client_address: str | None = None,
        keys_unavailable: bool = False,
    ) -> EventsOutcome:
        """Record one request's events at ``now``; see the module docstring for the rules.

        ``client_address`` is the request's source address; requests without one share one bound.
        """
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

        accepted_views = self._record_views(views, published, now, ignored, client_address)
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
        self,
        views: Sequence[ViewEvent],
        sections: dict[str, str],
        now: datetime,
        ignored: Counter[str],
        client_address: str | None,
    ) -> int:
        if not views:
            return 0
        visits, repeats = visits_of(views, now)
        already_seen = self.counters.seen_visits(visits)
        new_visits = [visit for visit in visits if visit not in already_seen]
        duplicates = repeats + len(visits) - len(new_visits)
        if duplicates:
            ignored[DUPLICATE] += duplicates
        admitted = self._within_client_bound(new_visits, client_address)
        if len(admitted) < len(new_visits):
            ignored[RATE_LIMITED] += len(new_visits) - len(admitted)
        if admitted:
            # Only the dedupe records: their inserts are counted from the table's stream.
            self.counters.put_visits(admitted, sections)
        return len(admitted)

    def _within_client_bound(self, new_visits: Sequence[Visit], client_address: str | None) -> list[Visit]:
        """The new visits this client may still add: per article (and the request's hour), the first
        ones up to what is left of the bound. Reloads never get here, so they use up nothing."""
        by_article: dict[tuple[str, str], list[Visit]] = {}
        for visit in new_visits:
            by_article.setdefault((visit.article_id, visit.hour), []).append(visit)
        admitted: list[Visit] = []
        for (article_id, hour), visits in by_article.items():
            client = client_hash(self.client_key, client_address, article_id, hour)
            before = self.counters.add_client_visits(client, hour, len(visits), self.views_per_client)
            if before is not None:
                admitted.extend(visits[: admitted_visits(before, len(visits), self.views_per_client)])
        return admitted


def authorize_comment_counts(principal: Principal | None, *, keys_unavailable: bool) -> None:
    """Comment counts come only from the site's comment service, with a key of role ``site``."""
    if principal is None:
        if keys_unavailable:
            raise ServiceUnavailable("Keys cannot be checked right now; retry shortly.")
        raise Unauthenticated("Comment counts need 'Authorization: Bearer <key>' with the site's key.")
    if principal.role != "site":
        raise Forbidden("Only the site's key (role site) may send comment counts.")
