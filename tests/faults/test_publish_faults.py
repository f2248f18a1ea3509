"""Publish under faults: any AWS call of the publish function fails once while it handles a stream
batch, Lambda retries the batch, and the snapshot bucket ends byte for byte as without the fault
(issue 8, "Proof": faults driven by hypothesis).

A partner's requests (the ingest property's strategy) fill the table once per example; their
records on the table's stream, as the publish function's filter lets them through, are cut into
batches. Those batches go to the publish function twice, from an empty snapshot bucket: without a
fault (counting each batch's AWS calls), then with one call of one batch failed and the batch
retried as Lambda does (the whole batch after a function error; from the earliest reported record
after a partial failure). On every PUT no file goes back to an older state than it showed; at the
end every file equals the fault-free run's, and no list or manifest entry points at nothing.
"""

from __future__ import annotations

import itertools
from dataclasses import dataclass
from typing import Any

import pytest
from hypothesis import given, note
from hypothesis import strategies as st

from newsdesk.dal import clients as aws
from tests.conftest import Partner, Stack
from tests.faults.figures import FIGURES
from tests.faults.harness import FAULT_SETTINGS, bucket_files, deliver_with_retries, draw_fault, reset_to, table_keys
from tests.faults.snapshots import SnapshotWatch, dangling, reader_view
from tests.faults.test_ingest_faults import Request, ShortLivedContext, requests, run
from tests.handler.stream import TableStream, filtered_for
from tests.handler.test_publish import snapshot_bucket  # noqa: F401 (fixture)
from tests.support.faults import Fault, FaultInjector, injector_on_function_clients

pytestmark = pytest.mark.handler


@dataclass
class Published:
    calls: list[int]  # AWS calls of each batch's first invocation
    invocations: int
    watch: SnapshotWatch


def publish(
    batches: list[list[dict[str, Any]]],
    bucket: str,
    context: Any,
    injector: FaultInjector,
    fault: tuple[int, Fault] | None = None,
) -> Published:
    from publish.app import handler

    watch = SnapshotWatch(bucket).watch(aws.s3_client())
    result = Published(calls=[], invocations=0, watch=watch)

    def invoke(event: dict[str, Any]) -> dict[str, Any]:
        return dict(handler(event, context))

    try:
        for index, batch in enumerate(batches):
            if fault is not None and fault[0] == index:
                injector.arm(fault[1])
            else:
                injector.count()
            calls_before = len(injector.calls)
            delivery = deliver_with_retries(_counting(invoke, injector, result, calls_before), batch)
            result.invocations += delivery.invocations
            injector.disarm()
    finally:
        watch.stop()
    return result


def _counting(invoke: Any, injector: FaultInjector, result: Published, calls_before: int) -> Any:
    """Record the AWS calls of a batch's first invocation."""
    state = {"first": True}

    def counted(event: dict[str, Any]) -> dict[str, Any]:
        try:
            return dict(invoke(event))
        finally:
            if state["first"]:
                result.calls.append(len(injector.calls) - calls_before)
                state["first"] = False

    return counted


def cut(records: list[dict[str, Any]], data: st.DataObject) -> list[list[dict[str, Any]]]:
    """The stream's records in the order written, cut into batches where hypothesis says."""
    if len(records) <= 1:
        return [records] if records else []
    cuts = data.draw(st.sets(st.integers(1, len(records) - 1), max_size=len(records) - 1), label="batch cuts")
    bounds = [0, *sorted(cuts), len(records)]
    return [records[start:end] for start, end in itertools.pairwise(bounds)]


@FAULT_SETTINGS
@given(requests=requests(), data=st.data())
def test_a_failed_call_then_the_streams_retry_publishes_as_without_the_fault(
    stack: Stack,
    partner: Partner,
    snapshot_bucket: str,  # noqa: F811 (the fixture imported above)
    base_keys: set[tuple[str, str]],
    requests: list[Request],
    data: st.DataObject,
) -> None:
    note(f"requests: {requests}")
    context = ShortLivedContext()
    with injector_on_function_clients() as injector:
        reset_to(stack, base_keys, stack.archive_bucket, snapshot_bucket)
        stream = TableStream(stack.dynamodb, stack.table_name)
        run(requests, stack, partner, context, injector)
        records = filtered_for("PublishFunction", stream.read_records())
        batches = cut(records, data)
        kept = table_keys(stack)
        note(f"batches: {[[r['eventName'] + ' ' + r['dynamodb']['SequenceNumber'] for r in b] for b in batches]}")

        reference = publish(batches, snapshot_bucket, context, injector)
        expected = bucket_files(stack, snapshot_bucket)
        assert reference.watch.regressions == []
        assert dangling(stack, snapshot_bucket) == []
        if not any(reference.calls):
            return  # e.g. only refused requests: nothing on the stream to publish
        fault = draw_fault(data, reference.calls)
        # Back to the table as ingest left it (whatever publish wrote goes) and an empty bucket.
        reset_to(stack, kept, snapshot_bucket)

        faulted = publish(batches, snapshot_bucket, context, injector, fault)
        note(f"fault: {fault}, fired: {injector.fired}")
        FIGURES.example(
            "publish",
            steps=len(batches),
            calls=sum(reference.calls),
            injected=injector.fired,
            retries=faulted.invocations - len(batches),
        )
        assert injector.fired is not None and injector.fired.call == fault[1].call, "the fault did not fire"
        assert faulted.watch.regressions == []
        assert dangling(stack, snapshot_bucket) == []
        assert reader_view(bucket_files(stack, snapshot_bucket)) == reader_view(expected)
