"""A request API Gateway gave up on never runs later, in a worker process too (a hostile review's find).

A function that keeps one invocation's state in its module (ingest: a Powertools router) runs one
invocation at a time. Past its Timeout its handler runs on, holding that; the next request waits for
it. The gateway stops waiting at its 30 s and answers 503: in the worker that request ran anyway, once
the runaway handler returned, because the worker did not know the caller's deadline."""

from __future__ import annotations

import time
from pathlib import Path
from typing import Any

import pytest
from aws_lambda_powertools.event_handler import APIGatewayHttpResolver

from newsdesk_ops.function_processes import FunctionProcesses
from newsdesk_ops.gateway import FunctionTimedOut, InvocationAbandoned, LocalFunctions

pytestmark = pytest.mark.http

HERE = "tests.http.test_local_worker_abandon"
app = APIGatewayHttpResolver()  # makes this module's handlers "one at a time" (keeps_invocation_state)

TEMPLATE: dict[str, Any] = {
    "Resources": {
        "StatefulFunction": {
            "Type": "AWS::Serverless::Function",
            "Properties": {
                "Handler": f"{HERE}.stateful_handler",
                "Timeout": 1,
                "Events": {"Route": {"Type": "HttpApi", "Properties": {"Method": "POST", "Path": "/s"}}},
            },
        }
    }
}


def stateful_handler(event: dict[str, Any], context: Any) -> dict[str, Any]:
    time.sleep(float(event.get("seconds", 0)))
    if event.get("mark"):
        Path(event["mark"]).write_text("ran", encoding="utf-8")
    return {"statusCode": 200, "body": "{}"}


def _run(invoke: Any, mark: Path) -> tuple[type | None, bool]:
    # An invocation past its 1 s Timeout (it sleeps 4 s, holding the function's one-at-a-time lock)
    with pytest.raises(FunctionTimedOut):
        invoke("StatefulFunction", {"seconds": 4}, caller_timeout=30)
    # The next request of the same function, whose caller (API Gateway) stops waiting after 1.5 s
    raised: type | None = None
    try:
        invoke("StatefulFunction", {"mark": str(mark)}, caller_timeout=1.5)
    except Exception as error:  # the caller's outcome, whatever it is, is what is compared
        raised = type(error)
    time.sleep(4)  # the first invocation's handler has long returned
    return raised, mark.exists()


def test_in_process_baseline_an_abandoned_request_never_runs(tmp_path: Path) -> None:
    functions = LocalFunctions(TEMPLATE, stack_name="s", region="eu-west-1")
    raised, ran = _run(functions.invoke, tmp_path / "ran")
    assert raised is InvocationAbandoned
    assert not ran


def test_in_worker_an_abandoned_request_never_runs(tmp_path: Path) -> None:
    processes = FunctionProcesses(TEMPLATE, stack_name="s", region="eu-west-1", environment={}, processes=1)
    try:
        processes.warm(["StatefulFunction"])
        raised, ran = _run(processes.invoke, tmp_path / "ran")
    finally:
        processes.close()
    assert raised is InvocationAbandoned
    assert not ran, "the request API Gateway answered 503 for ran afterwards in the worker"
