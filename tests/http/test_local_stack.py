"""The partner API over real HTTP: the local stack (`make run`) and its API Gateway stand-in."""

from __future__ import annotations

import base64
import http.client
import json
import os
import signal
import socket
import subprocess
import sys
import time
import uuid
from collections.abc import Iterator
from dataclasses import dataclass
from email.message import Message
from pathlib import Path
from typing import Any

import pytest

from newsdesk_ops.gateway import LocalGateway
from tests.conftest import load_ninjs
from tests.http.conftest import HttpResponse, LocalApi, http_request

pytestmark = pytest.mark.http

PROBLEM_JSON = "application/problem+json"
ONE_MIB = 1024 * 1024
STATE_FILE_KEYS = {
    "api_url",
    "aws_endpoint_url",
    "region",
    "stack_name",
    "table_name",
    "archive_bucket",
    "snapshot_bucket",
    "snapshots_url",
    "partner_id",
    "partner_key",
    "site_key",
    "site_url",
}


def ninjs_bytes(uri: str, **changes: Any) -> bytes:
    """The Russian defence-industry fixture under another uri (tests share one stack)."""
    document = {**load_ninjs("ru_defence_industry.json"), "uri": uri, **changes}
    return json.dumps(document, ensure_ascii=False).encode("utf-8")


def new_uri() -> str:
    return f"urn:newsml:local-stack.example:{uuid.uuid4().hex}"


def create_article(api: LocalApi) -> HttpResponse:
    response = api.request("POST", "/v1/articles", ninjs_bytes(new_uri()), key=api.key)
    assert response.status == 201, response.body
    return response


def assert_problem(response: HttpResponse, status: int) -> dict[str, Any]:
    assert response.status == status, response.body
    assert response.headers["content-type"].startswith(PROBLEM_JSON)
    problem: dict[str, Any] = response.json()
    assert problem["status"] == status
    return problem


# --------------------------------------------------------------------------------------------------
# The partner API on the local stack
# --------------------------------------------------------------------------------------------------


def test_state_file_names_the_running_stack(local_api: LocalApi) -> None:
    # Given a running local stack
    # When its state file is read
    written = json.loads(local_api.state_file.read_text(encoding="utf-8"))
    # Then it has exactly the documented keys, and they describe this stack
    assert set(written) == STATE_FILE_KEYS
    assert written == local_api.info
    assert written["api_url"].startswith("http://127.0.0.1:")
    assert written["partner_key"].startswith("nd_")


def test_openapi_document_is_public_json(local_api: LocalApi) -> None:
    # When the OpenAPI document is fetched without a key
    response = local_api.request("GET", "/v1/openapi.json")
    # Then it is a JSON OpenAPI document
    assert response.status == 200
    assert response.headers["content-type"].startswith("application/json")
    assert "/v1/articles" in response.json()["paths"]


def test_post_creates_then_same_bytes_replay(local_api: LocalApi) -> None:
    # Given a ninjs document
    body = ninjs_bytes(new_uri())
    # When it is posted
    created = local_api.request("POST", "/v1/articles", body, key=local_api.key)
    # Then the article is created, with its revision as ETag and its address as Location
    assert created.status == 201, created.body
    article = created.json()
    assert created.headers["etag"] == f'"{article["revision"]}"'
    assert created.headers["location"] == f"/v1/articles/{article['id']}"
    # And posting the same bytes again is a replay: same id, same revision
    replayed = local_api.request("POST", "/v1/articles", body, key=local_api.key)
    assert replayed.status == 200, replayed.body
    assert (replayed.json()["id"], replayed.json()["revision"]) == (article["id"], article["revision"])


def test_get_returns_own_article(local_api: LocalApi) -> None:
    # Given an article the partner created
    article = create_article(local_api).json()
    # When the partner fetches it
    response = local_api.request("GET", f"/v1/articles/{article['id']}", key=local_api.key)
    # Then it is there, with the same revision
    assert response.status == 200, response.body
    assert response.json()["id"] == article["id"]
    assert response.headers["etag"] == f'"{article["revision"]}"'


@pytest.mark.parametrize("key", [None, "nd_" + "x" * 43, "not-a-key"], ids=["no-key", "unknown", "malformed"])
def test_without_valid_key_is_401_problem(local_api: LocalApi, key: str | None) -> None:
    # When an article is posted without a valid key
    response = local_api.request("POST", "/v1/articles", ninjs_bytes(new_uri()), key=key)
    # Then the answer is a 401 problem document
    assert_problem(response, 401)


def test_non_json_content_type_is_415(local_api: LocalApi) -> None:
    response = local_api.request(
        "POST", "/v1/articles", ninjs_bytes(new_uri()), key=local_api.key, content_type="text/plain"
    )
    assert_problem(response, 415)


def test_malformed_json_is_400(local_api: LocalApi) -> None:
    response = local_api.request("POST", "/v1/articles", b'{"uri": "urn:x", ', key=local_api.key)
    assert_problem(response, 400)


def test_body_over_one_mib_is_413(local_api: LocalApi) -> None:
    # Given a well-formed document just over the partner API's 1 MiB limit
    body = ninjs_bytes(new_uri(), padding="x" * ONE_MIB)
    # When it is posted
    response = local_api.request("POST", "/v1/articles", body, key=local_api.key)
    # Then the app refuses it as too large
    assert_problem(response, 413)


def test_body_over_gateway_limit_is_refused_before_reading(local_api: LocalApi) -> None:
    # Given a request announcing more than API Gateway's 10 MB payload limit
    address = local_api.info["api_url"].removeprefix("http://")
    host, port = address.split(":")
    connection = http.client.HTTPConnection(host, int(port), timeout=30)
    try:
        connection.putrequest("POST", "/v1/articles")
        connection.putheader("Content-Type", "application/json")
        connection.putheader("Content-Length", str(11 * ONE_MIB))
        connection.endheaders()
        # When the gateway answers (without the body ever being sent)
        response = connection.getresponse()
        # Then it is API Gateway's own 413
        assert response.status == 413
        assert json.loads(response.read()) == {"message": "Request Entity Too Large"}
    finally:
        connection.close()


def test_delete_is_204_and_idempotent(local_api: LocalApi) -> None:
    # Given an article
    article_id = create_article(local_api).json()["id"]
    # When it is deleted twice
    first = local_api.request("DELETE", f"/v1/articles/{article_id}", key=local_api.key)
    second = local_api.request("DELETE", f"/v1/articles/{article_id}", key=local_api.key)
    # Then both answers are 204 with no body
    assert (first.status, first.body) == (204, b"")
    assert (second.status, second.body) == (204, b"")


@pytest.mark.parametrize(
    ("method", "path"),
    [("GET", "/v1/nothing-here"), ("PATCH", "/v1/articles/some-id"), ("GET", "/v1/articles")],
)
def test_unknown_route_is_404_problem(local_api: LocalApi, method: str, path: str) -> None:
    response = local_api.request(method, path, key=local_api.key)
    problem = assert_problem(response, 404)
    assert path in problem["detail"]


def test_put_requires_if_match(local_api: LocalApi) -> None:
    # Given an article
    created = create_article(local_api).json()
    # When it is replaced without If-Match
    response = local_api.request(
        "PUT", f"/v1/articles/{created['id']}", ninjs_bytes(created["uri"], version="4"), key=local_api.key
    )
    # Then the precondition is required
    assert_problem(response, 428)


def test_put_with_stale_if_match_is_412(local_api: LocalApi) -> None:
    # Given an article replaced once, so that its first ETag is stale
    created_response = create_article(local_api)
    created = created_response.json()
    first_etag = created_response.headers["etag"]
    path = f"/v1/articles/{created['id']}"
    newer = ninjs_bytes(created["uri"], version="4", versioncreated="2026-11-25T10:00:00+03:00")
    replaced = local_api.request("PUT", path, newer, key=local_api.key, headers={"If-Match": first_etag})
    assert replaced.status == 200, replaced.body
    assert replaced.headers["etag"] != first_etag
    # When it is replaced again with the first ETag
    newest = ninjs_bytes(created["uri"], version="5", versioncreated="2026-11-25T11:00:00+03:00")
    response = local_api.request("PUT", path, newest, key=local_api.key, headers={"If-Match": first_etag})
    # Then the replacement is refused as based on a stale revision
    assert_problem(response, 412)


# --------------------------------------------------------------------------------------------------
# The API Gateway stand-in, with a template of its own
# --------------------------------------------------------------------------------------------------

HERE = "tests.http.test_local_stack"
ECHO_TEMPLATE: dict[str, Any] = {
    "Resources": {
        "Api": {
            "Type": "AWS::Serverless::HttpApi",
            "Properties": {
                "Auth": {
                    "DefaultAuthorizer": "Gate",
                    "Authorizers": {"Gate": {"FunctionArn": {"Fn::GetAtt": ["GateFunction", "Arn"]}}},
                }
            },
        },
        "GateFunction": {"Type": "AWS::Serverless::Function", "Properties": {"Handler": f"{HERE}.gate_handler"}},
        "EchoFunction": {
            "Type": "AWS::Serverless::Function",
            "Properties": {
                "Handler": f"{HERE}.echo_handler",
                "Events": {
                    "Named": {
                        "Type": "HttpApi",
                        "Properties": {"ApiId": {"Ref": "Api"}, "Method": "GET", "Path": "/echo/{name}"},
                    },
                    "Open": {
                        "Type": "HttpApi",
                        "Properties": {
                            "ApiId": {"Ref": "Api"},
                            "Method": "POST",
                            "Path": "/echo",
                            "Auth": {"Authorizer": "NONE"},
                        },
                    },
                },
            },
        },
        "BrokenFunction": {
            "Type": "AWS::Serverless::Function",
            "Properties": {
                "Handler": f"{HERE}.broken_handler",
                "Events": {
                    "Boom": {
                        "Type": "HttpApi",
                        "Properties": {
                            "ApiId": {"Ref": "Api"},
                            "Method": "GET",
                            "Path": "/boom",
                            "Auth": {"Authorizer": "NONE"},
                        },
                    }
                },
            },
        },
    }
}


def gate_handler(event: dict[str, Any], context: Any) -> dict[str, Any]:
    assert event["type"] == "REQUEST"
    return {"isAuthorized": event["headers"].get("x-let-in") == "yes", "context": {"who": "tester"}}


def echo_handler(event: dict[str, Any], context: Any) -> dict[str, Any]:
    return {
        "statusCode": 200,
        "headers": {"Content-Type": "application/json", "X-Function": context.function_name},
        "cookies": ["first=1", "second=2"],
        "body": json.dumps(event),
    }


def broken_handler(event: dict[str, Any], context: Any) -> dict[str, Any]:
    raise RuntimeError("the function crashed")


@pytest.fixture(scope="module")
def echo_url() -> Iterator[str]:
    with LocalGateway(ECHO_TEMPLATE, stack_name="echo") as gateway:
        yield gateway.url


@dataclass(frozen=True)
class RawResponse:
    status: int
    headers: Message  # keeps repeated headers (Set-Cookie)
    body: bytes


def raw_request(
    base_url: str, method: str, path: str, headers: list[tuple[str, str]], body: bytes = b""
) -> RawResponse:
    """A request whose headers may repeat, on a connection of its own."""
    host, port = base_url.removeprefix("http://").split(":")
    connection = http.client.HTTPConnection(host, int(port), timeout=30)
    try:
        connection.putrequest(method, path)
        for name, value in headers:
            connection.putheader(name, value)
        connection.putheader("Content-Length", str(len(body)))
        connection.endheaders(body)
        response = connection.getresponse()
        return RawResponse(response.status, response.headers, response.read())
    finally:
        connection.close()


def test_gateway_sends_payload_2_event_with_authorizer_context(echo_url: str) -> None:
    # When a request with repeated headers and query parameters, cookies and an encoded path arrives
    response = raw_request(
        echo_url,
        "GET",
        "/echo/caf%C3%A9?tag=a&tag=b&empty=",
        [("X-Let-In", "yes"), ("X-Multi", "one"), ("X-Multi", "two"), ("Cookie", "a=1; b=2")],
    )
    # Then the function got the event API Gateway would send
    assert response.status == 200, response.body
    event = json.loads(response.body)
    assert event["version"] == "2.0"
    assert event["routeKey"] == event["requestContext"]["routeKey"] == "GET /echo/{name}"
    assert event["rawPath"] == "/echo/caf%C3%A9"
    assert event["rawQueryString"] == "tag=a&tag=b&empty="
    assert event["pathParameters"] == {"name": "café"}
    assert event["queryStringParameters"] == {"tag": "a,b", "empty": ""}
    assert event["headers"]["x-multi"] == "one,two"
    assert event["cookies"] == ["a=1", "b=2"]
    assert "cookie" not in event["headers"]
    assert event["requestContext"]["authorizer"] == {"lambda": {"who": "tester"}}
    assert event["requestContext"]["http"]["method"] == "GET"
    assert event["requestContext"]["stage"] == "$default"
    assert "body" not in event
    # And the function's cookies and headers came back, with API Gateway's request id
    assert response.headers["X-Function"] == "echo-EchoFunction"
    assert response.headers.get_all("Set-Cookie") == ["first=1", "second=2"]
    assert response.headers["Apigw-Requestid"] == event["requestContext"]["requestId"]


def test_gateway_passes_text_as_is_and_binary_as_base64(echo_url: str) -> None:
    # When a JSON body and a binary body are posted
    text = raw_request(echo_url, "POST", "/echo", [("Content-Type", "application/json")], '{"к": 1}'.encode())
    binary = raw_request(echo_url, "POST", "/echo", [("Content-Type", "application/octet-stream")], b"\xff\x00")
    # Then JSON arrives as text and the binary body base64-encoded
    text_event, binary_event = json.loads(text.body), json.loads(binary.body)
    assert (text_event["body"], text_event["isBase64Encoded"]) == ('{"к": 1}', False)
    assert binary_event["isBase64Encoded"] is True
    assert base64.b64decode(binary_event["body"]) == b"\xff\x00"


def test_gateway_answers_like_api_gateway_when_authorizer_denies(echo_url: str) -> None:
    response = raw_request(echo_url, "GET", "/echo/anyone", [])
    assert (response.status, json.loads(response.body)) == (403, {"message": "Forbidden"})


def test_gateway_turns_a_crash_into_api_gateway_500(echo_url: str) -> None:
    response = raw_request(echo_url, "GET", "/boom", [])
    assert (response.status, json.loads(response.body)) == (500, {"message": "Internal Server Error"})


# --------------------------------------------------------------------------------------------------
# `make run` as a process
# --------------------------------------------------------------------------------------------------


def free_port() -> int:
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        port: int = probe.getsockname()[1]
        return port


def wait_for_file(path: Path, process: subprocess.Popen[bytes], timeout: float) -> dict[str, str]:
    """Poll for the state file (bounded); fail early if the process dies."""
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        if process.poll() is not None:
            pytest.fail(f"the local stack exited with {process.returncode} before it was ready")
        if path.exists():
            info: dict[str, str] = json.loads(path.read_text(encoding="utf-8"))
            return info
        time.sleep(0.05)
    pytest.fail(f"no {path} after {timeout} s")


def test_make_run_serves_the_api_and_stops_cleanly_on_ctrl_c(tmp_path: Path) -> None:
    # Given `python -m newsdesk_ops.local_stack` on a free port, with its state file in tmp
    port = free_port()
    state_file = tmp_path / "local.json"
    # Without the demo newsroom: this test is about serving and stopping (the demo has its own, tests/browser).
    environment = {**os.environ, "PORT": str(port), "NEWSDESK_LOCAL_FILE": str(state_file), "NEWSDESK_NO_DEMO": "1"}
    stdout, stderr = (tmp_path / "stdout.txt").open("wb"), (tmp_path / "stderr.txt").open("wb")
    process = subprocess.Popen(
        [sys.executable, "-m", "newsdesk_ops.local_stack"],
        cwd=tmp_path,
        env=environment,
        stdout=stdout,
        stderr=stderr,
    )
    try:
        # When it has written its state file
        info = wait_for_file(state_file, process, timeout=30)
        # Then the API answers on the port it was given, with the key it printed
        assert info["api_url"] == f"http://127.0.0.1:{port}"
        assert http_request(info["api_url"], "GET", "/v1/openapi.json").status == 200
        missing = http_request(
            info["api_url"],
            "GET",
            "/v1/articles/no-such-article",
            headers={"Authorization": f"Bearer {info['partner_key']}"},
        )
        assert missing.status == 404
        # And on Ctrl-C it stops cleanly: exit code 0, no traceback, state file removed
        process.send_signal(signal.SIGINT)
        assert process.wait(timeout=15) == 0
    finally:
        if process.poll() is None:
            process.kill()
            process.wait()
        stdout.close()
        stderr.close()
    errors = (tmp_path / "stderr.txt").read_text(encoding="utf-8")
    assert "Traceback" not in errors
    assert info["partner_key"] in (tmp_path / "stdout.txt").read_text(encoding="utf-8")
    assert not state_file.exists()


# --- CORS, as API Gateway applies the template's CorsConfiguration ----------------------------------

SITE = "https://www.example.com"  # the SiteOrigins default in template.yaml


def test_preflight_from_the_site_is_answered_by_the_gateway(local_api: LocalApi) -> None:
    response = local_api.request(
        "OPTIONS",
        "/v1/events",
        headers={"Origin": SITE, "Access-Control-Request-Method": "POST"},
        content_type=None,
    )
    assert response.status == 204
    assert response.headers["access-control-allow-origin"] == SITE
    assert "POST" in response.headers["access-control-allow-methods"]
    assert "content-type" in response.headers["access-control-allow-headers"]


def test_other_origins_get_no_cors_headers(local_api: LocalApi) -> None:
    preflight = local_api.request(
        "OPTIONS",
        "/v1/events",
        headers={"Origin": "https://evil.example", "Access-Control-Request-Method": "POST"},
        content_type=None,
    )
    views = local_api.request(
        "POST", "/v1/events", b'{"events": []}', headers={"Origin": "https://evil.example", "User-Agent": "Mozilla/5.0"}
    )
    assert "access-control-allow-origin" not in preflight.headers
    assert "access-control-allow-origin" not in views.headers


def test_views_from_the_site_carry_cors_headers(local_api: LocalApi) -> None:
    response = local_api.request(
        "POST", "/v1/events", b'{"events": []}', headers={"Origin": SITE, "User-Agent": "Mozilla/5.0"}
    )
    assert response.status == 202
    assert response.headers["access-control-allow-origin"] == SITE


def test_the_running_stack_keeps_its_data_out_of_full_collections(local_api: LocalApi) -> None:
    """moto's items, records and objects live in the stack's process: a full garbage collection walked
    all of them (0.6 s with the interpreter lock held at 5,000 stored articles). While the stack runs,
    what survived is frozen (newsdesk_ops.heap: the unit tests show garbage is still collected)."""
    import gc

    assert local_api.info["api_url"]
    assert gc.get_freeze_count() > 0
