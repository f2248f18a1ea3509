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

from newsdesk.observability import logger
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
