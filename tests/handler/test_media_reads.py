"""Issue 10, "fewer calls per article": what the media function reads for one new story.

Counted on the local stack (bench/requests_per_article.py), media read a story's media item before
and after settling its pictures; the settling writes now return the item. (Its own mark coming back
down the stream is still handled in full: that second look repairs a concurrent invocation's changes,
tests/handler/test_media_concurrent_invocations.py.)
"""

from __future__ import annotations

from collections import Counter
from collections.abc import Callable
from typing import Any

import pytest

from newsdesk.dal.archive import Archive
from newsdesk.dal.articles import ArticleStore
from newsdesk.dal.media import MediaStore
from tests.handler.test_media_pipeline import (  # noqa: F401  (fixtures)
    Pipeline,
    media_room,
    pictures,
    story,
)
from tests.handler.test_publish import Newsroom, article_file, newsroom, snapshot_bucket  # noqa: F401
from tests.support.image_server import ImageServer

pytestmark = pytest.mark.handler


class Reads:
    """Counts calls of the store methods that read an article's items and documents."""

    def __init__(self, monkeypatch: pytest.MonkeyPatch) -> None:
        self.calls: Counter[str] = Counter()
        for owner, name in ((ArticleStore, "get"), (MediaStore, "get"), (Archive, "get_normalized")):
            monkeypatch.setattr(owner, name, self._counted(f"{owner.__name__}.{name}", getattr(owner, name)))

    def _counted(self, label: str, method: Callable[..., Any]) -> Callable[..., Any]:
        def counted(*args: Any, **kwargs: Any) -> Any:
            self.calls[label] += 1
            return method(*args, **kwargs)

        return counted

    def take(self) -> dict[str, int]:
        taken = dict(self.calls)
        self.calls.clear()
        return taken


def test_media_reads_the_media_item_once_for_a_new_story(
    media_room: Newsroom,  # noqa: F811 (fixture)
    pictures: ImageServer,  # noqa: F811 (fixture)
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    flow = Pipeline(media_room)
    media_room.post(story(pictures, "urn:tt:media-read-once"))
    records = flow.read()
    reads = Reads(monkeypatch)
    # When the media function settles the story's two pictures
    assert flow.media(records) == {"batchItemFailures": []}
    # Then it read the story, its document and its media item once each: the settled item comes
    # back from the last settling write
    assert reads.take() == {"ArticleStore.get": 1, "Archive.get_normalized": 1, "MediaStore.get": 1}
