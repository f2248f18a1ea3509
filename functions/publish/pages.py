"""Writing the day pages of the lists (``v1/latest/{YYYY-MM-DD}.json`` and the like; docs/snapshots.md,
"Paging"; the pages themselves: :mod:`newsdesk.snapshots.pages`).

A batch rewrites the days its changes enter, leave or change within (judged record by record, like the
lists: :func:`touched_days`), each rendered the careful way lists are (:mod:`publish.lists`): the
candidates are what the index holds for the day (one Query on a sort-key range), what the day's
published pages hold (one GET each) and the batch, all read again from the table consistently. Pages are
PUT on condition that they are still the objects whose records were read; a writer that loses renders
the day again from fresh reads.

Links to the neighbouring days come from the index (the nearest story before and after the day, checked
against the table). They change only when a day gains its first story or loses its last: then the two
neighbouring days are rendered again as well. Day pages keep their hash records in a partition per list
(not the shared one that every batch reads), and are not in the manifest (docs/snapshots.md).
"""

from __future__ import annotations

from collections.abc import Callable, Iterable
from dataclasses import dataclass
from datetime import datetime

from newsdesk.articles import ArticleRecord
from newsdesk.dal.articles import ArticleStore
from newsdesk.dal.snapshots import PublishedFile, SnapshotRaced, SnapshotStore
from newsdesk.observability import logger
from newsdesk.snapshots import render
from newsdesk.snapshots.pages import day_pages
from newsdesk.snapshots.paths import day_page_path
from publish.changes import ArticleChange, ListKey, list_order, lists_of, summary
from publish.lists import day_of, settled_states

MAX_ATTEMPTS = 3

Count = Callable[[bool | None], None]


@dataclass(frozen=True, order=True)
class DayKey:
    """One list's day: the pages of ``list`` for the UTC day ``day`` ("YYYY-MM-DD")."""

    list: ListKey
    day: str

    @property
    def folder(self) -> str:
        return self.list.path.removesuffix(".json")


def days_of(record: ArticleRecord | None) -> set[DayKey]:
    """The day pages an article is on in this state: none unless it is published."""
    return {DayKey(key, day_of(record)) for key in lists_of(record)} if record is not None else set()


def touched_days(changes: Iterable[ArticleChange]) -> set[DayKey]:
    """The days a batch's changes enter, leave or change within, record by record (as the lists)."""
    touched: set[DayKey] = set()
    for change in changes:
        if summary(change.old) != summary(change.new):
            touched |= days_of(change.old) | days_of(change.new)
    return touched


class DayPageWriter:
    def __init__(self, articles: ArticleStore, snapshots: SnapshotStore) -> None:
        self.articles = articles
        self.snapshots = snapshots

    def published_days(self, lists: Iterable[ListKey]) -> set[DayKey]:
        """Every day of these lists that has pages in the bucket (a full rebuild rewrites them all)."""
        days = set()
        for key in lists:
            folder = key.path.removesuffix(".json")
            for path in self.snapshots.published_pages(folder):
                days.add(DayKey(key, path.removeprefix(f"{folder}/")[:10]))
        return days

    def publish(
        self,
        days: Iterable[DayKey],
        overlay: dict[str, ArticleRecord | None],
        *,
        force: bool = False,
        count: Count = lambda _: None,
    ) -> set[str]:
        """Write the pages of these days (and of their neighbours when a day gains its first story or
        loses its last); returns the paths PUT."""
        days = set(days)
        written: set[str] = set()
        for day in sorted(days):
            neighbours = self._write_day(day, overlay, force=force, count=count, written=written)
            for neighbour in neighbours:
                if neighbour not in days:  # days of this run are rendered with the current links anyway
                    self._write_day(neighbour, overlay, force=force, count=count, written=written)
        return written

    # --- One day ---------------------------------------------------------------------------------

    def _write_day(
        self,
        day: DayKey,
        overlay: dict[str, ArticleRecord | None],
        *,
        force: bool,
        count: Count,
        written: set[str],
    ) -> list[DayKey]:
        """Render and write every page of the day. Returns the neighbouring days whose links change with
        it: both, when the day gained its first story or lost its last; else none."""
        for attempt in range(1, MAX_ATTEMPTS + 1):
            known = self.snapshots.published_pages(day.folder, day.day)
            listed = [article_id for path in sorted(known) for article_id in self.snapshots.listed_ids(path)]
            members = self._members(day, listed, overlay)
            older, newer = self._neighbour_days(day, overlay)
            pages = day_pages(
                day.list.path,
                day.day,
                members,
                section=day.list.section,
                outlet=day.list.outlet,
                older_day=older,
                newer_day=newer,
                leftovers=known,
            )
            # Numbered parts before the entry page that links to them.
            order = sorted(pages, key=lambda path: (path == day_page_path(day.list.path, day.day), path))
            try:
                for path in order:
                    snapshot = pages[path]
                    put = self._write(path, render(snapshot), snapshot.generated_at, known.get(path), force)
                    count(put is not None)
                    if put is not None:
                        written.add(path)
            except SnapshotRaced:
                if attempt == MAX_ATTEMPTS:
                    raise
                logger.warning("day page written concurrently; rendering again", extra={"path": day.folder})
                force = False
                continue
            if bool(listed) == bool(members):
                return []
            return [DayKey(day.list, other) for other in (older, newer) if other is not None]
        raise AssertionError("unreachable: the last attempt returns or raises")

    def _write(
        self, path: str, body: bytes, generated_at: datetime | None, known: PublishedFile | None, force: bool
    ) -> PublishedFile | None:
        return self.snapshots.write_if_changed(path, body, generated_at, known=known, look_up=False, force=force)

    def _members(self, day: DayKey, listed: list[str], overlay: dict[str, ArticleRecord | None]) -> list[ArticleRecord]:
        """The day's stories, oldest first: index, published pages and batch, checked against the table."""
        indexed = self.articles.listed_on(day.list.index_name, day.list.pk_value, day.day)
        candidates = [record.article_id for record in indexed] + listed

        def on_day(state: ArticleRecord) -> bool:
            return day.list in lists_of(state) and day_of(state) == day.day

        states = settled_states(self.articles, candidates, _overlay_for(overlay, candidates, on_day))
        members = [state for state in states.values() if on_day(state)]
        return sorted(members, key=list_order)

    def _neighbour_days(self, day: DayKey, overlay: dict[str, ArticleRecord | None]) -> tuple[str | None, str | None]:
        return self._nearest_day(day, overlay, older=True), self._nearest_day(day, overlay, older=False)

    def _nearest_day(self, day: DayKey, overlay: dict[str, ArticleRecord | None], *, older: bool) -> str | None:
        """The nearest day before (after) ``day`` with a story in the list, or None."""
        # "T" sorts before every time of the day, "T~" after: the bounds exclude the day itself.
        bound = f"{day.day}T" if older else f"{day.day}T~"
        key = day.list
        # One more per story of the batch that is not in this list: a lagging index may still hold it
        # (the batch's stories that are in it are found by the index or are the overlay's own).
        spare = sum(1 for state in overlay.values() if key not in lists_of(state))
        found = self.articles.listed_beyond(key.index_name, key.pk_value, bound, older=older, limit=1 + spare)
        candidates = [record.article_id for record in found]

        def beyond(state: ArticleRecord) -> bool:
            return key in lists_of(state) and (day_of(state) < day.day if older else day_of(state) > day.day)

        states = settled_states(self.articles, candidates, _overlay_for(overlay, candidates, beyond))
        days = [
            day_of(state)
            for state in states.values()
            if key in lists_of(state) and (day_of(state) < day.day if older else day_of(state) > day.day)
        ]
        if not days:
            return None
        return max(days) if older else min(days)


def _overlay_for(
    overlay: dict[str, ArticleRecord | None], candidates: list[str], wanted: Callable[[ArticleRecord], bool]
) -> dict[str, ArticleRecord | None]:
    """The part of the batch that can change an answer: its stories among the candidates (whatever their
    new state) and those whose new state is ``wanted``. The rest need not be read again for this page:
    a batch of stories of many days would otherwise re-read the whole batch for every day."""
    among = set(candidates)
    return {
        article_id: state
        for article_id, state in overlay.items()
        if article_id in among or (state is not None and wanted(state))
    }
