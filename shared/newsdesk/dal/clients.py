"""Lazily created AWS clients, one per process.

Nothing here runs at import time. Locally, boto3 reads AWS_ENDPOINT_URL (set by the local stack)
and talks to moto; in Lambda it talks to AWS.
"""

from __future__ import annotations

from functools import cache
from typing import TYPE_CHECKING

import boto3
from botocore.config import Config

if TYPE_CHECKING:
    from mypy_boto3_dynamodb import DynamoDBClient
    from mypy_boto3_s3 import S3Client

# Standard retry mode backs off on throttling; a partner's own retry covers the rest.
_CONFIG = Config(retries={"max_attempts": 3, "mode": "standard"}, connect_timeout=3, read_timeout=10)


@cache
def dynamodb_client() -> DynamoDBClient:
    return boto3.client("dynamodb", config=_CONFIG)


@cache
def s3_client() -> S3Client:
    return boto3.client("s3", config=_CONFIG)


def reset_clients() -> None:
    """Forget cached clients (tests that switch between emulated accounts call this)."""
    dynamodb_client.cache_clear()
    s3_client.cache_clear()
