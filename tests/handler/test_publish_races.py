"""Issue 8, 'What broke' 5 and 11: no writer puts an older state of an article back, and a retracted
story leaves the rankings in the same publish as its tombstone.

A stale writer is a publisher holding an article state read before a newer one was published:
``newsdesk publish --all`` reads every record first and renders for minutes; a redelivered stream
batch; a list rendered from an index that has not caught up. Each test makes the stale writer and
the newer one meet at the worst moment, with botocore hooks on the stale writer's own clients.
"""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

import boto3
import pytest

from newsdesk.dal.archive import Archive
from newsdesk.dal.articles import ArticleStore
from newsdesk.dal.engagement import CounterStore
from newsdesk.dal.snapshots import SnapshotStore
from newsdesk.dal.withdrawn import WithdrawnStore
from newsdesk.models import ArticleStatus
from newsdesk.settings import get_settings
from publish.changes import ArticleChange
from publish.publisher import Publisher
from tests.handler.ninjs_builders import article_doc
from tests.handler.test_publish import (  # noqa: F401  (fixtures)
    Newsroom,
    article_file,
    listed_ids,
    newsroom,
    snapshot_bucket,
    stored_rankings,
)

pytestmark = pytest.mark.handler


def stale_publisher(room: Newsroom, articles: ArticleStore | None = None) -> tuple[Publisher, Any]:
    """A publisher with its own S3 client, so that hooks on it see only the stale writer's calls."""
    s3 = boto3.client("s3", region_name=room.stack.s3.meta.region_name)
    settings = get_settings()
    publisher = Publisher(
        articles=articles or ArticleStore(room.stack.table_name),
        archive=Archive(room.stack.archive_bucket),
        snapshots=SnapshotStore(room.bucket, room.stack.table_name, s3=s3),
        settings=settings,
        counters=CounterStore(room.stack.table_name),
        withdrawn=WithdrawnStore(room.stack.table_name),
    )
    return publisher, s3


def before_first_put(s3: Any, key: str, action: Callable[[], Any]) -> list[bool]:
    """Run ``action`` just before the stale writer's first PutObject of ``key`` goes out; the list
    returned holds True once it has run."""
    done: list[bool] = []

    def hook(params: dict[str, Any], **_: Any) -> None:
        if params.get("Key") == key and not done:
            done.append(True)
            action()

    s3.meta.events.register("provide-client-params.s3.PutObject", hook)
    return done


@pytest.mark.attack(5)
def test_a_stale_writer_does_not_bring_a_retracted_story_back(
    newsroom: Newsroom,  # noqa: F811 (fixture)
) -> None:
    # Given a published story, and its published state as `publish --all` read it at its start
    article_id = newsroom.post(article_doc("urn:x:race-1"))["id"]
    newsroom.publish()
    published = ArticleStore(newsroom.stack.table_name).get(article_id)
    assert published is not None and published.status is ArticleStatus.PUBLISHED
    # When the story is retracted and its tombstone published
    newsroom.retract(article_id)
    newsroom.publish()
    assert newsroom.json(article_file(article_id))["kind"] == "tombstone"
    # And the stale writer then gets to the story, with the state it read before
    stale, _ = stale_publisher(newsroom)
    stale.publish_article(ArticleChange(old=None, new=published), force=True)
    # Then the tombstone stays
    assert newsroom.json(article_file(article_id))["kind"] == "tombstone"


@pytest.mark.attack(5)
def test_a_stale_writer_that_read_before_the_retraction_and_writes_after_it_loses(
    newsroom: Newsroom,  # noqa: F811 (fixture)
) -> None:
    # Given a published story, an edit waiting on the stream, and a stale writer holding the first state
    article_id = newsroom.post(article_doc("urn:x:race-2"))["id"]
    newsroom.publish()
    published = ArticleStore(newsroom.stack.table_name).get(article_id)
    assert published is not None
    newsroom.retract(article_id)
    stale, s3 = stale_publisher(newsroom)
    # When the retraction is published between the stale writer's reads and its PUT
    before_first_put(s3, article_file(article_id), newsroom.publish)
    stale.publish_article(ArticleChange(old=None, new=published), force=True)
    # Then the file holds the tombstone, and the next publish leaves it so
    assert newsroom.json(article_file(article_id))["kind"] == "tombstone"
    pending = newsroom.stream.read_event()
    if pending is not None:
        newsroom.invoke(pending)
    assert newsroom.json(article_file(article_id))["kind"] == "tombstone"


@pytest.mark.attack(5)
def test_an_update_is_not_replaced_by_the_version_before_it(
    newsroom: Newsroom,  # noqa: F811 (fixture)
) -> None:
    # Given version 1 published and read by a stale writer, then version 2 posted
    article_id = newsroom.post(article_doc("urn:x:race-3", headline="Первая редакция"))["id"]
    newsroom.publish()
    first = ArticleStore(newsroom.stack.table_name).get(article_id)
    assert first is not None
    newsroom.post(article_doc("urn:x:race-3", version="2", headline="Вторая редакция"))
    stale, s3 = stale_publisher(newsroom)
    # When version 2 is published while a `publish --all --force` holding version 1 is between its
    # reads and its PUT
    before_first_put(s3, article_file(article_id), newsroom.publish)
    stale.publish_article(ArticleChange(old=None, new=first), force=True)
    # Then the page shows version 2
    page = newsroom.json(article_file(article_id))
    assert page["headline"] == "Вторая редакция" and page["revision"] == 2


class LaggingIndex(ArticleStore):
    """The list indexes as an eventually consistent GSI may answer: a state from before a change."""

    def __init__(self, table_name: str, frozen: dict[tuple[str, str], list[Any]]) -> None:
        super().__init__(table_name)
        self.frozen = frozen

    def newest(self, index_name: str, pk_value: str, limit: int) -> list[Any]:
        return self.frozen.get((index_name, pk_value), [])[:limit]


@pytest.mark.attack(5)
def test_a_list_rendered_from_a_lagging_index_does_not_list_a_retracted_story(
    newsroom: Newsroom,  # noqa: F811 (fixture)
) -> None:
    # Given two published stories, and what the latest index answered before one was retracted
    kept = newsroom.post(article_doc("urn:x:kept"))["id"]
    gone = newsroom.post(article_doc("urn:x:gone"))["id"]
    newsroom.publish()
    store = ArticleStore(newsroom.stack.table_name)
    from publish.changes import latest_list

    key = latest_list()
    before = store.newest(key.index_name, key.pk_value, 10)
    assert {record.article_id for record in before} == {kept, gone}
    newsroom.retract(gone)
    newsroom.publish()
    assert listed_ids(newsroom, "v1/latest.json") == [kept]
    # When a writer whose index still answers with the retracted story rewrites the lists
    stale, _ = stale_publisher(
        newsroom, LaggingIndex(newsroom.stack.table_name, {(key.index_name, key.pk_value): before})
    )
    stale.rebuild_all(force=True)
    # Then the retracted story is listed nowhere
    assert listed_ids(newsroom, "v1/latest.json") == [kept]


@pytest.mark.attack(11)
def test_a_retracted_story_leaves_trending_and_counters_in_the_publish_of_its_tombstone(
    newsroom: Newsroom,  # noqa: F811 (fixture)
) -> None:
    # Given a published story that is the most discussed, with its rankings published
    story = newsroom.post(article_doc("urn:x:talked-about"))
    newsroom.publish()
    CounterStore(newsroom.stack.table_name).put_trending(stored_rankings(story["id"], story["headline"], 12))
    newsroom.publish()
    assert newsroom.json("v1/trending.json")["most_discussed"][0]["id"] == story["id"]
    assert story["id"] in newsroom.json("v1/counters.json")["articles"]
    # When the partner retracts it and the stream delivers the retraction
    newsroom.retract(story["id"])
    newsroom.publish()
    # Then in that same publish the tombstone is written and the story is gone from both files
    assert newsroom.json(article_file(story["id"]))["kind"] == "tombstone"
    trending = newsroom.json("v1/trending.json")
    assert all(entry["id"] != story["id"] for entry in trending["most_read"] + trending["most_discussed"])
    for lists in trending["sections"].values():
        assert all(entry["id"] != story["id"] for entry in lists["most_read"] + lists["most_discussed"])
    assert story["id"] not in newsroom.json("v1/counters.json")["articles"]
    # And rankings the trending function stored before it saw the retraction do not bring it back
    CounterStore(newsroom.stack.table_name).put_trending(stored_rankings(story["id"], story["headline"], 13))
    newsroom.publish()
    assert story["id"] not in newsroom.json("v1/counters.json")["articles"]
    assert newsroom.json("v1/trending.json")["most_discussed"] == []
