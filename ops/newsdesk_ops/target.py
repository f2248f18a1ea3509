"""Which Newsdesk the operator CLI talks to: a deployed stack, or the local stack on moto."""

from __future__ import annotations

import json
import os
from dataclasses import dataclass
from pathlib import Path
from typing import TYPE_CHECKING, Any

import boto3
from botocore.config import Config
from botocore.exceptions import BotoCoreError, ClientError

if TYPE_CHECKING:
    from mypy_boto3_cloudformation import CloudFormationClient
    from mypy_boto3_dynamodb import DynamoDBClient
    from mypy_boto3_s3 import S3Client

DEFAULT_LOCAL_FILE = Path(".newsdesk/local.json")
# Stack outputs template.yaml declares for the resources the CLI works on.
TABLE_OUTPUT = "TableName"
ARCHIVE_BUCKET_OUTPUT = "ArchiveBucketName"
SNAPSHOT_BUCKET_OUTPUT = "SnapshotBucketName"
# moto accepts any credentials; these keep real ones away from the local endpoint.
_FAKE_CREDENTIAL = "testing"
_CONFIG = Config(retries={"max_attempts": 3, "mode": "standard"}, connect_timeout=3, read_timeout=20)


class TargetError(Exception):
    """The CLI cannot tell, or cannot reach, the Newsdesk it should work on."""


@dataclass(frozen=True)
class Target:
    table_name: str
    archive_bucket: str
    snapshot_bucket: str
    endpoint_url: str | None
    region: str
    description: str = ""
    # The stack's name (the local stack's names its resources) and the local site's URL ("" if none).
    stack_name: str = ""
    site_url: str = ""

    @property
    def is_local(self) -> bool:
        return self.endpoint_url is not None

    def dynamodb_client(self) -> DynamoDBClient:
        client: DynamoDBClient = self._client("dynamodb")
        return client

    def s3_client(self) -> S3Client:
        client: S3Client = self._client("s3")
        return client

    def sqs_client(self) -> Any:
        return self._client("sqs")

    def streams_client(self) -> Any:
        return self._client("dynamodbstreams")

    def _client(self, service_name: str) -> Any:
        options: dict[str, Any] = {"region_name": self.region, "config": _CONFIG}
        if self.endpoint_url is not None:
            options["endpoint_url"] = self.endpoint_url
            if not (os.environ.get("AWS_ACCESS_KEY_ID") and os.environ.get("AWS_SECRET_ACCESS_KEY")):
                options["aws_access_key_id"] = _FAKE_CREDENTIAL
                options["aws_secret_access_key"] = _FAKE_CREDENTIAL
        return boto3.client(service_name, **options)  # type: ignore[call-overload]


def resolve_target(
    stack: str | None,
    local_file: Path = DEFAULT_LOCAL_FILE,
    *,
    region: str | None = None,
    cloudformation: CloudFormationClient | None = None,
) -> Target:
    """The deployed stack ``stack`` if named, else the local stack described by ``local_file``.

    ``region`` applies to a deployed stack (default: the standard AWS settings); the local stack
    runs in the region its file records.
    """
    if stack:
        return _stack_target(stack, region, cloudformation)
    if local_file.is_file():
        return _local_target(local_file)
    raise TargetError(
        f"No target: {local_file} does not exist. Start the local stack with `make run`, "
        "or pass --stack NAME to work on a deployed stack."
    )


def _stack_target(stack: str, region: str | None, cloudformation: CloudFormationClient | None) -> Target:
    client = cloudformation or boto3.client("cloudformation", region_name=region, config=_CONFIG)
    try:
        stacks = client.describe_stacks(StackName=stack)["Stacks"]
    except ClientError as error:
        raise TargetError(f"Cannot read stack {stack!r}: {error.response['Error'].get('Message', error)}") from error
    except BotoCoreError as error:
        raise TargetError(f"Cannot read stack {stack!r}: {error}") from error
    outputs = {output["OutputKey"]: output.get("OutputValue", "") for output in stacks[0].get("Outputs", [])}
    missing = [key for key in (TABLE_OUTPUT, ARCHIVE_BUCKET_OUTPUT) if not outputs.get(key)]
    if missing:
        raise TargetError(f"Stack {stack!r} has no output {', '.join(missing)}; is it a Newsdesk stack?")
    return Target(
        table_name=outputs[TABLE_OUTPUT],
        archive_bucket=outputs[ARCHIVE_BUCKET_OUTPUT],
        snapshot_bucket=outputs.get(SNAPSHOT_BUCKET_OUTPUT, ""),
        endpoint_url=None,
        region=client.meta.region_name,
        description=f"stack {stack}",
        stack_name=stack,
    )


def _local_target(local_file: Path) -> Target:
    try:
        settings = json.loads(local_file.read_text(encoding="utf-8"))
        return Target(
            table_name=settings["table_name"],
            archive_bucket=settings["archive_bucket"],
            snapshot_bucket=settings.get("snapshot_bucket", ""),
            endpoint_url=settings["aws_endpoint_url"],
            region=settings["region"],
            description=f"local stack at {settings['aws_endpoint_url']}",
            stack_name=settings.get("stack_name", ""),
            site_url=settings.get("site_url", ""),
        )
    except (OSError, ValueError, KeyError, TypeError) as error:
        raise TargetError(
            f"{local_file} is unreadable or incomplete ({error!r}); restart the local stack with `make run`."
        ) from error
