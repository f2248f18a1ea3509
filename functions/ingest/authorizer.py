"""Lambda authorizer of the HTTP API (payload 2.0, simple responses).

The authorizer identifies; the route handler decides. Every request is let through
(``isAuthorized`` is always true) with a context that says who is calling:

- a valid ``Authorization: Bearer <key>`` header ->
  ``{"partner_id", "key_id", "role", "language", "section", "partner_name"}``
  (see ``Principal.to_authorizer_context``)
- anything else -> ``{"anonymous": "true"}``; when the key could not be checked because
  DynamoDB failed, also ``"auth_unavailable": "true"`` so the handler can answer 503 instead
  of telling a partner its key is wrong.

Handlers read it back with ``Principal.from_authorizer_context(event.requestContext.authorizer
.lambda)``. Denying here would make API Gateway answer with its own 401/403 bodies, which are not
RFC 9457 problem documents, and would shut out the anonymous readers of the events route.
The gateway has no identity sources and no cache, so this runs for every request.
"""

from __future__ import annotations

from functools import cache
from typing import Any

from aws_lambda_powertools.logging import correlation_paths
from aws_lambda_powertools.utilities.data_classes.api_gateway_authorizer_event import (
    APIGatewayAuthorizerEventV2,
    APIGatewayAuthorizerResponseV2,
)
from aws_lambda_powertools.utilities.typing import LambdaContext
from botocore.exceptions import BotoCoreError, ClientError

from newsdesk.dal.partners import PartnerStore
from newsdesk.observability import lambda_entry, logger
from newsdesk.partners import hash_secret, looks_like_secret
from newsdesk.settings import get_settings
from newsdesk.snapstart import prepare_snapshot

ANONYMOUS_CONTEXT: dict[str, str] = {"anonymous": "true"}
UNAVAILABLE_CONTEXT: dict[str, str] = {"anonymous": "true", "auth_unavailable": "true"}


@cache
def partner_store() -> PartnerStore:
    return PartnerStore(get_settings().table_name)


def bearer_token(headers: dict[str, str]) -> str | None:
    """The token of an ``Authorization: Bearer`` header (scheme case-insensitive), else None."""
    value = next((v for k, v in headers.items() if k.lower() == "authorization"), None)
    if not value:
        return None
    scheme, _, token = value.strip().partition(" ")
    token = token.strip()
    if scheme.lower() != "bearer" or not token or " " in token:
        return None
    return token


# log_event is pinned to False: the event carries the secret, and POWERTOOLS_LOGGER_LOG_EVENT
# would otherwise switch event logging on. lambda_entry drops the previous caller's keys.
@lambda_entry(log_event=False, correlation_id_path=correlation_paths.API_GATEWAY_HTTP)
def handler(event: dict[str, Any], context: LambdaContext) -> dict[str, Any]:
    request = APIGatewayAuthorizerEventV2(event)
    logger.append_keys(route_key=request.get("routeKey"))
    return APIGatewayAuthorizerResponseV2(authorize=True, context=identify(request)).asdict()


def identify(request: APIGatewayAuthorizerEventV2) -> dict[str, str]:
    token = bearer_token(request.get("headers") or {})
    if token is None:
        logger.info("Anonymous request", reason="no bearer token")
        return dict(ANONYMOUS_CONTEXT)
    if not looks_like_secret(token):
        logger.info("Anonymous request", reason="malformed key")
        return dict(ANONYMOUS_CONTEXT)
    try:
        principal = partner_store().resolve(token)
    except (ClientError, BotoCoreError):
        logger.exception("Key lookup failed")
        return dict(UNAVAILABLE_CONTEXT)
    if principal is None:
        # A prefix of the hash lets an operator match it against stored key items (e.g. a revoked
        # key still in use) without the secret ever reaching the logs.
        logger.info("Anonymous request", reason="unknown or revoked key", key_hash_prefix=hash_secret(token)[:12])
        return dict(ANONYMOUS_CONTEXT)
    logger.append_keys(partner_id=principal.partner_id, key_id=principal.key_id)
    logger.info("Request identified", role=principal.role)
    return principal.to_authorizer_context()


def warm_up() -> None:
    """SnapStart: settings and the DynamoDB client, built before the snapshot (no AWS call)."""
    partner_store()
    hash_secret("warm-up")


# Only during a SnapStart init (newsdesk.snapstart); an ordinary import builds nothing. Nothing of
# the authorizer's own is unique per environment (newsdesk.snapstart renews the random state).
prepare_snapshot(warm_up)
