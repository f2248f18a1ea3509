"""Lasting counts: each article's all-time views and current comments, and their public files.

Items (keys in :mod:`newsdesk.dal.keys`; design: docs/engagement.md, "Counters that last"):

- counts:   PK ``ARTICLE#{id}``, SK ``COUNTS``: ``views`` (ADD, all time), ``comments`` (the last
  reported count), ``last_comment_at`` (when the count last went up), ``updated_at``. One item per
  article, pre-aggregated: the view counter adds a whole stream batch's views of an (article, hour)
  in the same transaction as the hourly counter, whose ``counted_to`` keeps both exactly-once.
- changed:  PK ``COUNTS_CHANGED``, SK ``{id}``: ``token``. Written with every change of an article's
  counts (same transaction for views); the publish timer writes the counts files of the marked
  articles and removes each marker on condition that its token is still the one it read, so a change
  made meanwhile stays marked for the next run.
- lease:    PK ``LEASE``, SK ``COUNTS``: ``owner``, ``expires``. One publish run writes counts files at
  a time, so that an older read of the counts is never PUT after a newer one.

Files: ``v1/counts/{id}.json`` in the snapshot bucket, PUT and DELETEd here (no hash record: the
marker says when the numbers changed, and the counts item is what the file is rendered from).
"""

from __future__ import annotations

from collections.abc import Iterable, Mapping
from dataclasses import dataclass
from datetime import UTC, datetime
from typing import TYPE_CHECKING, Any

from botocore.exceptions import ClientError

from newsdesk.dal.clients import dynamodb_client, s3_client
from newsdesk.dal.items import batch_get, from_item
from newsdesk.dal.keys import (
    COUNTS_CHANGED_PK,
    COUNTS_LEASE_SK,
    COUNTS_SK,
    LEASE_PK,
    SK,
    article_id_of,
    article_pk,
    key,
)
from newsdesk.engagement import is_new_comment
from newsdesk.snapshots import CONTENT_TYPE, cache_control_for, counts_path

if TYPE_CHECKING:
    from mypy_boto3_dynamodb import DynamoDBClient
    from mypy_boto3_dynamodb.type_defs import TransactWriteItemTypeDef
    from mypy_boto3_s3 import S3Client

# Attempts at recording one comment count when another writer changes the item in between.
MAX_COMMENT_ATTEMPTS = 3


@dataclass(frozen=True)
class ArticleCounts:
    """What an article's counts item holds (what its counts file shows)."""

    article_id: str
    views: int
    comments: int
    updated_at: datetime
    last_comment_at: datetime | None = None


def _time(value: Any) -> datetime | None:
    if not isinstance(value, str) or not value:
        return None
    moment = datetime.fromisoformat(value)
    return moment if moment.tzinfo else moment.replace(tzinfo=UTC)


def counts_of(values: Mapping[str, Any]) -> ArticleCounts | None:
    """An article's counts from its item's plain values (``from_item``), or None for another item."""
    article_id = article_id_of(str(values.get("PK", "")))
    updated_at = _time(values.get("updated_at"))
    if article_id is None or updated_at is None:
        return None
    return ArticleCounts(
        article_id=article_id,
        views=int(values.get("views", 0)),
        comments=int(values.get("comments", 0)),
        updated_at=updated_at,
        last_comment_at=_time(values.get("last_comment_at")),
    )


# --- writes that travel with the view counter's transaction ---------------------------------------


def add_views_item(table: str, article_id: str, views: int, now: datetime) -> TransactWriteItemTypeDef:
    """The counts item's part of a view counter update: ADD the views (all time)."""
    return {
        "Update": {
            "TableName": table,
            "Key": key(article_pk(article_id), COUNTS_SK),
            "UpdateExpression": "ADD #views :views SET updated_at = :now, kind = :kind",
            "ExpressionAttributeNames": {"#views": "views"},
            "ExpressionAttributeValues": {
                ":views": {"N": str(views)},
                ":now": {"S": now.isoformat()},
                ":kind": {"S": "counts"},
            },
        }
    }


def changed_marker_item(table: str, article_id: str, token: str) -> TransactWriteItemTypeDef:
    """The marker that makes the next publish timer write the article's counts file."""
    return {"Put": {"TableName": table, "Item": _marker(article_id, token)}}


def _marker(article_id: str, token: str) -> dict[str, Any]:
    return {**key(COUNTS_CHANGED_PK, article_id), "token": {"S": token}, "kind": {"S": "counts-changed"}}


def _code(error: ClientError) -> str:
    return str(error.response.get("Error", {}).get("Code", ""))


class CountsStore:
    """Counts items, change markers, the writer's lease, and the counts files."""

    def __init__(
        self,
        table_name: str,
        bucket: str = "",
        *,
        dynamodb: DynamoDBClient | None = None,
        s3: S3Client | None = None,
    ) -> None:
        self._table = table_name
        self._bucket = bucket
        self._dynamodb = dynamodb or dynamodb_client()
        self._s3_client = s3

    @property
    def _s3(self) -> S3Client:
        # Made on first use: the events route records comment counts here and never touches S3.
        if self._s3_client is None:
            self._s3_client = s3_client()
        return self._s3_client

    # --- comments (the events route) ---------------------------------------------------------------

    def record_comments(self, article_id: str, count: int, now: datetime) -> datetime | None:
        """Set an article's current comment count; returns when it last went up (None: never).

        A count above the stored one is a new comment (``last_comment_at`` = now); a lower one is a
        deletion (the time stays); the same count again changes nothing and marks nothing. Each is one
        conditional UpdateItem, plus the change marker when something changed.
        """
        for _ in range(MAX_COMMENT_ATTEMPTS):
            before = self._comments_item(article_id)
            stored = before.get("comments")
            previous = int(stored) if stored is not None else None
            last_comment_at = _time(before.get("last_comment_at"))
            if previous == count or (previous is None and count == 0):
                return last_comment_at
            update = "SET comments = :count, updated_at = :now, kind = :kind"
            if is_new_comment(previous, count):
                update += ", last_comment_at = :now"
                last_comment_at = now
            condition = "attribute_not_exists(comments)" if previous is None else "comments = :previous"
            values = {":count": {"N": str(count)}, ":now": {"S": now.isoformat()}, ":kind": {"S": "counts"}}
            if previous is not None:
                values[":previous"] = {"N": str(previous)}
            try:
                self._dynamodb.update_item(
                    TableName=self._table,
                    Key=key(article_pk(article_id), COUNTS_SK),
                    UpdateExpression=update,
                    ConditionExpression=condition,
                    ExpressionAttributeValues=values,
                )
            except ClientError as error:
                if _code(error) != "ConditionalCheckFailedException":
                    raise
                continue  # another report changed it in between: judge against what it wrote
            self._dynamodb.put_item(TableName=self._table, Item=_marker(article_id, f"c{now.isoformat()}#{count}"))
            return last_comment_at
        raise RuntimeError(f"comment count of {article_id} kept changing under this write")

    def _comments_item(self, article_id: str) -> dict[str, Any]:
        response = self._dynamodb.get_item(
            TableName=self._table,
            Key=key(article_pk(article_id), COUNTS_SK),
            ProjectionExpression="comments, last_comment_at",
            ConsistentRead=True,
        )
        item = response.get("Item")
        return from_item(item) if item else {}

    # --- what changed (the publish timer) -----------------------------------------------------------

    def changed(self, limit: int) -> dict[str, str]:
        """Articles marked as changed, with their markers' tokens (one Query page, at most ``limit``)."""
        response = self._dynamodb.query(
            TableName=self._table,
            KeyConditionExpression="PK = :pk",
            ExpressionAttributeValues={":pk": {"S": COUNTS_CHANGED_PK}},
            ConsistentRead=True,
            Limit=limit,
        )
        return {item[SK]["S"]: item.get("token", {}).get("S", "") for item in response.get("Items", [])}

    def counts(self, article_ids: Iterable[str]) -> dict[str, ArticleCounts]:
        """The counts items of these articles that exist (consistent BatchGetItem)."""
        wanted = [key(article_pk(article_id), COUNTS_SK) for article_id in sorted(set(article_ids))]
        found = (counts_of(from_item(item)) for item in batch_get(self._dynamodb, self._table, wanted, consistent=True))
        return {counts.article_id: counts for counts in found if counts is not None}

    def mark(self, article_ids: Iterable[str], token: str) -> None:
        """Mark articles as changed (a story published again gets its counts file back)."""
        for article_id in article_ids:
            self._dynamodb.put_item(TableName=self._table, Item=_marker(article_id, token))

    def clear(self, markers: Mapping[str, str]) -> int:
        """Remove markers whose token is still the one read; returns how many were removed."""
        removed = 0
        for article_id, token in markers.items():
            try:
                self._dynamodb.delete_item(
                    TableName=self._table,
                    Key=key(COUNTS_CHANGED_PK, article_id),
                    ConditionExpression="#token = :token",
                    ExpressionAttributeNames={"#token": "token"},
                    ExpressionAttributeValues={":token": {"S": token}},
                )
            except ClientError as error:
                if _code(error) != "ConditionalCheckFailedException":
                    raise
                continue  # changed again since: the next run writes it
            removed += 1
        return removed

    # --- the writer's lease -------------------------------------------------------------------------

    def take_lease(self, owner: str, now: datetime, until: datetime) -> bool:
        """Hold the lease until ``until`` unless another run holds it (one conditional PutItem)."""
        try:
            self._dynamodb.put_item(
                TableName=self._table,
                Item={
                    **key(LEASE_PK, COUNTS_LEASE_SK),
                    "owner": {"S": owner},
                    "expires": {"N": str(int(until.timestamp()))},
                },
                ConditionExpression="attribute_not_exists(#owner) OR expires < :now",
                ExpressionAttributeNames={"#owner": "owner"},
                ExpressionAttributeValues={":now": {"N": str(int(now.timestamp()))}},
            )
        except ClientError as error:
            if _code(error) == "ConditionalCheckFailedException":
                return False
            raise
        return True

    def release_lease(self, owner: str) -> None:
        try:
            self._dynamodb.delete_item(
                TableName=self._table,
                Key=key(LEASE_PK, COUNTS_LEASE_SK),
                ConditionExpression="#owner = :owner",
                ExpressionAttributeNames={"#owner": "owner"},
                ExpressionAttributeValues={":owner": {"S": owner}},
            )
        except ClientError as error:
            if _code(error) != "ConditionalCheckFailedException":
                raise

    # --- the files ----------------------------------------------------------------------------------

    def put_file(self, article_id: str, body: bytes) -> None:
        path = counts_path(article_id)
        self._s3.put_object(
            Bucket=self._bucket, Key=path, Body=body, ContentType=CONTENT_TYPE, CacheControl=cache_control_for(path)
        )

    def delete_file(self, article_id: str) -> None:
        """Remove an article's counts file (deleting one that is not there is no error in S3)."""
        self._s3.delete_object(Bucket=self._bucket, Key=counts_path(article_id))
