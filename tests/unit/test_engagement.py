"""Engagement domain rules: the batch envelope, event validation, crawlers, buckets, aggregation."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta, timezone

import pytest

from newsdesk.dal.keys import (
    article_and_hour_of_seen_pk,
    article_of_comment_sk,
    article_of_view_sk,
    comment_sk,
    counters_pk,
    hour_of_counter_sk,
    hours_range,
    seen_pk,
    view_sk,
)
from newsdesk.engagement import (
    MALFORMED,
    NewVisit,
    admitted_visits,
    client_hash,
    client_network,
    counter_updates,
    hour_bucket,
    is_crawler,
    seen_expiration,
    visit_hash,
    window_buckets,
)
from newsdesk.errors import ValidationFailed
from newsdesk.events import (
    MAX_EVENTS_PER_BATCH,
    CommentsEvent,
    ViewEvent,
    claims_comments,
    events_of,
    latest_comment_counts,
    validate_events,
    visits_of,
)

pytestmark = pytest.mark.unit

NOW = datetime(2026, 11, 25, 10, 20, tzinfo=UTC)
FIREFOX = "Mozilla/5.0 (X11; Linux x86_64; rv:128.0) Gecko/20100101 Firefox/128.0"


def view(article_id: str = "a1", visitor: str = "v1") -> ViewEvent:
    return ViewEvent(type="view", article_id=article_id, visitor=visitor)


# --- envelope ----------------------------------------------------------------------------------


def test_events_come_in_an_object_or_as_a_bare_array() -> None:
    events = [{"type": "view", "article_id": "a1", "visitor": "v"}]
    assert events_of({"events": events}) == events
    assert events_of(events) == events


@pytest.mark.parametrize(
    ("document", "pointer"),
    [
        ({"events": {"type": "view"}}, "/events"),
        ({"items": []}, "/events"),
        ("view", ""),
        (42, ""),
    ],
)
def test_an_envelope_without_an_events_array_fails_the_request_with_a_pointer(document: object, pointer: str) -> None:
    with pytest.raises(ValidationFailed) as raised:
        events_of(document)
    assert raised.value.status == 422
    assert [error.pointer for error in raised.value.errors] == [pointer]


def test_more_than_fifty_events_fail_the_request() -> None:
    events = [{"type": "view", "article_id": "a1", "visitor": str(n)} for n in range(MAX_EVENTS_PER_BATCH + 1)]
    with pytest.raises(ValidationFailed) as raised:
        events_of({"events": events})
    assert raised.value.errors[0].pointer == "/events"
    assert "50" in raised.value.errors[0].message
    # And exactly fifty are fine
    assert len(events_of({"events": events[:MAX_EVENTS_PER_BATCH]})) == MAX_EVENTS_PER_BATCH


# --- events ------------------------------------------------------------------------------------


def test_valid_events_are_split_by_type_and_the_rest_counted_as_malformed() -> None:
    # Given one good event of each type and a collection of broken ones
    raw = [
        {"type": "view", "article_id": "a1", "visitor": "v1", "extra": "ignored"},
        {"type": "comments", "article_id": "a1", "count": 7},
        {"type": "view", "article_id": "a1"},  # no visitor
        {"type": "view", "article_id": "A/../x", "visitor": "v"},  # not an article id
        {"type": "comments", "article_id": "a1", "count": -1},
        {"type": "comments", "article_id": "a1", "count": True},  # a boolean is not a count
        {"type": "comments", "article_id": "a1", "count": "7"},
        {"type": "like", "article_id": "a1"},
        "view",
        None,
    ]
    # When
    batch = validate_events(raw)
    # Then
    assert batch.views == [view("a1", "v1")]
    assert batch.comments == [CommentsEvent(type="comments", article_id="a1", count=7)]
    assert dict(batch.ignored) == {MALFORMED: 8}


def test_a_comments_event_claims_the_site_key_even_when_malformed() -> None:
    assert claims_comments({"type": "comments", "count": "lots"})
    assert not claims_comments({"type": "view"})
    assert not claims_comments(["comments"])


@pytest.mark.attack(9)
@pytest.mark.parametrize(
    "user_agent",
    [
        "Mozilla/5.0 (compatible; Googlebot/2.1; +http://www.google.com/bot.html)",
        "Mozilla/5.0 (compatible; YandexBot/3.0; +http://yandex.com/bots)",
        "facebookexternalhit/1.1 (+http://www.facebook.com/externalhit_uatext.php)",
        "Mozilla/5.0 (X11; Linux x86_64) AppleWebKit/537.36 (KHTML, like Gecko) HeadlessChrome/120.0 Safari/537.36",
        "TelegramBot (like TwitterBot)",
        "Mozilla/5.0 (compatible; AhrefsBot/7.0; +http://ahrefs.com/robot/)",
        "",
        "   ",
        None,
        # Issue 8, 'What broke' 9: tools and HTTP libraries counted as readers.
        "curl/8.5.0",
        "python-requests/2.31.0",
        "Go-http-client/1.1",
        "Wget/1.21",
        "Mozilla/5.0",
        "Google-InspectionTool/1.0",
        "Mozilla/5.0 (Linux; Android 6.0.1; Nexus 5X Build/MMB29P) AppleWebKit/537.36 (KHTML, like Gecko) "
        "Chrome/126.0.6478.126 Mobile Safari/537.36 (compatible; Google-InspectionTool/1.0;)",
        # More of the same kind, from the list or the rules beside it
        "Mozilla/5.0 AppleWebKit/537.36 (KHTML, like Gecko; compatible; GPTBot/1.2; +https://openai.com/gptbot)",
        "Mozilla/5.0 (compatible; SomeNewBot/0.1; +https://example.com/about-our-bot)",
        "Mozilla/5.0 (Windows NT 10.0; Win64; x64) AppleWebKit/537.36 Chrome/126.0 Safari/537.36 Chrome-Lighthouse",
        "PostmanRuntime/7.36.0",
        "okhttp/4.12.0",
        "axios/1.6.8",
        "Java/17.0.10",
        "Dalvik/2.1.0 (Linux; U; Android 14; Pixel 8 Build/AP1A.240505.004)",
        "Mozilla/5.0 ()",
        "x" * 2000,
    ],
)
def test_crawlers_tools_and_missing_user_agents_are_not_readers(user_agent: str | None) -> None:
    assert is_crawler(user_agent)


@pytest.mark.attack(9)
@pytest.mark.parametrize(
    "user_agent",
    [
        "Mozilla/5.0 (Windows NT 10.0; Win64; x64) AppleWebKit/537.36 (KHTML, like Gecko) Chrome/126.0 Safari/537.36",
        "Mozilla/5.0 (iPhone; CPU iPhone OS 17_5 like Mac OS X) AppleWebKit/605.1.15 (KHTML, like Gecko) "
        "Version/17.5 Mobile/15E148 Safari/604.1",
        "Mozilla/5.0 (X11; Linux x86_64; rv:128.0) Gecko/20100101 Firefox/128.0",
        "Mozilla/5.0 (Linux; Android 14) AppleWebKit/537.36 (KHTML, like Gecko) YaBrowser/24.4 Mobile Safari/537.36",
        "Mozilla/5.0 (Macintosh; Intel Mac OS X 14_5) AppleWebKit/605.1.15 (KHTML, like Gecko) Version/17.5 "
        "Safari/605.1.15",
        "Mozilla/5.0 (Linux; Android 14; SM-S918B) AppleWebKit/537.36 (KHTML, like Gecko) "
        "SamsungBrowser/25.0 Chrome/121.0.0.0 Mobile Safari/537.36",
        "Mozilla/5.0 (Windows NT 10.0; Win64; x64) AppleWebKit/537.36 (KHTML, like Gecko) Chrome/126.0.0.0 "
        "Safari/537.36 Edg/126.0.2592.87",
        "Mozilla/5.0 (Android 14; Mobile; rv:128.0) Gecko/128.0 Firefox/128.0",
        "Mozilla/5.0 (Linux; Android 13; Pixel 7 Build/TQ3A.230901.001; wv) AppleWebKit/537.36 (KHTML, like Gecko) "
        "Version/4.0 Chrome/126.0.6478.122 Mobile Safari/537.36",
        "Mozilla/5.0 (Linux; Android 11; moto g power (2022)) AppleWebKit/537.36 (KHTML, like Gecko) "
        "Chrome/126.0 Mobile Safari/537.36",
        # A phone whose model name contains "BOT" is still a phone
        "Mozilla/5.0 (Linux; Android 10; CUBOT X30) AppleWebKit/537.36 (KHTML, like Gecko) Chrome/126.0 "
        "Mobile Safari/537.36",
        "Mozilla/5.0 (iPhone; CPU iPhone OS 17_5 like Mac OS X) AppleWebKit/605.1.15 (KHTML, like Gecko) "
        "Mobile/15E148 [FBAN/FBIOS;FBAV/470.0.0.40.107]",
    ],
)
def test_readers_browsers_are_not_crawlers(user_agent: str) -> None:
    assert not is_crawler(user_agent)


def test_the_crawler_list_is_not_loaded_by_the_functions_that_do_not_judge_user_agents() -> None:
    from tests.unit.test_import_boundaries import modules_loaded_by

    # The publish and trending functions import newsdesk.engagement, but never is_crawler's list
    loaded = modules_loaded_by("import publish.app, trending.app, trending.counting, newsdesk.engagement")
    assert "newsdesk.engagement" in loaded and "crawleruseragents" not in loaded
    # And the events route loads it at its first judgement, not at import
    loaded = modules_loaded_by("import ingest.engagement")
    assert "crawleruseragents" not in loaded
    loaded = modules_loaded_by(f"from newsdesk.engagement import is_crawler; is_crawler({FIREFOX!r})")
    assert "crawleruseragents" in loaded


# --- the per-client bound ----------------------------------------------------------------------

KEY = b"k" * 32


@pytest.mark.parametrize(
    ("address", "network"),
    [
        ("203.0.113.24", "203.0.113.24"),
        ("2001:db8:1:2:aaaa:bbbb:cccc:dddd", "2001:db8:1:2::/64"),
        ("2001:db8:1:2::1", "2001:db8:1:2::/64"),
        ("::ffff:203.0.113.24", "203.0.113.24"),
        ("not an address", "unknown"),
        ("", "unknown"),
        (None, "unknown"),
    ],
)
def test_a_client_is_its_ipv4_address_or_its_ipv6_slash_64(address: str | None, network: str) -> None:
    assert client_network(address) == network


def test_the_client_hash_is_keyed_and_scoped_to_article_and_hour() -> None:
    hashed = client_hash(KEY, "203.0.113.24", "a1", "2026-11-25T10")
    assert "203" not in hashed and len(hashed) == 32
    assert hashed == client_hash(KEY, "203.0.113.24", "a1", "2026-11-25T10")
    # One host rotating through its IPv6 /64 is one client
    assert client_hash(KEY, "2001:db8::1", "a1", "2026-11-25T10") == client_hash(
        KEY, "2001:db8::ffff:1", "a1", "2026-11-25T10"
    )
    # Another key, article, hour or address gives another hash: without the key nobody can tell
    # which address it was, nor link a client's hashes across articles or hours
    others = {
        client_hash(b"other-key", "203.0.113.24", "a1", "2026-11-25T10"),
        client_hash(KEY, "203.0.113.24", "a2", "2026-11-25T10"),
        client_hash(KEY, "203.0.113.24", "a1", "2026-11-25T11"),
        client_hash(KEY, "203.0.113.25", "a1", "2026-11-25T10"),
    }
    assert hashed not in others and len(others) == 4


@pytest.mark.parametrize(
    ("before", "requested", "bound", "admitted"),
    [(0, 50, 60, 50), (50, 10, 60, 10), (55, 10, 60, 5), (60, 1, 60, 0), (95, 5, 60, 0), (0, 0, 60, 0)],
)
def test_a_client_gets_what_is_left_of_its_bound(before: int, requested: int, bound: int, admitted: int) -> None:
    assert admitted_visits(before, requested, bound) == admitted


# --- buckets and keys --------------------------------------------------------------------------


def test_hour_buckets_are_utc_and_the_window_ends_at_the_current_hour() -> None:
    # Given a time given in Moscow time (UTC+3) just after midnight UTC
    moscow = datetime(2026, 11, 25, 6, 5, tzinfo=timezone(timedelta(hours=3)))
    # Then its bucket is the UTC hour, and the window goes back across midnight, newest first
    assert hour_bucket(moscow) == "2026-11-25T03"
    assert window_buckets(datetime(2026, 11, 25, 1, 59, tzinfo=UTC), 3) == [
        "2026-11-25T01",
        "2026-11-25T00",
        "2026-11-24T23",
    ]


def test_visitor_hash_hides_the_visitor_and_is_scoped_to_article_and_hour() -> None:
    hashed = visit_hash("reader-42", "a1", "2026-11-25T10")
    assert "reader-42" not in hashed and len(hashed) == 32
    assert hashed == visit_hash("reader-42", "a1", "2026-11-25T10")
    assert hashed != visit_hash("reader-42", "a2", "2026-11-25T10")
    assert hashed != visit_hash("reader-42", "a1", "2026-11-25T11")


def test_dedupe_records_expire_an_hour_after_their_hour() -> None:
    assert seen_expiration("2026-11-25T10") == int(datetime(2026, 11, 25, 12, tzinfo=UTC).timestamp())


def test_a_day_of_counters_is_one_partition_sorted_by_hour_whose_sort_keys_name_the_article() -> None:
    assert counters_pk("2026-11-25T10") == counters_pk("2026-11-25T23") == "COUNTERS#2026-11-25"
    assert article_of_view_sk(view_sk("2026-11-25T10", "a1-b2", 7)) == "a1-b2"
    assert article_of_comment_sk(comment_sk("2026-11-25T10", "a1-b2")) == "a1-b2"
    assert hour_of_counter_sk(view_sk("2026-11-25T10", "a1", 3)) == "2026-11-25T10"
    # The hours of a range bound exactly the counters of those hours
    low, high = hours_range("2026-11-25T09", "2026-11-25T10")
    inside = [view_sk("2026-11-25T09", "a1", 0), comment_sk("2026-11-25T10", "zz"), view_sk("2026-11-25T10", "~", 7)]
    outside = [view_sk("2026-11-25T08", "zz", 7), comment_sk("2026-11-25T11", "a1")]
    assert all(low <= sk <= high for sk in inside) and not any(low <= sk <= high for sk in outside)
    # A view counter is not a comment count, and neither is anything else of the day
    assert article_of_comment_sk(view_sk("2026-11-25T10", "a1", 0)) is None
    assert article_of_view_sk(comment_sk("2026-11-25T10", "a1")) is None
    assert article_of_view_sk("2026-11-25T10#VIEWS#") is None and article_of_comment_sk("VIEWS#a1#0") is None


# --- dedupe within a batch and aggregation -----------------------------------------------------


def test_reloads_in_one_batch_count_once_per_visitor_and_article() -> None:
    # Given a reader reloading an article three times and reading another once
    views = [view("a1", "r1"), view("a1", "r1"), view("a1", "r1"), view("a2", "r1"), view("a1", "r2")]
    # When
    visits, repeats = visits_of(views, NOW)
    # Then
    assert repeats == 2
    assert [(visit.article_id, visit.hour) for visit in visits] == [
        ("a1", "2026-11-25T10"),
        ("a2", "2026-11-25T10"),
        ("a1", "2026-11-25T10"),
    ]


def new_visit(article_id: str, sequence_number: int, hour: str = "2026-11-25T10", section: str = "space") -> NewVisit:
    return NewVisit(article_id=article_id, hour=hour, section=section, sequence_number=str(sequence_number))


def test_a_thousand_new_visits_on_fifty_articles_become_fifty_counter_updates() -> None:
    # Given a stream batch of 1,000 new visits spread over 50 articles in one hour, interleaved
    visits = [new_visit(f"a{n % 50}", 100 + n) for n in range(1000)]
    # When
    updates = counter_updates(visits)
    # Then one update per article, carrying the sum and accounting for every record
    assert len(updates) == 50
    assert sum(update.increment.views for update in updates) == 1000
    assert {update.increment.views for update in updates} == {20}
    assert {update.increment.section for update in updates} == {"space"}
    assert sorted(number for update in updates for number in update.sequence_numbers) == sorted(
        str(100 + n) for n in range(1000)
    )


def test_counter_updates_are_per_article_and_hour_in_stream_order() -> None:
    # Given visits of two hours of one article, and of a second article in between
    visits = [
        new_visit("b", 1_000_000_000_000_000_000_012, hour="2026-11-25T11"),
        new_visit("a", 9, hour="2026-11-25T10"),
        new_visit("b", 10, hour="2026-11-25T10"),
        new_visit("a", 11, hour="2026-11-25T10", section="moved"),
    ]
    # When
    updates = counter_updates(visits)
    # Then (article, hour) is the unit, ordered by each one's first record (numerically, not as text)
    assert [(u.increment.article_id, u.increment.hour, u.increment.views) for u in updates] == [
        ("a", "2026-11-25T10", 2),
        ("b", "2026-11-25T10", 1),
        ("b", "2026-11-25T11", 1),
    ]
    # And the section is that of the latest record
    assert updates[0].increment.section == "moved"
    assert updates[0].sequence_numbers == ("9", "11")


def test_a_record_delivered_twice_in_one_batch_counts_once() -> None:
    updates = counter_updates([new_visit("a", 5), new_visit("a", 5), new_visit("a", 6)])
    assert [(update.increment.views, update.sequence_numbers) for update in updates] == [(2, ("5", "6"))]


def test_an_empty_batch_makes_no_updates() -> None:
    assert counter_updates([]) == []


@pytest.mark.parametrize(
    ("pk", "expected"),
    [
        (seen_pk("a1-b2", "2026-11-25T10"), ("a1-b2", "2026-11-25T10")),
        ("SEEN#a1#not-an-hour", None),
        ("SEEN#2026-11-25T10", None),
        ("COUNTERS#2026-11-25T10", None),
        ("ARTICLE#a1", None),
    ],
)
def test_dedupe_record_keys_name_their_article_and_hour(pk: str, expected: tuple[str, str] | None) -> None:
    assert article_and_hour_of_seen_pk(pk) == expected


def test_the_last_comment_count_of_a_batch_wins() -> None:
    events = [
        CommentsEvent(type="comments", article_id="a1", count=3),
        CommentsEvent(type="comments", article_id="a2", count=1),
        CommentsEvent(type="comments", article_id="a1", count=5),
    ]
    counts = latest_comment_counts(events, NOW + timedelta(minutes=50), {"a1": "news"})
    assert [(c.article_id, c.count, c.hour, c.section) for c in counts] == [
        ("a1", 5, "2026-11-25T11", "news"),
        ("a2", 1, "2026-11-25T11", ""),
    ]
