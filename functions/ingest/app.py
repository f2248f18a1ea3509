"""HTTP entry point of the partner API (API Gateway HTTP API, payload 2.0).

Routes stay thin: read the request, call IngestService, shape the response. Every error is a
domain exception turned into problem+json in one place (newsdesk.problems).
"""

from __future__ import annotations

import base64
import json
from datetime import UTC, datetime
from functools import cache
from pathlib import Path
from typing import TYPE_CHECKING, Any

from aws_lambda_powertools.event_handler import APIGatewayHttpResolver, Response
from aws_lambda_powertools.event_handler.middlewares import NextMiddleware
from aws_lambda_powertools.logging import correlation_paths
from aws_lambda_powertools.metrics import MetricUnit
from aws_lambda_powertools.utilities.typing import LambdaContext

from ingest.idempotency import run_idempotent
from ingest.service import IngestOutcome, IngestService
from ingest.throttle import enforce_partner_rate
from newsdesk.articles import utc_text
from newsdesk.dal.archive import Archive
from newsdesk.dal.articles import ArticleStore
from newsdesk.errors import (
    MalformedRequest,
    NewsdeskError,
    NotFound,
    PayloadTooLarge,
    PreconditionRequired,
    ServiceUnavailable,
    Unauthenticated,
    UnsupportedMediaType,
)
from newsdesk.observability import lambda_entry, logger, metrics
from newsdesk.partners import Principal
from newsdesk.problems import internal_error_response, problem_response
from newsdesk.ratelimit import RateLimited
from newsdesk.settings import get_settings
from newsdesk.snapstart import prepare_snapshot

if TYPE_CHECKING:
    from ingest.engagement import EngagementService

app = APIGatewayHttpResolver()
JSON = "application/json; charset=utf-8"
# The template's catch-all route (UnknownRoutes): API Gateway sends it what matches no route.
CATCH_ALL_ROUTE_KEY = "$default"


def no_route() -> NotFound:
    event = app.current_event
    return NotFound(f"No route for {event.request_context.http.method} {event.path}.")


def refuse_catch_all(router: APIGatewayHttpResolver, next_middleware: NextMiddleware) -> Response[Any]:
    """A request API Gateway sent through $default matched none of its routes: it is an unknown route.

    Powertools matches the method upper-cased, so "post /v1/events" (methods are case-sensitive in
    API Gateway: no route, so $default, without the route's authorizer and throttle) would run the
    events handler. Every route of this function has its own route key in the template; the
    catch-all must never reach one.
    """
    if router.current_event.raw_event.get("routeKey") == CATCH_ALL_ROUTE_KEY:
        raise no_route()
    return next_middleware(router)


app.use(middlewares=[refuse_catch_all])


@cache
def ingest_service() -> IngestService:
    settings = get_settings()
    return IngestService(store=ArticleStore(settings.table_name), archive=Archive(settings.archive_bucket))


def current_principal() -> Principal:
    """The partner behind the request, as identified by the authorizer; 401 for anyone else."""
    context = app.current_event.request_context.authorizer.get_lambda
    if context.get("auth_unavailable") == "true":
        # The key store could not be asked: a retry may succeed, the key may well be valid.
        raise ServiceUnavailable("Keys cannot be checked right now; retry shortly.")
    principal = Principal.from_authorizer_context(context)
    if principal is None or principal.role != "partner":
        raise Unauthenticated("Send 'Authorization: Bearer <key>' with a valid partner key.")
    logger.append_keys(partner_id=principal.partner_id)
    # Every partner route passes here once the key is known: the per-partner limit (429) comes first.
    enforce_partner_rate(principal.partner_id)
    return principal


def request_body() -> bytes:
    """The exact bytes the partner sent, after the checks that need no parsing (415, 413)."""
    event = app.current_event
    content_type = (event.headers.get("content-type") or "").lower()
    media_type, _, params = content_type.partition(";")
    media_type = media_type.strip()
    if not (
        media_type == "application/json" or (media_type.startswith("application/") and media_type.endswith("+json"))
    ):
        raise UnsupportedMediaType(f"Content-Type must be application/json, not '{media_type or 'none'}'.")
    charset = params.partition("charset=")[2].strip().strip('"')
    if charset and charset.lower() not in ("utf-8", "utf8"):
        raise UnsupportedMediaType(f"JSON must be UTF-8, not '{charset}'.")
    text = event.get("body") or ""
    try:
        raw = base64.b64decode(text, validate=True) if event.get("isBase64Encoded") else text.encode("utf-8")
    except ValueError as error:
        raise MalformedRequest("The body could not be decoded.") from error
    limit = get_settings().max_body_bytes
    if len(raw) > limit:
        raise PayloadTooLarge(f"The body is {len(raw)} bytes; the limit is {limit} bytes.")
    if not raw:
        raise MalformedRequest("The body is empty; send a JSON document.")
    return raw


def request_id() -> str:
    return app.current_event.request_context.request_id or ""


def outcome_body(outcome: IngestOutcome) -> dict[str, Any]:
    record = outcome.record
    return {
        "id": record.article_id,
        "uri": record.uri,
        "revision": record.revision,
        "status": record.status.value,
        "replayed": outcome.replayed,
        "version": record.version,
        "section": record.section,
        "language": record.language,
        "headline": record.headline,
        "updated_at": utc_text(record.updated_at),
        "warnings": outcome.warnings,
    }


def article_headers(article_id: str, revision: int) -> dict[str, str]:
    return {"ETag": f'"{revision}"', "Location": f"/v1/articles/{article_id}"}


def outcome_response(outcome: IngestOutcome) -> Response[str]:
    status = 201 if outcome.created else 200
    return Response(
        status_code=status,
        content_type=JSON,
        body=json.dumps(outcome_body(outcome), ensure_ascii=False),
        headers=article_headers(outcome.record.article_id, outcome.record.revision),
    )


@app.post("/v1/articles")
def handle_create_article() -> Response[str]:
    principal = current_principal()
    raw = request_body()
    key = app.current_event.headers.get("idempotency-key")

    def submit() -> dict[str, Any]:
        outcome = ingest_service().submit(raw, principal, request_id=request_id())
        response = outcome_response(outcome)
        return {"status": response.status_code, "body": response.body, "headers": response.headers}

    result = run_idempotent(principal.partner_id, key, raw, submit, app.lambda_context) if key else submit()
    metrics.add_metric(name="ArticlesAccepted", unit=MetricUnit.Count, value=1)
    return Response(status_code=result["status"], content_type=JSON, body=result["body"], headers=result["headers"])


@app.put("/v1/articles/<article_id>")
def handle_replace_article(article_id: str) -> Response[str]:
    principal = current_principal()
    if_match = app.current_event.headers.get("if-match")
    if not if_match:
        raise PreconditionRequired("PUT replaces the whole article: send If-Match with the ETag you hold.")
    ingest_service().owned(article_id, principal)
    raw = request_body()
    outcome = ingest_service().submit(
        raw, principal, request_id=request_id(), replace_id=article_id, if_match=parse_etag(if_match)
    )
    return outcome_response(outcome)


@app.get("/v1/articles/<article_id>")
def handle_get_article(article_id: str) -> Response[str]:
    principal = current_principal()
    service = ingest_service()
    record = service.owned(article_id, principal)
    body = {
        "id": record.article_id,
        "uri": record.uri,
        "revision": record.revision,
        "status": record.status.value,
        "version": record.version,
        "versioncreated": utc_text(record.versioncreated) if record.versioncreated else None,
        "section": record.section,
        "language": record.language,
        "published_at": utc_text(record.published_at),
        "updated_at": utc_text(record.updated_at),
        "embargoed_until": utc_text(record.embargoed_until) if record.embargoed_until else None,
        "expires_at": utc_text(record.expires_at) if record.expires_at else None,
        "retraction_reason": record.retraction_reason.value if record.retraction_reason else None,
        "warnings": record.warnings,
        "article": service.normalized_of(record),
    }
    return Response(
        status_code=200,
        content_type=JSON,
        body=json.dumps(body, ensure_ascii=False),
        headers=article_headers(record.article_id, record.revision),
    )


@app.delete("/v1/articles/<article_id>")
def handle_retract_article(article_id: str) -> Response[str]:
    principal = current_principal()
    ingest_service().retract(article_id, principal, request_id=request_id())
    metrics.add_metric(name="ArticlesRetracted", unit=MetricUnit.Count, value=1)
    return Response(status_code=204, body="")


@cache
def openapi_text() -> str:
    """The committed contract (written by `python -m ingest.contract`), read on the first request for it."""
    return Path(__file__).with_name("openapi.json").read_text(encoding="utf-8")


@app.get("/v1/openapi.json")
def handle_get_openapi() -> Response[str]:
    return Response(status_code=200, content_type=JSON, body=openapi_text())


# --- engagement (issue 4): readers' views and the comment service's counts -----------------------


def engagement_service() -> EngagementService:
    # Imported here, not at the top: the articles routes are the cold-start path that matters, and
    # they need none of this. Not cached: it holds nothing but the (cached) client.
    from ingest.engagement import EngagementService, client_key
    from newsdesk.dal.engagement import CounterStore

    settings = get_settings()
    counters = CounterStore(settings.table_name)
    return EngagementService(
        counters=counters,
        articles=counters,
        client_key=client_key(settings.client_key_secret),
        views_per_client=settings.views_per_client_hour,
    )


@app.post("/v1/events")
def handle_record_events() -> Response[str]:
    """Views need no key; comment counts need the site's key (checked in EngagementService)."""
    context = app.current_event.request_context.authorizer.get_lambda
    outcome = engagement_service().record(
        request_body(),
        Principal.from_authorizer_context(context),
        app.current_event.headers.get("user-agent"),
        datetime.now(UTC),
        # The TCP peer as API Gateway saw it (never X-Forwarded-For, which the client writes).
        client_address=app.current_event.request_context.http.source_ip,
        keys_unavailable=context.get("auth_unavailable") == "true",
    )
    metrics.add_metric(name="EngagementEventsAccepted", unit=MetricUnit.Count, value=outcome.accepted)
    metrics.add_metric(name="EngagementEventsIgnored", unit=MetricUnit.Count, value=outcome.ignored)
    return Response(status_code=202, content_type=JSON, body=json.dumps(outcome.body()))


def parse_etag(value: str) -> int | None:
    """If-Match carries the ETag we sent: '"3"' (weak or strong); anything else matches nothing."""
    tag = value.strip().removeprefix("W/").strip('"')
    # isascii: str.isdigit also accepts "²" and other digits int() refuses; 18 digits: any revision.
    return int(tag) if tag.isascii() and tag.isdigit() and len(tag) <= 18 else None


@app.exception_handler(NewsdeskError)  # type: ignore[untyped-decorator]
def handle_domain_error(error: NewsdeskError) -> Response[str]:
    logger.info("request refused", extra={"status": error.status, "problem": error.type_slug, "detail": error.detail})
    return problem_response(error)


@app.exception_handler(RateLimited)  # type: ignore[untyped-decorator]
def handle_rate_limited(error: RateLimited) -> Response[str]:
    logger.info("request refused", extra={"status": error.status, "problem": error.type_slug})
    return problem_response(error, {"Retry-After": str(error.retry_after)})


@app.not_found
def handle_not_found(_: Exception) -> Response[str]:
    return problem_response(no_route())


@app.exception_handler(Exception)  # type: ignore[untyped-decorator]
def handle_unexpected(error: Exception) -> Response[str]:
    logger.exception("unexpected failure")
    return internal_error_response()


# lambda_entry clears the logger's keys per request: partner_id must not outlive its request.
@lambda_entry(correlation_id_path=correlation_paths.API_GATEWAY_HTTP)
def handler(event: dict[str, Any], context: LambdaContext) -> dict[str, Any]:
    return app.resolve(event, context)


def warm_up() -> None:
    """SnapStart: what the first request would build, built before the snapshot (no AWS call)."""
    # The events route's and idempotency's modules: imported lazily for on-demand cold starts only.
    import aws_lambda_powertools.utilities.idempotency  # noqa: F401

    import ingest.engagement  # noqa: F401
    from newsdesk.ninjs.schema import SCHEMA_FILES, validator
    from newsdesk.sanitize import plain_text, sanitize_html

    ingest_service()  # settings and the DynamoDB and S3 clients
    for version in SCHEMA_FILES:
        validator(version)
    sanitize_html("<p>warm</p>")
    plain_text("<b>warm</b>")


def after_restore() -> None:
    """Per environment: the readers' address key (a random one where no secret is configured)."""
    from ingest.engagement import client_key

    client_key.cache_clear()


# Only during a SnapStart init (newsdesk.snapstart); an ordinary import builds nothing.
prepare_snapshot(warm_up, after_restore)
