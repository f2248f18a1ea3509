"""No input from a client may cause a 5xx: seeded random requests against every route."""

from __future__ import annotations

import json
import random
from typing import Any

import pytest

from newsdesk.dal.partners import PartnerStore
from tests.conftest import Partner, Stack, api_event, load_ninjs
from tests.fixtures.injections import ALL_ATTACKS
from tests.handler.ninjs_builders import article_doc, encode
from tests.handler.test_ingest_api import call, post

pytestmark = pytest.mark.handler

CONTENT_TYPES = ["application/json"] * 4 + ["application/json; charset=utf-8", "text/plain", "", "application/ld+json"]
ODD: list[Any] = [None, True, -1, 0, 1.5, 10**30, "", "x" * 3000, [], {}, [None], {"": None}, "\u0000", "é"]


def random_value(rng: random.Random, depth: int = 0) -> Any:
    if depth > 3 or rng.random() < 0.5:
        return rng.choice([*ODD, rng.choice(ALL_ATTACKS)])
    if rng.random() < 0.5:
        return [random_value(rng, depth + 1) for _ in range(rng.randrange(4))]
    keys = ["uri", "type", "headlines", "bodies", "version", "events", "article_id", "count", "visitor", "value"]
    return {rng.choice(keys): random_value(rng, depth + 1) for _ in range(rng.randrange(5))}


def random_body(rng: random.Random) -> bytes:
    choice = rng.random()
    if choice < 0.15:
        return bytes(rng.randrange(256) for _ in range(rng.randrange(64)))
    if choice < 0.3:
        return json.dumps(random_value(rng)).encode()
    if choice < 0.5:
        # A valid document with an attack in its headline and a field nobody knows: accepted.
        doc = article_doc(f"urn:fuzz:{rng.randrange(10**6)}", headline=rng.choice(ALL_ATTACKS) + " заголовок")
        doc["x_unknown"] = random_value(rng)
        return encode(doc)
    if choice < 0.7:
        doc = load_ninjs(rng.choice(["ru_defence_industry.json", "en_agency.json", "sv_tt.json"]))
        path: list[Any] = [rng.choice(list(doc))]
        doc[path[0]] = random_value(rng)
        return json.dumps(doc, ensure_ascii=rng.random() < 0.5).encode()
    events = [
        rng.choice(
            [
                {"type": "view", "article_id": random_value(rng), "visitor": random_value(rng)},
                {"type": "comments", "article_id": random_value(rng), "count": random_value(rng)},
                random_value(rng),
            ]
        )
        for _ in range(rng.randrange(60))
    ]
    return json.dumps({"events": events} if rng.random() < 0.7 else events).encode()


@pytest.mark.parametrize("seed", range(4))
def test_random_requests_never_get_a_server_error(
    stack: Stack, partner: Partner, lambda_context: Any, seed: int
) -> None:
    # Given a published article, a partner key and the site key
    _, _, created = post(partner, encode(article_doc()), lambda_context)
    _, site_secret = PartnerStore(stack.table_name).add_partner("Comments", role="site", partner_id="site-comments")
    site = PartnerStore(stack.table_name).resolve(site_secret)
    assert site is not None
    callers = [None, partner.context, site.to_authorizer_context()]
    rng = random.Random(seed)
    seen: set[int] = set()
    for _ in range(60):
        # When any caller sends any body, with any content type, to any route
        method, path, route = rng.choice(
            [
                ("POST", "/v1/articles", None),
                ("PUT", f"/v1/articles/{created['id']}", "/v1/articles/{article_id}"),
                ("POST", "/v1/events", None),
            ]
        )
        headers = {"content-type": rng.choice(CONTENT_TYPES), "user-agent": rng.choice(["Mozilla/5.0", "Googlebot"])}
        if rng.random() < 0.5:
            headers["if-match"] = rng.choice(['"1"', '"2"', "*", "junk"])
        event = api_event(
            method,
            path,
            body=random_body(rng),
            headers=headers,
            authorizer=rng.choice(callers),
            route=route,
            path_parameters={"article_id": created["id"]} if route else None,
        )
        status, _, body = call(event, lambda_context)
        # Then the answer is never a server error, and every refusal explains itself
        assert status < 500, body
        if status >= 400:
            assert body["status"] == status and body["detail"]
        seen.add(status)
    assert any(status >= 400 for status in seen) and any(status < 300 for status in seen), seen
