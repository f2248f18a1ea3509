"""In-memory stand-ins for the stores, with the same conditions as the real ones.

Rules (ingest's version ordering, replay, retraction) are tested against these in milliseconds;
the stores themselves are tested against moto in tests/handler. Each fake keeps the condition its
store puts on DynamoDB (``attribute_not_exists``, ``revision = :previous``), so a race or a retry
behaves here as it does there.
"""

from __future__ import annotations

import json
from dataclasses import dataclass, field
from typing import Any

from newsdesk.articles import ArticleRecord, RevisionRaced


@dataclass
class FakeArticleStore:
    current: dict[str, ArticleRecord] = field(default_factory=dict)
    # (article id, revision, content hash) -> record, as the REV# items are keyed
    history: dict[tuple[str, int, str], ArticleRecord] = field(default_factory=dict)
    # Set to make the next CURRENT write lose a race (another writer got there first).
    lose_next_race_to: ArticleRecord | None = None

    def get(self, article_id: str) -> ArticleRecord | None:
        return self.current.get(article_id)

    def put_revision(
        self, record: ArticleRecord, *, previous_revision: int | None, action: str, request_id: str
    ) -> ArticleRecord:
        key = (record.article_id, record.revision, record.content_hash)
        stored = self.history.setdefault(key, record)
        if self.lose_next_race_to is not None:
            winner, self.lose_next_race_to = self.lose_next_race_to, None
            self.current[winner.article_id] = winner
        existing = self.current.get(record.article_id)
        if (existing.revision if existing else None) != previous_revision:
            raise RevisionRaced(record.article_id)
        self.current[record.article_id] = stored
        return stored

    def replace_current(self, record: ArticleRecord, *, expected: ArticleRecord) -> bool:
        existing = self.current.get(record.article_id)
        if existing is None or (existing.revision, existing.status) != (expected.revision, expected.status):
            return False
        self.current[record.article_id] = record
        return True


@dataclass
class FakeArchive:
    objects: dict[str, bytes] = field(default_factory=dict)

    def put_raw(self, key: str, body: bytes, *, partner_id: str, content_type: str) -> None:
        self.objects[key] = body

    def get_raw(self, key: str) -> bytes:
        return self.objects[key]

    def put_normalized(self, key: str, body: bytes) -> None:
        self.objects[key] = body

    def get_normalized(self, key: str) -> dict[str, Any]:
        loaded: dict[str, Any] = json.loads(self.objects[key])
        return loaded


@dataclass
class FakeEngagementStore:
    """Articles, dedupe records and per-client view counts in memory, with the conditions of
    ``newsdesk.dal.engagement.CounterStore``: a client's count grows only while it is below the bound."""

    articles: dict[str, ArticleRecord] = field(default_factory=dict)
    seen: set[Any] = field(default_factory=set)
    # client hash -> visits admitted so far (what the CLIENT# item holds)
    client_visits: dict[str, int] = field(default_factory=dict)
    client_updates: int = 0

    def current_articles(self, article_ids: Any) -> dict[str, ArticleRecord]:
        return {article_id: self.articles[article_id] for article_id in article_ids if article_id in self.articles}

    def seen_visits(self, visits: Any) -> set[Any]:
        return {visit for visit in visits if visit in self.seen}

    def put_visits(self, visits: Any, sections: Any) -> None:
        self.seen.update(visits)

    def add_client_visits(self, client: str, hour: str, requested: int, bound: int) -> int | None:
        self.client_updates += 1
        before = self.client_visits.get(client, 0)
        if before >= bound:
            return None
        self.client_visits[client] = before + requested
        return before

    def set_comment_counts(self, counts: Any, now: Any) -> None:
        pass
