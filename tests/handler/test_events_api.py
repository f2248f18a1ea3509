"""POST /v1/events: readers' views and the comment service's counts, in-process against moto."""

from __future__ import annotations

import json
from datetime import UTC, datetime, timedelta
from typing import Any

import pytest

from ingest.engagement import EngagementService
from newsdesk.dal import clients as aws
from newsdesk.dal.engagement import CounterStore
from newsdesk.dal.keys import COUNTERS_PREFIX, article_of_comment_sk, article_of_view_sk
from newsdesk.dal.partners import PartnerStore
from tests.conftest import Partner, Stack, api_event
from tests.handler.ninjs_builders import article_doc, encode
from tests.handler.stream import TableStream, count_new_visits
from tests.support.aws_calls import AwsCalls

pytestmark = pytest.mark.handler

BROWSER = "Mozilla/5.0 (X11; Linux x86_64; rv:128.0) Gecko/20100101 Firefox/128.0"
GOOGLEBOT = "Mozilla/5.0 (compatible; Googlebot/2.1; +http://www.google.com/bot.html)"
READER_IP = "203.0.113.24"  # the canonical event's client address
NOW = datetime(2026, 11, 25, 10, 20, tzinfo=UTC)


def call(event: dict[str, Any], ctx: Any) -> tuple[int, dict[str, str], Any]:
    from ingest.app import handler

    result = handler(event, ctx)
    headers = {k.lower(): v for k, v in (result.get("headers") or {}).items()}
    body = json.loads(result["body"]) if result.get("body") else None
    return result["statusCode"], headers, body


def post_events(
    body: Any,
    ctx: Any,
    *,
    authorizer: dict[str, str] | None = None,
    user_agent: str = BROWSER,
    content_type: str = "application/json",
    source_ip: str = READER_IP,
) -> tuple[int, dict[str, str], Any]:
    raw = body if isinstance(body, bytes | str) else json.dumps(body)
    event = api_event(
        "POST",
        "/v1/events",
        body=raw,
        headers={"content-type": content_type, "user-agent": user_agent},
        authorizer=authorizer,
    )
    event["requestContext"]["http"]["sourceIp"] = source_ip
    return call(event, ctx)


def publish(partner: Partner, ctx: Any, uri: str, **extra: Any) -> str:
    event = api_event(
        "POST",
        "/v1/articles",
        body=encode(article_doc(uri, **extra)),
        headers={"content-type": "application/json"},
        authorizer=partner.context,
    )
    status, _, body = call(event, ctx)
    assert status == 201, body
    return str(body["id"])


def retract(partner: Partner, ctx: Any, article_id: str) -> None:
    event = api_event(
        "DELETE",
        f"/v1/articles/{article_id}",
        authorizer=partner.context,
        route="/v1/articles/{article_id}",
        path_parameters={"article_id": article_id},
    )
    assert call(event, ctx)[0] == 204


def view(article_id: str, visitor: str) -> dict[str, str]:
    return {"type": "view", "article_id": article_id, "visitor": visitor}


def comments(article_id: str, count: Any) -> dict[str, Any]:
    return {"type": "comments", "article_id": article_id, "count": count}


def all_items(stack: Stack) -> list[dict[str, Any]]:
    return list(stack.dynamodb.scan(TableName=stack.table_name)["Items"])


def items_with_prefix(stack: Stack, prefix: str) -> list[dict[str, Any]]:
    return [item for item in all_items(stack) if item["PK"]["S"].startswith(prefix)]


def view_counters(stack: Stack) -> list[dict[str, Any]]:
    """Every view counter item (all hours, all shards)."""
    return [
        item for item in items_with_prefix(stack, COUNTERS_PREFIX) if article_of_view_sk(item["SK"]["S"]) is not None
    ]


def total_views(stack: Stack, article_id: str) -> int:
    return sum(
        int(item["views"]["N"]) for item in view_counters(stack) if article_of_view_sk(item["SK"]["S"]) == article_id
    )


def seen_records(stack: Stack, article_id: str) -> list[dict[str, Any]]:
    """The dedupe records of an article (every hour)."""
    return items_with_prefix(stack, f"SEEN#{article_id}#")


def comment_count(stack: Stack, article_id: str) -> int | None:
    found = [
        int(item["count"]["N"])
        for item in items_with_prefix(stack, COUNTERS_PREFIX)
        if article_of_comment_sk(item["SK"]["S"]) == article_id
    ]
    assert len(found) <= 1
    return found[0] if found else None


@pytest.fixture
def article(partner: Partner, lambda_context: Any) -> str:
    return publish(partner, lambda_context, "urn:test:engagement:1")


@pytest.fixture
def site(stack: Stack) -> dict[str, str]:
    store = PartnerStore(stack.table_name)
    _, secret = store.add_partner("Comment service", role="site", partner_id="site-comments")
    principal = store.resolve(secret)
    assert principal is not None and principal.role == "site"
    return principal.to_authorizer_context()


# --- views -------------------------------------------------------------------------------------


def test_views_are_counted_once_per_visitor_and_nothing_identifying_is_stored(
    stack: Stack, article: str, lambda_context: Any
) -> None:
    # Given three readers, one of whom reloads the page
    stream = TableStream(stack.dynamodb, stack.table_name)
    batch = [view(article, "reader-1"), view(article, "reader-2"), view(article, "reader-1"), view(article, "r-3")]
    # When the browser posts the batch, and the view counter takes the new visits from the stream
    status, _, body = post_events({"events": batch}, lambda_context)
    count_new_visits(stream, lambda_context)
    # Then three views count, the reload is ignored as a duplicate
    assert status == 202
    assert body == {"accepted": 3, "ignored": 1, "ignored_reasons": {"duplicate": 1}}
    assert total_views(stack, article) == 3
    # And a reload in a later request is a duplicate too
    status, _, body = post_events([view(article, "reader-2")], lambda_context)
    assert body["ignored_reasons"] == {"duplicate": 1}
    assert count_new_visits(stream, lambda_context) == {"batchItemFailures": []}
    assert total_views(stack, article) == 3
    # And no visitor id, user agent or address is stored anywhere
    stored = json.dumps(all_items(stack))
    for secret in ("reader-1", "reader-2", "Firefox", READER_IP):
        assert secret not in stored


def test_crawler_views_are_ignored(stack: Stack, article: str, lambda_context: Any) -> None:
    status, _, body = post_events(
        [view(article, "bot-1"), view(article, "bot-2")], lambda_context, user_agent=GOOGLEBOT
    )
    assert status == 202
    assert body == {"accepted": 0, "ignored": 2, "ignored_reasons": {"crawler": 2}}
    assert view_counters(stack) == [] and items_with_prefix(stack, "SEEN#") == []


def test_unknown_retracted_and_malformed_events_are_ignored_and_counted(
    stack: Stack, partner: Partner, article: str, lambda_context: Any
) -> None:
    # Given a retracted article next to a published one
    gone = publish(partner, lambda_context, "urn:test:engagement:gone")
    retract(partner, lambda_context, gone)
    batch = [
        view(article, "reader-1"),
        view(gone, "reader-1"),
        view("anosuchthing", "reader-1"),
        {"type": "view", "article_id": article},
        {"type": "share", "article_id": article},
        "view",
    ]
    # When
    status, _, body = post_events({"events": batch}, lambda_context)
    # Then only the first counts, and every other event is accounted for
    assert status == 202
    assert body == {
        "accepted": 1,
        "ignored": 5,
        "ignored_reasons": {"malformed": 3, "not_published": 1, "unknown_article": 1},
    }
    assert len(seen_records(stack, article)) == 1
    assert seen_records(stack, gone) == [] and seen_records(stack, "anosuchthing") == []


# --- comment counts ----------------------------------------------------------------------------


def test_comment_counts_need_the_site_key(stack: Stack, partner: Partner, article: str, lambda_context: Any) -> None:
    # Without a key: 401; with a partner's key: 403; both problem+json, nothing written
    status, headers, body = post_events([comments(article, 5)], lambda_context)
    assert status == 401 and headers["content-type"] == "application/problem+json"
    status, headers, body = post_events([comments(article, 5)], lambda_context, authorizer=partner.context)
    assert status == 403 and body["status"] == 403
    assert comment_count(stack, article) is None


def test_comment_counts_are_absolute_so_a_resend_is_harmless(
    stack: Stack, article: str, site: dict[str, str], lambda_context: Any
) -> None:
    # When the comment service sends a count twice, then a newer one
    for _ in range(2):
        status, _, body = post_events([comments(article, 5)], lambda_context, authorizer=site)
        assert status == 202 and body["accepted"] == 1
    assert comment_count(stack, article) == 5
    post_events([comments(article, 7)], lambda_context, authorizer=site)
    # Then the count is the latest absolute value, not a sum
    assert comment_count(stack, article) == 7


def test_comment_counts_answer_503_when_keys_cannot_be_checked(article: str, lambda_context: Any) -> None:
    unavailable = {"anonymous": "true", "auth_unavailable": "true"}
    assert post_events([comments(article, 1)], lambda_context, authorizer=unavailable)[0] == 503
    # Views need no key, so they still count
    assert post_events([view(article, "reader-1")], lambda_context, authorizer=unavailable)[0] == 202


# --- the envelope ------------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("body", "content_type", "status"),
    [
        (b"{not json", "application/json", 400),
        (b"", "application/json", 400),
        (json.dumps([]), "text/plain", 415),
        (json.dumps({"events": "view"}), "application/json", 422),
        (json.dumps({"events": [view("a1", str(n)) for n in range(51)]}), "application/json", 422),
        (json.dumps(42), "application/json", 422),
    ],
)
def test_an_invalid_envelope_is_refused_with_a_problem(
    stack: Stack, body: bytes | str, content_type: str, status: int, lambda_context: Any
) -> None:
    got, headers, problem = post_events(body, lambda_context, content_type=content_type)
    assert got == status
    assert headers["content-type"] == "application/problem+json"
    if status == 422:
        assert problem["errors"][0]["pointer"] in ("", "/events")


def test_a_body_over_the_limit_is_413(stack: Stack, lambda_context: Any, monkeypatch: pytest.MonkeyPatch) -> None:
    from newsdesk.settings import get_settings

    monkeypatch.setenv("MAX_BODY_BYTES", "1024")
    get_settings.cache_clear()
    status, _, _ = post_events({"events": [view("a1", "x" * 2000)]}, lambda_context)
    assert status == 413


def test_an_empty_batch_is_accepted(stack: Stack, lambda_context: Any) -> None:
    assert post_events({"events": []}, lambda_context)[2] == {"accepted": 0, "ignored": 0, "ignored_reasons": {}}


# --- the service with a pinned clock: hours and pre-aggregated writes ----------------------------


def test_a_visitor_counts_again_in_the_next_hour(stack: Stack, article: str) -> None:
    counters = CounterStore(stack.table_name)
    service = EngagementService(counters=counters, articles=counters)
    batch = json.dumps([view(article, "reader-1")]).encode()
    assert service.record(batch, None, BROWSER, NOW).accepted == 1
    assert service.record(batch, None, BROWSER, NOW + timedelta(minutes=39)).accepted == 0
    assert service.record(batch, None, BROWSER, NOW + timedelta(minutes=40)).accepted == 1
    assert sorted(item["hour"]["S"] for item in seen_records(stack, article)) == ["2026-11-25T10", "2026-11-25T11"]


def test_the_events_route_writes_dedupe_records_only_and_no_counters(
    stack: Stack, partner: Partner, lambda_context: Any
) -> None:
    # Given 50 views by distinct readers of two articles
    first = publish(partner, lambda_context, "urn:test:engagement:a")
    second = publish(partner, lambda_context, "urn:test:engagement:b", subjects=[{"name": "космос"}])
    batch = [view(first if n % 5 else second, f"reader-{n}") for n in range(50)]
    counters = CounterStore(stack.table_name)
    calls = AwsCalls().watch(aws.dynamodb_client())
    # When
    outcome = EngagementService(counters=counters, articles=counters).record(
        json.dumps({"events": batch}).encode(), None, BROWSER, NOW
    )
    # Then the request writes one dedupe record per view (two batches of 25) and no view counter at all,
    # and one count of the client's new visits per article (the per-client bound): 2 UpdateItem
    assert outcome.accepted == 50
    assert calls.count("BatchWriteItem") == 2
    assert calls.count("UpdateItem") == 2 and calls.count("TransactWriteItems") == 0
    assert calls.count("BatchGetItem") == 2 and sum(calls.calls.values()) == 6
    assert view_counters(stack) == []
    # And each dedupe record names its article, hour and section (what the view counter needs)
    records = seen_records(stack, first) + seen_records(stack, second)
    assert len(records) == 50
    assert {(item["article_id"]["S"], item["hour"]["S"], item["section"]["S"]) for item in records} == {
        (first, "2026-11-25T10", "defence-industry"),
        (second, "2026-11-25T10", "space"),
    }
