"""Views end to end on the local stack: POST /v1/events over HTTP, the stream, the view counter.

The stack's stream poller delivers the inserts of dedupe records to the view counter function, as
the template's event source mapping (filter included) would; counters appear asynchronously, so
the check polls the table, bounded.
"""

from __future__ import annotations

import json
import time
import uuid
from typing import Any

import boto3
import pytest

from newsdesk.dal.keys import COUNTERS_PREFIX, article_of_view_sk
from tests.conftest import load_ninjs
from tests.http.conftest import JSON, LocalApi

pytestmark = pytest.mark.http

POLL_TIMEOUT_SECONDS = 15.0
POLL_INTERVAL_SECONDS = 0.1
BROWSER = "Mozilla/5.0 (X11; Linux x86_64; rv:128.0) Gecko/20100101 Firefox/128.0"


def counted_views(api: LocalApi, article_id: str) -> int:
    dynamodb = boto3.client(
        "dynamodb",
        endpoint_url=api.info["aws_endpoint_url"],
        region_name=api.info["region"],
        aws_access_key_id="testing",
        aws_secret_access_key="testing",
    )
    items: list[dict[str, Any]] = []
    for page in dynamodb.get_paginator("scan").paginate(TableName=api.info["table_name"]):
        items.extend(page["Items"])
    return sum(
        int(item["views"]["N"])
        for item in items
        if item["PK"]["S"].startswith(COUNTERS_PREFIX) and article_of_view_sk(item["SK"]["S"]) == article_id
    )


def test_posted_views_are_counted_by_the_view_counter(local_api: LocalApi) -> None:
    api = local_api
    # Given a published article
    document = {**load_ninjs("ru_defence_industry.json"), "uri": f"urn:newsml:views.example:{uuid.uuid4().hex}"}
    created = api.request("POST", "/v1/articles", json.dumps(document).encode(), key=api.key)
    assert created.status == 201, created.body
    article_id = created.json()["id"]
    # When a browser posts three readers' views (one reloaded) without a key
    events = [{"type": "view", "article_id": article_id, "visitor": f"reader-{n % 3}"} for n in range(4)]
    posted = api.request("POST", "/v1/events", json.dumps({"events": events}).encode(), headers={"User-Agent": BROWSER})
    assert posted.status == 202 and posted.json()["accepted"] == 3
    # Then the view counter, fed by the stream poller, counts them
    deadline = time.monotonic() + POLL_TIMEOUT_SECONDS
    while (views := counted_views(api, article_id)) < 3 and time.monotonic() < deadline:
        time.sleep(POLL_INTERVAL_SECONDS)
    assert views == 3
    assert posted.headers["content-type"].startswith(JSON)
