"""Validation cost per document: ``validate_document`` and each of its steps, on the ninjs fixtures.

Issue 7 (part 1) replaced a hand-written schema checker and jsonschema with jsonschema-rs; this
shows where validation time goes now. No target: the figures inform, they do not gate.

- Documents: the seven fixtures in ``tests/fixtures/ninjs/`` (one has unknown fields, so its
  schema check goes on from the yes/no answer to the full error report).
- Warm: each step runs over all documents ``PASSES`` times per round; the best of ``ROUNDS``
  rounds gives microseconds per document (the best round is the one least disturbed by the
  machine). The validator is built before timing.
- First use: a fresh interpreter that has already imported boto3 (as the ingest handler has)
  imports jsonschema_rs and builds the validator; medians of ``REPETITIONS`` processes.
"""

from __future__ import annotations

import json
import math
import subprocess
import sys
import time
from collections.abc import Callable
from typing import Any

from bench.common import REPOSITORY, BenchResult, Table, median, report

NAME = "validation"
ROUNDS = 15
PASSES = 50
REPETITIONS = 9
FIXTURES = REPOSITORY / "tests" / "fixtures" / "ninjs"

_FIRST_USE_PROBE = """
import time
import boto3
import newsdesk.ninjs
from newsdesk.ninjs import schema
started = time.perf_counter()
import jsonschema_rs
imported = time.perf_counter()
schema.validator()
built = time.perf_counter()
print(imported - started, built - imported)
"""


def _documents() -> list[dict[str, Any]]:
    return [json.loads(path.read_text(encoding="utf-8")) for path in sorted(FIXTURES.glob("*.json"))]


def _steps() -> list[tuple[str, Callable[[Any], object]]]:
    from newsdesk.ninjs import validate_document
    from newsdesk.ninjs.canonical import canonical_hash_of_json
    from newsdesk.ninjs.hygiene import unusable_values
    from newsdesk.ninjs.normalize import Normalizer
    from newsdesk.ninjs.schema import check_schema, validator

    checker = validator()
    return [
        ("validate_document (all of it)", lambda document: validate_document(document, default_language="ru")),
        ("  hygiene (one walk)", unusable_values),
        ("  schema check (yes/no, report when no)", check_schema),
        ("    jsonschema-rs is_valid alone", checker.is_valid),
        ("    jsonschema-rs iter_errors alone", lambda document: list(checker.iter_errors(document))),
        ("  normalization", lambda document: Normalizer(document, default_language="ru").article()),
        ("  canonical hash", canonical_hash_of_json),
    ]


def time_per_document(step: Callable[[Any], object], documents: list[dict[str, Any]]) -> float:
    """Seconds per document, best of ROUNDS rounds of PASSES passes over all documents."""
    best = math.inf
    for _ in range(ROUNDS):
        started = time.perf_counter()
        for _ in range(PASSES):
            for document in documents:
                step(document)
        best = min(best, time.perf_counter() - started)
    return best / (PASSES * len(documents))


def first_use() -> tuple[float, float]:
    """Median seconds to import jsonschema_rs and to build the validator, in fresh processes."""
    imports, builds = [], []
    for _ in range(REPETITIONS):
        output = subprocess.run(
            [sys.executable, "-c", _FIRST_USE_PROBE], capture_output=True, text=True, check=True, cwd=REPOSITORY
        ).stdout.split()
        imports.append(float(output[0]))
        builds.append(float(output[1]))
    return median(imports), median(builds)


def run() -> BenchResult:
    documents = _documents()
    warm = [(label, time_per_document(step, documents)) for label, step in _steps()]
    import_seconds, build_seconds = first_use()
    return BenchResult(
        name=NAME,
        title="Validation per ninjs document (jsonschema-rs)",
        verdicts=[],
        tables={
            f"Warm, µs per document (best of {ROUNDS} rounds, {len(documents)} fixtures)": Table(
                ["step", "µs/doc"], [[label, f"{seconds * 1e6:.1f}"] for label, seconds in warm]
            ),
            f"First use after boto3 is imported, ms (median of {REPETITIONS} processes)": Table(
                ["step", "ms"],
                [
                    ["import jsonschema_rs", f"{import_seconds * 1000:.1f}"],
                    ["build the validator", f"{build_seconds * 1000:.1f}"],
                ],
            ),
        },
        data={
            "documents": len(documents),
            "warm_us_per_document": {label.strip(): seconds * 1e6 for label, seconds in warm},
            "first_use_ms": {"import": import_seconds * 1000, "build": build_seconds * 1000},
        },
    )


def main() -> None:
    report(run())


if __name__ == "__main__":
    main()
