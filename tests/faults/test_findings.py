"""What the fault properties found, each shrunk to one request or one batch.

Each test states the behaviour issue 8 asks for and is marked ``xfail(strict=True)`` while the code
does otherwise: it fails today, and the suite tells when a fix makes it pass (then drop the mark).
The view counter's doubled count is in test_counting_faults.py.
"""

from __future__ import annotations

import json
from typing import Any

import pytest

from tests.conftest import Partner, Stack
from tests.faults.harness import bucket_files
from tests.handler.ninjs_builders import article_doc, encode
from tests.handler.stream import TableStream, filtered_for
from tests.handler.test_ingest_api import current_item, on_article, post
from tests.handler.test_publish import snapshot_bucket  # noqa: F401 (fixture)
from tests.support.faults import Fault, FaultKind, injector_on_function_clients

pytestmark = pytest.mark.handler


@pytest.mark.parametrize("kind", [FaultKind.TIMEOUT_AFTER, FaultKind.CLOSED_AFTER])
def test_a_keyed_post_whose_in_progress_record_was_written_but_not_answered_can_be_retried(
    stack: Stack, partner: Partner, lambda_context: Any, kind: FaultKind
) -> None:
    """The first PutItem of a POST with an Idempotency-Key is Powertools' "in progress" record. When
    DynamoDB writes it and the response is lost, the request answers 500 without having done
    anything, and every retry answers 409 idempotency-in-progress until the record expires (the
    invocation's remaining time: up to the function's timeout), though no request is running. A
    partner that retries on 5xx stops at the 409: the article is not there."""
    raw = encode(article_doc())
    with injector_on_function_clients() as injector:
        injector.arm(Fault(call=1, kind=kind, operation="dynamodb:PutItem"))
        status, _, _ = post(partner, raw, lambda_context, **{"idempotency-key": "key-1"})
        assert status in (201, 500)
        assert injector.fired is not None
    # When the partner retries at once
    status, _, body = post(partner, raw, lambda_context, **{"idempotency-key": "key-1"})
    # Then the retry creates the article (or answers as its replay)
    assert status in (200, 201), body
    assert current_item(stack, body["id"]) is not None


def test_a_partly_failed_batch_publishes_no_file_the_whole_batch_does_not(
    stack: Stack,
    partner: Partner,
    lambda_context: Any,
    snapshot_bucket: str,  # noqa: F811 (the fixture imported above)
) -> None:
    """A story posted and retracted, both records in one batch, and publishing the first record fails
    once (its snapshot hash record cannot be read). The retraction record must not be published on
    its own ahead of the failed one (it once wrote every list, the schemas and the manifest from a
    partial batch); Lambda's retry of both records then publishes what the batch publishes without a
    fault: the tombstone, and lists that hold nothing."""
    from publish.app import handler

    stream = TableStream(stack.dynamodb, stack.table_name)
    status, _, created = post(partner, encode(article_doc()), lambda_context)
    assert status == 201
    assert on_article("DELETE", partner, created["id"], lambda_context)[0] == 204
    batch = filtered_for("PublishFunction", stream.read_records())
    assert [record["eventName"] for record in batch] == ["INSERT", "MODIFY"]
    with injector_on_function_clients() as injector:
        injector.arm(Fault(call=1, kind=FaultKind.THROTTLED))
        first = handler({"Records": batch}, lambda_context)
        assert injector.fired is not None
    # Then the first attempt published nothing: both records are reported, the first as failed
    assert [failure["itemIdentifier"] for failure in first["batchItemFailures"]] == [
        record["dynamodb"]["SequenceNumber"] for record in batch
    ]
    assert bucket_files(stack, snapshot_bucket) == {}
    # And the retry publishes the tombstone, and lists that list nothing
    assert handler({"Records": batch}, lambda_context) == {"batchItemFailures": []}
    files = bucket_files(stack, snapshot_bucket)
    assert json.loads(files[f"v1/articles/{created['id']}.json"])["kind"] == "tombstone"
    json_files = {path: json.loads(body) for path, body in files.items() if path.endswith(".json")}
    lists = [body for body in json_files.values() if body.get("kind") == "list"]
    assert lists
    assert all(listing["items"] == [] for listing in lists)
    # The feeds and the news sitemap (XML, issue 9) are the lists' other form: they hold no story
    xml_files = {path: body for path, body in files.items() if not path.endswith(".json")}
    assert "v1/feeds/latest.xml" in xml_files and "v1/sitemap-news.xml" in xml_files
    assert all(path.endswith((".xml", ".atom")) for path in xml_files), sorted(xml_files)
    for path, body in xml_files.items():
        assert b"<item>" not in body and b"<entry>" not in body and b"<url>" not in body, path
