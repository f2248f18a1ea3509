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
from bench.support.load_reconcile import Holdings, reconcile
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
