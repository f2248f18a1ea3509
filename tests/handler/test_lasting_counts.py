"""Counters that last (issue 9): every article's all-time views and current comments in a small
``v1/counts/{id}.json``, written only when they change, never for a withdrawn story, and never by
rewriting the article's file; and ``recently_discussed`` in ``v1/trending.json``.

In-process against moto. Views are counted by the view counter function from synthetic stream
batches (inserts of dedupe records, as the table's stream delivers them), so that thousands of
views need no thousands of requests; the counts files are written by the publish function's timer.
"""

# The fixtures imported from the publish and trending tests are parameters of the tests here.
# ruff: noqa: F811

from __future__ import annotations

import json
from collections.abc import Sequence
from datetime import UTC, datetime, timedelta
from typing import Any

import pytest

from newsdesk.dal import clients as aws
from newsdesk.dal.keys import seen_pk
from newsdesk.engagement import hour_bucket
from newsdesk.settings import get_settings
from newsdesk.snapshots import limits
from publish.publisher import Publisher
from tests.conftest import LambdaContextStub
from tests.handler.ninjs_builders import article_doc
from tests.handler.test_publish import Newsroom, newsroom, snapshot_bucket  # noqa: F401 (fixtures)
from tests.handler.test_trending_function import record_comments, site, stored_files, trending_env  # noqa: F401
from tests.support.aws_calls import AwsCalls
from trending.service import run_trending

pytestmark = pytest.mark.handler

NOW = datetime(2026, 11, 25, 12, 2, tzinfo=UTC)
STREAM_ARN = "arn:aws:dynamodb:eu-west-1:123456789012:table/newsdesk-test-Table/stream/2026-11-25T00:00:00.000"


class Views:
    """Inserts of dedupe records as the table's stream would deliver them; sequence numbers grow."""

    def __init__(self) -> None:
        self.next_number = 10**20

    def records(self, article_id: str, hour: str, count: int) -> list[dict[str, Any]]:
        made = []
        for _ in range(count):
            self.next_number += 1
            keys = {"PK": {"S": seen_pk(article_id, hour)}, "SK": {"S": f"{self.next_number:032x}"}}
            made.append(
                {
                    "eventID": f"event-{self.next_number}",
                    "eventName": "INSERT",
                    "eventVersion": "1.1",
                    "eventSource": "aws:dynamodb",
                    "awsRegion": "eu-west-1",
                    "eventSourceARN": STREAM_ARN,
                    "dynamodb": {
                        "Keys": keys,
                        "NewImage": {
                            **keys,
                            "article_id": {"S": article_id},
                            "hour": {"S": hour},
                            "section": {"S": "defence-industry"},
                        },
                        "SequenceNumber": str(self.next_number),
                        "SizeBytes": 120,
                        "StreamViewType": "NEW_AND_OLD_IMAGES",
                    },
                }
            )
        return made


def count(records: Sequence[dict[str, Any]], batch_size: int = 1_000) -> None:
    """The view counter function, in batches of at most ``batch_size`` (its template BatchSize)."""
    from trending.counting import handler

    for start in range(0, len(records), batch_size):
        response = handler({"Records": list(records[start : start + batch_size])}, LambdaContextStub())
        assert response == {"batchItemFailures": []}


def counts_path(article_id: str) -> str:
    return f"v1/counts/{article_id}.json"


def counts_file(newsroom: Newsroom, article_id: str) -> dict[str, Any]:
    return dict(newsroom.json(counts_path(article_id)))


def story(newsroom: Newsroom, uri: str) -> str:
    """A published story with its page in the bucket (the publish function ran on its insert)."""
    article_id = str(newsroom.post(article_doc(uri))["id"])
    assert newsroom.publish() == {"batchItemFailures": []}
    assert newsroom.exists(f"v1/articles/{article_id}.json")
    return article_id


def publish_counts(newsroom: Newsroom, at: datetime = NOW) -> None:
    """The publish function's timer: embargoes, expiry, and the counts files that changed."""
    assert newsroom.timer(at) == {"released": 0, "expired": 0}


def test_3816_counted_views_show_in_the_counts_file_and_a_redelivered_batch_does_not_double(
    newsroom: Newsroom,
) -> None:
    # Given a story, and 3,816 new visits counted by the view counter in batches of 1,000
    article_id = story(newsroom, "urn:test:counts:model")
    records = Views().records(article_id, hour_bucket(NOW), 3_816)
    count(records)
    # When the publish timer runs
    publish_counts(newsroom)
    # Then the story's counts file shows them, small and cacheable for a minute
    assert counts_file(newsroom, article_id) == {
        "schema_version": "v1",
        "kind": "counts",
        "id": article_id,
        "views": 3_816,
        "comments": 0,
        "updated_at": counts_file(newsroom, article_id)["updated_at"],
    }
    head = newsroom.stack.s3.head_object(Bucket=newsroom.bucket, Key=counts_path(article_id))
    assert head["CacheControl"].startswith("public, max-age=60")
    assert head["ContentType"] == "application/json; charset=utf-8"
    assert head["ContentLength"] <= limits.MAX_COUNTS_BYTES
    # And when Lambda delivers the last two batches again (a retry after a lost response)
    count(records[2_000:])
    count(records[2_500:3_100], batch_size=300)
    publish_counts(newsroom, NOW + timedelta(minutes=1))
    # Then no view is counted twice
    assert counts_file(newsroom, article_id)["views"] == 3_816


def test_views_outside_the_trending_window_still_count_all_time(
    newsroom: Newsroom,
    trending_env: dict[str, str],
) -> None:
    # Given views three days ago (outside the 48-hour window) and now
    article_id = story(newsroom, "urn:test:counts:old")
    views = Views()
    count(views.records(article_id, hour_bucket(NOW - timedelta(days=3)), 40))
    count(views.records(article_id, hour_bucket(NOW), 5))
    # When the trending function ranks the window and the timer publishes the counts
    run_trending(NOW)
    publish_counts(newsroom)
    # Then the window's counters hold only the recent views, and the counts file all of them
    _, counters = stored_files(newsroom.stack)
    assert counters["articles"][article_id]["views"] == 5
    assert counts_file(newsroom, article_id)["views"] == 45


def test_views_never_rewrite_the_article_file_and_only_changed_counts_are_written(newsroom: Newsroom) -> None:
    # Given two stories with counts files
    first, second = story(newsroom, "urn:test:counts:first"), story(newsroom, "urn:test:counts:second")
    views = Views()
    count([*views.records(first, hour_bucket(NOW), 3), *views.records(second, hour_bucket(NOW), 2)])
    publish_counts(newsroom)
    # When only the first gets new views, and the timer runs twice
    newsroom.watch_puts()
    count(views.records(first, hour_bucket(NOW), 4))
    publish_counts(newsroom, NOW + timedelta(minutes=1))
    calls = AwsCalls().watch(aws.dynamodb_client(), aws.s3_client())
    publish_counts(newsroom, NOW + timedelta(minutes=2))
    # Then only the first story's counts file is written, once, and no article file at all
    assert newsroom.written == [counts_path(first)]
    assert counts_file(newsroom, first)["views"] == 7 and counts_file(newsroom, second)["views"] == 2
    # And a timer with no new counts adds one Query (of the markers) to the embargo and expiry
    # timer's two, and writes nothing
    assert dict(calls.calls) == {"dynamodb:Query": 3}


def test_a_retracted_story_loses_its_counts_file_and_later_views_do_not_bring_it_back(newsroom: Newsroom) -> None:
    # Given a story with a counts file
    article_id = story(newsroom, "urn:test:counts:retracted")
    views = Views()
    count(views.records(article_id, hour_bucket(NOW), 3))
    publish_counts(newsroom)
    assert newsroom.exists(counts_path(article_id))
    # When the partner retracts it and publish runs on the change
    newsroom.retract(article_id)
    assert newsroom.publish() == {"batchItemFailures": []}
    # Then its counts file is gone with its page
    assert not newsroom.exists(counts_path(article_id))
    assert newsroom.json(f"v1/articles/{article_id}.json")["kind"] == "tombstone"
    # And views counted afterwards (already on the stream) do not write it again
    count(views.records(article_id, hour_bucket(NOW), 2))
    publish_counts(newsroom, NOW + timedelta(minutes=1))
    assert not newsroom.exists(counts_path(article_id))


def test_a_retraction_while_the_counts_are_written_does_not_leave_a_counts_file(newsroom: Newsroom) -> None:
    # Given a story with new views
    article_id = story(newsroom, "urn:test:counts:race")
    count(Views().records(article_id, hour_bucket(NOW), 3))

    # When the story is retracted (and its change published) after the counts writer read it as
    # published, before its PUT lands
    def retract_first(params: dict[str, Any], **_: Any) -> None:
        if params.get("Key") == counts_path(article_id) and not retracted:
            retracted.append(True)
            newsroom.retract(article_id)
            assert newsroom.publish() == {"batchItemFailures": []}

    retracted: list[bool] = []
    aws.s3_client().meta.events.register("provide-client-params.s3.PutObject", retract_first)
    try:
        publish_counts(newsroom)
    finally:
        aws.s3_client().meta.events.unregister("provide-client-params.s3.PutObject", retract_first)
    # Then the writer finds the story withdrawn after its PUT and removes the file
    assert retracted == [True]
    assert not newsroom.exists(counts_path(article_id))


def test_comments_reach_the_counts_file(newsroom: Newsroom, site: dict[str, str]) -> None:
    # Given a story with views, then 14 comments, then 2 of them deleted
    article_id = story(newsroom, "urn:test:counts:comments")
    count(Views().records(article_id, hour_bucket(NOW), 3))
    record_comments(newsroom.stack, site, article_id, 14, NOW)
    publish_counts(newsroom)
    assert (counts_file(newsroom, article_id)["views"], counts_file(newsroom, article_id)["comments"]) == (3, 14)
    record_comments(newsroom.stack, site, article_id, 12, NOW + timedelta(minutes=1))
    publish_counts(newsroom, NOW + timedelta(minutes=2))
    assert counts_file(newsroom, article_id)["comments"] == 12
    # And the same count sent again changes nothing, so nothing is written
    newsroom.watch_puts()
    record_comments(newsroom.stack, site, article_id, 12, NOW + timedelta(minutes=3))
    publish_counts(newsroom, NOW + timedelta(minutes=4))
    assert newsroom.written == []


def test_recently_discussed_lists_stories_by_their_last_comment_with_counts_of_0_and_1(
    newsroom: Newsroom, trending_env: dict[str, str], site: dict[str, str]
) -> None:
    # Given stories commented at different times: one comment 10 minutes ago; three comments 30
    # minutes ago, all deleted since; a comment thread opened with no comment; a story last
    # commented 30 hours ago (outside the default 24 hours)
    one = story(newsroom, "urn:test:discussed:one")
    emptied = story(newsroom, "urn:test:discussed:emptied")
    silent = story(newsroom, "urn:test:discussed:silent")
    old = story(newsroom, "urn:test:discussed:old")
    record_comments(newsroom.stack, site, old, 5, NOW - timedelta(hours=30))
    record_comments(newsroom.stack, site, emptied, 3, NOW - timedelta(minutes=30))
    record_comments(newsroom.stack, site, one, 1, NOW - timedelta(minutes=10))
    record_comments(newsroom.stack, site, emptied, 0, NOW - timedelta(minutes=5))
    record_comments(newsroom.stack, site, silent, 0, NOW - timedelta(minutes=5))
    # When the trending function runs
    run_trending(NOW)
    trending, _ = stored_files(newsroom.stack)
    # Then the recently discussed are the stories with a new comment in the last 24 hours, newest
    # discussed first, with their current counts (1, and 0 after the deletions)
    recent = trending["recently_discussed"]
    assert [entry["id"] for entry in recent] == [one, emptied]
    assert [entry["count"] for entry in recent] == [1, 0]
    assert recent[0]["last_comment_at"] == "2026-11-25T11:52:00Z"
    assert recent[1]["last_comment_at"] == "2026-11-25T11:32:00Z"
    assert recent[0]["published_at"].endswith("Z") and recent[0]["headline"]
    assert recent[0]["path"] == f"/v1/articles/{one}.json" and recent[0]["section"]
    # And the count-ranked list stays as it was (at least 3 comments in the window)
    assert [entry["id"] for entry in trending["most_discussed"]] == [old]


def test_publish_all_leaves_counts_files_alone(newsroom: Newsroom) -> None:
    # Given a story with a counts file
    article_id = story(newsroom, "urn:test:counts:rebuild")
    count(Views().records(article_id, hour_bucket(NOW), 2))
    publish_counts(newsroom)
    before = newsroom.files()[counts_path(article_id)]
    # When an operator rebuilds every snapshot
    Publisher.from_settings(get_settings()).rebuild_all()
    # Then the counts file is as it was, and the manifest does not list counts files
    assert newsroom.files()[counts_path(article_id)] == before
    manifest = json.loads(newsroom.files()["v1/manifest.json"])
    assert not any(entry["path"].startswith("v1/counts/") for entry in manifest["entries"])
