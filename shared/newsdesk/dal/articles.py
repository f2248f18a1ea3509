"""Article records in the table: the CURRENT item of each article and its immutable revision items.

Write order (no transaction; docs/design.md walks through every crash point):

1. ``put_revision_item`` — a conditional PutItem of ``REV#{revision}#{hash}``: immutable, keyed by the
   content hash, so a retry of the same content finds its own item and racing writers of different
   content never touch each other's.
2. ``advance_current`` — a conditional PutItem of ``CURRENT``, on the revision it replaces (or on
   there being none). This is the commit point: readers and the stream see only CURRENT.

A crash between the two leaves a revision item nothing points at; the partner's retry writes the
same item again (its condition fails harmlessly) and then advances CURRENT.
"""

from __future__ import annotations

from collections.abc import Iterable, Iterator
from datetime import datetime
from typing import TYPE_CHECKING, Any

from botocore.exceptions import ClientError

from newsdesk.articles import (
    ArticleRecord,
    RevisionRaced,
    expired_record,
    is_due_to_expire,
    record_from_json,
    record_to_json,
    utc_text,
)
from newsdesk.dal import keys
from newsdesk.dal.clients import dynamodb_client
from newsdesk.dal.items import batch_get, from_item, to_item
from newsdesk.models import ArticleStatus

if TYPE_CHECKING:
    from mypy_boto3_dynamodb import DynamoDBClient


def record_from_item(item: dict[str, Any]) -> ArticleRecord:
    return record_from_json(from_item(item))


def current_item(record: ArticleRecord) -> dict[str, Any]:
    """The CURRENT item of a record, with the keys of the sparse indexes its status puts it in."""
    values = record_to_json(record)
    values["warnings"] = values["warnings"] or None
    return to_item(
        {
            keys.PK: keys.article_pk(record.article_id),
            keys.SK: keys.CURRENT,
            "kind": "article",
            **values,
            **keys.index_attributes(record),
        }
    )


# What a revision item keeps of its record (see put_revision_item). normalized_key is kept as history
# but not adopted: a retry has written its own normalized object from the same bytes, and its content
# fields (headline, lead, ...) must agree with the object CURRENT names, even if the normalizer changed
# between the two attempts (a deploy).
_REVISION_FIELDS = (
    "article_id",
    "partner_id",
    "revision",
    "status",
    "retraction_reason",
    "retraction_note",
    "content_hash",
    "archive_key",
    "normalized_key",
    "version",
    "versioncreated",
    "published_at",
    "updated_at",
    "received_at",
)


_ADOPTED_FIELDS = tuple(name for name in _REVISION_FIELDS if name != "normalized_key")


def _is_condition_failure(error: ClientError) -> bool:
    return error.response["Error"]["Code"] == "ConditionalCheckFailedException"


class ArticleStore:
    def __init__(self, table_name: str, client: DynamoDBClient | None = None) -> None:
        self._table = table_name
        self._client = client or dynamodb_client()

    def get(self, article_id: str) -> ArticleRecord | None:
        response = self._client.get_item(
            TableName=self._table, Key=keys.key(keys.article_pk(article_id), keys.CURRENT), ConsistentRead=True
        )
        item = response.get("Item")
        return record_from_item(item) if item else None

    def put_revision(
        self, record: ArticleRecord, *, previous_revision: int | None, action: str, request_id: str
    ) -> ArticleRecord:
        """Record a new revision and make it current; returns the record that became current.

        Raises ``RevisionRaced`` when another writer advanced the article since ``previous_revision``
        was read: the caller re-reads and decides again.
        """
        stored = self.put_revision_item(record, action=action, request_id=request_id)
        self.advance_current(stored, previous_revision=previous_revision)
        return stored

    def put_revision_item(self, record: ArticleRecord, *, action: str, request_id: str) -> ArticleRecord:
        """Write the immutable history item of a revision; an existing one (a retry's) is adopted.

        The item keeps what a retry cannot compute again (its times, the raw bytes it archived, the
        status it decided), so that a retry after a crash completes the revision exactly as first
        written. The rest of the record follows from the content, which the item's content hash
        fixes. Kept under 1 KB, so that it costs one write unit.
        """
        values = record_to_json(record)
        item = to_item(
            {
                keys.PK: keys.article_pk(record.article_id),
                keys.SK: keys.revision_sk(record.revision, record.content_hash),
                "kind": "revision",
                "action": action,
                "request_id": request_id,
                **{name: values[name] for name in _REVISION_FIELDS},
            }
        )
        try:
            self._client.put_item(
                TableName=self._table,
                Item=item,
                ConditionExpression="attribute_not_exists(PK)",
                ReturnValuesOnConditionCheckFailure="ALL_OLD",
            )
        except ClientError as error:
            if not _is_condition_failure(error):
                raise
            # With ReturnValuesOnConditionCheckFailure the error carries the item that is there.
            existing = dict(error.response).get("Item")
            if not isinstance(existing, dict):
                return record
            stored = from_item(existing)
            first = record_to_json(record) | {name: stored.get(name) for name in _ADOPTED_FIELDS}
            return record_from_json(first)
        return record

    def advance_current(self, record: ArticleRecord, *, previous_revision: int | None) -> None:
        """Make ``record`` the article's CURRENT item, on condition that it still replaces ``previous_revision``."""
        condition: dict[str, Any]
        if previous_revision is None:
            condition = {"ConditionExpression": "attribute_not_exists(PK)"}
        else:
            condition = {
                "ConditionExpression": "revision = :previous",
                "ExpressionAttributeValues": {":previous": {"N": str(previous_revision)}},
            }
        try:
            self._client.put_item(TableName=self._table, Item=current_item(record), **condition)
        except ClientError as error:
            if _is_condition_failure(error):
                raise RevisionRaced(record.article_id) from error
            raise

    def replace_current(self, record: ArticleRecord, *, expected: ArticleRecord) -> bool:
        """Rewrite CURRENT in place (e.g. re-normalized content); False if it moved on since ``expected``.

        Moving on includes a change of status at the same revision (the embargo timer releases a
        story without a new revision), so a rewrite never puts back a state the story has left.
        """
        try:
            self._client.put_item(
                TableName=self._table,
                Item=current_item(record),
                ConditionExpression="revision = :revision AND #status = :status",
                ExpressionAttributeNames={"#status": "status"},
                ExpressionAttributeValues={
                    ":revision": {"N": str(expected.revision)},
                    ":status": {"S": expected.status.value},
                },
            )
        except ClientError as error:
            if _is_condition_failure(error):
                return False
            raise
        return True

    # --- Lists, embargoes, all articles ---------------------------------------------------------

    def newest(self, index_name: str, pk_value: str, limit: int) -> list[ArticleRecord]:
        """The newest ``limit`` published articles of one list (a sparse index), newest first.

        Indexes are eventually consistent: callers overlay the changes they know about.
        """
        response = self._client.query(
            TableName=self._table,
            IndexName=index_name,
            KeyConditionExpression="#pk = :pk",
            ExpressionAttributeNames={"#pk": keys.LIST_INDEX_KEYS[index_name]},
            ExpressionAttributeValues={":pk": {"S": pk_value}},
            ScanIndexForward=False,
            Limit=limit,
        )
        return [record_from_item(item) for item in response.get("Items", [])]

    def listed_on(self, index_name: str, pk_value: str, day: str) -> list[ArticleRecord]:
        """Every published article of one list whose ``published_at`` falls on ``day`` (UTC, "YYYY-MM-DD"),
        oldest first: a sort-key range of the list's sparse index (list_sk starts with the time)."""
        pages = self._client.get_paginator("query").paginate(
            TableName=self._table,
            IndexName=index_name,
            KeyConditionExpression="#pk = :pk AND begins_with(list_sk, :day)",
            ExpressionAttributeNames={"#pk": keys.LIST_INDEX_KEYS[index_name]},
            ExpressionAttributeValues={":pk": {"S": pk_value}, ":day": {"S": f"{day}T"}},
        )
        return [record_from_item(item) for page in pages for item in page.get("Items", [])]

    def listed_after(self, index_name: str, pk_value: str, day: str, after: str) -> list[ArticleRecord]:
        """The published articles of one list on ``day`` whose sort key is ``after`` or later (the end of
        the day from a story on), oldest first; eventually consistent, like :meth:`listed_on`."""
        pages = self._client.get_paginator("query").paginate(
            TableName=self._table,
            IndexName=index_name,
            KeyConditionExpression="#pk = :pk AND list_sk BETWEEN :after AND :end",
            ExpressionAttributeNames={"#pk": keys.LIST_INDEX_KEYS[index_name]},
            # "~" sorts after every character of a time and an article id: the end of the day.
            ExpressionAttributeValues={":pk": {"S": pk_value}, ":after": {"S": after}, ":end": {"S": f"{day}T~"}},
        )
        return [record_from_item(item) for page in pages for item in page.get("Items", [])]

    def listed_beyond(
        self, index_name: str, pk_value: str, bound: str, *, older: bool, limit: int
    ) -> list[ArticleRecord]:
        """The ``limit`` articles of one list nearest to the sort key ``bound``: the ones before it (newest
        first) when ``older``, else the ones after it (oldest first). Eventually consistent, like :meth:`newest`."""
        response = self._client.query(
            TableName=self._table,
            IndexName=index_name,
            KeyConditionExpression=f"#pk = :pk AND list_sk {'<' if older else '>'} :bound",
            ExpressionAttributeNames={"#pk": keys.LIST_INDEX_KEYS[index_name]},
            ExpressionAttributeValues={":pk": {"S": pk_value}, ":bound": {"S": bound}},
            ScanIndexForward=not older,
            Limit=limit,
        )
        return [record_from_item(item) for item in response.get("Items", [])]

    def due_embargoes(self, now: datetime) -> list[str]:
        """Ids of embargoed articles whose embargo has passed at ``now``, earliest first."""
        pages = self._client.get_paginator("query").paginate(
            TableName=self._table,
            IndexName=keys.EMBARGO_INDEX,
            KeyConditionExpression="embargo_pk = :pk AND embargo_sk <= :until",
            ExpressionAttributeValues={":pk": {"S": keys.EMBARGOED}, ":until": {"S": keys.embargo_until_sk(now)}},
        )
        return [
            article_id
            for page in pages
            for item in page.get("Items", [])
            if (article_id := keys.article_id_of(item[keys.PK]["S"])) is not None
        ]

    def due_expiries(self, now: datetime) -> list[str]:
        """Ids of shown or embargoed articles whose ``expires`` time has passed at ``now``, earliest first."""
        pages = self._client.get_paginator("query").paginate(
            TableName=self._table,
            IndexName=keys.EXPIRY_INDEX,
            KeyConditionExpression="expiry_pk = :pk AND expiry_sk <= :until",
            ExpressionAttributeValues={":pk": {"S": keys.EXPIRING}, ":until": {"S": keys.expiry_until_sk(now)}},
        )
        return [
            article_id
            for page in pages
            for item in page.get("Items", [])
            if (article_id := keys.article_id_of(item[keys.PK]["S"])) is not None
        ]

    def release_embargo(self, record: ArticleRecord) -> bool:
        """Publish an embargoed article whose time has come; the table's stream then publishes it.

        Conditional on the article being unchanged (same revision, still embargoed): a partner's
        newer revision or another timer run wins, and that is not an error (returns False). The
        article is listed from its embargo time, not from when it was first written.
        """
        published_at = max(record.published_at, record.embargoed_until or record.published_at)
        released = record_from_json(
            {**record_to_json(record), "status": ArticleStatus.PUBLISHED.value}
            | {"published_at": keys.sort_time(published_at)}
        )
        try:
            self._client.put_item(
                TableName=self._table,
                Item=current_item(released),
                ConditionExpression="revision = :revision AND #status = :embargoed",
                ExpressionAttributeNames={"#status": "status"},
                ExpressionAttributeValues={
                    ":embargoed": {"S": ArticleStatus.EMBARGOED.value},
                    ":revision": {"N": str(record.revision)},
                },
            )
        except ClientError as error:
            if _is_condition_failure(error):
                return False
            raise
        return True

    def take_down_expired(self, record: ArticleRecord, now: datetime) -> bool:
        """Retract an article whose ``expires`` time has passed at ``now``, as a new revision (reason
        "expired"); the table's stream then replaces its page with a tombstone.

        Conditional on the revision that was read: a partner's newer revision wins (its own
        ``expires`` decides) and that is not an error (returns False); so does a second timer run.
        """
        if not is_due_to_expire(record, now):
            return False
        try:
            self.put_revision(
                expired_record(record, now),
                previous_revision=record.revision,
                action="expire",
                request_id=f"expiry-timer:{utc_text(now)}",
            )
        except RevisionRaced:
            return False
        return True

    def all_current(self) -> Iterator[ArticleRecord]:
        """Every article's current state: the article index's keys, then the items in batches.

        Items read follow the number of articles, not the table's history, counters or dedupe records.
        """
        pages = self._client.get_paginator("query").paginate(
            TableName=self._table,
            IndexName=keys.ARTICLE_INDEX,
            KeyConditionExpression="all_pk = :all",
            ExpressionAttributeValues={":all": {"S": keys.ALL_ARTICLES}},
        )
        batch: list[dict[str, Any]] = []
        for page in pages:
            for item in page.get("Items", []):
                batch.append(keys.key(item[keys.PK]["S"], keys.CURRENT))
                if len(batch) == keys.BATCH_GET_LIMIT:
                    yield from self.current_items(batch)
                    batch = []
        if batch:
            yield from self.current_items(batch)

    def scan_article_ids(self) -> Iterator[str]:
        """Every article id, by scanning the whole table: only for upgrading a stack whose records
        predate ArticleIndex (``newsdesk reprocess --all --scan``); everything else reads the index."""
        pages = self._client.get_paginator("scan").paginate(
            TableName=self._table,
            FilterExpression="SK = :current AND begins_with(PK, :article)",
            ExpressionAttributeValues={":current": {"S": keys.CURRENT}, ":article": {"S": keys.ARTICLE_PREFIX}},
            ProjectionExpression="PK",
        )
        for page in pages:
            for item in page.get("Items", []):
                article_id = keys.article_id_of(item[keys.PK]["S"])
                if article_id is not None:
                    yield article_id

    def current_states(self, article_ids: Iterable[str]) -> dict[str, ArticleRecord]:
        """The CURRENT state of each of these articles, read consistently (absent ids are left out).

        Publish checks a list's members with it: an index answers eventually, the table at once.
        """
        wanted = [keys.key(keys.article_pk(article_id), keys.CURRENT) for article_id in dict.fromkeys(article_ids)]
        items = batch_get(self._client, self._table, wanted, consistent=True)
        return {record.article_id: record for record in map(record_from_item, items)}

    def current_items(self, wanted: list[dict[str, Any]]) -> Iterator[ArticleRecord]:
        """BatchGetItem of CURRENT keys (100 a call), retrying what DynamoDB leaves unprocessed."""
        return (record_from_item(item) for item in batch_get(self._client, self._table, wanted))
