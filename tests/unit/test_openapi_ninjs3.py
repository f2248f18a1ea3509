"""Issue 9: the OpenAPI document describes a ninjs 3.x request body beside 2.x, so that partners and
schemathesis see both: POST and PUT take ``NinjsDocument``, anyOf ``Ninjs`` (the 2.2 schema) and
``Ninjs3`` (the 3.1 schema), and the embedded 3.1 schema judges documents as IPTC's own does."""

from __future__ import annotations

import json
from typing import Any

import jsonschema_rs
import pytest

from ingest.contract.document import DOCUMENT_FILE
from newsdesk.ninjs.schema import STAND_IN_SCHEMAS, ninjs_schema
from tests.conftest import FIXTURES

pytestmark = pytest.mark.unit

FIXTURE_FILES = sorted((FIXTURES / "ninjs").glob("*.json"))
V3_FIXTURES = [path for path in FIXTURE_FILES if path.name.startswith("ninjs3_")]


@pytest.fixture(scope="module")
def document() -> dict[str, Any]:
    loaded: dict[str, Any] = json.loads(DOCUMENT_FILE.read_text(encoding="utf-8"))
    return loaded


def embedded(document: dict[str, Any], component: str) -> jsonschema_rs.Validator:
    return jsonschema_rs.Draft202012Validator(
        {"$ref": f"urn:openapi#/components/schemas/{component}"},
        registry=jsonschema_rs.Registry([("urn:openapi", document)]),
        offline=True,
    )


def test_article_writes_take_a_2x_or_a_3x_document(document: dict[str, Any]) -> None:
    for path, method in (("/v1/articles", "post"), ("/v1/articles/{article_id}", "put")):
        schema = document["paths"][path][method]["requestBody"]["content"]["application/json"]["schema"]
        assert schema == {"$ref": "#/components/schemas/NinjsDocument"}
    assert document["components"]["schemas"]["NinjsDocument"]["anyOf"] == [
        {"$ref": "#/components/schemas/Ninjs"},
        {"$ref": "#/components/schemas/Ninjs3"},
    ]


def test_embedded_ninjs3_judges_documents_as_the_31_schema_does(document: dict[str, Any]) -> None:
    # Given IPTC's 3.1 schema (GeoJSON stood in locally) and the one embedded in the document
    original = jsonschema_rs.Draft202012Validator(
        ninjs_schema("3.1"), registry=jsonschema_rs.Registry(list(STAND_IN_SCHEMAS.items())), offline=True
    )
    copy = embedded(document, "Ninjs3")
    samples = [json.loads(path.read_text(encoding="utf-8")) for path in FIXTURE_FILES]
    samples += [
        {"uri": "urn:x", "pubStatus": "withheld"},
        {"uri": "urn:x", "pubStatus": "later"},
        {"uri": "urn:x", "places": [{"name": "Tula", "geoJSON": {"type": "Point", "coordinates": [37.6, 54.2]}}]},
        {"uri": "urn:x", "urgency": 10},
        {"headlines": []},
    ]

    # Then both give every document the same verdict, and both verdicts occur
    verdicts = [(original.is_valid(sample), copy.is_valid(sample)) for sample in samples]
    assert [a for a, _ in verdicts] == [b for _, b in verdicts]
    assert {a for a, _ in verdicts} == {True, False}


def test_the_request_body_accepts_every_example_of_either_version(document: dict[str, Any]) -> None:
    body = embedded(document, "NinjsDocument")
    v3 = embedded(document, "Ninjs3")
    assert V3_FIXTURES
    for path in V3_FIXTURES:
        example = json.loads(path.read_text(encoding="utf-8"))
        assert v3.is_valid(example), path.name
        assert body.is_valid(example), path.name
    assert body.is_valid({"uri": "urn:x", "pubstatus": "usable", "headlines": [{"value": "x"}]})
    assert not body.is_valid({"uri": 1})
