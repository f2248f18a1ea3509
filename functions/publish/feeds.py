"""Writing the feeds and the news sitemap (docs/snapshots.md, "Feeds"; rendering:
:mod:`newsdesk.snapshots.feeds`).

Same trigger as their list: a list's RSS and Atom feeds are rendered only when this run PUT the list
or its batch touched it (or a feed is missing: the first publish, a bucket restored with ``--force``),
from the list as published (one GET); the sitemap only when a file of the latest list (the head or a
day page) was PUT or touched, from the latest list's pages (the head, then ``older`` pages back to 48
hours before its newest story). "Touched" matters when the stream delivers a batch again after a run
died between a list's PUT and its feeds' PUTs: the list is right by then (nothing is PUT for it), and
the feeds would otherwise go on showing a story that batch retracted.
A run that writes no feed imports neither feedgen nor lxml. The files go through the same conditional
writes and hash records as the lists (the caller's ``write``), so identical bytes are not PUT again.
"""

from __future__ import annotations

import json
from collections.abc import Callable, Iterator
from datetime import datetime
from functools import partial
from typing import Any

from newsdesk.dal.snapshots import PublishedFile, SnapshotStore
from newsdesk.settings import Settings
from newsdesk.snapshots import LATEST_PATH, PREFIX, limits
from newsdesk.snapshots.feeds import FeedItem, feed_items, feed_list, render_feeds, render_sitemap, sitemap_items
from newsdesk.snapshots.paths import FEEDS_PREFIX, SITEMAP_PATH, feed_paths

Rendered = tuple[bytes, datetime | None]
Write = Callable[[str, Callable[[], Rendered], dict[str, PublishedFile]], bool]
# The latest list's pages read for the sitemap at most: a full sitemap's worth, and a day's head overlap.
MAX_SITEMAP_PAGES = limits.SITEMAP_ENTRIES // limits.DAY_PAGE_LENGTH + 10


def is_feed(path: str) -> bool:
    return path.startswith(FEEDS_PREFIX) or path == SITEMAP_PATH


def has_feeds(path: str) -> bool:
    """The latest list and every section's head list have feeds (outlets' and day pages do not)."""
    section = path.removeprefix(f"{PREFIX}sections/")
    return path == LATEST_PATH or (section != path and "/" not in section and section.endswith(".json"))


def publish_feeds(
    snapshots: SnapshotStore,
    written: set[str],
    known: dict[str, PublishedFile],
    settings: Settings,
    *,
    write: Write,
    count: Callable[[bool | None], None] = lambda _: None,
    every: bool = False,
) -> None:
    """Write the feeds of the lists this run PUT or touched (``written``), and the sitemap if the latest
    list is among them.

    ``every`` (a full rebuild) renders them all: a deploy may have changed ``site_url`` or ``site_name``.
    A feed left alone counts as unchanged.
    """
    for head in sorted(path for path in {*known, *written} if has_feeds(path)):
        paths = feed_paths(head)
        render_them = every or head in written or any(path not in known for path in paths)
        for index, path in enumerate(paths):
            count(render_them and write(path, partial(_render_feed, snapshots, head, index, settings), known))
    latest_changed = any(path == LATEST_PATH or path.startswith(f"{PREFIX}latest/") for path in written)
    if LATEST_PATH in known:
        render_it = every or latest_changed or SITEMAP_PATH not in known
        count(render_it and write(SITEMAP_PATH, partial(_render_sitemap, snapshots, settings), known))


def _document(snapshots: SnapshotStore, path: str) -> Any:
    body = snapshots.read(path)
    try:
        return json.loads(body) if body is not None else None
    except ValueError:
        return None


def _render_feed(snapshots: SnapshotStore, head: str, index: int, settings: Settings) -> Rendered:
    # Read at each attempt: a writer that lost its conditional PUT renders the list that won.
    name = head.removeprefix(PREFIX).removesuffix(".json")
    listing = feed_list(_document(snapshots, head), name)
    listing.items[:] = listing.items[: settings.list_length]
    documents = render_feeds(listing, site_url=settings.site_url, site_name=settings.site_name)
    return documents[index], listing.generated_at


def _latest_pages(snapshots: SnapshotStore) -> Iterator[list[FeedItem]]:
    """The latest list's items, page by page: the head, then its ``older`` pages."""
    path: str | None = LATEST_PATH
    seen: set[str] = set()
    while path is not None and path not in seen and len(seen) < MAX_SITEMAP_PAGES:
        seen.add(path)
        document = _document(snapshots, path)
        if not isinstance(document, dict):
            return
        yield feed_items(document.get("items") or [])
        older = document.get("older")
        path = older.removeprefix("/") if isinstance(older, str) and older.startswith(f"/{PREFIX}latest/") else None


def _render_sitemap(snapshots: SnapshotStore, settings: Settings) -> Rendered:
    items = sitemap_items(_latest_pages(snapshots))
    body = render_sitemap(items, site_url=settings.site_url, site_name=settings.site_name)
    return body, max((item.updated_at for item in items), default=None)
