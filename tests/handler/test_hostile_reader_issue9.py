"""Issue 9 review, hostile reader: a retracted story must leave the feeds and the news sitemap even
when the run that retracted it died after its lists were written (the stream delivers the batch
again, and the lists are then already right: nothing is PUT for them)."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta

import pytest
from lxml import etree

from newsdesk.dal import clients as aws
from tests.handler.ninjs_builders import article_doc
from tests.handler.test_hostile_reader import Crash, batch_of, crash_once_before
from tests.handler.test_publish import (  # noqa: F401 (fixtures)
    Newsroom,
    forget_publish_state,
    newsroom,
    snapshot_bucket,
)

pytestmark = pytest.mark.handler

SECTION_FEED = "v1/feeds/sections/defence-industry.xml"
FEEDS = ("v1/feeds/latest.xml", "v1/feeds/latest.atom", SECTION_FEED, "v1/sitemap-news.xml")


def feed_ids(room: Newsroom, path: str) -> set[str]:
    body = room.stack.s3.get_object(Bucket=room.bucket, Key=path)["Body"].read()
    root = etree.fromstring(body)
    texts = root.xpath("//*[local-name()='link' or local-name()='loc']/text() | //*[local-name()='link']/@href")
    return {str(text).rsplit("id=", 1)[1] for text in texts if "id=" in str(text)}


def test_a_retraction_whose_run_died_before_the_feeds_leaves_every_feed_on_the_retry(
    newsroom: Newsroom,  # noqa: F811 (fixture)
) -> None:
    # Given two published stories in every feed
    kept = newsroom.post(article_doc("urn:hostile-reader:kept", versioncreated="2026-11-25T08:00:00Z"))["id"]
    gone = newsroom.post(article_doc("urn:hostile-reader:gone", versioncreated="2026-11-25T09:00:00Z"))["id"]
    assert newsroom.publish() == {"batchItemFailures": []}
    assert all(feed_ids(newsroom, path) == {kept, gone} for path in FEEDS)
    # When the retraction's run dies at its first feed PUT, after the lists were written
    newsroom.retract(gone)
    retraction = newsroom.stream.read_event()
    crashed = crash_once_before(aws.s3_client(), "PutObject", lambda params: params["Key"].startswith("v1/feeds/"))
    with pytest.raises(Crash):
        newsroom.invoke(batch_of(retraction))
    assert crashed == [True]
    # And the stream delivers the batch again
    newsroom.invoke(batch_of(retraction))
    # Then no feed and not the sitemap lists the retracted story
    assert {path: feed_ids(newsroom, path) for path in FEEDS} == {path: {kept} for path in FEEDS}


def test_an_expired_story_leaves_every_feed_and_the_sitemap(newsroom: Newsroom) -> None:  # noqa: F811 (fixture)
    # Given a story that expires in an hour, published beside one that does not expire
    expires = (datetime.now(UTC) + timedelta(hours=1)).replace(microsecond=0)
    kept = newsroom.post(article_doc("urn:hostile-reader:stays"))["id"]
    doc = article_doc("urn:hostile-reader:expires", expires=expires.strftime("%Y-%m-%dT%H:%M:%SZ"))
    expiring = newsroom.post(doc)["id"]
    assert newsroom.publish() == {"batchItemFailures": []}
    assert all(feed_ids(newsroom, path) == {kept, expiring} for path in FEEDS)
    # When the timer takes it down and the stream publishes that
    newsroom.stream.read_event()  # the hash records of the first run
    assert newsroom.timer(expires + timedelta(minutes=1))["expired"] == 1
    assert newsroom.publish() == {"batchItemFailures": []}
    # Then no feed and not the sitemap lists it
    assert {path: feed_ids(newsroom, path) for path in FEEDS} == {path: {kept} for path in FEEDS}
