"""The trending function on its schedule, in-process against moto, with the clock in the event."""

from __future__ import annotations

import copy
import json
from datetime import UTC, datetime, timedelta
from typing import Any

import pytest

from ingest.engagement import EngagementService
from newsdesk.dal import clients as aws
from newsdesk.dal.engagement import CounterStore, stored_trending
from newsdesk.dal.items import from_item
from newsdesk.dal.keys import COUNTERS_PREFIX, TRENDING_PK, TRENDING_SK, key
from newsdesk.dal.partners import PartnerStore
from newsdesk.engagement import ViewIncrement, hour_bucket, window_buckets
from newsdesk.snapshots import Rankings
from newsdesk_ops.cli import main
from newsdesk_ops.target import Target
from tests.conftest import LambdaContextStub, Partner, Stack, load_event
from tests.handler.stream import TableStream, count_new_visits
from tests.handler.test_events_api import BROWSER, publish, retract
from tests.support.aws_calls import AwsCalls

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
    environment: dict[str, str] = function_environment(template, "TrendingFunction", resources)
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


def stored_rankings(stack: Stack) -> Rankings:
    """The two files the TRENDING item holds, validated into their models."""
    item = stack.dynamodb.get_item(TableName=stack.table_name, Key=key(TRENDING_PK, TRENDING_SK)).get("Item")
    assert item is not None
    stored = stored_trending(from_item(item))
    assert stored is not None
    return stored.rankings()


def stored_files(stack: Stack) -> tuple[dict[str, Any], dict[str, Any]]:
    """``v1/trending.json`` and ``v1/counters.json`` as stored, as the frontend will read them."""
    trending, counters = stored_rankings(stack).texts()
    return json.loads(trending), json.loads(counters)


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
    trending, counters = stored_files(stack)
    assert listed(trending["most_read"]) == [stories["tanks"], stories["rocket"]]
    assert listed(trending["most_discussed"]) == [stories["rocket"]]
    assert listed(trending["sections"]["space"]["most_read"]) == [stories["rocket"]]
    assert counters["articles"][stories["quiet"]] == {"views": 1, "comments": 0}
    # And the item holds the sidebar as publish will write it
    sidebar = trending["most_discussed"][0]
    assert sidebar["headline"] and sidebar["count"] == 12 and sidebar["published_at"].endswith("Z")
    assert sidebar["path"] == f"/v1/articles/{stories['rocket']}.json"
    assert trending["generated_at"] == counters["generated_at"] == "2026-11-25T12:02:00Z"


def test_unchanged_rankings_write_nothing(
    stack: Stack, trending_env: dict[str, str], stories: dict[str, str], lambda_context: Any
) -> None:
    # Given a first run
    record_views(stack, stories["tanks"], 5, NOW)
    assert run_timer(NOW, lambda_context)["written"] is True
    first = stored_files(stack)
    # When the timer fires again later with no new events (scores decay, order and counts do not)
    report = run_timer(NOW + timedelta(minutes=5), lambda_context)
    # Then nothing is written
    assert report["written"] is False
    assert stored_files(stack) == first
    # And a new view changes the counts, so the next run writes
    record_views(stack, stories["quiet"], 1, NOW + timedelta(minutes=6))
    assert run_timer(NOW + timedelta(minutes=10), lambda_context)["written"] is True


def test_an_item_stored_before_it_held_the_files_is_written_again(
    stack: Stack, trending_env: dict[str, str], stories: dict[str, str], lambda_context: Any
) -> None:
    # Given a TRENDING item in the earlier layout (one JSON body), with the digest of the same rankings
    record_views(stack, stories["tanks"], 5, NOW)
    digest = run_timer(NOW, lambda_context)["digest"]
    stack.dynamodb.put_item(
        TableName=stack.table_name,
        Item={**key(TRENDING_PK, TRENDING_SK), "digest": {"S": digest}, "body": {"S": "{}"}},
    )
    # When the timer fires
    report = run_timer(NOW + timedelta(minutes=5), lambda_context)
    # Then the item is written again, holding the files
    assert report["written"] is True and report["digest"] == digest
    assert listed(stored_files(stack)[0]["most_read"]) == [stories["tanks"]]


def test_a_retracted_story_leaves_the_lists_at_the_next_run(
    stack: Stack, trending_env: dict[str, str], partner: Partner, stories: dict[str, str], lambda_context: Any
) -> None:
    record_views(stack, stories["tanks"], 9, NOW)
    record_views(stack, stories["rocket"], 3, NOW)
    run_timer(NOW, lambda_context)
    assert listed(stored_files(stack)[0]["most_read"]) == [stories["tanks"], stories["rocket"]]
    # When the partner retracts the leading story
    retract(partner, lambda_context, stories["tanks"])
    report = run_timer(NOW + timedelta(minutes=5), lambda_context)
    # Then it is gone from every list and from the counts
    assert report["written"] is True
    trending, counters = stored_files(stack)
    assert listed(trending["most_read"]) == [stories["rocket"]]
    assert stories["tanks"] not in json.dumps([trending, counters])


def test_a_run_reads_the_window_with_one_query_per_day_it_spans(
    stack: Stack,
    trending_env: dict[str, str],
    stories: dict[str, str],
    site: dict[str, str],
    lambda_context: Any,
) -> None:
    # Given views and comments in three hours of the default window (48 hours)
    window_hours = int(trending_env["TRENDING_WINDOW_HOURS"])
    assert window_hours == 48
    record_views(stack, stories["tanks"], 4, NOW - timedelta(hours=30))
    record_views(stack, stories["rocket"], 3, NOW - timedelta(hours=2))
    record_views(stack, stories["rocket"], 2, NOW)
    record_comments(stack, site, stories["quiet"], 7, NOW)
    # When the timer fires
    calls = AwsCalls().watch(aws.dynamodb_client())
    run_timer(NOW, lambda_context)
    # Then each UTC day the window spans was one Query (a day's views and comment counts share a
    # partition, sorted by hour), the candidates one BatchGetItem, the stored rankings one GetItem,
    # and the new ones one PutItem, where four partitions per hour took 384 Queries.
    days = {hour[:10] for hour in window_buckets(NOW, window_hours)}
    assert len(days) in (2, 3)
    assert dict(calls.calls) == {
        "dynamodb:Query": len(days),
        "dynamodb:BatchGetItem": 1,
        "dynamodb:GetItem": 1,
        "dynamodb:PutItem": 1,
    }
    # And it read the window's counter items and the three candidates' current items, nothing more
    counter_items = [
        item
        for item in stack.dynamodb.scan(TableName=stack.table_name)["Items"]
        if item["PK"]["S"].startswith(COUNTERS_PREFIX)
    ]
    assert len(counter_items) == 4
    assert calls.items_read == len(counter_items) + 3


def test_history_outside_the_window_is_never_read(
    stack: Stack, trending_env: dict[str, str], stories: dict[str, str], lambda_context: Any
) -> None:
    # Given a run over today's counters, after the one that stored the rankings
    record_views(stack, stories["tanks"], 5, NOW)
    run_timer(NOW, lambda_context)
    calls = AwsCalls().watch(aws.dynamodb_client())
    run_timer(NOW, lambda_context)
    before = (calls.items_read, calls.count("Query"))
    # When ten days of older counters for 200 articles are added
    counters = CounterStore(stack.table_name)
    old_hours = [hour_bucket(NOW - timedelta(days=3, hours=hour)) for hour in range(0, 240, 6)]
    # (and the hours just before the window, which share a partition with its first day)
    old_hours += [hour_bucket(NOW - timedelta(hours=hour)) for hour in range(48, 60)]
    counters.add_views([ViewIncrement(f"old-{n}", hour, 7, "news") for hour in old_hours for n in range(5)])
    # Then the next run reads exactly as many items, with as many Queries, as before
    calls.reset()
    run_timer(NOW, lambda_context)
    assert (calls.items_read, calls.count("Query")) == before


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
    assert listed(stored_files(stack)[0]["most_read"]) == [stories["rocket"]]
    # And again: nothing new, nothing written
    assert main(["trending", "run"], target=target) == 0
    assert "unchanged" in capsys.readouterr().out
