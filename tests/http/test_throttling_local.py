"""Traffic limits through the local stack: API Gateway's route throttles, as the template sets them, and
the per-partner rate limit of the articles routes (issue 8, 'What broke' 10).

The stack here runs with small limits (template parameters, as `sam deploy --parameter-overrides` would
set them): 2 requests per partner per hour, and a burst of 3 on POST /v1/events refilled at 1 a second.
"""

from __future__ import annotations

import uuid
from collections.abc import Iterator
from pathlib import Path

import boto3
import pytest

from newsdesk.dal.partners import PartnerStore
from newsdesk_ops.local_stack import LocalStack
from tests.http.conftest import LocalApi
from tests.http.test_local_stack import new_uri, ninjs_bytes

pytestmark = [pytest.mark.http, pytest.mark.attack(10)]

PARTNER_LIMIT = 2
EVENTS_BURST = 3
OVERRIDES = {
    "PartnerRateLimit": str(PARTNER_LIMIT),
    # An hour: the few requests of a test cannot straddle a window boundary but once in an hour.
    "PartnerRateWindowSeconds": "3600",
    "EventsThrottlingBurstLimit": str(EVENTS_BURST),
    "EventsThrottlingRateLimit": "1",
}


@pytest.fixture(scope="module")
def limited_api(tmp_path_factory: pytest.TempPathFactory) -> Iterator[LocalApi]:
    state_file: Path = tmp_path_factory.mktemp("throttled-stack") / "local.json"
    with LocalStack(state_file=state_file, parameter_overrides=OVERRIDES) as stack:
        yield LocalApi(stack.info, state_file)


def new_partner_key(api: LocalApi, name: str) -> str:
    client = boto3.client("dynamodb", endpoint_url=api.info["aws_endpoint_url"], region_name=api.info["region"])
    _, secret = PartnerStore(api.info["table_name"], client).add_partner(f"{name} {uuid.uuid4().hex[:8]}")
    return secret


def view_batch() -> bytes:
    return b'{"events": [{"type": "view", "article_id": "no-such-article", "visitor": "reader-1"}]}'


def test_a_partner_over_its_limit_gets_429_with_retry_after_and_another_partner_does_not(
    limited_api: LocalApi,
) -> None:
    # Given two partners of the local stack
    first, second = new_partner_key(limited_api, "First"), new_partner_key(limited_api, "Second")

    # When the first makes more requests than its limit
    answers = [
        limited_api.request("POST", "/v1/articles", ninjs_bytes(new_uri()), key=first) for _ in range(PARTNER_LIMIT + 3)
    ]

    # Then its first requests are taken, and later ones are 429 problems with an integer Retry-After
    assert [answer.status for answer in answers[:PARTNER_LIMIT]] == [201] * PARTNER_LIMIT
    refused = [answer for answer in answers[PARTNER_LIMIT:] if answer.status == 429]
    assert refused, [answer.status for answer in answers]
    for answer in refused:
        assert answer.headers["content-type"] == "application/problem+json"
        assert answer.json()["type"].endswith("/rate-limited")
        assert answer.headers["retry-after"].isdigit()
        assert 1 <= int(answer.headers["retry-after"]) <= 3600

    # And the second partner, meanwhile, is served as usual
    assert limited_api.request("POST", "/v1/articles", ninjs_bytes(new_uri()), key=second).status == 201


def test_the_gateway_throttles_the_events_route_as_the_template_says_and_only_that_route(
    limited_api: LocalApi,
) -> None:
    # When readers' browsers post more view batches at once than the route's burst
    answers = [
        limited_api.request(
            "POST", "/v1/events", view_batch(), headers={"User-Agent": "Mozilla/5.0 (X11) Firefox/133.0"}
        )
        for _ in range(EVENTS_BURST + 5)
    ]

    # Then the burst is served, and API Gateway answers the rest itself, before any function runs
    assert [answer.status for answer in answers[:EVENTS_BURST]] == [202] * EVENTS_BURST
    throttled = [answer for answer in answers[EVENTS_BURST:] if answer.status == 429]
    assert throttled, [answer.status for answer in answers]
    for answer in throttled:
        assert answer.headers["content-type"] == "application/json"
        assert answer.json() == {"message": "Too Many Requests"}

    # And the partners' routes, throttled apart from it, still answer
    assert limited_api.request("GET", "/v1/openapi.json").status == 200
