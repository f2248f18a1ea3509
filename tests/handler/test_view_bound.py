"""Rankings are not for sale (issue 8, 'What broke' 9), through the events route against moto.

One client (one source address) sending 1,000 views of a story with 1,000 visitor ids of its own
making used to put the story at #1 of most_read. Now a client adds at most the bound
(``VIEWS_PER_CLIENT_HOUR``, 60) per article and hour; readers behind one address still count up to it.
"""

from __future__ import annotations

import json
from datetime import UTC, datetime
from typing import Any

import pytest

from ingest.engagement import EngagementService
from newsdesk.dal import clients as aws
from newsdesk.dal.engagement import CounterStore
from newsdesk.settings import get_settings
from tests.conftest import Partner, Stack
from tests.handler.stream import TableStream, count_new_visits
from tests.handler.test_events_api import BROWSER, READER_IP, all_items, post_events, publish, total_views, view
from tests.handler.test_trending_function import run_timer, stored_files, trending_env  # noqa: F401 (fixture)
from tests.support.aws_calls import AwsCalls

pytestmark = [pytest.mark.handler, pytest.mark.attack(9)]

ATTACKER = "198.51.100.7"
NOW = datetime(2026, 11, 25, 10, 20, tzinfo=UTC)


class PinnedClock(datetime):
    """The events route's clock, stopped: all of a test's views fall in one hour, even at :59."""

    pinned = datetime.now(UTC)

    @classmethod
    def now(cls, tz: Any = None) -> PinnedClock:
        return cls.fromtimestamp(cls.pinned.timestamp(), tz)


def test_one_client_with_a_thousand_made_up_visitors_cannot_take_number_one(
    stack: Stack,
    trending_env: dict[str, str],  # noqa: F811 (fixture)
    partner: Partner,
    lambda_context: Any,
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    PinnedClock.pinned = datetime.now(UTC)
    monkeypatch.setattr("ingest.app.datetime", PinnedClock)
    bound = get_settings().views_per_client_hour
    assert 50 <= bound <= 100
    bought = publish(partner, lambda_context, "urn:test:bound:bought")
    read = publish(partner, lambda_context, "urn:test:bound:read")
    stream = TableStream(stack.dynamodb, stack.table_name)
    # Given one client sending 1,000 views of one story with 1,000 visitor ids it made up
    accepted = limited = 0
    for start in range(0, 1000, 50):
        status, _, body = post_events(
            [view(bought, f"fake-{n}") for n in range(start, start + 50)], lambda_context, source_ip=ATTACKER
        )
        assert status == 202
        accepted += body["accepted"]
        limited += body["ignored_reasons"].get("rate_limited", 0)
    # And another story read by 70 genuine readers, each from an address of their own
    for n in range(70):
        status, _, body = post_events([view(read, f"reader-{n}")], lambda_context, source_ip=f"192.0.2.{n + 1}")
        assert body == {"accepted": 1, "ignored": 0, "ignored_reasons": {}}
    # When the views are counted and the trending timer fires
    assert count_new_visits(stream, lambda_context) == {"batchItemFailures": []}
    run_timer(PinnedClock.pinned, lambda_context)
    # Then the client added only the bound, and was told the rest was rate limited
    assert accepted == bound and limited == 1000 - bound
    assert total_views(stack, bought) == bound and total_views(stack, read) == 70
    # And the story the readers read is #1
    trending, counters = stored_files(stack)
    assert [entry["id"] for entry in trending["most_read"]] == [read, bought]
    assert counters["articles"][bought]["views"] == bound
    # And neither address is stored anywhere, only keyed hashes of them
    stored = json.dumps(all_items(stack))
    assert ATTACKER not in stored and "192.0.2.1" not in stored


def test_fifty_readers_behind_one_office_address_all_count(stack: Stack, partner: Partner, lambda_context: Any) -> None:
    story = publish(partner, lambda_context, "urn:test:bound:office")
    answers = [post_events([view(story, f"colleague-{n}")], lambda_context, source_ip=READER_IP)[2] for n in range(50)]
    assert sum(answer["accepted"] for answer in answers) == 50


def test_a_request_of_views_costs_one_conditional_update_per_article(
    stack: Stack, partner: Partner, lambda_context: Any
) -> None:
    # Given a client that has used up its bound on one story, and reads another
    full = publish(partner, lambda_context, "urn:test:bound:full")
    other = publish(partner, lambda_context, "urn:test:bound:other")
    counters = CounterStore(stack.table_name)
    service = EngagementService(counters=counters, articles=counters, views_per_client=50)
    for start in range(0, 100, 50):
        batch = [view(full, f"v-{n}") for n in range(start, start + 50)]
        service.record(json.dumps(batch).encode(), None, BROWSER, NOW, client_address=ATTACKER)
    calls = AwsCalls().watch(aws.dynamodb_client())
    # When it sends 10 more views of the first and 10 of the second
    batch = [view(full, f"w-{n}") for n in range(10)] + [view(other, f"w-{n}") for n in range(10)]
    outcome = service.record(json.dumps(batch).encode(), None, BROWSER, NOW, client_address=ATTACKER)
    # Then the first's are refused by the count's condition, the second's counted
    assert outcome.accepted == 10 and outcome.ignored_reasons == {"rate_limited": 10}
    # With: article states, dedupe lookups, one UpdateItem per article, one BatchWriteItem
    assert dict(calls.calls) == {"dynamodb:BatchGetItem": 2, "dynamodb:UpdateItem": 2, "dynamodb:BatchWriteItem": 1}


def test_the_address_key_is_the_deployments_secret_read_once_per_process(
    stack: Stack, partner: Partner, lambda_context: Any, monkeypatch: pytest.MonkeyPatch
) -> None:
    import boto3

    from ingest.engagement import client_key
    from newsdesk.dal.keys import CLIENT_PREFIX
    from newsdesk.engagement import client_hash, hour_bucket

    # Given the secret the template creates, named in the function's environment
    secrets = boto3.client("secretsmanager")
    arn = secrets.create_secret(Name="newsdesk-test-client-address-key", SecretString="s3cr3t-" * 9)["ARN"]
    monkeypatch.setenv("CLIENT_KEY_SECRET", arn)
    get_settings.cache_clear()
    client_key.cache_clear()
    try:
        story = publish(partner, lambda_context, "urn:test:bound:key")
        # When a reader's view is recorded
        before = datetime.now(UTC)
        assert post_events([view(story, "reader-1")], lambda_context)[2]["accepted"] == 1
        hours = {hour_bucket(before), hour_bucket(datetime.now(UTC))}  # the request's hour, whichever
        # Then the client's count is stored under the HMAC of its address with that key
        (item,) = [item for item in all_items(stack) if item["PK"]["S"].startswith(CLIENT_PREFIX)]
        expected = {client_hash(("s3cr3t-" * 9).encode(), READER_IP, story, hour) for hour in hours}
        assert item["PK"]["S"].removeprefix(CLIENT_PREFIX) in expected and item["visits"]["N"] == "1"
        # And the key is read once per process: gone from Secrets Manager, the function still has it
        secrets.delete_secret(SecretId=arn, ForceDeleteWithoutRecovery=True)
        assert post_events([view(story, "reader-2")], lambda_context)[2]["accepted"] == 1
    finally:
        client_key.cache_clear()
        get_settings.cache_clear()
