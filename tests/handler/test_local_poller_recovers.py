"""The local stream poller follows moto when moto puts a copy of the table in the table's place.

Plain moto (``NEWSDESK_LOCAL_PLAIN_MOTO=1``, or a moto upgrade that skips ``newsdesk_ops.emulator``'s
patch) answers a cancelled transaction by putting the deep copy it took before the transaction in
the table's place, with the copy's stream shard. The poller must read the new shard, say so in the
log, and not skip records: a write another thread made while the transaction ran is in the old
shard only, so the new shard can be shorter than the poller's position, and the next records
written get sequence numbers the poller believed it had read.
"""

from __future__ import annotations

import dataclasses
import logging
import uuid
from typing import Any

import pytest

from newsdesk_ops.stream_poller import StreamPoller
from newsdesk_ops.template import load_template, stream_sources

pytestmark = pytest.mark.handler


@dataclasses.dataclass
class FakeRecord:
    sequence_number: int
    # moto gives every stream record an id of its own, as DynamoDB does.
    event_id: str = dataclasses.field(default_factory=lambda: uuid.uuid4().hex)

    def to_json(self) -> dict[str, Any]:
        return {
            "eventID": self.event_id,
            "eventName": "INSERT",
            "dynamodb": {"SequenceNumber": str(self.sequence_number), "Keys": {"PK": {"S": "A"}}},
        }


@dataclasses.dataclass
class FakeShard:
    """What the poller reads of moto's StreamShard."""

    starting_sequence_number: int
    items: list[Any]

    def add(self) -> None:
        self.items.append(FakeRecord(self.starting_sequence_number + len(self.items)))


def test_after_moto_swaps_the_table_the_poller_reads_the_new_shard_and_skips_nothing(
    caplog: pytest.LogCaptureFixture,
) -> None:
    (publish,) = [s for s in stream_sources(load_template()) if s.function_logical_id == "PublishFunction"]
    source = dataclasses.replace(publish, filter_patterns=(), batch_size=100)
    delivered: list[str] = []
    shard = FakeShard(starting_sequence_number=100, items=[])
    current = {"shard": shard}

    def invoke(_function: str, event: Any) -> Any:
        delivered.extend(record["dynamodb"]["SequenceNumber"] for record in event["Records"])
        return {}

    poller = StreamPoller(
        source, "arn:stream", streams=None, invoke=invoke, region="eu-west-1", shard_of=lambda: current["shard"]
    )
    poller.open()  # LATEST: from sequence number 100
    shard.add()
    shard.add()
    assert poller.poll_once() == 2  # 100, 101
    # moto took its copy here (two records), then another thread wrote 102 into the old table,
    # the poller delivered it, and the cancelled transaction put the copy in the table's place.
    copy = FakeShard(starting_sequence_number=100, items=list(shard.items))
    shard.add()
    assert poller.poll_once() == 1  # 102, from the old shard
    current["shard"] = copy

    # When the next article is written (into the copy, as number 102 again) and the poller polls
    copy.add()
    with caplog.at_level(logging.WARNING, logger="newsdesk_ops.stream_poller"):
        found = poller.poll_once()

    # Then it is delivered, and the log says what happened
    assert found == 1
    assert delivered == ["100", "101", "102", "102"]
    assert any("replaced" in record.getMessage() for record in caplog.records), caplog.text
