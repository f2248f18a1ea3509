"""Handler overhead: the full ingest handler against the same SDK calls made directly.

Issue 2: "the full ingest handler for >= 200 articles of about 5 KB, against the same S3 and
DynamoDB SDK calls made directly, same moto, same process. Target <= 1.2x."

How it is measured, all in one process under moto's in-process ``mock_aws``:

1. Calibration (not timed): every article is POSTed once through ``ingest.app.handler``, with
   botocore hooks on the handler's clients recording each SDK call and its parameters. This is
   where the call list per request comes from, and it warms every cache a warm Lambda has.
2. Each measured round POSTs every article again as a new story (its ``uri`` carries the round),
   so each request takes the create path (201) like the calibration did. The direct side replays,
   per article, exactly the recorded calls with the recorded parameters, the article id rewritten
   to a fresh one so that every conditional write still succeeds and every read still misses.
   Direct parameters are prepared before the clock starts: building them is the handler's work.
3. Handler and direct runs alternate in blocks of articles (ABAB, the order flipping from block
   to block) so that drift of the machine affects both sides alike. The ratio is the median over
   rounds of (handler total / direct total).
4. A cProfile pass over further POSTs shows where the handler's own time goes.
"""

from __future__ import annotations

import contextlib
import copy
import cProfile
import gc
import hashlib
import json
import math
import os
import pstats
import random
import time
from collections import Counter
from collections.abc import Callable, Iterator
from dataclasses import dataclass
from typing import Any

from botocore import xform_name

from bench.support.articles import article_body, article_uri
from bench.common import (
    BenchResult,
    BenchStack,
    Table,
    Verdict,
    emulated_stack,
    median,
    ms,
    percentile,
    ratio,
    report,
)

NAME = "ingest_overhead"
TARGET = 1.2
ARTICLES = 200
ROUNDS = 9
BLOCK_SIZE = 10
PROFILED_ARTICLES = 60

TOP_PROFILE_ITEMS = 15


# --------------------------------------------------------------------------------------------------
# Recording and replaying the handler's SDK calls
# --------------------------------------------------------------------------------------------------


@dataclass(frozen=True)
class SdkCall:
    service: str
    operation: str
    params: dict[str, Any]


class CallRecorder:
    """Records every API call made through the given clients, with the parameters the caller passed."""

    def __init__(self, clients: list[Any]) -> None:
        self._clients = clients
        self.calls: list[SdkCall] = []

    def _record(self, params: dict[str, Any], model: Any, **_: Any) -> None:
        self.calls.append(SdkCall(model.service_model.service_name, model.name, copy.deepcopy(params)))

    def take(self) -> list[SdkCall]:
        taken, self.calls = self.calls, []
        return taken

    @contextlib.contextmanager
    def recording(self) -> Iterator[CallRecorder]:
        for client in self._clients:
            client.meta.events.register("provide-client-params", self._record)
        try:
            yield self
        finally:
            for client in self._clients:
                client.meta.events.unregister("provide-client-params", self._record)


def _renamed(value: Any, old: str, new: str) -> Any:
    """``value`` with every occurrence of ``old`` in its strings replaced (bytes are left alone)."""
    if isinstance(value, str):
        return value.replace(old, new)
    if isinstance(value, dict):
        return {key: _renamed(item, old, new) for key, item in value.items()}
    if isinstance(value, list):
        return [_renamed(item, old, new) for item in value]
    return value


def fresh_article_id(article_id: str, tag: str) -> str:
    """An id of the same length and alphabet, unused so far: the replay's writes must not collide."""
    digest = hashlib.sha256(f"{article_id}:{tag}".encode()).hexdigest()
    return "d" + digest[: len(article_id) - 1]


def renamed_calls(calls: list[SdkCall], old_id: str, new_id: str) -> list[SdkCall]:
    """The same calls about another article: same operations, same payload sizes, other keys."""
    return [SdkCall(call.service, call.operation, _renamed(call.params, old_id, new_id)) for call in calls]


ReadyCall = tuple[Callable[..., Any], dict[str, Any]]


def replay_plan(calls: list[SdkCall], clients: dict[str, Any]) -> list[ReadyCall]:
    return [(getattr(clients[call.service], xform_name(call.operation)), call.params) for call in calls]


def written_keys(calls: list[SdkCall]) -> list[dict[str, Any]]:
    """The DynamoDB keys (PK, SK) the calls write."""
    items: list[dict[str, Any]] = []
    for call in calls:
        if call.operation == "TransactWriteItems":
            for entry in call.params["TransactItems"]:
                for operation in entry.values():
                    items.append(operation.get("Item") or operation["Key"])
        elif call.operation == "PutItem":
            items.append(call.params["Item"])
        elif call.operation in ("UpdateItem", "DeleteItem"):
            items.append(call.params["Key"])
    return [{"PK": item["PK"], "SK": item["SK"]} for item in items]


def _article_id_of(calls: list[SdkCall]) -> str:
    get_item = next(call for call in calls if call.operation == "GetItem")
    return str(get_item.params["Key"]["PK"]["S"]).removeprefix("ARTICLE#")


class TableReset:
    """Brings moto's table back to its starting content after each article, off the clock.

    moto deep-copies the whole table, stream records included, on every TransactWriteItems (as a
    rollback copy). Left alone, that cost grows with every article written and the bench turns
    quadratic, measuring moto's copying instead of the handler; DynamoDB's cost does not grow with
    the table. Deleting what an article wrote and dropping the emulator's stream records keeps
    every request working against the same small table (this reaches into moto's internals).
    """

    def __init__(self, client: Any, table_name: str) -> None:
        from moto.core.models import DEFAULT_ACCOUNT_ID
        from moto.dynamodb.models import dynamodb_backends

        self._client = client
        self._table_name = table_name
        self._table = dynamodb_backends[DEFAULT_ACCOUNT_ID][client.meta.region_name].tables[table_name]

    def forget(self, keys: list[dict[str, Any]]) -> None:
        if keys:
            self._client.batch_write_item(
                RequestItems={self._table_name: [{"DeleteRequest": {"Key": key}} for key in keys]}
            )
        # A deleted item leaves its partition behind as an empty mapping, which moto copies too.
        for partition in [key for key, items in self._table.items.items() if not items]:
            del self._table.items[partition]
        if self._table.stream_shard is not None:
            self._table.stream_shard.items.clear()


# --------------------------------------------------------------------------------------------------
# The measurement
# --------------------------------------------------------------------------------------------------


@dataclass
class Sample:
    wall: float
    cpu: float


@contextlib.contextmanager
def quiet_stdout() -> Iterator[None]:
    """The handler prints its metrics (EMF) to stdout, as in Lambda; here they go to /dev/null."""
    with open(os.devnull, "w", encoding="utf-8") as sink, contextlib.redirect_stdout(sink):
        yield


@dataclass(frozen=True)
class HandlerJob:
    event: dict[str, Any]
    written: list[dict[str, Any]]


@dataclass(frozen=True)
class DirectJob:
    plan: list[ReadyCall]
    written: list[dict[str, Any]]


class IngestBench:
    """The handler and the direct calls, on the same clients, against the same emulated stack."""

    def __init__(self, stack: BenchStack) -> None:
        from ingest import app
        from newsdesk import aws
        from newsdesk.partners import PartnerStore
        from tests.conftest import LambdaContextStub, api_event

        self._app = app
        self._api_event = api_event
        self._context = LambdaContextStub()
        partners = PartnerStore(stack.table_name)
        _, secret = partners.add_partner("Оборонные ведомости", "ru", "defence-industry")
        principal = partners.resolve(secret)
        if principal is None:
            raise RuntimeError("the partner just created does not resolve")
        self.partner_id = principal.partner_id
        self._authorizer = principal.to_authorizer_context()
        self.clients = {"dynamodb": aws.dynamodb_client(), "s3": aws.s3_client()}
        self._reset = TableReset(self.clients["dynamodb"], stack.table_name)

    def event(self, body: bytes) -> dict[str, Any]:
        return self._api_event(
            "POST",
            "/v1/articles",
            body=body,
            headers={"content-type": "application/json; charset=utf-8"},
            authorizer=self._authorizer,
        )

    def handler_job(self, index: int, tag: str, recorded: list[SdkCall], recorded_id: str) -> HandlerJob:
        from newsdesk.articles import article_id_for

        article_id = article_id_for(self.partner_id, article_uri(index, tag))
        written = written_keys(renamed_calls(recorded, recorded_id, article_id))
        return HandlerJob(self.event(article_body(index, tag)), written)

    def direct_job(self, tag: str, recorded: list[SdkCall], recorded_id: str) -> DirectJob:
        calls = renamed_calls(recorded, recorded_id, fresh_article_id(recorded_id, tag))
        return DirectJob(replay_plan(calls, self.clients), written_keys(calls))

    def post(self, job: HandlerJob) -> Sample:
        wall, cpu = time.perf_counter(), time.process_time()
        response = self._app.handler(job.event, self._context)
        sample = Sample(time.perf_counter() - wall, time.process_time() - cpu)
        if response["statusCode"] != 201:
            raise RuntimeError(f"handler answered {response['statusCode']}: {response.get('body')}")
        self.forget(job.written)
        return sample

    def forget(self, written: list[dict[str, Any]]) -> None:
        self._reset.forget(written)

    def replay(self, job: DirectJob) -> Sample:
        wall, cpu = time.perf_counter(), time.process_time()
        responses = [call(**params) for call, params in job.plan]
        sample = Sample(time.perf_counter() - wall, time.process_time() - cpu)
        if any("Item" in response for response in responses):
            raise RuntimeError("a replayed read found an item: the replay is not on the create path")
        self._reset.forget(job.written)
        return sample

    def calibrate(self, bodies: list[bytes]) -> list[list[SdkCall]]:
        """POST each body once, recording the SDK calls each request makes."""
        recorder = CallRecorder(list(self.clients.values()))
        recorded: list[list[SdkCall]] = []
        for body in bodies:
            with recorder.recording():
                self.post(HandlerJob(self.event(body), []))
            calls = recorder.take()
            self._reset.forget(written_keys(calls))
            recorded.append(calls)
        return recorded


def run() -> BenchResult:
    started = time.perf_counter()
    with emulated_stack() as stack, quiet_stdout():
        bench = IngestBench(stack)
        documents = [article_body(index, "calibration") for index in range(ARTICLES)]
        recorded = bench.calibrate(documents)
        recorded_ids = [_article_id_of(calls) for calls in recorded]
        # One untimed replay warms the direct path as calibration warmed the handler.
        for index, calls in enumerate(recorded):
            bench.replay(bench.direct_job("warm-up", calls, recorded_ids[index]))

        handler_samples: list[Sample] = []
        direct_samples: list[Sample] = []
        rounds: list[dict[str, float]] = []
        for round_number in range(ROUNDS):
            tag = f"round{round_number}"
            handler_jobs = [
                bench.handler_job(index, tag, calls, recorded_ids[index]) for index, calls in enumerate(recorded)
            ]
            direct_jobs = [bench.direct_job(tag, calls, recorded_ids[index]) for index, calls in enumerate(recorded)]
            gc.collect()
            round_handler: list[Sample] = []
            round_direct: list[Sample] = []
            for block_number, start in enumerate(range(0, ARTICLES, BLOCK_SIZE)):
                block = range(start, min(start + BLOCK_SIZE, ARTICLES))
                handler_first = (round_number + block_number) % 2 == 0
                for side in ("handler", "direct") if handler_first else ("direct", "handler"):
                    if side == "handler":
                        round_handler.extend(bench.post(handler_jobs[i]) for i in block)
                    else:
                        round_direct.extend(bench.replay(direct_jobs[i]) for i in block)
            handler_samples.extend(round_handler)
            direct_samples.extend(round_direct)
            rounds.append(
                {
                    "handler_wall_s": sum(s.wall for s in round_handler),
                    "direct_wall_s": sum(s.wall for s in round_direct),
                    "handler_cpu_s": sum(s.cpu for s in round_handler),
                    "direct_cpu_s": sum(s.cpu for s in round_direct),
                }
            )
        profile = profile_handler(bench, recorded, recorded_ids)
        steps = time_pure_steps(documents[:PROFILED_ARTICLES])
    return build_result(
        documents,
        recorded,
        handler_samples,
        direct_samples,
        rounds,
        profile,
        steps,
        time.perf_counter() - started,
    )


# --------------------------------------------------------------------------------------------------
# Where the handler's time goes
# --------------------------------------------------------------------------------------------------

_SDK_ENTRY = ("botocore/client.py", "_make_api_call")
# Steps of one POST, by (file suffix, function): the stages a reader of the code recognizes.
_STAGES = [
    ("ingest/app.py", "handler", "handler (everything)"),
    ("ingest/service.py", "submit", "IngestService.submit"),
    ("newsdesk/ninjs.py", "validate_document", "validate_document"),
    ("newsdesk/ninjs.py", "_check_schema", "  schema check (jsonschema)"),
    ("newsdesk/ninjs.py", "article", "  normalization (_Normalizer.article)"),
    ("newsdesk/ninjs.py", "canonical_hash", "  canonical_hash"),
    ("newsdesk/ninjs.py", "_unusable_values", "  _unusable_values"),
    ("ingest/service.py", "parse_json", "parse_json"),
    ("ingest/service.py", "build_record", "build_record"),
    ("newsdesk/store.py", "get", "ArticleStore.get (incl. SDK)"),
    ("newsdesk/archive.py", "put_raw", "Archive.put_raw (incl. SDK)"),
    ("newsdesk/store.py", "put_revision", "ArticleStore.put_revision (incl. SDK)"),
    ("newsdesk/dynamo.py", "to_item", "  to_item"),
    ("ingest/app.py", "outcome_response", "outcome_response"),
    ("botocore/client.py", "_make_api_call", "SDK calls (botocore _make_api_call)"),
]
_HANDLER_CODE_MARKERS = (
    "/newsdesk/",
    "/ingest/",
    "aws_lambda_powertools",
    "jsonschema",
    "referencing",
    "pydantic",
    "nh3",
)

FunctionKey = tuple[str, int, str]


@dataclass
class Profile:
    posts: int
    stages: list[tuple[str, int, float]]
    own_code: list[tuple[str, int, float, float]]
    sdk_seconds: float
    handler_seconds: float


def profile_handler(bench: IngestBench, recorded: list[list[SdkCall]], recorded_ids: list[str]) -> Profile:
    jobs = [
        bench.handler_job(index, "profile", recorded[index], recorded_ids[index]) for index in range(PROFILED_ARTICLES)
    ]
    profiler = cProfile.Profile()
    for job in jobs:
        # Only the handler: the table reset after each POST stays out of the profile.
        profiler.enable()
        bench.post(HandlerJob(job.event, []))
        profiler.disable()
        bench.forget(job.written)
    stats: dict[FunctionKey, tuple[int, int, float, float, dict[FunctionKey, Any]]] = pstats.Stats(profiler).stats  # type: ignore[attr-defined]

    def find(suffix: str, name: str) -> list[FunctionKey]:
        return [key for key in stats if key[2] == name and key[0].endswith(suffix)]

    def cumulative(keys: list[FunctionKey]) -> tuple[int, float]:
        return sum(stats[key][1] for key in keys), sum(stats[key][3] for key in keys)

    stages = []
    for suffix, name, label in _STAGES:
        keys = find(suffix, name)
        if keys:
            calls, seconds = cumulative(keys)
            stages.append((label, calls, seconds))
    sdk_keys = find(*_SDK_ENTRY)
    _, sdk_seconds = cumulative(sdk_keys)
    _, handler_seconds = cumulative(find("ingest/app.py", "handler"))

    # Functions from which an SDK call can be reached wrap the SDK; the rest are the handler's own work.
    reaches_sdk = set(sdk_keys)
    pending = list(sdk_keys)
    while pending:
        for caller in stats[pending.pop()][4]:
            if caller not in reaches_sdk:
                reaches_sdk.add(caller)
                pending.append(caller)
    own_code = sorted(
        (
            (_describe(key), stats[key][1], stats[key][3], stats[key][2])
            for key in stats
            if key not in reaches_sdk and any(marker in key[0] for marker in _HANDLER_CODE_MARKERS)
        ),
        key=lambda item: item[2],
        reverse=True,
    )[:TOP_PROFILE_ITEMS]
    return Profile(PROFILED_ARTICLES, stages, own_code, sdk_seconds, handler_seconds)


def _describe(key: FunctionKey) -> str:
    filename, line, name = key
    for marker in ("site-packages/", "/shared/", "/functions/"):
        if marker in filename:
            filename = filename.split(marker, 1)[1]
            break
    return f"{filename}:{line} {name}"


def time_pure_steps(bodies: list[bytes]) -> list[tuple[str, float]]:
    """Per-document seconds of the handler's CPU-only steps, timed without a profiler (best of 5)."""
    from ingest.service import parse_json
    from newsdesk import ninjs

    documents = [parse_json(body) for body in bodies]
    steps: list[tuple[str, Callable[[Any], object]]] = [
        ("parse_json", parse_json),
        ("validate_document (all of it)", lambda doc: ninjs.validate_document(doc, default_language="ru")),
        ("  schema check (jsonschema)", ninjs._check_schema),
        ("  normalization", lambda doc: ninjs._Normalizer(doc, default_language="ru").article()),
        ("  canonical_hash", ninjs.canonical_hash),
    ]
    timed = []
    for label, step in steps:
        inputs = bodies if step is parse_json else documents
        best = math.inf
        for _ in range(5):
            started = time.perf_counter()
            for item in inputs:
                step(item)
            best = min(best, time.perf_counter() - started)
        timed.append((label, best / len(inputs)))
    return timed


# --------------------------------------------------------------------------------------------------
# Reporting
# --------------------------------------------------------------------------------------------------


def build_result(
    documents: list[bytes],
    recorded: list[list[SdkCall]],
    handler: list[Sample],
    direct: list[Sample],
    rounds: list[dict[str, float]],
    profile: Profile,
    steps: list[tuple[str, float]],
    elapsed: float,
) -> BenchResult:
    round_ratios = [ratio(r["handler_wall_s"], r["direct_wall_s"]) for r in rounds]
    round_cpu_ratios = [ratio(r["handler_cpu_s"], r["direct_cpu_s"]) for r in rounds]
    wall_ratio = median(round_ratios)
    handler_wall = [s.wall for s in handler]
    direct_wall = [s.wall for s in direct]
    handler_cpu = [s.cpu for s in handler]
    direct_cpu = [s.cpu for s in direct]
    own_work = median(handler_wall) - median(direct_wall)
    sequences = Counter(" → ".join(f"{c.service}:{c.operation}" for c in calls) for calls in recorded)
    sizes = sorted(len(document) for document in documents)
    per_post = 1 / profile.posts

    verdicts = [
        Verdict("handler / direct SDK calls, wall time (median of round totals)", wall_ratio, TARGET),
        Verdict("handler / direct SDK calls, CPU time (median of round totals)", median(round_cpu_ratios),
                TARGET, primary=False),
    ]  # fmt: skip
    summary = Table(
        ["measure", "handler", "direct SDK calls", "handler / direct"],
        [
            [
                "per article, median wall (ms)",
                ms(median(handler_wall)),
                ms(median(direct_wall)),
                f"{ratio(median(handler_wall), median(direct_wall)):.2f}x",
            ],
            [
                "per article, p90 wall (ms)",
                ms(percentile(handler_wall, 0.9)),
                ms(percentile(direct_wall, 0.9)),
                f"{ratio(percentile(handler_wall, 0.9), percentile(direct_wall, 0.9)):.2f}x",
            ],
            [
                "per article, median CPU (ms)",
                ms(median(handler_cpu)),
                ms(median(direct_cpu)),
                f"{ratio(median(handler_cpu), median(direct_cpu)):.2f}x",
            ],
            [
                f"total of {ARTICLES} articles, wall (ms, median round)",
                ms(median([r["handler_wall_s"] for r in rounds])),
                ms(median([r["direct_wall_s"] for r in rounds])),
                f"{wall_ratio:.2f}x",
            ],
            [
                f"total of {ARTICLES} articles, CPU (ms, median round)",
                ms(median([r["handler_cpu_s"] for r in rounds])),
                ms(median([r["direct_cpu_s"] for r in rounds])),
                f"{median(round_cpu_ratios):.2f}x",
            ],
            [
                "handler's own work per article (median wall, ms)",
                ms(own_work),
                "",
                "",
            ],
        ],
    )
    rounds_table = Table(
        ["round", "handler wall (ms)", "direct wall (ms)", "ratio", "CPU ratio"],
        [
            [
                str(number),
                ms(r["handler_wall_s"]),
                ms(r["direct_wall_s"]),
                f"{round_ratios[number]:.2f}x",
                f"{round_cpu_ratios[number]:.2f}x",
            ]
            for number, r in enumerate(rounds)
        ],
    )
    calls_table = Table(
        ["SDK calls of one POST (create path), in order", "requests"],
        [[sequence, str(count)] for sequence, count in sequences.most_common()],
    )
    stages_table = Table(
        ["stage (cProfile, cumulative)", "calls", "ms per POST", "% of handler"],
        [
            [label, str(calls), ms(seconds * per_post), f"{100 * ratio(seconds, profile.handler_seconds):.0f}%"]
            for label, calls, seconds in profile.stages
        ],
    )
    own_table = Table(
        ["handler's own code that reaches no SDK call (cumulative)", "calls", "ms per POST", "self ms per POST"],
        [
            [name, str(calls), ms(seconds * per_post), ms(own * per_post)]
            for name, calls, seconds, own in profile.own_code
        ],
    )
    steps_table = Table(
        ["CPU-only step of a POST, timed without profiler", "ms per article", "share of handler's own work"],
        [[label, ms(seconds), f"{100 * ratio(seconds, own_work):.0f}%"] for label, seconds in steps],
    )
    notes = [
        f"{ARTICLES} distinct ninjs articles, {sizes[0]}–{sizes[-1]} bytes (median {sizes[len(sizes) // 2]}), "
        f"Russian text, lead image, rights and mentions; each POST creates a new article (201).",
        f"{ROUNDS} rounds; in each, handler and direct runs alternate in blocks of {BLOCK_SIZE} articles "
        "(order flipping every block). Direct = the calls recorded from the handler, replayed with "
        "the same parameters (article id renamed) on the same clients, parameters built off the clock.",
        "moto runs in this process, so the SDK side includes the emulator's own work; against real "
        "AWS the network round trips dominate and the ratio would be far closer to 1.",
        f"cProfile over {profile.posts} more POSTs: SDK calls take "
        f"{100 * ratio(profile.sdk_seconds, profile.handler_seconds):.0f}% of the handler's profiled time "
        "(cProfile inflates pure-Python code, so read the shares, not the absolute times).",
        f"bench took {elapsed:.1f} s.",
    ]
    return BenchResult(
        name=NAME,
        title="Ingest handler overhead vs direct SDK calls (moto, one process)",
        verdicts=verdicts,
        tables={
            "Summary": summary,
            "Rounds": rounds_table,
            "SDK calls per request": calls_table,
            "Where one POST spends its time": stages_table,
            "Top own-code costs": own_table,
            "CPU-only steps, timed directly": steps_table,
        },
        notes=notes,
        data={
            "articles": ARTICLES,
            "rounds": rounds,
            "round_ratios": round_ratios,
            "round_cpu_ratios": round_cpu_ratios,
            "document_bytes": {"min": sizes[0], "median": sizes[len(sizes) // 2], "max": sizes[-1]},
            "sdk_calls_per_request": dict(sequences),
            "per_article_ms": {
                "handler_wall_median": median(handler_wall) * 1000,
                "direct_wall_median": median(direct_wall) * 1000,
                "handler_wall_p90": percentile(handler_wall, 0.9) * 1000,
                "direct_wall_p90": percentile(direct_wall, 0.9) * 1000,
                "handler_cpu_median": median(handler_cpu) * 1000,
                "direct_cpu_median": median(direct_cpu) * 1000,
            },
            "profile": {
                "posts": profile.posts,
                "handler_s": profile.handler_seconds,
                "sdk_s": profile.sdk_seconds,
                "stages": [{"stage": s, "calls": c, "seconds": t} for s, c, t in profile.stages],
                "own_code": [
                    {"function": f, "calls": c, "cumulative_s": t, "self_s": o} for f, c, t, o in profile.own_code
                ],
            },
            "pure_steps_ms": {label.strip(): seconds * 1000 for label, seconds in steps},
            "elapsed_s": elapsed,
        },
    )


def main() -> None:
    report(run())


if __name__ == "__main__":
    main()
