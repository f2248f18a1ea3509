"""docs/reliability.md is generated from the proofs' results: it says what failed, and what never ran."""

from __future__ import annotations

import json
from pathlib import Path

import pytest

from bench import reliability

pytestmark = pytest.mark.unit


def write(folder: Path, name: str, figures: dict[str, object], failures: list[str]) -> None:
    result = {"command": f"make {name}", "finished_at": "2026-11-30T06:00:00+00:00", "figures": figures}
    (folder / f"{name}.json").write_text(json.dumps(result | {"failures": failures}), encoding="utf-8")


def test_the_page_reports_failures_figures_and_proofs_not_run(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setattr(reliability, "RESULTS", tmp_path)
    write(tmp_path, "fuzz", {"requests": 5036, "server_errors_5xx": 0}, [])
    write(tmp_path, "load", {"by route": {"POST /v1/articles": {"requests": 861, "p99 ms": 2262}}}, ["lost a1"])
    page = reliability.render()
    assert "- Fuzzing the API: held" in page
    assert "- Load through the local HTTP stack, then reconciliation (`make load`): 1 failure(s)" in page
    assert "- Faults at every AWS call, then the normal retry (`make faults`): not run yet" in page
    assert "| requests | 5,036 |" in page
    assert "| POST /v1/articles | 861 | 2,262 |" in page
    assert "- lost a1" in page
