"""Ingest under faults: any AWS call of a partner's request fails once, the partner retries, and the
articles end exactly as without the fault (issue 8, "Proof": faults driven by hypothesis).

A story's life is drawn as a sequence of requests on two stories: new versions (POST, some with an
Idempotency-Key), byte-for-byte replays, a stale version, a PUT with If-Match, a DELETE. The
sequence runs once without a fault, counting each request's AWS calls; then again with one call of
one request failed (throttled, 500, a timeout before AWS did it, the response lost after AWS did
it), and that request re-sent until its answer is not a 5xx, as a partner does. Afterwards the
CURRENT items, the archived bytes and normalized articles they name, and each request's answer
equal the fault-free run's; after every attempt, every record points at objects that exist.
"""

from __future__ import annotations

import json
from dataclasses import dataclass
from typing import Any

import pytest
from hypothesis import given, note
from hypothesis import strategies as st

from newsdesk.articles import article_id_for
from newsdesk.dal.items import from_item
from newsdesk.dal.keys import revision_sk
from tests.conftest import LambdaContextStub, Partner, Stack
from tests.faults.figures import FIGURES
from tests.faults.harness import FAULT_SETTINGS, MAX_ATTEMPTS, draw_fault, pk_of, reset_to
from tests.handler.ninjs_builders import article_doc, encode
from tests.handler.test_ingest_api import on_article, post
from tests.handler.test_ingest_resilience import assert_consistent
from tests.support.faults import Fault, FaultInjector, injector_on_function_clients

pytestmark = pytest.mark.handler

STORIES = ("urn:newsml:oboronka.example:20261125:faults-a", "urn:newsml:oboronka.example:20261125:faults-b")
KINDS = ("post", "replay", "stale", "put", "delete")
# Time fields written from the clock of the request (a retraction's, a revision's receipt): the
# two runs happen at different moments. Everything else must be equal.
CLOCK_FIELDS = frozenset({"received_at", "updated_at"})


@dataclass(frozen=True)
class Request:
    method: str
    story: int
    body: bytes | None = None
    idempotency_key: str | None = None


@st.composite
def requests(draw: st.DrawFn) -> list[Request]:
    """A partner's requests on two stories; versions only move forward, except the stale one."""
    plan = draw(st.lists(st.tuples(st.sampled_from(KINDS), st.integers(0, 1), st.booleans()), min_size=1, max_size=5))
    versions = [0, 0]
    last: list[bytes | None] = [None, None]
    made: list[Request] = []
    for index, (kind, story, keyed) in enumerate(plan):
        key = f"faults-{index}" if keyed else None
        if kind == "delete":
            made.append(Request("DELETE", story))
            continue
        if kind == "replay" and last[story] is not None:
            made.append(Request("POST", story, last[story], key))
            continue
        if kind == "stale":
            body = encode(article_doc(STORIES[story], version="1", headline="Устаревшая версия"))
            made.append(Request("POST", story, body, key))
            continue
        versions[story] += 1
        version = versions[story]
        doc = article_doc(
            STORIES[story],
            version=str(version),
            versioncreated=f"2026-11-25T{8 + version:02d}:00:00Z",
            headline=f"Новость {story}, версия {version}",
        )
        last[story] = encode(doc)
        made.append(Request("PUT" if kind == "put" else "POST", story, last[story], key))
    return made


@dataclass
class Run:
    statuses: list[int]
    calls: list[int]  # AWS calls of each request's first attempt
    retries: int


class ShortLivedContext(LambdaContextStub):
    """An invocation about to time out: an ``Idempotency-Key`` record it leaves "in progress" has
    expired by the partner's next retry, as it has in AWS once the function's timeout has passed."""

    def get_remaining_time_in_millis(self) -> int:
        return 1


def send(request: Request, partner: Partner, context: Any, etags: dict[int, str]) -> tuple[int, dict[str, str], Any]:
    article_id = article_id_for(partner.partner_id, STORIES[request.story])
    if request.method == "POST":
        headers = {"idempotency-key": request.idempotency_key} if request.idempotency_key else {}
        return post(partner, request.body or b"", context, **headers)
    if request.method == "PUT":
        if_match = etags.get(request.story, '"1"')
        return on_article("PUT", partner, article_id, context, body=request.body, **{"if-match": if_match})
    return on_article("DELETE", partner, article_id, context)


def retried(status: int, body: Any) -> bool:
    """What a partner re-sends: a 5xx, and the 409 that says the first request with its
    Idempotency-Key is still running ("retry shortly")."""
    in_progress = isinstance(body, dict) and str(body.get("type", "")).endswith("/idempotency-in-progress")
    return status >= 500 or (status == 409 and in_progress)


def run(
    requests: list[Request],
    stack: Stack,
    partner: Partner,
    context: Any,
    injector: FaultInjector,
    fault: tuple[int, Fault] | None = None,
) -> Run:
    """Send the requests in order; each is re-sent while it answers 5xx, as a partner would."""
    etags: dict[int, str] = {}
    result = Run(statuses=[], calls=[], retries=0)
    for index, request in enumerate(requests):
        failing = fault is not None and fault[0] == index
        if fault is not None and failing:
            injector.arm(fault[1])
        else:
            injector.count()
        for attempt in range(1, MAX_ATTEMPTS + 1):
            status, headers, body = send(request, partner, context, etags)
            if attempt == 1:
                result.calls.append(len(injector.calls))
            if failing:
                # Nothing lost in between: every record names objects that exist, after every attempt.
                assert_consistent(stack)
            if not retried(status, body):
                break
            result.retries += 1
        injector.disarm()
        assert not retried(status, body), f"request {index} still answers {status} after {MAX_ATTEMPTS} attempts"
        if "etag" in headers:
            etags[request.story] = headers["etag"]
        result.statuses.append(status)
    return result


def article_state(stack: Stack) -> dict[str, dict[str, Any]]:
    """Each article's CURRENT item (clock fields aside), its raw bytes and normalized article."""
    items = stack.dynamodb.scan(TableName=stack.table_name)["Items"]
    keys = {(pk_of(item), item["SK"]["S"]) for item in items}
    state: dict[str, dict[str, Any]] = {}
    for item in items:
        if not pk_of(item).startswith("ARTICLE#") or item["SK"]["S"] != "CURRENT":
            continue
        values = from_item(item)
        # The revision CURRENT holds has its immutable history item.
        assert (pk_of(item), revision_sk(int(values["revision"]), values["content_hash"])) in keys, values
        raw = stack.s3.get_object(Bucket=stack.archive_bucket, Key=values["archive_key"])["Body"].read()
        normalized = stack.s3.get_object(Bucket=stack.archive_bucket, Key=values["normalized_key"])["Body"].read()
        state[values["article_id"]] = {
            "record": {name: value for name, value in values.items() if name not in CLOCK_FIELDS},
            "raw": raw,
            "normalized": json.loads(normalized),
        }
    return state


def answer(status: int) -> int:
    # A create whose response was lost is answered, when retried, as the replay it is.
    return 200 if status == 201 else status


@FAULT_SETTINGS
@given(requests=requests(), data=st.data())
def test_a_failed_call_then_the_partners_retry_ends_as_without_the_fault(
    stack: Stack, partner: Partner, base_keys: set[tuple[str, str]], requests: list[Request], data: st.DataObject
) -> None:
    note(f"requests: {requests}")
    lambda_context = ShortLivedContext()
    with injector_on_function_clients() as injector:
        reset_to(stack, base_keys, stack.archive_bucket)
        reference = run(requests, stack, partner, lambda_context, injector)
        expected = article_state(stack)
        fault = draw_fault(data, reference.calls)
        reset_to(stack, base_keys, stack.archive_bucket)

        faulted = run(requests, stack, partner, lambda_context, injector, fault)
        note(f"fault: {fault}, answers without it: {reference.statuses}, with it: {faulted.statuses}")
        FIGURES.example(
            "ingest", steps=len(requests), calls=sum(reference.calls), injected=injector.fired, retries=faulted.retries
        )
        assert injector.fired is not None and injector.fired.call == fault[1].call, "the fault did not fire"
        assert article_state(stack) == expected
        assert [answer(s) for s in faulted.statuses] == [answer(s) for s in reference.statuses]
