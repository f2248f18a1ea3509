"""A restarted local stack serves the articles and keys it had (issue 10: 0 of 6 articles came back).

The stack keeps its state under a state directory (``.newsdesk/state/`` for `make run`) when it
stops, and restores it when it starts: the buckets' objects, partners and keys, and the articles
rebuilt from the archive. ``NEWSDESK_LOCAL_FRESH=1`` starts empty.
"""

from __future__ import annotations

import json
import time
import uuid
from pathlib import Path

import boto3
import pytest

from newsdesk.dal.partners import PartnerStore
from newsdesk_ops.local_stack import LocalStack
from newsdesk_ops.local_timers import TIMER_SECONDS_ENV
from tests.conftest import load_ninjs
from tests.http.conftest import http_request

pytestmark = pytest.mark.http

ARTICLES = 6
WAIT_SECONDS = 20.0


def post(info: dict[str, str], key: str) -> str:
    document = {**load_ninjs("ru_defence_industry.json"), "uri": f"urn:newsml:restart.example:{uuid.uuid4().hex}"}
    response = http_request(
        info["api_url"],
        "POST",
        "/v1/articles",
        json.dumps(document, ensure_ascii=False).encode("utf-8"),
        {"Authorization": f"Bearer {key}", "Content-Type": "application/json"},
    )
    assert response.status == 201, response.body
    return str(response.json()["id"])


def snapshot_status(info: dict[str, str], article_id: str) -> int:
    return http_request(info["snapshots_url"], "GET", f"/v1/articles/{article_id}.json").status


def wait_until_published(info: dict[str, str], article_ids: list[str]) -> None:
    deadline = time.monotonic() + WAIT_SECONDS
    while any(snapshot_status(info, article_id) != 200 for article_id in article_ids):
        if time.monotonic() > deadline:
            pytest.fail(f"not every article was published within {WAIT_SECONDS} s")
        time.sleep(0.1)


def forget_everything_in_moto() -> None:
    """What a new process of `make run` starts with: the stack's moto runs in this test process, and
    moto's state outlives a stopped server here (as it does not when `make run` exits)."""
    from moto.moto_api._internal.models import moto_api_backend

    moto_api_backend.reset()


def get(info: dict[str, str], path: str, key: str) -> int:
    return http_request(info["api_url"], "GET", path, headers={"Authorization": f"Bearer {key}"}).status


def test_a_restarted_stack_serves_the_articles_partners_and_keys_it_had(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setenv(TIMER_SECONDS_ENV, "1")
    state = tmp_path / "state"
    # Given a stack with a state directory, six articles published and a partner added
    with LocalStack(state_file=None, state_dir=state) as stack:
        first = stack.info
        article_ids = [post(first, first["partner_key"]) for _ in range(ARTICLES)]
        dynamodb = boto3.client("dynamodb", region_name=first["region"], endpoint_url=first["aws_endpoint_url"])
        partner, secret = PartnerStore(first["table_name"], client=dynamodb).add_partner("Restart Gazette", "en")
        wait_until_published(first, article_ids)

    # When it is stopped and started again (in a new process)
    forget_everything_in_moto()
    with LocalStack(state_file=None, state_dir=state) as stack:
        again = stack.info
        # Then the same keys work, every article is served to its partner, and the snapshots are there
        assert again["partner_key"] == first["partner_key"]
        assert again["site_key"] == first["site_key"]
        assert [get(again, f"/v1/articles/{article_id}", again["partner_key"]) for article_id in article_ids] == [
            200
        ] * ARTICLES
        assert [snapshot_status(again, article_id) for article_id in article_ids] == [200] * ARTICLES
        # The added partner's key is known (another partner's article: 404, not 401)
        assert get(again, f"/v1/articles/{article_ids[0]}", secret) == 404
        # And a new article is still published (the stream and publish work on the restored table)
        wait_until_published(again, [post(again, again["partner_key"])])
    assert partner.partner_id

    # And a fresh start forgets everything
    forget_everything_in_moto()
    monkeypatch.setenv("NEWSDESK_LOCAL_FRESH", "1")
    with LocalStack(state_file=None, state_dir=state) as stack:
        fresh = stack.info
        assert fresh["partner_key"] != first["partner_key"]
        assert get(fresh, f"/v1/articles/{article_ids[0]}", fresh["partner_key"]) == 404
    assert not state.exists() or not (state / "table.jsonl").read_text(encoding="utf-8").count("ARTICLE#")


def test_a_story_accepted_just_before_the_stop_is_on_the_site_after_the_restart(tmp_path: Path) -> None:
    # Given: a story acknowledged with 201, and the stack stopped at once (Ctrl-C right after a POST):
    # the stop used to end the stream pollers before they read its record, and the restarted
    # stack's pollers start at the end of a new stream, so its page never came
    state = tmp_path / "state"
    with LocalStack(state_file=None, state_dir=state) as stack:
        article_id = post(stack.info, stack.info["partner_key"])
    forget_everything_in_moto()
    # When: the stack starts again
    with LocalStack(state_file=None, state_dir=state) as stack:
        # Then: the story's page is there
        assert snapshot_status(stack.info, article_id) == 200
