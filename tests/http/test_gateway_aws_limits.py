"""The local gateway enforces what AWS enforces around a synchronous Lambda invocation.

- A synchronous invocation takes at most 6 MB of event; API Gateway itself takes 10 MB of body.
  A request whose event would be larger never reaches the function: 413, in the API's problem+json.
- A function runs at most its template Timeout; then Lambda stops it and API Gateway answers for
  it (an HTTP API answers a failed invocation with its own 500, and a integration that does not
  answer within 30 s with 503), whatever the handler does after.
"""

from __future__ import annotations

import json
import threading
from collections.abc import Iterator
from typing import Any

import pytest

from newsdesk_ops.gateway import LAMBDA_PAYLOAD_LIMIT_BYTES, LocalGateway
from tests.http.conftest import http_request

pytestmark = pytest.mark.http

HERE = "tests.http.test_gateway_aws_limits"
_release = threading.Event()


def _function(handler: str, method: str, path: str, timeout: int = 3) -> dict[str, Any]:
    return {
        "Type": "AWS::Serverless::Function",
        "Properties": {
            "Handler": f"{HERE}.{handler}",
            "Timeout": timeout,
            "Events": {"Route": {"Type": "HttpApi", "Properties": {"Method": method, "Path": path}}},
        },
    }


TEMPLATE: dict[str, Any] = {
    "Resources": {
        "SizeFunction": _function("size_handler", "POST", "/size"),
        "SlowFunction": _function("slow_handler", "GET", "/slow", timeout=1),
    }
}


def size_handler(event: dict[str, Any], context: Any) -> dict[str, Any]:
    return {"statusCode": 200, "body": json.dumps({"length": len(event.get("body") or "")})}


def slow_handler(event: dict[str, Any], context: Any) -> dict[str, Any]:
    _release.wait(30)  # far past its 1 s timeout
    return {"statusCode": 200, "body": "{}"}


@pytest.fixture(scope="module")
def gateway_url() -> Iterator[str]:
    with LocalGateway(TEMPLATE, stack_name="limits", throttling=False) as gateway:
        yield gateway.url
    _release.set()


def test_an_event_over_six_megabytes_is_refused_with_413_problem_json(gateway_url: str) -> None:
    headers = {"Content-Type": "application/json"}
    # A body just under the limit reaches the function
    fits = b'"' + b"a" * (LAMBDA_PAYLOAD_LIMIT_BYTES - 4096) + b'"'
    assert http_request(gateway_url, "POST", "/size", fits, headers).status == 200
    # One whose event is over 6 MB (under API Gateway's 10 MB) does not
    too_big = b'"' + b"a" * (LAMBDA_PAYLOAD_LIMIT_BYTES + 1) + b'"'
    response = http_request(gateway_url, "POST", "/size", too_big, headers)
    assert response.status == 413
    assert response.headers["content-type"].startswith("application/problem+json")
    assert response.json()["status"] == 413
    # Binary bodies travel base64-encoded: 5 MB of them is over 6 MB of event
    binary = http_request(gateway_url, "POST", "/size", b"\x00" * (5 * 1024 * 1024), {"Content-Type": "image/png"})
    assert binary.status == 413


def test_a_function_past_its_timeout_is_answered_by_the_gateway(gateway_url: str) -> None:
    response = http_request(gateway_url, "GET", "/slow")
    assert response.status == 500
    assert response.json() == {"message": "Internal Server Error"}
