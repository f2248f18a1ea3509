"""Cold start: a fresh process importing the ingest handler, against one that only sets up the SDK.

Issue 2: "a fresh process importing the ingest handler module, against one importing boto3 and
creating the clients the handler uses. Target <= 1.3x."

Each variant is a new interpreter (``sys.executable -c ...``) with the environment the ingest
function gets in Lambda (template variables, fake credentials, no config files), timed from spawn
to exit. Variants run in rotating order, repetition after repetition, so that drift of the machine
touches them all alike; medians and p90 are reported. Nothing here talks to AWS: importing and
creating clients make no network calls.

Two ratios are given for each comparison: whole processes (what the issue asks), and the same
with the bare interpreter start (``python -c pass``) taken off both sides, which is the part the
code can change.
"""

from __future__ import annotations

import os
import re
import resource
import subprocess
import sys
import tempfile
import time
from dataclasses import dataclass

from bench.common import (
    REPOSITORY,
    BenchResult,
    Table,
    Verdict,
    lambda_environment,
    median,
    ms,
    percentile,
    ratio,
    report,
)

NAME = "cold_start"
TARGET = 1.3
REPETITIONS = 15
TOP_IMPORTS = 15

INTERPRETER = "interpreter"
HANDLER_IMPORT = "handler_import"
HANDLER_CLIENTS = "handler_import_clients"
HANDLER_READY = "handler_first_request_ready"
SDK_BASELINE = "sdk_baseline"


@dataclass(frozen=True)
class Variant:
    name: str
    description: str
    code: str


VARIANTS = [
    Variant(INTERPRETER, "python -c pass (interpreter start only)", "pass"),
    Variant(HANDLER_IMPORT, "import ingest.app (the handler module)", "import ingest.app"),
    Variant(
        HANDLER_CLIENTS,
        "import ingest.app + its DynamoDB and S3 clients (newsdesk.aws)",
        "import ingest.app\nfrom newsdesk.aws import dynamodb_client, s3_client\ndynamodb_client()\ns3_client()",
    ),
    Variant(
        HANDLER_READY,
        "+ what the first POST builds lazily (service, settings, ninjs schema validator)",
        "import ingest.app\n"
        "ingest.app.ingest_service()\n"
        "from newsdesk.ninjs import validate_document\n"
        "validate_document({'uri': 'urn:bench:1', 'headlines': [{'role': 'main', 'value': 'Заголовок'}],"
        " 'bodies': [{'contenttype': 'text/html', 'value': '<p>Текст</p>'}]}, default_language='ru')",
    ),
    Variant(
        SDK_BASELINE,
        "import boto3 + boto3.client('dynamodb') + boto3.client('s3')",
        "import boto3\nboto3.client('dynamodb')\nboto3.client('s3')",
    ),
]

VARIANT_CODE = {variant.name: variant.code for variant in VARIANTS}
HANDLER_IMPORT_CODE = VARIANT_CODE[HANDLER_IMPORT]

# (label, numerator variant, denominator variant, whether the target applies)
COMPARISONS = [
    ("import ingest.app vs boto3 + clients (the issue's wording)", HANDLER_IMPORT, SDK_BASELINE, True),
    ("import ingest.app + clients vs boto3 + clients (like for like)", HANDLER_CLIENTS, SDK_BASELINE, True),
    ("first request ready vs boto3 + clients", HANDLER_READY, SDK_BASELINE, False),
]


@dataclass
class Run:
    wall: float
    cpu: float


def child_environment(scratch: str) -> dict[str, str]:
    """What the function sees in Lambda; nothing of the developer's shell that could steer boto3."""
    missing = os.path.join(scratch, "absent")
    return {
        "PATH": os.environ.get("PATH", "/usr/bin:/bin"),
        "HOME": scratch,
        "LANG": "C.UTF-8",
        # Lambda has no AWS config files; reading a developer's would cost time in one variant only.
        "AWS_CONFIG_FILE": missing,
        "AWS_SHARED_CREDENTIALS_FILE": missing,
        **lambda_environment(),
    }


def spawn(code: str, environment: dict[str, str], *extra_options: str) -> subprocess.CompletedProcess[str]:
    return subprocess.run(
        [sys.executable, *extra_options, "-c", code],
        env=environment,
        cwd=REPOSITORY,
        capture_output=True,
        text=True,
        check=True,
    )


def timed_spawn(code: str, environment: dict[str, str]) -> Run:
    before = resource.getrusage(resource.RUSAGE_CHILDREN)
    started = time.perf_counter()
    spawn(code, environment)
    wall = time.perf_counter() - started
    after = resource.getrusage(resource.RUSAGE_CHILDREN)
    cpu = (after.ru_utime - before.ru_utime) + (after.ru_stime - before.ru_stime)
    return Run(wall, cpu)


@dataclass(frozen=True)
class ImportCost:
    module: str
    depth: int
    self_us: int
    cumulative_us: int


_IMPORT_TIME_LINE = re.compile(r"import time:\s*(\d+)\s*\|\s*(\d+)\s*\|(\s*)(\S+)")


def import_costs(code: str, environment: dict[str, str]) -> list[ImportCost]:
    """``python -X importtime -c code``, parsed (times in microseconds)."""
    stderr = spawn(code, environment, "-X", "importtime").stderr
    costs = []
    for match in _IMPORT_TIME_LINE.finditer(stderr):
        self_us, cumulative_us, indent, module = match.groups()
        costs.append(ImportCost(module, (len(indent) - 1) // 2, int(self_us), int(cumulative_us)))
    return costs


def extra_imports_by_package(handler: list[ImportCost], baseline: list[ImportCost]) -> list[tuple[str, int, int]]:
    """(top-level package, modules, self µs) for modules the handler imports and the SDK baseline does not."""
    shared = {cost.module for cost in baseline}
    totals: dict[str, tuple[int, int]] = {}
    for cost in handler:
        if cost.module not in shared:
            package = cost.module.split(".", 1)[0]
            modules, self_us = totals.get(package, (0, 0))
            totals[package] = (modules + 1, self_us + cost.self_us)
    return sorted(((name, *counts) for name, counts in totals.items()), key=lambda row: row[2], reverse=True)


def direct_imports_of(module: str, costs: list[ImportCost]) -> list[ImportCost]:
    """The imports ``module`` made itself: importtime lists a module's imports just before it."""
    children: list[ImportCost] = []
    for cost in costs:
        if cost.depth == 0:
            if cost.module == module:
                return children
            children = []
        elif cost.depth == 1:
            children.append(cost)
    return []


def run() -> BenchResult:
    started = time.perf_counter()
    with tempfile.TemporaryDirectory(prefix="newsdesk-bench-") as scratch:
        environment = child_environment(scratch)
        # One untimed run each: bytecode caches written, files in the page cache, as on a warm host.
        for variant in VARIANTS:
            spawn(variant.code, environment)
        runs: dict[str, list[Run]] = {variant.name: [] for variant in VARIANTS}
        for repetition in range(REPETITIONS):
            shift = repetition % len(VARIANTS)
            for variant in VARIANTS[shift:] + VARIANTS[:shift]:
                runs[variant.name].append(timed_spawn(variant.code, environment))
        costs = import_costs(HANDLER_IMPORT_CODE, environment)
        extra = extra_imports_by_package(
            import_costs(VARIANT_CODE[HANDLER_CLIENTS], environment),
            import_costs(VARIANT_CODE[SDK_BASELINE], environment),
        )
    return build_result(runs, costs, extra, time.perf_counter() - started)


def build_result(
    runs: dict[str, list[Run]], costs: list[ImportCost], extra: list[tuple[str, int, int]], elapsed: float
) -> BenchResult:
    wall = {name: median([r.wall for r in samples]) for name, samples in runs.items()}
    cpu = {name: median([r.cpu for r in samples]) for name, samples in runs.items()}
    p90 = {name: percentile([r.wall for r in samples], 0.9) for name, samples in runs.items()}
    bare = wall[INTERPRETER]

    variants_table = Table(
        ["variant", "median wall (ms)", "p90 wall (ms)", "median CPU (ms)", "beyond interpreter (ms)"],
        [
            [
                variant.description,
                ms(wall[variant.name]),
                ms(p90[variant.name]),
                ms(cpu[variant.name]),
                "-" if variant.name == INTERPRETER else ms(wall[variant.name] - bare),
            ]
            for variant in VARIANTS
        ],
    )
    verdicts: list[Verdict] = []
    comparison_rows: list[list[str]] = []
    comparisons = []
    for label, numerator, denominator, gated in COMPARISONS:
        whole = ratio(wall[numerator], wall[denominator])
        beyond = ratio(wall[numerator] - bare, wall[denominator] - bare)
        cpu_ratio = ratio(cpu[numerator], cpu[denominator])
        if gated:
            verdicts.append(Verdict(f"{label}, whole process", whole, TARGET))
            verdicts.append(Verdict(f"{label}, beyond interpreter start", beyond, TARGET, primary=False))
        comparison_rows.append(
            [label, f"{whole:.2f}x", f"{beyond:.2f}x", f"{cpu_ratio:.2f}x", "yes" if gated else "informational"]
        )
        comparisons.append(
            {"comparison": label, "whole_process": whole, "beyond_interpreter": beyond, "cpu": cpu_ratio}
        )
    comparisons_table = Table(
        ["comparison", "whole process", "beyond interpreter start", "CPU", "against target"],
        comparison_rows,
    )
    top = sorted(costs, key=lambda cost: cost.cumulative_us, reverse=True)[:TOP_IMPORTS]
    top_table = Table(
        ["module (indent = imported by the line above it)", "cumulative (ms)", "self (ms)"],
        [
            ["  " * cost.depth + cost.module, f"{cost.cumulative_us / 1000:.1f}", f"{cost.self_us / 1000:.1f}"]
            for cost in top
        ],
    )
    first_level = sorted(direct_imports_of("ingest.app", costs), key=lambda c: c.cumulative_us, reverse=True)
    direct_table = Table(
        ["first import made by ingest.app", "cumulative (ms)"],
        [[cost.module, f"{cost.cumulative_us / 1000:.1f}"] for cost in first_level[:TOP_IMPORTS]],
    )
    extra_table = Table(
        ["package", "modules", "self (ms)"],
        [[name, str(modules), f"{self_us / 1000:.1f}"] for name, modules, self_us in extra[:TOP_IMPORTS]],
    )
    notes = [
        f"{REPETITIONS} repetitions of every variant in rotating order after one untimed warm-up each; "
        "wall time from spawn to exit of a fresh interpreter, CPU = user + system of the child.",
        "'beyond interpreter start' subtracts the median of 'python -c pass' from both sides.",
        "The import lists come from single 'python -X importtime' runs (importtime itself adds overhead); "
        "a module imported by several is charged to the first importer only. The by-package table sums "
        "the self time of modules that 'import ingest.app' + clients loads and the SDK baseline does not: "
        "the cold-start cost of the handler's own choices.",
        f"bench took {elapsed:.1f} s.",
    ]
    return BenchResult(
        name=NAME,
        title="Cold start: fresh process importing the ingest handler vs boto3 + clients",
        verdicts=verdicts,
        tables={
            "Variants": variants_table,
            "Ratios": comparisons_table,
            f"Top {TOP_IMPORTS} cumulative import costs of ingest.app": top_table,
            "Direct imports of ingest.app, by cost": direct_table,
            "What the handler (+ clients) imports that boto3 + clients does not, by package": extra_table,
        },
        notes=notes,
        data={
            "repetitions": REPETITIONS,
            "variants": {
                variant.name: {
                    "description": variant.description,
                    "code": variant.code,
                    "wall_s": [r.wall for r in runs[variant.name]],
                    "cpu_s": [r.cpu for r in runs[variant.name]],
                    "median_wall_s": wall[variant.name],
                    "p90_wall_s": p90[variant.name],
                    "median_cpu_s": cpu[variant.name],
                }
                for variant in VARIANTS
            },
            "comparisons": comparisons,
            "import_costs_top": [
                {"module": c.module, "depth": c.depth, "self_us": c.self_us, "cumulative_us": c.cumulative_us}
                for c in top
            ],
            "extra_imports_by_package": [
                {"package": name, "modules": modules, "self_us": self_us} for name, modules, self_us in extra
            ],
            "elapsed_s": elapsed,
        },
    )


def main() -> None:
    report(run())


if __name__ == "__main__":
    main()
