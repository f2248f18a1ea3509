"""The pure rules of counters that last (issue 9): what a new comment is, which stories are
recently discussed and in what order, and the counts file's bytes, schema and headers."""

from __future__ import annotations

import json
from collections.abc import Collection
from datetime import UTC, datetime, timedelta

import jsonschema_rs
import pytest

from newsdesk.engagement import CommentCount, hour_bucket, is_new_comment
from newsdesk.snapshots import (
    CountsSnapshot,
    Rankings,
    cache_control_for,
    counts_path,
    json_schemas,
    render,
)
from newsdesk.trending import ArticleActivity, ListedArticle, activity_by_article, build_trending

pytestmark = pytest.mark.unit

NOW = datetime(2026, 11, 25, 10, 30, tzinfo=UTC)


@pytest.mark.parametrize(
    ("before", "count", "new"),
    [(None, 1, True), (None, 0, False), (3, 4, True), (3, 3, False), (3, 0, False), (0, 1, True)],
)
def test_a_new_comment_is_a_count_that_went_up(before: int | None, count: int, new: bool) -> None:
    assert is_new_comment(before, count) is new


def lookup(unpublished: Collection[str] = ()) -> object:
    def find(article_ids: Collection[str]) -> dict[str, ListedArticle]:
        return {
            article_id: ListedArticle(article_id, f"Заголовок {article_id}", NOW - timedelta(days=1), "news")
            for article_id in article_ids
            if article_id not in unpublished
        }

    return find


def activity(article_id: str, comments: int, minutes_ago: float | None) -> ArticleActivity:
    commented = None if minutes_ago is None else NOW - timedelta(minutes=minutes_ago)
    return ArticleActivity(article_id, "news", 0, 0.0, comments, commented)


def discussed(
    activities: list[ArticleActivity], *, unpublished: Collection[str] = (), **settings: int
) -> list[tuple[str, int]]:
    rankings = build_trending(
        {item.article_id: item for item in activities},
        lookup(unpublished),  # type: ignore[arg-type]
        now=NOW,
        list_length=10,
        min_count=3,
        window_hours=settings.pop("window_hours", 48),
        half_life_minutes=360.0,
        **settings,
    )
    return [(entry.id, entry.count) for entry in rankings.trending.recently_discussed]


def test_recently_discussed_is_newest_comment_first_with_any_count_ties_by_id() -> None:
    stories = [
        activity("old", 40, 60 * 30),  # outside the default 24 hours
        activity("one", 1, 5),
        activity("zero", 0, 20),  # every comment deleted since
        activity("b-tie", 2, 50),
        activity("a-tie", 7, 50),
        activity("never", 0, None),
    ]
    assert discussed(stories) == [("one", 1), ("zero", 0), ("a-tie", 7), ("b-tie", 2)]


def test_recently_discussed_thresholds_are_settings() -> None:
    stories = [activity("one", 1, 5), activity("zero", 0, 20), activity("old", 40, 60 * 30)]
    assert discussed(stories, recent_min_comments=1) == [("one", 1)]
    assert discussed(stories, recent_hours=48) == [("one", 1), ("zero", 0), ("old", 40)]
    assert discussed(stories, recent_hours=48, recent_length=2) == [("one", 1), ("zero", 0)]
    # never longer than the window: only the window's counters are read
    assert discussed(stories, recent_hours=48, window_hours=24) == [("one", 1), ("zero", 0)]


def test_an_unpublished_story_is_skipped_and_the_next_one_taken() -> None:
    stories = [activity("one", 1, 5), activity("gone", 3, 10), activity("zero", 0, 20)]
    assert discussed(stories, unpublished={"gone"}, recent_length=2) == [("one", 1), ("zero", 0)]


def test_the_last_comment_time_is_the_latest_of_the_window_and_the_count_the_newest_hours() -> None:
    earlier, later = hour_bucket(NOW - timedelta(hours=3)), hour_bucket(NOW)
    first_comment = NOW - timedelta(hours=3)
    counts = [
        CommentCount("a", earlier, 3, "news", first_comment),
        # later, two comments deleted: the time of the last new comment stays
        CommentCount("a", later, 1, "news", first_comment),
        # a bucket written before the time was recorded
        CommentCount("b", later, 2, "news"),
    ]
    folded = activity_by_article([], counts, now=NOW, half_life_minutes=360.0)
    assert (folded["a"].comments, folded["a"].last_comment_at) == (1, first_comment)
    assert folded["b"].last_comment_at is None


def test_a_withdrawn_story_leaves_recently_discussed_with_the_other_lists() -> None:
    rankings = build_trending(
        {"a": activity("a", 1, 5), "b": activity("b", 4, 9)},
        lookup(),  # type: ignore[arg-type]
        now=NOW,
        list_length=10,
        min_count=3,
        window_hours=48,
        half_life_minutes=360.0,
    )
    assert "a" in rankings.article_ids()
    kept = rankings.without({"a"})
    assert [entry.id for entry in kept.trending.recently_discussed] == ["b"]
    assert "a" not in kept.article_ids()


def test_rankings_stored_before_the_list_existed_read_back_with_it_empty() -> None:
    rankings = build_trending(
        {"b": activity("b", 4, 9)},
        lookup(),  # type: ignore[arg-type]
        now=NOW,
        list_length=10,
        min_count=3,
        window_hours=48,
        half_life_minutes=360.0,
    )
    trending, counters = rankings.texts()
    document = json.loads(trending)
    del document["recently_discussed"]
    old = Rankings.from_texts(json.dumps(document, ensure_ascii=False), counters)
    assert old.trending.recently_discussed == []


def test_the_counts_file_is_small_pinned_and_valid_against_its_schema() -> None:
    snapshot = CountsSnapshot(id="a1", views=3_816, comments=14, updated_at=NOW)
    body = render(snapshot)
    assert body == (
        b'{"schema_version":"v1","kind":"counts","id":"a1","views":3816,"comments":14,'
        b'"updated_at":"2026-11-25T10:30:00Z"}\n'
    )
    validator = jsonschema_rs.Draft202012Validator(json_schemas()["counts"])
    assert list(validator.iter_errors(json.loads(body))) == []
    assert counts_path("a1") == "v1/counts/a1.json"
    assert cache_control_for(counts_path("a1")) == "public, max-age=60"
    with pytest.raises(ValueError):
        counts_path("../articles/a1")
