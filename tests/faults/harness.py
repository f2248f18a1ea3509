"""What every fault property test shares: its hypothesis settings, how a client and Lambda retry,
and how a pipeline's state is cleared between the fault-free run and the faulted one.

Each property runs the same steps twice on the same starting state: once without a fault (the
reference, whose AWS calls are counted), then with one call failed, followed by the retry that
the caller would make. Hypothesis chooses the steps, the call that fails and how it fails.
"""

from __future__ import annotations

import os
from collections.abc import Callable, Iterable
from dataclasses import dataclass
from typing import Any

from hypothesis import HealthCheck, settings
from hypothesis import strategies as st

from tests.conftest import Stack
from tests.support.faults import Fault, FaultKind

# Function-scoped fixtures (the stack, a partner) are shared by a test's examples on purpose: each
# example clears the state it makes itself, which costs milliseconds where a new stack costs ~1 s.
_COMMON: dict[str, Any] = {
    "deadline": None,
    "database": None,
    "print_blob": True,
    "suppress_health_check": [HealthCheck.function_scoped_fixture, HealthCheck.too_slow],
}
# `make test`: few examples, the same ones every run (derandomized), so CI is reproducible.
settings.register_profile("faults-ci", max_examples=25, derandomize=True, **_COMMON)
# `make faults`: many more, and new ones each run.
settings.register_profile("faults-long", max_examples=200, **_COMMON)


def fault_settings() -> settings:
    """The profile named by HYPOTHESIS_PROFILE when it is one of ours, else faults-ci;
    FAULTS_MAX_EXAMPLES overrides the number of examples."""
    name = os.environ.get("HYPOTHESIS_PROFILE", "")
    chosen = settings.get_profile(name if name in ("faults-ci", "faults-long") else "faults-ci")
    examples = os.environ.get("FAULTS_MAX_EXAMPLES", "")
    return settings(chosen, max_examples=int(examples)) if examples.isdigit() else chosen


FAULT_SETTINGS = fault_settings()
KINDS = st.sampled_from(list(FaultKind))
# A retried request or invocation that keeps failing after this many attempts is a failure of its own.
MAX_ATTEMPTS = 6


def draw_fault(data: st.DataObject, calls_per_step: list[int]) -> tuple[int, Fault]:
    """Which step (index into ``calls_per_step``) fails, at which of its calls, and how."""
    places = [(step, call) for step, calls in enumerate(calls_per_step) for call in range(1, calls + 1)]
    assert places, "the fault-free run made no AWS call to fail"
    # Every call of the run equally likely: hypothesis's own integers lean towards the first ones.
    step, call = data.draw(st.randoms(use_true_random=False), label="place").choice(places)
    kind = data.draw(KINDS, label="fault")
    return step, Fault(call=call, kind=kind)


# --- Clearing state between the two runs of an example --------------------------------------------


def delete_items(stack: Stack, doomed: Callable[[dict[str, Any]], bool]) -> None:
    """Delete the table's items for which ``doomed(item)`` holds (through the test's own client)."""
    pages = stack.dynamodb.get_paginator("scan").paginate(TableName=stack.table_name, ProjectionExpression="PK, SK")
    for page in pages:
        for item in page["Items"]:
            if doomed(item):
                stack.dynamodb.delete_item(TableName=stack.table_name, Key={"PK": item["PK"], "SK": item["SK"]})


def table_keys(stack: Stack) -> set[tuple[str, str]]:
    pages = stack.dynamodb.get_paginator("scan").paginate(TableName=stack.table_name, ProjectionExpression="PK, SK")
    return {(pk_of(item), sk_of(item)) for page in pages for item in page["Items"]}


def reset_to(stack: Stack, kept: set[tuple[str, str]], *buckets: str) -> None:
    """Back to a table holding only the items ``kept`` names (as they are now), and empty buckets."""
    delete_items(stack, lambda item: (pk_of(item), sk_of(item)) not in kept)
    for bucket in buckets:
        empty_bucket(stack, bucket)


def empty_bucket(stack: Stack, bucket: str) -> None:
    """Every object version and delete marker of ``bucket`` (the archive and snapshot buckets are versioned)."""
    while True:
        page = stack.s3.list_object_versions(Bucket=bucket)
        entries = page.get("Versions", []) + page.get("DeleteMarkers", [])
        if entries:
            objects = [{"Key": entry["Key"], "VersionId": entry["VersionId"]} for entry in entries]
            stack.s3.delete_objects(Bucket=bucket, Delete={"Objects": objects, "Quiet": True})
        if not page.get("IsTruncated"):
            return


def bucket_files(stack: Stack, bucket: str) -> dict[str, bytes]:
    listing = stack.s3.get_paginator("list_objects_v2").paginate(Bucket=bucket)
    keys = [item["Key"] for page in listing for item in page.get("Contents", [])]
    return {key: stack.s3.get_object(Bucket=bucket, Key=key)["Body"].read() for key in sorted(keys)}


def pk_of(item: dict[str, Any]) -> str:
    return str(item["PK"]["S"])


def sk_of(item: dict[str, Any]) -> str:
    return str(item["SK"]["S"])


# --- Retries as the callers make them -------------------------------------------------------------


@dataclass
class Delivery:
    """How one stream batch went: invocations (1 without a retry) and what the last one answered."""

    invocations: int
    response: dict[str, Any] | None


def deliver_with_retries(invoke: Callable[[dict[str, Any]], dict[str, Any]], records: list[dict[str, Any]]) -> Delivery:
    """Hand ``records`` to a stream function as Lambda does, until the batch succeeds.

    A function error retries the whole batch; ``batchItemFailures`` make Lambda resume from the
    earliest failed record (every record after it is delivered again).
    """
    batch = list(records)
    for attempt in range(1, MAX_ATTEMPTS + 1):
        try:
            response = invoke({"Records": batch})
        except Exception:  # a function error: the same batch again
            continue
        failed = [str(entry["itemIdentifier"]) for entry in (response or {}).get("batchItemFailures", [])]
        if not failed:
            return Delivery(invocations=attempt, response=response)
        earliest = min(failed, key=int)
        start = next(index for index, record in enumerate(batch) if record["dynamodb"]["SequenceNumber"] == earliest)
        batch = batch[start:]
    raise AssertionError(f"the stream batch still failed after {MAX_ATTEMPTS} invocations")


def sequence_numbers(records: Iterable[dict[str, Any]]) -> list[str]:
    return [str(record["dynamodb"]["SequenceNumber"]) for record in records]
