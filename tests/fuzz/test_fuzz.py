"""A short `make fuzz` inside `make test`: a few hundred generated requests over every route."""

from __future__ import annotations

import pytest

from tests.fuzz.report import table
from tests.fuzz.runner import SHARES, FuzzOptions, run_fuzz

pytestmark = pytest.mark.http

SHORT_RUN = 200


def test_short_fuzz_run_finds_no_5xx_and_no_answer_outside_the_document(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("POWERTOOLS_METRICS_DISABLED", "true")
    # Given a local stack fuzzed with a few hundred requests from the served document (a fixed seed)
    result = run_fuzz(FuzzOptions(requests=SHORT_RUN, seconds=240, seed=11))
    figures, failures = result.figures(), result.tally.failure_list()
    report = table(figures, failures)
    # Then every route was exercised, the run was not cut short, and every check held
    assert set(SHARES) <= set(figures["requests_by_route"]), report
    assert figures["requests"] >= SHORT_RUN, report
    assert figures["server_errors_5xx"] == 0, report
    assert figures["schema_violations"] == 0, report
    assert failures == [], report
