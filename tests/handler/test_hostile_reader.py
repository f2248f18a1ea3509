"""A hostile review of issue 8 from the reader's and the unlucky operator's side: publish races that
could still put an older state of a story back, and what a reader can do to the rankings.

Each test reproduces one finding of the review with the real handlers against moto; the stale or
crashing writer is made with botocore hooks on its own clients (as in test_publish_races.py).
"""

from __future__ import annotations

import hashlib
from collections.abc import Callable
from typing import Any

import pytest

from newsdesk.dal import clients as aws
from newsdesk.dal.articles import ArticleStore
from newsdesk.dal.engagement import CounterStore
from tests.handler.ninjs_builders import article_doc
from tests.handler.test_publish import (  # noqa: F401  (fixtures)
    Newsroom,
    article_file,
    listed_ids,
    newsroom,
    snapshot_bucket,
    stored_rankings,
)
from tests.handler.test_publish_races import LaggingIndex, before_first_put, stale_publisher

pytestmark = pytest.mark.handler

LATEST = "v1/latest.json"


class Crash(Exception):
    """The publish function dying (timeout, out of memory) at the worst moment."""


def crash_once_before(client: Any, operation: str, matches: Callable[[dict[str, Any]], bool]) -> list[bool]:
    """Make ``client``'s next call of ``operation`` whose parameters match raise :class:`Crash`."""
    fired: list[bool] = []

    def hook(params: dict[str, Any], **_: Any) -> None:
        if not fired and matches(params):
            fired.append(True)
            raise Crash(operation)

    client.meta.events.register(f"provide-client-params.{client.meta.service_model.service_name}.{operation}", hook)
    return fired


def record_of(params: dict[str, Any], path: str) -> bool:
    keys = (params.get("Key", {}), params.get("Item", {}))
    return any(item.get("SK", {}).get("S") == path for item in keys)


def bucket_sha(room: Newsroom, path: str) -> str:
    body = room.stack.s3.get_object(Bucket=room.bucket, Key=path)["Body"].read()
    return hashlib.sha256(body).hexdigest()


def manifest_sha(room: Newsroom, path: str) -> str:
    return str(next(entry["sha256"] for entry in room.json("v1/manifest.json")["entries"] if entry["path"] == path))


def batch_of(*events: dict[str, Any] | None) -> dict[str, Any]:
    return {"Records": [record for event in events if event is not None for record in event["Records"]]}


# --- 5: a crash between the PUT and the hash record --------------------------------------------------


@pytest.mark.attack(5)
def test_a_crash_between_put_and_hash_record_does_not_keep_a_retracted_story_listed(
    newsroom: Newsroom,  # noqa: F811 (fixture)
) -> None:
    # Given a published story
    kept = newsroom.post(article_doc("urn:hostile:kept"))["id"]
    newsroom.publish()
    # And a second story whose publish dies after latest.json was PUT but before its hash record
    gone = newsroom.post(article_doc("urn:hostile:gone"))["id"]
    batch = newsroom.stream.read_event()
    assert batch is not None
    fired = crash_once_before(aws.dynamodb_client(), "PutItem", lambda params: record_of(params, LATEST))
    with pytest.raises(Crash):
        newsroom.invoke(batch)
    assert fired and set(listed_ids(newsroom, LATEST)) == {kept, gone}
    # When the stream retries the batch, and then the partner retracts the second story
    newsroom.invoke(batch)
    newsroom.retract(gone)
    newsroom.publish()
    # Then latest.json no longer lists it, and the manifest describes the file in the bucket
    assert listed_ids(newsroom, LATEST) == [kept]
    assert manifest_sha(newsroom, LATEST) == bucket_sha(newsroom, LATEST)


@pytest.mark.attack(5)
def test_a_crash_then_a_retry_that_brings_the_retraction_along_does_not_keep_the_story_listed(
    newsroom: Newsroom,  # noqa: F811 (fixture)
) -> None:
    # Given a published story, and a second one whose publish dies between latest.json's PUT and record
    kept = newsroom.post(article_doc("urn:hostile:kept-2"))["id"]
    newsroom.publish()
    gone = newsroom.post(article_doc("urn:hostile:gone-2"))["id"]
    first = newsroom.stream.read_event()
    crash_once_before(aws.dynamodb_client(), "PutItem", lambda params: record_of(params, LATEST))
    with pytest.raises(Crash):
        newsroom.invoke(batch_of(first))
    # When the partner retracts it and the stream's retry carries both records in one batch
    newsroom.retract(gone)
    newsroom.invoke(batch_of(first, newsroom.stream.read_event()))
    # Then latest.json does not list the retracted story
    assert newsroom.json(article_file(gone))["kind"] == "tombstone"
    assert listed_ids(newsroom, LATEST) == [kept]
    assert manifest_sha(newsroom, LATEST) == bucket_sha(newsroom, LATEST)


@pytest.mark.attack(5)
def test_a_redelivered_insert_batched_with_its_retraction_leaves_no_retracted_story_listed(
    newsroom: Newsroom,  # noqa: F811 (fixture)
) -> None:
    # Given a story published by a batch whose lists were written (another record of it failed,
    # so the stream delivers it again from there)
    kept = newsroom.post(article_doc("urn:hostile:kept-3"))["id"]
    newsroom.publish()
    gone = newsroom.post(article_doc("urn:hostile:gone-3"))["id"]
    first = newsroom.stream.read_event()
    newsroom.invoke(batch_of(first))
    assert set(listed_ids(newsroom, LATEST)) == {kept, gone}
    # When the redelivered batch carries the story's insert and, after it, its retraction
    newsroom.retract(gone)
    newsroom.invoke(batch_of(first, newsroom.stream.read_event()))
    # Then latest.json does not list the retracted story
    assert newsroom.json(article_file(gone))["kind"] == "tombstone"
    assert listed_ids(newsroom, LATEST) == [kept]


# --- 11: the rankings ------------------------------------------------------------------------------


def ranked_ids(room: Newsroom) -> set[str]:
    trending = room.json("v1/trending.json")
    ids = {entry["id"] for entry in trending["most_read"] + trending["most_discussed"]}
    for lists in trending["sections"].values():
        ids |= {entry["id"] for entry in lists["most_read"] + lists["most_discussed"]}
    return ids | set(room.json("v1/counters.json")["articles"])


@pytest.mark.attack(11)
def test_rankings_published_while_the_story_is_retracted_do_not_bring_it_back(
    newsroom: Newsroom,  # noqa: F811 (fixture)
) -> None:
    # Given a story at the top of the rankings, published
    story = newsroom.post(article_doc("urn:hostile:ranked"))
    counters = CounterStore(newsroom.stack.table_name)
    counters.put_trending(stored_rankings(story["id"], story["headline"], 12))
    newsroom.publish()
    assert story["id"] in ranked_ids(newsroom)
    # And newer rankings that a publisher (its own S3 client) read before the story was retracted
    stale, s3 = stale_publisher(newsroom)
    newsroom.retract(story["id"])
    done = before_first_put(s3, "v1/trending.json", newsroom.publish)
    # When the retraction is published between that publisher's reads and its PUT
    stale.publish_trending(stored_rankings(story["id"], story["headline"], 13).rankings())
    # Then the retracted story is in neither trending.json nor counters.json
    assert done and newsroom.json(article_file(story["id"]))["kind"] == "tombstone"
    assert story["id"] not in ranked_ids(newsroom)


@pytest.mark.attack(11)
def test_a_story_back_in_a_newer_version_reenters_the_rankings_after_a_redelivered_batch(
    newsroom: Newsroom,  # noqa: F811 (fixture)
) -> None:
    # Given a ranked story that was retracted (it left the rankings)
    story = newsroom.post(article_doc("urn:hostile:back"))
    counters = CounterStore(newsroom.stack.table_name)
    counters.put_trending(stored_rankings(story["id"], story["headline"], 12))
    newsroom.publish()
    newsroom.retract(story["id"])
    retraction = newsroom.stream.read_event()
    newsroom.invoke(batch_of(retraction))
    assert story["id"] not in ranked_ids(newsroom)
    # When the partner publishes it again in a newer version, and the stream delivers the retraction
    # again (a record before it failed) together with the new version
    newsroom.post(article_doc("urn:hostile:back", version="3", headline="Снова в эфире"))
    newsroom.invoke(batch_of(retraction, newsroom.stream.read_event()))
    assert newsroom.json(article_file(story["id"]))["kind"] == "article"
    # Then the next rankings that hold it are published with it
    counters.put_trending(stored_rankings(story["id"], "Снова в эфире", 14))
    newsroom.publish()
    assert story["id"] in ranked_ids(newsroom)


# --- 5: a list written from a lagging index by another shard's batch ---------------------------------


@pytest.mark.attack(5)
def test_a_batch_of_another_shard_rendering_from_a_lagging_index_does_not_drop_a_listed_story(
    newsroom: Newsroom,  # noqa: F811 (fixture)
) -> None:
    from publish.changes import ArticleChange, latest_list

    # Given a published story, and what the latest index answers before a second story is indexed
    first = newsroom.post(article_doc("urn:hostile:lag-first"))["id"]
    newsroom.publish()
    key = latest_list()
    store = ArticleStore(newsroom.stack.table_name)
    before = store.newest(key.index_name, key.pk_value, 10)
    # When a second story is published and listed by one batch
    listed = newsroom.post(article_doc("urn:hostile:lag-listed"))["id"]
    newsroom.publish()
    assert set(listed_ids(newsroom, LATEST)) == {first, listed}
    # And a batch of another shard (a third story) renders latest.json from the index that lags
    third = newsroom.post(article_doc("urn:hostile:lag-third"))["id"]
    newsroom.stream.read_event()
    lagging, _ = stale_publisher(
        newsroom, LaggingIndex(newsroom.stack.table_name, {(key.index_name, key.pk_value): before})
    )
    lagging.publish_lists([ArticleChange(old=None, new=store.get(third))])
    # Then the story listed a moment ago is still listed
    assert set(listed_ids(newsroom, LATEST)) == {first, listed, third}
