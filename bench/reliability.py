"""docs/reliability.md: what was tried against Newsdesk and what held, from the proof commands' results.

Each proof command writes ``bench/results/reliability/{name}.json`` (``{"command", "finished_at",
"figures", "failures"}``) and then calls ``render`` here, so the page always shows the latest run of
each:

- ``make fuzz``    — schemathesis against the served OpenAPI on the local stack (fuzz.json)
- ``make faults``  — hypothesis-driven AWS faults and retries (faults.json)
- ``make load``    — concurrent clients through the local HTTP stack, then reconciliation (load.json)
- ``make attacks`` — every reproduction of issue 8's 'What broke' list, as tests (attacks.json)

Usage: ``python -m bench.reliability render`` or ``python -m bench.reliability attacks``.
"""

from __future__ import annotations

import json
import sys
import time
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

ROOT = Path(__file__).resolve().parents[1]
RESULTS = ROOT / "bench" / "results" / "reliability"
PAGE = ROOT / "docs" / "reliability.md"

# The proofs in the order the page shows them, with what each one is.
PROOFS = {
    "attacks": "Attack cases: each reproduction of issue 8's 'What broke' list is a test (`make attacks`)",
    "fuzz": "Fuzzing the API: schemathesis against the served OpenAPI document (`make fuzz`)",
    "faults": "Faults at every AWS call, then the normal retry (`make faults`)",
    "load": "Load through the local HTTP stack, then reconciliation (`make load`)",
}

# Issue 8's 'What broke' items, as the tests marked ``@pytest.mark.attack(N)`` name them.
ATTACK_ITEMS = {
    1: "5xx from client input",
    2: "A story poisoned for good",
    3: "Stale versions come back",
    4: "A retried PUT is refused",
    5: "Retractions come back",
    6: "Withheld stories go live",
    7: "Unsafe links and invisible text",
    8: "Unbounded files",
    9: "Rankings for sale",
    10: "Nothing limits traffic",
    11: "Retracted stories linger in the rankings",
}


def load(name: str) -> dict[str, Any] | None:
    path = RESULTS / f"{name}.json"
    if not path.exists():
        return None
    result: dict[str, Any] = json.loads(path.read_text(encoding="utf-8"))
    return result


def _flatten(values: Any, prefix: str = "") -> list[tuple[str, Any]]:
    if isinstance(values, dict):
        rows: list[tuple[str, Any]] = []
        for key, value in values.items():
            rows += _flatten(value, f"{prefix}{key}" if not prefix else f"{prefix} · {key}")
        return rows
    if isinstance(values, list) and all(not isinstance(item, dict | list) for item in values):
        return [(prefix, ", ".join(str(item) for item in values))]
    if isinstance(values, list):
        return [(prefix, json.dumps(values, ensure_ascii=False)[:300])]
    return [(prefix, values)]


def _is_table(value: Any) -> bool:
    """A figure that is rows of the same plain columns (e.g. per route, per item) shows as a table."""
    if not isinstance(value, dict) or not value or not all(isinstance(row, dict) for row in value.values()):
        return False
    columns = [tuple(row) for row in value.values()]
    plain = all(not isinstance(cell, dict | list) for row in value.values() for cell in row.values())
    return plain and len(set(columns)) == 1


def _cell(value: Any) -> str:
    if isinstance(value, float):
        value = f"{value:,.3f}".rstrip("0").rstrip(".")
    elif isinstance(value, int) and not isinstance(value, bool):
        value = f"{value:,}"
    return str(value).replace("|", "\\|").replace("\n", " ")


def render_section(name: str, title: str, result: dict[str, Any] | None) -> list[str]:
    lines = [f"## {title}", ""]
    if result is None:
        return [*lines, f"Not run yet: no `bench/results/reliability/{name}.json`.", ""]
    failures = result.get("failures") or []
    verdict = "held: no failures" if not failures else f"**{len(failures)} failure(s)**"
    lines += [f"Last run: `{result.get('command', name)}`, finished {result.get('finished_at', '?')} — {verdict}.", ""]
    figures = dict(result.get("figures", {}))
    tables = {name: value for name, value in figures.items() if _is_table(value)}
    plain = {name: value for name, value in figures.items() if name not in tables}
    lines += ["| figure | value |", "|---|---|"]
    lines += [f"| {_cell(key)} | {_cell(value)} |" for key, value in _flatten(plain)]
    lines.append("")
    for name, rows in tables.items():
        columns = list(next(iter(rows.values())))
        lines += [f"{name}:", "", f"| {name} | {' | '.join(columns)} |", "|---" * (len(columns) + 1) + "|"]
        lines += [
            f"| {_cell(row)} | {' | '.join(_cell(values.get(c, '')) for c in columns)} |"
            for row, values in rows.items()
        ]
        lines.append("")
    if failures:
        lines += ["Failures:", ""]
        lines += [
            f"- {_cell(json.dumps(failure, ensure_ascii=False) if not isinstance(failure, str) else failure)}"
            for failure in failures[:50]
        ]
        lines.append("")
    return lines


def render() -> str:
    lines = [
        "# Reliability: what was tried, and what held",
        "",
        "Generated by `python -m bench.reliability render` from `bench/results/reliability/*.json`; each",
        "proof command (`make attacks`, `make fuzz`, `make faults`, `make load`) writes its results there",
        "and regenerates this page. Short runs of each are part of `make test`; the figures below are",
        "from the last full run of each command. Do not edit by hand.",
        "",
    ]
    summary = []
    for name, title in PROOFS.items():
        result = load(name)
        if result is None:
            summary.append(f"- {title.split(':')[0]}: not run yet")
        else:
            failures = len(result.get("failures") or [])
            summary.append(f"- {title.split(':')[0]}: {'held' if not failures else f'{failures} failure(s)'}")
    lines += ["## Summary", "", *summary, ""]
    for name, title in PROOFS.items():
        lines += render_section(name, title, load(name))
    return "\n".join(lines).rstrip() + "\n"


def write_page() -> None:
    PAGE.write_text(render(), encoding="utf-8")
    print(f"wrote {PAGE.relative_to(ROOT)}")


# --- make attacks ------------------------------------------------------------------------------


class _AttackRecorder:
    """A pytest plugin: the outcome of every test marked ``attack(N)``."""

    def __init__(self) -> None:
        self.outcomes: dict[str, dict[str, Any]] = {}

    def pytest_runtest_logreport(self, report: Any) -> None:
        item = self.outcomes.setdefault(report.nodeid, {"outcome": "not run"})
        if report.failed:
            item["outcome"] = "failed"
        elif report.skipped:
            item["outcome"] = "skipped"
        elif report.when == "call" and item["outcome"] == "not run":
            item["outcome"] = "passed"

    def pytest_collection_modifyitems(self, items: list[Any]) -> None:
        for test in items:
            marker = test.get_closest_marker("attack")
            if marker is not None:
                self.outcomes[test.nodeid] = {"outcome": "not run", "items": list(marker.args)}


def run_attacks() -> int:
    import pytest

    recorder = _AttackRecorder()
    started = time.perf_counter()
    status = pytest.main(["-m", "attack", "-p", "no:cacheprovider", "-q", str(ROOT / "tests")], plugins=[recorder])
    cases = {nodeid: case for nodeid, case in recorder.outcomes.items() if "items" in case}
    by_item: dict[str, dict[str, int]] = {}
    for number, title in ATTACK_ITEMS.items():
        outcomes = [case["outcome"] for case in cases.values() if number in case["items"]]
        by_item[f"{number}. {title}"] = {
            "tests": len(outcomes),
            "passed": outcomes.count("passed"),
            "failed": outcomes.count("failed"),
        }
    failures = [nodeid for nodeid, case in cases.items() if case["outcome"] != "passed"]
    failures += [
        f"item {number} has no test"
        for number in ATTACK_ITEMS
        if not by_item[f"{number}. {ATTACK_ITEMS[number]}"]["tests"]
    ]
    result = {
        "command": "make attacks",
        "finished_at": datetime.now(UTC).isoformat(timespec="seconds"),
        "figures": {
            "attack tests": len(cases),
            "passed": sum(case["outcome"] == "passed" for case in cases.values()),
            "seconds": round(time.perf_counter() - started, 1),
            "by item": by_item,
        },
        "failures": failures,
    }
    RESULTS.mkdir(parents=True, exist_ok=True)
    (RESULTS / "attacks.json").write_text(json.dumps(result, ensure_ascii=False, indent=2) + "\n", encoding="utf-8")
    write_page()
    return 1 if failures or status not in (0,) else 0


def main(argv: list[str]) -> int:
    command = argv[0] if argv else "render"
    if command == "render":
        write_page()
        return 0
    if command == "attacks":
        return run_attacks()
    print(__doc__, file=sys.stderr)
    return 2


if __name__ == "__main__":
    sys.exit(main(sys.argv[1:]))
