"""The optional ``Idempotency-Key`` header, on top of Powertools' idempotency utility.

Content-based replay already makes retries safe; the header adds two things partners expect from
it: a retry gets the very response of the first request, and reusing a key for a different body is
refused (422) instead of silently treated as a new request. Keys are scoped per partner.
"""

from __future__ import annotations

import contextlib
import hashlib
from collections.abc import Callable
from functools import cache
from typing import TYPE_CHECKING, Any

from newsdesk.dal.clients import dynamodb_client
from newsdesk.dal.keys import IDEMPOTENCY_PK
from newsdesk.errors import IdempotencyInProgress, IdempotencyKeyReused
from newsdesk.observability import logger
from newsdesk.settings import get_settings

if TYPE_CHECKING:
    # Powertools' idempotency utility is imported on the first request that carries the header:
    # most requests do not, and a cold start should not pay for it.
    from aws_lambda_powertools.utilities.idempotency import DynamoDBPersistenceLayer, IdempotencyConfig
    from aws_lambda_powertools.utilities.typing import LambdaContext

# A day covers any sensible partner retry schedule; the table's TTL removes the records after.
KEY_LIFETIME_SECONDS = 24 * 60 * 60
Work = Callable[[], dict[str, Any]]


def _run(request: dict[str, str], work: Work) -> dict[str, Any]:
    return work()


@cache
def _config() -> IdempotencyConfig:
    from aws_lambda_powertools.utilities.idempotency import IdempotencyConfig

    return IdempotencyConfig(
        event_key_jmespath="[partner_id, key]",
        payload_validation_jmespath="body_sha256",
        expires_after_seconds=KEY_LIFETIME_SECONDS,
    )


@cache
def _persistence() -> DynamoDBPersistenceLayer:
    from aws_lambda_powertools.utilities.idempotency import DynamoDBPersistenceLayer

    return DynamoDBPersistenceLayer(
        table_name=get_settings().table_name,
        key_attr="PK",
        sort_key_attr="SK",
        static_pk_value=IDEMPOTENCY_PK,
        boto3_client=dynamodb_client(),
    )


@cache
def _idempotent_run() -> Callable[..., dict[str, Any]]:
    """Built on first use, so that nothing reads settings or creates clients at import time."""
    from aws_lambda_powertools.utilities.idempotency import idempotent_function

    run: Callable[..., dict[str, Any]] = idempotent_function(
        data_keyword_argument="request", persistence_store=_persistence(), config=_config()
    )(_run)
    return run


def run_idempotent(
    partner_id: str, key: str, body: bytes, work: Work, lambda_context: LambdaContext | None = None
) -> dict[str, Any]:
    """Run ``work`` once per (partner, key); later calls with the same key get the stored result."""
    from aws_lambda_powertools.utilities.idempotency.exceptions import (
        IdempotencyAlreadyInProgressError,
        IdempotencyPersistenceLayerError,
        IdempotencyValidationError,
    )

    if lambda_context is not None:
        # Lets a record left "in progress" by a timed-out invocation expire with that invocation.
        _config().register_lambda_context(lambda_context)
    request = {"partner_id": partner_id, "key": key, "body_sha256": hashlib.sha256(body).hexdigest()}
    try:
        return _idempotent_run()(request=request, work=work)
    except IdempotencyValidationError as error:
        raise IdempotencyKeyReused(
            "This Idempotency-Key was used with a different body; use a new key for a new request."
        ) from error
    except IdempotencyAlreadyInProgressError as error:
        raise IdempotencyInProgress("The first request with this Idempotency-Key is still running.") from error
    except IdempotencyPersistenceLayerError as error:
        # The key's record could not be written (throttled, or the answer was lost after DynamoDB
        # wrote it "in progress"). A record left "in progress" would answer 409 to every retry until
        # it expires, with nothing running: it is removed, and the request runs without it — ingest
        # recognises a repeated document by its content and answers it as a replay.
        logger.warning("Idempotency-Key record unavailable; the request runs on content-based replay")
        with contextlib.suppress(Exception):
            _persistence().delete_record(data=request, exception=error)
        return work()
