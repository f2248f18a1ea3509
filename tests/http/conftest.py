"""The local stack (moto + template.yaml + the functions behind a local HTTP API) for HTTP tests.

The stack runs in the test process and changes os.environ while it runs, and its moto server
shares moto's in-process state with ``mock_aws``. The fixture is therefore module-scoped: pytest
stops the stack (restoring the environment) before it runs tests of another module, so the
handler tests never see it, also under xdist. Starting a stack takes well under a second.
"""

from __future__ import annotations

import http.client
import json
from collections.abc import Iterator
from dataclasses import dataclass
from pathlib import Path
from typing import Any
from urllib.parse import urlsplit

import pytest

from newsdesk_ops.local_stack import LocalStack
from tests.support.openapi_contract import is_cors_preflight, served_contract

JSON = "application/json"


@dataclass(frozen=True)
class HttpResponse:
    status: int
    headers: dict[str, str]  # lower-cased names
    body: bytes

    def json(self) -> Any:
        return json.loads(self.body)


@dataclass(frozen=True)
class LocalApi:
    """The running local stack, seen from outside: its URLs, its partner key, an HTTP client."""

    info: dict[str, str]
    state_file: Path

    @property
    def key(self) -> str:
        return self.info["partner_key"]

    def request(
        self,
        method: str,
        path: str,
        body: bytes | None = None,
        *,
        key: str | None = None,
        content_type: str | None = JSON,
        headers: dict[str, str] | None = None,
    ) -> HttpResponse:
        """One request over a new loopback connection; ``key`` becomes a Bearer header.

        Every answer is checked against the OpenAPI document the API serves (a CORS preflight, which
        API Gateway answers itself, only for being an empty 204).
        """
        all_headers = dict(headers or {})
        if key is not None:
            all_headers["Authorization"] = f"Bearer {key}"
        if body is not None and content_type is not None:
            all_headers["Content-Type"] = content_type
        response = http_request(self.info["api_url"], method, path, body, all_headers)
        if is_cors_preflight(method, all_headers):
            assert (response.status, response.body) == (204, b""), response
        else:
            served_contract().check(method, path, response.status, response.headers, response.body)
        return response


def http_request(
    base_url: str, method: str, path: str, body: bytes | None = None, headers: dict[str, str] | None = None
) -> HttpResponse:
    address = urlsplit(base_url)
    connection = http.client.HTTPConnection(address.hostname or "127.0.0.1", address.port, timeout=30)
    try:
        connection.request(method, path, body=body, headers=headers or {})
        response = connection.getresponse()
        return HttpResponse(
            response.status, {name.lower(): value for name, value in response.getheaders()}, response.read()
        )
    finally:
        connection.close()


@pytest.fixture(scope="module")
def local_api(tmp_path_factory: pytest.TempPathFactory) -> Iterator[LocalApi]:
    # A state file of its own, so a test run never overwrites the developer's .newsdesk/local.json.
    state_file = tmp_path_factory.mktemp("local-stack") / "local.json"
    with LocalStack(state_file=state_file) as stack:
        yield LocalApi(stack.info, state_file)
