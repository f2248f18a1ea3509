"""Hostile review of issue 7, end to end against moto: the write path without transactions, the normalized
article beside the raw bytes, reprocess, partner keys without transactions, publish.

Tests named ``test_*`` reproduce a problem found in review and fail until it is fixed; the others
are attacks that held, kept as regression tests. Rule-level reproductions: tests/unit/test_review_findings.py.
"""

from __future__ import annotations

import contextlib
from dataclasses import replace
from datetime import UTC, datetime, timedelta
from typing import Any

import pytest
from botocore.exceptions import ClientError

from ingest.reprocess import Outcome, Reprocessor, ReprocessReport
from newsdesk.articles import ArticleRecord
from newsdesk.dal import clients as aws
from newsdesk.dal.archive import Archive
from newsdesk.dal.articles import ArticleStore
from newsdesk.dal.partners import PartnerStore
from newsdesk.models import ArticleStatus
from tests.conftest import Partner, Stack, api_event
from tests.handler.ninjs_builders import article_doc, encode
from tests.handler.test_ingest_api import call, on_article, post
from tests.handler.test_ingest_resilience import assert_consistent, fail_once, revision_items
from tests.handler.test_publish import Newsroom, listed_ids, newsroom, snapshot_bucket  # noqa: F401 (fixtures)
from tests.handler.test_reprocess import change_the_profile

pytestmark = pytest.mark.handler

# firstcreated becomes published_at; utc_text() writes year 999 as "999-…", which parse_utc() refuses.
ANCIENT = "0999-05-01T00:00:00Z"
EMBARGO = "2099-01-01T00:00:00Z"


def current_key(article_id: str) -> dict[str, Any]:
    return {"PK": {"S": f"ARTICLE#{article_id}"}, "SK": {"S": "CURRENT"}}


# --- Finding: a date before year 1000 poisons the story and the lists -----------------------------


@pytest.mark.parametrize("field", ["firstcreated", "versioncreated"])
def test_a_story_dated_before_year_1000_can_still_be_read_updated_and_retracted(
    stack: Stack, partner: Partner, lambda_context: Any, field: str
) -> None:
    """With versioncreated the POST response itself already breaks the contract ("updated_at": "999-…" is no
    date-time); the autouse contract check reports it at teardown."""
    # Given a partner's story dated in year 999 (valid RFC 3339)
    doc = article_doc("urn:x:ancient", **{field: ANCIENT})
    status, _, created = post(partner, encode(doc), lambda_context)
    if status == 422:
        return  # refusing such a date up front is a fine answer too
    assert status == 201
    # Then the partner can still read it, resend it and retract it (today: 500 from the second request on)
    assert on_article("GET", partner, created["id"], lambda_context)[0] == 200
    assert post(partner, encode(doc), lambda_context)[0] == 200
    assert on_article("DELETE", partner, created["id"], lambda_context)[0] == 204


def test_one_story_dated_before_year_1000_does_not_stop_everyone_elses_lists(
    newsroom: Newsroom,  # noqa: F811 (fixture)
) -> None:
    # Given one partner's story dated year 999: its list_sk "999-…" sorts above every "2026-…"
    status, _, _ = post(newsroom.partner, encode(article_doc("urn:x:ancient", firstcreated=ANCIENT)), newsroom.context)
    if status == 201:
        with contextlib.suppress(ValueError):
            newsroom.publish()
    # When an ordinary story arrives after it
    later = newsroom.post(article_doc("urn:x:ordinary"))
    try:
        newsroom.publish()
    except ValueError as error:
        pytest.fail(f"publishing an unrelated story failed: {error}")
    # Then it is listed (today every list query returns the year-999 record first, which cannot be read)
    assert later["id"] in listed_ids(newsroom, "v1/latest.json")
    # And `newsdesk publish --all` still works
    from publish.app import publisher

    assert publisher().rebuild_all().failed == []


# --- Finding: records written before issue 7 -----------------------------------------------------


def make_legacy(stack: Stack, article_id: str) -> None:
    """Turn a CURRENT item into what the code before issue 7 wrote: no normalized_key, no ArticleIndex keys."""
    stack.dynamodb.update_item(
        TableName=stack.table_name,
        Key=current_key(article_id),
        UpdateExpression="REMOVE normalized_key, all_pk, all_sk",
    )


def test_an_article_stored_before_normalized_articles_says_what_to_do_and_is_not_a_500(
    stack: Stack, partner: Partner, lambda_context: Any
) -> None:
    # Given an article written by the previous release (its record names no normalized article)
    _, _, created = post(partner, encode(article_doc()), lambda_context)
    make_legacy(stack, created["id"])
    # When its partner reads it
    status, _, body = on_article("GET", partner, created["id"], lambda_context)
    # Then the answer is a retryable 503 that names the operator's command, not a 500
    assert status == 503 and "newsdesk reprocess" in body["detail"]


def test_reprocess_all_with_scan_migrates_articles_stored_before_issue_7(
    stack: Stack, partner: Partner, lambda_context: Any
) -> None:
    """ArticleIndex holds only CURRENT items written since issue 7; `reprocess --all --scan` finds the older
    ones by a scan and rewrites them, which stores their normalized article and puts them in the index."""
    from newsdesk_ops.cli import main
    from newsdesk_ops.target import Target

    _, _, created = post(partner, encode(article_doc()), lambda_context)
    make_legacy(stack, created["id"])
    store = ArticleStore(stack.table_name)
    assert created["id"] not in {record.article_id for record in store.all_current()}
    target = Target(stack.table_name, stack.archive_bucket, "", endpoint_url=None, region="eu-west-1")
    assert main(["reprocess", "--all", "--scan"], target=target) == 0
    assert created["id"] in {record.article_id for record in store.all_current()}
    status, _, body = on_article("GET", partner, created["id"], lambda_context)
    assert status == 200 and body["article"]["headline"] == article_doc()["headlines"][0]["value"]


def test_an_embargoed_article_stored_before_issue_7_is_published_once_reprocessed(
    newsroom: Newsroom,  # noqa: F811 (fixture)
) -> None:
    """Without the upgrade step publish_article cannot render it (no normalized article) and reports the record
    in batchItemFailures; after `newsdesk reprocess` the timer's release publishes it as any other."""
    embargo = (datetime.now(UTC) + timedelta(hours=1)).replace(microsecond=0)
    created = newsroom.post(article_doc("urn:x:legacy-embargo", embargoed=embargo.strftime("%Y-%m-%dT%H:%M:%SZ")))
    make_legacy(newsroom.stack, created["id"])
    newsroom.publish()
    # (the upgrade step of docs/design.md: reprocess the records written before normalized articles)
    outcome = Reprocessor(
        articles=ArticleStore(newsroom.stack.table_name),
        archive=Archive(newsroom.stack.archive_bucket),
        partners=PartnerStore(newsroom.stack.table_name),
    ).reprocess(created["id"], ReprocessReport())
    assert outcome is Outcome.UPDATED
    newsroom.publish()
    assert newsroom.timer(embargo + timedelta(minutes=1)) == {"released": 1, "expired": 0}
    assert newsroom.publish() == {"batchItemFailures": []}
    assert created["id"] in listed_ids(newsroom, "v1/latest.json")


# --- Finding: reprocess undoes an embargo release that raced it ----------------------------------


class ReleasedAfterTheRead(ArticleStore):
    """The embargo timer releases the story between reprocess's read and its conditional write."""

    def get(self, article_id: str) -> ArticleRecord | None:
        record = super().get(article_id)
        if record is not None and record.status is ArticleStatus.EMBARGOED:
            assert self.release_embargo(record)
        return record


def test_reprocess_does_not_put_a_released_story_back_under_embargo(
    stack: Stack, partner: Partner, lambda_context: Any, monkeypatch: pytest.MonkeyPatch
) -> None:
    """replace_current's only condition is "same revision", and release_embargo does not change the revision:
    reprocess writes back the EMBARGOED state it read. The stream then turns the published page into a
    tombstone and drops it from every list until the next timer run re-releases it."""
    _, _, created = post(partner, encode(article_doc("urn:x:embargo", embargoed=EMBARGO)), lambda_context)
    assert created["status"] == "embargoed"
    change_the_profile(monkeypatch, headline="Новый заголовок")
    reprocessor = Reprocessor(
        articles=ReleasedAfterTheRead(stack.table_name),
        archive=Archive(stack.archive_bucket),
        partners=PartnerStore(stack.table_name),
    )
    reprocessor.reprocess(created["id"], ReprocessReport())
    after = ArticleStore(stack.table_name).get(created["id"])
    assert after is not None and after.status is ArticleStatus.PUBLISHED


# --- Finding: add_partner after a lost response on the directory write ---------------------------


def test_a_lost_response_on_the_directory_write_still_creates_the_partner(stack: Stack) -> None:
    """The directory item is written but its response is lost (a timeout; botocore's own retry of the same
    PutItem then meets attribute_not_exists): the partner is ours, so add_partner succeeds and its key works."""
    failing = PartnerStore(stack.table_name, client=stack.dynamodb)
    fail_once(stack.dynamodb, "PutItem", after_the_call=True, occurrence=3)
    partner, secret = failing.add_partner("Krasnaya Zvezda", "ru", "defence-industry")
    store = PartnerStore(stack.table_name)
    assert store.get_partner("krasnaya-zvezda") == partner
    resolved = store.resolve(secret)
    assert resolved is not None and [key.key_id for key in store.list_keys(partner.partner_id)] == [resolved.key_id]


# --- Finding (low): the raw object a record names is overwritten by a retry -----------------------


def test_a_retry_does_not_overwrite_the_raw_bytes_the_adopted_revision_names(
    stack: Stack, partner: Partner, lambda_context: Any
) -> None:
    """docs/design.md: "Both keys are derived from their content, so an object a record names is never
    overwritten." The raw key is derived from the canonical hash, not the bytes: a retry with the same
    document re-serialized (another client library, indentation) overwrites the raw object, while the
    revision it completes is the first attempt's (its received_at, its request id)."""
    # Given the first attempt wrote its objects and revision item, then failed on CURRENT
    fail_once(aws.dynamodb_client(), "PutItem", after_the_call=False, occurrence=2)
    first = encode(article_doc())
    assert post(partner, first, lambda_context)[0] == 500
    # When the partner's retry sends the same document, serialized differently
    status, _, body = post(partner, encode(article_doc(), indent=2), lambda_context)
    assert status == 201
    record = ArticleStore(stack.table_name).get(body["id"])
    assert record is not None
    # Then the bytes the completed revision names are the ones that revision was made from, and the
    # retry's own bytes are archived beside them
    assert stack.s3.get_object(Bucket=stack.archive_bucket, Key=record.archive_key)["Body"].read() == first
    listing = stack.s3.list_objects_v2(Bucket=stack.archive_bucket, Prefix="raw/").get("Contents", [])
    assert len(listing) == 2


# --- Attacks that held ---------------------------------------------------------------------------


def test_a_retraction_that_crashed_after_its_revision_item_does_not_block_the_story(
    stack: Stack, partner: Partner, lambda_context: Any
) -> None:
    # Given a DELETE that wrote REV#2#{hash of v1} and then failed before CURRENT
    _, _, created = post(partner, encode(article_doc()), lambda_context)
    fail_once(aws.dynamodb_client(), "PutItem", after_the_call=False, occurrence=2)
    assert on_article("DELETE", partner, created["id"], lambda_context)[0] == 500
    # When a newer version arrives instead, and then the DELETE is retried
    status, _, updated = post(
        partner, encode(article_doc(version="2", versioncreated="2026-11-25T09:30:00Z")), lambda_context
    )
    assert status == 200 and updated["revision"] == 2 and updated["status"] == "published"
    assert on_article("DELETE", partner, created["id"], lambda_context)[0] == 204
    # Then the story is retracted at revision 3, and the orphan stays as history nothing points at
    current = ArticleStore(stack.table_name).get(created["id"])
    assert current is not None and current.revision == 3 and current.status is ArticleStatus.RETRACTED
    assert len(revision_items(stack)) == 4
    assert on_article("GET", partner, created["id"], lambda_context)[0] == 200
    assert_consistent(stack)


def test_a_lost_response_on_the_revision_item_is_adopted_as_first_written(
    stack: Stack, partner: Partner, lambda_context: Any
) -> None:
    """ReturnValuesOnConditionCheckFailure: moto returns the existing item in error.response["Item"], as
    DynamoDB does (botocore merges the modeled fields of ConditionalCheckFailedException)."""
    store = ArticleStore(stack.table_name)
    _, _, created = post(partner, encode(article_doc()), lambda_context)
    first = store.get(created["id"])
    assert first is not None
    # A retry of the same content computes the same content fields, but its own times and raw bytes
    later = replace(
        first,
        received_at=first.received_at.replace(year=2030),
        updated_at=first.updated_at.replace(year=2030),
        archive_key=first.archive_key.replace("raw/", "raw/elsewhere/"),
    )
    assert store.put_revision_item(later, action="submit", request_id="retry") == first


def test_a_lost_response_while_revoking_is_finished_by_revoking_again(stack: Stack) -> None:
    store = PartnerStore(stack.table_name)
    partner, secret = store.add_partner("Oboronka Daily")
    key_id = store.list_keys(partner.partner_id)[0].key_id
    for operation in ("DeleteItem", "UpdateItem"):
        fail_once(stack.dynamodb, operation, after_the_call=True)
    failing = PartnerStore(stack.table_name, client=stack.dynamodb)
    with pytest.raises(ClientError):
        failing.revoke_key(partner.partner_id, key_id)
    assert store.resolve(secret) is None
    with contextlib.suppress(ClientError):
        failing.revoke_key(partner.partner_id, key_id)
    assert store.revoke_key(partner.partner_id, key_id).revoked_at is not None
    assert store.resolve(secret) is None and not store.list_keys(partner.partner_id)[0].active


def test_reprocess_loses_to_a_partner_update_that_raced_it(
    stack: Stack, partner: Partner, lambda_context: Any, monkeypatch: pytest.MonkeyPatch
) -> None:
    _, _, created = post(partner, encode(article_doc()), lambda_context)
    newer = encode(article_doc(version="2", versioncreated="2026-11-25T09:30:00Z", headline="Вторая версия"))

    class UpdatedAfterTheRead(ArticleStore):
        def get(self, article_id: str) -> ArticleRecord | None:
            record = super().get(article_id)
            assert post(partner, newer, lambda_context)[0] == 200
            return record

    change_the_profile(monkeypatch, headline="Новый заголовок")
    reprocessor = Reprocessor(
        articles=UpdatedAfterTheRead(stack.table_name),
        archive=Archive(stack.archive_bucket),
        partners=PartnerStore(stack.table_name),
    )
    assert reprocessor.reprocess(created["id"], ReprocessReport()) is Outcome.MOVED_ON
    current = ArticleStore(stack.table_name).get(created["id"])
    assert current is not None and current.revision == 2 and current.headline == "Вторая версия"


def test_get_returns_times_in_utc_and_the_response_follows_the_contract(
    stack: Stack, partner: Partner, lambda_context: Any
) -> None:
    # (the autouse fixture checks every response against the served OpenAPI document)
    doc = article_doc(versioncreated="2026-11-25T11:00:00.123456+03:00", firstcreated="2026-11-24 23:00z")
    _, _, created = post(partner, encode(doc), lambda_context)
    status, headers, body = on_article("GET", partner, created["id"], lambda_context)
    assert status == 200 and headers["etag"] == '"1"'
    assert body["article"]["versioncreated"] == "2026-11-25T08:00:00.123456Z"
    assert body["versioncreated"] == "2026-11-25T08:00:00Z"
    assert body["published_at"] == "2026-11-24T23:00:00Z"


@pytest.mark.parametrize(
    "raw",
    [
        b'{"uri": "u", "headlines": [{"value": NaN}], "bodies": []}',
        b'{"uri": "\\ud800", "headlines": [{"value": "h"}]}',
        b'{"uri": "u", "x": -Infinity}',
        encode(article_doc(versioncreated="2026-02-30T00:00:00Z")),
        encode(article_doc(versioncreated="2026-11-25T24:00:00Z")),
        encode(article_doc(embargoed="2026-11-25T08:00:00+24:00")),
    ],
)
def test_bad_values_are_4xx_on_post_and_put(stack: Stack, partner: Partner, lambda_context: Any, raw: bytes) -> None:
    status, _, _ = post(partner, raw, lambda_context)
    assert 400 <= status < 500
    _, _, created = post(partner, encode(article_doc("urn:x:put")), lambda_context)
    status, _, _ = on_article("PUT", partner, created["id"], lambda_context, body=raw, **{"if-match": '"1"'})
    assert 400 <= status < 500


@pytest.mark.attack(1)
def test_an_integer_longer_than_pythons_digit_limit_is_not_a_500(
    stack: Stack, partner: Partner, lambda_context: Any
) -> None:
    """(Also before issue 7.) A ~5 KB body: json.loads raises ValueError, which parse_json does not catch."""
    digits = b"1" * 5000
    article = encode(article_doc())[:-1] + b', "x": ' + digits + b"}"
    assert post(partner, article, lambda_context)[0] in (400, 422)
    events = b'{"events": [{"type": "comments", "article_id": "a1", "count": ' + digits + b"}]}"
    event = api_event(
        "POST", "/v1/events", body=events, headers={"content-type": "application/json", "user-agent": "Mozilla/5.0"}
    )
    assert call(event, lambda_context)[0] in (400, 422)


@pytest.mark.parametrize("moment", ["0001-01-01T00:00:00+05:00", "9999-12-31T23:59:59-05:00"])
@pytest.mark.attack(1)
def test_a_date_time_at_the_end_of_the_range_is_a_422_not_a_500(
    stack: Stack, partner: Partner, lambda_context: Any, moment: str
) -> None:
    """(Also before issue 7.) astimezone(UTC) raises OverflowError, which nothing turns into a 422."""
    assert post(partner, encode(article_doc(versioncreated=moment)), lambda_context)[0] == 422


@pytest.mark.parametrize("tag", ['"²"', '"' + "1" * 5000 + '"'])
def test_an_if_match_that_is_no_plain_number_is_a_412_not_a_500(
    stack: Stack, partner: Partner, lambda_context: Any, tag: str
) -> None:
    """(Also before issue 7.) parse_etag: str.isdigit() is true for "²" and for 5000 ASCII digits, and int()
    refuses both with ValueError. A 5 KB If-Match header fits API Gateway's header limits."""
    _, _, created = post(partner, encode(article_doc()), lambda_context)
    status, _, _ = on_article(
        "PUT", partner, created["id"], lambda_context, body=encode(article_doc(version="2")), **{"if-match": tag}
    )
    assert status == 412


def refuse_oversized_keys_as_dynamodb_does(client: Any) -> None:
    """moto accepts a GetItem key of any size; DynamoDB answers ValidationException past 2048 bytes (PK)."""

    def check(params: dict[str, Any], **_: Any) -> None:
        key = params.get("Key") or {}
        if len(key.get("PK", {}).get("S", "").encode("utf-8")) > 2048:
            raise ClientError(
                {"Error": {"Code": "ValidationException", "Message": "Size of hashkey has exceeded 2048 bytes"}},
                "GetItem",
            )

    client.meta.events.register("provide-client-params.dynamodb.GetItem", check)


@pytest.mark.parametrize("method", ["GET", "DELETE"])
def test_an_article_id_longer_than_a_table_key_is_a_404_not_a_500(
    stack: Stack, partner: Partner, lambda_context: Any, method: str
) -> None:
    """(Also before issue 7.) The id in the path goes into the key unchecked; ids are "a" + 24 base32 letters."""
    refuse_oversized_keys_as_dynamodb_does(aws.dynamodb_client())
    assert on_article(method, partner, "é" * 1100, lambda_context)[0] == 404


def test_revision_items_stay_out_of_every_index(stack: Stack, partner: Partner, lambda_context: Any) -> None:
    """REV# items carry the whole record but no sparse index key: lists and publish --all read CURRENT only."""
    post(partner, encode(article_doc()), lambda_context)
    post(partner, encode(article_doc(version="2", versioncreated="2026-11-25T09:30:00Z")), lambda_context)
    assert len(revision_items(stack)) == 2
    for index, key, value in (("LatestIndex", "latest_pk", "LATEST"), ("ArticleIndex", "all_pk", "ARTICLES")):
        items = stack.dynamodb.query(
            TableName=stack.table_name,
            IndexName=index,
            KeyConditionExpression="#k = :v",
            ExpressionAttributeNames={"#k": key},
            ExpressionAttributeValues={":v": {"S": value}},
        )["Items"]
        assert [item["SK"]["S"] for item in items] == ["CURRENT"]
