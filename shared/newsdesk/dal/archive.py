"""The S3 archive: the exact bytes of every accepted request, and the normalized article beside them."""

from __future__ import annotations

import json
import threading
from collections import OrderedDict
from typing import TYPE_CHECKING, Any

from newsdesk.dal.clients import s3_client

if TYPE_CHECKING:
    from mypy_boto3_s3 import S3Client

JSON_CONTENT_TYPE = "application/json"
# Normalized articles a warm function keeps (their bytes; keys name their content, so a kept copy is
# never stale). Publish and media read a story's twice in a row: for its first state, and again when
# media records its pictures; the second read is then no GET.
KEPT_NORMALIZED = 128


class Archive:
    def __init__(self, bucket: str, client: S3Client | None = None) -> None:
        self._bucket = bucket
        self._client = client or s3_client()
        self._normalized: OrderedDict[str, bytes] = OrderedDict()
        self._normalized_lock = threading.Lock()

    def put_raw(self, key: str, body: bytes, *, partner_id: str, content_type: str) -> None:
        """Store the exact bytes received. Writing the same key again is harmless (same bytes)."""
        self._client.put_object(
            Bucket=self._bucket,
            Key=key,
            Body=body,
            ContentType=content_type,
            Metadata={"partner-id": partner_id},
        )

    def get_raw(self, key: str) -> bytes:
        return self._client.get_object(Bucket=self._bucket, Key=key)["Body"].read()

    def put_normalized(self, key: str, body: bytes) -> None:
        """Store a normalized article (JSON); its key is derived from these bytes, so it is never overwritten."""
        self._client.put_object(Bucket=self._bucket, Key=key, Body=body, ContentType=JSON_CONTENT_TYPE)

    def get_normalized(self, key: str) -> dict[str, Any]:
        """A normalized article (a fresh dict each time), from the kept ones or one GET."""
        with self._normalized_lock:
            body = self._normalized.get(key)
            if body is not None:
                self._normalized.move_to_end(key)
        if body is None:
            body = self._client.get_object(Bucket=self._bucket, Key=key)["Body"].read()
            with self._normalized_lock:
                self._normalized[key] = body
                while len(self._normalized) > KEPT_NORMALIZED:
                    self._normalized.popitem(last=False)
        loaded: dict[str, Any] = json.loads(body)
        return loaded
