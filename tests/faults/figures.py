"""What the fault property tests did, per pipeline: examples run, faults injected by kind and by
call, and the failures; written as bench/results/reliability/faults.json by ``make faults``."""

from __future__ import annotations

import json
from collections import Counter
from dataclasses import dataclass, field
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

from tests.support.faults import Injected

REPORT = Path(__file__).resolve().parents[2] / "bench" / "results" / "reliability" / "faults.json"


@dataclass
class PipelineFigures:
    examples: int = 0
    steps: int = 0  # operations, batches or runs driven through the pipeline, all examples
    calls_seen: int = 0  # AWS calls of the fault-free runs: the places a fault could land
    faults: int = 0
    by_kind: Counter[str] = field(default_factory=Counter)
    by_operation: Counter[str] = field(default_factory=Counter)
    by_call_index: Counter[int] = field(default_factory=Counter)
    retries: int = 0  # requests, invocations or runs repeated after a fault
    doubled: int = 0  # examples whose faulted run counted some views twice (view counting only)

    def to_json(self) -> dict[str, Any]:
        return {
            "examples": self.examples,
            "steps": self.steps,
            "calls_in_fault_free_runs": self.calls_seen,
            "faults_injected": self.faults,
            "faults_by_kind": dict(sorted(self.by_kind.items())),
            "faults_by_call": dict(sorted(self.by_operation.items())),
            "faults_by_call_index": {str(index): n for index, n in sorted(self.by_call_index.items())},
            "retries": self.retries,
            "examples_with_doubled_counts": self.doubled,
        }


@dataclass
class Figures:
    pipelines: dict[str, PipelineFigures] = field(default_factory=dict)
    failures: list[dict[str, str]] = field(default_factory=list)

    def of(self, pipeline: str) -> PipelineFigures:
        return self.pipelines.setdefault(pipeline, PipelineFigures())

    def example(self, pipeline: str, *, steps: int, calls: int, injected: Injected | None, retries: int) -> None:
        figures = self.of(pipeline)
        figures.examples += 1
        figures.steps += steps
        figures.calls_seen += calls
        figures.retries += retries
        if injected is not None:
            figures.faults += 1
            figures.by_kind[injected.kind.value] += 1
            figures.by_operation[injected.operation] += 1
            figures.by_call_index[injected.call] += 1

    def to_json(self, command: str) -> dict[str, Any]:
        return {
            "command": command,
            "finished_at": datetime.now(UTC).replace(microsecond=0).isoformat().replace("+00:00", "Z"),
            "figures": {name: figures.to_json() for name, figures in sorted(self.pipelines.items())},
            "failures": self.failures,
        }

    def table(self) -> str:
        kinds = sorted({kind for figures in self.pipelines.values() for kind in figures.by_kind})
        header = ["pipeline", "examples", "steps", "faults", *kinds, "retries", "doubled"]
        rows = [header]
        for name, figures in sorted(self.pipelines.items()):
            counts = [str(figures.by_kind.get(kind, 0)) for kind in kinds]
            numbers = [figures.examples, figures.steps, figures.faults]
            rows.append([name, *map(str, numbers), *counts, str(figures.retries), str(figures.doubled)])
        rows.append(["failures", str(len(self.failures))] + [""] * (len(header) - 2))
        widths = [max(len(row[column]) for row in rows) for column in range(len(header))]
        return "\n".join("  ".join(cell.ljust(width) for cell, width in zip(row, widths, strict=True)) for row in rows)

    def write(self, command: str, path: Path = REPORT) -> None:
        path.parent.mkdir(parents=True, exist_ok=True)
        path.write_text(json.dumps(self.to_json(command), indent=2, ensure_ascii=False) + "\n", encoding="utf-8")


# One per test process; `make faults` runs in one process, so it sees every pipeline.
FIGURES = Figures()
