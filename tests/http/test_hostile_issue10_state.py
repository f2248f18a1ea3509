"""Hostile review of issue 10's local state: what the site shows after a restart.

Each test reproduces a finding of the review: it fails while the finding stands.
"""

from __future__ import annotations

import json
import time
import uuid
from datetime import UTC, datetime, timedelta
from pathlib import Path

import pytest

from newsdesk_ops.local_stack import LocalStack
from newsdesk_ops.local_timers import TIMER_SECONDS_ENV
from tests.conftest import load_ninjs
from tests.http.conftest import http_request
from tests.http.test_local_state import forget_everything_in_moto

pytestmark = pytest.mark.http

# How far ahead the story's rights end: long enough to be published and stop the stack before.
EXPIRES_IN = timedelta(seconds=10)
WAIT_SECONDS = 20.0


def page_kind(info: dict[str, str], article_id: str) -> str:
    response = http_request(info["snapshots_url"], "GET", f"/v1/articles/{article_id}.json")
    return str(response.json().get("kind")) if response.status == 200 else str(response.status)


def wait_for_kind(info: dict[str, str], article_id: str, wanted: str) -> str:
    deadline = time.monotonic() + WAIT_SECONDS
    while (kind := page_kind(info, article_id)) != wanted and time.monotonic() < deadline:
        time.sleep(0.2)
    return kind


def test_a_story_whose_rights_ended_while_the_stack_was_stopped_is_taken_off_the_site(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setenv(TIMER_SECONDS_ENV, "1")
    state = tmp_path / "state"
    expires = datetime.now(UTC) + EXPIRES_IN
    document = load_ninjs("ru_defence_industry.json") | {
        "uri": f"urn:newsml:hostile.example:{uuid.uuid4().hex}",
        "expires": expires.isoformat(),
    }
    # Given: a published story that expires after the stack is stopped
    with LocalStack(state_file=None, state_dir=state) as stack:
        info = stack.info
        response = http_request(
            info["api_url"],
            "POST",
            "/v1/articles",
            json.dumps(document, ensure_ascii=False).encode("utf-8"),
            {"Authorization": f"Bearer {info['partner_key']}", "Content-Type": "application/json"},
        )
        assert response.status == 201, response.body
        article_id = str(response.json()["id"])
        assert wait_for_kind(info, article_id, "article") == "article"
        if datetime.now(UTC) >= expires:
            pytest.skip("the story expired before the stack could be stopped (a slow machine)")

    # When: the stack starts again after the story's expires time
    forget_everything_in_moto()
    while datetime.now(UTC) <= expires + timedelta(seconds=1):
        time.sleep(0.2)
    with LocalStack(state_file=None, state_dir=state) as stack:
        again = stack.info

        def status() -> str:
            return str(
                http_request(
                    again["api_url"],
                    "GET",
                    f"/v1/articles/{article_id}",
                    headers={"Authorization": f"Bearer {again['partner_key']}"},
                ).json()["status"]
            )

        # Then: the site takes it down, and the table says so. (The restore puts the table back as it
        # was at the stop; the expiry timer's first tick after the start takes the story down through
        # the table's stream, as in AWS. Before, the restore's rebuild wrote the expiry before the
        # stream pollers started at LATEST: the restored snapshot kept serving the whole story.)
        assert wait_for_kind(again, article_id, "tombstone") == "tombstone"
        assert status() == "retracted"
