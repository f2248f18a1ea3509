"""The OpenAPI document: generated from the contract's models and routes, committed, valid, complete,
faithful to the code it describes, and a checker of responses that can fail."""

from __future__ import annotations

import dataclasses
import json
from typing import Any

import jsonschema_rs
import pytest
from openapi_spec_validator import OpenAPIV31SpecValidator
from pydantic import TypeAdapter, ValidationError

from ingest.contract import bodies
from ingest.contract.document import DOCUMENT_FILE, build_document, document_text
from tests.conftest import FIXTURES
from tests.support.openapi_contract import Contract, served_contract

pytestmark = pytest.mark.unit

NINJS_FIXTURES = sorted((FIXTURES / "ninjs").glob("*.json"))


@pytest.fixture(scope="module")
def document() -> dict[str, Any]:
    loaded: dict[str, Any] = json.loads(DOCUMENT_FILE.read_text(encoding="utf-8"))
    return loaded


def refs_in(node: Any) -> list[str]:
    if isinstance(node, dict):
        own = [node["$ref"]] if isinstance(node.get("$ref"), str) else []
        return own + [ref for value in node.values() for ref in refs_in(value)]
    if isinstance(node, list):
        return [ref for item in node for ref in refs_in(item)]
    return []


# --- generated, committed, valid ---------------------------------------------------------------


def test_committed_document_is_what_the_contract_generates() -> None:
    # When the document is generated again from the models and routes
    # Then it is byte for byte the committed file (else: run `make openapi`)
    assert DOCUMENT_FILE.read_text(encoding="utf-8") == document_text(), "stale openapi.json: run `make openapi`"


def test_document_is_valid_openapi_3_1(document: dict[str, Any]) -> None:
    errors = [error.message for error in OpenAPIV31SpecValidator(document).iter_errors()]
    assert errors == []
    assert document["openapi"] == "3.1.0"


def test_every_reference_is_local_and_resolves(document: dict[str, Any]) -> None:
    # Given every $ref of the document (the embedded ninjs schema's included)
    refs = refs_in(document)
    assert "#/components/schemas/NinjsNinjsType" in refs
    for ref in set(refs):
        # Then each points inside the document, at something that is there
        assert ref.startswith("#/components/"), ref
        node: Any = document
        for token in ref.removeprefix("#/").split("/"):
            node = node[token.replace("~1", "/").replace("~0", "~")]


def test_every_route_of_the_app_is_documented_and_nothing_else() -> None:
    from ingest.app import app

    # Powertools lists the routes registered on the resolver, with OpenAPI path templates.
    registered = json.loads(app.get_openapi_json_schema())["paths"]
    routes = {(method, path) for path, item in registered.items() for method in item}
    documented = {(method, path) for path, item in build_document()["paths"].items() for method in item}
    assert documented - {("parameters", "/v1/articles/{article_id}")} == routes


def test_every_operation_documents_its_problems_and_internal_errors(document: dict[str, Any]) -> None:
    for path, item in document["paths"].items():
        for method, operation in item.items():
            if method == "parameters":
                continue
            responses = operation["responses"]
            assert "500" in responses, (method, path)
            for status, response in responses.items():
                content = response.get("content", {})
                # API Gateway's own answer alone (its throttle's 429 on routes Newsdesk never throttles)
                gateway_only = content == {
                    "application/json": {"schema": {"$ref": "#/components/schemas/GatewayMessage"}}
                }
                if status.startswith("4") and not gateway_only:
                    assert "application/problem+json" in content, (method, path, status)
            if operation["security"] and {} not in operation["security"]:
                assert "401" in responses, (method, path)


# --- the embedded ninjs schema ---------------------------------------------------------------------


def test_ninjs_request_body_judges_documents_as_the_ninjs_schema_does(document: dict[str, Any]) -> None:
    # Given the original schema (GeoJSON stood in locally) and the one embedded in the document
    from newsdesk.ninjs.schema import STAND_IN_SCHEMAS, ninjs_schema

    original = jsonschema_rs.Draft202012Validator(
        ninjs_schema(), registry=jsonschema_rs.Registry(list(STAND_IN_SCHEMAS.items())), offline=True
    )
    # (formats are annotations for both, as for the ingest validator)
    embedded = jsonschema_rs.Draft202012Validator(
        {"$ref": "urn:openapi#/components/schemas/Ninjs"},
        registry=jsonschema_rs.Registry([("urn:openapi", document)]),
        offline=True,
    )
    samples = [json.loads(path.read_text(encoding="utf-8")) for path in NINJS_FIXTURES]
    samples += [
        {"uri": "urn:x", "headlines": [{"role": "main", "value": 1}]},
        {"uri": "urn:x", "places": [{"name": "Tula", "geojson": {"type": "Point", "coordinates": [37.6, 54.2]}}]},
        {"uri": "urn:x", "places": [{"name": "Tula", "geojson": "not an object"}]},
        {"uri": "urn:x", "associations": {"one": {"name": "x"}}},
        {"uri": "urn:x", "associations": [{"name": "pic", "uri": "urn:p", "type": "picture", "x": 1}]},
        {"uri": "urn:x", "not_a_ninjs_field": True},
        {"headlines": []},
    ]
    # Then both give every document the same verdict, and both verdicts occur
    verdicts = [(original.is_valid(sample), embedded.is_valid(sample)) for sample in samples]
    assert [a for a, _ in verdicts] == [b for _, b in verdicts]
    assert {a for a, _ in verdicts} == {True, False}


def test_ninjs_components_keep_no_json_schema_identifiers(document: dict[str, Any]) -> None:
    text = json.dumps({k: v for k, v in document["components"]["schemas"].items() if k.startswith("Ninjs")})
    assert "$defs" not in text and "$id" not in text and "geojson.org/schema" not in text


# --- the models say what the code does --------------------------------------------------------------


def test_article_model_has_the_fields_of_the_normalized_article() -> None:
    from newsdesk import models

    def names(cls: Any) -> list[str]:
        return [field.name for field in dataclasses.fields(cls)]

    assert sorted(bodies.Article.model_fields) == sorted(names(models.ArticleContent))
    assert sorted(bodies.LeadImage.model_fields) == sorted(names(models.LeadImage))
    assert sorted(bodies.Rights.model_fields) == sorted(names(models.Rights))
    assert sorted(bodies.Mentions.model_fields) == sorted(names(models.Mentions))
    assert sorted(bodies.Mention.model_fields) == sorted(names(models.Mention))


def test_event_models_mirror_the_engagement_rules() -> None:
    from newsdesk import engagement, events

    assert bodies.MAX_EVENTS_PER_BATCH == events.MAX_EVENTS_PER_BATCH
    reasons = {
        engagement.MALFORMED,
        engagement.CRAWLER,
        engagement.UNKNOWN_ARTICLE,
        engagement.NOT_PUBLISHED,
        engagement.DUPLICATE,
        engagement.RATE_LIMITED,
    }
    assert set(TypeAdapter(bodies.IgnoredReason).json_schema()["enum"]) == reasons
    # Given events valid and not, as the code judges them
    samples: list[Any] = [
        {"type": "view", "article_id": "a1", "visitor": "v"},
        {"type": "view", "article_id": "a1", "visitor": "v", "extra": 1},
        {"type": "comments", "article_id": "a-b", "count": 0},
        {"type": "comments", "article_id": "a1", "count": 1_000_000_000},
        {"type": "comments", "article_id": "a1", "count": 1_000_000_001},
        {"type": "comments", "article_id": "a1", "count": -1},
        {"type": "comments", "article_id": "a1", "count": "3"},
        # (not 2.0: JSON Schema calls it an integer, the code wants 2; such an event is only ignored)
        {"type": "view", "article_id": "A1", "visitor": "v"},
        {"type": "view", "article_id": "-a", "visitor": "v"},
        {"type": "view", "article_id": "a" * 81, "visitor": "v"},
        {"type": "view", "article_id": "a1", "visitor": ""},
        {"type": "view", "article_id": "a1", "visitor": "v" * 257},
        {"type": "view", "article_id": "a1"},
        {"type": "click", "article_id": "a1"},
        "view",
        None,
    ]
    # Then the document's event schema takes exactly those the code counts
    schema = served_contract().validator("/components/schemas/EventBatch")
    for sample in samples:
        counted = not events.validate_events([sample]).ignored
        assert schema.is_valid([sample]) == counted, sample
        assert schema.is_valid({"events": [sample]}) == counted, sample


def test_event_batch_envelope_as_the_code_reads_it() -> None:
    from newsdesk import events
    from newsdesk.errors import ValidationFailed

    schema = served_contract().validator("/components/schemas/EventBatch")
    view = {"type": "view", "article_id": "a1", "visitor": "v"}
    valid: list[Any] = [[], {"events": []}, [view] * 50, {"events": [view] * 50, "site": "x"}]
    refused: list[Any] = [[view] * 51, {"events": [view] * 51}, {"events": {}}, {}, "x", 3]
    for batch in valid:
        events.events_of(batch)
        assert schema.is_valid(batch), batch
    for batch in refused:
        with pytest.raises(ValidationFailed):
            events.events_of(batch)
        assert not schema.is_valid(batch), batch


def test_problem_model_is_the_problem_the_code_writes() -> None:
    from newsdesk.errors import FieldError, ValidationFailed
    from newsdesk.problems import internal_error_response, problem_response

    error = ValidationFailed("bad", [FieldError(pointer="/uri", message="is required")])
    for response in (problem_response(error), internal_error_response()):
        bodies.Problem.model_validate_json(str(response.body), strict=True)
    with pytest.raises(ValidationError):
        bodies.Problem.model_validate({"type": "t", "title": "t", "status": 1, "detail": "d", "extra": 1})


# --- the checker ----------------------------------------------------------------------------------


ACCEPTED = {
    "id": "aabc",
    "uri": "urn:x",
    "revision": 1,
    "status": "published",
    "replayed": False,
    "version": None,
    "section": "defence-industry",
    "language": "ru",
    "headline": "Заголовок",
    "updated_at": "2026-11-25T10:00:00Z",
    "warnings": [],
}
STORED = {"ETag": '"1"', "Location": "/v1/articles/aabc", "Content-Type": "application/json; charset=utf-8"}
PROBLEM = "application/problem+json"


def problem(status: int, slug: str) -> bytes:
    body = {"type": f"https://newsdesk.invalid/problems/{slug}", "title": "t", "status": status, "detail": "d"}
    return json.dumps(body).encode()


@pytest.fixture(scope="module")
def contract() -> Contract:
    return served_contract()


def test_checker_accepts_what_the_document_describes(contract: Contract) -> None:
    assert contract.violations("POST", "/v1/articles", 201, STORED, json.dumps(ACCEPTED)) == []
    assert contract.violations("DELETE", "/v1/articles/aabc", 204, {}, b"") == []
    assert contract.violations("GET", "/v1/nothing", 404, {"content-type": PROBLEM}, problem(404, "not-found")) == []
    gateway = {"content-type": "application/json"}
    assert contract.violations("POST", "/v1/events", 413, gateway, b'{"message": "Request Entity Too Large"}') == []
    assert contract.violations("PATCH", "/v1/events", 404, gateway, b'{"message": "Not Found"}') == []


@pytest.mark.parametrize(
    ("method", "path", "status", "headers", "body", "complaint"),
    [
        # The drift this contract was made for: a POST answer is no GET answer, and vice versa.
        ("GET", "/v1/articles/aabc", 200, STORED, json.dumps(ACCEPTED), '"article" is a required property'),
        ("POST", "/v1/articles", 201, STORED, json.dumps({**ACCEPTED, "extra": 1}), "body /:"),
        ("POST", "/v1/articles", 201, STORED, json.dumps({**ACCEPTED, "updated_at": "yesterday"}), "date-time"),
        ("POST", "/v1/articles", 201, {**STORED, "ETag": "1"}, json.dumps(ACCEPTED), "header ETag"),
        ("POST", "/v1/articles", 201, {"Content-Type": "application/json"}, json.dumps(ACCEPTED), "Location"),
        ("POST", "/v1/articles", 201, {**STORED, "Content-Type": "text/html"}, json.dumps(ACCEPTED), "content type"),
        ("POST", "/v1/articles", 418, {}, b"", "not documented"),
        ("GET", "/v1/articles/aabc", 412, {"content-type": PROBLEM}, problem(412, "precondition-failed"), "412"),
        ("POST", "/v1/events", 500, {"content-type": PROBLEM}, problem(500, "version-conflict"), "body /type"),
        ("PUT", "/v1/articles/aabc", 409, {"content-type": PROBLEM}, problem(400, "version-conflict"), "body"),
        ("DELETE", "/v1/articles/aabc", 204, {}, b"{}", "without a body"),
        ("PATCH", "/v1/articles/aabc", 405, {"content-type": PROBLEM}, problem(405, "x"), "404 problem"),
        ("GET", "/v1/nothing", 404, {"content-type": "text/plain"}, problem(404, "not-found"), "content type"),
        ("GET", "/v1/nothing", 404, {"content-type": "application/json"}, problem(404, "not-found"), "body /:"),
        ("POST", "/v1/events", 202, {"content-type": "application/json"}, b"not json", "not JSON"),
    ],
)
def test_checker_finds_what_the_document_does_not_describe(
    contract: Contract, method: str, path: str, status: int, headers: dict[str, str], body: Any, complaint: str
) -> None:
    found = contract.violations(method, path, status, headers, body)
    assert any(complaint in violation for violation in found), found
