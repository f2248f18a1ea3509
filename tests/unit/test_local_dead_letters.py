"""The local stack's on-failure destinations: the template's queues, Lambda's on-failure record, the hold
on the dead-lettered stream records (tests/http/test_local_dead_letters.py runs it end to end)."""

from __future__ import annotations

from dataclasses import replace
from datetime import UTC, datetime
from typing import Any

import boto3
import pytest
from moto import mock_aws

from newsdesk_ops.stream_poller import StreamPoller
from newsdesk_ops.stream_records import DeadLetter, ReadRecords, on_failure_record
from newsdesk_ops.template import (
    create_resources,
    delete_resources,
    load_template,
    physical_name,
    stream_sources,
)
from tests.unit.test_workers import FakeStreams, sequences, stream_record

REGION = "eu-west-1"


def test_each_stream_source_names_its_on_failure_queue() -> None:
    queues = {source.function_logical_id: source.on_failure_logical_id for source in stream_sources(load_template())}
    assert queues["PublishFunction"] == "PublishDeadLetterQueue"
    assert queues["ViewCounterFunction"] == "ViewCounterDeadLetterQueue"
    assert queues["MediaFunction"] == "MediaDeadLetterQueue"


def test_the_templates_queues_are_created_as_configured_and_deleted() -> None:
    template = load_template()
    with mock_aws():
        clients: dict[str, Any] = {name: boto3.client(name, region_name=REGION) for name in ("dynamodb", "s3", "sqs")}
        resources = create_resources(template, stack_name="nd-test", **clients)
        sqs = clients["sqs"]
        url = resources.queues["PublishDeadLetterQueue"]
        assert url == sqs.get_queue_url(QueueName=physical_name("nd-test", "PublishDeadLetterQueue"))["QueueUrl"]
        attributes = sqs.get_queue_attributes(QueueUrl=url, AttributeNames=["All"])["Attributes"]
        assert attributes["MessageRetentionPeriod"] == "1209600"
        assert set(resources.queues) == {
            "PublishDeadLetterQueue",
            "ViewCounterDeadLetterQueue",
            "MediaDeadLetterQueue",
            "ScheduleDeadLetterQueue",
        }
        # Created again on the same emulator: the same queues, not an error
        assert create_resources(template, stack_name="nd-test", **clients).queues == resources.queues

        delete_resources(template, stack_name="nd-test", **clients)
        assert sqs.list_queues().get("QueueUrls", []) == []


def test_the_on_failure_record_has_lambdas_shape_for_a_dynamodb_stream() -> None:
    first, last = stream_record(7), stream_record(9)
    first["dynamodb"]["ApproximateCreationDateTime"] = 1_700_000_000
    last["dynamodb"]["ApproximateCreationDateTime"] = 1_700_000_005
    record = on_failure_record(
        [first, last],
        function_arn="arn:aws:lambda:eu-west-1:123456789012:function:nd-PublishFunction",
        stream_arn="arn:stream",
        shard_id="shardId-1",
        attempts=4,
        function_error=True,
        now=datetime(2026, 11, 30, 12, 0, 0, 123000, tzinfo=UTC),
    )
    assert record["version"] == "1.0"
    assert record["timestamp"] == "2026-11-30T12:00:00.123Z"
    context = record["requestContext"]
    assert context["functionArn"].endswith(":function:nd-PublishFunction")
    assert (context["condition"], context["approximateInvokeCount"]) == ("RetryAttemptsExhausted", 4)
    assert context["requestId"]
    assert record["responseContext"] == {"statusCode": 200, "executedVersion": "$LATEST", "functionError": "Unhandled"}
    assert record["DDBStreamBatchInfo"] == {
        "shardId": "shardId-1",
        "startSequenceNumber": "7",
        "endSequenceNumber": "9",
        "approximateArrivalOfFirstRecord": "2023-11-14T22:13:20Z",
        "approximateArrivalOfLastRecord": "2023-11-14T22:13:25Z",
        "batchSize": 2,
        "streamArn": "arn:stream",
    }


def test_a_batch_the_poller_gives_up_on_goes_to_its_dead_letter_and_is_held() -> None:
    # Given a function that always reports record 2 as failed
    sent: list[dict[str, Any]] = []
    held: list[int] = []

    def invoke(_function: str, event: dict[str, Any]) -> dict[str, Any]:
        return {"batchItemFailures": [{"itemIdentifier": "2"}]} if "2" in sequences(event) else {}

    (source,) = [s for s in stream_sources(load_template()) if s.function_logical_id == "PublishFunction"]
    dead_letter = DeadLetter(send=sent.append, function_arn="arn:fn", hold=held.append)
    poller = StreamPoller(
        replace(source, filter_patterns=()),
        "arn:stream",
        streams=FakeStreams([stream_record(n) for n in (1, 2, 3)]),
        invoke=invoke,
        region=REGION,
        dead_letter=dead_letter,
    )
    poller._stop.wait = lambda timeout=None: False  # type: ignore[method-assign]
    poller.open()

    # When the stream is read
    poller.poll_once()

    # Then records 2 and 3 (Lambda resumes from the failed one) are one dead letter, held for redrive
    assert (poller.delivered, poller.dropped) == (1, 2)
    (letter,) = sent
    info = letter["DDBStreamBatchInfo"]
    assert (info["startSequenceNumber"], info["endSequenceNumber"], info["batchSize"]) == ("2", "3", 2)
    assert (info["shardId"], info["streamArn"]) == ("shard-1", "arn:stream")
    assert letter["requestContext"]["approximateInvokeCount"] == poller.max_retries + 1
    assert "functionError" not in letter["responseContext"]
    assert held == [2]


class FakeShard:
    def __init__(self, records: int) -> None:
        self.starting_sequence_number = 1000
        self.items: list[Any] = [object() for _ in range(records)]


@pytest.mark.parametrize("held_from", [1003, 1000])
def test_records_from_a_held_sequence_number_on_are_not_freed(held_from: int) -> None:
    shard = FakeShard(10)
    read = ReadRecords(lambda: shard)
    publish, views = read.register("publish"), read.register("views")
    read.hold(held_from)
    publish(1010)
    views(1010)
    freed = held_from - 1000
    assert shard.items[:freed] == [None] * freed
    assert None not in shard.items[freed:]
    # A later hold does not free what an earlier one keeps
    read.hold(1008)
    views(1010)
    assert None not in shard.items[freed:]
