"""The view counter function: new dedupe records on the table's stream become hourly view counters.

In-process against moto: views are posted through the events route, the stream is read as Lambda
would deliver it (tests/handler/stream.py), filtered by the template's FilterCriteria, and handed
to ``trending.counting.handler``.
"""

from __future__ import annotations

import copy
import json
import random
from collections.abc import Sequence
from datetime import UTC, datetime, timedelta
from typing import Any

import pytest
from aws_lambda_powertools.utilities.data_classes.dynamo_db_stream_event import DynamoDBRecord

from ingest.engagement import EngagementService
from newsdesk.dal import clients as aws
from newsdesk.dal.engagement import CounterStore
from newsdesk.dal.keys import COUNTERS_PREFIX, article_of_view_sk, counters_pk
from newsdesk.engagement import ViewIncrement
from tests.conftest import Partner, Stack
from tests.handler.stream import TableStream, count_new_visits, filtered_for, lambda_event
from tests.handler.test_events_api import (
    BROWSER,
    items_with_prefix,
    post_events,
    publish,
    total_views,
    view,
    view_counters,
)
from tests.handler.test_trending_function import run_timer, stored_files, trending_env  # noqa: F401 (fixture)
from tests.support.aws_calls import AwsCalls
from trending.counting import count_views, handler

pytestmark = pytest.mark.handler

NOW = datetime(2026, 11, 25, 12, 2, tzinfo=UTC)


def stream_records(records: Sequence[dict[str, Any]]) -> list[DynamoDBRecord]:
    """Records of a Lambda event as the handler hands them on (Powertools' DynamoDBRecord)."""
    return [DynamoDBRecord(record) for record in records]


def record_visits(stack: Stack, visits: Sequence[tuple[str, str]], at: datetime) -> None:
    """(article, visitor) pairs through the events service, in requests of 50."""
    counters = CounterStore(stack.table_name)
    service = EngagementService(counters=counters, articles=counters)
    for start in range(0, len(visits), 50):
        batch = [view(article_id, visitor) for article_id, visitor in visits[start : start + 50]]
        assert service.record(json.dumps(batch).encode(), None, BROWSER, at).accepted == len(batch)


def new_visit_records(stream: TableStream) -> list[dict[str, Any]]:
    """What is new on the stream that the view counter's filter lets through: the dedupe records'
    inserts (the events route also writes client counts, CLIENT# items, which the filter drops)."""
    return filtered_for("ViewCounterFunction", stream.read_records())


class FailingCounters:
    """Applies updates like the real store, until the n-th one (1-based) fails."""

    def __init__(self, fail_at: int) -> None:
        self.applied: list[ViewIncrement] = []
        self._fail_at = fail_at

    def add_views(self, increments: Sequence[ViewIncrement]) -> None:
        if len(self.applied) + 1 == self._fail_at:
            raise RuntimeError("throttled")
        self.applied.extend(increments)


@pytest.fixture
def articles(stack: Stack, partner: Partner, lambda_context: Any) -> list[str]:
    return [publish(partner, lambda_context, f"urn:test:counting:{n}") for n in range(5)]


def test_a_stream_batch_makes_one_counter_update_per_article_and_hour(stack: Stack, articles: list[str]) -> None:
    # Given 200 new visits on 5 articles in two hours, posted in shuffled requests of 50
    stream = TableStream(stack.dynamodb, stack.table_name)
    visits = [(articles[n % 5], f"reader-{n}") for n in range(200)]
    random.Random(7).shuffle(visits)
    record_visits(stack, visits[:120], NOW - timedelta(hours=1))
    record_visits(stack, visits[120:], NOW)
    records = filtered_for("ViewCounterFunction", stream.read_records())
    assert len(records) == 200
    # When the view counter gets them as one stream batch
    calls = AwsCalls().watch(aws.dynamodb_client())
    report, failed = count_views(stream_records(records), CounterStore(stack.table_name))
    # Then exactly one counter update per (article, hour) carries all 200 views (one transaction
    # with the article's all-time views and its counts-changed marker)
    assert failed == []
    assert calls.count("TransactWriteItems") == report.counter_updates == 10
    assert sum(calls.calls.values()) == 10
    assert report.views == 200 and report.skipped == 0
    assert sum(total_views(stack, article_id) for article_id in articles) == 200
    assert {total_views(stack, article_id) for article_id in articles} == {40}


def test_only_inserts_of_dedupe_records_count(stack: Stack, articles: list[str], lambda_context: Any) -> None:
    # Given the stream records of two new visits, and an article change on the same stream
    stream = TableStream(stack.dynamodb, stack.table_name)
    status, _, _ = post_events([view(articles[0], "reader-1"), view(articles[0], "reader-2")], lambda_context)
    assert status == 202
    inserted = new_visit_records(stream)
    assert [record["eventName"] for record in inserted] == ["INSERT", "INSERT"]
    # ... and the same dedupe record expiring (TTL: REMOVE) and rewritten (MODIFY)
    expired, rewritten = copy.deepcopy(inserted[0]), copy.deepcopy(inserted[1])
    expired["eventName"] = "REMOVE"
    expired["userIdentity"] = {"type": "Service", "principalId": "dynamodb.amazonaws.com"}
    rewritten["eventName"] = "MODIFY"
    article_change = copy.deepcopy(inserted[0])
    article_change["dynamodb"]["Keys"] = {"PK": {"S": f"ARTICLE#{articles[1]}"}, "SK": {"S": "CURRENT"}}
    # When the template's filter judges them
    assert filtered_for("ViewCounterFunction", [expired, rewritten, article_change]) == []
    # And when they reach the function anyway (the code checks too)
    response = handler(lambda_event([*inserted, expired, rewritten, article_change]), lambda_context)
    # Then only the two inserts count
    assert response == {"batchItemFailures": []}
    assert total_views(stack, articles[0]) == 2 and total_views(stack, articles[1]) == 0


def test_a_dedupe_record_without_attributes_is_read_from_its_key(stack: Stack, articles: list[str]) -> None:
    # Given a dedupe record's insert whose image carries only the keys (as records written before
    # the attributes were added)
    stream = TableStream(stack.dynamodb, stack.table_name)
    record_visits(stack, [(articles[2], "reader-1")], NOW)
    (record,) = new_visit_records(stream)
    record["dynamodb"]["NewImage"] = {name: record["dynamodb"]["NewImage"][name] for name in ("PK", "SK")}
    # When
    report, failed = count_views(stream_records([record]), CounterStore(stack.table_name))
    # Then it counts in its article's hour
    assert (report.views, failed) == (1, [])
    (counter,) = items_with_prefix(stack, counters_pk("2026-11-25T12"))
    assert article_of_view_sk(counter["SK"]["S"]) == articles[2] and counter["views"]["N"] == "1"


def test_a_failed_update_reports_the_records_not_counted_and_the_retry_completes(
    stack: Stack, articles: list[str]
) -> None:
    # Given a batch of 3 articles' visits, each article's records contiguous in the stream
    stream = TableStream(stack.dynamodb, stack.table_name)
    record_visits(stack, [(articles[n // 4], f"reader-{n}") for n in range(12)], NOW)
    records = new_visit_records(stream)
    sequence = [record["dynamodb"]["SequenceNumber"] for record in records]
    # When the second counter update fails
    failing = FailingCounters(fail_at=2)
    report, failed = count_views(stream_records(records), failing)
    # Then the first update stands, the third is not tried, and the records of both others are reported
    assert [increment.article_id for increment in failing.applied] == [articles[0]]
    assert (report.counter_updates, report.views, report.failed_records) == (1, 4, 8)
    assert failed == sequence[4:]
    # And the handler's partial batch response names them, so Lambda resumes from the earliest
    resumed = [record for record in records if record["dynamodb"]["SequenceNumber"] in failed]
    retry_report, retry_failed = count_views(stream_records(resumed), CounterStore(stack.table_name))
    assert (retry_report.counter_updates, retry_failed) == (2, [])


def test_the_handler_answers_a_partial_batch_response(
    stack: Stack, articles: list[str], lambda_context: Any, monkeypatch: pytest.MonkeyPatch
) -> None:
    stream = TableStream(stack.dynamodb, stack.table_name)
    record_visits(stack, [(articles[0], "reader-1"), (articles[1], "reader-2")], NOW)
    event = lambda_event(new_visit_records(stream))
    second = event["Records"][1]["dynamodb"]["SequenceNumber"]
    monkeypatch.setattr(CounterStore, "add_views", FailingCounters(fail_at=2).add_views)
    assert handler(event, lambda_context) == {"batchItemFailures": [{"itemIdentifier": second}]}


def test_posted_views_reach_the_rankings_through_the_stream(
    stack: Stack,
    trending_env: dict[str, str],  # noqa: F811 (fixture)
    articles: list[str],
    lambda_context: Any,
) -> None:
    # Given readers posting views through the events route (current clock)
    stream = TableStream(stack.dynamodb, stack.table_name)
    for reader in range(4):
        status, _, body = post_events(
            [view(articles[0], f"reader-{reader}"), view(articles[1], f"reader-{reader}")][: 1 + (reader < 3)],
            lambda_context,
        )
        assert status == 202 and body["ignored"] == 0
    # ... which write no counter by themselves
    assert view_counters(stack) == []
    # When the view counter takes the new visits from the stream, and the trending timer fires
    assert count_new_visits(stream, lambda_context) == {"batchItemFailures": []}
    report = run_timer(datetime.now(UTC), lambda_context)
    # Then the rankings see the views
    assert report["written"] is True
    trending, counters = stored_files(stack)
    assert [entry["id"] for entry in trending["most_read"]] == [articles[0], articles[1]]
    assert counters["articles"][articles[0]]["views"] == 4 and counters["articles"][articles[1]]["views"] == 3


def test_an_event_that_is_not_a_stream_batch_is_ignored(stack: Stack, lambda_context: Any) -> None:
    assert handler({"source": "aws.events"}, lambda_context) == {"batchItemFailures": []}
    assert items_with_prefix(stack, COUNTERS_PREFIX) == []
