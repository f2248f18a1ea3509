"""Secrets Manager: the one secret the functions read (the key of the client-address hash).

Read once per process (the caller caches it), on the first request that needs it, never at import.
The value is never logged.
"""

from __future__ import annotations

import boto3
from botocore.config import Config

# As the other clients (newsdesk.dal.clients): back off on throttling, fail fast otherwise.
_CONFIG = Config(retries={"max_attempts": 3, "mode": "standard"}, connect_timeout=3, read_timeout=10)


def read_secret(secret_id: str) -> bytes:
    """The current value of a secret (ARN or name), as bytes."""
    # A client of its own, made once per process by the caller's cache: no other code needs it.
    client = boto3.client("secretsmanager", config=_CONFIG)
    response = client.get_secret_value(SecretId=secret_id)
    value: str = response["SecretString"]
    return value.encode("utf-8")
