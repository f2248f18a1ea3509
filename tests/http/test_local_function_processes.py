"""The local stack's functions run in worker processes (issue 10, "It gets slower as it fills": one
process and its one core ran the gateway, moto and every function; newsdesk_ops.function_processes).

The stream and timer functions run in workers of their own; so do the API's (the authorizer and
ingest), as Lambda runs concurrent invocations in environments of their own. A worker answers as
Lambda does: past the function's Timeout with a timeout error, and a caller that stops waiting
(API Gateway's 30 s) gets InvocationAbandoned, its invocation dropped if it had not started.
"""

from __future__ import annotations

import json
import threading
import time
import uuid
from pathlib import Path
from typing import Any

import boto3
import pytest

from ingest.service import IngestService
from newsdesk_ops.function_processes import FunctionFailed, FunctionProcesses
from newsdesk_ops.gateway import FunctionTimedOut, InvocationAbandoned, LocalGateway
from newsdesk_ops.local_stack import LocalStack
from newsdesk_ops.template import load_template
from publish.publisher import Publisher
from tests.conftest import load_ninjs
from tests.http.conftest import http_request

pytestmark = pytest.mark.http

HERE = "tests.http.test_local_function_processes"


def _function(handler: str, path: str, timeout: int) -> dict[str, Any]:
    return {
        "Type": "AWS::Serverless::Function",
        "Properties": {
            "Handler": f"{HERE}.{handler}",
            "Timeout": timeout,
            "Events": {"Route": {"Type": "HttpApi", "Properties": {"Method": "POST", "Path": path}}},
        },
    }


# Functions the workers import from this module: one past its 1 s Timeout, one slow within its 5 s,
# one that leaves a mark (the file its event names) when it runs.
SLOW_TEMPLATE: dict[str, Any] = {
    "Resources": {
        "PastTimeoutFunction": _function("sleeping_handler", "/past-timeout", timeout=1),
        "SlowFunction": _function("sleeping_handler", "/slow", timeout=5),
        "MarkingFunction": _function("marking_handler", "/mark", timeout=3),
    }
}


def sleeping_handler(event: dict[str, Any], context: Any) -> dict[str, Any]:
    time.sleep(float(json.loads(event.get("body") or "{}").get("seconds", 3)))
    return {"statusCode": 200, "body": "{}"}


def marking_handler(event: dict[str, Any], context: Any) -> dict[str, Any]:
    Path(event["mark"]).write_text("ran", encoding="utf-8")
    return {"statusCode": 200, "body": "{}"}


def _slow_processes(processes: int = 1) -> FunctionProcesses:
    return FunctionProcesses(SLOW_TEMPLATE, stack_name="slow", region="eu-west-1", environment={}, processes=processes)


def _post(info: dict[str, str]) -> str:
    document = {**load_ninjs("ru_defence_industry.json"), "uri": f"urn:newsml:processes.example:{uuid.uuid4().hex}"}
    headers = {"Authorization": f"Bearer {info['partner_key']}", "Content-Type": "application/json"}
    response = http_request(info["api_url"], "POST", "/v1/articles", json.dumps(document).encode(), headers)
    assert response.status == 201, response.body[:300]
    return str(json.loads(response.body)["id"])


def _article_file(s3: Any, bucket: str, article_id: str, seconds: float = 30.0) -> dict[str, Any] | None:
    deadline = time.monotonic() + seconds
    while time.monotonic() < deadline:
        try:
            return dict(json.loads(s3.get_object(Bucket=bucket, Key=f"v1/articles/{article_id}.json")["Body"].read()))
        except s3.exceptions.NoSuchKey:
            time.sleep(0.2)
    return None


def test_the_stream_functions_run_outside_the_gateways_process(monkeypatch: pytest.MonkeyPatch) -> None:
    # Given publishing broken in this process (where the gateway, moto and the API's functions run)
    def broken(*_: Any, **__: Any) -> None:
        raise RuntimeError("publish ran in the gateway's process")

    monkeypatch.setattr(Publisher, "publish_article", broken)
    # When a story is posted to a local stack whose stream functions run in a worker process
    with LocalStack(state_file=None, function_processes=1) as stack:
        info = stack.info
        article_id = _post(info)
        s3 = boto3.client("s3", region_name=info["region"], endpoint_url=info["aws_endpoint_url"])
        published = _article_file(s3, info["snapshot_bucket"], article_id)
    # Then the worker published it, against the stack's own moto and bucket
    assert published is not None, "the story was never published"
    assert published["id"] == article_id


def test_an_invocation_that_fails_in_a_worker_is_an_error_here_with_its_cause() -> None:
    # Given a worker process for the template's functions
    processes = FunctionProcesses(
        load_template(), stack_name="newsdesk-local", region="eu-west-1", environment={}, processes=1
    )
    try:
        # When a function the template does not have is invoked
        with pytest.raises(FunctionFailed) as failed:
            processes.invoke("NoSuchFunction", {})
    finally:
        processes.close()
    # Then the caller gets the function error, with what the worker saw
    assert "NoSuchFunction" in str(failed.value) and "KeyError" in str(failed.value)


def test_the_api_functions_run_outside_the_gateways_process(monkeypatch: pytest.MonkeyPatch) -> None:
    # Given ingest broken in this process (where the gateway and moto run)
    def broken(*_: Any, **__: Any) -> None:
        raise RuntimeError("ingest ran in the gateway's process")

    monkeypatch.setattr(IngestService, "submit", broken)
    # When a story is posted to a local stack whose API functions run in a worker process
    with LocalStack(state_file=None, api_processes=1, background=False) as stack:
        info = stack.info
        article_id = _post(info)
        dynamodb = boto3.client("dynamodb", region_name=info["region"], endpoint_url=info["aws_endpoint_url"])
        current = dynamodb.get_item(
            TableName=info["table_name"], Key={"PK": {"S": f"ARTICLE#{article_id}"}, "SK": {"S": "CURRENT"}}
        )
    # Then the worker's ingest stored it, in the stack's own moto
    assert "Item" in current, "the accepted story is not in the table"


def test_a_function_past_its_timeout_in_a_worker_is_a_timeout_and_the_gateway_answers_500() -> None:
    processes = _slow_processes()
    try:
        # When a worker's function runs past its 1 s Timeout
        event = {"body": json.dumps({"seconds": 4})}
        started = time.monotonic()
        with pytest.raises(FunctionTimedOut, match="Task timed out after 1 seconds"):
            processes.invoke("PastTimeoutFunction", event, caller_timeout=30)
        waited = time.monotonic() - started
        # And the same through a gateway whose functions run in the workers
        with LocalGateway(SLOW_TEMPLATE, stack_name="slow", throttling=False, invoke=processes.invoke) as gateway:
            response = http_request(gateway.url, "POST", "/past-timeout", json.dumps({"seconds": 4}).encode())
    finally:
        processes.close()
    # Then the caller heard of it at the timeout, not when the handler returned; API Gateway's 500
    assert waited < 3.5, f"waited {waited:.1f} s for a function with a 1 s Timeout"
    assert response.status == 500
    assert response.json() == {"message": "Internal Server Error"}


def test_a_caller_that_stops_waiting_abandons_the_invocation_and_a_queued_one_never_runs(tmp_path: Path) -> None:
    processes = _slow_processes(processes=1)
    mark = tmp_path / "ran"
    try:
        # Given the only worker busy with a slow invocation (2 s, within its Timeout)
        with pytest.raises(InvocationAbandoned):
            processes.invoke("SlowFunction", {"body": json.dumps({"seconds": 2})}, caller_timeout=0.3)
        # When the next caller gives up while its invocation still waits for the worker
        with pytest.raises(InvocationAbandoned):
            processes.invoke("MarkingFunction", {"mark": str(mark)}, caller_timeout=0.3)
        # Then the worker, once free, does not run it later: the next invocation is the next one asked for
        assert processes.invoke("SlowFunction", {"body": json.dumps({"seconds": 0})}, caller_timeout=10) == {
            "statusCode": 200,
            "body": "{}",
        }
    finally:
        processes.close()
    assert not mark.exists(), "an abandoned invocation ran after its caller gave up"


def test_invocations_without_a_caller_timeout_wait_for_a_busy_worker() -> None:
    # Given one worker (stream pollers and timers invoke without a caller timeout)
    processes = _slow_processes(processes=1)
    outcomes: list[object] = []
    try:
        # When three such invocations come at once
        def invoke() -> None:
            try:
                outcomes.append(processes.invoke("SlowFunction", {"body": json.dumps({"seconds": 0.3})}))
            except Exception as error:  # what the caller would have got instead of the answer
                outcomes.append(error)

        callers = [threading.Thread(target=invoke) for _ in range(3)]
        for caller in callers:
            caller.start()
        for caller in callers:
            caller.join()
    finally:
        processes.close()
    # Then each waited its turn and got the function's answer
    assert outcomes == [{"statusCode": 200, "body": "{}"}] * 3
