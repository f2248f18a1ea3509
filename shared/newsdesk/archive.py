"""S3 access for the archive of raw request bytes."""

from __future__ import annotations

from typing import TYPE_CHECKING

from newsdesk.aws import s3_client

if TYPE_CHECKING:
    from mypy_boto3_s3 import S3Client


class Archive:
    def __init__(self, bucket: str, client: S3Client | None = None) -> None:
        self._bucket = bucket
        self._client = client or s3_client()

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
