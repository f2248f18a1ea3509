"""Data access for published snapshots: the public bucket and the hash records that make writes no-ops.

Every file publish writes has a hash record in the table (design: docs/snapshots.md):

- lists, manifest, schemas: PK ``SNAPSHOTS``, SK ``{path}`` — ``sha256``, ``generated_at``
  (one partition, bounded by the number of lists, so the manifest is one Query);
- article files: PK ``ARTICLE#{id}``, SK ``SNAPSHOT`` — ``sha256``, ``path``, ``source`` (a stamp
  of the article state the file was rendered from, so an unchanged article skips rendering).

A write compares the new bytes' hash with the record and does nothing when they match. Otherwise
S3 first, then the record, conditional on the record not having moved since it was read: a
failure in between leaves a record that no longer matches, so the next run PUTs the same bytes
again and converges; a concurrent writer makes the condition fail (:class:`SnapshotRaced`).
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime
from typing import TYPE_CHECKING, Any

from botocore.exceptions import ClientError

from newsdesk.dal.clients import dynamodb_client, s3_client
from newsdesk.dal.items import from_item, to_item
from newsdesk.dal.keys import ARTICLE_FILE_SK, SHARED_FILES_PK, article_pk
from newsdesk.snapshots import CONTENT_TYPE, PREFIX, cache_control_for, sha256_of

if TYPE_CHECKING:
    from mypy_boto3_dynamodb import DynamoDBClient
    from mypy_boto3_s3 import S3Client

_ARTICLE_FILE = f"{PREFIX}articles/"


class SnapshotRaced(Exception):
    """Another writer changed the file's hash record between our read and our write."""


@dataclass(frozen=True)
class PublishedFile:
    """What the hash record says about a file in the bucket."""

    path: str
    sha256: str
    generated_at: datetime | None = None
    source: str = ""


def _key(path: str) -> dict[str, Any]:
    if path.startswith(_ARTICLE_FILE):
        article_id = path.removeprefix(_ARTICLE_FILE).removesuffix(".json")
        return {"PK": {"S": article_pk(article_id)}, "SK": {"S": ARTICLE_FILE_SK}}
    return {"PK": {"S": SHARED_FILES_PK}, "SK": {"S": path}}


def _published_file(item: dict[str, Any]) -> PublishedFile:
    values = from_item(item)
    path = values.get("path") or values["SK"]
    generated_at = values.get("generated_at")
    return PublishedFile(
        path=path,
        sha256=values["sha256"],
        generated_at=datetime.fromisoformat(generated_at) if generated_at else None,
        source=values.get("source", ""),
    )


class SnapshotStore:
    """The snapshot bucket plus the hash records."""

    def __init__(
        self,
        bucket: str,
        table_name: str,
        *,
        s3: S3Client | None = None,
        dynamodb: DynamoDBClient | None = None,
    ) -> None:
        self._bucket = bucket
        self._table = table_name
        self._s3 = s3 or s3_client()
        self._dynamodb = dynamodb or dynamodb_client()

    def published_files(self) -> dict[str, PublishedFile]:
        """Every list, schema and the manifest that has been written, by path (one Query)."""
        pages = self._dynamodb.get_paginator("query").paginate(
            TableName=self._table,
            KeyConditionExpression="PK = :pk",
            ExpressionAttributeValues={":pk": {"S": SHARED_FILES_PK}},
            ConsistentRead=True,
        )
        files: dict[str, PublishedFile] = {}
        for page in pages:
            for item in page.get("Items", []):
                published = _published_file(item)
                files[published.path] = published
        return files

    def published_file(self, path: str) -> PublishedFile | None:
        """The hash record of one file, or None if it was never written."""
        response = self._dynamodb.get_item(TableName=self._table, Key=_key(path), ConsistentRead=True)
        item = response.get("Item")
        return _published_file(item) if item else None

    def write_if_changed(
        self,
        path: str,
        body: bytes,
        generated_at: datetime | None,
        *,
        known: PublishedFile | None = None,
        look_up: bool = True,
        source: str = "",
        force: bool = False,
    ) -> bool:
        """PUT the file unless the bucket already holds these bytes; True when a PUT happened.

        ``known`` is the hash record the caller already read (pass ``look_up=False`` with it, even
        when it is None, to save the read). ``force`` PUTs even identical bytes (rebuilding a bucket).
        """
        if look_up and known is None:
            known = self.published_file(path)
        digest = sha256_of(body)
        if known is not None and known.sha256 == digest and not force:
            if source and known.source != source:
                self._put_record(path, digest, generated_at, source, previous=known)
            return False
        self._s3.put_object(
            Bucket=self._bucket,
            Key=path,
            Body=body,
            ContentType=CONTENT_TYPE,
            CacheControl=cache_control_for(path),
        )
        self._put_record(path, digest, generated_at, source, previous=known)
        return True

    def _put_record(
        self,
        path: str,
        digest: str,
        generated_at: datetime | None,
        source: str,
        *,
        previous: PublishedFile | None,
    ) -> None:
        values = {
            "kind": "snapshot",
            "path": path,
            "sha256": digest,
            "generated_at": generated_at.isoformat() if generated_at else None,
            "source": source or None,
        }
        if previous is None:
            condition: dict[str, Any] = {"ConditionExpression": "attribute_not_exists(PK)"}
        else:
            condition = {
                "ConditionExpression": "sha256 = :previous",
                "ExpressionAttributeValues": {":previous": {"S": previous.sha256}},
            }
        try:
            self._dynamodb.put_item(TableName=self._table, Item={**_key(path), **to_item(values)}, **condition)
        except ClientError as error:
            if error.response["Error"]["Code"] == "ConditionalCheckFailedException":
                raise SnapshotRaced(path) from error
            raise
