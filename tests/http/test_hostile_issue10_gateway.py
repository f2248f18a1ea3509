"""Hostile review of issue 10's local gateway: requests a hostile partner or reader can send.

Each test reproduces a finding of the review: it fails while the finding stands.
"""

from __future__ import annotations

import io
import socket
import threading
from email.message import Message
from typing import Any
from urllib.parse import urlsplit

import pytest
from aws_lambda_powertools.event_handler import APIGatewayHttpResolver

from newsdesk_ops import gateway as gateway_module
from newsdesk_ops.gateway import MAX_PAYLOAD_BYTES, GatewayResponse, LocalGateway, _make_request_handler
from tests.http.conftest import LocalApi, http_request

pytestmark = pytest.mark.http

# API Gateway HTTP API quota: "Total combined size of request line and header values: 10240 bytes".
AWS_REQUEST_LINE_AND_HEADERS_BYTES = 10240


def exchange(base_url: str, request: bytes) -> bytes:
    """Send raw bytes, half-close, and return everything the server answered (b"" when it just hangs up)."""
    address = urlsplit(base_url)
    with socket.create_connection((address.hostname or "127.0.0.1", address.port or 80), timeout=30) as connection:
        connection.sendall(request)
        connection.shutdown(socket.SHUT_WR)
        received = b""
        while chunk := connection.recv(65536):
            received += chunk
    return received


def test_a_content_length_of_a_non_ascii_digit_gets_an_answer_not_a_dropped_connection(local_api: LocalApi) -> None:
    # "²" (0xB2 in Latin-1, as http.server decodes headers) passes str.isdigit but not int(): the
    # handler raised ValueError, http.server printed a traceback and closed the connection unanswered.
    answer = exchange(
        local_api.info["api_url"],
        b"POST /v1/articles HTTP/1.1\r\nHost: x\r\nContent-Length: \xb2\r\nConnection: close\r\n\r\nab",
    )
    assert answer.startswith(b"HTTP/1.1 400 "), answer[:200]


def test_a_negative_chunk_size_does_not_read_past_the_payload_limit() -> None:
    # A chunk size of "-1" parses (int("-1", 16)), and rfile.read(-1) reads until the client closes:
    # no 10 MB bound, and a client that keeps the connection open holds the request forever.
    handler_class: Any = _make_request_handler(LocalGateway({"Resources": {}}, stack_name="hostile"))
    handler = handler_class.__new__(handler_class)
    body = b"-1\r\n" + b"x" * (MAX_PAYLOAD_BYTES + 4096)
    handler.rfile = io.BytesIO(body)
    headers = Message()
    headers["Transfer-Encoding"] = "chunked"
    handler.headers = headers
    handler.close_connection = False

    answer = handler._read_body()

    assert isinstance(answer, GatewayResponse) and answer.status in (400, 413)
    assert handler.rfile.tell() <= MAX_PAYLOAD_BYTES, "read the whole stream, past the payload limit"


def test_a_lower_case_method_is_not_routed_past_the_authorizer_and_the_events_throttle(local_api: LocalApi) -> None:
    # "post /v1/events" matches no route (methods are case-sensitive), so it takes the $default
    # route: no authorizer, the default throttle. Powertools upper-cases the method and runs the
    # events handler anyway (an answer of the events route, 422/202, instead of the 404 for no route).
    answer = exchange(
        local_api.info["api_url"],
        b"post /v1/events HTTP/1.1\r\nHost: x\r\nContent-Type: application/json\r\nUser-Agent: Mozilla/5.0\r\n"
        b"Content-Length: 2\r\nConnection: close\r\n\r\n{}",
    )
    assert answer.startswith(b"HTTP/1.1 404 "), answer[:300]


def test_request_headers_over_api_gateways_limit_are_refused_as_aws_refuses_them(local_api: LocalApi) -> None:
    # AWS refuses a request line and headers over 10,240 bytes before any route; the local gateway
    # served it (200), so a partner's integration that works locally can fail in AWS.
    cookie = "; ".join(f"c{i}=" + "v" * 40 for i in range(AWS_REQUEST_LINE_AND_HEADERS_BYTES // 40))
    response = http_request(local_api.info["api_url"], "GET", "/v1/openapi.json", headers={"Cookie": cookie})
    assert response.status >= 400


def test_the_gateways_own_refusals_are_json_not_html(local_api: LocalApi) -> None:
    # More than 100 header lines: http.server's own 431 page, in HTML (the gateway's own answers are
    # JSON, the API's problem+json).
    request = b"GET /v1/openapi.json HTTP/1.1\r\nHost: x\r\n"
    request += b"".join(b"X-H%d: a\r\n" % number for number in range(120)) + b"Connection: close\r\n\r\n"
    answer = exchange(local_api.info["api_url"], request)
    head = answer.partition(b"\r\n\r\n")[0].lower()
    assert b"content-type: application/json" in head or b"content-type: application/problem+json" in head, head


# --- one-at-a-time functions: a request queued behind an invocation that ran past its Timeout --------

_blocked = threading.Event()
router = APIGatewayHttpResolver()


@router.get("/stuck")
def _stuck() -> dict[str, str]:
    _blocked.wait(60)  # far past the function's 1 s Timeout and the integration timeout
    return {}


def stuck_handler(event: dict[str, Any], context: Any) -> dict[str, Any]:
    return router.resolve(event, context)


STUCK_TEMPLATE: dict[str, Any] = {
    "Resources": {
        "StuckFunction": {
            "Type": "AWS::Serverless::Function",
            "Properties": {
                "Handler": f"{__name__}.stuck_handler",
                "Timeout": 1,
                "Events": {"Route": {"Type": "HttpApi", "Properties": {"Method": "GET", "Path": "/stuck"}}},
            },
        }
    }
}


def test_a_request_queued_behind_a_timed_out_invocation_is_answered_within_the_integration_timeout(
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    # The function keeps its event in module state (a Powertools resolver), so the local gateway runs
    # one invocation at a time. An invocation past its Timeout is answered (500) but its thread holds
    # the lock until the handler returns; the next request waits for the lock without any bound, where
    # API Gateway answers 503 after its 30 s integration timeout (shortened here to 2 s).
    monkeypatch.setattr(gateway_module, "INTEGRATION_TIMEOUT_SECONDS", 2.0)
    with LocalGateway(STUCK_TEMPLATE, stack_name="stuck", throttling=False) as gateway:
        try:
            assert http_request(gateway.url, "GET", "/stuck").status == 500  # past its 1 s Timeout
            answers: list[int] = []
            queued = threading.Thread(target=lambda: answers.append(http_request(gateway.url, "GET", "/stuck").status))
            queued.start()
            queued.join(15)  # far longer than the (shortened) integration timeout
            assert answers == [503]
        finally:
            _blocked.set()
