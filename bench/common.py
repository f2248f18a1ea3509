"""What every benchmark shares: statistics, results and how they are reported, the environment.

A benchmark module exposes ``run(quick) -> BenchResult``; :func:`report` prints it and writes
``bench/results/{name}.json`` and ``.md``. Targets are ratios measured in one run, so that the
verdict does not depend on how fast the machine is.
"""

from __future__ import annotations

import json
import math
import os
import platform
import statistics
import sys
from collections.abc import Iterator, Sequence
from contextlib import contextmanager
from dataclasses import asdict, dataclass, field
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

REPOSITORY = Path(__file__).resolve().parents[1]
RESULTS_DIR = Path(__file__).resolve().parent / "results"

# The variables a Lambda function always has, with fake credentials: nothing here may reach AWS.
FAKE_AWS_ENVIRONMENT = {
    "AWS_REGION": "eu-west-1",
    "AWS_DEFAULT_REGION": "eu-west-1",
    "AWS_ACCESS_KEY_ID": "testing",
    "AWS_SECRET_ACCESS_KEY": "testing",
    "AWS_SESSION_TOKEN": "testing",
    "AWS_LAMBDA_FUNCTION_NAME": "newsdesk-bench-ingest",
    "AWS_LAMBDA_FUNCTION_MEMORY_SIZE": "1024",
}


# --------------------------------------------------------------------------------------------------
# Statistics
# --------------------------------------------------------------------------------------------------


def median(values: Sequence[float]) -> float:
    return statistics.median(values) if values else math.nan


def percentile(values: Sequence[float], fraction: float) -> float:
    """The nearest-rank percentile (``fraction`` 0.9 is p90): a value that was actually measured."""
    if not values:
        return math.nan
    ordered = sorted(values)
    rank = max(1, math.ceil(fraction * len(ordered)))
    return ordered[rank - 1]


def ratio(numerator: float, denominator: float) -> float:
    return numerator / denominator if denominator > 0 else math.inf


def ms(seconds: float) -> str:
    """Seconds as milliseconds for tables, precise enough for sub-millisecond calls."""
    return f"{seconds * 1000:.3f}" if seconds < 0.01 else f"{seconds * 1000:.1f}"


# --------------------------------------------------------------------------------------------------
# Results
# --------------------------------------------------------------------------------------------------


@dataclass(frozen=True)
class Verdict:
    """One target of the issue: a measured ratio against its ceiling."""

    label: str
    measured: float
    target: float
    primary: bool = True

    @property
    def passed(self) -> bool:
        return self.measured <= self.target

    def describe(self) -> str:
        outcome = "PASS" if self.passed else "FAIL"
        marker = "" if self.primary else "  (informational, not a target)"
        return f"{outcome}  {self.label}: {self.measured:.2f}x (target <= {self.target:.2f}x){marker}"


@dataclass
class Table:
    columns: list[str]
    rows: list[list[str]]

    def as_text(self) -> str:
        widths = [
            max(len(str(cell)) for cell in (column, *(row[i] for row in self.rows)))
            for i, column in enumerate(self.columns)
        ]
        lines = [
            "  ".join(str(cell).ljust(width) for cell, width in zip(row, widths, strict=True))
            for row in (self.columns, ["-" * width for width in widths], *self.rows)
        ]
        return "\n".join(line.rstrip() for line in lines)

    def as_markdown(self) -> str:
        def line(cells: Sequence[str]) -> str:
            return "| " + " | ".join(str(cell).replace("|", "\\|") for cell in cells) + " |"

        return "\n".join([line(self.columns), line(["---"] * len(self.columns)), *map(line, self.rows)])


@dataclass
class BenchResult:
    """Everything a benchmark reports: verdicts, tables by heading, notes and the raw figures."""

    name: str
    title: str
    verdicts: list[Verdict]
    tables: dict[str, Table] = field(default_factory=dict)
    notes: list[str] = field(default_factory=list)
    data: dict[str, Any] = field(default_factory=dict)

    @property
    def passed(self) -> bool:
        return all(verdict.passed for verdict in self.verdicts if verdict.primary)


def machine_info() -> dict[str, Any]:
    return {
        "python": platform.python_version(),
        "implementation": platform.python_implementation(),
        "platform": platform.platform(),
        "machine": platform.machine(),
        "processor": platform.processor() or "unknown",
        "cpu_count": os.cpu_count(),
        "usable_cpus": len(os.sched_getaffinity(0)) if hasattr(os, "sched_getaffinity") else os.cpu_count(),
        "executable": sys.executable,
    }


def report(result: BenchResult, results_dir: Path = RESULTS_DIR) -> tuple[Path, Path]:
    """Print the result and write it as JSON (for tools) and Markdown (for people)."""
    measured_at = datetime.now(UTC).isoformat(timespec="seconds")
    machine = machine_info()
    print(as_text(result))
    results_dir.mkdir(parents=True, exist_ok=True)
    json_path = results_dir / f"{result.name}.json"
    markdown_path = results_dir / f"{result.name}.md"
    document = {
        "name": result.name,
        "title": result.title,
        "date": measured_at,
        "machine": machine,
        "passed": result.passed,
        "verdicts": [{**asdict(verdict), "passed": verdict.passed} for verdict in result.verdicts],
        "tables": {heading: asdict(table) for heading, table in result.tables.items()},
        "notes": result.notes,
        "data": result.data,
    }
    json_path.write_text(json.dumps(document, ensure_ascii=False, indent=2) + "\n", encoding="utf-8")
    markdown_path.write_text(as_markdown(result, measured_at, machine), encoding="utf-8")
    print(f"written: {_shown(json_path)}, {_shown(markdown_path)}\n")
    return json_path, markdown_path


def main_of(run: Any, argv: Sequence[str] | None = None) -> None:
    """The command line of one benchmark module: ``python -m bench.NAME [--quick] [--results-dir DIR]``."""
    import argparse

    parser = argparse.ArgumentParser()
    parser.add_argument("--quick", action="store_true", help="smaller sizes and fewer repetitions")
    parser.add_argument("--results-dir", type=Path, default=RESULTS_DIR, help="where to write NAME.json and .md")
    arguments = parser.parse_args(argv)
    report(run(quick=arguments.quick), arguments.results_dir)


def _shown(path: Path) -> str:
    resolved = path.resolve()
    return str(resolved.relative_to(REPOSITORY)) if resolved.is_relative_to(REPOSITORY) else str(path)


def as_text(result: BenchResult) -> str:
    parts = [f"== {result.title} ==", *(verdict.describe() for verdict in result.verdicts)]
    for heading, table in result.tables.items():
        parts.extend(["", f"-- {heading}", table.as_text()])
    if result.notes:
        parts.extend(["", *(f"* {note}" for note in result.notes)])
    return "\n".join(parts) + "\n"


def as_markdown(result: BenchResult, measured_at: str, machine: dict[str, Any]) -> str:
    parts = [
        f"# {result.title}",
        "",
        f"Measured {measured_at} on Python {machine['python']} ({machine['implementation']}), "
        f"{machine['platform']}, {machine['cpu_count']} CPUs ({machine['usable_cpus']} usable).",
        "",
        *(f"- **{verdict.describe()}**" for verdict in result.verdicts),
    ]
    for heading, table in result.tables.items():
        parts.extend(["", f"## {heading}", "", table.as_markdown()])
    if result.notes:
        parts.extend(["", "## Notes", "", *(f"- {note}" for note in result.notes)])
    return "\n".join(parts) + "\n"


# --------------------------------------------------------------------------------------------------
# Environment
# --------------------------------------------------------------------------------------------------


@contextmanager
def patched_environment(variables: dict[str, str], remove: Sequence[str] = ()) -> Iterator[None]:
    saved = {name: os.environ.get(name) for name in (*variables, *remove)}
    os.environ.update(variables)
    for name in remove:
        os.environ.pop(name, None)
    try:
        yield
    finally:
        for name, value in saved.items():
            if value is None:
                os.environ.pop(name, None)
            else:
                os.environ[name] = value
