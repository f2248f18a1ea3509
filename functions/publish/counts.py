"""The counts files: ``v1/counts/{id}.json`` for every article whose views or comments changed.

Run by the publish function's timer (every minute by default), after the embargoes and expiries
(docs/engagement.md, "Counters that last"):

1. One Query of the change markers. Nothing marked: that is all a run costs.
2. Under the lease (one run at a time, so an older read of the counts is never PUT after a newer
   one), the marked articles' counts items and current states, read consistently (BatchGetItem).
3. A published article's file is PUT from its counts item; an article that is not published
   (retracted, withheld, expired, embargoed) gets no file, and one it had is deleted.
4. After the PUTs, the states are read again: a story withdrawn while its file was being written
   (its tombstone's run deleted the file before this PUT landed) loses the file now. A withdrawal
   after that read comes after the PUT, and its own run deletes the file.
5. Each marker is removed on condition that it is still the one read: counts that changed during
   the run stay marked for the next one.

The stream side (:func:`follow_publication`): a story taken out of publication loses its counts file
in the run that writes its tombstone; a story published again is marked, so the next timer writes
its file back. The article's own file is never rewritten for a count.
"""

from __future__ import annotations

import uuid
from collections.abc import Iterable
from dataclasses import dataclass
from datetime import UTC, datetime, timedelta

from newsdesk.dal.articles import ArticleStore
from newsdesk.dal.counts import ArticleCounts, CountsStore
from newsdesk.models import ArticleStatus
from newsdesk.observability import logger
from newsdesk.settings import Settings
from newsdesk.snapshots import CountsSnapshot, render
from publish.changes import ArticleChange, ranking_moves

# Files written per run at most (about 20 ms a PUT: ~20 s); more changed articles wait a minute.
MAX_COUNTS_PER_RUN = 1_000
# Longer than the publish function's timeout (120 s): a run never outlives its lease.
LEASE = timedelta(minutes=3)


@dataclass(frozen=True)
class CountsReport:
    """What one run did with the counts files."""

    changed: int = 0
    written: int = 0
    removed: int = 0
    busy: bool = False  # another run held the lease


def counts_snapshot(counts: ArticleCounts) -> CountsSnapshot:
    return CountsSnapshot(
        id=counts.article_id, views=counts.views, comments=counts.comments, updated_at=counts.updated_at
    )


def publish_changed_counts(
    store: CountsStore,
    articles: ArticleStore,
    *,
    clock: type[datetime] = datetime,
    limit: int = MAX_COUNTS_PER_RUN,
) -> CountsReport:
    """Write the counts files of the articles marked as changed (see the module's docstring)."""
    if not store.changed(1):
        return CountsReport()
    owner = uuid.uuid4().hex
    now = clock.now(UTC)
    if not store.take_lease(owner, now, now + LEASE):
        return CountsReport(busy=True)
    try:
        markers = store.changed(limit)
        counts = store.counts(markers)
        states = articles.current_states(markers)
        written: list[str] = []
        removed = 0
        for article_id in sorted(markers):
            record = states.get(article_id)
            if record is None or record.status is not ArticleStatus.PUBLISHED:
                store.delete_file(article_id)
                removed += 1
            elif article_id in counts:
                store.put_file(article_id, render(counts_snapshot(counts[article_id])))
                written.append(article_id)
        if written:
            again = articles.current_states(written)
            for article_id in written:
                record = again.get(article_id)
                if record is None or record.status is not ArticleStatus.PUBLISHED:
                    store.delete_file(article_id)
                    logger.info("counts file of a story withdrawn meanwhile removed", extra={"article_id": article_id})
        store.clear(markers)
    finally:
        store.release_lease(owner)
    return CountsReport(changed=len(markers), written=len(written), removed=removed)


def follow_publication(store: CountsStore, changes: Iterable[ArticleChange], now: datetime) -> None:
    """Stories this batch took out of publication lose their counts files; ones back are marked."""
    gone, back = ranking_moves(changes)
    for article_id in gone:
        store.delete_file(article_id)
    store.mark(back, f"p{now.isoformat()}")


def counts_store(settings: Settings) -> CountsStore:
    return CountsStore(settings.table_name, settings.snapshot_bucket)
