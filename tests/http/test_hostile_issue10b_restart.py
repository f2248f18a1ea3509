"""Hostile review of issue 10's fixes (b): what a restart of the local stack does with dead letters.

Each test reproduces a finding of the review: it fails while the finding stands.
"""

from __future__ import annotations

import json
import time
import uuid
from pathlib import Path
from typing import Any

import pytest

from newsdesk_ops.local_stack import LocalStack
from tests.conftest import load_ninjs
from tests.http.conftest import http_request
from tests.http.test_local_dead_letters import DEAD_LETTER_QUEUE, depth
from tests.http.test_local_state import forget_everything_in_moto

pytestmark = pytest.mark.http

POLL_TIMEOUT_SECONDS = 20.0


def page_status(info: dict[str, str], article_id: str) -> int:
    return http_request(info["snapshots_url"], "GET", f"/v1/articles/{article_id}.json").status


def sqs_client(info: dict[str, str]) -> Any:
    import boto3

    return boto3.client(
        "sqs",
        region_name=info["region"],
        endpoint_url=info["aws_endpoint_url"],
        aws_access_key_id="testing",
        aws_secret_access_key="testing",
    )


def test_a_change_dead_lettered_before_a_restart_is_published_or_still_redrivable_after_it(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    from publish.publisher import Publisher

    state = tmp_path / "state"
    document = load_ninjs("ru_defence_industry.json") | {"uri": f"urn:newsml:hostile.example:{uuid.uuid4().hex}"}
    # Given: publish fails on the story until the poller gives up and dead-letters the batch
    with LocalStack(state_file=None, state_dir=state) as stack:
        info = stack.info
        original = Publisher.publish_article

        def publish_is_down(*_args: Any, **_kwargs: Any) -> Any:
            raise RuntimeError("publish is down")

        monkeypatch.setattr(Publisher, "publish_article", publish_is_down)
        response = http_request(
            info["api_url"],
            "POST",
            "/v1/articles",
            json.dumps(document, ensure_ascii=False).encode("utf-8"),
            {"Authorization": f"Bearer {info['partner_key']}", "Content-Type": "application/json"},
        )
        assert response.status == 201, response.body
        article_id = str(response.json()["id"])
        queue_url = stack.running.resources.queues[DEAD_LETTER_QUEUE]
        deadline = time.monotonic() + POLL_TIMEOUT_SECONDS
        while depth(sqs_client(info), queue_url) < 1:
            assert time.monotonic() < deadline, "no dead letter within the time limit"
            time.sleep(0.1)
        # publish works again; the operator restarts the stack before running redrive
        monkeypatch.setattr(Publisher, "publish_article", original)
        assert page_status(info, article_id) == 404

    # When
    forget_everything_in_moto()
    with LocalStack(state_file=None, state_dir=state) as stack:
        again = stack.info
        queue_url = stack.running.resources.queues[DEAD_LETTER_QUEUE]
        deadline = time.monotonic() + POLL_TIMEOUT_SECONDS
        while (published := page_status(again, article_id)) != 200 and time.monotonic() < deadline:
            time.sleep(0.2)
        letters = depth(sqs_client(again), queue_url)

        # Then: the story reaches the site, or its dead letter is still there for `newsdesk redrive`
        # (the restart empties the queues, and the restored table is what it was, so the rebuild
        # writes nothing and nothing ever publishes the story)
        assert published == 200 or letters >= 1, (published, letters)
