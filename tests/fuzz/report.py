"""The figures of a fuzz run: requests and status codes by route, failures by kind, and their output
(bench/results/reliability/fuzz.json and a table)."""

from __future__ import annotations

import json
from collections import Counter
from dataclasses import dataclass, field
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

RESULTS_FILE = Path(__file__).parents[2] / "bench" / "results" / "reliability" / "fuzz.json"
# Checks whose failure means an answer the document does not describe.
SCHEMA_CHECKS = frozenset(
    {
        "status_code_conformance",
        "content_type_conformance",
        "response_headers_conformance",
        "response_schema_conformance",
        "newsdesk_contract",
    }
)
MAX_EXAMPLES_PER_FAILURE = 3


@dataclass
class Failure:
    check: str
    route: str
    title: str
    examples: list[str] = field(default_factory=list)
    count: int = 0


@dataclass
class Tally:
    """Everything counted while the run goes; ``route`` is "METHOD /template"."""

    requests: Counter[str] = field(default_factory=Counter)
    statuses: dict[str, Counter[int]] = field(default_factory=dict)
    sources: dict[str, Counter[str]] = field(default_factory=dict)  # how each route's requests were made
    failures: dict[tuple[str, str, str], Failure] = field(default_factory=dict)
    generation_errors: Counter[str] = field(default_factory=Counter)
    # Check failures that are documented behaviour, counted apart (see runner._after_validate).
    tolerated: Counter[str] = field(default_factory=Counter)

    def response(self, route: str, status: int) -> None:
        self.requests[route] += 1
        self.statuses.setdefault(route, Counter())[status] += 1

    def made(self, route: str, source: str) -> None:
        self.sources.setdefault(route, Counter())[source] += 1

    def failure(self, check: str, route: str, title: str, example: str) -> None:
        failure = self.failures.setdefault((check, route, title), Failure(check, route, title))
        failure.count += 1
        if len(failure.examples) < MAX_EXAMPLES_PER_FAILURE:
            failure.examples.append(example[:3000])

    @property
    def server_errors(self) -> int:
        return sum(count for statuses in self.statuses.values() for status, count in statuses.items() if status >= 500)

    def failing(self, checks: frozenset[str] | None = None) -> int:
        return sum(f.count for f in self.failures.values() if checks is None or f.check in checks)

    def figures(self, *, target: int, seconds: float, seed: int) -> dict[str, Any]:
        return {
            "requests": sum(self.requests.values()),
            "target_requests": target,
            "requests_by_route": dict(sorted(self.requests.items())),
            "made_by_route": {route: dict(sorted(made.items())) for route, made in sorted(self.sources.items())},
            "status_codes_by_route": {
                route: {str(status): count for status, count in sorted(statuses.items())}
                for route, statuses in sorted(self.statuses.items())
            },
            "server_errors_5xx": self.server_errors,
            "schema_violations": self.failing(SCHEMA_CHECKS),
            "check_failures": self.failing(),
            "tolerated_as_documented": dict(self.tolerated),
            "generation_errors": dict(self.generation_errors),
            "duration_seconds": round(seconds, 1),
            "seed": seed,
        }

    def failure_list(self) -> list[dict[str, Any]]:
        return [
            {"check": f.check, "route": f.route, "title": f.title, "count": f.count, "examples": f.examples}
            for f in sorted(self.failures.values(), key=lambda f: (-f.count, f.check, f.route))
        ]


def write_results(figures: dict[str, Any], failures: list[dict[str, Any]], path: Path = RESULTS_FILE) -> None:
    result = {
        "command": "make fuzz",
        "finished_at": datetime.now(UTC).isoformat(timespec="seconds"),
        "figures": figures,
        "failures": failures,
    }
    path.parent.mkdir(parents=True, exist_ok=True)
    path.write_text(json.dumps(result, ensure_ascii=False, indent=2) + "\n", encoding="utf-8")


def table(figures: dict[str, Any], failures: list[dict[str, Any]]) -> str:
    routes = figures["requests_by_route"]
    width = max((len(route) for route in routes), default=10)
    lines = [f"{'route':<{width}}  {'requests':>8}  status codes", "-" * (width + 40)]
    for route, count in routes.items():
        codes = ", ".join(f"{code}×{n}" for code, n in figures["status_codes_by_route"][route].items())
        lines.append(f"{route:<{width}}  {count:>8}  {codes}")
    lines.append("-" * (width + 40))
    lines.append(
        f"{figures['requests']} requests (target {figures['target_requests']}) in {figures['duration_seconds']} s; "
        f"5xx: {figures['server_errors_5xx']}; responses outside the document: {figures['schema_violations']}; "
        f"check failures: {figures['check_failures']}"
    )
    for failure in failures:
        lines.append(f"  FAIL {failure['check']} {failure['route']} ×{failure['count']}: {failure['title']}")
        lines.append("       " + failure["examples"][0].splitlines()[0][:200] if failure["examples"] else "")
    return "\n".join(lines)
