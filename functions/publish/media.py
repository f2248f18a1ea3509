"""Publish's side of the pictures (docs/media.md, "Published renditions").

The media function records an article's pictures in its media item, then writes ``image_path`` and
``media_settled`` on the article's CURRENT item; that write comes down the stream like any change,
and publish renders the article again. Two rules keep that inside docs/snapshots.md, "Concurrent
writers":

- **The file's order counts the pictures too.** :func:`file_order` is the state order of the
  record (``revision × 4 + step``) scaled, plus ``media_settled``, which only grows within a state.
  A render of the current revision with its pictures ready therefore replaces its pending render,
  and a writer holding the record from before the pictures (``publish --all``, a redelivered batch)
  writes nothing over it; an older revision stays below a newer one whatever its pictures.
- **The page is rendered from the media item as it is now**, read only for an article that has
  pictures (one consistent GetItem); it is at least as far along as the record's count.
"""

from __future__ import annotations

from newsdesk.articles import ArticleRecord
from newsdesk.dal.media import MediaStore
from newsdesk.models import ArticleContent
from newsdesk.pictures import MediaState, image_refs

__all__ = ["MEDIA_ORDER_SCALE", "MediaStore", "file_order", "media_for"]
from publish.changes import state_order

# Above any number of pictures one article settles in its life (21 a revision at most).
MEDIA_ORDER_SCALE = 1_000_000


def file_order(record: ArticleRecord) -> int:
    """The order of the article file rendered from ``record``: later states, then more pictures, first."""
    return state_order(record) * MEDIA_ORDER_SCALE + min(max(record.media_settled, 0), MEDIA_ORDER_SCALE - 1)


def media_for(store: MediaStore | None, record: ArticleRecord, content: ArticleContent) -> MediaState:
    """The pictures an article's page shows: its media item, or nothing (all pending) without one."""
    if store is None or not image_refs(content):
        return MediaState()
    return store.get(record.article_id)
