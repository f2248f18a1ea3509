"""The per-client bound on views (issue 8, 'What broke' 9), on the events service with an in-memory store.

One client — one source address, or one IPv6 /64 — adds at most ``views_per_client`` new visits
per article and hour, whatever visitor ids it makes up; the rest are ignored as ``rate_limited``.
The same rules run against DynamoDB (moto) in tests/handler/test_view_bound.py.
"""

from __future__ import annotations

import json
from datetime import UTC, datetime, timedelta

import pytest

from ingest.engagement import EngagementService
from newsdesk.articles import ArticleRecord
from newsdesk.engagement import DEFAULT_VIEWS_PER_CLIENT_HOUR, RATE_LIMITED
from newsdesk.models import ArticleStatus
from tests.support.fakes import FakeEngagementStore

pytestmark = [pytest.mark.unit, pytest.mark.attack(9)]

NOW = datetime(2026, 11, 25, 10, 20, tzinfo=UTC)
BROWSER = "Mozilla/5.0 (X11; Linux x86_64; rv:128.0) Gecko/20100101 Firefox/128.0"
OFFICE = "198.51.100.7"


def article(article_id: str) -> ArticleRecord:
    return ArticleRecord(
        article_id=article_id,
        partner_id="oboronka-daily",
        uri=f"urn:x:{article_id}",
        revision=1,
        status=ArticleStatus.PUBLISHED,
        content_hash="0" * 64,
        archive_key="raw/x",
        normalized_key="normalized/x",
        headline="Заголовок",
        language="ru",
        section="defence-industry",
        outlet="Oboronka Daily",
        published_at=NOW,
        updated_at=NOW,
        received_at=NOW,
    )


@pytest.fixture
def store() -> FakeEngagementStore:
    return FakeEngagementStore(articles={"a1": article("a1"), "a2": article("a2")})


def service(store: FakeEngagementStore, bound: int = 60) -> EngagementService:
    return EngagementService(counters=store, articles=store, client_key=b"k" * 32, views_per_client=bound)


def views(article_id: str, visitors: range | list[str]) -> bytes:
    return json.dumps([{"type": "view", "article_id": article_id, "visitor": str(v)} for v in visitors]).encode()


def send(svc: EngagementService, body: bytes, address: str | None = OFFICE, at: datetime = NOW) -> dict[str, int]:
    outcome = svc.record(body, None, BROWSER, at, client_address=address)
    return {"accepted": outcome.accepted, **outcome.ignored_reasons}


def test_the_default_bound_lets_an_office_of_fifty_readers_count() -> None:
    from dataclasses import fields

    from newsdesk.settings import Settings

    (setting,) = [setting for setting in fields(Settings) if setting.name == "views_per_client_hour"]
    assert setting.default == DEFAULT_VIEWS_PER_CLIENT_HOUR >= 50


def test_a_thousand_made_up_visitors_from_one_address_count_as_the_bound(store: FakeEngagementStore) -> None:
    # Given one client sending 1,000 views of one article with 1,000 visitor ids of its own making
    svc = service(store)
    accepted, limited = 0, 0
    for start in range(0, 1000, 50):
        answer = send(svc, views("a1", range(start, start + 50)))
        accepted += answer["accepted"]
        limited += answer.get(RATE_LIMITED, 0)
    # Then only the bound counts; the rest is ignored, and said so
    assert accepted == 60 and limited == 940
    assert len(store.seen) == 60
    # And each request made one count update for its one article
    assert store.client_updates == 20


def test_fifty_distinct_visitors_behind_one_address_all_count(store: FakeEngagementStore) -> None:
    svc = service(store)
    answers = [send(svc, views("a1", [f"reader-{n}"])) for n in range(50)]
    assert all(answer == {"accepted": 1} for answer in answers)


def test_reloads_do_not_use_up_the_bound(store: FakeEngagementStore) -> None:
    # Given 59 readers behind one address, each reloading the page
    svc = service(store)
    for readers in (range(30), range(30, 59)):
        assert send(svc, views("a1", readers))["accepted"] == len(readers)
    for readers in (range(30), range(30, 59)):
        assert send(svc, views("a1", readers)) == {"accepted": 0, "duplicate": len(readers)}
    # Then a 60th reader still counts, and the 61st does not
    assert send(svc, views("a1", ["reader-60", "reader-61"])) == {"accepted": 1, RATE_LIMITED: 1}


def test_the_bound_is_per_article_per_hour_and_per_client(store: FakeEngagementStore) -> None:
    svc = service(store, bound=50)
    assert send(svc, views("a1", range(50)))["accepted"] == 50
    assert send(svc, views("a1", ["late"])) == {"accepted": 0, RATE_LIMITED: 1}
    # Another article, another client, the next hour: each has its own bound
    assert send(svc, views("a2", ["late"]))["accepted"] == 1
    assert send(svc, views("a1", ["late"]), address="198.51.100.8")["accepted"] == 1
    assert send(svc, views("a1", ["late"]), at=NOW + timedelta(hours=1))["accepted"] == 1


def test_one_host_cannot_rotate_through_its_ipv6_slash_64(store: FakeEngagementStore) -> None:
    svc = service(store, bound=50)
    answers = [send(svc, views("a1", [f"v{n}"]), address=f"2001:db8:7:7::{n:x}") for n in range(80)]
    assert sum(answer["accepted"] for answer in answers) == 50
    # Another /64 is another client
    assert send(svc, views("a1", ["next-door"]), address="2001:db8:7:8::1")["accepted"] == 1


def test_a_request_without_an_address_is_bounded_too(store: FakeEngagementStore) -> None:
    svc = service(store, bound=50)
    assert send(svc, views("a1", range(50)), address=None)["accepted"] == 50
    assert send(svc, views("a1", ["one-more"]), address="")[RATE_LIMITED] == 1


def test_a_batch_over_two_articles_splits_what_is_left_per_article(store: FakeEngagementStore) -> None:
    svc = service(store, bound=50)
    send(svc, views("a1", range(45)))
    body = json.dumps(
        [
            {"type": "view", "article_id": article_id, "visitor": f"n{n}"}
            for n in range(10)
            for article_id in ("a1", "a2")
        ]
    ).encode()
    assert send(svc, body) == {"accepted": 15, RATE_LIMITED: 5}
