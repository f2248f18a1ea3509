"""The trending function on its schedule, in-process against moto, with the clock in the event."""

from __future__ import annotations

import copy
import json
from datetime import UTC, datetime, timedelta
from typing import Any

import pytest

from ingest.engagement import EngagementService
from newsdesk.dal.engagement import CounterStore
from newsdesk.engagement import ViewIncrement, hour_bucket
from newsdesk.dal.partners import PartnerStore
from newsdesk.trending import TRENDING_PATH, trending_snapshot_payloads
from newsdesk_ops.cli import main
from newsdesk_ops.target import Target
from tests.conftest import LambdaContextStub, Partner, Stack, load_event
from tests.handler.stream import TableStream, count_new_visits
from tests.handler.test_events_api import BROWSER, publish, retract

pytestmark = pytest.mark.handler

NOW = datetime(2026, 11, 25, 12, 2, tzinfo=UTC)


@pytest.fixture
def trending_env(stack: Stack, monkeypatch: pytest.MonkeyPatch) -> dict[str, str]:
    """The trending function's own environment from template.yaml (its TRENDING_* parameters)."""
    from newsdesk.settings import get_settings
    from newsdesk_ops.template import (
        BUCKET_TYPE,
        LocalResources,
        function_environment,
        load_template,
        physical_name,
    )

    template = load_template()
    resources = LocalResources(stack_name="newsdesk-test", tables={"Table": stack.table_name})
    for logical_id, resource in template["Resources"].items():
        if resource.get("Type") == BUCKET_TYPE:
            resources.buckets[logical_id] = physical_name("newsdesk-test", logical_id)
    environment = function_environment(template, "TrendingFunction", resources)
    for name, value in environment.items():
        monkeypatch.setenv(name, value)
    get_settings.cache_clear()
    return environment


def scheduled(at: datetime) -> dict[str, Any]:
    event = copy.deepcopy(load_event("scheduled_event.json"))
    event["time"] = at.strftime("%Y-%m-%dT%H:%M:%SZ")
    event["resources"] = ["arn:aws:events:eu-west-1:123456789012:rule/newsdesk-test-TrendingTimer"]
    return event


def run_timer(at: datetime, ctx: Any) -> dict[str, Any]:
    from trending.app import handler

    report: dict[str, Any] = handler(scheduled(at), ctx)
    return report


def record_views(stack: Stack, article_id: str, readers: int, at: datetime) -> None:
    """Views through the events service, then counted from the stream by the view counter function."""
    stream = TableStream(stack.dynamodb, stack.table_name)
    counters = CounterStore(stack.table_name)
    batch = [{"type": "view", "article_id": article_id, "visitor": f"{article_id}-{n}"} for n in range(readers)]
    outcome = EngagementService(counters=counters, articles=counters).record(
        json.dumps(batch).encode(), None, BROWSER, at
    )
    assert outcome.accepted == readers
    assert count_new_visits(stream, LambdaContextStub()) == {"batchItemFailures": []}


def record_comments(stack: Stack, site: dict[str, str], article_id: str, count: int, at: datetime) -> None:
    from newsdesk.partners import Principal

    counters = CounterStore(stack.table_name)
    principal = Principal.from_authorizer_context(site)
    batch = json.dumps([{"type": "comments", "article_id": article_id, "count": count}]).encode()
    EngagementService(counters=counters, articles=counters).record(batch, principal, "comment-service/1.0", at)


def stored_body(stack: Stack) -> dict[str, Any]:
    item = stack.dynamodb.get_item(
        TableName=stack.table_name, Key={"PK": {"S": "TRENDING"}, "SK": {"S": "CURRENT"}}
    ).get("Item")
    assert item is not None
    body: dict[str, Any] = json.loads(item["body"]["S"])
    return body


def listed(entries: list[dict[str, Any]]) -> list[str]:
    return [entry["id"] for entry in entries]


@pytest.fixture
def site(stack: Stack) -> dict[str, str]:
    store = PartnerStore(stack.table_name)
    _, secret = store.add_partner("Comment service", role="site", partner_id="site-comments")
    principal = store.resolve(secret)
    assert principal is not None
    return principal.to_authorizer_context()


@pytest.fixture
def stories(stack: Stack, partner: Partner, lambda_context: Any) -> dict[str, str]:
    """Three published stories in two sections."""
    return {
        "tanks": publish(partner, lambda_context, "urn:test:trending:tanks"),
        "rocket": publish(partner, lambda_context, "urn:test:trending:rocket", subjects=[{"name": "космос"}]),
        "quiet": publish(partner, lambda_context, "urn:test:trending:quiet", subjects=[{"name": "космос"}]),
    }


def test_the_timer_ranks_the_window_and_hands_the_result_to_publish(
    stack: Stack,
    trending_env: dict[str, str],
    stories: dict[str, str],
    site: dict[str, str],
    lambda_context: Any,
) -> None:
    # Given 6 and 4 readers of two stories, a single reader of the third, and comments on one
    record_views(stack, stories["tanks"], 6, NOW - timedelta(hours=2))
    record_views(stack, stories["rocket"], 4, NOW - timedelta(minutes=1))
    record_views(stack, stories["quiet"], 1, NOW - timedelta(minutes=1))
    record_comments(stack, site, stories["rocket"], 12, NOW - timedelta(minutes=1))
    # When the timer fires
    report = run_timer(NOW, lambda_context)
    # Then the rankings are written, with the single-view story left out of the lists
    assert report["written"] is True and report["candidates"] == 3
    body = stored_body(stack)
    assert listed(body["most_read"]) == [stories["tanks"], stories["rocket"]]
    assert listed(body["most_discussed"]) == [stories["rocket"]]
    assert listed(body["sections"]["space"]["most_read"]) == [stories["rocket"]]
    assert body["counts"][stories["quiet"]] == {"views": 1, "comments": 0}
    # And publish can render the sidebar from it
    sidebar = trending_snapshot_payloads(body)[TRENDING_PATH]["most_discussed"][0]
    assert sidebar["headline"] and sidebar["count"] == 12 and sidebar["published_at"].endswith("Z")


def test_unchanged_rankings_write_nothing(
    stack: Stack, trending_env: dict[str, str], stories: dict[str, str], lambda_context: Any
) -> None:
    # Given a first run
    record_views(stack, stories["tanks"], 5, NOW)
    assert run_timer(NOW, lambda_context)["written"] is True
    first = stored_body(stack)
    # When the timer fires again later with no new events (scores decay, order and counts do not)
    report = run_timer(NOW + timedelta(minutes=5), lambda_context)
    # Then nothing is written
    assert report["written"] is False
    assert stored_body(stack) == first
    # And a new view changes the counts, so the next run writes
    record_views(stack, stories["quiet"], 1, NOW + timedelta(minutes=6))
    assert run_timer(NOW + timedelta(minutes=10), lambda_context)["written"] is True


def test_a_retracted_story_leaves_the_lists_at_the_next_run(
    stack: Stack, trending_env: dict[str, str], partner: Partner, stories: dict[str, str], lambda_context: Any
) -> None:
    record_views(stack, stories["tanks"], 9, NOW)
    record_views(stack, stories["rocket"], 3, NOW)
    run_timer(NOW, lambda_context)
    assert listed(stored_body(stack)["most_read"]) == [stories["tanks"], stories["rocket"]]
    # When the partner retracts the leading story
    retract(partner, lambda_context, stories["tanks"])
    report = run_timer(NOW + timedelta(minutes=5), lambda_context)
    # Then it is gone from every list and from the counts
    assert report["written"] is True
    body = stored_body(stack)
    assert listed(body["most_read"]) == [stories["rocket"]]
    assert stories["tanks"] not in json.dumps(body)


def test_history_outside_the_window_is_never_read(
    stack: Stack, trending_env: dict[str, str], stories: dict[str, str], lambda_context: Any
) -> None:
    # Given a run over today's counters
    record_views(stack, stories["tanks"], 5, NOW)
    before = run_timer(NOW, lambda_context)["items_read"]
    # When ten days of older counters for 200 articles are added
    counters = CounterStore(stack.table_name)
    old_hours = [hour_bucket(NOW - timedelta(days=3, hours=hour)) for hour in range(0, 240, 6)]
    counters.add_views([ViewIncrement(f"old-{n}", hour, 7, "news") for hour in old_hours for n in range(5)])
    # Then the next run reads exactly as many items as before
    after = run_timer(NOW, lambda_context)["items_read"]
    assert after == before


def test_newsdesk_trending_run_recomputes_on_demand(
    stack: Stack, stories: dict[str, str], capsys: pytest.CaptureFixture[str]
) -> None:
    record_views(stack, stories["rocket"], 3, datetime.now(UTC))
    target = Target(
        table_name=stack.table_name,
        archive_bucket=stack.archive_bucket,
        snapshot_bucket="",
        endpoint_url=None,
        region="eu-west-1",
    )
    assert main(["trending", "run"], target=target) == 0
    assert "rankings changed" in capsys.readouterr().out
    assert listed(stored_body(stack)["most_read"]) == [stories["rocket"]]
    # And again: nothing new, nothing written
    assert main(["trending", "run"], target=target) == 0
    assert "unchanged" in capsys.readouterr().out
