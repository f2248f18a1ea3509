"""The fault tier's report: with FAULTS_REPORT set (``make faults``), the figures of the run are
written to bench/results/reliability/faults.json and printed as a table at the end."""

from __future__ import annotations

import os
import sys
from typing import Any

import pytest

from tests.conftest import Partner, Stack
from tests.faults.figures import FIGURES
from tests.faults.harness import table_keys


@pytest.fixture
def base_keys(stack: Stack, partner: Partner) -> set[tuple[str, str]]:
    """The table's items before an example starts (the partner and its key): each example goes back to them."""
    return table_keys(stack)


def _reporting(config: pytest.Config) -> bool:
    # Under xdist each worker sees only its own examples: only a single-process run reports.
    return bool(os.environ.get("FAULTS_REPORT")) and not hasattr(config, "workerinput")


def pytest_runtest_logreport(report: pytest.TestReport) -> None:
    if report.failed and report.when == "call":
        message = report.longreprtext.strip().splitlines()
        FIGURES.failures.append({"test": report.nodeid, "error": "\n".join(message[-40:])})


def pytest_terminal_summary(terminalreporter: Any, exitstatus: int, config: pytest.Config) -> None:
    if not _reporting(config) or not FIGURES.pipelines:
        return
    command = os.environ.get("FAULTS_COMMAND") or " ".join(["pytest", *sys.argv[1:]])
    if os.environ.get("FAULTS_MAX_EXAMPLES"):
        command = f"FAULTS_MAX_EXAMPLES={os.environ['FAULTS_MAX_EXAMPLES']} {command}"
    FIGURES.write(command)
    terminalreporter.write_sep("=", "faults injected (bench/results/reliability/faults.json)")
    terminalreporter.write_line(FIGURES.table())
