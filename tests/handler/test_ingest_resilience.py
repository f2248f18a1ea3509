"""Nothing lost, nothing doubled: injected AWS failures followed by retries, and racing requests."""

from __future__ import annotations

import contextlib
import threading
from collections.abc import Callable
from concurrent.futures import ThreadPoolExecutor
from typing import Any

import pytest
from botocore.exceptions import ClientError

from newsdesk.articles import ArticleRecord, article_id_for
from newsdesk.dal import clients as aws
from newsdesk.dal.articles import ArticleStore
from newsdesk.dal.partners import PartnerStore
from tests.conftest import Partner, Stack
from tests.handler.ninjs_builders import article_doc, encode
from tests.handler.test_ingest_api import archived_keys, post

pytestmark = pytest.mark.handler


class InjectedFailure(ClientError):
    def __init__(self, operation: str) -> None:
        super().__init__({"Error": {"Code": "ServiceUnavailable", "Message": "injected"}}, operation)


def fail_once(client: Any, operation: str, *, after_the_call: bool, occurrence: int = 1) -> Callable[[], int]:
    """Make the ``occurrence``-th next call of ``operation`` fail, before it reaches AWS or after AWS has done it."""
    calls = {"seen": 0, "failed": 0}
    service = client.meta.service_model.service_name
    event = f"{'after-call' if after_the_call else 'before-call'}.{service}.{operation}"

    def raise_once(**_: Any) -> None:
        calls["seen"] += 1
        if calls["failed"] == 0 and calls["seen"] == occurrence:
            calls["failed"] += 1
            raise InjectedFailure(operation)

    client.meta.events.register(event, raise_once)
    return lambda: calls["failed"]


def articles_in_table(stack: Stack) -> list[dict[str, Any]]:
    items = stack.dynamodb.scan(TableName=stack.table_name)["Items"]
    return [item for item in items if item["PK"]["S"].startswith("ARTICLE#")]


def assert_consistent(stack: Stack) -> None:
    """Every article record and every revision points at an archived body and a normalized article that exist."""
    raw = set(archived_keys(stack))
    normalized = set(archived_keys(stack, prefix="normalized/"))
    for item in articles_in_table(stack):
        if item["SK"]["S"] == "SNAPSHOT":
            continue
        assert item["archive_key"]["S"] in raw, item
        assert item["normalized_key"]["S"] in normalized, item


# Every AWS call of the write path, in order (docs/design.md, "Writing an article"): the read of
# CURRENT, the raw bytes, the normalized article, the revision item, the CURRENT item. Each fails
# once before it reaches AWS and once after AWS has done it (the response was lost).
WRITE_PATH = [
    ("dynamodb", "GetItem", 1),
    ("s3", "PutObject", 1),
    ("s3", "PutObject", 2),
    ("dynamodb", "PutItem", 1),
    ("dynamodb", "PutItem", 2),
]
CALLS = [
    (service, operation, occurrence, after) for service, operation, occurrence in WRITE_PATH for after in (False, True)
]


def revision_items(stack: Stack) -> list[dict[str, Any]]:
    return [item for item in articles_in_table(stack) if item["SK"]["S"].startswith("REV#")]


@pytest.mark.parametrize(("service", "operation", "occurrence", "after_the_call"), CALLS)
def test_a_failed_call_then_a_retry_creates_one_article(
    stack: Stack,
    partner: Partner,
    lambda_context: Any,
    service: str,
    operation: str,
    occurrence: int,
    after_the_call: bool,
) -> None:
    # Given one AWS call of the ingest path fails once
    client = aws.dynamodb_client() if service == "dynamodb" else aws.s3_client()
    failures = fail_once(client, operation, after_the_call=after_the_call, occurrence=occurrence)
    raw = encode(article_doc())
    # When the partner posts, sees an error, and retries the same bytes
    status, headers, body = post(partner, raw, lambda_context)
    assert failures() == 1
    assert status == 500 and headers["content-type"] == "application/problem+json"
    assert_consistent(stack)
    status, _, body = post(partner, raw, lambda_context)
    # Then there is exactly one article at revision 1, pointing at the archived bytes
    assert status in (200, 201) and body["revision"] == 1
    current = [item for item in articles_in_table(stack) if item["SK"]["S"] == "CURRENT"]
    history = revision_items(stack)
    assert len(current) == 1 and len(history) == 1
    # The retry completed the revision as first written: CURRENT is the revision item's record
    assert current[0]["received_at"] == history[0]["received_at"]
    assert_consistent(stack)
    key = current[0]["archive_key"]["S"]
    assert stack.s3.get_object(Bucket=stack.archive_bucket, Key=key)["Body"].read() == raw


@pytest.mark.parametrize(("service", "operation", "occurrence", "after_the_call"), CALLS)
def test_a_failed_update_then_a_retry_makes_one_new_revision(
    stack: Stack,
    partner: Partner,
    lambda_context: Any,
    service: str,
    operation: str,
    occurrence: int,
    after_the_call: bool,
) -> None:
    post(partner, encode(article_doc()), lambda_context)
    client = aws.dynamodb_client() if service == "dynamodb" else aws.s3_client()
    fail_once(client, operation, after_the_call=after_the_call, occurrence=occurrence)
    update = encode(article_doc(version="2", versioncreated="2026-11-25T09:30:00Z", headline="Обновление"))
    status, _, _ = post(partner, update, lambda_context)
    assert status == 500
    assert_consistent(stack)
    status, _, body = post(partner, update, lambda_context)
    assert status == 200 and body["revision"] == 2
    assert sorted(item["SK"]["S"][:12] for item in revision_items(stack)) == ["REV#00000001", "REV#00000002"]
    assert_consistent(stack)


class AtomicWrites(ArticleStore):
    """moto checks a write's condition and applies it in two steps that threads can interleave;
    DynamoDB does both atomically. A lock around the write restores that, and only that: reads stay
    concurrent, so the read-then-write race of the code under test still happens."""

    write_lock = threading.Lock()

    def put_revision(self, record: ArticleRecord, **kwargs: Any) -> ArticleRecord:
        with self.write_lock:
            return super().put_revision(record, **kwargs)


def test_concurrent_identical_posts_create_one_article(stack: Stack, partner: Partner) -> None:
    from ingest.service import IngestService
    from newsdesk.dal.archive import Archive

    # Given every request reads "no such article" before any of them writes
    racers = 6
    barrier = threading.Barrier(racers, timeout=20)

    class ReadTogether(AtomicWrites):
        def get(self, article_id: str) -> ArticleRecord | None:
            record = super().get(article_id)
            if record is None:
                # Later re-reads after a lost race find the barrier spent.
                with contextlib.suppress(threading.BrokenBarrierError):
                    barrier.wait()
            return record

    service = IngestService(store=ReadTogether(stack.table_name), archive=Archive(stack.archive_bucket))
    principal = PartnerStore(stack.table_name).resolve(partner.key)
    assert principal is not None
    raw = encode(article_doc())
    # When they all submit the same document at once
    with ThreadPoolExecutor(racers) as pool:
        outcomes = list(pool.map(lambda n: service.submit(raw, principal, request_id=f"r{n}"), range(racers)))
    # Then exactly one created it and the rest were replays of the same revision
    assert sum(outcome.created for outcome in outcomes) == 1
    assert {outcome.record.article_id for outcome in outcomes} == {outcomes[0].record.article_id}
    assert {outcome.record.revision for outcome in outcomes} == {1}
    assert len([item for item in articles_in_table(stack) if item["SK"]["S"] == "CURRENT"]) == 1
    assert_consistent(stack)


def test_concurrent_different_versions_serialize(stack: Stack, partner: Partner) -> None:
    from ingest.service import IngestService
    from newsdesk.dal.archive import Archive
    from newsdesk.errors import VersionConflict

    principal = PartnerStore(stack.table_name).resolve(partner.key)
    assert principal is not None
    service = IngestService(store=AtomicWrites(stack.table_name), archive=Archive(stack.archive_bucket))
    service.submit(encode(article_doc()), principal, request_id="first")
    versions = [str(n) for n in range(2, 8)]

    def submit(version: str) -> int | None:
        doc = article_doc(version=version, versioncreated=f"2026-11-25T1{version}:00:00Z", headline=f"v{version}")
        try:
            return service.submit(encode(doc), principal, request_id=version).record.revision
        except VersionConflict:
            return None  # a newer version got there first: refused, as a late older one must be

    with ThreadPoolExecutor(len(versions)) as pool:
        revisions = [r for r in pool.map(submit, versions) if r is not None]
    assert len(revisions) == len(set(revisions))
    final = ArticleStore(stack.table_name).get(article_id_for(principal.partner_id, article_doc()["uri"]))
    # Then each accepted version got its own revision, and the newest version is the one stored
    assert final is not None and final.version == "7" and final.revision == 1 + len(revisions)
    assert_consistent(stack)


def test_the_write_path_makes_no_transactions(stack: Stack, partner: Partner, lambda_context: Any) -> None:
    """Plain conditional writes only: a transaction costs twice the write capacity (and in moto copies the table)."""
    from tests.handler.test_ingest_api import on_article

    operations: list[str] = []
    client = aws.dynamodb_client()
    client.meta.events.register("before-call.dynamodb.*", lambda model, **_: operations.append(model.name))
    # When a story is created, updated, replaced, replayed and retracted
    _, _, created = post(partner, encode(article_doc()), lambda_context)
    post(partner, encode(article_doc(version="2", versioncreated="2026-11-25T09:30:00Z")), lambda_context)
    post(partner, encode(article_doc(version="2", versioncreated="2026-11-25T09:30:00Z")), lambda_context)
    _, headers, _ = on_article("GET", partner, created["id"], lambda_context)
    on_article(
        "PUT", partner, created["id"], lambda_context, body=encode(article_doc()), **{"if-match": headers["etag"]}
    )
    on_article("DELETE", partner, created["id"], lambda_context)
    # Then DynamoDB saw reads and single-item writes, never TransactWriteItems
    assert "PutItem" in operations and "GetItem" in operations
    assert "TransactWriteItems" not in operations


def test_an_orphaned_revision_of_other_content_does_not_block_the_story(
    stack: Stack, partner: Partner, lambda_context: Any
) -> None:
    """A writer that crashed after its revision item and never came back leaves a revision nobody
    points at; a later update of different content takes the same revision number and wins."""
    post(partner, encode(article_doc()), lambda_context)
    client = aws.dynamodb_client()
    fail_once(client, "PutItem", after_the_call=False, occurrence=2)
    crashed = encode(article_doc(version="2", versioncreated="2026-11-25T09:30:00Z", headline="Сбой"))
    assert post(partner, crashed, lambda_context)[0] == 500
    # When a different version 3 arrives instead of the retry
    newer = encode(article_doc(version="3", versioncreated="2026-11-25T10:30:00Z", headline="Третья"))
    status, _, body = post(partner, newer, lambda_context)
    # Then it becomes revision 2, and the orphan stays only as history nothing points at
    assert status == 200 and body["revision"] == 2 and body["headline"] == "Третья"
    assert len(revision_items(stack)) == 3
    assert_consistent(stack)


@pytest.mark.attack(4)
def test_a_put_whose_answer_was_lost_is_a_replay_when_retried(
    stack: Stack, partner: Partner, lambda_context: Any
) -> None:
    """Issue 8, "What broke" 4: the write succeeded, the answer was lost, the retry names the old ETag."""
    from tests.handler.test_ingest_api import on_article

    _, _, created = post(partner, encode(article_doc()), lambda_context)
    replacement = encode(article_doc(version="2", headline="Замена"))
    # Given the PUT's CURRENT write lands but its answer is lost
    fail_once(aws.dynamodb_client(), "PutItem", after_the_call=True, occurrence=2)
    status, _, _ = on_article("PUT", partner, created["id"], lambda_context, body=replacement, **{"if-match": '"1"'})
    assert status == 500
    # When the partner retries the same PUT with the same If-Match
    status, headers, body = on_article(
        "PUT", partner, created["id"], lambda_context, body=replacement, **{"if-match": '"1"'}
    )
    # Then it is answered as the replay it is
    assert status == 200 and body["replayed"] is True and body["revision"] == 2 and headers["etag"] == '"2"'
    assert len(revision_items(stack)) == 2
