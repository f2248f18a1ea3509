"""Many partners at once on the local gateway: every connection is accepted and answered.

Under 50 concurrent clients the local gateway reset 28 of 200 connections (a listen backlog of 5,
and one invocation per function at a time). Here 60 clients start together, each on new
connections, and send 200 requests between them (a POST of a new article every tenth, reads of
articles that do not exist otherwise, both through the authorizer and the ingest function): each
gets its answer, none a reset or a 5xx. Both ways the API's functions run: in the gateway's process
(the tests' stack) and in four worker processes (`make run`, newsdesk_ops.function_processes), where
60 clients share four environments.
"""

from __future__ import annotations

import http.client
import json
import threading
import uuid
from collections.abc import Iterator
from urllib.parse import urlsplit

import pytest

from newsdesk_ops.local_stack import LocalStack
from tests.conftest import load_ninjs
from tests.http.conftest import LocalApi

pytestmark = pytest.mark.http

CLIENTS = 60
REQUESTS = 200


@pytest.fixture(scope="module", params=["in the gateway's process", "in worker processes"])
def api(request: pytest.FixtureRequest, tmp_path_factory: pytest.TempPathFactory) -> Iterator[LocalApi]:
    if request.param == "in the gateway's process":
        yield request.getfixturevalue("local_api")
        return
    state_file = tmp_path_factory.mktemp("api-processes") / "local.json"
    with LocalStack(state_file=state_file, api_processes=4, background=False) as stack:
        yield LocalApi(stack.info, state_file)


def test_sixty_clients_at_once_get_every_answer_and_no_reset(api: LocalApi) -> None:
    address = urlsplit(api.info["api_url"])
    template = load_ninjs("ru_defence_industry.json")
    start = threading.Barrier(CLIENTS)
    taken = iter(range(REQUESTS))
    take_lock = threading.Lock()
    statuses: list[int] = []
    failures: list[str] = []
    record_lock = threading.Lock()

    def client() -> None:
        start.wait()
        while True:
            with take_lock:
                number = next(taken, None)
            if number is None:
                return
            headers = {"Authorization": f"Bearer {api.key}", "Content-Type": "application/json"}
            connection = http.client.HTTPConnection(address.hostname or "127.0.0.1", address.port, timeout=60)
            try:
                if number % 10 == 0:
                    uri = f"urn:newsml:concurrent.example:{uuid.uuid4().hex}"
                    body = json.dumps({**template, "uri": uri}).encode()
                    connection.request("POST", "/v1/articles", body=body, headers=headers)
                else:
                    connection.request("GET", f"/v1/articles/missing-{number}", headers=headers)
                response = connection.getresponse()
                response.read()
                with record_lock:
                    statuses.append(response.status)
            except OSError as error:  # ConnectionResetError, BrokenPipeError, refused, timeout
                with record_lock:
                    failures.append(f"{type(error).__name__}: {error}")
            finally:
                connection.close()

    threads = [threading.Thread(target=client) for _ in range(CLIENTS)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join()

    assert failures == []
    assert len(statuses) == REQUESTS
    assert sorted(statuses) == [201] * (REQUESTS // 10) + [404] * (REQUESTS - REQUESTS // 10)
