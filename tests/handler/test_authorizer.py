"""The Lambda authorizer: identifies the caller, never denies, never raises."""

from __future__ import annotations

import copy
import io
import json
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest

from ingest import authorizer
from newsdesk.dal.partners import PartnerStore
from newsdesk.observability import logger
from newsdesk.settings import get_settings

pytestmark = pytest.mark.handler

CANONICAL_EVENT: dict[str, Any] = json.loads(
    (Path(__file__).parents[1] / "events" / "authorizer_request.json").read_text(encoding="utf-8")
)
ANONYMOUS = {"isAuthorized": True, "context": {"anonymous": "true"}}


@pytest.fixture(autouse=True)
def fresh_store() -> Iterator[None]:
    authorizer.partner_store.cache_clear()
    yield
    authorizer.partner_store.cache_clear()


@pytest.fixture
def store(stack: Any) -> PartnerStore:
    return PartnerStore(stack.table_name)


def request_with(authorization: str | None, header_name: str = "authorization") -> dict[str, Any]:
    event: dict[str, Any] = copy.deepcopy(CANONICAL_EVENT)
    del event["headers"]["authorization"]
    if authorization is not None:
        event["headers"][header_name] = authorization
    return event


def test_valid_key_identifies_the_partner(store: PartnerStore, lambda_context: Any) -> None:
    # Given
    _, secret = store.add_partner("РИА Новости", language="ru", section="defence-industry")
    key_id = store.list_keys("ria-novosti")[0].key_id

    # When
    response = authorizer.handler(request_with(f"Bearer {secret}"), lambda_context)

    # Then
    assert response == {
        "isAuthorized": True,
        "context": {
            "partner_id": "ria-novosti",
            "key_id": key_id,
            "role": "partner",
            "language": "ru",
            "section": "defence-industry",
            "partner_name": "РИА Новости",
        },
    }


@pytest.mark.parametrize("header_name", ["Authorization", "AUTHORIZATION"])
def test_header_name_and_scheme_are_case_insensitive(
    store: PartnerStore, lambda_context: Any, header_name: str
) -> None:
    # Given
    _, secret = store.add_partner("Interfax")

    # When
    response = authorizer.handler(request_with(f"bearer  {secret} ", header_name), lambda_context)

    # Then
    assert response["context"]["partner_id"] == "interfax"


@pytest.mark.parametrize(
    "authorization",
    [
        None,
        "",
        "Bearer",
        "Bearer ",
        "Basic dXNlcjpwYXNz",
        "nd_" + "a" * 43,
        "Bearer nd_" + "a" * 43,
        "Bearer not-a-newsdesk-key",
        "Bearer nd_" + "a" * 43 + ", Bearer nd_" + "b" * 43,
    ],
)
def test_missing_or_unusable_credentials_are_anonymous(
    stack: Any, lambda_context: Any, authorization: str | None
) -> None:
    assert authorizer.handler(request_with(authorization), lambda_context) == ANONYMOUS


def test_wrong_scheme_with_a_valid_key_is_anonymous(store: PartnerStore, lambda_context: Any) -> None:
    # Given
    _, secret = store.add_partner("Interfax")

    # When
    response = authorizer.handler(request_with(f"Token {secret}"), lambda_context)

    # Then
    assert response == ANONYMOUS


def test_revoked_key_is_anonymous(store: PartnerStore, lambda_context: Any) -> None:
    # Given
    _, secret = store.add_partner("Interfax")
    store.revoke_key("interfax", store.list_keys("interfax")[0].key_id)

    # When
    response = authorizer.handler(request_with(f"Bearer {secret}"), lambda_context)

    # Then
    assert response == ANONYMOUS


def test_event_without_headers_is_anonymous(stack: Any, lambda_context: Any) -> None:
    # Given
    event = copy.deepcopy(CANONICAL_EVENT)
    del event["headers"]

    # Then
    assert authorizer.handler(event, lambda_context) == ANONYMOUS


def test_failed_lookup_is_reported_as_unavailable_not_as_a_bad_key(
    stack: Any, lambda_context: Any, monkeypatch: pytest.MonkeyPatch
) -> None:
    # Given: the table cannot be read
    monkeypatch.setenv("TABLE_NAME", "no-such-table")
    get_settings.cache_clear()

    # When
    response = authorizer.handler(request_with("Bearer nd_" + "a" * 43), lambda_context)

    # Then
    assert response == {"isAuthorized": True, "context": {"anonymous": "true", "auth_unavailable": "true"}}


@pytest.fixture
def log_output(monkeypatch: pytest.MonkeyPatch) -> io.StringIO:
    """What the Powertools logger writes (its handler keeps the stdout of import time, not capsys')."""
    output = io.StringIO()
    monkeypatch.setattr(logger.registered_handler, "stream", output)
    return output


def test_logs_name_the_key_but_never_contain_the_secret(
    store: PartnerStore, lambda_context: Any, log_output: io.StringIO
) -> None:
    # Given
    _, secret = store.add_partner("Interfax")
    key_id = store.list_keys("interfax")[0].key_id
    _, revoked = store.add_key("interfax")
    store.revoke_key("interfax", store.list_keys("interfax")[1].key_id)

    # When
    authorizer.handler(request_with(f"Bearer {secret}"), lambda_context)
    authorizer.handler(request_with(f"Bearer {revoked}"), lambda_context)

    # Then
    logs = log_output.getvalue()
    records = [json.loads(line) for line in logs.splitlines()]
    assert any(r.get("partner_id") == "interfax" and r.get("key_id") == key_id for r in records)
    assert any(r.get("reason") == "unknown or revoked key" for r in records)
    assert secret[3:] not in logs
    assert revoked[3:] not in logs
