"""The per-partner rate limit of the articles routes, through the ingest handler against moto.

Issue 8, 'What broke' 10: one partner's runaway loop must get 429 with a Retry-After it can act on,
while every other partner goes on as before, and within the limit nothing changes.
"""

from __future__ import annotations

from collections.abc import Iterator
from typing import Any

import pytest
from botocore.exceptions import ClientError

from newsdesk.dal import clients as aws
from newsdesk.settings import get_settings
from tests.conftest import Partner, Stack
from tests.handler.ninjs_builders import article_doc, encode
from tests.handler.test_ingest_api import archived_keys, on_article, post
from tests.support.aws_calls import AwsCalls

pytestmark = [pytest.mark.handler, pytest.mark.attack(10)]

PROBLEM_JSON = "application/problem+json"
# 2026-11-25T08:00:17.2Z: 17.2 seconds into a minute, so 43 whole seconds to the next one.
WINDOW_START = 1_795_593_600
NOW = WINDOW_START + 17.2
LIMIT = 3


@pytest.fixture
def clock(monkeypatch: pytest.MonkeyPatch) -> Iterator[list[float]]:
    """The time the rate limit sees: one value, moved by the test (no wall clock)."""
    from ingest import throttle

    moment = [NOW]
    monkeypatch.setattr(throttle, "now", lambda: moment[0])
    yield moment


@pytest.fixture
def limited(stack: Stack, monkeypatch: pytest.MonkeyPatch, clock: list[float]) -> Stack:
    """The stack with a limit of 3 requests per partner per minute."""
    monkeypatch.setenv("PARTNER_RATE_LIMIT", str(LIMIT))
    monkeypatch.setenv("PARTNER_RATE_WINDOW_SECONDS", "60")
    monkeypatch.setenv("PARTNER_RATE_LIMIT_OVERRIDES", "")
    get_settings.cache_clear()
    return stack


def article(partner: Partner, number: int) -> bytes:
    return encode(article_doc(f"urn:newsml:{partner.partner_id}.example:rate:{number}"))


def rate_item(stack: Stack, partner: Partner, window_start: int) -> dict[str, Any] | None:
    key = {"PK": {"S": f"RATE#{partner.partner_id}#{window_start}"}, "SK": {"S": "RATE"}}
    item: dict[str, Any] | None = stack.dynamodb.get_item(TableName=stack.table_name, Key=key).get("Item")
    return item


def test_a_partner_over_its_limit_gets_429_with_retry_after_while_another_partner_goes_on(
    limited: Stack, make_partner: Any, lambda_context: Any, clock: list[float]
) -> None:
    # Given two partners and a limit of 3 requests a minute
    first = make_partner("Oboronka Daily")
    second = make_partner("Regional Gazette", "de", "news")

    # When the first partner makes 3 requests, then a 4th in the same minute
    answers = [post(first, article(first, number), lambda_context) for number in range(LIMIT)]
    status, headers, body = post(first, article(first, LIMIT), lambda_context)

    # Then the 3 are taken as usual, and the 4th is a 429 problem with the seconds to the next minute
    assert [answer[0] for answer in answers] == [201] * LIMIT
    assert all("retry-after" not in answer[1] for answer in answers)
    assert status == 429
    assert headers["content-type"] == PROBLEM_JSON
    assert headers["retry-after"] == "43"
    assert body["type"].endswith("/rate-limited")
    assert body["status"] == 429
    assert "3 requests per 60 seconds" in body["detail"]

    # And the refused document was not written anywhere; the counter stopped at the limit
    assert len(archived_keys(limited)) == LIMIT
    item = rate_item(limited, first, WINDOW_START)
    assert item is not None
    assert item["count"] == {"N": str(LIMIT)}
    assert int(item["expiration"]["N"]) > WINDOW_START + 60

    # And the other partner, at the same moment, is not affected
    assert post(second, article(second, 0), lambda_context)[0] == 201

    # And every partner route counts: reading its own article is refused too until the next minute
    article_id = answers[0][2]["id"]
    refused = on_article("GET", first, article_id, lambda_context)
    assert (refused[0], refused[1]["retry-after"]) == (429, "43")

    # When the partner comes back after Retry-After seconds
    clock[0] = NOW + 43

    # Then it is served again
    assert on_article("GET", first, article_id, lambda_context)[0] == 200
    assert post(first, article(first, LIMIT), lambda_context)[0] == 201


def test_a_refused_put_keeps_its_precondition_for_later(
    limited: Stack, partner: Partner, lambda_context: Any, clock: list[float]
) -> None:
    # Given a partner that used its minute
    created = post(partner, article(partner, 0), lambda_context)
    for _ in range(LIMIT - 1):
        on_article("GET", partner, created[2]["id"], lambda_context)

    # When it replaces its article
    document = article_doc("urn:newsml:oboronka-daily.example:rate:0", version="2")
    status, headers, _ = on_article(
        "PUT", partner, created[2]["id"], lambda_context, body=encode(document), **{"if-match": '"1"'}
    )

    # Then it is told to wait; after the wait the same request succeeds
    assert (status, headers["retry-after"]) == (429, "43")
    clock[0] = NOW + 43
    replaced = on_article(
        "PUT", partner, created[2]["id"], lambda_context, body=encode(document), **{"if-match": '"1"'}
    )
    assert replaced[0] == 200


def test_within_the_limit_a_request_costs_one_conditional_update_more(
    stack: Stack, partner: Partner, lambda_context: Any, monkeypatch: pytest.MonkeyPatch, clock: list[float]
) -> None:
    def calls_of_one_post(limit: str, number: int) -> AwsCalls:
        monkeypatch.setenv("PARTNER_RATE_LIMIT", limit)
        get_settings.cache_clear()
        calls = AwsCalls().watch(aws.dynamodb_client(), aws.s3_client())
        try:
            status, headers, _ = post(partner, article(partner, number), lambda_context)
        finally:
            calls.stop()
        assert status == 201
        assert "retry-after" not in headers
        return calls

    # Given the same kind of request without a limit and with one
    without = calls_of_one_post("0", 0)
    with_limit = calls_of_one_post("600", 1)

    # Then the limit adds exactly one DynamoDB UpdateItem and nothing else
    difference = with_limit.calls - without.calls
    assert dict(difference) == {"dynamodb:UpdateItem": 1}
    assert without.calls - with_limit.calls == {}


def test_requests_without_a_valid_key_are_refused_before_they_count(
    limited: Stack, partner: Partner, lambda_context: Any
) -> None:
    # Given requests without a key (the authorizer's anonymous context)
    for number in range(LIMIT + 2):
        assert post(None, article(partner, number), lambda_context)[0] == 401

    # Then nothing was counted for anyone, and the partner still has its whole minute
    assert rate_item(limited, partner, WINDOW_START) is None
    assert [post(partner, article(partner, n), lambda_context)[0] for n in range(LIMIT)] == [201] * LIMIT


def test_the_limit_fails_open_when_its_counter_cannot_be_written(
    limited: Stack, partner: Partner, lambda_context: Any, monkeypatch: pytest.MonkeyPatch
) -> None:
    # Given a counter write that DynamoDB refuses (throttled past the SDK's retries)
    from newsdesk.dal.ratelimit import RateLimitStore

    def throttled(*_: Any, **__: Any) -> bool:
        error = {"Error": {"Code": "ProvisionedThroughputExceededException", "Message": "slow down"}}
        raise ClientError(error, "UpdateItem")  # type: ignore[arg-type]

    monkeypatch.setattr(RateLimitStore, "take", throttled)

    # When the partner posts
    status, _, body = post(partner, article(partner, 0), lambda_context)

    # Then the article is taken: the limit protects capacity, it is not worth refusing good requests for
    assert status == 201, body


def test_a_per_partner_override_raises_one_partners_limit(
    limited: Stack, make_partner: Any, lambda_context: Any, monkeypatch: pytest.MonkeyPatch
) -> None:
    # Given an agency allowed 5 a minute while the others keep 3
    agency = make_partner("Big Agency")
    monkeypatch.setenv("PARTNER_RATE_LIMIT_OVERRIDES", f"{agency.partner_id}=5")
    get_settings.cache_clear()

    # Then the agency gets its 5, and the 6th is refused
    statuses = [post(agency, article(agency, number), lambda_context)[0] for number in range(6)]
    assert statuses == [201] * 5 + [429]
