"""Trending rankings: decay, minimum counts, ties, per-section lists, unpublished articles, digest."""

from __future__ import annotations

import json
import random
from collections.abc import Collection, Mapping, Sequence
from datetime import UTC, datetime, timedelta

import jsonschema_rs
import pytest

from newsdesk.engagement import CommentCount, ViewCount, hour_bucket
from newsdesk.snapshots import (
    COUNTERS_PATH,
    TRENDING_PATH,
    ArticleCountsSnapshot,
    Rankings,
    TrendingEntrySnapshot,
    json_schemas,
    render,
)
from newsdesk.trending import (
    MAX_COUNTED_ARTICLES,
    ArticleActivity,
    ListedArticle,
    activity_by_article,
    build_trending,
    decay_weight,
    ranked,
)

pytestmark = pytest.mark.unit

NOW = datetime(2026, 11, 25, 10, 30, tzinfo=UTC)
HALF_LIFE = 360.0


def views(article_id: str, count: int, hours_ago: int = 0, section: str = "news") -> ViewCount:
    return ViewCount(article_id, hour_bucket(NOW - timedelta(hours=hours_ago)), count, section)


def comments(article_id: str, count: int, hours_ago: int = 0, section: str = "news") -> CommentCount:
    return CommentCount(article_id, hour_bucket(NOW - timedelta(hours=hours_ago)), count, section)


class Lookup:
    """Every article is published unless named in ``unpublished``; records each call's ids."""

    def __init__(self, unpublished: Collection[str] = (), sections: Mapping[str, str] | None = None) -> None:
        self.unpublished = set(unpublished)
        self.sections = sections or {}
        self.calls: list[set[str]] = []

    def __call__(self, article_ids: Collection[str]) -> dict[str, ListedArticle]:
        self.calls.append(set(article_ids))
        return {
            article_id: ListedArticle(
                article_id=article_id,
                headline=f"Заголовок {article_id}",
                published_at=datetime(2026, 11, 24, 8, tzinfo=UTC),
                section=self.sections.get(article_id, "news"),
            )
            for article_id in article_ids
            if article_id not in self.unpublished
        }


def build(
    activity: Mapping[str, ArticleActivity], lookup: Lookup | None = None, *, list_length: int = 10, min_count: int = 3
) -> Rankings:
    return build_trending(
        activity,
        lookup or Lookup(),
        now=NOW,
        list_length=list_length,
        min_count=min_count,
        window_hours=48,
        half_life_minutes=HALF_LIFE,
    )


def ids(entries: Sequence[TrendingEntrySnapshot]) -> list[str]:
    return [entry.id for entry in entries]


# --- decay -------------------------------------------------------------------------------------


def test_views_lose_half_their_weight_per_half_life() -> None:
    # The current hour weighs 1 (its middle is not in the past yet); one half-life later, 0.5
    assert decay_weight(hour_bucket(NOW), NOW, HALF_LIFE) == 1.0
    assert decay_weight(hour_bucket(NOW - timedelta(hours=6)), NOW, HALF_LIFE) == pytest.approx(0.5)
    assert decay_weight(hour_bucket(NOW - timedelta(hours=12)), NOW, HALF_LIFE) == pytest.approx(0.25)


def test_fresh_reading_outranks_more_but_older_reading() -> None:
    # Given 10 views half a day ago against 4 in the current hour
    activity = activity_by_article(
        [views("old-story", 10, hours_ago=12), views("new-story", 4)], [], now=NOW, half_life_minutes=HALF_LIFE
    )
    # Then the fresh story leads, while the entry still shows each story's raw count
    result = build(activity)
    assert ids(result.trending.most_read) == ["new-story", "old-story"]
    assert [entry.count for entry in result.trending.most_read] == [4, 10]
    # And with a long half-life the larger count wins again
    slow = activity_by_article(
        [views("old-story", 10, hours_ago=12), views("new-story", 4)], [], now=NOW, half_life_minutes=10_000
    )
    assert ids(build(slow).trending.most_read) == ["old-story", "new-story"]


def test_shards_of_one_hour_are_summed() -> None:
    activity = activity_by_article(
        [views("a1", 2), views("a1", 3), views("a1", 4, hours_ago=1)], [], now=NOW, half_life_minutes=HALF_LIFE
    )
    assert activity["a1"].views == 9


# --- minimum count, ties, determinism ----------------------------------------------------------


def test_an_article_below_the_minimum_count_never_trends() -> None:
    activity = activity_by_article(
        [views("one-view", 1), views("two-views", 2), views("three-views", 3)],
        [comments("one-comment", 1), comments("three-comments", 3)],
        now=NOW,
        half_life_minutes=HALF_LIFE,
    )
    result = build(activity, min_count=3)
    assert ids(result.trending.most_read) == ["three-views"]
    assert ids(result.trending.most_discussed) == ["three-comments"]


def test_ties_are_broken_by_article_id_whatever_the_input_order() -> None:
    # Given five articles with identical counts in identical hours, in shuffled order
    counts = [views(article_id, 5, hours_ago=2) for article_id in ("e", "b", "d", "a", "c")]
    shuffled = counts[:]
    random.Random(7).shuffle(shuffled)
    # When ranked from both orders
    first = build(activity_by_article(counts, [], now=NOW, half_life_minutes=HALF_LIFE))
    second = build(activity_by_article(shuffled, [], now=NOW, half_life_minutes=HALF_LIFE))
    # Then the order is by id, and the results are identical
    assert ids(first.trending.most_read) == ["a", "b", "c", "d", "e"]
    assert first.texts() == second.texts()


def test_heap_ranking_matches_a_full_sort() -> None:
    rng = random.Random(11)
    activities = [
        ArticleActivity(f"a{n:05d}", "news", rng.randint(0, 40), float(rng.randint(0, 30)), rng.randint(0, 9))
        for n in range(2000)
    ]
    for metric in ("most_read", "most_discussed"):
        expected = sorted(
            (a for a in activities if a.count(metric) >= 3), key=lambda a: (-a.score(metric), a.article_id)
        )
        assert list(ranked(activities, metric, 3)) == expected


# --- comments ----------------------------------------------------------------------------------


def test_the_newest_comment_count_in_the_window_counts() -> None:
    # Given a count of 9 sent an hour ago, then a corrected 6 this hour
    activity = activity_by_article(
        [], [comments("a1", 9, hours_ago=1), comments("a1", 6)], now=NOW, half_life_minutes=HALF_LIFE
    )
    assert activity["a1"].comments == 6


# --- unpublished articles and sections ---------------------------------------------------------


def test_an_unpublished_candidate_is_replaced_by_the_next_one() -> None:
    # Given three candidates, the best of which has been retracted, and lists of two
    activity = activity_by_article(
        [views("retracted", 50), views("second", 20), views("third", 10)], [], now=NOW, half_life_minutes=HALF_LIFE
    )
    lookup = Lookup(unpublished={"retracted"})
    # When
    result = build(activity, lookup, list_length=2)
    # Then the retracted story is nowhere, and the lookup took two rounds, asking once per id
    assert ids(result.trending.most_read) == ["second", "third"]
    assert "retracted" not in "".join(result.texts())
    assert lookup.calls == [{"retracted", "second"}, {"third"}]


def test_lists_per_section_are_ranked_within_the_section() -> None:
    activity = activity_by_article(
        [
            views("space-1", 30, section="space"),
            views("space-2", 5, section="space"),
            views("navy-1", 20, section="shipbuilding"),
        ],
        [comments("navy-1", 12, section="shipbuilding")],
        now=NOW,
        half_life_minutes=HALF_LIFE,
    )
    result = build(activity, Lookup(sections={"space-1": "space", "space-2": "space", "navy-1": "shipbuilding"}))
    assert ids(result.trending.most_read) == ["space-1", "navy-1", "space-2"]
    assert list(result.trending.sections) == ["shipbuilding", "space"]
    assert ids(result.trending.sections["space"].most_read) == ["space-1", "space-2"]
    assert ids(result.trending.sections["space"].most_discussed) == []
    assert ids(result.trending.sections["shipbuilding"].most_discussed) == ["navy-1"]
    assert result.counters.articles["navy-1"] == ArticleCountsSnapshot(views=20, comments=12)


# --- digest and what publish renders -----------------------------------------------------------


def test_the_digest_ignores_the_generation_time_but_not_the_counts() -> None:
    activity = activity_by_article([views("a1", 5)], [], now=NOW, half_life_minutes=HALF_LIFE)
    first = build(activity)
    later = build_trending(
        activity,
        Lookup(),
        now=NOW + timedelta(minutes=5),
        list_length=10,
        min_count=3,
        window_hours=48,
        half_life_minutes=HALF_LIFE,
    )
    assert later.trending.generated_at != first.trending.generated_at
    assert later.digest() == first.digest()
    more = build(activity_by_article([views("a1", 6)], [], now=NOW, half_life_minutes=HALF_LIFE))
    assert more.digest() != first.digest()


def sidebar_rankings() -> Rankings:
    activity = {
        "a1": ArticleActivity("a1", "space", 7, 6.5, 4, NOW - timedelta(minutes=20)),
        # every comment deleted since its last one: still recently discussed, with 0
        "a2": ArticleActivity("a2", "space", 1, 1.0, 0, NOW - timedelta(minutes=10)),
        "b1": ArticleActivity("b1", "defence-industry", 30, 12.25, 15, NOW - timedelta(hours=30)),
        "c9": ArticleActivity("c9", "", 5, 5.0, 3),
    }
    sections = {"a1": "space", "a2": "space", "b1": "defence-industry", "c9": "news"}
    return build(activity, Lookup(sections=sections))


def entry(article_id: str, section: str, count: int) -> str:
    return (
        f'{{"id":"{article_id}","headline":"Заголовок {article_id}","published_at":"2026-11-24T08:00:00Z",'
        f'"section":"{section}","count":{count},"path":"/v1/articles/{article_id}.json"}}'
    )


def discussed(article_id: str, section: str, count: int, at: str) -> str:
    return (
        f'{{"id":"{article_id}","headline":"Заголовок {article_id}","published_at":"2026-11-24T08:00:00Z",'
        f'"section":"{section}","count":{count},"last_comment_at":"2026-11-25T{at}:00Z",'
        f'"path":"/v1/articles/{article_id}.json"}}'
    )


def test_the_files_are_byte_for_byte_what_the_frontend_reads() -> None:
    # The bytes the frontend depends on (the same as those rendered before trending had one model)
    files = {path: render(model).decode("utf-8") for path, model in sidebar_rankings().files().items()}
    b1_read, a1_read, c9_read = entry("b1", "defence-industry", 30), entry("a1", "space", 7), entry("c9", "news", 5)
    b1_talk, a1_talk, c9_talk = entry("b1", "defence-industry", 15), entry("a1", "space", 4), entry("c9", "news", 3)
    assert files == {
        TRENDING_PATH: (
            '{"schema_version":"v1","kind":"trending","generated_at":"2026-11-25T10:30:00Z","window_hours":48,'
            '"half_life_minutes":360.0,"min_count":3,'
            f'"most_read":[{b1_read},{a1_read},{c9_read}],"most_discussed":[{b1_talk},{a1_talk},{c9_talk}],'
            f'"sections":{{"defence-industry":{{"most_read":[{b1_read}],"most_discussed":[{b1_talk}]}},'
            f'"space":{{"most_read":[{a1_read}],"most_discussed":[{a1_talk}]}}}},'
            f'"recently_discussed":[{discussed("a2", "space", 0, "10:20")},{discussed("a1", "space", 4, "10:10")}]}}\n'
        ),
        COUNTERS_PATH: (
            '{"schema_version":"v1","kind":"counters","generated_at":"2026-11-25T10:30:00Z","window_hours":48,'
            '"truncated":false,"articles":{"a1":{"views":7,"comments":4},"a2":{"views":1,"comments":0},'
            '"b1":{"views":30,"comments":15},"c9":{"views":5,"comments":3}}}\n'
        ),
    }


def test_the_stored_texts_validate_back_into_the_same_models_and_bytes() -> None:
    rankings = sidebar_rankings()
    trending, counters = rankings.texts()
    again = Rankings.from_texts(trending, counters)
    assert again == rankings
    assert again.texts() == (trending, counters) and again.digest() == rankings.digest()
    assert {path: render(model) for path, model in again.files().items()} == {
        TRENDING_PATH: trending.encode("utf-8"),
        COUNTERS_PATH: counters.encode("utf-8"),
    }


def test_the_files_validate_against_their_published_schemas() -> None:
    trending, counters = sidebar_rankings().texts()
    for kind, text in (("trending", trending), ("counters", counters)):
        validator = jsonschema_rs.Draft202012Validator(json_schemas()[kind])
        assert list(validator.iter_errors(json.loads(text))) == []


def test_stored_texts_that_do_not_fit_the_models_are_refused() -> None:
    trending, counters = sidebar_rankings().texts()
    document = json.loads(trending)
    document["most_read"][0]["onclick"] = "alert(1)"
    with pytest.raises(ValueError):
        Rankings.from_texts(json.dumps(document), counters)


def test_counts_are_kept_for_the_most_active_articles_only() -> None:
    # Given three articles less active than the limit's worth of others
    activity = {f"a{n:05d}": ArticleActivity(f"a{n:05d}", "news", 2, 0.0, 1) for n in range(MAX_COUNTED_ARTICLES)}
    activity |= {f"low-{n}": ArticleActivity(f"low-{n}", "news", 1, 0.0, 0) for n in range(3)}
    # When
    counters = build(activity, min_count=100).counters
    # Then the three are left out, the file says so, and the rest are in id order
    assert counters.truncated is True
    assert len(counters.articles) == MAX_COUNTED_ARTICLES
    assert not any(article_id.startswith("low-") for article_id in counters.articles)
    assert list(counters.articles) == sorted(counters.articles)
