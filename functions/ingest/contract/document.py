"""The OpenAPI 3.1 document, built from the body models and the route table.

Only development tools run this (``python -m ingest.contract``); the handler serves the committed result.
"""

from __future__ import annotations

import json
from importlib import resources
from pathlib import Path
from typing import Any

from pydantic.json_schema import GenerateJsonSchema, models_json_schema
from pydantic_core import CoreSchema

from ingest.contract.bodies import OPENAPI_DOCUMENT_SCHEMA, REQUEST_MODELS, RESPONSE_MODELS
from ingest.contract.routes import ROUTES, Route
from newsdesk.errors import NotFound
from newsdesk.problems import PROBLEM_BASE, PROBLEM_CONTENT_TYPE
from newsdesk.ratelimit import RateLimited

DOCUMENT_FILE = Path(__file__).parent.parent / "openapi.json"
SCHEMAS = "#/components/schemas/"
JSON = "application/json"
NINJS_SCHEMA_FILE = "ninjs-schema_2.2.json"
# ninjs 3.x is described by the 3.1 schema (3.0 documents are valid 3.1 ones but for its few additions).
NINJS3_SCHEMA_FILE = "ninjs-schema_3.1.json"
# What POST and PUT take: a ninjs 2.x or a 3.x document. anyOf, not oneOf: a document with only
# fields both versions spell alike ({"uri": ...}) is valid under both.
NINJS_DOCUMENT_SCHEMA: dict[str, Any] = {
    "description": (
        "An IPTC ninjs document: 2.x (`Ninjs`, the 2.2 schema) or 3.x (`Ninjs3`, the 3.1 schema, camelCase "
        "names such as `pubStatus`); Newsdesk decides which by `standard.version`, `standard.schema`, "
        '`$schema` or the field names (docs/api.md, "ninjs versions").'
    ),
    "anyOf": [{"$ref": SCHEMAS + "Ninjs"}, {"$ref": SCHEMAS + "Ninjs3"}],
}
GEOJSON_REF = "https://geojson.org/schema/GeoJSON.json#"
# newsdesk.problems.internal_error_response: the one problem that is no NewsdeskError.
INTERNAL_ERROR = (500, "internal-error", "Newsdesk failed; the request can be retried")
# Where API Gateway answers itself, with {"message": ...}: a body over its 10 MB limit (413, routes
# that take a body), a request over the route's throttle (429, every route), a function that failed
# (500) or timed out (503).
GATEWAY_STATUSES_WITH_BODY = (413, 429, 500, 503)
GATEWAY_STATUSES = (429, 500, 503)
THROTTLED = 'API Gateway\'s throttle of the route (`{"message": "Too Many Requests"}`, no Retry-After)'

INFO = {
    "title": "Newsdesk partner API",
    "version": "1",
    "description": (
        "Partners submit IPTC ninjs 2.x or 3.x articles; the site reports readers' views and comment counts. "
        "Send `Authorization: Bearer <key>`. Every error Newsdesk answers is RFC 9457 "
        "`application/problem+json` (the `type`s are listed in docs/api.md); a method and path no route "
        "takes get a 404 (`components/responses/NoRoute`). A partner over its rate limit gets 429 `rate-limited` "
        "with `Retry-After` (seconds). API Gateway itself may answer 404 (no route), 413, 429 (its throttle), "
        '500 or 503 with `{"message": "..."}` (`GatewayMessage`), and refuses a malformed request, or one '
        "whose request line and headers exceed 10,240 bytes, before any route (a 4xx)."
    ),
}
SECURITY_SCHEMES = {
    "partnerKey": {"type": "http", "scheme": "bearer", "description": "A partner's key (`newsdesk partners add`)."},
    "siteKey": {"type": "http", "scheme": "bearer", "description": "The site's key (role `site`)."},
}
HEADERS = {
    "ETag": {
        "description": 'The revision, quoted, e.g. "3"; send it back in If-Match.',
        "required": True,
        "schema": {"type": "string", "pattern": '^"[0-9]+"$'},
    },
    "Location": {
        "description": "The article's address.",
        "required": True,
        "schema": {"type": "string", "pattern": "^/v1/articles/[^/]+$"},
    },
    # Not required: API Gateway's own 429 (its throttle) carries none; the rate-limited problem always does.
    "Retry-After": {
        "description": "Whole seconds until the partner's next rate-limit window, when it may send again.",
        "required": False,
        "schema": {"type": "string", "pattern": "^[1-9][0-9]*$"},
    },
}


class _NoFieldTitles(GenerateJsonSchema):
    """pydantic titles every field after its name; in a document read by people that is noise."""

    def field_title_should_be_set(self, schema: CoreSchema) -> bool:
        return False


def model_schemas() -> dict[str, Any]:
    _, top = models_json_schema(
        [(model, "serialization") for model in RESPONSE_MODELS] + [(model, "validation") for model in REQUEST_MODELS],
        ref_template=SCHEMAS + "{model}",
        schema_generator=_NoFieldTitles,
    )
    schemas: dict[str, Any] = top["$defs"]
    return schemas


def ninjs_schemas(schema_file: str = NINJS_SCHEMA_FILE, prefix: str = "Ninjs") -> dict[str, Any]:
    """A ninjs schema (2.2 by default) as components that standard OpenAPI tools resolve.

    Its ``$defs`` become components (``prefix`` + name), every ``#/$defs/...`` reference points at them,
    and the one reference to the web (GeoJSON, which Newsdesk never reads nor fetches) becomes a local
    ``{"type": "object"}``. The root keeps no ``$id``: it would rebase every reference onto iptc.org.
    """
    text = resources.files("newsdesk").joinpath("schemas", schema_file).read_text(encoding="utf-8")
    root: dict[str, Any] = json.loads(text)
    definitions: dict[str, Any] = root.pop("$defs")
    del root["$id"], root["$schema"]
    names = {name: prefix + name[0].upper() + name[1:] for name in definitions}

    def rewrite(node: Any) -> Any:
        if isinstance(node, list):
            return [rewrite(item) for item in node]
        if not isinstance(node, dict):
            return node
        reference = node.get("$ref")
        if reference == GEOJSON_REF:
            return {"type": "object", "description": "A GeoJSON object (https://geojson.org)."}
        if reference is not None:
            name = reference.removeprefix("#/$defs/")
            if name == reference or name not in names:
                raise ValueError(f"ninjs schema: unexpected $ref {reference!r}")
            node = {**node, "$ref": SCHEMAS + names[name]}
        if {"$id", "$anchor", "$dynamicRef", "$dynamicAnchor", "$defs"} & node.keys():
            raise ValueError(f"ninjs schema: {sorted(node)} cannot become components")
        return {key: rewrite(value) for key, value in node.items()}

    referenced = set(json.dumps([root, definitions]).split('"'))
    schemas = {prefix: rewrite(root)}
    for name, definition in definitions.items():
        # The schema's $defs also holds a stray `"unevaluatedProperties": false` nothing refers to.
        if f"#/$defs/{name}" in referenced:
            schemas[names[name]] = rewrite(definition)
    return schemas


def problem_name(slug: str) -> str:
    return "Problem" + "".join(part.capitalize() for part in slug.split("-"))


def problem_type(status: int, slug: str, title: str) -> dict[str, Any]:
    """A problem of one ``type``: ``Problem`` with that type and status fixed."""
    return {
        "description": f"{status} {title}",
        "allOf": [
            {"$ref": SCHEMAS + "Problem"},
            {"properties": {"status": {"const": status}, "type": {"const": PROBLEM_BASE + slug}}},
        ],
    }


def problems_of(route: Route) -> dict[int, list[tuple[int, str, str]]]:
    """(status, type, title) of every problem the route can answer, by status."""
    found = [(error.status, error.type_slug, error.title) for error in route.errors] + [INTERNAL_ERROR]
    by_status: dict[int, list[tuple[int, str, str]]] = {}
    for problem in found:
        by_status.setdefault(problem[0], []).append(problem)
    return by_status


def problem_response(problems: list[tuple[int, str, str]]) -> dict[str, Any]:
    references = [{"$ref": SCHEMAS + problem_name(slug)} for _, slug, _ in problems]
    schema = references[0] if len(references) == 1 else {"anyOf": references}
    return {
        "description": "; ".join(f"{title} (`{slug}`)" for _, slug, title in problems),
        "content": {PROBLEM_CONTENT_TYPE: {"schema": schema}},
    }


def responses_of(route: Route) -> dict[str, Any]:
    responses: dict[int, dict[str, Any]] = {}
    for status, success in route.success.items():
        response: dict[str, Any] = {"description": success.description}
        if success.headers:
            response["headers"] = {name: {"$ref": "#/components/headers/" + name} for name in success.headers}
        if success.schema:
            response["content"] = {JSON: {"schema": {"$ref": SCHEMAS + success.schema}}}
        responses[status] = response
    for status, problems in problems_of(route).items():
        responses[status] = problem_response(problems)
    for status in GATEWAY_STATUSES_WITH_BODY if route.request_schema else GATEWAY_STATUSES:
        response = responses.setdefault(status, {"description": "API Gateway's own answer", "content": {}})
        response["content"][JSON] = {"schema": {"$ref": SCHEMAS + "GatewayMessage"}}
    if RateLimited in route.errors:
        responses[429]["description"] += "; or " + THROTTLED
        responses[429]["headers"] = {"Retry-After": {"$ref": "#/components/headers/Retry-After"}}
    else:
        responses[429]["description"] = THROTTLED
    return {str(status): responses[status] for status in sorted(responses)}


def operation(route: Route) -> dict[str, Any]:
    result: dict[str, Any] = {"operationId": route.operation_id, "summary": route.summary}
    if route.description:
        result["description"] = route.description
    result["security"] = list(route.security)
    if route.parameters:
        result["parameters"] = list(route.parameters)
    if route.request_schema:
        schema = {"$ref": SCHEMAS + route.request_schema}
        result["requestBody"] = {"required": True, "content": {JSON: {"schema": schema}}}
    result["responses"] = responses_of(route)
    return result


def build_document() -> dict[str, Any]:
    paths: dict[str, Any] = {}
    for route in ROUTES:
        item = paths.setdefault(route.path, {})
        if "{article_id}" in route.path:
            item["parameters"] = [{"name": "article_id", "in": "path", "required": True, "schema": {"type": "string"}}]
        item[route.method] = operation(route)
    not_found = (NotFound.status, NotFound.type_slug, NotFound.title)
    problems = {problem for route in ROUTES for found in problems_of(route).values() for problem in found}
    schemas = {
        **model_schemas(),
        "OpenApiDocument": OPENAPI_DOCUMENT_SCHEMA,
        **{problem_name(slug): problem_type(status, slug, title) for status, slug, title in problems | {not_found}},
        **ninjs_schemas(),
        **ninjs_schemas(NINJS3_SCHEMA_FILE, "Ninjs3"),
        "NinjsDocument": NINJS_DOCUMENT_SCHEMA,
    }
    no_route = problem_response([not_found])
    # The ingest app (and the local stack) answer a 404 problem; the deployed HTTP API has no $default
    # route, so there API Gateway answers {"message": "Not Found"} before any function runs.
    no_route["description"] = "No route takes this method and path: a `not-found` problem, or API Gateway's own"
    no_route["content"][JSON] = {"schema": {"$ref": SCHEMAS + "GatewayMessage"}}
    return {
        "openapi": "3.1.0",
        "info": INFO,
        "paths": paths,
        "components": {
            "schemas": dict(sorted(schemas.items())),
            "responses": {"NoRoute": no_route},
            "headers": HEADERS,
            "securitySchemes": SECURITY_SCHEMES,
        },
    }


def document_text() -> str:
    """The committed file's exact text: stable order, UTF-8 as is, one trailing newline."""
    return json.dumps(build_document(), ensure_ascii=False, indent=2) + "\n"
