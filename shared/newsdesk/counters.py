"""DynamoDB access for engagement: dedupe records, hourly counters, the TRENDING item.

Item layout in the single table (why this layout: docs/engagement.md):

- dedupe record:   PK ``SEEN#{article_id}#{hour}``, SK ``{visit hash}``: ``article_id``, ``hour``,
  ``section``, ``expiration`` (TTL). Written by the events route; its insert, read from the
  table's stream, is what the view counter function counts (``trending.counting``).
- view counter:    PK ``VIEWS#{hour}#{partition}``, SK ``{article_id}#{shard}``: ``views`` (ADD),
  ``section``, ``expiration``
- comment count:   PK ``COMMENTS#{hour}#{partition}``, SK ``{article_id}``: ``count`` (absolute),
  ``section``, ``updated_at``, ``expiration``
- rankings:        PK ``TRENDING``, SK ``CURRENT``: ``digest``, ``generated_at``, ``body`` (JSON)

Reads of the trending run are Queries on the hour partitions of the active window, never a Scan.
Every item read and written is tallied in :class:`IoTally`, for tests and benchmarks.
"""

from __future__ import annotations

import random
import time
from collections import Counter
from collections.abc import Callable, Iterable, Iterator, Mapping, Sequence
from dataclasses import dataclass, field
from datetime import datetime
from typing import TYPE_CHECKING, Any

from newsdesk.articles import ArticleRecord
from newsdesk.aws import dynamodb_client
from newsdesk.dynamo import from_item
from newsdesk.engagement import (
    VIEW_PARTITIONS,
    VIEW_SHARDS,
    CommentCount,
    ViewCount,
    ViewIncrement,
    Visit,
    article_of_view_sk,
    comments_pk,
    counter_expiration,
    partition_of,
    seen_expiration,
    seen_pk,
    view_sk,
    views_pk,
)
from newsdesk.store import CURRENT, article_pk, record_from_item

if TYPE_CHECKING:
    from mypy_boto3_dynamodb import DynamoDBClient
    from mypy_boto3_dynamodb.type_defs import KeysAndAttributesTypeDef, WriteRequestTypeDef

TRENDING_PK = "TRENDING"
TRENDING_SK = "CURRENT"
# DynamoDB's own limits per call.
BATCH_GET_LIMIT = 100
BATCH_WRITE_LIMIT = 25
# Unprocessed keys/items (throttling inside a batch call) are retried this often, with backoff.
MAX_BATCH_ATTEMPTS = 6


class UnprocessedAfterRetries(Exception):
    """DynamoDB kept returning unprocessed keys or items; the caller's request fails (5xx, retryable)."""


@dataclass
class IoTally:
    """Items read (as DynamoDB bills them: scanned, not returned) and written, and calls made."""

    items_read: int = 0
    items_written: int = 0
    counter_writes: int = 0
    dedupe_writes: int = 0
    calls: Counter[str] = field(default_factory=Counter)

    def reset(self) -> None:
        self.items_read = self.items_written = self.counter_writes = self.dedupe_writes = 0
        self.calls.clear()


@dataclass(frozen=True)
class StoredTrending:
    digest: str
    generated_at: str
    body: str


def _key(pk: str, sk: str) -> dict[str, Any]:
    return {"PK": {"S": pk}, "SK": {"S": sk}}


def _chunks(items: Sequence[Any], size: int) -> Iterator[Sequence[Any]]:
    for start in range(0, len(items), size):
        yield items[start : start + size]


class CounterStore:
    """Engagement counters and rankings in the single table, through the low-level client."""

    def __init__(
        self,
        table_name: str,
        client: DynamoDBClient | None = None,
        *,
        tally: IoTally | None = None,
        choose_shard: Callable[[], int] | None = None,
        sleep: Callable[[float], None] = time.sleep,
    ) -> None:
        self._table = table_name
        self._client = client or dynamodb_client()
        self.tally = tally or IoTally()
        self._choose_shard = choose_shard or (lambda: random.randrange(VIEW_SHARDS))
        self._sleep = sleep

    # --- articles ---------------------------------------------------------------------------------

    def current_articles(self, article_ids: Iterable[str]) -> dict[str, ArticleRecord]:
        """The CURRENT state of each article that exists (BatchGetItem, up to 100 per call)."""
        keys = [_key(article_pk(article_id), CURRENT) for article_id in sorted(set(article_ids))]
        found: dict[str, ArticleRecord] = {}
        for item in self._batch_get(keys, projection=None):
            record = record_from_item(item)
            found[record.article_id] = record
        return found

    # --- views ------------------------------------------------------------------------------------

    def seen_visits(self, visits: Sequence[Visit]) -> set[Visit]:
        """Which of these visits already have a dedupe record (were counted earlier this hour)."""
        by_key = {(seen_pk(visit.article_id, visit.hour), visit.visitor_hash): visit for visit in visits}
        keys = [_key(pk, sk) for pk, sk in by_key]
        return {by_key[(item["PK"]["S"], item["SK"]["S"])] for item in self._batch_get(keys, projection="PK, SK")}

    def put_visits(self, visits: Sequence[Visit], sections: Mapping[str, str]) -> None:
        """Write dedupe records (BatchWriteItem, 25 per call); each expires after its hour.

        Each record names its article, hour and section, so that the view counter function can
        count its insert from the stream record alone. Nothing in it identifies the visitor.
        """
        requests: list[WriteRequestTypeDef] = [
            {
                "PutRequest": {
                    "Item": {
                        **_key(seen_pk(visit.article_id, visit.hour), visit.visitor_hash),
                        "article_id": {"S": visit.article_id},
                        "hour": {"S": visit.hour},
                        "section": {"S": sections.get(visit.article_id, "")},
                        "expiration": {"N": str(seen_expiration(visit.hour))},
                    }
                }
            }
            for visit in visits
        ]
        for chunk in _chunks(requests, BATCH_WRITE_LIMIT):
            self._batch_write(list(chunk))
        self.tally.dedupe_writes += len(requests)

    def add_views(self, increments: Sequence[ViewIncrement]) -> None:
        """One UpdateItem (ADD) per increment, on a random shard of the article's counter.

        Called by the view counter function with one increment per (article, hour) of a stream
        batch; an exception leaves the increments before it applied and the rest not.
        """
        for increment in increments:
            self._client.update_item(
                TableName=self._table,
                Key=_key(
                    views_pk(increment.hour, partition_of(increment.article_id)),
                    view_sk(increment.article_id, self._choose_shard()),
                ),
                UpdateExpression="ADD #views :views SET #section = :section, expiration = :expiration",
                ExpressionAttributeNames={"#views": "views", "#section": "section"},
                ExpressionAttributeValues={
                    ":views": {"N": str(increment.views)},
                    ":section": {"S": increment.section},
                    ":expiration": {"N": str(counter_expiration(increment.hour))},
                },
            )
            self._wrote("UpdateItem", 1)
            self.tally.counter_writes += 1

    def views_in_window(self, hours: Sequence[str]) -> list[ViewCount]:
        """Every counter item of these hours (one Query per hour partition), shards not yet summed."""
        counts: list[ViewCount] = []
        for hour in hours:
            for partition in range(VIEW_PARTITIONS):
                for item in self._query_partition(views_pk(hour, partition)):
                    counts.append(
                        ViewCount(
                            article_id=article_of_view_sk(item["SK"]),
                            hour=hour,
                            views=int(item.get("views", 0)),
                            section=str(item.get("section", "")),
                        )
                    )
        return counts

    # --- comments ---------------------------------------------------------------------------------

    def set_comment_counts(self, counts: Sequence[CommentCount], now: datetime) -> None:
        """Set each article's absolute comment count in the hour's bucket (a resend rewrites the same)."""
        for count in counts:
            self._client.update_item(
                TableName=self._table,
                Key=_key(comments_pk(count.hour, partition_of(count.article_id)), count.article_id),
                UpdateExpression=(
                    "SET #count = :count, #section = :section, updated_at = :updated_at, expiration = :expiration"
                ),
                ExpressionAttributeNames={"#count": "count", "#section": "section"},
                ExpressionAttributeValues={
                    ":count": {"N": str(count.count)},
                    ":section": {"S": count.section},
                    ":updated_at": {"S": now.isoformat()},
                    ":expiration": {"N": str(counter_expiration(count.hour))},
                },
            )
            self._wrote("UpdateItem", 1)
            self.tally.counter_writes += 1

    def comments_in_window(self, hours: Sequence[str]) -> list[CommentCount]:
        counts: list[CommentCount] = []
        for hour in hours:
            for partition in range(VIEW_PARTITIONS):
                for item in self._query_partition(comments_pk(hour, partition)):
                    counts.append(
                        CommentCount(
                            article_id=str(item["SK"]),
                            hour=hour,
                            count=int(item.get("count", 0)),
                            section=str(item.get("section", "")),
                        )
                    )
        return counts

    # --- rankings ---------------------------------------------------------------------------------

    def get_trending(self) -> StoredTrending | None:
        response = self._client.get_item(TableName=self._table, Key=_key(TRENDING_PK, TRENDING_SK))
        self.tally.calls["GetItem"] += 1
        self.tally.items_read += 1
        item = response.get("Item")
        if not item:
            return None
        values = from_item(item)
        return StoredTrending(
            digest=str(values.get("digest", "")),
            generated_at=str(values.get("generated_at", "")),
            body=str(values.get("body", "")),
        )

    def put_trending(self, stored: StoredTrending) -> None:
        """Replace the TRENDING item; the table's stream hands it to the publish function."""
        self._client.put_item(
            TableName=self._table,
            Item={
                **_key(TRENDING_PK, TRENDING_SK),
                "kind": {"S": "trending"},
                "digest": {"S": stored.digest},
                "generated_at": {"S": stored.generated_at},
                "body": {"S": stored.body},
            },
        )
        self._wrote("PutItem", 1)

    # --- helpers ----------------------------------------------------------------------------------

    def _wrote(self, call: str, items: int) -> None:
        self.tally.calls[call] += 1
        self.tally.items_written += items

    def _query_partition(self, pk: str) -> Iterator[dict[str, Any]]:
        pages = self._client.get_paginator("query").paginate(
            TableName=self._table,
            KeyConditionExpression="PK = :pk",
            ExpressionAttributeValues={":pk": {"S": pk}},
        )
        for page in pages:
            self.tally.calls["Query"] += 1
            self.tally.items_read += page.get("ScannedCount", 0)
            for item in page.get("Items", []):
                yield from_item(item)

    def _batch_get(self, keys: list[dict[str, Any]], projection: str | None) -> Iterator[dict[str, Any]]:
        for chunk in _chunks(keys, BATCH_GET_LIMIT):
            request: KeysAndAttributesTypeDef = {"Keys": list(chunk)}
            if projection:
                request["ProjectionExpression"] = projection
            pending: dict[str, KeysAndAttributesTypeDef] = {self._table: request}
            for attempt in range(MAX_BATCH_ATTEMPTS):
                response = self._client.batch_get_item(RequestItems=pending)
                self.tally.calls["BatchGetItem"] += 1
                items = response.get("Responses", {}).get(self._table, [])
                self.tally.items_read += len(items)
                yield from items
                # The stubs type the response's shape apart from the request's; it is the same shape.
                unprocessed: dict[str, Any] = dict(response.get("UnprocessedKeys") or {})
                if not unprocessed.get(self._table, {}).get("Keys"):
                    break
                pending = {self._table: unprocessed[self._table]}
                self._backoff(attempt)
            else:
                raise UnprocessedAfterRetries("BatchGetItem left keys unprocessed")

    def _batch_write(self, requests: list[WriteRequestTypeDef]) -> None:
        pending: dict[str, list[WriteRequestTypeDef]] = {self._table: requests}
        for attempt in range(MAX_BATCH_ATTEMPTS):
            response = self._client.batch_write_item(RequestItems=pending)
            unprocessed: list[Any] = list((response.get("UnprocessedItems") or {}).get(self._table, []))
            self._wrote("BatchWriteItem", len(pending[self._table]) - len(unprocessed))
            if not unprocessed:
                return
            pending = {self._table: unprocessed}
            self._backoff(attempt)
        raise UnprocessedAfterRetries("BatchWriteItem left items unprocessed")

    def _backoff(self, attempt: int) -> None:
        # Unprocessed keys mean throttling: back off with jitter, as AWS recommends for batch calls.
        self._sleep(random.uniform(0, 0.05 * 2**attempt))
