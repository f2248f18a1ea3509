"""Driving the ingest function warm, request after request, against the same SDK calls made directly.

Shared by ``bench.ingest_warm`` (fake HTTP transport) and ``bench.ingest_overhead`` (moto). The
API event comes from the local gateway once (``capture_ingest_event``), so it carries exactly what
API Gateway and the template's authorizer put in it; each request then changes only the body and
the request id. The handler is called directly, as Lambda calls it in a warm environment.
"""

from __future__ import annotations

import copy
import gc
import importlib
import time
import uuid
from collections import Counter
from collections.abc import Callable, Sequence
from dataclasses import dataclass
from typing import Any

from botocore import xform_name

from bench.common import Table, median, ms, percentile, ratio
from bench.support.articles import article_document, encode
from bench.support.sdk import SdkCall


@dataclass(frozen=True)
class IngestSetup:
    function_id: str
    handler: str  # e.g. ingest.app.handler
    event: dict[str, Any]  # a POST /v1/articles event as the gateway built it, with the partner's context
    environment: dict[str, str]  # the ingest function's variables (template) and fake credentials


def capture_ingest_event(stack: Any) -> IngestSetup:
    """Add a partner, POST one article through the local gateway and keep the event it produced."""
    key = stack.add_partner("Оборонные ведомости", "oborona", section="defence-industry")
    function_id = stack.function_for("ingest.")
    headers = {"authorization": f"Bearer {key}", "content-type": "application/json; charset=utf-8"}
    response = stack.request(
        "POST", "/v1/articles", body=encode(article_document(0, "urn:bench:setup")), headers=headers
    )
    if response.status != 201:
        raise RuntimeError(f"setup POST answered {response.status}: {response.body[:300]!r}")
    event = copy.deepcopy(stack.last_invocation(function_id).event)
    return IngestSetup(function_id, stack.handler_of(function_id), event, stack.function_environment(function_id))


def load_handler(dotted: str) -> Callable[[dict[str, Any], Any], dict[str, Any]]:
    module_name, _, attribute = dotted.rpartition(".")
    handler: Callable[[dict[str, Any], Any], dict[str, Any]] = getattr(importlib.import_module(module_name), attribute)
    return handler


class LambdaContext:
    function_name = "newsdesk-bench-ingest"
    function_version = "$LATEST"
    memory_limit_in_mb = 1024
    invoked_function_arn = "arn:aws:lambda:eu-west-1:123456789012:function:newsdesk-bench-ingest"
    aws_request_id = "00000000-0000-4000-8000-000000000002"
    log_group_name = "/aws/lambda/newsdesk-bench-ingest"
    log_stream_name = "bench"

    def get_remaining_time_in_millis(self) -> int:
        return 15_000


def post_event(template: dict[str, Any], body: bytes) -> dict[str, Any]:
    event = copy.deepcopy(template)
    event["body"] = body.decode("utf-8")
    event["isBase64Encoded"] = False
    event["requestContext"]["requestId"] = uuid.uuid4().hex
    return event


@dataclass
class Sample:
    wall: float
    cpu: float


def timed(action: Callable[[], Any]) -> tuple[Sample, Any]:
    wall, cpu = time.perf_counter(), time.process_time()
    result = action()
    return Sample(time.perf_counter() - wall, time.process_time() - cpu), result


ReadyCall = tuple[Callable[..., Any], dict[str, Any]]


def replay_plan(calls: Sequence[SdkCall], clients: dict[str, Any]) -> list[ReadyCall]:
    """The recorded calls as bound client methods and the parameters the caller passed."""
    return [(getattr(call.client or clients[call.service], xform_name(call.operation)), call.params) for call in calls]


def clients_by_service(clients: Sequence[Any]) -> dict[str, Any]:
    """The first client of each service (the functions create one per service)."""
    found: dict[str, Any] = {}
    for client in clients:
        found.setdefault(client.meta.service_model.service_name, client)
    return found


@dataclass
class RoundTotals:
    handler_wall: float
    direct_wall: float
    handler_cpu: float
    direct_cpu: float

    def as_dict(self) -> dict[str, float]:
        return {
            "handler_wall_s": self.handler_wall,
            "direct_wall_s": self.direct_wall,
            "handler_cpu_s": self.handler_cpu,
            "direct_cpu_s": self.direct_cpu,
        }


def interleaved_rounds(
    rounds: int,
    count: int,
    block_size: int,
    handler_side: Callable[[int, int], Sample],
    direct_side: Callable[[int, int], Sample],
    prepare_round: Callable[[int], None] | None = None,
) -> tuple[list[RoundTotals], list[Sample], list[Sample]]:
    """Handler and direct runs alternate in blocks, the order flipping from block to block.

    ``handler_side(round, index)`` and ``direct_side(round, index)`` each do one request and
    return its sample; ``prepare_round(round)`` runs off the clock before each round.
    """
    totals: list[RoundTotals] = []
    handler_samples: list[Sample] = []
    direct_samples: list[Sample] = []
    for round_number in range(rounds):
        if prepare_round is not None:
            prepare_round(round_number)
        gc.collect()
        handler: list[Sample] = []
        direct: list[Sample] = []
        for block_number, start in enumerate(range(0, count, block_size)):
            block = range(start, min(start + block_size, count))
            handler_first = (round_number + block_number) % 2 == 0
            for side in ("handler", "direct") if handler_first else ("direct", "handler"):
                if side == "handler":
                    handler.extend(handler_side(round_number, index) for index in block)
                else:
                    direct.extend(direct_side(round_number, index) for index in block)
        totals.append(
            RoundTotals(
                sum(s.wall for s in handler),
                sum(s.wall for s in direct),
                sum(s.cpu for s in handler),
                sum(s.cpu for s in direct),
            )
        )
        handler_samples.extend(handler)
        direct_samples.extend(direct)
    return totals, handler_samples, direct_samples


def comparison_tables(
    articles: int,
    totals: Sequence[Any],
    handler: tuple[list[float], list[float]],
    direct: tuple[list[float], list[float]],
    wall_ratio: float,
    sequences: Counter[str],
) -> tuple[Table, Table, Table]:
    """The tables both ingest benches print: per-POST figures, the rounds (rows filled by the caller,
    which knows its own ratios) and the SDK call sequences. ``handler``/``direct``: (wall, cpu) samples."""
    (handler_wall, handler_cpu), (direct_wall, direct_cpu) = handler, direct

    def row(label: str, ours: float, theirs: float) -> list[str]:
        return [label, ms(ours), ms(theirs), f"{ratio(ours, theirs):.2f}x"]

    summary = Table(
        ["measure", "handler", "same SDK calls", "handler / calls"],
        [
            row("per POST, median wall (ms)", median(handler_wall), median(direct_wall)),
            row("per POST, p90 wall (ms)", percentile(handler_wall, 0.9), percentile(direct_wall, 0.9)),
            row("per POST, median CPU (ms)", median(handler_cpu), median(direct_cpu)),
            [
                f"total of {articles} POSTs, wall (ms, median round)",
                ms(median([t.handler_wall for t in totals])),
                ms(median([t.direct_wall for t in totals])),
                f"{wall_ratio:.2f}x",
            ],
            ["handler's own work per POST (median wall, ms)", ms(median(handler_wall) - median(direct_wall)), "", ""],
        ],
    )
    rounds = Table(["round", "handler wall (ms)", "calls wall (ms)", "ratio", "CPU ratio"], [])
    calls = Table(
        ["SDK calls of one POST (create path), in order", "requests"],
        [[sequence, str(count)] for sequence, count in sequences.most_common()],
    )
    return summary, rounds, calls
