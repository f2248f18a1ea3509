"""Trending under faults: any AWS call of a trending run, or of publishing its result, fails once;
EventBridge runs the function again for the same scheduled time, Lambda re-delivers the stream
batch, and the TRENDING item, v1/trending.json and v1/counters.json end as without the fault
(issue 8, "Proof": faults driven by hypothesis).

Drawn per example: views and comment counts of three stories in two sections. The run and the
publishing of the TRENDING item's stream record happen once without a fault (counting calls),
then again from the same counters with one call failed and the failed step retried.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import timedelta
from typing import Any

import pytest
from hypothesis import given, note
from hypothesis import strategies as st

from newsdesk.dal import clients as aws
from newsdesk.dal.items import from_item
from newsdesk.dal.keys import TRENDING_PK, TRENDING_SK, key
from tests.conftest import LambdaContextStub, Stack
from tests.faults.figures import FIGURES
from tests.faults.harness import (
    FAULT_SETTINGS,
    MAX_ATTEMPTS,
    bucket_files,
    deliver_with_retries,
    draw_fault,
    reset_to,
    table_keys,
)
from tests.faults.snapshots import SnapshotWatch, dangling
from tests.handler.stream import TableStream, filtered_for
from tests.handler.test_publish import snapshot_bucket  # noqa: F401 (fixture)
from tests.handler.test_trending_function import (
    NOW,
    record_comments,
    record_views,
    run_timer,
    site,  # noqa: F401 (fixture)
    stories,  # noqa: F401 (fixture)
    trending_env,  # noqa: F401 (fixture)
)
from tests.support.faults import Fault, FaultInjector, injector_on_function_clients

pytestmark = pytest.mark.handler

TRENDING_FILES = ("v1/trending.json", "v1/counters.json")


@pytest.fixture
def before_activity(
    stack: Stack,
    trending_env: dict[str, str],  # noqa: F811
    snapshot_bucket: str,  # noqa: F811
    stories: dict[str, str],  # noqa: F811
    site: dict[str, str],  # noqa: F811
) -> set[tuple[str, str]]:
    return table_keys(stack)


ACTIVITY = st.fixed_dictionaries(
    {
        name: st.tuples(st.integers(0, 5), st.integers(0, 4), st.none() | st.integers(0, 12))
        for name in ("tanks", "rocket", "quiet")
    }
)


@dataclass
class Ranked:
    calls: list[int]  # the run, then the publish of its stream records
    retries: int


def rank(stack: Stack, context: Any, injector: FaultInjector, fault: tuple[int, Fault] | None = None) -> Ranked:
    from publish.app import handler as publish

    result = Ranked(calls=[], retries=0)
    stream = TableStream(stack.dynamodb, stack.table_name)
    injector.arm(fault[1]) if fault is not None and fault[0] == 0 else injector.count()
    for attempt in range(1, MAX_ATTEMPTS + 1):
        try:
            run_timer(NOW, context)
            failed = False
        except Exception:  # EventBridge invokes asynchronously: a function error is run again
            failed = True
        if attempt == 1:
            result.calls.append(len(injector.calls))
        if not failed:
            break
        result.retries += 1
    assert not failed, f"the trending run still failed after {MAX_ATTEMPTS} attempts"
    injector.disarm()
    records = filtered_for("PublishFunction", stream.read_records())
    injector.arm(fault[1]) if fault is not None and fault[0] == 1 else injector.count()
    if records:
        delivery = deliver_with_retries(lambda event: dict(publish(event, context)), records)
        result.retries += delivery.invocations - 1
    result.calls.append(len(injector.calls))
    injector.disarm()
    return result


def trending_item(stack: Stack) -> dict[str, Any] | None:
    item = stack.dynamodb.get_item(TableName=stack.table_name, Key=key(TRENDING_PK, TRENDING_SK)).get("Item")
    return from_item(item) if item else None


@FAULT_SETTINGS
@given(activity=ACTIVITY, data=st.data())
def test_a_failed_call_then_the_rerun_ranks_and_publishes_as_without_the_fault(
    stack: Stack,
    stories: dict[str, str],  # noqa: F811
    site: dict[str, str],  # noqa: F811
    snapshot_bucket: str,  # noqa: F811
    before_activity: set[tuple[str, str]],
    activity: dict[str, tuple[int, int, int | None]],
    data: st.DataObject,
) -> None:
    note(f"activity (views now, views 3 h ago, comments): {activity}")
    context = LambdaContextStub()
    reset_to(stack, before_activity, snapshot_bucket)
    for name, (recent, older, comments) in activity.items():
        if recent:
            record_views(stack, stories[name], recent, NOW - timedelta(minutes=1))
        if older:
            record_views(stack, stories[name], older, NOW - timedelta(hours=3))
        if comments is not None:
            record_comments(stack, site, stories[name], comments, NOW - timedelta(minutes=1))
    counted = table_keys(stack)

    with injector_on_function_clients() as injector:
        watch = SnapshotWatch(snapshot_bucket).watch(aws.s3_client())
        try:
            reference = rank(stack, context, injector)
            expected_item = trending_item(stack)
            expected_files = bucket_files(stack, snapshot_bucket)
            assert expected_item is not None
            fault = draw_fault(data, reference.calls)
            reset_to(stack, counted, snapshot_bucket)

            faulted = rank(stack, context, injector, fault)
        finally:
            watch.stop()
        note(f"fault: {fault}, fired: {injector.fired}")
        FIGURES.example(
            "trending", steps=2, calls=sum(reference.calls), injected=injector.fired, retries=faulted.retries
        )
        assert injector.fired is not None and injector.fired.call == fault[1].call, "the fault did not fire"
    assert trending_item(stack) == expected_item
    files = bucket_files(stack, snapshot_bucket)
    for path in TRENDING_FILES:
        assert files.get(path) == expected_files.get(path), path
    assert watch.regressions == []
    assert dangling(stack, snapshot_bucket) == []
