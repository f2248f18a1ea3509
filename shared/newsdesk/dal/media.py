"""Data access for articles' pictures: the media item, the media fields of CURRENT, and the objects.

- :class:`MediaStore` — the media item (``PK=ARTICLE#{id}``, ``SK=MEDIA``): one attribute
  ``img_{image key}`` per picture settled (status, reason, original size and type, renditions, the
  revision it was settled for) and ``settled``, a counter that only grows. Each picture is recorded
  by its own conditional ``UpdateItem``, so a redelivered record neither records nor counts it twice.
  It also writes the two media fields of the article's ``CURRENT`` item (``image_path``,
  ``media_settled``), conditionally on the revision it rendered, which is what makes the stream hand
  the change to publish.
- :class:`MediaFiles` — originals in the private media bucket (``originals/{id}/{key}``) and
  renditions in the snapshot bucket (``v1/media/{id}/{key}-{width}.{ext}``, immutable).
"""

from __future__ import annotations

from collections.abc import Iterable
from typing import TYPE_CHECKING, Any

from botocore.exceptions import ClientError

from newsdesk.articles import ArticleRecord
from newsdesk.dal import keys
from newsdesk.dal.clients import dynamodb_client, s3_client
from newsdesk.dal.items import from_item, to_item
from newsdesk.models import ArticleStatus
from newsdesk.pictures import (
    ImageState,
    ImageStatus,
    MediaState,
    Rendition,
    media_prefix,
    original_key,
    originals_prefix,
)

if TYPE_CHECKING:
    from mypy_boto3_dynamodb import DynamoDBClient
    from mypy_boto3_s3 import S3Client

IMAGE_ATTRIBUTE_PREFIX = "img_"
# Renditions never change under their name (a new picture gets a new key): caches keep them a year.
RENDITION_CACHE_CONTROL = "public, max-age=31536000, immutable"
# DeleteObjects takes at most this many keys a call.
_DELETE_BATCH = 1000


def _image_to_values(state: ImageState) -> dict[str, Any]:
    return {
        "status": state.status,
        "source": state.source,
        "reason": state.reason or None,
        "width": state.width,
        "height": state.height,
        "mimetype": state.mimetype or None,
        "revision": state.revision,
        "renditions": [
            {"path": rendition.path, "width": rendition.width, "height": rendition.height, "type": rendition.mimetype}
            for rendition in state.renditions
        ],
    }


def _image_from_values(values: dict[str, Any]) -> ImageState:
    status: ImageStatus = "ready" if values.get("status") == "ready" else "failed"
    return ImageState(
        status=status,
        source=str(values.get("source") or ""),
        reason=str(values.get("reason") or ""),
        width=_int_or_none(values.get("width")),
        height=_int_or_none(values.get("height")),
        mimetype=str(values.get("mimetype") or ""),
        revision=int(values.get("revision") or 0),
        renditions=tuple(
            Rendition(
                path=str(entry["path"]),
                width=int(entry["width"]),
                height=int(entry["height"]),
                mimetype=str(entry["type"]),
            )
            for entry in values.get("renditions") or []
        ),
    )


def _int_or_none(value: Any) -> int | None:
    return int(value) if value is not None else None


def media_state_from_item(item: dict[str, Any] | None) -> MediaState:
    if not item:
        return MediaState()
    values = from_item(item)
    images = {
        name.removeprefix(IMAGE_ATTRIBUTE_PREFIX): _image_from_values(value)
        for name, value in values.items()
        if name.startswith(IMAGE_ATTRIBUTE_PREFIX) and isinstance(value, dict)
    }
    return MediaState(images=images, settled=int(values.get("settled") or 0))


def _condition_failed(error: ClientError) -> bool:
    return error.response.get("Error", {}).get("Code") == "ConditionalCheckFailedException"


class MediaStore:
    """The media item of each article, and the media fields of its CURRENT item."""

    def __init__(self, table_name: str, client: DynamoDBClient | None = None) -> None:
        self._table = table_name
        self._client = client or dynamodb_client()

    def _key(self, article_id: str) -> dict[str, Any]:
        return keys.key(keys.article_pk(article_id), keys.MEDIA_SK)

    def get(self, article_id: str) -> MediaState:
        """The article's media item as it is now (consistent read); empty when there is none."""
        response = self._client.get_item(TableName=self._table, Key=self._key(article_id), ConsistentRead=True)
        return media_state_from_item(response.get("Item"))

    def settle(self, article_id: str, key: str, state: ImageState) -> MediaState | None:
        """Record one picture as settled and count it; returns the media item as this write left it
        (what a consistent read right after would return, without the read).

        Only over nothing, or over a failure of an earlier revision: a redelivered record (or a
        concurrent one) that finds the picture settled changes nothing and gets None.
        """
        try:
            response = self._client.update_item(
                TableName=self._table,
                Key=self._key(article_id),
                UpdateExpression="SET #image = :image, kind = :kind ADD settled :one",
                ConditionExpression=(
                    "attribute_not_exists(#image) OR (#image.#status = :failed AND #image.revision < :revision)"
                ),
                ExpressionAttributeNames={"#image": IMAGE_ATTRIBUTE_PREFIX + key, "#status": "status"},
                ExpressionAttributeValues={
                    ":image": {"M": to_item(_image_to_values(state))},
                    ":kind": {"S": "media"},
                    ":one": {"N": "1"},
                    ":failed": {"S": "failed"},
                    ":revision": {"N": str(state.revision)},
                },
                ReturnValues="ALL_NEW",
            )
        except ClientError as error:
            if _condition_failed(error):
                return None
            raise
        return media_state_from_item(response.get("Attributes"))

    def forget(self, article_id: str, image_keys: Iterable[str]) -> None:
        """Drop entries of pictures the article no longer shows (their objects are deleted first)."""
        names = sorted(image_keys)
        if not names:
            return
        attributes = {f"#i{index}": IMAGE_ATTRIBUTE_PREFIX + key for index, key in enumerate(names)}
        self._client.update_item(
            TableName=self._table,
            Key=self._key(article_id),
            UpdateExpression="REMOVE " + ", ".join(attributes),
            ExpressionAttributeNames=attributes,
        )

    def delete(self, article_id: str) -> None:
        """The story is down: its media item goes (a later version fetches its pictures anew)."""
        self._client.delete_item(TableName=self._table, Key=self._key(article_id))

    def mark_current(self, record: ArticleRecord, *, image_path: str, settled: int) -> bool:
        """Write the media fields of the article's CURRENT item, if it still is this published revision.

        The stream hands the change to publish, which renders the article (and its lists, when the
        teaser's picture changed), and back to the media function, which looks at the story once more
        (that second look repairs what a concurrent invocation, e.g. a redriven dead letter, changed
        meanwhile). False when the article moved on: its newer state is on the stream too, and the
        media function handles it in turn.
        """
        try:
            self._client.update_item(
                TableName=self._table,
                Key=keys.key(keys.article_pk(record.article_id), keys.CURRENT),
                UpdateExpression="SET image_path = :path, media_settled = :settled",
                ConditionExpression="revision = :revision AND #status = :published AND normalized_key = :normalized",
                ExpressionAttributeNames={"#status": "status"},
                ExpressionAttributeValues={
                    ":path": {"S": image_path},
                    ":settled": {"N": str(settled)},
                    ":revision": {"N": str(record.revision)},
                    ":published": {"S": ArticleStatus.PUBLISHED.value},
                    ":normalized": {"S": record.normalized_key},
                },
            )
        except ClientError as error:
            if _condition_failed(error):
                return False
            raise
        return True


class MediaFiles:
    """Originals (private media bucket) and renditions (snapshot bucket, under v1/media/)."""

    def __init__(self, media_bucket: str, snapshot_bucket: str, client: S3Client | None = None) -> None:
        self._media_bucket = media_bucket
        self._snapshot_bucket = snapshot_bucket
        self._client = client or s3_client()

    def put_original(self, article_id: str, key: str, data: bytes, mimetype: str, source: str) -> None:
        self._client.put_object(
            Bucket=self._media_bucket,
            Key=original_key(article_id, key),
            Body=data,
            ContentType=mimetype,
            # Where it came from, for an operator. S3 metadata travels as HTTP headers (ASCII, 2 KB
            # in all): a longer or non-ASCII URL is only in the media item.
            Metadata={"source": source} if source.isascii() and len(source) <= 1024 else {},
        )

    def put_rendition(self, path: str, data: bytes, mimetype: str) -> None:
        self._client.put_object(
            Bucket=self._snapshot_bucket,
            Key=path,
            Body=data,
            ContentType=mimetype,
            CacheControl=RENDITION_CACHE_CONTROL,
        )

    def delete_picture(self, article_id: str, key: str, state: ImageState) -> None:
        """One picture the article no longer shows: its renditions and its original."""
        self._delete(self._snapshot_bucket, [rendition.path for rendition in state.renditions])
        self._delete(self._media_bucket, [original_key(article_id, key)])

    def delete_article(self, article_id: str) -> int:
        """Every rendition and original of the article, found by listing (an attempt that died before
        recording its picture left objects the media item does not name). Returns how many went."""
        deleted = 0
        for bucket, prefix in (
            (self._snapshot_bucket, media_prefix(article_id)),
            (self._media_bucket, originals_prefix(article_id)),
        ):
            paginator = self._client.get_paginator("list_objects_v2")
            for page in paginator.paginate(Bucket=bucket, Prefix=prefix):
                found = [item["Key"] for item in page.get("Contents", [])]
                self._delete(bucket, found)
                deleted += len(found)
        return deleted

    def _delete(self, bucket: str, object_keys: list[str]) -> None:
        for start in range(0, len(object_keys), _DELETE_BATCH):
            chunk = object_keys[start : start + _DELETE_BATCH]
            result = self._client.delete_objects(
                Bucket=bucket, Delete={"Objects": [{"Key": key} for key in chunk], "Quiet": True}
            )
            if errors := result.get("Errors"):
                raise RuntimeError(f"objects not deleted from {bucket}: {errors[:3]}")
