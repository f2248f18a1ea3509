"""A short ``make load`` (bench/load.py) on the local stack: concurrent clients, several partners,
articles, views and comment counts; afterwards everything accepted must reconcile exactly.

The full run (10,000 articles, 200,000 events, bounded in time) is ``make load``; this one is small
enough for ``make test``. Its bound in time only stops the sending: whatever was accepted until
then must still be in the table, the archive and the snapshots, and counted.
"""

from __future__ import annotations

from collections import Counter
from typing import Any

import pytest

from bench.load import run_load
from bench.support.load_reconcile import Holdings, reconcile, reconcile_settled
from bench.support.load_traffic import ArticleState, LoadPlan, Outcome, PartnerKey
from tests.http.conftest import LocalApi

pytestmark = pytest.mark.http

SHORT = LoadPlan(articles=40, events=800, seconds=60.0, clients=4, partners=3)


def test_a_short_load_reconciles_exactly(local_api: LocalApi) -> None:
    # Given the local stack, when 4 clients send 40 articles of 3 partners and 800 events
    result = run_load(SHORT, local_api.info, settle_timeout=120.0, say=lambda _message: None)
    # Then every accepted article and event is where it should be, and the figures say so
    assert result.failures == []
    figures = result.figures
    assert figures["articles"]["accepted"] == len(result.outcome.articles) > 0
    assert figures["held"]["articles_current"] == figures["articles"]["accepted"]
    assert figures["held"]["views_counted"] == figures["events"]["views_accepted"] > 0
    assert figures["held"]["dedupe_records"] == figures["events"]["views_accepted"]
    assert figures["events"]["comments_accepted"] == figures["events"]["comments_sent"]
    # (every refused article was one sent without a body, on purpose)
    assert set(figures["articles"]["refused"]) <= {"422"}


class PagesOfRevision:
    """A stand-in for the stack reader: every article page is at the revision given."""

    def __init__(self, revisions: dict[str, int]) -> None:
        self.revisions = revisions

    def snapshot(self, key: str) -> dict[str, Any] | None:
        article_id = key.removeprefix("v1/articles/").removesuffix(".json")
        if article_id in self.revisions:
            return {"kind": "article", "revision": self.revisions[article_id]}
        return {"items": []}


def test_reconcile_lists_every_kind_of_mismatch() -> None:
    # Given two accepted articles, views and a comment count the API accepted
    partner = PartnerKey("p", "k", "ru", "news")
    outcome = Outcome()
    for article_id in ("a1", "a2"):
        outcome.articles[article_id] = ArticleState(article_id, f"urn:{article_id}", partner, 0, 2, {}, b"")
    outcome.expected_views = Counter({("a1", "2026-11-30T10"): 5})
    outcome.views_accepted = 5
    outcome.expected_comments = {("a1", "2026-11-30T10"): 7}
    # When the stack lost a2, holds a1 at an older revision with its normalized object missing,
    # counted a view twice and kept an older comment count
    held = Holdings(
        articles={"a1": {"revision": 1, "status": "published", "archive_key": "raw/a1", "normalized_key": "n/a1"}},
        views=Counter({("a1", "2026-11-30T10"): 6}),
        comments={("a1", "2026-11-30T10"): 6},
        dedupe_records=5,
        archive_keys={"raw/a1"},
        snapshot_keys={"v1/articles/a1.json"},
    )
    failures = reconcile(PagesOfRevision({"a1": 1}), outcome, held)  # type: ignore[arg-type]
    # Then each is listed
    text = "\n".join(failures)
    assert "a2 (urn:a2) was accepted but is not in the table" in text
    assert "a1: revision 1 in the table, 2 accepted" in text
    assert "normalized_key 'n/a1' is not in the archive bucket" in text
    assert "no page v1/articles/a2.json" in text
    assert "a1: page ('article', 1), expected an article at revision 2" in text
    assert "views of a1 in hour 2026-11-30T10: 6 counted, 5 accepted" in text
    assert "comments of a1 in hour 2026-11-30T10: 6 stored, 7 last accepted" in text


class ListWrittenLate(PagesOfRevision):
    """Every page is there, but the lists show the article only from the ``late``-th read of
    ``v1/latest.json`` on: publish writes a batch's pages first and its lists at the end of the batch."""

    def __init__(self, revisions: dict[str, int], held: Holdings, late: int) -> None:
        super().__init__(revisions)
        self.held = held
        self.late = late
        self.list_reads = 0

    def snapshot(self, key: str) -> dict[str, Any] | None:
        if key.startswith("v1/articles/"):
            return super().snapshot(key)
        self.list_reads += key == "v1/latest.json"
        written = self.list_reads >= self.late
        return {"items": [{"id": article_id} for article_id in self.revisions] if written else []}

    def holdings(self) -> Holdings:
        return self.held

    def fingerprint(self) -> tuple[int, ...]:
        # The bucket changes when the list is written.
        return (int(self.list_reads >= self.late),)


def one_published_article() -> tuple[Outcome, Holdings]:
    partner = PartnerKey("p", "k", "ru", "news")
    outcome = Outcome()
    outcome.articles["a1"] = ArticleState("a1", "urn:a1", partner, 0, 1, {}, b"")
    item = {
        "revision": 1,
        "status": "published",
        "archive_key": "raw/a1",
        "normalized_key": "n/a1",
        "list_sk": "2026-11-30T10:00:00Z#a1",
        "section": "news",
        "partner_id": "p",
    }
    held = Holdings(articles={"a1": item}, archive_keys={"raw/a1", "n/a1"}, snapshot_keys={"v1/articles/a1.json"})
    return outcome, held


class FakeClock:
    def __init__(self) -> None:
        self.now = 0.0

    def __call__(self) -> float:
        return self.now

    def sleep(self, seconds: float) -> None:
        self.now += seconds


def test_lists_written_after_the_pages_are_waited_for() -> None:
    # Given a stack whose every page is there while its list is still being written (the short
    # load failed so: "v1/sections/space.json: lists 0 articles, 0 of the 6 newest")
    outcome, held = one_published_article()
    reader = ListWrittenLate({"a1": 1}, held, late=3)
    clock = FakeClock()
    # When the load reconciles what has settled
    _held, failures = reconcile_settled(
        reader,  # type: ignore[arg-type]
        outcome,
        timeout=60.0,
        quiet_seconds=10.0,
        clock=clock,
        sleep=clock.sleep,
    )
    # Then it read again until the list was there, and nothing is missing
    assert failures == []
    assert reader.list_reads == 3


def test_a_list_that_never_comes_is_reported_once_the_stack_is_quiet() -> None:
    # Given a stack that never writes the list, when the load reconciles what has settled
    outcome, held = one_published_article()
    reader = ListWrittenLate({"a1": 1}, held, late=10**6)
    clock = FakeClock()
    _held, failures = reconcile_settled(
        reader,  # type: ignore[arg-type]
        outcome,
        timeout=600.0,
        quiet_seconds=10.0,
        clock=clock,
        sleep=clock.sleep,
    )
    # Then, nothing having changed for the quiet period, the missing story is reported
    assert failures and "v1/latest.json: lists 0 articles, 0 of the 1 newest" in failures[0]
    assert 10.0 <= clock.now < 20.0
