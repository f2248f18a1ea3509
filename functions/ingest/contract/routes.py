"""The routes of ingest.app as the contract describes them: statuses, bodies, headers, security, and the
domain errors (newsdesk.errors) each route can answer with.

A test checks that these are exactly the routes registered on ``ingest.app.app``.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Any

from newsdesk.errors import (
    Forbidden,
    IdempotencyInProgress,
    IdempotencyKeyReused,
    MalformedRequest,
    NewsdeskError,
    NotFound,
    PayloadTooLarge,
    PreconditionFailed,
    PreconditionRequired,
    ServiceUnavailable,
    Unauthenticated,
    UnsupportedMediaType,
    ValidationFailed,
    VersionConflict,
)
from newsdesk.ratelimit import RateLimited

PARTNER_KEY: tuple[dict[str, list[str]], ...] = ({"partnerKey": []},)


@dataclass(frozen=True)
class Success:
    description: str
    schema: str | None = None  # a components/schemas name; None: no body
    headers: tuple[str, ...] = ()  # components/headers names


@dataclass(frozen=True)
class Route:
    method: str
    path: str  # OpenAPI's spelling: Powertools' "<article_id>" is "{article_id}" here
    operation_id: str
    summary: str
    success: dict[int, Success]
    errors: tuple[type[NewsdeskError], ...]
    security: tuple[dict[str, list[str]], ...] = PARTNER_KEY
    request_schema: str | None = None  # a components/schemas name
    parameters: tuple[dict[str, Any], ...] = field(default=())
    description: str = ""


def header(name: str, description: str, *, required: bool = False) -> dict[str, Any]:
    return {
        "name": name,
        "in": "header",
        "required": required,
        "schema": {"type": "string"},
        "description": description,
    }


ARTICLE = "/v1/articles/{article_id}"
STORED = ("ETag", "Location")
# What request_body() and parse_json() refuse, and what a key check can answer.
BODY_ERRORS = (MalformedRequest, PayloadTooLarge, UnsupportedMediaType, ValidationFailed)
KEY_ERRORS = (Unauthenticated, ServiceUnavailable)
# Partner routes also count against the partner's rate limit (429 with Retry-After) once the key is known.
PARTNER_ERRORS = (*KEY_ERRORS, RateLimited)
NINJS_BODY = (
    "The body is an IPTC ninjs 2.x document (schema `Ninjs`) or a ninjs 3.0/3.1 document (schema `Ninjs3`, "
    "camelCase names; recognised by `standard.version`, `standard.schema`, `$schema` or its field names, and "
    "checked against its own IPTC schema) in Newsdesk's profile (docs/api.md): a uri, a headline and a body are "
    "required. Fields the ninjs schema does not know are not refused: they stay in the archive and are listed in "
    "`warnings`."
)

ROUTES: tuple[Route, ...] = (
    Route(
        method="post",
        path="/v1/articles",
        operation_id="createArticle",
        summary="Submit an article: new, a new revision, or a replay",
        success={
            201: Success("A new article", "ArticleAccepted", STORED),
            200: Success("A new revision, or a replay of the stored content", "ArticleAccepted", STORED),
        },
        errors=(*BODY_ERRORS, *PARTNER_ERRORS, VersionConflict, IdempotencyInProgress, IdempotencyKeyReused),
        request_schema="NinjsDocument",
        parameters=(header("Idempotency-Key", "A retry with the same key gets the first response (kept 24 h)."),),
        description=NINJS_BODY,
    ),
    Route(
        method="get",
        path=ARTICLE,
        operation_id="getArticle",
        summary="Read one of your articles",
        success={200: Success("The stored record and the normalized article", "ArticleView", STORED)},
        errors=(*PARTNER_ERRORS, NotFound),
    ),
    Route(
        method="put",
        path=ARTICLE,
        operation_id="replaceArticle",
        summary="Replace an article; the document's uri must name this article",
        success={200: Success("Replaced, or the same content again (a replay)", "ArticleAccepted", STORED)},
        errors=(*BODY_ERRORS, *PARTNER_ERRORS, NotFound, VersionConflict, PreconditionFailed, PreconditionRequired),
        request_schema="NinjsDocument",
        parameters=(header("If-Match", 'The ETag you hold, e.g. "3"; without it: 428.', required=True),),
        description=NINJS_BODY,
    ),
    Route(
        method="delete",
        path=ARTICLE,
        operation_id="retractArticle",
        summary="Retract an article; repeating it changes nothing",
        success={204: Success("Retracted")},
        errors=(*PARTNER_ERRORS, NotFound, VersionConflict),
    ),
    Route(
        method="post",
        path="/v1/events",
        operation_id="recordEvents",
        summary="Record readers' views (no key) and the site's comment counts (site key)",
        success={202: Success("Taken; the body says which events counted", "EventsAccepted")},
        errors=(*BODY_ERRORS, *KEY_ERRORS, Forbidden),
        # {}: views need no key. Comment counts need the site's key: 401 without one, 403 with another.
        security=({}, {"siteKey": []}),
        request_schema="EventsRequest",
        parameters=(header("User-Agent", "Views from crawlers, or without a User-Agent, are ignored."),),
    ),
    Route(
        method="get",
        path="/v1/openapi.json",
        operation_id="getOpenApiDocument",
        summary="This document; no key needed",
        success={200: Success("The OpenAPI document", "OpenApiDocument")},
        errors=(),
        security=(),
    ),
)
