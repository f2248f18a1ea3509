"""The local stream poller honours MaximumBatchingWindowInSeconds (issue 10, "It gets slower as it fills"):
it delivered whatever each read returned, so publish wrote its lists and manifest once per handful of
records where Lambda gathers them for up to the window (publish and media: 1 s)."""

from __future__ import annotations

from dataclasses import replace
from typing import Any

import pytest

from newsdesk_ops import stream_poller
from newsdesk_ops.stream_poller import StreamPoller
from newsdesk_ops.template import load_template, stream_sources
from tests.unit.test_workers import FakeStreams, sequences, stream_record


class ReadsInTurn(FakeStreams):
    """One shard whose GetRecords answers each read with the next list of records."""

    def __init__(self, reads: list[list[dict[str, Any]]]) -> None:
        super().__init__([])
        self.reads = reads

    def get_records(self, ShardIterator: str, Limit: int) -> dict[str, Any]:
        return {"Records": self.reads.pop(0) if self.reads else [], "NextShardIterator": "it-next"}


def publish_source(**changes: Any) -> Any:
    (source,) = [s for s in stream_sources(load_template()) if s.function_logical_id == "PublishFunction"]
    return replace(source, **changes)


def test_the_template_batching_windows_are_read() -> None:
    windows = {s.function_logical_id: s.batching_window_seconds for s in stream_sources(load_template())}
    assert windows == {"PublishFunction": 1.0, "MediaFunction": 1.0, "ViewCounterFunction": 10.0}


def test_records_are_gathered_until_the_window_has_passed(monkeypatch: pytest.MonkeyPatch) -> None:
    # Given a clock, and a stream whose reads bring two records, then one, then nothing
    now = [100.0]
    monkeypatch.setattr(stream_poller.time, "monotonic", lambda: now[0])
    batches: list[list[str]] = []
    reads = [[stream_record(1), stream_record(2)], [stream_record(3)], [], []]
    poller = StreamPoller(
        publish_source(),
        "arn:stream",
        streams=ReadsInTurn(reads),
        invoke=lambda _function, event: batches.append(sequences(event)) or {},
        region="eu-west-1",
        batching_window=1.0,
    )
    poller.open()
    # When the stream is read within the window, and once more after it
    for moment in (100.0, 100.4, 100.9):
        now[0] = moment
        assert poller.poll_once() == 0
    assert batches == []
    now[0] = 101.05
    delivered = poller.poll_once()
    # Then the three records went to the function in one batch, once the first had waited a second
    assert (batches, delivered) == ([["1", "2", "3"]], 3)


def test_a_full_batch_goes_at_once(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setattr(stream_poller.time, "monotonic", lambda: 5.0)
    batches: list[list[str]] = []
    poller = StreamPoller(
        publish_source(batch_size=2),
        "arn:stream",
        streams=ReadsInTurn([[stream_record(1), stream_record(2), stream_record(3)]]),
        invoke=lambda _function, event: batches.append(sequences(event)) or {},
        region="eu-west-1",
        batching_window=1.0,
    )
    poller.open()
    assert poller.poll_once() == 3
    assert batches == [["1", "2"], ["3"]]


def test_records_no_filter_lets_through_only_move_the_position(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setattr(stream_poller.time, "monotonic", lambda: 5.0)
    read_up_to: list[int] = []
    poller = StreamPoller(
        publish_source(),
        "arn:stream",
        streams=ReadsInTurn([[stream_record(7, sk="REV#00000001")]]),
        invoke=lambda _function, _event: pytest.fail("nothing passes the filter"),
        region="eu-west-1",
        batching_window=1.0,
        on_read=read_up_to.append,
    )
    poller.open()
    assert poller.poll_once() == 0
    assert read_up_to == [8]


def test_records_the_window_holds_when_the_stack_stops_get_their_retries(monkeypatch: pytest.MonkeyPatch) -> None:
    # Given a record held by the window, and a function that fails once
    monkeypatch.setattr(stream_poller.time, "monotonic", lambda: 100.0)
    monkeypatch.setattr(stream_poller, "RETRY_BACKOFF_SECONDS", 0.0)
    attempts: list[list[str]] = []

    def invoke(_function: str, event: dict[str, Any]) -> dict[str, Any]:
        attempts.append(sequences(event))
        if len(attempts) == 1:
            raise RuntimeError("transient")
        return {}

    poller = StreamPoller(
        publish_source(),
        "arn:stream",
        streams=ReadsInTurn([[stream_record(1)]]),
        invoke=invoke,
        region="eu-west-1",
        batching_window=1.0,
    )
    poller.open()
    assert poller.poll_once() == 0
    # When the stack stops within the window (the poller's loop ends and delivers what it held)
    poller._stop.set()
    poller._run()
    # Then the record was retried and delivered, not dropped at the first failure
    assert attempts == [["1"], ["1"]]
    assert (poller.delivered, poller.dropped) == (1, 0)
