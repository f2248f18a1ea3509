"""Publishing end to end on the local stack: POST over HTTP, the stream, publish, the snapshot server.

The stack runs its background workers (stream poller, timers) like `make run`; the timers fire
every second here so that an embargo passes within the test. Files appear asynchronously, so
every check polls the snapshot server, bounded.
"""

from __future__ import annotations

import json
import time
import uuid
from collections.abc import Callable, Iterator
from datetime import UTC, datetime, timedelta
from pathlib import Path
from typing import Any

import pytest

from newsdesk_ops.local_stack import LocalStack
from newsdesk_ops.local_timers import TIMER_SECONDS_ENV
from tests.conftest import load_ninjs
from tests.http.conftest import HttpResponse, LocalApi, http_request

pytestmark = pytest.mark.http

POLL_TIMEOUT_SECONDS = 15.0
POLL_INTERVAL_SECONDS = 0.1
JSON_UTF8 = "application/json; charset=utf-8"


@pytest.fixture(scope="module")
def publishing_stack(tmp_path_factory: pytest.TempPathFactory) -> Iterator[LocalApi]:
    state_file = tmp_path_factory.mktemp("snapshots-stack") / "local.json"
    with pytest.MonkeyPatch.context() as patch:
        # Read when the timers start; the stack restores the environment when it stops.
        patch.setenv(TIMER_SECONDS_ENV, "1")
        with LocalStack(state_file=state_file) as stack:
            yield LocalApi(stack.info, state_file)


def snapshot(api: LocalApi, path: str, headers: dict[str, str] | None = None) -> HttpResponse:
    return http_request(api.info["snapshots_url"], "GET", "/" + path, headers=headers)


def poll(api: LocalApi, path: str, condition: Callable[[HttpResponse], bool], what: str) -> HttpResponse:
    """GET ``path`` from the snapshot server until ``condition`` holds (at most 15 s)."""
    deadline = time.monotonic() + POLL_TIMEOUT_SECONDS
    response = snapshot(api, path)
    while not condition(response):
        if time.monotonic() > deadline:
            pytest.fail(f"{what}: not within {POLL_TIMEOUT_SECONDS} s; last answer {response.status} {response.body!r}")
        time.sleep(POLL_INTERVAL_SECONDS)
        response = snapshot(api, path)
    return response


def post_article(api: LocalApi, **changes: Any) -> dict[str, Any]:
    uri = f"urn:newsml:snapshots.example:{uuid.uuid4().hex}"
    document = {**load_ninjs("ru_defence_industry.json"), "uri": uri, **changes}
    body = json.dumps(document, ensure_ascii=False).encode("utf-8")
    response = api.request("POST", "/v1/articles", body, key=api.key)
    assert response.status == 201, response.body
    created: dict[str, Any] = response.json()
    return created


def listed_ids(response: HttpResponse) -> list[str]:
    return [item["id"] for item in response.json()["items"]]


def is_kind(kind: str) -> Callable[[HttpResponse], bool]:
    return lambda response: response.status == 200 and response.json().get("kind") == kind


def test_state_file_names_the_snapshot_server_and_the_site_key(publishing_stack: LocalApi) -> None:
    written = json.loads(Path(publishing_stack.state_file).read_text(encoding="utf-8"))
    assert written["snapshots_url"].startswith("http://127.0.0.1:")
    assert written["snapshots_url"].endswith("/")
    assert written["site_key"] and written["site_key"] != written["partner_key"]


def test_posted_article_is_published_listed_then_retracted(publishing_stack: LocalApi) -> None:
    api = publishing_stack
    # Given an article POSTed over HTTP
    article = post_article(api)
    path = f"v1/articles/{article['id']}.json"

    # When the stream has delivered it to publish, its page appears with the headers CloudFront passes on
    page = poll(api, path, is_kind("article"), "article file")
    assert page.headers["content-type"] == JSON_UTF8
    assert page.headers["cache-control"].startswith("public, max-age=")
    assert page.headers["access-control-allow-origin"] == "*"
    assert page.json()["headline"] == article["headline"]
    assert page.body.decode("utf-8").count("\\u") == 0  # Cyrillic written as is
    # And a revalidation with its ETag is a 304
    assert snapshot(api, path, {"If-None-Match": page.headers["etag"]}).status == 304

    # And it is listed in latest.json
    latest = poll(api, "v1/latest.json", lambda r: r.status == 200 and article["id"] in listed_ids(r), "latest")
    assert latest.headers["content-type"] == JSON_UTF8
    assert latest.headers["cache-control"] == "public, max-age=60, stale-while-revalidate=60"

    # When the partner retracts it
    assert api.request("DELETE", f"/v1/articles/{article['id']}", key=api.key).status == 204

    # Then its file becomes a tombstone and it leaves latest.json
    tombstone = poll(api, path, is_kind("tombstone"), "tombstone")
    assert tombstone.json()["status"] == "retracted"
    poll(api, "v1/latest.json", lambda r: article["id"] not in listed_ids(r), "left latest.json")


def test_embargoed_article_appears_once_its_embargo_passes(publishing_stack: LocalApi) -> None:
    api = publishing_stack
    # Given an article embargoed until a few seconds from now
    embargo = (datetime.now(UTC) + timedelta(seconds=5)).replace(microsecond=0)
    article = post_article(api, embargoed=embargo.isoformat().replace("+00:00", "Z"))
    assert article["status"] == "embargoed"
    path = f"v1/articles/{article['id']}.json"

    # Then nothing is published before the embargo
    assert snapshot(api, path).status == 404

    # And after it, the timer releases it and the stream publishes it
    page = poll(api, path, is_kind("article"), "embargoed article after its embargo")
    assert datetime.now(UTC) >= embargo
    assert page.json()["id"] == article["id"]


def test_missing_snapshot_is_a_json_404(publishing_stack: LocalApi) -> None:
    response = snapshot(publishing_stack, "v1/articles/no-such-article.json")
    assert response.status == 404
    assert response.headers["content-type"] == JSON_UTF8
    assert "message" in response.json()
