"""The per-client view bound on the local stack: the local gateway hands the function the client's
address (``requestContext.http.sourceIp``, 127.0.0.1 here), so every local client is one client, and
the bound still lets 60 distinct readers of an article count in an hour (issue 8, 'What broke' 9)."""

from __future__ import annotations

import json
import uuid

import pytest

from newsdesk.engagement import DEFAULT_VIEWS_PER_CLIENT_HOUR
from tests.conftest import load_ninjs
from tests.http.conftest import LocalApi

pytestmark = [pytest.mark.http, pytest.mark.attack(9)]

BROWSER = "Mozilla/5.0 (X11; Linux x86_64; rv:128.0) Gecko/20100101 Firefox/128.0"


def test_one_local_client_counts_up_to_the_bound_and_no_further(local_api: LocalApi) -> None:
    api = local_api
    bound = DEFAULT_VIEWS_PER_CLIENT_HOUR  # the local stack does not change it
    document = {**load_ninjs("ru_defence_industry.json"), "uri": f"urn:newsml:bound.example:{uuid.uuid4().hex}"}
    created = api.request("POST", "/v1/articles", json.dumps(document).encode(), key=api.key)
    assert created.status == 201, created.body
    article_id = created.json()["id"]
    # When one client (127.0.0.1) sends the views of bound + 10 made-up visitors, in requests of 50
    visitors = [f"made-up-{n}" for n in range(bound + 10)]
    answers = []
    for start in range(0, len(visitors), 50):
        events = [{"type": "view", "article_id": article_id, "visitor": v} for v in visitors[start : start + 50]]
        posted = api.request("POST", "/v1/events", json.dumps(events).encode(), headers={"User-Agent": BROWSER})
        assert posted.status == 202
        answers.append(posted.json())
    # Then the bound counts, and the rest is ignored as rate limited
    assert sum(answer["accepted"] for answer in answers) == bound
    assert sum(answer["ignored_reasons"].get("rate_limited", 0) for answer in answers) == 10
    # And curl is no reader
    events = [{"type": "view", "article_id": article_id, "visitor": "curl-user"}]
    posted = api.request("POST", "/v1/events", json.dumps(events).encode(), headers={"User-Agent": "curl/8.5.0"})
    assert posted.json()["ignored_reasons"] == {"crawler": 1}
