"""Two media invocations for one story at once: the media function's own CURRENT mark comes back down
the stream and is handled like any record, and that second look repairs what the other invocation did.

The second invocation is `newsdesk redrive` replaying a dead-lettered media batch while the stream's
consumer handles the same story. It runs here inside the live invocation, just before that one writes
its mark (MediaStore.mark_current), so the interleaving is the same every time. Passing over the
record of the function's own mark (tried for issue 10's "fewer calls per article", found by a hostile
review) left a CURRENT naming renditions that were taken down, and a dropped picture published.
"""

from __future__ import annotations

import contextlib
from collections.abc import Iterator
from typing import Any

import pytest

from newsdesk.dal.articles import ArticleStore
from newsdesk.dal.media import MediaStore
from newsdesk.settings import get_settings
from tests.handler.test_media_pipeline import (  # noqa: F401  (fixtures)
    MEDIA_BUCKET,
    Pipeline,
    key_of,
    media_room,
    objects,
    pictures,
    story,
)
from tests.handler.test_publish import Newsroom, article_file, newsroom, snapshot_bucket  # noqa: F401
from tests.support.image_server import ImageServer, photo_jpeg

pytestmark = pytest.mark.handler


@contextlib.contextmanager
def concurrent_before_mark(action: Any) -> Iterator[list[bool]]:
    """Run ``action`` once, inside the next MediaStore.mark_current, before the mark is written."""
    original = MediaStore.mark_current
    ran: list[bool] = []

    def mark_current(self: MediaStore, record: Any, **kwargs: Any) -> bool:
        if not ran:
            ran.append(True)
            action()
        return original(self, record, **kwargs)

    MediaStore.mark_current = mark_current  # type: ignore[method-assign]
    try:
        yield ran
    finally:
        MediaStore.mark_current = original  # type: ignore[method-assign]


def snapshot_keys(room: Newsroom, article_id: str) -> set[str]:
    return set(objects(room, room.bucket, f"v1/media/{article_id}/"))


def test_pictures_taken_down_by_a_concurrent_invocation_are_fetched_again(
    media_room: Newsroom,  # noqa: F811
    pictures: ImageServer,  # noqa: F811
) -> None:
    from media.service import MediaService

    flow = Pipeline(media_room)
    article_id = media_room.post(story(pictures, "urn:tt:reviewer-takedown-race"))["id"]
    records = flow.read()
    # A second media invocation (a redriven batch) read the story while it was not published (embargoed,
    # or retracted before a later version) and takes its pictures down: its take_down lands after the
    # live invocation settled the pictures and before it marks CURRENT.
    other = MediaService.from_settings(get_settings())
    with concurrent_before_mark(lambda: other.take_down(article_id)) as ran:
        assert flow.media(records) == {"batchItemFailures": []}
    assert ran == [True]
    # When the stream settles (publish and media take the mark that comes back)
    flow.settle()
    # Then the lead rendition CURRENT names exists again (fetched anew), and so does the media item
    current = ArticleStore(media_room.stack.table_name).get(article_id)
    assert current is not None and current.image_path
    present = snapshot_keys(media_room, article_id)
    page = media_room.json(article_file(article_id))
    assert current.image_path.lstrip("/") in present, (
        f"CURRENT.image_path {current.image_path!r} names a rendition that is gone; renditions present: "
        f"{sorted(present)}; media item: {media_item_or_none(media_room, article_id)}; "
        f"page lead_image status: {page['lead_image']['status']!r}"
    )
    assert media_item_or_none(media_room, article_id) is not None


def test_a_picture_a_new_version_dropped_is_taken_down_and_its_lead_is_kept(
    media_room: Newsroom,  # noqa: F811
    pictures: ImageServer,  # noqa: F811
) -> None:
    from media.service import MediaService

    pictures.add("/tt/b002_NormalHires.jpg", photo_jpeg(1200, 800, seed=7), "image/jpeg")
    new_lead = pictures.url("/tt/b002_NormalHires.jpg")
    old_lead = pictures.url("/tt/a001_NormalHires.jpg")
    flow = Pipeline(media_room)
    uri = "urn:tt:reviewer-dropped-picture"
    article_id = media_room.post(story(pictures, uri))["id"]
    version_1 = ArticleStore(media_room.stack.table_name).get(article_id)
    assert version_1 is not None
    # (version 1's records reach publish; the media batch that held them is the one dead-lettered)
    assert flow.publish(flow.read()) == {"batchItemFailures": []}
    # Given version 2 replaces the lead picture before the media function handled version 1
    media_room.post(story(pictures, uri, lead=new_lead, version="2", versioncreated="2026-11-25T09:00:00Z"))
    records = flow.read()
    # and a second invocation (a redriven batch) that read version 1 settles its pictures meanwhile
    # (its settles, and its forgetting of what version 1 does not show, land after the live
    # invocation's last settle; its own mark is refused: the story moved on)
    other = MediaService.from_settings(get_settings())
    with concurrent_before_mark(lambda: other.copy_pictures(version_1)) as ran:
        assert flow.media(records) == {"batchItemFailures": []}
    assert ran == [True]
    # When the stream settles
    flow.settle()
    # Then the picture version 2 dropped is gone, and the lead of version 2 is there
    present = snapshot_keys(media_room, article_id)
    current = ArticleStore(media_room.stack.table_name).get(article_id)
    assert current is not None and current.revision == 2
    left_over = sorted(key for key in present if f"/{key_of(old_lead)}-" in key)
    originals = sorted(objects(media_room, MEDIA_BUCKET, f"originals/{article_id}/"))
    assert current.image_path.lstrip("/") in present and not left_over, (
        f"image_path {current.image_path!r} present: {current.image_path in present}; "
        f"renditions of the dropped picture still published: {left_over}; originals: {originals}"
    )


def media_item_or_none(room: Newsroom, article_id: str) -> Any:
    return room.stack.dynamodb.get_item(
        TableName=room.stack.table_name, Key={"PK": {"S": f"ARTICLE#{article_id}"}, "SK": {"S": "MEDIA"}}
    ).get("Item")
