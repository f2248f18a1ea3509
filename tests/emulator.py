"""Empty the emulated stack between tests, so its tables and buckets are built once per module.

Building the stack anew for every test cost ~1 s (a fresh boto3 session loading the service
models, template.yaml parsed, a dozen create calls); emptying it costs a few milliseconds. The
``stack`` fixture (tests/conftest.py) calls ``EmulatedStack.reset`` after each test, so every
test still starts from the empty stack that template.yaml describes.
"""

from __future__ import annotations

from collections.abc import Iterable
from typing import Any

# Services whose state reset() empties itself; moto's other services are reset wholesale.
_KEPT_SERVICES = frozenset({"dynamodb", "dynamodbstreams", "s3"})


class EmulatedStack:
    """The stack's tables and buckets in moto, and how to bring them back to empty."""

    def __init__(self, dynamodb: Any, s3: Any, tables: Iterable[str], buckets: Iterable[str]) -> None:
        self._s3 = s3
        self._tables = frozenset(tables)
        self._buckets = frozenset(buckets)
        # arn:aws:dynamodb:<region>:<account>:table/<name> says where moto keeps the tables.
        arns = {dynamodb.describe_table(TableName=name)["Table"]["TableArn"] for name in self._tables}
        self._table_locations = {tuple(arn.split(":")[3:5]) for arn in arns}

    def reset(self) -> None:
        """Delete every item, object version and delete marker of the stack, the stream records,
        and every table, bucket and other moto resource a test made."""
        for region, account_id in self._table_locations:
            self._empty_tables(region, account_id)
        for bucket in (entry["Name"] for entry in self._s3.list_buckets().get("Buckets", [])):
            self._empty_bucket(bucket)
            if bucket not in self._buckets:
                self._s3.delete_bucket(Bucket=bucket)
        _reset_other_services()

    def _empty_tables(self, region: str, account_id: str) -> None:
        """Items and stream records go in moto's model directly: no API drops stream records, and
        deleting items through the API would only add REMOVE records to drop."""
        from moto.dynamodb.models import dynamodb_backends

        backend = dynamodb_backends[account_id][region]
        for name in list(backend.tables):
            if name not in self._tables:
                backend.delete_table(name)
                continue
            table = backend.get_table(name)
            table.items.clear()
            if table.stream_shard is not None:
                table.stream_shard.items.clear()

    def _empty_bucket(self, bucket: str) -> None:
        """Through the API: moto's S3 model keeps versions, markers and open files of its own."""
        while True:
            page = self._s3.list_object_versions(Bucket=bucket)
            entries = page.get("Versions", []) + page.get("DeleteMarkers", [])
            if entries:
                versions = [{"Key": entry["Key"], "VersionId": entry["VersionId"]} for entry in entries]
                result = self._s3.delete_objects(Bucket=bucket, Delete={"Objects": versions, "Quiet": True})
                assert not result.get("Errors"), f"moto kept objects of {bucket}: {result['Errors']}"
            if not page.get("IsTruncated"):
                return


def _reset_other_services() -> None:
    """Reset every other moto service a test used (e.g. the CloudFormation stacks of the CLI tests)."""
    from moto.core.base_backend import BackendDict

    for backend in list(BackendDict._instances):
        if backend.service_name not in _KEPT_SERVICES:
            for account_backend in backend.values():
                account_backend.reset()
