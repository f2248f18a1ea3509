"""GET /v1/openapi.json: the routes Powertools knows, completed with what partners need to know."""

from __future__ import annotations

import json
from functools import cache
from importlib import resources
from typing import Any

from aws_lambda_powertools.event_handler import APIGatewayHttpResolver

NINJS_REF = {"$ref": "#/components/schemas/ninjs"}
PROBLEM_SCHEMA: dict[str, Any] = {
    "type": "object",
    "required": ["type", "title", "status", "detail"],
    "properties": {
        "type": {"type": "string", "format": "uri"},
        "title": {"type": "string"},
        "status": {"type": "integer"},
        "detail": {"type": "string"},
        "errors": {
            "type": "array",
            "items": {
                "type": "object",
                "required": ["pointer", "message"],
                "properties": {"pointer": {"type": "string"}, "message": {"type": "string"}},
            },
        },
    },
}
ACCEPTED_SCHEMA: dict[str, Any] = {
    "type": "object",
    "required": ["id", "uri", "revision", "status", "replayed", "warnings"],
    "properties": {
        "id": {"type": "string"},
        "uri": {"type": "string"},
        "revision": {"type": "integer"},
        "status": {"enum": ["published", "withheld", "embargoed", "retracted"]},
        "replayed": {"type": "boolean"},
        "version": {"type": ["string", "null"]},
        "section": {"type": "string"},
        "language": {"type": "string"},
        "headline": {"type": "string"},
        "updated_at": {"type": "string", "format": "date-time"},
        "warnings": {"type": "array", "items": {"type": "string"}},
    },
}
# Which statuses each operation can answer, besides its success.
OPERATIONS: dict[tuple[str, str], dict[str, str]] = {
    ("post", "/v1/articles"): {
        "201": "Created: a new article",
        "200": "An update (new revision) or a replay",
        "400": "Malformed JSON",
        "401": "No valid key",
        "409": "Older version",
        "413": "Body over the limit",
        "415": "Not JSON",
        "422": "Not valid ninjs",
    },
    ("put", "/v1/articles/{article_id}"): {
        "200": "Replaced",
        "400": "Malformed JSON",
        "401": "No valid key",
        "404": "Not yours or none",
        "409": "Older version",
        "412": "If-Match is stale",
        "413": "Body over the limit",
        "415": "Not JSON",
        "422": "Not valid ninjs",
        "428": "If-Match missing",
    },
    ("get", "/v1/articles/{article_id}"): {
        "200": "The article",
        "401": "No valid key",
        "404": "Not yours or none",
    },
    ("delete", "/v1/articles/{article_id}"): {
        "204": "Retracted",
        "401": "No valid key",
        "404": "Not yours or none",
    },
}


def _ninjs_schema() -> dict[str, Any]:
    text = resources.files("newsdesk").joinpath("schemas/ninjs-schema_2.2.json").read_text(encoding="utf-8")
    schema: dict[str, Any] = json.loads(text)
    return schema


@cache
def openapi_document(app: APIGatewayHttpResolver) -> str:
    document: dict[str, Any] = json.loads(
        app.get_openapi_json_schema(
            title="Newsdesk partner API",
            version="1",
            description="Partners POST IPTC ninjs 2.x articles. Errors are RFC 9457 problem+json.",
        )
    )
    components = document.setdefault("components", {})
    components.setdefault("schemas", {}).update(
        {"ninjs": _ninjs_schema(), "Problem": PROBLEM_SCHEMA, "Accepted": ACCEPTED_SCHEMA}
    )
    components["securitySchemes"] = {"partnerKey": {"type": "http", "scheme": "bearer"}}
    for (method, path), statuses in OPERATIONS.items():
        operation = document["paths"][path][method]
        operation["security"] = [{"partnerKey": []}]
        if method in ("post", "put"):
            operation["requestBody"] = {
                "required": True,
                "content": {"application/json": {"schema": NINJS_REF}},
            }
        operation["responses"] = {status: _response(status, text) for status, text in statuses.items()}
    return json.dumps(document, ensure_ascii=False, sort_keys=True)


def _response(status: str, description: str) -> dict[str, Any]:
    if status.startswith(("4", "5")):
        return {
            "description": description,
            "content": {"application/problem+json": {"schema": {"$ref": "#/components/schemas/Problem"}}},
        }
    if status == "204":
        return {"description": description}
    return {
        "description": description,
        "content": {"application/json": {"schema": {"$ref": "#/components/schemas/Accepted"}}},
    }
