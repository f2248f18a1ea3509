"""The local stack's stand-ins for Lambda's event source mapping: filter patterns, partial batches."""

from __future__ import annotations

import copy
import json
from typing import Any

import pytest

from newsdesk_ops.event_filters import UnsupportedPattern, matches_pattern, passes_filters, validate_pattern
from newsdesk_ops.snapshot_server import etag_matches
from newsdesk_ops.stream_poller import first_failed_index
from newsdesk_ops.stream_records import lambda_stream_record
from newsdesk_ops.template import load_template, stream_sources
from tests.conftest import load_event

pytestmark = pytest.mark.unit


def canonical_records() -> list[dict[str, Any]]:
    """CURRENT article change, revision history entry, TRENDING item (tests/events)."""
    records: list[dict[str, Any]] = load_event("dynamodb_stream_batch.json")["Records"]
    return records


def template_patterns() -> tuple[dict[str, Any], ...]:
    (publish,) = [
        source for source in stream_sources(load_template()) if source.function_logical_id == "PublishFunction"
    ]
    return publish.filter_patterns


def test_template_filter_passes_current_articles_and_trending_only() -> None:
    # Given the publish function's filter from template.yaml and a batch of three kinds of records
    article, revision, trending = canonical_records()

    # When each record is judged by the filter
    passed = [passes_filters(template_patterns(), record) for record in (article, revision, trending)]

    # Then the CURRENT article and the TRENDING item pass, the revision history item does not
    assert passed == [True, False, True]


def test_exact_values_match_nested_keys_and_any_list_entry() -> None:
    # Given a pattern on a nested key with two allowed values
    pattern = {"dynamodb": {"Keys": {"SK": {"S": ["CURRENT", "SNAPSHOT"]}}}}
    record = canonical_records()[0]

    # Then either value matches, anything else or a missing key does not
    assert matches_pattern(pattern, record)
    snapshot = copy.deepcopy(record)
    snapshot["dynamodb"]["Keys"]["SK"]["S"] = "SNAPSHOT"
    assert matches_pattern(pattern, snapshot)
    other = copy.deepcopy(record)
    other["dynamodb"]["Keys"]["SK"]["S"] = "REV#00000002"
    assert not matches_pattern(pattern, other)
    missing = copy.deepcopy(record)
    del missing["dynamodb"]["Keys"]["SK"]
    assert not matches_pattern(pattern, missing)


def test_pattern_on_an_object_does_not_match_a_string_and_vice_versa() -> None:
    record = {"dynamodb": {"Keys": {"SK": {"S": "CURRENT"}}}}
    assert not matches_pattern({"dynamodb": {"Keys": {"SK": ["CURRENT"]}}}, record)
    assert not matches_pattern({"dynamodb": {"Keys": {"SK": {"S": {"N": ["1"]}}}}}, record)


def test_operators_prefix_exists_and_anything_but() -> None:
    record = {"eventName": "MODIFY", "dynamodb": {"Keys": {"PK": {"S": "ARTICLE#a1"}}}}

    assert matches_pattern({"dynamodb": {"Keys": {"PK": {"S": [{"prefix": "ARTICLE#"}]}}}}, record)
    assert not matches_pattern({"dynamodb": {"Keys": {"PK": {"S": [{"prefix": "PARTNER#"}]}}}}, record)
    assert matches_pattern({"eventName": [{"anything-but": ["REMOVE"]}]}, record)
    assert not matches_pattern({"eventName": [{"anything-but": "MODIFY"}]}, record)
    assert matches_pattern({"dynamodb": {"NewImage": [{"exists": False}]}}, record)
    assert not matches_pattern({"eventName": [{"exists": False}]}, record)
    assert matches_pattern({"eventName": [{"exists": True}]}, record)
    assert matches_pattern({"eventName": [{"equals-ignore-case": "modify"}]}, record)


def test_numbers_compare_by_value_and_lists_in_the_event_match_any_element() -> None:
    assert matches_pattern({"size": [100]}, {"size": 100.0})
    assert not matches_pattern({"size": ["100"]}, {"size": 100})
    assert matches_pattern({"tags": ["b"]}, {"tags": ["a", "b"]})
    assert not matches_pattern({"flag": [True]}, {"flag": 1})


def test_no_filters_pass_everything_and_any_filter_suffices() -> None:
    revision = canonical_records()[1]
    assert passes_filters([], revision)
    assert passes_filters([{"eventName": ["MODIFY"]}, {"eventName": ["INSERT"]}], revision)
    assert not passes_filters([{"eventName": ["MODIFY"]}, {"eventName": ["REMOVE"]}], revision)


@pytest.mark.parametrize(
    "pattern",
    [
        {"size": [{"numeric": [">", 0]}]},  # not implemented locally
        {"size": 100},  # a leaf must be a list
        {"size": [["nested"]]},
        {"size": [{"prefix": "a", "suffix": "b"}]},
    ],
)
def test_unsupported_patterns_are_refused_up_front(pattern: dict[str, Any]) -> None:
    with pytest.raises(UnsupportedPattern):
        validate_pattern(pattern)


def test_template_patterns_are_supported_locally() -> None:
    # Given the filter patterns of every stream source in template.yaml
    patterns = {source.function_logical_id: source.filter_patterns for source in stream_sources(load_template())}

    # Then both stream functions filter (were there none, the loop below would check nothing)
    assert {"PublishFunction", "ViewCounterFunction"} <= set(patterns)
    assert all(patterns.values()), patterns
    # And the local poller accepts every pattern (validate_pattern raises UnsupportedPattern)
    for function_patterns in patterns.values():
        for pattern in function_patterns:
            validate_pattern(pattern)


def test_view_counter_filter_passes_inserts_of_dedupe_records_only() -> None:
    # Given the view counter's filter from template.yaml
    (counter,) = [
        source for source in stream_sources(load_template()) if source.function_logical_id == "ViewCounterFunction"
    ]
    inserted = copy.deepcopy(canonical_records()[0])
    inserted["eventName"] = "INSERT"
    inserted["dynamodb"]["Keys"] = {"PK": {"S": "SEEN#a1#2026-11-25T10"}, "SK": {"S": "0f" * 16}}
    expired, rewritten, article = (copy.deepcopy(inserted) for _ in range(3))
    expired["eventName"] = "REMOVE"
    rewritten["eventName"] = "MODIFY"
    article["dynamodb"]["Keys"] = {"PK": {"S": "ARTICLE#a1"}, "SK": {"S": "CURRENT"}}

    # When each record is judged by the filter
    passed = [passes_filters(counter.filter_patterns, record) for record in (inserted, expired, rewritten, article)]

    # Then only the insert of the dedupe record passes: a TTL deletion never counts as a view
    assert passed == [True, False, False, False]


def test_partial_batch_response_resumes_from_the_earliest_failure() -> None:
    # Given a batch of three records
    batch = [{"dynamodb": {"SequenceNumber": str(n)}} for n in (10, 20, 30)]

    # Then success, a failure in the middle, unknown and empty identifiers read as Lambda reads them
    assert first_failed_index(batch, {"batchItemFailures": []}) is None
    assert first_failed_index(batch, None) is None
    assert first_failed_index(batch, {"batchItemFailures": [{"itemIdentifier": "30"}, {"itemIdentifier": "20"}]}) == 1
    assert first_failed_index(batch, {"batchItemFailures": [{"itemIdentifier": "99"}]}) == 0
    assert first_failed_index(batch, {"batchItemFailures": [{"itemIdentifier": ""}]}) == 0


def test_stream_record_becomes_a_json_ready_lambda_record() -> None:
    # Given a record as boto3's GetRecords returns it (datetime, bytes)
    from datetime import UTC, datetime

    stream_record = {
        "eventID": "e1",
        "eventName": "INSERT",
        "eventVersion": "1.1",
        "eventSource": "aws:dynamodb",
        "awsRegion": "us-east-1",
        "dynamodb": {
            "ApproximateCreationDateTime": datetime(2026, 11, 25, 8, 0, tzinfo=UTC),
            "Keys": {"PK": {"S": "ARTICLE#a1"}, "SK": {"S": "CURRENT"}},
            "NewImage": {"blob": {"B": b"\x00\x01"}},
            "SequenceNumber": "7",
        },
    }

    # When it is shaped like Lambda's record
    record = lambda_stream_record(stream_record, "arn:stream", "eu-west-1")

    # Then it serializes to JSON with the stack's region, epoch seconds and base64
    assert json.loads(json.dumps(record)) == record
    assert record["awsRegion"] == "eu-west-1"
    assert record["eventSourceARN"] == "arn:stream"
    assert record["dynamodb"]["ApproximateCreationDateTime"] == 1795593600
    assert record["dynamodb"]["NewImage"]["blob"] == {"B": "AAE="}


def test_if_none_match_uses_weak_comparison_and_lists() -> None:
    assert etag_matches('"abc"', '"abc"')
    assert etag_matches('W/"abc"', '"abc"')
    assert etag_matches('"x", "abc"', '"abc"')
    assert etag_matches("*", '"abc"')
    assert not etag_matches('"abd"', '"abc"')


class FakeStreams:
    """One shard whose GetRecords returns the given records once, then nothing."""

    def __init__(self, records: list[dict[str, Any]]) -> None:
        self.pending = records

    def describe_stream(self, StreamArn: str) -> dict[str, Any]:
        return {"StreamDescription": {"Shards": [{"ShardId": "shard-1"}]}}

    def get_shard_iterator(self, **_: Any) -> dict[str, Any]:
        return {"ShardIterator": "it-0"}

    def get_records(self, ShardIterator: str, Limit: int) -> dict[str, Any]:
        records, self.pending = self.pending, []
        return {"Records": records, "NextShardIterator": "it-next"}


def stream_record(sequence: int, sk: str = "CURRENT") -> dict[str, Any]:
    return {
        "eventID": f"e{sequence}",
        "eventName": "MODIFY",
        "dynamodb": {"Keys": {"PK": {"S": f"ARTICLE#a{sequence}"}, "SK": {"S": sk}}, "SequenceNumber": str(sequence)},
    }


def poller_for(records: list[dict[str, Any]], invoke: Any, **changes: Any) -> Any:
    from dataclasses import replace

    from newsdesk_ops.stream_poller import StreamPoller

    (source,) = [s for s in stream_sources(load_template()) if s.function_logical_id == "PublishFunction"]
    poller = StreamPoller(
        replace(source, **changes), "arn:stream", streams=FakeStreams(records), invoke=invoke, region="eu-west-1"
    )
    poller._stop.wait = lambda timeout=None: False  # no back-off pauses in tests
    poller.open()
    return poller


def sequences(event: dict[str, Any]) -> list[str]:
    return [record["dynamodb"]["SequenceNumber"] for record in event["Records"]]


def test_poller_delivers_filtered_batches_of_the_template_size() -> None:
    # Given five CURRENT changes and one revision item, and a batch size of two
    calls: list[list[str]] = []
    records = [stream_record(n) for n in range(1, 6)] + [stream_record(6, sk="REV#00000001")]
    poller = poller_for(records, lambda _fn, event: calls.append(sequences(event)) or {}, batch_size=2)

    # When the stream is read once
    delivered = poller.poll_once()

    # Then the revision item was filtered out and the rest came in order, two at a time
    assert calls == [["1", "2"], ["3", "4"], ["5"]]
    assert delivered == 5


def test_poller_retries_reported_failures_from_the_earliest_one() -> None:
    # Given a function that reports record 2 as failed the first time only
    calls: list[list[str]] = []

    def invoke(_function: str, event: dict[str, Any]) -> dict[str, Any]:
        calls.append(sequences(event))
        return {"batchItemFailures": [{"itemIdentifier": "2"}]} if len(calls) == 1 else {"batchItemFailures": []}

    poller = poller_for([stream_record(n) for n in (1, 2, 3)], invoke)

    # When the stream is read
    poller.poll_once()

    # Then the batch is resent from record 2 on, and nothing is dropped
    assert calls == [["1", "2", "3"], ["2", "3"]]
    assert (poller.delivered, poller.dropped) == (3, 0)


def test_poller_bisects_a_crashing_batch_and_drops_only_the_poisoned_record() -> None:
    # Given a function that crashes whenever record 3 is in its batch
    delivered: list[str] = []

    def invoke(_function: str, event: dict[str, Any]) -> dict[str, Any]:
        if "3" in sequences(event):
            raise RuntimeError("poisoned")
        delivered.extend(sequences(event))
        return {}

    poller = poller_for([stream_record(n) for n in (1, 2, 3, 4)], invoke)

    # When the stream is read
    poller.poll_once()

    # Then every other record got through and record 3 alone was dropped after its retries
    assert delivered == ["1", "2", "4"]
    assert (poller.delivered, poller.dropped) == (3, 1)


def test_a_stopping_poller_does_not_split_a_failing_batch_into_an_invocation_per_record(
    caplog: pytest.LogCaptureFixture,
) -> None:
    # Given a stack that is stopping, whose functions can no longer be invoked (their worker
    # processes closed: a poller outlived its join at stop; a run logged 368 tracebacks)
    calls: list[list[str]] = []

    def invoke(_function: str, event: dict[str, Any]) -> dict[str, Any]:
        calls.append(sequences(event))
        raise RuntimeError("the worker processes are closed")

    poller = poller_for([stream_record(n) for n in (1, 2, 3, 4)], invoke)
    poller.stop()

    # When the stream is read once more
    poller.poll_once()

    # Then the batch was tried once and dropped whole (the log names it), not bisected record by record,
    # and the log says so in lines, without a traceback (a benchmark's stop printed one per batch)
    assert calls == [["1", "2", "3", "4"]]
    assert (poller.delivered, poller.dropped) == (0, 4)
    assert [record.exc_info for record in caplog.records if record.exc_info] == []
    assert any("the worker processes are closed" in record.getMessage() for record in caplog.records)
    assert any("the stack is stopping" in record.getMessage() for record in caplog.records)


# --- Local timers: busy and idle ------------------------------------------------------------------


@pytest.mark.parametrize(
    ("expression", "seconds"),
    [
        ("rate(5 minutes)", 300.0),
        ("rate(1 minute)", 60.0),
        ("rate(2 hours)", 7200.0),
        ("rate(1 day)", 86400.0),
        ("cron(0 12 * * ? *)", None),
        ("", None),
    ],
)
def test_rate_expressions_give_their_period(expression: str, seconds: float | None) -> None:
    from newsdesk_ops.local_timers import rate_seconds

    assert rate_seconds(expression) == seconds


def test_a_timer_fires_every_tick_while_the_table_changes_and_at_its_rate_when_idle() -> None:
    from newsdesk_ops.local_timers import LOCAL_BUSY_SECONDS, timer_due

    rate = 300.0
    assert LOCAL_BUSY_SECONDS == 60.0
    # Busy: the table changed in the last minute, so every tick fires, however recently it fired
    assert timer_due(rate, quiet_for=10.0, since_fired=5.0)
    assert timer_due(rate, quiet_for=59.0, since_fired=5.0)
    # Idle: no change for a minute; a tick fires only once the rate has passed since the last one
    assert not timer_due(rate, quiet_for=60.0, since_fired=5.0)
    assert not timer_due(rate, quiet_for=float("inf"), since_fired=299.0)
    assert timer_due(rate, quiet_for=float("inf"), since_fired=300.0)
    # A schedule faster than a minute counts as busy only within its own rate
    assert timer_due(30.0, quiet_for=29.0, since_fired=5.0)
    assert not timer_due(30.0, quiet_for=31.0, since_fired=5.0)
    # Never fired yet: it fires at the first tick; a cron schedule fires every tick
    assert timer_due(rate, quiet_for=float("inf"), since_fired=float("inf"))
    assert timer_due(None, quiet_for=float("inf"), since_fired=1.0)


def test_the_poller_reports_a_table_change_for_any_record_read_even_one_filtered_out() -> None:
    from newsdesk_ops.stream_poller import StreamPoller

    (source,) = [s for s in stream_sources(load_template()) if s.function_logical_id == "PublishFunction"]
    changes: list[int] = []
    streams = FakeStreams([stream_record(1, sk="REV#00000001")])
    poller = StreamPoller(
        source,
        "arn:stream",
        streams=streams,
        invoke=lambda _fn, _event: {},
        region="eu-west-1",
        on_change=lambda: changes.append(1),
    )
    poller.open()
    # When a read returns a record the filter drops, and then a read returns nothing
    assert poller.poll_once() == 0
    assert poller.poll_once() == 0
    # Then the table changed once
    assert changes == [1]


def test_seconds_since_change_follows_the_newest_change_of_the_given_tables() -> None:
    from newsdesk_ops.local_timers import note_table_change, seconds_since_change

    assert seconds_since_change(["never-changed"]) == float("inf")
    note_table_change("test-workers-table")
    assert 0 <= seconds_since_change(["never-changed", "test-workers-table"]) < float("inf")
