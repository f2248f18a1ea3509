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

from collections.abc import Callable, Iterable, Sequence
from dataclasses import dataclass
from datetime import datetime

from newsdesk.articles import ArticleRecord
from newsdesk.dal.articles import ArticleStore
from newsdesk.dal.snapshots import PublishedFile, SnapshotRaced, SnapshotStore
from newsdesk.observability import logger
from newsdesk.snapshots import ListSnapshot, limits, render
from newsdesk.snapshots.pages import day_pages, numbered_part, tail_pages
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
        changes: Sequence[ArticleChange] | None = None,
    ) -> set[str]:
        """Write the pages of these days (and of their neighbours when a day gains its first story or
        loses its last); returns the paths PUT.

        ``changes`` are the batch's changes, record by record: a day they change only at its end
        (after its last numbered part) and in place (:meth:`_changed_pages`) gets only those pages
        rendered. Without them (a full rebuild) every day is rendered whole."""
        written: set[str] = set()
        linked: set[DayKey] = set()  # days whose links to their neighbours this run rendered or checked
        relink: set[DayKey] = set()  # days whose neighbouring day gained its first story or lost its last
        for day in sorted(set(days)):
            neighbours, links_current = self._write_day(
                day, overlay, force=force, count=count, written=written, changes=changes
            )
            linked |= {day} if links_current else set()
            relink |= set(neighbours)
        # A day of this run rendered whole or from its end has the current links (the batch is laid over
        # the index); one rendered only in its parts (a story changed in place) does not: render it whole.
        # A neighbour rendered so can itself gain its first story (one of another batch, that the index
        # holds already) or be left empty: its neighbours follow, each day once, those of this run too
        # (they may have been rendered before that story was there).
        pending = sorted(relink - linked)
        relinked: set[DayKey] = set()
        while pending:
            neighbour = pending.pop(0)
            if neighbour in relinked:
                continue
            further, _ = self._write_day(neighbour, overlay, force=force, count=count, written=written, relinking=True)
            relinked.add(neighbour)
            pending.extend(day for day in further if day not in relinked)
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
        changes: Sequence[ArticleChange] | None = None,
        relinking: bool = False,
    ) -> tuple[list[DayKey], bool]:
        """Render and write the pages of the day: only its end and the parts whose stories change in
        place when the batch changes nothing else, else every page. Returns the neighbouring days whose
        links change with it (both, when the day gained its first story or lost its last; else none),
        and whether its own links to them are current (rendered, or checked by :meth:`_day_end`): not
        when only parts in its middle were rendered.

        ``relinking``: the day is rendered because a neighbouring day gained its first story or lost its
        last. Its links are read again after its writes: a batch that emptied (or filled) that day
        meanwhile may have found this day's pages already as it renders them and PUT nothing, and the
        links PUT here from earlier reads would stay. If they moved, the day is rendered again."""
        listed_at_start: bool | None = None  # whether the day's pages listed stories before this call
        for attempt in range(1, MAX_ATTEMPTS + 1):
            known = self.snapshots.published_pages(day.folder, day.day)
            end = None if changes is None or force else self._changed_pages(day, overlay, changes, known)
            if end is not None:
                pages, listed, members = end, True, True
            else:
                listed_ids = [article_id for path in sorted(known) for article_id in self.snapshots.listed_ids(path)]
                members_of_day = self._members(day, listed_ids, overlay)
                older, newer = self._neighbour_days(day, overlay)
                pages = day_pages(
                    day.list.path,
                    day.day,
                    members_of_day,
                    section=day.list.section,
                    outlet=day.list.outlet,
                    older_day=older,
                    newer_day=newer,
                    leftovers=known,
                )
                listed, members = bool(listed_ids), bool(members_of_day)
            if listed_at_start is None:
                listed_at_start = listed  # not a later attempt's: its first may have PUT the day's pages
            # Numbered parts before the entry page that links to them.
            order = sorted(pages, key=lambda path: (path == day_page_path(day.list.path, day.day), path))
            put_now: set[str] = set()
            try:
                for path in order:
                    snapshot = pages[path]
                    put = self._write(path, render(snapshot), snapshot.generated_at, known.get(path), force)
                    count(put is not None)
                    if put is not None:
                        put_now.add(path)
                self._check_unchanged(day, known, put_now)
                if relinking and end is None and put_now and self._neighbour_days(day, overlay) != (older, newer):
                    raise SnapshotRaced(day_page_path(day.list.path, day.day), None)
            except SnapshotRaced:
                if attempt == MAX_ATTEMPTS:
                    raise
                logger.warning("day page written concurrently; rendering again", extra={"path": day.folder})
                force = False
                continue
            finally:
                written |= put_now
            links_current = day_page_path(day.list.path, day.day) in pages
            if listed_at_start == members and members:
                return [], links_current
            # The day gained its first story or lost its last, or is left without stories (a render may
            # have linked to it from the index while its story was there): its neighbours' links change.
            if end is not None:
                older, newer = self._neighbour_days(day, overlay)
            return [DayKey(day.list, other) for other in (older, newer) if other is not None], links_current
        raise AssertionError("unreachable: the last attempt returns or raises")

    def _check_unchanged(self, day: DayKey, known: dict[str, PublishedFile], put_now: set[str]) -> None:
        """SnapshotRaced unless every page of the day this writer did not PUT is still as it read it.

        A conditional PUT guards only the page it writes. A writer that renders from pages it does not
        write (the day's end from the numbered part before it) or leaves a page alone because its
        bytes did not change could otherwise be overtaken: another writer rewrote the part it relied
        on, or PUT the page it left alone, between its reads and its writes. Whoever finishes last
        sees the other's change here and renders the day again, from fresh reads."""
        now = self.snapshots.published_pages(day.folder, day.day)
        for path in (known.keys() | now.keys()) - put_now:
            if now.get(path) != known.get(path):
                raise SnapshotRaced(path, now.get(path))

    def _changed_pages(
        self,
        day: DayKey,
        overlay: dict[str, ArticleRecord | None],
        changes: Sequence[ArticleChange],
        known: dict[str, PublishedFile],
    ) -> dict[str, ListSnapshot] | None:
        """The pages of the day the batch changes, when those are its end (:meth:`_day_end`) and numbered
        parts whose stories change in place; None when the whole day must be rendered.

        A story that changes in place (on the day before and after, at the same place in the list: its
        picture settled, a corrected headline) stays in the part that lists it, and no other story moves:
        only that part is rendered again (:meth:`_part_in_place`). The media function settles a story's
        pictures well after it was posted, when the day has grown parts past it; rendering the whole
        day for that read every story of the day (issue 10, "It gets slower as it fills")."""
        entry = day_page_path(day.list.path, day.day)
        listings: dict[str, list[tuple[str, str]]] = {}
        in_place: set[str] = set()  # numbered parts listing a story the batch changes in place
        elsewhere: list[ArticleChange] = []
        for change in changes:
            order = _order_kept_on(day, change)
            path = self._part_listing(day, known, order, listings) if order is not None else None
            if path is None or path == entry:
                elsewhere.append(change)  # the day's end takes the entry page's; whatever else, the whole day
            else:
                in_place.add(path)
        pages: dict[str, ListSnapshot] = {}
        if not in_place or any(_on_day(day, state) for change in elsewhere for state in (change.old, change.new)):
            end = self._day_end(day, overlay, elsewhere, known)
            if end is None:
                return None
            pages |= end
        for path in sorted(in_place - pages.keys()):  # a part the day's end renders anyway is rendered there
            part = self._part_in_place(day, path, listings, overlay, parts=len(known) - 1)
            if part is None:
                return None
            pages |= part
        return pages

    def _part_listing(
        self,
        day: DayKey,
        known: dict[str, PublishedFile],
        order: tuple[str, str],
        listings: dict[str, list[tuple[str, str]]],
    ) -> str | None:
        """The page of the day that lists the story at ``order`` (the entry page or a numbered part), found
        by halving the day's pages (parts hold consecutive stories, oldest in part 1); None when no page
        lists it or the pages are not whole parts (one page, parts left over, a part emptied).
        ``listings`` keeps each page read: the orders it lists, newest first."""
        list_path = day.list.path
        parts = len(known) - 1
        pages = [day_page_path(list_path, day.day, part) for part in range(1, parts + 1)]
        pages.append(day_page_path(list_path, day.day))
        if parts < 1 or any(path not in known for path in pages):
            return None

        # The entry page first: most changes are at the day's end, which :meth:`_day_end` renders.
        low, high = 0, len(pages) - 2
        probe = len(pages) - 1
        while True:
            listed = self._listing(pages[probe], listings)
            if not listed:
                return None
            if listed[-1] <= order <= listed[0]:
                return pages[probe] if order in listed else None
            if order < listed[-1]:
                high = probe - 1
            else:
                low = probe + 1
            if low > high:
                return None
            probe = (low + high) // 2

    def _listing(self, path: str, listings: dict[str, list[tuple[str, str]]]) -> list[tuple[str, str]]:
        """The orders a page lists, newest first, read once per batch and day (``listings``)."""
        if path not in listings:
            listings[path] = self._listed_orders(path)
        return listings[path]

    def _listed_orders(self, path: str) -> list[tuple[str, str]]:
        """The list order of each story a published page lists, as it lists them (newest first)."""
        page = self.snapshots.read_json(path) or {}
        items = page.get("items")
        if not isinstance(items, list):
            return []
        orders = []
        for item in items:
            if not isinstance(item, dict) or not isinstance(item.get("published_at"), str) or "id" not in item:
                return []  # not a page this writer can read: render the day whole
            orders.append((item["published_at"], str(item["id"])))
        return orders

    def _part_in_place(
        self,
        day: DayKey,
        path: str,
        listings: dict[str, list[tuple[str, str]]],
        overlay: dict[str, ArticleRecord | None],
        *,
        parts: int,
    ) -> dict[str, ListSnapshot] | None:
        """Numbered part ``path`` rendered again with the current state of the stories it lists, when each
        of them is still on the day at the same place (read from the table consistently, as every list)
        and the part after it still lists stories; None when one left or moved, or parts are left over
        after it (empty pages, after retractions): then the day changes shape, and is rendered whole."""
        listed = self._listing(path, listings)
        if len(listed) != limits.DAY_PAGE_LENGTH:
            return None
        ids = [article_id for _, article_id in listed]
        states = settled_states(self.articles, ids, _overlay_for(overlay, ids, lambda _: False))
        members = [states.get(article_id) for _, article_id in reversed(listed)]
        kept = [state for state in members if state is not None and _on_day(day, state)]
        if [list_order(state) for state in kept] != list(reversed(listed)):
            return None
        part = int(path.removesuffix(".json").rpartition(".")[2])
        if part < parts and not self._listing(day_page_path(day.list.path, day.day, part + 1), listings):
            return None  # parts left over after it: it leads to the entry page, not to the next part
        before_first = None
        if part == 1:
            older_day = self._nearest_day(day, overlay, older=True)
            before_first = day_page_path(day.list.path, older_day) if older_day is not None else None
        return numbered_part(
            day.list.path,
            day.day,
            part,
            parts,
            kept,
            section=day.list.section,
            outlet=day.list.outlet,
            before_first=before_first,
        )

    def _day_end(
        self,
        day: DayKey,
        overlay: dict[str, ArticleRecord | None],
        changes: Sequence[ArticleChange],
        known: dict[str, PublishedFile],
    ) -> dict[str, ListSnapshot] | None:
        """The pages of the day from its last numbered part or the entry page on, when that is all the
        batch changes; None when the whole day must be rendered.

        A day of numbered parts 1..k (``DAY_PAGE_LENGTH`` stories each, counted from its first story)
        and an entry page. When every state the batch's changes take a story of this day from or to
        sorts after the newest story of part k, parts 1..k keep their stories: the entry page is
        rendered again, and when it overflows its oldest stories become parts k+1... (part k's
        ``newer`` link changes with them). Stories of one second sort by id, so a new story can land
        in part k: then the day is rendered from part k, after the newest story of part k - 1.

        What this reads is bounded by the day's end, not its size: the page records, the last one or
        two numbered parts (their newest stories are the boundaries), part 1 (its ``older`` link must
        still be right), the entry page, the index after the boundary, and those stories from the table
        (consistently, as every list). Anything else (a change further back, a day of one page, parts
        the day no longer fills, a day end that no longer fills its pages) renders the whole day.
        """
        list_path = day.list.path
        entry = day_page_path(list_path, day.day)
        parts = len(known) - 1
        if (
            parts < 1
            or entry not in known
            or any(day_page_path(list_path, day.day, n) not in known for n in range(1, parts + 1))
        ):
            return None  # one page (cheap whole), or parts left over from a larger day

        def on_day(state: ArticleRecord) -> bool:
            return _on_day(day, state)

        changed = [
            list_order(state)
            for change in changes
            for state in (change.old, change.new)
            if state is not None and on_day(state)
        ]
        last_part = self._full_part(day, parts, on_day)
        if last_part is None:
            return None
        part_ids, boundary = last_part
        first_part, region_ids = parts + 1, []
        if any(order <= boundary for order in changed):
            earlier = self._full_part(day, parts - 1, on_day) if parts >= 2 else None
            if earlier is None or any(order <= earlier[1] for order in changed):
                return None  # the batch changes the day further back
            boundary, first_part, region_ids = earlier[1], parts, part_ids
        older_day, newer_day = self._neighbour_days(day, overlay)
        previous = day_page_path(list_path, older_day) if older_day is not None else None
        first = self.snapshots.read_json(day_page_path(list_path, day.day, 1))
        if first is None or first.get("older") != (f"/{previous}" if previous is not None else None):
            return None  # the day before gained or lost its stories: part 1's link changes too
        after = self.articles.listed_after(day.list.index_name, day.list.pk_value, day.day, "#".join(boundary))
        candidates = [record.article_id for record in after] + self.snapshots.listed_ids(entry) + region_ids

        def in_region(state: ArticleRecord) -> bool:
            return on_day(state) and list_order(state) > boundary

        states = settled_states(self.articles, candidates, _overlay_for(overlay, candidates, in_region))
        members = sorted((state for state in states.values() if in_region(state)), key=list_order)
        length = limits.DAY_PAGE_LENGTH
        if first_part == parts + 1 and len(members) > length:
            # The entry page overflows: part k's newer link changes to part k + 1, render it again too.
            kept = settled_states(self.articles, part_ids, {})
            part_members = sorted((state for state in kept.values() if on_day(state)), key=list_order)
            if len(part_members) != length or list_order(part_members[-1]) != boundary:
                return None
            members, first_part = [*part_members, *members], parts
        if not members or (first_part == parts and len(members) <= length):
            return None  # the day's end no longer fills its pages: the day has a part fewer
        before_first = day_page_path(list_path, day.day, first_part - 1) if first_part > 1 else previous
        return tail_pages(
            list_path,
            day.day,
            first_part,
            members,
            section=day.list.section,
            outlet=day.list.outlet,
            before_first=before_first,
            newer_day=newer_day,
        )

    def _full_part(
        self, day: DayKey, part: int, on_day: Callable[[ArticleRecord], bool]
    ) -> tuple[list[str], tuple[str, str]] | None:
        """A numbered part's story ids (newest first) and the list order of its newest story, read from the
        table; None unless the part is full and that story is still on the day."""
        ids = self.snapshots.listed_ids(day_page_path(day.list.path, day.day, part))
        if len(ids) != limits.DAY_PAGE_LENGTH:
            return None
        newest = settled_states(self.articles, ids[:1], {}).get(ids[0])
        if newest is None or not on_day(newest):
            return None
        return ids, list_order(newest)

    def _write(
        self, path: str, body: bytes, generated_at: datetime | None, known: PublishedFile | None, force: bool
    ) -> PublishedFile | None:
        return self.snapshots.write_if_changed(path, body, generated_at, known=known, look_up=False, force=force)

    def _members(self, day: DayKey, listed: list[str], overlay: dict[str, ArticleRecord | None]) -> list[ArticleRecord]:
        """The day's stories, oldest first: index, published pages and batch, checked against the table."""
        indexed = self.articles.listed_on(day.list.index_name, day.list.pk_value, day.day)
        candidates = [record.article_id for record in indexed] + listed

        def on_day(state: ArticleRecord) -> bool:
            return _on_day(day, state)

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


def _on_day(day: DayKey, state: ArticleRecord | None) -> bool:
    return state is not None and day.list in lists_of(state) and day_of(state) == day.day


def _order_kept_on(day: DayKey, change: ArticleChange) -> tuple[str, str] | None:
    """The story's list order when the change keeps it on the day at the same place (it changes in
    place); else None."""
    if change.old is None or change.new is None or not (_on_day(day, change.old) and _on_day(day, change.new)):
        return None
    order = list_order(change.new)
    return order if list_order(change.old) == order else None


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
