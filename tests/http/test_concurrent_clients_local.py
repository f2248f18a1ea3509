"""Many partners at once on the local gateway: every connection is accepted and answered.

Under 50 concurrent clients the local gateway reset 28 of 200 connections (a listen backlog of 5,
and one invocation per function at a time). Here 60 clients start together, each on new
connections, and send 200 requests between them (a POST of a new article every tenth, reads of
articles that do not exist otherwise, both through the authorizer and the ingest function): each
gets its answer, none a reset or a 5xx.
"""

from __future__ import annotations

import http.client
import json
import threading
import uuid
from urllib.parse import urlsplit

import pytest

from tests.conftest import load_ninjs
from tests.http.conftest import LocalApi

pytestmark = pytest.mark.http

CLIENTS = 60
REQUESTS = 200


def test_sixty_clients_at_once_get_every_answer_and_no_reset(local_api: LocalApi) -> None:
    address = urlsplit(local_api.info["api_url"])
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
            headers = {"Authorization": f"Bearer {local_api.key}", "Content-Type": "application/json"}
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
