"""Empty the emulated stack between tests, so its tables and buckets are built once per module.

Building the stack anew for every test cost ~1 s (a fresh boto3 session loading the service
models, template.yaml parsed, a dozen create calls); emptying it costs a scan, a listing and a
few deletes. The ``stack`` fixture (tests/conftest.py) calls ``EmulatedStack.reset`` after each
test, so every test still starts from the empty stack that template.yaml describes.
"""

from __future__ import annotations

from collections.abc import Iterable, Iterator
from typing import Any

# Services whose state reset() empties itself; moto's other services are reset wholesale.
_KEPT_SERVICES = frozenset({"dynamodb", "dynamodbstreams", "s3"})
_BATCH_WRITE_LIMIT = 25


class EmulatedStack:
    """The stack's tables and buckets in moto, and how to bring them back to empty."""

    def __init__(self, dynamodb: Any, s3: Any, tables: Iterable[str], buckets: Iterable[str]) -> None:
        self._dynamodb = dynamodb
        self._s3 = s3
        descriptions = {name: dynamodb.describe_table(TableName=name)["Table"] for name in tables}
        self._table_keys = {
            name: tuple(key["AttributeName"] for key in table["KeySchema"]) for name, table in descriptions.items()
        }
        self._table_arns = {name: table["TableArn"] for name, table in descriptions.items()}
        self._buckets = frozenset(buckets)

    def reset(self) -> None:
        """Delete every item, object version and delete marker of the stack, every table, bucket
        and other moto resource a test made, and the table streams' records."""
        for name in _table_names(self._dynamodb):
            if name in self._table_keys:
                self._empty_table(name, self._table_keys[name])
            else:
                self._dynamodb.delete_table(TableName=name)
        for bucket in (entry["Name"] for entry in self._s3.list_buckets().get("Buckets", [])):
            self._empty_bucket(bucket)
            if bucket not in self._buckets:
                self._s3.delete_bucket(Bucket=bucket)
        # After the deletes above, whose REMOVE records would otherwise stay on the stream.
        for name, arn in self._table_arns.items():
            _forget_stream_records(name, arn)
        _reset_other_services()

    def _empty_table(self, name: str, key_names: tuple[str, ...]) -> None:
        names = {f"#k{index}": key for index, key in enumerate(key_names)}
        pages = self._dynamodb.get_paginator("scan").paginate(
            TableName=name, ProjectionExpression=", ".join(names), ExpressionAttributeNames=names
        )
        keys = [item for page in pages for item in page["Items"]]
        for start in range(0, len(keys), _BATCH_WRITE_LIMIT):
            requests = [{"DeleteRequest": {"Key": key}} for key in keys[start : start + _BATCH_WRITE_LIMIT]]
            unprocessed = self._dynamodb.batch_write_item(RequestItems={name: requests}).get("UnprocessedItems")
            # moto applies a whole batch; a partial one would leave items for the next test to trip on.
            assert not unprocessed, f"moto left items of {name} undeleted: {unprocessed}"

    def _empty_bucket(self, bucket: str) -> None:
        for upload in self._s3.list_multipart_uploads(Bucket=bucket).get("Uploads", []):
            self._s3.abort_multipart_upload(Bucket=bucket, Key=upload["Key"], UploadId=upload["UploadId"])
        # Listing again after each delete, rather than paginating over what is being deleted.
        while versions := list(_object_versions(self._s3, bucket)):
            result = self._s3.delete_objects(Bucket=bucket, Delete={"Objects": versions, "Quiet": True})
            assert not result.get("Errors"), f"moto kept objects of {bucket}: {result['Errors']}"


def _table_names(dynamodb: Any) -> list[str]:
    pages = dynamodb.get_paginator("list_tables").paginate()
    return [name for page in pages for name in page["TableNames"]]


def _object_versions(s3: Any, bucket: str) -> Iterator[dict[str, str]]:
    """The first page (up to 1,000, what one DeleteObjects takes) of versions and delete markers."""
    page = s3.list_object_versions(Bucket=bucket)
    for entry in page.get("Versions", []) + page.get("DeleteMarkers", []):
        yield {"Key": entry["Key"], "VersionId": entry["VersionId"]}


def _forget_stream_records(table: str, table_arn: str) -> None:
    """Drop the records of the table's stream: no API does that, so moto's model is changed."""
    from moto.dynamodb.models import dynamodb_backends

    # arn:aws:dynamodb:<region>:<account>:table/<name>
    _, _, _, region, account_id, _ = table_arn.split(":", 5)
    shard = dynamodb_backends[account_id][region].get_table(table).stream_shard
    if shard is not None:
        shard.items.clear()


def _reset_other_services() -> None:
    """Reset every other moto service a test used (e.g. the CloudFormation stacks of the CLI tests)."""
    from moto.core.base_backend import BackendDict

    for backend in list(BackendDict._instances):
        if backend.service_name not in _KEPT_SERVICES:
            for account_backend in backend.values():
                account_backend.reset()
