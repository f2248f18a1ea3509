"""Data access for published snapshots: the public bucket and the hash records that make writes no-ops.

Every file publish writes has a hash record in the table (design: docs/snapshots.md):

- lists, manifest, schemas: PK ``SNAPSHOTS``, SK ``{path}`` — ``sha256``, ``generated_at``
  (one partition, bounded by the number of lists, so the manifest is one Query);
- article files: PK ``ARTICLE#{id}``, SK ``SNAPSHOT`` — ``sha256``, ``path``, ``source`` (a stamp
  of the article state the file was rendered from, so an unchanged article skips rendering) and
  ``state_order`` (how far along its history that state is).

A write compares the new bytes' hash with the record and does nothing when they match. Otherwise
it PUTs on condition that the object is still the one the writer last saw (S3's ``If-Match`` on
the ETag, ``If-None-Match: *`` for a new file): two writers never both replace the same object, so
the one that read older state cannot land after the one that read newer (docs/snapshots.md,
"Concurrent writers"). Each object carries what the record says (hash, generation, and for article
files the state order) as metadata, so a writer that loses the condition reads the winner with one
HEAD. The record follows the PUT, conditional on a higher generation: records never go backwards,
and a crash between the two leaves a record that no longer matches, so the next run converges.
"""

from __future__ import annotations

import json
from dataclasses import replace
from datetime import datetime
from functools import partial
from typing import TYPE_CHECKING, Any

from botocore.exceptions import ClientError

from newsdesk.dal.clients import dynamodb_client, s3_client
from newsdesk.dal.items import to_item
from newsdesk.dal.keys import SHARED_FILES_PK, day_pages_pk
from newsdesk.dal.snapshot_records import PublishedFile, int_of, published_file_of, record_key, time_of
from newsdesk.snapshots import cache_control_for, sha256_of
from newsdesk.snapshots.paths import content_type_for

if TYPE_CHECKING:
    from mypy_boto3_dynamodb import DynamoDBClient
    from mypy_boto3_s3 import S3Client

__all__ = ["PublishedFile", "SnapshotRaced", "SnapshotStore"]


class SnapshotRaced(Exception):
    """Another writer replaced the file since we read it; ``current`` is what the bucket holds now."""

    def __init__(self, path: str, current: PublishedFile | None) -> None:
        super().__init__(path)
        self.path = path
        self.current = current


def _error_code(error: ClientError) -> str:
    return str(error.response.get("Error", {}).get("Code", ""))


# S3's answers to a conditional PUT whose condition no longer holds (409: another conditional
# write to the key was in flight).
_LOST_CONDITION = {"PreconditionFailed", "ConditionalRequestConflict", "412", "409"}
_NO_OBJECT = {"NoSuchKey", "404", "NotFound"}


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
                published = published_file_of(item)
                files[published.path] = published
        for path, published in list(files.items()):
            if not published.confirmed:
                # A writer marked it and may have crashed after its PUT: ask the bucket (one HEAD), so
                # that the manifest describes the file that is there.
                current = self._repaired(path)
                files[path] = current if current is not None and current.sha256 else published
        return files

    def published_pages(self, folder: str, prefix: str = "") -> dict[str, PublishedFile]:
        """The hash records of one list's day pages whose path starts with ``folder/prefix`` (one Query)."""
        pages = self._dynamodb.get_paginator("query").paginate(
            TableName=self._table,
            KeyConditionExpression="PK = :pk AND begins_with(SK, :prefix)",
            ExpressionAttributeValues={":pk": {"S": day_pages_pk(folder)}, ":prefix": {"S": f"{folder}/{prefix}"}},
            ConsistentRead=True,
        )
        files = {}
        for page in pages:
            for item in page.get("Items", []):
                published = published_file_of(item)
                files[published.path] = published
        return files

    def published_file(self, path: str) -> PublishedFile | None:
        """The hash record of one file, or None if it was never written."""
        response = self._dynamodb.get_item(TableName=self._table, Key=record_key(path), ConsistentRead=True)
        item = response.get("Item")
        return published_file_of(item) if item else None

    def in_bucket(self, path: str) -> PublishedFile | None:
        """What the bucket holds at ``path`` right now (one HEAD), or None when there is no object."""
        try:
            head = self._s3.head_object(Bucket=self._bucket, Key=path)
        except ClientError as error:
            if _error_code(error) in _NO_OBJECT:
                return None
            raise
        metadata = head.get("Metadata", {})
        return PublishedFile(
            path=path,
            # An object written before objects carried their hash: no hash matches it.
            sha256=metadata.get("sha256", ""),
            generated_at=time_of(metadata.get("generated-at")),
            source=metadata.get("source", ""),
            etag=head.get("ETag", ""),
            generation=int_of(metadata.get("generation")) or 0,
            state_order=int_of(metadata.get("state-order")),
        )

    def read(self, path: str) -> bytes | None:
        """The bytes of a published file now (one GET), or None when there is none."""
        try:
            return self._s3.get_object(Bucket=self._bucket, Key=path)["Body"].read()
        except ClientError as error:
            if _error_code(error) in _NO_OBJECT:
                return None
            raise

    def read_json(self, path: str) -> dict[str, Any] | None:
        """A published JSON file as it is now (one GET); None when there is none or it is no JSON object."""
        body = self.read(path)
        try:
            document = json.loads(body) if body is not None else None
        except ValueError:
            return None
        return document if isinstance(document, dict) else None

    def listed_ids(self, path: str) -> list[str]:
        """The article ids a published list holds now (one GET), in its order; none if there is no list."""
        body = self.read(path)
        if body is None:
            return []
        try:
            items = json.loads(body).get("items", [])
            return [str(item["id"]) for item in items if isinstance(item, dict) and "id" in item]
        except (ValueError, AttributeError):
            return []  # not a list file: nothing to keep from it

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
    ) -> PublishedFile | None:
        """PUT a list, schema or the manifest unless the bucket already holds these bytes.

        Returns what was written, or None when nothing was PUT. ``known`` is the hash record the
        caller already read (pass ``look_up=False`` with it, even when it is None, to save the
        read). ``force`` PUTs even identical bytes (rebuilding a bucket). Raises
        :class:`SnapshotRaced` when the object is no longer the one ``known`` describes: the caller
        renders again from fresh reads.
        """
        if force:
            # Restoring a bucket: what the bucket holds counts, not what the records remember.
            known = self.in_bucket(path)
        elif look_up and known is None:
            known = self.published_file(path)
        digest = sha256_of(body)
        if known is not None and known.sha256 == digest and known.confirmed and not force:
            if source and known.source != source:
                self._put_record(replace(known, source=source))
            return None
        written = self._put_conditionally(path, body, digest, generated_at, source, None, known)
        self._put_record(written)
        return written

    def write_article_file(
        self,
        path: str,
        body: bytes,
        generated_at: datetime | None,
        *,
        state_order: int,
        known: PublishedFile | None,
        source: str,
        force: bool = False,
    ) -> bool:
        """PUT an article's file for a state of the article, unless a later state is already there.

        ``state_order`` places the state in the article's history; a writer holding an older state
        than the file's (``publish --all`` that read its records minutes ago, a redelivered stream
        batch) writes nothing. Returns whether a PUT happened.
        """
        digest = sha256_of(body)
        if force:
            known = self.in_bucket(path)
        for _ in range(3):
            if known is not None and known.state_order is not None and known.state_order > state_order:
                return False
            if known is not None and known.sha256 == digest and known.confirmed and not force:
                if known.source != source or known.state_order != state_order:
                    self._put_record(replace(known, source=source, state_order=state_order))
                return False
            try:
                written = self._put_conditionally(path, body, digest, generated_at, source, state_order, known)
            except SnapshotRaced as raced:
                # Someone else wrote the file after we read its record: decide again against it.
                known, force = raced.current, False
                continue
            self._put_record(written)
            return True
        raise SnapshotRaced(path, known)

    # --- the conditional PUT and the record -----------------------------------------------------

    def _put_conditionally(
        self,
        path: str,
        body: bytes,
        digest: str,
        generated_at: datetime | None,
        source: str,
        state_order: int | None,
        known: PublishedFile | None,
    ) -> PublishedFile:
        """PUT on condition that the object is the one ``known`` describes; raises SnapshotRaced if not."""
        # Above the record's generation even when the object is new (deleted from the bucket since),
        # so that the record of this PUT is written.
        floor = known.generation if known is not None else 0
        if known is not None and not known.etag:
            # A record from before conditional writes, or a deleted object: ask the bucket.
            known = self.in_bucket(path) or None
        generation = max(floor, known.generation if known is not None else 0) + 1
        metadata = {"sha256": digest, "generation": str(generation)}
        if generated_at is not None:
            metadata["generated-at"] = generated_at.isoformat()
        if source:
            metadata["source"] = source
        if state_order is not None:
            metadata["state-order"] = str(state_order)
        put = partial(
            self._s3.put_object,
            Bucket=self._bucket,
            Key=path,
            Body=body,
            ContentType=content_type_for(path),
            CacheControl=cache_control_for(path),
            Metadata=metadata,
        )
        if known is not None:
            # If this process dies between the PUT and the record, the record must not be trusted.
            self._mark_pending(path)
        try:
            response = put(IfMatch=known.etag) if known is not None else put(IfNoneMatch="*")
        except ClientError as error:
            code = _error_code(error)
            if code in _LOST_CONDITION or (code in _NO_OBJECT and known is not None):
                current = self._repaired(path)
                if current is None and known is not None:
                    # Deleted: the next attempt creates it, with a generation above the record's.
                    current = replace(known, sha256="", etag="", confirmed=False)
                raise SnapshotRaced(path, current) from error
            raise
        return PublishedFile(
            path=path,
            sha256=digest,
            generated_at=generated_at,
            source=source,
            etag=response.get("ETag", ""),
            generation=generation,
            state_order=state_order,
        )

    def _mark_pending(self, path: str) -> None:
        try:
            self._dynamodb.update_item(
                TableName=self._table,
                Key=record_key(path),
                UpdateExpression="SET pending = :true",
                ConditionExpression="attribute_exists(sha256)",
                ExpressionAttributeValues={":true": {"BOOL": True}},
            )
        except ClientError as error:
            if _error_code(error) != "ConditionalCheckFailedException":
                raise

    def _repaired(self, path: str) -> PublishedFile | None:
        """What the bucket holds (one HEAD); its record is rewritten if it describes an earlier PUT."""
        current = self.in_bucket(path)
        if current is not None and current.sha256:
            self._put_record(current, newer_only=True)
        return current

    def _put_record(self, file: PublishedFile, *, newer_only: bool = False) -> None:
        """Record what the bucket holds, unless a record of a later PUT is already there.

        ``newer_only``: a repair, only over an earlier generation, so that it never clears the mark
        of a writer whose PUT of the next generation may be under way.
        """
        values = {
            "kind": "snapshot",
            "path": file.path,
            "sha256": file.sha256,
            "generated_at": file.generated_at.isoformat() if file.generated_at else None,
            "source": file.source or None,
            "etag": file.etag or None,
            "generation": file.generation,
            "state_order": file.state_order,
        }
        try:
            self._dynamodb.put_item(
                TableName=self._table,
                Item={**record_key(file.path), **to_item(values)},
                ConditionExpression=(
                    f"attribute_not_exists(generation) OR generation {'<' if newer_only else '<='} :generation"
                ),
                ExpressionAttributeValues={":generation": {"N": str(file.generation)}},
            )
        except ClientError as error:
            if _error_code(error) != "ConditionalCheckFailedException":
                raise
            # A later PUT's record is already there: it describes the bucket better than ours.
