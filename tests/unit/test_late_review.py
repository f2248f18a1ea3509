"""Late hostile review of issue 7, rule level: snapshots rendered by a small converter instead of pydantic
(a899916) and the sort keys of a UTC day's counters (815f645).

Tests whose docstring starts with FINDING reproduce a problem found in review and fail until it is
fixed (the docstring says what happens and what should); the others are attacks that held, kept as
regression tests. The bytes pinned here were produced by the pydantic models of 69776ed (the release
before a899916) for the same values.
Against moto: tests/handler/test_late_review.py.
"""

from __future__ import annotations

import json
import re
from datetime import UTC, datetime, timedelta, timezone
from pathlib import Path
from typing import Any

import jsonschema_rs
import pytest

from newsdesk.dal.keys import (
    article_of_comment_sk,
    article_of_view_sk,
    comment_sk,
    counters_pk,
    hour_of_counter_sk,
    hours_range,
    view_sk,
)
from newsdesk.engagement import VIEW_SHARDS, hour_bucket, window_buckets
from newsdesk.models import ArticleStatus
from newsdesk.snapshots import json_schemas, parse, render
from newsdesk.snapshots.trending import (
    ArticleCountsSnapshot,
    CountersSnapshot,
    Rankings,
    TrendingEntrySnapshot,
    TrendingListsSnapshot,
    TrendingSnapshot,
)

pytestmark = pytest.mark.unit

ROOT = Path(__file__).resolve().parents[2]
MSK = timezone(timedelta(hours=3))
TEXT = '«Т-90М» "q" \\ \n \x7f \u2028 😀 </script>'


# --- Bytes: the converter writes what pydantic wrote ---------------------------------------------


def edge_rankings() -> Rankings:
    """Values whose spelling could drift: times with offsets, microseconds and a three-digit year, an
    enum in a text field, an integer past 2**53, a whole number for a float, nested lists and maps,
    sections in non-sorted, non-ASCII order."""
    entry = TrendingEntrySnapshot(
        id="a" + "b" * 24,
        headline=TEXT,
        published_at=datetime(999, 1, 1, 2, 30, 0, 999999, tzinfo=MSK),
        section=ArticleStatus.PUBLISHED,
        count=2**53 + 1,
        path="/v1/articles/x.json",
    )
    trending = TrendingSnapshot(
        generated_at=datetime(2027, 1, 1, 3, 0, 59, 999999, tzinfo=MSK),
        window_hours=48,
        half_life_minutes=360,
        min_count=3,
        most_read=[entry],
        most_discussed=[],
        sections={
            "я": TrendingListsSnapshot(most_read=[], most_discussed=[entry]),
            "a": TrendingListsSnapshot(most_read=[entry, entry], most_discussed=[]),
        },
    )
    counters = CountersSnapshot(
        generated_at=datetime(2026, 12, 31, 21, 0, tzinfo=UTC),
        window_hours=1,
        truncated=False,
        articles={
            "z": ArticleCountsSnapshot(views=0, comments=10**30),
            "a": ArticleCountsSnapshot(views=1, comments=0),
        },
    )
    return Rankings(trending=trending, counters=counters)


_ENTRY = (
    '{"id":"abbbbbbbbbbbbbbbbbbbbbbbb","headline":"«Т-90М» \\"q\\" \\\\ \\n \x7f \u2028 😀 </script>",'
    '"published_at":"0998-12-31T23:30:00Z","section":"published","count":9007199254740993,'
    '"path":"/v1/articles/x.json"}'
)
PYDANTIC_TRENDING = (
    '{"schema_version":"v1","kind":"trending","generated_at":"2027-01-01T00:00:59Z","window_hours":48,'
    f'"half_life_minutes":360.0,"min_count":3,"most_read":[{_ENTRY}],"most_discussed":[],'
    f'"sections":{{"я":{{"most_read":[],"most_discussed":[{_ENTRY}]}},'
    f'"a":{{"most_read":[{_ENTRY},{_ENTRY}],"most_discussed":[]}}}}}}\n'
)
PYDANTIC_COUNTERS = (
    '{"schema_version":"v1","kind":"counters","generated_at":"2026-12-31T21:00:00Z","window_hours":1,'
    '"truncated":false,"articles":{"z":{"views":0,"comments":1000000000000000000000000000000},'
    '"a":{"views":1,"comments":0}}}\n'
)


# The same file since issue 9: recently_discussed follows the sections, an empty list when there is none.
CURRENT_TRENDING = PYDANTIC_TRENDING.removesuffix("}\n") + ',"recently_discussed":[]}\n'


def test_trending_files_are_byte_for_byte_what_the_pydantic_models_wrote() -> None:
    trending, counters = edge_rankings().texts()
    assert trending == CURRENT_TRENDING
    assert counters == PYDANTIC_COUNTERS


@pytest.mark.parametrize(
    ("half_life", "spelled"),
    [(360, "360.0"), (0.1, "0.1"), (1e16, "1e+16"), (2**60, "1.152921504606847e+18"), (1, "1.0")],
)
def test_half_life_is_spelled_as_pydantic_spelled_it(half_life: float, spelled: str) -> None:
    snapshot = TrendingSnapshot(
        generated_at=datetime(2026, 1, 1, tzinfo=UTC),
        window_hours=720,
        half_life_minutes=half_life,
        min_count=1,
        most_read=[],
        most_discussed=[],
        sections={},
    )
    assert f'"half_life_minutes":{spelled},' in render(snapshot).decode("utf-8")


def test_edge_files_validate_against_their_published_schemas() -> None:
    for text in edge_rankings().texts():
        document = json.loads(text)
        validator = jsonschema_rs.Draft202012Validator(json_schemas()[document["kind"]])
        assert list(validator.iter_errors(document)) == []


def test_the_digest_ignores_only_the_generation_time() -> None:
    rankings = edge_rankings()
    later = Rankings.from_texts(
        *(text.replace("2027-01-01T00:00:59Z", "2027-01-01T00:05:00Z") for text in rankings.texts())
    )
    assert later.digest() == rankings.digest()
    fewer = Rankings.from_texts(rankings.texts()[0], PYDANTIC_COUNTERS.replace('"views":1,', '"views":2,'))
    assert fewer.digest() != rankings.digest()


# --- parse: what publish accepts from the TRENDING item ------------------------------------------


def test_a_trending_item_written_by_the_pydantic_release_is_published_unchanged() -> None:
    # publish re-renders what it parsed (publisher._write_trending): the bytes must survive the round
    # trip, but for the list added since (issue 9: an item stored before it has none, so it is empty)
    rankings = Rankings.from_texts(PYDANTIC_TRENDING, PYDANTIC_COUNTERS)
    assert rankings.texts() == (CURRENT_TRENDING, PYDANTIC_COUNTERS)
    assert Rankings.from_texts(CURRENT_TRENDING, PYDANTIC_COUNTERS).texts() == (CURRENT_TRENDING, PYDANTIC_COUNTERS)
    assert rankings.digest() == edge_rankings().digest()


def _trending(**changes: Any) -> str:
    document = json.loads(PYDANTIC_TRENDING)
    document.update(changes)
    return json.dumps(document, ensure_ascii=False)


@pytest.mark.parametrize(
    "text",
    [
        PYDANTIC_COUNTERS,  # the other file in the trending attribute
        _trending(kind="counters"),
        _trending(half_life_minutes="360"),
        _trending(half_life_minutes=True),
        _trending(window_hours=48.0),
        _trending(generated_at="2027-01-01T00:00:59"),  # no offset
        _trending(generated_at=1798761659),  # epoch seconds (pydantic's lax mode took them)
        _trending(most_read=None),
        _trending(sections={"a": {"most_read": [], "most_discussed": [], "extra": 1}}),
        _trending(sections={"a": []}),
        _trending(most_read=[{**json.loads(_ENTRY), "count": 30.0}]),
        _trending(most_read=[{**json.loads(_ENTRY), "count": True}]),
        _trending(most_read=[{k: v for k, v in json.loads(_ENTRY).items() if k != "path"}]),
        "[]",
        "",
    ],
)
def test_parse_refuses_a_trending_file_the_model_does_not_allow(text: str) -> None:
    with pytest.raises(ValueError):
        parse(TrendingSnapshot, text)


def test_parse_refuses_a_counters_file_the_model_does_not_allow() -> None:
    for spoil in ('"truncated":0', '"truncated":"false"'):
        with pytest.raises(ValueError):
            parse(CountersSnapshot, PYDANTIC_COUNTERS.replace('"truncated":false', spoil))
    with pytest.raises(ValueError):
        parse(CountersSnapshot, PYDANTIC_COUNTERS.replace('"views":1,', '"views":1.5,'))


@pytest.mark.parametrize(
    "text",
    [
        _trending(half_life_minutes=10**400),  # OverflowError from float()
        "[" * 100_000 + "]" * 100_000,  # RecursionError from json.loads
    ],
    ids=["integer-too-large-for-a-float", "nested-too-deeply"],
)
def test_parse_refuses_with_value_error_whatever_the_text(text: str) -> None:
    """FINDING (low, a899916). ``parse`` promises ValueError "when it is no JSON or does not fit", and
    Rankings.from_texts repeats it; pydantic's model_validate_json kept that promise (ValidationError).
    A number too large for a float raises OverflowError, a deeply nested text RecursionError. Only the
    trending function writes these texts, and publish fails the record on any exception, so the impact is
    a broken contract for callers that catch ValueError. What should happen: ValueError (or a subclass)."""
    with pytest.raises(ValueError):
        parse(TrendingSnapshot, text)


# --- Sort keys of a day's counters ----------------------------------------------------------------


def test_every_counter_of_an_hour_is_inside_its_range_and_no_other_hours_is() -> None:
    """Article ids of the events route are ``[a-z0-9][a-z0-9-]{0,79}``; shards 0-7."""
    hours = ["2026-12-31T22", "2026-12-31T23", "2027-01-01T00"]
    ids = ["0", "a", "z" * 80, "9-", "a" + "-" * 79, "comments", "views"]

    def keys_of(hour: str) -> list[str]:
        return [comment_sk(hour, i) for i in ids] + [view_sk(hour, i, s) for i in ids for s in range(VIEW_SHARDS)]

    low, high = hours_range("2026-12-31T23", "2026-12-31T23")
    assert all(low <= sk <= high for sk in keys_of("2026-12-31T23"))
    assert not any(low <= sk <= high for hour in hours if hour != "2026-12-31T23" for sk in keys_of(hour))
    # and each key names its hour and its article, never the other kind
    for sk in keys_of("2026-12-31T23"):
        assert hour_of_counter_sk(sk) == "2026-12-31T23"
        assert (article_of_view_sk(sk) is None) != (article_of_comment_sk(sk) is None)
        assert (article_of_view_sk(sk) or article_of_comment_sk(sk)) in ids


def test_a_window_groups_its_hours_by_utc_day_in_time_order() -> None:
    now = datetime(2027, 1, 1, 0, 30, tzinfo=UTC)
    window = window_buckets(now, 48)
    assert window[0] == "2027-01-01T00" and window[-1] == "2026-12-30T01" and len(set(window)) == 48
    assert sorted({counters_pk(hour) for hour in window}) == [
        "COUNTERS#2026-12-30",
        "COUNTERS#2026-12-31",
        "COUNTERS#2027-01-01",
    ]
    # Text order is time order for every hour a UTC clock can give (four-digit years)
    moments = [datetime(2026, 12, 31, 23, tzinfo=UTC) + timedelta(hours=n) for n in range(-30, 30)]
    assert sorted(hour_bucket(moment) for moment in moments) == [hour_bucket(moment) for moment in moments]


# --- Documentation of the counter layout ----------------------------------------------------------

STALE = re.compile(r"COUNTERS#\{hour\}|one Query each|one Query per hour|window hours \+ 3|TrendingWindowHours \+ 2")


@pytest.mark.parametrize("path", ["docs/engagement.md", "docs/design.md", "functions/trending/service.py"])
def test_the_documents_describe_the_day_partitions(path: str) -> None:
    """Fixed (was a finding against 815f645): the layout moved to ``COUNTERS#{day}`` with ``{hour}#…`` sort keys, but
    docs/design.md's table still names ``COUNTERS#{hour}``; docs/engagement.md still says the view counter
    writes ``COUNTERS#{hour}``, that a run "Queries the window's hours, one Query each", tabulates "now:
    COUNTERS#{hour} | 48" Queries and says the test checks "window hours + 3" calls (it checks days + 3);
    trending/service.py's docstring says "one Query per hour of the window … about TrendingWindowHours + 2
    calls". Issue 7 asks for stale doc references to go. What should happen: one description (one Query per
    UTC day the window spans)."""
    stale = [line.strip() for line in (ROOT / path).read_text(encoding="utf-8").splitlines() if STALE.search(line)]
    assert stale == []
