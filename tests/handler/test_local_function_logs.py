"""On the local stack every function runs in one process: a log line still names the function that wrote it.

Powertools keeps the Lambda context keys (function_name, function_request_id, ...) in its formatter,
one per process; Lambda gives each function a process of its own. Locally an ingest 500 was logged
as the publish function, which had been invoked last on another thread. ``LocalFunctions`` gives
every invocation a log context of its own.
"""

from __future__ import annotations

import json
import logging
import threading
from typing import Any

import pytest
from aws_lambda_powertools.metrics import MetricUnit

from newsdesk.observability import lambda_entry, logger, metrics
from newsdesk_ops.gateway import LocalFunctions

pytestmark = pytest.mark.handler

_inside_first = threading.Event()
_second_done = threading.Event()

TEMPLATE: dict[str, Any] = {
    "Resources": {
        name: {"Type": "AWS::Serverless::Function", "Properties": {"Handler": f"{__name__}.{handler}"}}
        for name, handler in (("FirstFunction", "first"), ("SecondFunction", "second"))
    }
}


@logger.inject_lambda_context
def first(event: Any, context: Any) -> None:
    _inside_first.set()
    assert _second_done.wait(10)
    logger.info("first speaks")


@logger.inject_lambda_context
def second(event: Any, context: Any) -> None:
    assert _inside_first.wait(10)
    logger.info("second speaks")


class Lines(logging.Handler):
    def __init__(self) -> None:
        super().__init__()
        self.lines: list[dict[str, Any]] = []

    def emit(self, record: logging.LogRecord) -> None:
        self.lines.append(json.loads(self.format(record)))


def test_each_log_line_names_the_function_whose_invocation_wrote_it() -> None:
    functions = LocalFunctions(TEMPLATE, stack_name="logs", region="eu-west-1")
    lines = Lines()
    lines.setFormatter(logger.registered_formatter)
    logger._logger.addHandler(lines)  # the stdlib logger under Powertools' Logger
    try:
        # When the first function is inside its invocation while the second runs a whole one on another thread
        running = threading.Thread(target=functions.invoke, args=("FirstFunction", {}))
        running.start()
        functions.invoke("SecondFunction", {})
        _second_done.set()
        running.join(10)
    finally:
        logger._logger.removeHandler(lines)

    # Then each line carries its own function's name
    names = {line["message"]: line.get("function_name") for line in lines.lines}
    assert names == {"second speaks": "logs-SecondFunction", "first speaks": "logs-FirstFunction"}


# --- Metrics: the same, for the Stage and FunctionName dimensions (observability.lambda_entry) -------

_inside_first_metric = threading.Event()
_second_metric_done = threading.Event()

METRICS_TEMPLATE: dict[str, Any] = {
    "Resources": {
        name: {"Type": "AWS::Serverless::Function", "Properties": {"Handler": f"{__name__}.{handler}"}}
        for name, handler in (("FirstFunction", "first_counts"), ("SecondFunction", "second_counts"))
    }
}


@lambda_entry()
def first_counts(event: Any, context: Any) -> None:
    _inside_first_metric.set()
    assert _second_metric_done.wait(10)
    metrics.add_metric(name="FirstCounted", unit=MetricUnit.Count, value=1)


@lambda_entry()
def second_counts(event: Any, context: Any) -> None:
    assert _inside_first_metric.wait(10)
    metrics.add_metric(name="SecondCounted", unit=MetricUnit.Count, value=1)


def test_each_metric_carries_the_function_whose_invocation_counted_it(
    capsys: pytest.CaptureFixture[str], monkeypatch: pytest.MonkeyPatch
) -> None:
    # (seen in a short load run: ArticlesPublished, counted by publish, with FunctionName TrendingFunction)
    monkeypatch.setenv("POWERTOOLS_METRICS_DISABLED", "false")
    functions = LocalFunctions(METRICS_TEMPLATE, stack_name="metrics", region="eu-west-1")
    capsys.readouterr()
    # When the first function is inside its invocation while the second runs a whole one on another thread
    running = threading.Thread(target=functions.invoke, args=("FirstFunction", {}))
    running.start()
    functions.invoke("SecondFunction", {})
    _second_metric_done.set()
    running.join(10)
    # Then each metric names its own function
    emitted = [json.loads(line) for line in capsys.readouterr().out.splitlines() if line.startswith('{"_aws"')]
    named = {
        metric["Name"]: document.get("FunctionName")
        for document in emitted
        for directive in document["_aws"]["CloudWatchMetrics"]
        for metric in directive["Metrics"]
        if metric["Name"] != "ColdStart"
    }
    assert named == {"SecondCounted": "metrics-SecondFunction", "FirstCounted": "metrics-FirstFunction"}
