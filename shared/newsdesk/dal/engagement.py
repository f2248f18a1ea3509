"""DynamoDB access for engagement: dedupe records, hourly counters, the TRENDING item.

Item layout in the single table (why this layout: docs/engagement.md):

- dedupe record:   PK ``SEEN#{article_id}#{hour}``, SK ``{visit hash}``: ``article_id``, ``hour``,
  ``section``, ``expiration`` (TTL). Written by the events route; its insert, read from the
  table's stream, is what the view counter function counts (``trending.counting``).
- client count:    PK ``CLIENT#{client hash}``, SK ``VIEWS``: ``visits`` (ADD, while below the
  bound), ``expiration`` (TTL). The new views one client added to one article in one hour.
- view counter:    PK ``COUNTERS#{day}``, SK ``{hour}#VIEWS#{article_id}#{shard}``: ``views``
  (ADD), ``section``, ``expiration``
- comment count:   PK ``COUNTERS#{day}``, SK ``{hour}#COMMENTS#{article_id}``: ``count``
  (absolute), ``section``, ``updated_at``, ``last_comment_at`` (when the count last went up),
  ``expiration``
- lasting counts:  PK ``ARTICLE#{article_id}``, SK ``COUNTS``, and the counts-changed markers:
  :mod:`newsdesk.dal.counts`. A view counter update writes the hourly counter, the all-time views
  and the marker in one transaction, guarded by the hourly counter's ``counted_to``.
- rankings:        PK ``TRENDING``, SK ``CURRENT``: ``digest``, ``generated_at``, ``trending`` and
  ``counters`` (the text of v1/trending.json and v1/counters.json, exactly as published)

A trending run reads the active window with one Query per UTC day it spans, on the sort-key range
of the window's hours (more pages only past 1 MB of counters), never a Scan.
"""

from __future__ import annotations

import random
import time
from collections.abc import Callable, Iterable, Iterator, Mapping, Sequence
from dataclasses import dataclass
from datetime import UTC, datetime
from typing import TYPE_CHECKING, Any

from botocore.exceptions import ClientError

from newsdesk.articles import ArticleRecord, utc_text
from newsdesk.dal.articles import record_from_item
from newsdesk.dal.clients import dynamodb_client
from newsdesk.dal.counts import CountsStore, add_views_item, changed_marker_item
from newsdesk.dal.items import MAX_BATCH_ATTEMPTS, UnprocessedAfterRetries, backoff, batch_get, from_item
from newsdesk.dal.keys import (
    BATCH_WRITE_LIMIT,
    CLIENT_VIEWS_SK,
    CURRENT,
    TRENDING_PK,
    TRENDING_SK,
    article_of_comment_sk,
    article_of_view_sk,
    article_pk,
    client_pk,
    comment_sk,
    counters_pk,
    hour_of_counter_sk,
    hours_range,
    key,
    seen_pk,
    view_sk,
)
from newsdesk.engagement import (
    VIEW_SHARDS,
    CommentCount,
    ViewCount,
    ViewIncrement,
    Visit,
    counter_expiration,
    seen_expiration,
    sequence_key,
    view_shard,
)
from newsdesk.snapshots.trending import Rankings

if TYPE_CHECKING:
    from mypy_boto3_dynamodb import DynamoDBClient
    from mypy_boto3_dynamodb.type_defs import TransactWriteItemTypeDef, WriteRequestTypeDef


@dataclass(frozen=True)
class StoredTrending:
    """The TRENDING item: the digest a run compares, and the two files as published."""

    digest: str
    generated_at: str
    trending: str
    counters: str

    @classmethod
    def of(cls, rankings: Rankings) -> StoredTrending:
        trending, counters = rankings.texts()
        return cls(
            digest=rankings.digest(),
            generated_at=utc_text(rankings.trending.generated_at),
            trending=trending,
            counters=counters,
        )

    def rankings(self) -> Rankings:
        """The files validated back into the models they were rendered from."""
        return Rankings.from_texts(self.trending, self.counters)


def stored_trending(values: Mapping[str, Any]) -> StoredTrending | None:
    """The TRENDING item from its plain attribute values (``from_item``, or a stream record's image).

    None when the item does not hold the files: removed, or written before they were stored
    (an item with a ``body`` attribute); the next trending run writes it again.
    """
    trending, counters = values.get("trending"), values.get("counters")
    if not isinstance(trending, str) or not isinstance(counters, str):
        return None
    return StoredTrending(
        digest=str(values.get("digest", "")),
        generated_at=str(values.get("generated_at", "")),
        trending=trending,
        counters=counters,
    )


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
        choose_shard: Callable[[], int] | None = None,
        sleep: Callable[[float], None] = time.sleep,
        clock: Callable[[], datetime] = lambda: datetime.now(UTC),
    ) -> None:
        self._table = table_name
        self._client = client or dynamodb_client()
        self._choose_shard = choose_shard or (lambda: random.randrange(VIEW_SHARDS))
        self._sleep = sleep
        # When the view counter counts: the "updated_at" of an article's lasting counts.
        self._clock = clock

    # --- articles ---------------------------------------------------------------------------------

    def current_articles(self, article_ids: Iterable[str]) -> dict[str, ArticleRecord]:
        """The CURRENT state of each article that exists (BatchGetItem, up to 100 per call)."""
        wanted = [key(article_pk(article_id), CURRENT) for article_id in sorted(set(article_ids))]
        records = (record_from_item(item) for item in self._batch_get(wanted, projection=None))
        return {record.article_id: record for record in records}

    # --- views ------------------------------------------------------------------------------------

    def seen_visits(self, visits: Sequence[Visit]) -> set[Visit]:
        """Which of these visits already have a dedupe record (were counted earlier this hour)."""
        by_key = {(seen_pk(visit.article_id, visit.hour), visit.visitor_hash): visit for visit in visits}
        keys = [key(pk, sk) for pk, sk in by_key]
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
                        **key(seen_pk(visit.article_id, visit.hour), visit.visitor_hash),
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

    def add_client_visits(self, client: str, hour: str, requested: int, bound: int) -> int | None:
        """Add ``requested`` new visits to a client's count of (article, hour), while it is below ``bound``.

        One conditional UpdateItem. Returns the count before this addition (the caller admits what
        is left of the bound), or None when the count had already reached the bound: nothing was
        added, so an insistent client's count stops growing. The item expires with the hour's
        dedupe records.
        """
        try:
            response = self._client.update_item(
                TableName=self._table,
                Key=key(client_pk(client), CLIENT_VIEWS_SK),
                UpdateExpression="ADD visits :requested SET expiration = :expiration",
                ConditionExpression="attribute_not_exists(visits) OR visits < :bound",
                ExpressionAttributeValues={
                    ":requested": {"N": str(requested)},
                    ":bound": {"N": str(bound)},
                    ":expiration": {"N": str(seen_expiration(hour))},
                },
                ReturnValues="UPDATED_NEW",
            )
        except ClientError as error:
            if error.response.get("Error", {}).get("Code") == "ConditionalCheckFailedException":
                return None
            raise
        return int(response["Attributes"]["visits"]["N"]) - requested

    def add_views(self, increments: Sequence[ViewIncrement]) -> None:
        """One UpdateItem (ADD) per increment, on the article's counter of the hour.

        Called by the view counter function with one increment per (article, hour) of a stream
        batch; an exception leaves the increments before it applied and the rest not. An increment
        from stream records is counted once: the item keeps the highest sequence number counted
        (``counted_to``) and adds only on condition that the increment's records all come after it;
        when some do not (the batch is delivered again), the write fails with the item's old values
        and only the records past ``counted_to`` are added. Stream records of one (article, hour)
        share a partition key, so they arrive in order, one batch at a time.
        """
        for increment in increments:
            pending: ViewIncrement | None = increment
            while pending is not None and pending.views > 0:
                pending = self._add_view_increment(pending)

    def _add_view_increment(self, increment: ViewIncrement) -> ViewIncrement | None:
        """Add once; returns what is left to add (past what the item has counted), or None.

        One transaction: the hourly counter (on its ``counted_to`` condition), the article's
        all-time views, and the marker that has the publish timer write its counts file. The
        condition guards all three: a redelivered record adds to neither count.
        """
        numbers = [sequence_key(number) for number in increment.sequence_numbers]
        shard = view_shard(increment.article_id) if numbers else self._choose_shard()
        values: dict[str, Any] = {
            ":views": {"N": str(increment.views)},
            ":section": {"S": increment.section},
            ":expiration": {"N": str(counter_expiration(increment.hour))},
        }
        update = "ADD #views :views SET #section = :section, expiration = :expiration"
        condition: dict[str, Any] = {}
        if numbers:
            values |= {":first": {"S": min(numbers)}, ":last": {"S": max(numbers)}}
            update += ", counted_to = :last"
            condition = {
                "ConditionExpression": "attribute_not_exists(counted_to) OR counted_to < :first",
                "ReturnValuesOnConditionCheckFailure": "ALL_OLD",
            }
        now = self._clock()
        token = f"v{max(numbers)}" if numbers else f"v{now.isoformat()}"
        hourly: TransactWriteItemTypeDef = {
            "Update": {
                "TableName": self._table,
                "Key": key(counters_pk(increment.hour), view_sk(increment.hour, increment.article_id, shard)),
                "UpdateExpression": update,
                "ExpressionAttributeNames": {"#views": "views", "#section": "section"},
                "ExpressionAttributeValues": values,
                **condition,  # type: ignore[typeddict-item]
            }
        }
        try:
            self._client.transact_write_items(
                TransactItems=[
                    hourly,
                    add_views_item(self._table, increment.article_id, increment.views, now),
                    changed_marker_item(self._table, increment.article_id, token),
                ]
            )
        except ClientError as error:
            reasons: list[Any] = list(error.response.get("CancellationReasons") or [])
            if not reasons or reasons[0].get("Code") != "ConditionalCheckFailed":
                raise
            old: dict[str, Any] = dict(reasons[0].get("Item") or {})
            counted_to = str(old.get("counted_to", {}).get("S", ""))
            return increment.after(counted_to)
        return None

    def counts_in_window(self, hours: Sequence[str]) -> tuple[list[ViewCount], list[CommentCount]]:
        """Every counter item of these hours (consecutive UTC hours, in any order): one Query per
        day they span, for the key range of those hours; view shards not yet summed."""
        views: list[ViewCount] = []
        comments: list[CommentCount] = []
        by_day: dict[str, list[str]] = {}
        for hour in sorted(set(hours)):
            by_day.setdefault(counters_pk(hour), []).append(hour)
        for pk, day_hours in by_day.items():
            for item in self._query_hours(pk, *hours_range(day_hours[0], day_hours[-1])):
                sk = str(item["SK"])
                hour = hour_of_counter_sk(sk)
                section = str(item.get("section", ""))
                if (viewed := article_of_view_sk(sk)) is not None:
                    views.append(ViewCount(viewed, hour, int(item.get("views", 0)), section))
                elif (discussed := article_of_comment_sk(sk)) is not None:
                    last = item.get("last_comment_at")
                    commented = datetime.fromisoformat(last) if isinstance(last, str) and last else None
                    comments.append(CommentCount(discussed, hour, int(item.get("count", 0)), section, commented))
        return views, comments

    # --- comments ---------------------------------------------------------------------------------

    def set_comment_counts(self, counts: Sequence[CommentCount], now: datetime) -> None:
        """Set each article's absolute comment count: its lasting count first (which says when it
        last went up), then the hour's bucket, which carries that time to the trending run (a resend
        rewrites the same)."""
        lasting = CountsStore(self._table, dynamodb=self._client)
        for count in counts:
            last_comment_at = lasting.record_comments(count.article_id, count.count, now)
            values: dict[str, Any] = {
                ":count": {"N": str(count.count)},
                ":section": {"S": count.section},
                ":updated_at": {"S": now.isoformat()},
                ":expiration": {"N": str(counter_expiration(count.hour))},
            }
            update = "SET #count = :count, #section = :section, updated_at = :updated_at, expiration = :expiration"
            if last_comment_at is not None:
                update += ", last_comment_at = :last_comment_at"
                values[":last_comment_at"] = {"S": last_comment_at.isoformat()}
            self._client.update_item(
                TableName=self._table,
                Key=key(counters_pk(count.hour), comment_sk(count.hour, count.article_id)),
                UpdateExpression=update,
                ExpressionAttributeNames={"#count": "count", "#section": "section"},
                ExpressionAttributeValues=values,
            )

    # --- rankings ---------------------------------------------------------------------------------

    def get_trending(self) -> StoredTrending | None:
        response = self._client.get_item(TableName=self._table, Key=key(TRENDING_PK, TRENDING_SK))
        item = response.get("Item")
        return stored_trending(from_item(item)) if item else None

    def put_trending(self, stored: StoredTrending) -> None:
        """Replace the TRENDING item; the table's stream hands it to the publish function."""
        self._client.put_item(
            TableName=self._table,
            Item={
                **key(TRENDING_PK, TRENDING_SK),
                "kind": {"S": "trending"},
                "digest": {"S": stored.digest},
                "generated_at": {"S": stored.generated_at},
                "trending": {"S": stored.trending},
                "counters": {"S": stored.counters},
            },
        )

    # --- helpers ----------------------------------------------------------------------------------

    def _query_hours(self, pk: str, low: str, high: str) -> Iterator[dict[str, Any]]:
        pages = self._client.get_paginator("query").paginate(
            TableName=self._table,
            KeyConditionExpression="PK = :pk AND SK BETWEEN :low AND :high",
            ExpressionAttributeValues={":pk": {"S": pk}, ":low": {"S": low}, ":high": {"S": high}},
        )
        for page in pages:
            for item in page.get("Items", []):
                yield from_item(item)

    def _batch_get(self, wanted: list[dict[str, Any]], projection: str | None) -> Iterator[dict[str, Any]]:
        return batch_get(self._client, self._table, wanted, projection=projection, sleep=self._sleep)

    def _batch_write(self, requests: list[WriteRequestTypeDef]) -> None:
        pending: dict[str, list[WriteRequestTypeDef]] = {self._table: requests}
        for attempt in range(MAX_BATCH_ATTEMPTS):
            response = self._client.batch_write_item(RequestItems=pending)
            unprocessed: list[Any] = list((response.get("UnprocessedItems") or {}).get(self._table, []))
            if not unprocessed:
                return
            pending = {self._table: unprocessed}
            backoff(attempt, self._sleep)
        raise UnprocessedAfterRetries("BatchWriteItem left items unprocessed")
