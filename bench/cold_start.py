"""Cold start, first request ready: a fresh process running a function's first event, against one
that only imports boto3 and creates the same clients.

Issue 7: "a fresh process importing the ingest handler, creating its clients and answering its
first POST (a 422 is enough, it builds the validator) vs a process importing boto3 and creating
the same clients: <= 1.3x. Publish and trending handlers: <= 1.3x too."

How:

1. Preparation, in this process on moto (``bench.support.stack``): a partner is added with the
   CLI, articles are posted through the local API gateway, the table's stream and the timers
   drive the functions. The bench keeps the events AWS would have delivered (the API event of an
   invalid POST, the stream batch of an article's creation, the schedules' events) and, with
   botocore hooks, the HTTP responses moto gave to each function's calls.
2. Each variant is a new interpreter (``sys.executable -c``) with that function's environment from
   template.yaml and fake credentials, and a fake HTTP transport (a botocore ``before-send`` hook,
   ``bench.support.transport``) that replays the recorded responses: signing and parsing run, no
   network, no moto. The handler variant imports the handler module and calls it with the event;
   the baseline imports boto3 and creates the clients that function uses. Both load the same
   transport, so its cost is on both sides.
3. ≥ 15 repetitions, variants in rotating order after one untimed warm-up each; medians and p90 of
   the wall time from spawn to exit, and the child's CPU (user + system).
4. Import costs: ``python -X importtime`` of each handler variant (median of 3), the self time of
   every module summed by top-level package.
"""

from __future__ import annotations

import json
import os
import re
import resource
import statistics
import subprocess
import sys
import tempfile
import time
from dataclasses import dataclass, field
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

from bench.common import REPOSITORY, BenchResult, Table, Verdict, main_of, median, ms, percentile, ratio
from bench.support.articles import article_document, encode
from bench.support.transport import CHILD_EPILOGUE, CHILD_PRELUDE, record_script, write_script

NAME = "cold_start"
TARGET = 1.3
REPETITIONS = 15
QUICK_REPETITIONS = 5
IMPORTTIME_RUNS = 3
BROWSER = "Mozilla/5.0 (X11; Linux x86_64; rv:128.0) Gecko/20100101 Firefox/128.0"

# Top-level packages, grouped the way the issue talks about them.
PACKAGE_GROUPS = {
    "pydantic": ("pydantic", "pydantic_core", "annotated_types", "typing_inspection", "typing_extensions"),
    "aws_lambda_powertools": ("aws_lambda_powertools", "jmespath"),
    "jsonschema": ("jsonschema", "jsonschema_specifications", "referencing", "rpds", "attrs", "attr"),
    "jsonschema_rs": ("jsonschema_rs",),
    "nh3": ("nh3",),
    "our packages": ("newsdesk", "ingest", "publish", "trending"),
    "SDK (boto3, botocore, s3transfer, urllib3, dateutil)": (
        "boto3",
        "botocore",
        "s3transfer",
        "urllib3",
        "dateutil",
        "six",
        "certifi",
        "charset_normalizer",
        "idna",
    ),
}
OTHER = "standard library and other"

CONTEXT_CLASS = """
class _Context:
    function_name = _os.environ.get("AWS_LAMBDA_FUNCTION_NAME", "bench")
    function_version = "$LATEST"
    memory_limit_in_mb = 1024
    invoked_function_arn = "arn:aws:lambda:eu-west-1:123456789012:function:" + function_name
    aws_request_id = "00000000-0000-4000-8000-000000000001"
    log_group_name = "/aws/lambda/" + function_name
    log_stream_name = "bench"
    def get_remaining_time_in_millis(self):
        return 15000
"""


@dataclass
class Variant:
    name: str
    description: str
    code: str
    environment: dict[str, str] = field(default_factory=dict)
    script: dict[str, Any] = field(default_factory=dict)
    expected: str = ""  # what the handler's answer must look like (checked after the warm-up)


@dataclass(frozen=True)
class Comparison:
    label: str
    numerator: str
    denominator: str
    gated: bool


@dataclass
class Run:
    wall: float
    cpu: float


# --------------------------------------------------------------------------------------------------
# 1. Preparation on moto: events, recorded responses, environments
# --------------------------------------------------------------------------------------------------


def _handler_code(handler: str) -> str:
    return handler_import_code(handler) + first_event_code()


def handler_import_code(handler: str) -> str:
    """Child code importing a function's handler as ``_handler`` (``bench.snapstart`` times it alone)."""
    module, _, attribute = handler.rpartition(".")
    return f"from {module} import {attribute} as _handler\n"


def first_event_code() -> str:
    """Child code calling ``_handler`` with the event of ``BENCH_EVENT`` and printing its answer."""
    return (
        CONTEXT_CLASS + "with open(_os.environ['BENCH_EVENT'], encoding='utf-8') as _file:\n"
        "    _event = _json.load(_file)\n"
        "_answer = _handler(_event, _Context())\n"
        "_sys_answer = _answer.get('statusCode', _answer) if isinstance(_answer, dict) else _answer\n"
        "import sys as _sys\n"
        "_sys.stderr.write('BENCH-ANSWER ' + _json.dumps(_sys_answer, default=str, sort_keys=True) + '\\n')\n"
    )


def _baseline_code(services: list[str], calls: list[Any] | None = None) -> str:
    lines = ["import boto3"]
    lines += [f"_{service} = boto3.client({service!r})" for service in services]
    for call in calls or []:
        lines.append(f"_{call.service}.{_snake(call.operation)}(**{call.params!r})")
    return "\n".join(lines) + "\n"


def _snake(operation: str) -> str:
    from botocore import xform_name

    return str(xform_name(operation))


def _answer_of(result: Any) -> str:
    answer = result.get("statusCode", result) if isinstance(result, dict) else result
    return json.dumps(answer, default=str, sort_keys=True)


def prepare() -> tuple[list[Variant], list[Comparison], dict[str, Any]]:
    """Run the functions once on moto and keep what the children need (see the module docstring)."""
    from bench.support.stack import local_stack, without_transaction_snapshots

    variants: list[Variant] = [Variant("interpreter", "python -c pass (interpreter start only)", "pass")]
    comparisons: list[Comparison] = []
    facts: dict[str, Any] = {}
    now = datetime.now(UTC).replace(microsecond=0)
    with local_stack() as stack, without_transaction_snapshots():
        key = stack.add_partner("Оборонные ведомости", "oborona", section="defence-industry")
        partner = {"authorization": f"Bearer {key}", "content-type": "application/json; charset=utf-8"}
        ingest_id = stack.function_for("ingest.")
        publish_id = stack.function_for("publish.")
        trending_id = stack.function_for("trending.app")

        # A published article and its first publication: the stack is not empty, publish has run.
        warm = stack.request(
            "POST", "/v1/articles", body=encode(article_document(1, "urn:bench:cold:1")), headers=partner
        )
        if warm.status != 201:
            raise RuntimeError(f"setup POST answered {warm.status}: {warm.body[:300]!r}")
        stack.pump()

        # Ingest: an invalid document (422 builds the validator) ...
        invalid = {"uri": "urn:bench:cold:invalid", "headlines": "not a list"}
        response = stack.request("POST", "/v1/articles", body=json.dumps(invalid).encode(), headers=partner)
        if response.status != 422:
            raise RuntimeError(f"the invalid POST answered {response.status}, not 422")
        ingest_422 = stack.last_invocation(ingest_id)

        # ... and a valid one (201), with the responses moto gave to its calls (not the authorizer's).
        stack.log.capture_http = True
        with stack.log.segment() as calls:
            created = stack.request(
                "POST", "/v1/articles", body=encode(article_document(2, "urn:bench:cold:2")), headers=partner
            )
        if created.status != 201:
            raise RuntimeError(f"the valid POST answered {created.status}")
        ingest_201 = stack.last_invocation(ingest_id)
        ingest_calls = [call for call in calls if call.origin == ingest_id]

        # Publish: the stream batch of that article's creation, then the embargo timer (nothing due).
        with stack.log.segment() as calls:
            stack.pump(only={publish_id})
        publish_stream = stack.last_invocation(publish_id)
        publish_calls = [call for call in calls if call.origin == publish_id]
        with stack.log.segment() as calls:
            stack.schedule(publish_id, now)
        publish_embargo = stack.last_invocation(publish_id)
        embargo_calls = [call for call in calls if call.origin == publish_id]

        # Trending: views of the published articles, counted by the view counter, then one run.
        _post_views(stack)
        stack.pump()
        with stack.log.segment() as calls:
            stack.schedule(trending_id, now)
        trending_run = stack.last_invocation(trending_id)
        trending_calls = [call for call in calls if call.origin == trending_id]
        stack.log.capture_http = False

        handlers = {
            name: stack.handler_of(logical_id)
            for name, logical_id in (("ingest", ingest_id), ("publish", publish_id), ("trending", trending_id))
        }
        environments = {
            name: stack.function_environment(logical_id)
            for name, logical_id in (("ingest", ingest_id), ("publish", publish_id), ("trending", trending_id))
        }

    def services(calls: list[Any]) -> list[str]:
        return sorted({call.service for call in calls})

    ingest_services = ["dynamodb", "s3"]  # the baseline: the clients the ingest function uses
    publish_services = services(publish_calls) or ["dynamodb", "s3"]
    trending_services = services(trending_calls) or ["dynamodb"]
    facts["calls"] = {
        "ingest 201": [call.name for call in ingest_calls],
        "publish stream record": _counted(publish_calls),
        "publish embargo timer": _counted(embargo_calls),
        "trending run": _counted(trending_calls),
    }
    facts["handlers"] = handlers

    def handler_variant(
        name: str, description: str, handler: str, invocation: Any, calls: list[Any], environment: dict[str, str]
    ) -> Variant:
        return Variant(
            name,
            description,
            _handler_code(handler),
            {**environment, "BENCH_EVENT_DATA": json.dumps(invocation.event)},
            record_script(calls),
            _answer_of(invocation.result),
        )

    def baseline_variant(
        name: str,
        services_: list[str],
        environment: dict[str, str],
        calls: list[Any] | None = None,
        script_calls: list[Any] | None = None,
    ) -> Variant:
        description = "import boto3 + " + " + ".join(f"boto3.client({s!r})" for s in services_)
        if calls:
            description += f" + the same {len(calls)} calls"
        return Variant(
            name, description, _baseline_code(services_, calls), dict(environment), record_script(script_calls or [])
        )

    variants += [
        handler_variant(
            "ingest_422",
            f"{handlers['ingest']}: first POST /v1/articles, invalid (422)",
            handlers["ingest"],
            ingest_422,
            [],
            environments["ingest"],
        ),
        baseline_variant("ingest_baseline", ingest_services, environments["ingest"]),
        handler_variant(
            "publish_stream",
            f"{handlers['publish']}: first stream batch (an article created)",
            handlers["publish"],
            publish_stream,
            publish_calls,
            environments["publish"],
        ),
        baseline_variant("publish_baseline", publish_services, environments["publish"]),
        handler_variant(
            "trending_run",
            f"{handlers['trending']}: one scheduled run",
            handlers["trending"],
            trending_run,
            trending_calls,
            environments["trending"],
        ),
        baseline_variant("trending_baseline", trending_services, environments["trending"]),
        handler_variant(
            "ingest_201",
            f"{handlers['ingest']}: first POST /v1/articles, valid (201)",
            handlers["ingest"],
            ingest_201,
            ingest_calls,
            environments["ingest"],
        ),
        baseline_variant("ingest_201_baseline", ingest_services, environments["ingest"], ingest_calls, ingest_calls),
        handler_variant(
            "publish_embargo",
            f"{handlers['publish']}: first embargo timer event",
            handlers["publish"],
            publish_embargo,
            embargo_calls,
            environments["publish"],
        ),
    ]
    comparisons += [
        Comparison("ingest: first POST (422) vs boto3 + dynamodb, s3 clients", "ingest_422", "ingest_baseline", True),
        Comparison(
            f"publish: first stream batch vs boto3 + {', '.join(publish_services)} clients",
            "publish_stream",
            "publish_baseline",
            True,
        ),
        Comparison(
            f"trending: one run vs boto3 + {', '.join(trending_services)} client",
            "trending_run",
            "trending_baseline",
            True,
        ),
        Comparison(
            "ingest: first valid POST (201) vs boto3 + clients + the same calls (like for like)",
            "ingest_201",
            "ingest_201_baseline",
            False,
        ),
        Comparison(
            f"publish: first embargo timer event vs boto3 + {', '.join(publish_services)} clients",
            "publish_embargo",
            "publish_baseline",
            False,
        ),
    ]
    return variants, comparisons, facts


def _counted(calls: list[Any]) -> dict[str, int]:
    counts: dict[str, int] = {}
    for call in calls:
        counts[call.name] = counts.get(call.name, 0) + 1
    return counts


def _post_views(stack: Any) -> None:
    """Some readers' views of the published articles (POST /v1/events), for the trending run."""
    listing = stack.dynamodb.scan(TableName=stack.table_name, ProjectionExpression="PK, SK")["Items"]
    article_ids = sorted(
        {item["PK"]["S"].split("#", 1)[1] for item in listing if item["PK"]["S"].startswith("ARTICLE#")}
    )
    for reader in range(8):
        events = [
            {"type": "view", "article_id": article_id, "visitor": f"reader-{reader}"} for article_id in article_ids
        ]
        response = stack.request(
            "POST",
            "/v1/events",
            body=json.dumps(events).encode(),
            headers={"content-type": "application/json", "user-agent": BROWSER},
        )
        if response.status != 202:
            raise RuntimeError(f"POST /v1/events answered {response.status}: {response.body[:200]!r}")


# --------------------------------------------------------------------------------------------------
# 2. Children
# --------------------------------------------------------------------------------------------------


def child_environment(scratch: Path, variant: Variant) -> dict[str, str]:
    """The function's variables; nothing of the developer's shell that could steer boto3."""
    missing = str(scratch / "absent")
    environment = {
        "PATH": os.environ.get("PATH", "/usr/bin:/bin"),
        "HOME": str(scratch),
        "LANG": "C.UTF-8",
        # Lambda has no AWS config files; reading a developer's would cost time in one variant only.
        "AWS_CONFIG_FILE": missing,
        "AWS_SHARED_CREDENTIALS_FILE": missing,
        # Set by the Lambda runtime (the function's code directory). The X-Ray SDK under Powertools'
        # Tracer reads it at import: without it, it builds a botocore client for centralized sampling
        # rules (about 100 ms) that in Lambda it never builds, as Lambda samples.
        "LAMBDA_TASK_ROOT": str(scratch),
        **{k: v for k, v in variant.environment.items() if k != "BENCH_EVENT_DATA"},
    }
    # The tree under test: the before tree is put first on PYTHONPATH by `python -m bench issue7`.
    if os.environ.get("PYTHONPATH"):
        environment["PYTHONPATH"] = os.environ["PYTHONPATH"]
    script = scratch / f"{variant.name}.script.json"
    write_script(variant.script, script)
    environment["BENCH_TRANSPORT_SCRIPT"] = str(script)
    if "BENCH_EVENT_DATA" in variant.environment:
        event = scratch / f"{variant.name}.event.json"
        event.write_text(variant.environment["BENCH_EVENT_DATA"], encoding="utf-8")
        environment["BENCH_EVENT"] = str(event)
    return environment


def full_code(variant: Variant) -> str:
    if variant.name == "interpreter":
        return "pass"
    return CHILD_PRELUDE + variant.code + CHILD_EPILOGUE


def spawn(code: str, environment: dict[str, str], *options: str) -> subprocess.CompletedProcess[str]:
    return subprocess.run(
        [sys.executable, *options, "-c", code],
        env=environment,
        cwd=REPOSITORY,
        capture_output=True,
        text=True,
        check=False,
    )


def timed_spawn(code: str, environment: dict[str, str]) -> Run:
    before = resource.getrusage(resource.RUSAGE_CHILDREN)
    started = time.perf_counter()
    completed = spawn(code, environment)
    wall = time.perf_counter() - started
    after = resource.getrusage(resource.RUSAGE_CHILDREN)
    if completed.returncode != 0:
        raise RuntimeError(f"child failed:\n{completed.stderr[-3000:]}")
    return Run(wall, (after.ru_utime - before.ru_utime) + (after.ru_stime - before.ru_stime))


def tagged(stderr: str, tag: str) -> Any:
    for line in stderr.splitlines():
        if line.startswith(tag + " "):
            return json.loads(line[len(tag) + 1 :])
    return None


_IMPORT_TIME_LINE = re.compile(r"import time:\s*(\d+)\s*\|\s*(\d+)\s*\|(\s*)(\S+)")


def import_self_times(code: str, environment: dict[str, str]) -> dict[str, int]:
    """Self µs of every module ``code`` imports (``python -X importtime``)."""
    completed = spawn(code, environment, "-X", "importtime")
    if completed.returncode != 0:
        raise RuntimeError(f"child failed:\n{completed.stderr[-3000:]}")
    return {match.group(4): int(match.group(1)) for match in _IMPORT_TIME_LINE.finditer(completed.stderr)}


def group_of(module: str) -> str:
    top = module.split(".", 1)[0]
    for group, packages in PACKAGE_GROUPS.items():
        if top in packages:
            return group
    return OTHER


def by_group(self_times: dict[str, int]) -> dict[str, float]:
    totals: dict[str, float] = {}
    for module, microseconds in self_times.items():
        group = group_of(module)
        totals[group] = totals.get(group, 0.0) + microseconds / 1000
    return totals


# --------------------------------------------------------------------------------------------------
# The run
# --------------------------------------------------------------------------------------------------


def run(quick: bool = False) -> BenchResult:
    started = time.perf_counter()
    repetitions = QUICK_REPETITIONS if quick else REPETITIONS
    variants, comparisons, facts = prepare()
    served: dict[str, Any] = {}
    answers: dict[str, Any] = {}
    imports: dict[str, dict[str, float]] = {}
    with tempfile.TemporaryDirectory(prefix="newsdesk-bench-") as scratch_name:
        scratch = Path(scratch_name)
        environments = {variant.name: child_environment(scratch, variant) for variant in variants}
        codes = {variant.name: full_code(variant) for variant in variants}
        # One untimed run each (bytecode and page cache warm, as on a warm host), checked.
        for variant in variants:
            completed = spawn(codes[variant.name], environments[variant.name])
            if completed.returncode != 0:
                raise RuntimeError(f"{variant.name} failed:\n{completed.stderr[-3000:]}")
            served[variant.name] = tagged(completed.stderr, "BENCH-SERVED")
            answers[variant.name] = tagged(completed.stderr, "BENCH-ANSWER")
            if variant.expected and json.dumps(answers[variant.name], sort_keys=True) != variant.expected:
                raise RuntimeError(
                    f"{variant.name} answered {answers[variant.name]!r}, expected {variant.expected}:\n"
                    f"{completed.stderr[-2000:]}"
                )
        facts["load"] = [os.getloadavg()[0]]
        runs: dict[str, list[Run]] = {variant.name: [] for variant in variants}
        for repetition in range(repetitions):
            shift = repetition % len(variants)
            for variant in variants[shift:] + variants[:shift]:
                runs[variant.name].append(timed_spawn(codes[variant.name], environments[variant.name]))
        facts["load"].append(os.getloadavg()[0])
        for variant in variants:
            if variant.name == "interpreter" or variant.name.endswith("201_baseline"):
                continue
            samples = [
                by_group(import_self_times(codes[variant.name], environments[variant.name]))
                for _ in range(1 if quick else IMPORTTIME_RUNS)
            ]
            groups = {group for sample in samples for group in sample}
            imports[variant.name] = {group: statistics.median([s.get(group, 0.0) for s in samples]) for group in groups}
    return build_result(
        variants, comparisons, runs, served, answers, imports, facts, repetitions, time.perf_counter() - started
    )


def build_result(
    variants: list[Variant],
    comparisons: list[Comparison],
    runs: dict[str, list[Run]],
    served: dict[str, Any],
    answers: dict[str, Any],
    imports: dict[str, dict[str, float]],
    facts: dict[str, Any],
    repetitions: int,
    elapsed: float,
) -> BenchResult:
    wall = {name: median([r.wall for r in samples]) for name, samples in runs.items()}
    cpu = {name: median([r.cpu for r in samples]) for name, samples in runs.items()}
    p90 = {name: percentile([r.wall for r in samples], 0.9) for name, samples in runs.items()}
    bare = wall["interpreter"]

    def clients_of(name: str) -> str:
        info = served.get(name) or {}
        return ", ".join(info.get("clients", [])) or "-"

    def transport_of(name: str) -> str:
        info = served.get(name) or {}
        return f"{info.get('script', 0)} recorded / {info.get('neutral', 0)} neutral" if info else "-"

    variants_table = Table(
        [
            "variant",
            "median wall (ms)",
            "p90 wall (ms)",
            "median CPU (ms)",
            "clients created",
            "responses served",
            "answer",
        ],
        [
            [
                variant.description,
                ms(wall[variant.name]),
                ms(p90[variant.name]),
                ms(cpu[variant.name]),
                clients_of(variant.name),
                transport_of(variant.name),
                "" if answers.get(variant.name) is None else json.dumps(answers[variant.name])[:40],
            ]
            for variant in variants
        ],
    )
    verdicts: list[Verdict] = []
    rows: list[list[str]] = []
    figures = []
    for comparison in comparisons:
        whole = ratio(wall[comparison.numerator], wall[comparison.denominator])
        beyond = ratio(wall[comparison.numerator] - bare, wall[comparison.denominator] - bare)
        cpu_ratio = ratio(cpu[comparison.numerator], cpu[comparison.denominator])
        verdicts.append(Verdict(f"{comparison.label}, whole process", whole, TARGET, primary=comparison.gated))
        if comparison.gated:
            # On a busy machine both sides wait for a CPU and wall ratios drift towards 1; CPU does not.
            verdicts.append(Verdict(f"{comparison.label}, CPU (user + system)", cpu_ratio, TARGET, primary=False))
        rows.append(
            [
                comparison.label,
                ms(wall[comparison.numerator]),
                ms(wall[comparison.denominator]),
                f"{whole:.2f}x",
                f"{beyond:.2f}x",
                f"{cpu_ratio:.2f}x",
                "yes" if comparison.gated else "informational",
            ]
        )
        figures.append(
            {
                "comparison": comparison.label,
                "numerator": comparison.numerator,
                "denominator": comparison.denominator,
                "gated": comparison.gated,
                "numerator_ms": wall[comparison.numerator] * 1000,
                "denominator_ms": wall[comparison.denominator] * 1000,
                "whole_process": whole,
                "beyond_interpreter": beyond,
                "cpu": cpu_ratio,
            }
        )
    ratios_table = Table(
        [
            "comparison",
            "handler (ms)",
            "baseline (ms)",
            "whole process",
            "beyond interpreter start",
            "CPU",
            "against target",
        ],
        rows,
    )
    groups = [*PACKAGE_GROUPS, OTHER]
    import_columns = [name for name in imports]
    imports_table = Table(
        ["package (self time of its modules, ms)", *(_short(variants, name) for name in import_columns)],
        [[group, *(f"{imports[name].get(group, 0.0):.1f}" for name in import_columns)] for group in groups]
        + [["total", *(f"{sum(imports[name].values()):.1f}" for name in import_columns)]],
    )
    calls_table = Table(
        ["first event", "SDK calls the function made (recorded on moto, replayed in the child)"],
        [[label, json.dumps(calls, ensure_ascii=False)] for label, calls in facts["calls"].items()],
    )
    notes = [
        f"{repetitions} repetitions of every variant in rotating order after one untimed warm-up each; wall time from "
        "spawn to exit of a fresh interpreter, CPU = user + system of the child.",
        "Fake HTTP transport in every child (a botocore before-send hook; signing and parsing run, no network, no "
        "moto). Handler variants get the responses moto gave to the same event during preparation, in the same "
        "order; 'neutral' responses ({} or an empty 200) answer anything not recorded.",
        "Each child has its function's environment from template.yaml (fake credentials, no AWS config files).",
        "'beyond interpreter start' subtracts the median of 'python -c pass' from both sides.",
        "Import table: python -X importtime of each variant (median of the runs), self times summed by top-level "
        "package; importtime adds its own overhead, read the shares.",
        f"Handlers: {facts['handlers']}.",
        f"Load average (1 min) at the start and end of the timed runs: {facts['load'][0]:.2f}, {facts['load'][1]:.2f} "
        f"on {os.cpu_count()} CPUs; above the CPU count, wall times include waiting for a CPU (compare the CPU "
        "ratios).",
        f"bench took {elapsed:.1f} s.",
    ]
    return BenchResult(
        name=NAME,
        title="Cold start, first request ready: fresh process running a function's first event vs boto3 + clients",
        verdicts=verdicts,
        tables={
            "Variants": variants_table,
            "Ratios": ratios_table,
            "Import time by package (self ms, python -X importtime)": imports_table,
            "SDK calls of the first event": calls_table,
        },
        notes=notes,
        data={
            "repetitions": repetitions,
            "variants": {
                variant.name: {
                    "description": variant.description,
                    "wall_s": [r.wall for r in runs[variant.name]],
                    "cpu_s": [r.cpu for r in runs[variant.name]],
                    "median_wall_s": wall[variant.name],
                    "p90_wall_s": p90[variant.name],
                    "median_cpu_s": cpu[variant.name],
                    "served": served.get(variant.name),
                    "answer": answers.get(variant.name),
                }
                for variant in variants
            },
            "comparisons": figures,
            "imports_ms_by_package": imports,
            "first_event_calls": facts["calls"],
            "load_average": facts["load"],
            "elapsed_s": elapsed,
        },
    )


def _short(variants: list[Variant], name: str) -> str:
    return name.replace("_", " ")


def main() -> None:
    main_of(run)


if __name__ == "__main__":
    main()
