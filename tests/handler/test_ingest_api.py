"""The partner API handler, in-process, against moto resources built from template.yaml."""

from __future__ import annotations

import json
from typing import Any

import pytest

from newsdesk.articles import article_id_for
from tests.conftest import Partner, Stack, api_event, load_ninjs_bytes
from tests.handler.ninjs_builders import article_doc, encode

pytestmark = pytest.mark.handler

ARTICLE_ROUTE = "/v1/articles/{article_id}"


def call(event: dict[str, Any], lambda_context: Any) -> tuple[int, dict[str, str], Any]:
    from ingest.app import handler

    result = handler(event, lambda_context)
    headers = {k.lower(): v for k, v in (result.get("headers") or {}).items()}
    body = json.loads(result["body"]) if result.get("body") else None
    return result["statusCode"], headers, body


def post(partner: Partner | None, body: bytes | str, ctx: Any, **headers: str) -> tuple[int, dict[str, str], Any]:
    all_headers = {"content-type": "application/json", **headers}
    event = api_event(
        "POST",
        "/v1/articles",
        body=body,
        headers=all_headers,
        authorizer=partner.context if partner else None,
    )
    return call(event, ctx)


def on_article(
    method: str,
    partner: Partner | None,
    article_id: str,
    ctx: Any,
    *,
    body: bytes | None = None,
    **headers: str,
) -> tuple[int, dict[str, str], Any]:
    event = api_event(
        method,
        f"/v1/articles/{article_id}",
        body=body,
        headers={"content-type": "application/json", **headers},
        authorizer=partner.context if partner else None,
        route=ARTICLE_ROUTE,
        path_parameters={"article_id": article_id},
    )
    return call(event, ctx)


def archived_keys(stack: Stack, prefix: str = "raw/") -> list[str]:
    """Keys in the archive: by default the raw request bytes (the normalized articles sit beside them)."""
    listing = stack.s3.list_objects_v2(Bucket=stack.archive_bucket, Prefix=prefix)
    return sorted(item["Key"] for item in listing.get("Contents", []))


def current_item(stack: Stack, article_id: str) -> dict[str, Any] | None:
    item = stack.dynamodb.get_item(
        TableName=stack.table_name, Key={"PK": {"S": f"ARTICLE#{article_id}"}, "SK": {"S": "CURRENT"}}
    ).get("Item")
    return item


# --- creating and replaying -------------------------------------------------------------------


def test_new_article_is_created_archived_and_recorded(stack: Stack, partner: Partner, lambda_context: Any) -> None:
    # Given a realistic Russian agency document
    raw = load_ninjs_bytes("ru_defence_industry.json")
    # When the partner posts it
    status, headers, body = post(partner, raw, lambda_context)
    # Then it is created, with the contract's headers
    assert status == 201
    assert headers["etag"] == '"1"'
    assert headers["location"] == f"/v1/articles/{body['id']}"
    assert body["revision"] == 1 and body["status"] == "published" and body["replayed"] is False
    # And the exact bytes are archived, and the record points at them
    item = current_item(stack, body["id"])
    assert item is not None
    key = item["archive_key"]["S"]
    assert stack.s3.get_object(Bucket=stack.archive_bucket, Key=key)["Body"].read() == raw


def test_identical_resend_is_a_replay(stack: Stack, partner: Partner, lambda_context: Any) -> None:
    raw = encode(article_doc())
    _, _, first = post(partner, raw, lambda_context)
    status, headers, second = post(partner, raw, lambda_context)
    assert status == 200
    assert second["id"] == first["id"] and second["revision"] == 1 and second["replayed"] is True
    assert headers["etag"] == '"1"'
    assert len(archived_keys(stack)) == 1


def test_canonically_identical_resend_is_a_replay(stack: Stack, partner: Partner, lambda_context: Any) -> None:
    doc = article_doc()
    post(partner, encode(doc), lambda_context)
    reordered = dict(reversed(list(doc.items())))
    status, _, body = post(partner, encode(reordered, indent=2), lambda_context)
    assert status == 200 and body["replayed"] is True and body["revision"] == 1


def test_newer_version_is_a_new_revision(stack: Stack, partner: Partner, lambda_context: Any) -> None:
    post(partner, encode(article_doc()), lambda_context)
    status, headers, body = post(
        partner,
        encode(article_doc(version="2", versioncreated="2026-11-25T09:00:00Z", headline="Обновлено: танки")),
        lambda_context,
    )
    assert status == 200 and body["revision"] == 2 and body["replayed"] is False
    assert headers["etag"] == '"2"'
    assert len(archived_keys(stack)) == 2


def test_late_older_version_is_refused_and_changes_nothing(stack: Stack, partner: Partner, lambda_context: Any) -> None:
    post(partner, encode(article_doc(version="3", versioncreated="2026-11-25T10:00:00Z")), lambda_context)
    before_keys = archived_keys(stack)
    status, headers, body = post(
        partner,
        encode(article_doc(version="2", versioncreated="2026-11-25T09:00:00Z", headline="старое")),
        lambda_context,
    )
    assert status == 409
    assert headers["content-type"] == "application/problem+json"
    assert body["status"] == 409 and "older" in body["detail"]
    _, _, after = post(partner, encode(article_doc(version="3", versioncreated="2026-11-25T10:00:00Z")), lambda_context)
    assert after["revision"] == 1 and after["replayed"] is True
    assert archived_keys(stack) == before_keys


def test_same_version_with_other_content_is_a_conflict(stack: Stack, partner: Partner, lambda_context: Any) -> None:
    post(partner, encode(article_doc()), lambda_context)
    status, _, body = post(partner, encode(article_doc(headline="Другой заголовок")), lambda_context)
    assert status == 409 and "newer version" in body["detail"]


def test_unknown_fields_are_kept_and_reported(stack: Stack, partner: Partner, lambda_context: Any) -> None:
    raw = encode(article_doc(x_partner_priority="high"))
    status, _, body = post(partner, raw, lambda_context)
    assert status == 201
    assert any("x_partner_priority" in warning for warning in body["warnings"])
    key = current_item(stack, body["id"])["archive_key"]["S"]  # type: ignore[index]
    assert b"x_partner_priority" in stack.s3.get_object(Bucket=stack.archive_bucket, Key=key)["Body"].read()


@pytest.mark.parametrize(
    ("extra", "expected_status"),
    [
        ({"pubstatus": "withheld"}, "withheld"),
        ({"embargoed": "2099-01-01T00:00:00Z"}, "embargoed"),
        ({"embargoed": "2001-01-01T00:00:00Z"}, "published"),
        ({"pubstatus": "canceled"}, "retracted"),
    ],
)
def test_publication_status_follows_the_document(
    stack: Stack, partner: Partner, lambda_context: Any, extra: dict[str, str], expected_status: str
) -> None:
    status, _, body = post(partner, encode(article_doc(**extra)), lambda_context)
    assert status == 201 and body["status"] == expected_status


# --- reading, replacing, retracting -------------------------------------------------------------


def test_partner_reads_own_article_with_sanitized_content(stack: Stack, partner: Partner, lambda_context: Any) -> None:
    doc = article_doc(body='<p onclick="steal()">Текст<script>alert(1)</script></p>')
    _, _, created = post(partner, encode(doc), lambda_context)
    status, headers, body = on_article("GET", partner, created["id"], lambda_context)
    assert status == 200 and headers["etag"] == '"1"'
    assert body["uri"] == doc["uri"] and body["status"] == "published"
    html = body["article"]["body_html"]
    assert "Текст" in html and "script" not in html and "onclick" not in html


def test_other_partners_article_is_not_found(
    stack: Stack, partner: Partner, make_partner: Any, lambda_context: Any
) -> None:
    _, _, created = post(partner, encode(article_doc()), lambda_context)
    other = make_partner("Regional Gazette", "de", "news")
    for method in ("GET", "DELETE"):
        status, _, body = on_article(method, other, created["id"], lambda_context)
        assert status == 404 and body["status"] == 404
    status, _, _ = on_article(
        "PUT", other, created["id"], lambda_context, body=encode(article_doc()), **{"if-match": '"1"'}
    )
    assert status == 404


def test_missing_article_is_not_found(stack: Stack, partner: Partner, lambda_context: Any) -> None:
    status, headers, _ = on_article("GET", partner, "anonexistent", lambda_context)
    assert status == 404 and headers["content-type"] == "application/problem+json"


def test_put_needs_if_match_and_refuses_stale_tags(stack: Stack, partner: Partner, lambda_context: Any) -> None:
    _, _, created = post(partner, encode(article_doc()), lambda_context)
    replacement = encode(article_doc(headline="Полная замена"))
    status, _, _ = on_article("PUT", partner, created["id"], lambda_context, body=replacement)
    assert status == 428
    status, _, body = on_article("PUT", partner, created["id"], lambda_context, body=replacement, **{"if-match": '"7"'})
    assert status == 412 and body["status"] == 412
    status, headers, body = on_article(
        "PUT", partner, created["id"], lambda_context, body=replacement, **{"if-match": '"1"'}
    )
    assert status == 200 and body["revision"] == 2 and headers["etag"] == '"2"'


def test_put_of_a_document_for_another_uri_is_refused(stack: Stack, partner: Partner, lambda_context: Any) -> None:
    _, _, created = post(partner, encode(article_doc()), lambda_context)
    other = encode(article_doc(uri="urn:newsml:oboronka.example:other"))
    status, _, body = on_article("PUT", partner, created["id"], lambda_context, body=other, **{"if-match": '"1"'})
    assert status == 422 and body["errors"][0]["pointer"] == "/uri"


def test_delete_retracts_idempotently(stack: Stack, partner: Partner, lambda_context: Any) -> None:
    _, _, created = post(partner, encode(article_doc()), lambda_context)
    first, _, _ = on_article("DELETE", partner, created["id"], lambda_context)
    second, _, _ = on_article("DELETE", partner, created["id"], lambda_context)
    assert (first, second) == (204, 204)
    _, headers, body = on_article("GET", partner, created["id"], lambda_context)
    assert body["status"] == "retracted" and headers["etag"] == '"2"'


# --- bad input: always a clear 4xx, never a 5xx ------------------------------------------------


def test_without_a_key_the_answer_is_401(stack: Stack, lambda_context: Any) -> None:
    status, headers, body = post(None, encode(article_doc()), lambda_context)
    assert status == 401 and headers["content-type"] == "application/problem+json"
    assert body["title"] and body["detail"]


def test_site_key_cannot_post_articles(stack: Stack, lambda_context: Any) -> None:
    site = Partner(
        "site",
        "nd_x",
        {
            "partner_id": "site",
            "key_id": "k_1",
            "role": "site",
            "language": "ru",
            "section": "",
            "partner_name": "Site",
        },
    )
    status, _, _ = post(site, encode(article_doc()), lambda_context)
    assert status == 401


@pytest.mark.parametrize("content_type", ["text/plain", "application/xml", "", "application/json; charset=latin-1"])
def test_non_json_content_type_is_415(stack: Stack, partner: Partner, lambda_context: Any, content_type: str) -> None:
    status, _, body = post(partner, encode(article_doc()), lambda_context, **{"content-type": content_type})
    assert status == 415 and body["status"] == 415


@pytest.mark.parametrize("raw", [b"{", b"not json", b"", b"\xff\xfe{}", b'{"uri": "x",}', b"[" * 100_000])
def test_malformed_bodies_are_400(stack: Stack, partner: Partner, lambda_context: Any, raw: bytes) -> None:
    status, headers, body = post(partner, raw, lambda_context)
    assert status == 400 and headers["content-type"] == "application/problem+json" and body["detail"]


def test_body_over_one_mebibyte_is_413(stack: Stack, partner: Partner, lambda_context: Any) -> None:
    raw = encode(article_doc(body="<p>" + "я" * 600_000 + "</p>"))
    assert len(raw) > 1024 * 1024
    status, _, body = post(partner, raw, lambda_context)
    assert status == 413 and body["status"] == 413


@pytest.mark.parametrize(
    ("doc", "pointer"),
    [
        ({"type": "text"}, "/uri"),
        (article_doc(headlines=[]), "/headlines"),
        (article_doc(bodies=[]), "/bodies"),
        (article_doc(type="picture"), "/type"),
        (article_doc(pubstatus="published"), "/pubstatus"),
        (article_doc(version=3), "/version"),
        ([1, 2, 3], ""),
        ("just a string", ""),
    ],
)
def test_schema_violations_are_422_with_pointers(
    stack: Stack, partner: Partner, lambda_context: Any, doc: Any, pointer: str
) -> None:
    status, headers, body = post(partner, json.dumps(doc), lambda_context)
    assert status == 422 and headers["content-type"] == "application/problem+json"
    assert pointer in [error["pointer"] for error in body["errors"]], body["errors"]
    assert archived_keys(stack) == []


def test_openapi_document_describes_the_routes(stack: Stack, lambda_context: Any) -> None:
    status, _, body = call(api_event("GET", "/v1/openapi.json"), lambda_context)
    assert status == 200
    assert {"/v1/articles", "/v1/articles/{article_id}"} <= set(body["paths"])
    assert body["paths"]["/v1/articles"]["post"]["requestBody"]["content"]["application/json"]
    assert "Ninjs" in body["components"]["schemas"]


# --- Idempotency-Key --------------------------------------------------------------------------


def test_idempotency_key_returns_the_first_response(stack: Stack, partner: Partner, lambda_context: Any) -> None:
    raw = encode(article_doc())
    first = post(partner, raw, lambda_context, **{"idempotency-key": "abc-1"})
    second = post(partner, raw, lambda_context, **{"idempotency-key": "abc-1"})
    assert first[0] == second[0] == 201
    assert first[2] == second[2]


def test_idempotency_key_reused_with_other_body_is_422(stack: Stack, partner: Partner, lambda_context: Any) -> None:
    post(partner, encode(article_doc()), lambda_context, **{"idempotency-key": "abc-2"})
    status, _, body = post(
        partner,
        encode(article_doc(version="2", versioncreated="2026-11-25T09:00:00Z")),
        lambda_context,
        **{"idempotency-key": "abc-2"},
    )
    assert status == 422 and "Idempotency-Key" in body["detail"]


def test_idempotency_keys_are_per_partner(
    stack: Stack, partner: Partner, make_partner: Any, lambda_context: Any
) -> None:
    other = make_partner("Regional Gazette", "de", "news")
    first = post(partner, encode(article_doc()), lambda_context, **{"idempotency-key": "shared"})
    second = post(other, encode(article_doc(uri="urn:other:1")), lambda_context, **{"idempotency-key": "shared"})
    assert first[0] == second[0] == 201 and first[2]["id"] != second[2]["id"]


@pytest.mark.attack(2)
def test_a_version_no_number_type_can_hold_is_refused_and_does_not_poison_the_story(
    stack: Stack, partner: Partner, lambda_context: Any
) -> None:
    """Issue 8, "What broke" 2: "1" and 4,400 zeros was accepted, and every later write of the story
    answered 500 (comparing it with int() exceeds Python's digit limit)."""
    poison = encode(article_doc(version="1" + "0" * 4_400))
    status, _, problem = post(partner, poison, lambda_context)
    assert status == 422 and problem["errors"][0]["pointer"] == "/version"
    assert current_item(stack, article_id_for(partner.partner_id, article_doc()["uri"])) is None
    status, _, _ = post(partner, encode(article_doc(version="2")), lambda_context)
    assert status == 201
    status, _, _ = post(partner, encode(article_doc(version="3", headline="Дальше")), lambda_context)
    assert status == 200


@pytest.mark.attack(1)
def test_a_language_tag_of_450_kb_is_a_422(stack: Stack, partner: Partner, lambda_context: Any) -> None:
    status, _, problem = post(partner, encode(article_doc(language="en-" + "a" * 450_000)), lambda_context)
    assert status == 422 and problem["errors"][0]["pointer"] == "/language"
