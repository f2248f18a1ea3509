"""Late hostile review of issue 7, against moto: counters of a UTC day in one partition (815f645) and
revision items that keep only what a retry cannot compute again (0594d8d).

Tests whose docstring starts with FINDING reproduce a problem found in review and fail until it is
fixed (the docstring says what happens and what should); the others are attacks that held, kept as
regression tests. Rule-level checks of the same review: tests/unit/test_late_review.py.
"""

from __future__ import annotations

from dataclasses import replace
from datetime import UTC, datetime, timedelta
from typing import Any

import pytest

from newsdesk.articles import utc_text
from newsdesk.dal import clients as aws
from newsdesk.dal.archive import Archive
from newsdesk.dal.articles import ArticleStore
from newsdesk.dal.engagement import CounterStore
from newsdesk.dal.items import from_item
from newsdesk.engagement import CommentCount, ViewIncrement, hour_bucket, window_buckets
from newsdesk.models import Validated
from tests.conftest import Partner, Stack
from tests.handler.ninjs_builders import article_doc, encode
from tests.handler.test_ingest_api import on_article, post
from tests.handler.test_ingest_resilience import assert_consistent, fail_once, revision_items
from tests.support.aws_calls import AwsCalls

pytestmark = pytest.mark.handler

HOUR = timedelta(hours=1)


# --- Counters of a UTC day share one partition: windows over day, month and year boundaries ------


def hours_around(window: set[str], now: datetime) -> set[str]:
    """Hours to write counters in: both ends of the window and their neighbours outside it, and the
    first and last hour of every UTC day from the day before the window to the day after."""
    first = datetime.strptime(min(window), "%Y-%m-%dT%H").replace(tzinfo=UTC)
    last = datetime.strptime(max(window), "%Y-%m-%dT%H").replace(tzinfo=UTC)
    hours = {hour_bucket(moment) for moment in (first - HOUR, first, last, last + HOUR, now + 2 * HOUR)}
    day = (first - timedelta(days=1)).replace(hour=0)
    while day <= last + timedelta(days=1):
        hours |= {hour_bucket(day), hour_bucket(day + 23 * HOUR)}
        day += timedelta(days=1)
    return hours


def write_counters(counters: CounterStore, hours: set[str], now: datetime) -> None:
    """One view counter and one comment count per hour, through the very methods the view counter
    function and the events route write with."""
    counters.add_views([ViewIncrement(f"v-{hour}", hour, 1, "news") for hour in sorted(hours)])
    counters.set_comment_counts([CommentCount(f"c-{hour}", hour, 5, "news") for hour in sorted(hours)], now)


def read_window(stack: Stack, now: datetime, window_hours: int) -> tuple[set[str], set[str], int]:
    """Hours of the views and comment counts a trending run at ``now`` reads, and its Queries."""
    client = aws.dynamodb_client()
    counters = CounterStore(stack.table_name, client)
    calls = AwsCalls().watch(client)
    try:
        views, comments = counters.counts_in_window(window_buckets(now, window_hours))
    finally:
        calls.stop()
    # Each item is read back under the hour it was written for
    assert all(view.article_id == f"v-{view.hour}" and view.views == 1 for view in views)
    assert all(count.article_id == f"c-{count.hour}" and count.count == 5 for count in comments)
    return {view.hour for view in views}, {count.hour for count in comments}, calls.count("Query")


@pytest.mark.parametrize(
    ("now", "window_hours", "days"),
    [
        # 48 hours ending half an hour into a new year: three days, two months, two years
        (datetime(2027, 1, 1, 0, 30, tzinfo=UTC), 48, 3),
        # one hour, at the first minute of a day: only that hour, not yesterday's last one
        (datetime(2026, 11, 25, 0, 0, tzinfo=UTC), 1, 1),
        # one hour, at the last second of a day
        (datetime(2026, 11, 25, 23, 59, 59, tzinfo=UTC), 1, 1),
        # 30 days over a leap day and a month end (longer than the template allows; the CLI does not stop it)
        (datetime(2028, 3, 1, 5, 15, tzinfo=UTC), 720, 31),
        # the template's longest window, exactly 14 days ending on the last hour of a day
        (datetime(2026, 12, 31, 23, 0, tzinfo=UTC), 336, 14),
    ],
)
def test_a_window_reads_exactly_its_hours_with_one_query_per_day(
    stack: Stack, now: datetime, window_hours: int, days: int
) -> None:
    # Given counters at both ends of the window, just outside it (in the same day partitions), and at
    # the first and last hour of every day around it
    window = set(window_buckets(now, window_hours))
    assert len(window) == window_hours
    written = hours_around(window, now)
    write_counters(CounterStore(stack.table_name), written, now)
    # When a run reads the window
    view_hours, comment_hours, queries = read_window(stack, now, window_hours)
    # Then it reads every one of those hours inside the window and none outside, with one Query per UTC day
    assert view_hours == comment_hours == written & window
    assert {min(window), max(window)} <= view_hours and len(written - window) >= 3
    assert len({hour[:10] for hour in window}) == days == queries


def test_counters_written_by_the_view_counter_and_the_comment_route_are_the_ones_the_run_reads(
    stack: Stack,
) -> None:
    """A late stream batch counts a view in yesterday's last hour after midnight: it lands in
    yesterday's partition, under the hour of the visit, where a run after midnight looks."""
    now = datetime(2027, 1, 1, 0, 5, tzinfo=UTC)
    counters = CounterStore(stack.table_name)
    last_year = hour_bucket(now - HOUR)
    assert last_year == "2026-12-31T23"
    counters.add_views([ViewIncrement("a1", last_year, 3, "news"), ViewIncrement("a1", hour_bucket(now), 2, "news")])
    counters.set_comment_counts([CommentCount("a1", last_year, 7, "news")], now)
    counters.set_comment_counts([CommentCount("a1", hour_bucket(now), 9, "news")], now)
    views, comments = counters.counts_in_window(window_buckets(now, 2))
    assert sorted((view.hour, view.views) for view in views) == [("2026-12-31T23", 3), ("2027-01-01T00", 2)]
    assert sorted((count.hour, count.count) for count in comments) == [("2026-12-31T23", 7), ("2027-01-01T00", 9)]
    # An article id that sorts after every letter still falls inside its hour's range, and the next
    # hour's first item outside it
    counters.add_views([ViewIncrement("zzzz-9999", "2026-12-31T22", 1, "news")])
    counters.add_views([ViewIncrement("0", "2027-01-01T01", 1, "news")])
    views, _ = counters.counts_in_window(["2026-12-31T22"])
    assert [view.article_id for view in views] == ["zzzz-9999"]


# --- A retry that adopts the first attempt's revision item ---------------------------------------


def a_new_release_of_the_normalizer(monkeypatch: pytest.MonkeyPatch, headline: str) -> None:
    """Stand in for a deploy between the crash and the retry: the same raw bytes now normalize
    differently (what `newsdesk reprocess` exists for)."""
    from ingest import service

    original = service.validate_document

    def validate(document: object, *, default_language: str) -> Validated:
        validated = original(document, default_language=default_language)
        return replace(validated, content=replace(validated.content, headline=headline))

    monkeypatch.setattr(service, "validate_document", validate)


def test_a_retry_across_a_release_leaves_a_record_that_agrees_with_its_normalized_article(
    stack: Stack, partner: Partner, lambda_context: Any, monkeypatch: pytest.MonkeyPatch
) -> None:
    """Fixed (was a finding against 0594d8d): put_revision_item adopted ``normalized_key`` from the first
    attempt's item but took headline, lead, image_url, language, warnings from the retry.
    When the normalized form of the
    same bytes changed in between (a deploy; also a partner whose language changed, since ingest
    normalizes with the key's language), CURRENT names the first attempt's normalized article while its
    teaser fields come from the retry's: lists and trending show one headline, the article page and
    GET another, until someone runs `newsdesk reprocess`. Before 0594d8d the whole first record was
    adopted and the two agreed. What should happen: the record and the normalized article it names come
    from one normalization — e.g. do not adopt ``normalized_key`` (the retry wrote its own object, at a
    key derived from its content, before the revision item), or adopt the content fields too."""
    # Given a POST whose revision item was written, and whose CURRENT write failed
    fail_once(aws.dynamodb_client(), "PutItem", after_the_call=False, occurrence=2)
    raw = encode(article_doc("urn:x:across-a-release"))
    assert post(partner, raw, lambda_context)[0] == 500
    # When a new release normalizes headlines differently, and the partner retries the same bytes
    a_new_release_of_the_normalizer(monkeypatch, "Заголовок новой версии")
    status, _, created = post(partner, raw, lambda_context)
    assert status == 201
    # Then the record and the normalized article it names say the same thing
    record = ArticleStore(stack.table_name).get(created["id"])
    assert record is not None
    normalized = Archive(stack.archive_bucket).get_normalized(record.normalized_key)
    assert normalized["headline"] == record.headline
    status, _, body = on_article("GET", partner, created["id"], lambda_context)
    assert status == 200 and body["article"]["headline"] == record.headline


def test_a_retry_with_the_same_release_completes_the_revision_as_first_written(
    stack: Stack, partner: Partner, lambda_context: Any
) -> None:
    """Held: the first attempt's times, status and raw bytes win, even when the retry serializes the
    document differently; the record names objects that exist and agree with it."""
    # Given a POST of an embargoed story whose revision item was written, and whose CURRENT write failed
    doc = article_doc("urn:x:same-release", embargoed="2099-01-01T00:00:00Z")
    fail_once(aws.dynamodb_client(), "PutItem", after_the_call=False, occurrence=2)
    assert post(partner, encode(doc), lambda_context)[0] == 500
    (orphan,) = [from_item(item) for item in revision_items(stack)]
    # When the partner retries the same document, indented
    status, _, created = post(partner, encode(doc, indent=2), lambda_context)
    # Then the revision the first attempt began is completed as it was written
    assert status == 201 and created["status"] == "embargoed" and created["revision"] == 1
    record = ArticleStore(stack.table_name).get(created["id"])
    assert record is not None
    assert (record.archive_key, record.normalized_key) == (orphan["archive_key"], orphan["normalized_key"])
    assert (utc_text(record.received_at), utc_text(record.updated_at)) == (
        orphan["received_at"],
        orphan["updated_at"],
    )
    archive = Archive(stack.archive_bucket)
    assert archive.get_raw(record.archive_key) == encode(doc)
    assert archive.get_normalized(record.normalized_key)["headline"] == record.headline
    assert_consistent(stack)


# --- Client text that outgrows a DynamoDB item ----------------------------------------------------

ITEM_LIMIT = 400 * 1024  # DynamoDB's item size limit (moto enforces it too)


def oversized(field: str) -> bytes:
    """A valid ninjs document under the 1 MiB body limit whose ``field`` alone outgrows a table item."""
    big = "x" * (ITEM_LIMIT + 10_000)
    if field == "unknown-field-names":
        # each unknown field is reported as a warning naming its pointer; the record keeps the warnings
        doc = article_doc("urn:x:oversized")
        for n in range(28):
            doc[f"{n:02d}" + "k" * 15_000] = 1
        return encode(doc)
    return encode(article_doc("urn:x:oversized", **{field: big}))


@pytest.mark.parametrize("field", ["headline", "version", "unknown-field-names"])
@pytest.mark.attack(1)
def test_a_document_whose_text_outgrows_a_table_item_is_a_4xx_not_a_500(
    stack: Stack, partner: Partner, lambda_context: Any, field: str
) -> None:
    """Fixed (a finding of the late review; also before issue 7): neither the headline, nor ``version``,
    nor the warnings (one per unknown field, naming its pointer) were bounded, and the record (CURRENT, and the revision
    item for ``version``) carries them: a valid document of ~420 KB makes PutItem fail with
    "ValidationException: Item size has exceeded the maximum allowed size", answered as a retryable 500
    ("the request can be retried"), so the partner retries it for ever. The lead is shortened to 400
    characters and the uri capped at 1,024; these are not. What should happen: a 422 naming the field
    (or the stored teaser fields shortened, as the lead is), never a 500."""
    raw = oversized(field)
    assert len(raw) < 1024 * 1024
    status, _, body = post(partner, raw, lambda_context)
    assert status < 500, body
    if status == 201:
        assert on_article("GET", partner, body["id"], lambda_context)[0] == 200


def test_one_story_with_a_long_headline_does_not_stop_the_rankings_of_the_whole_site(
    stack: Stack, partner: Partner, lambda_context: Any
) -> None:
    """Fixed (a finding of the late review: one partner's story froze trending site-wide). The TRENDING
    item stores trending.json's text, in which a listed story's headline appears once per list it is in.
    A 120 KB headline (60,000 Cyrillic letters) made that text ~480 KB and every trending run failed on
    DynamoDB's item limit while the story stayed in the window. Headlines are now bounded at ingest
    (1,000 characters): such a document is refused, and the longest accepted headline trends."""
    from newsdesk.settings import Settings
    from trending.service import run_trending

    # Given a document with a 60,000-letter headline: refused, with the pointer and the limit
    status, _, problem = post(partner, encode(article_doc("urn:x:long", headline="Т" * 60_000)), lambda_context)
    assert status == 422 and problem["errors"][0]["pointer"] == "/headlines/0/value"
    assert "at most" in problem["errors"][0]["message"]  # 10,000 for any headline value, 1,000 for the main one
    # And a story with the longest headline accepted, read and discussed in the window
    status, _, created = post(partner, encode(article_doc("urn:x:long", headline="Т" * 1_000)), lambda_context)
    assert status == 201
    now = datetime(2026, 11, 25, 12, 30, tzinfo=UTC)
    counters = CounterStore(stack.table_name)
    counters.add_views([ViewIncrement(created["id"], hour_bucket(now), 10, created["section"])])
    counters.set_comment_counts([CommentCount(created["id"], hour_bucket(now), 10, created["section"])], now)
    # When the timer runs trending
    settings = Settings(table_name=stack.table_name, archive_bucket=stack.archive_bucket)
    report = run_trending(now, counters=counters, settings=settings)
    # Then the rankings were written, and list the story
    stored = counters.get_trending()
    assert report.written and stored is not None
    assert created["id"] in stored.trending
