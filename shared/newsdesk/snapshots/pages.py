"""Day pages: the stories of one list on one UTC day, linked to the neighbouring days (docs/snapshots.md,
"Paging").

A day of at most ``DAY_PAGE_LENGTH`` stories is one page, ``{list}/{YYYY-MM-DD}.json``. A larger day is
cut into parts counted from the day's *first* story: part 1 holds its oldest ``DAY_PAGE_LENGTH`` stories,
part 2 the next ones, and the last part, the newest stories, is the day's entry page (the path without a
number). Stories mostly arrive as the day's newest, so a new story rewrites only the entry page (and,
when that is full, moves its stories to a new numbered part): the numbered parts stay as they are.

Every page lists its stories newest first. ``older`` leads to the previous part, or from part 1 (or a
single page) to the entry page of the previous day that has stories; ``newer`` to the next part, or from
the entry page to the entry page of the next day that has stories. Nothing here talks to AWS.
"""

from __future__ import annotations

from collections.abc import Iterable, Sequence

from newsdesk.articles import ArticleRecord
from newsdesk.snapshots import limits
from newsdesk.snapshots.build import article_summary, changed_at, outlet_ref, section_ref
from newsdesk.snapshots.models import ListSnapshot, OutletRef
from newsdesk.snapshots.paths import PREFIX, day_page_path


def _link(path: str | None) -> str | None:
    return f"/{path}" if path is not None else None


def day_pages(
    list_path: str,
    day: str,
    members: Sequence[ArticleRecord],
    *,
    section: str | None,
    outlet: str | None,
    older_day: str | None,
    newer_day: str | None,
    leftovers: Iterable[str] = (),
) -> dict[str, ListSnapshot]:
    """Every page of one list's day, by path: ``members`` oldest first (list order), the neighbouring
    days that have stories, and ``leftovers`` - numbered parts published before that the day no longer
    fills (after retractions): they become empty pages leading to the day's entry page, so that a
    link to them still leads somewhere."""
    previous = day_page_path(list_path, older_day) if older_day is not None else None
    pages = tail_pages(
        list_path, day, 1, members, section=section, outlet=outlet, before_first=previous, newer_day=newer_day
    )
    entry = day_page_path(list_path, day)
    for leftover in sorted(set(leftovers) - pages.keys()):
        pages[leftover] = _page(leftover, [], section, outlet, previous, entry)
    return pages


def tail_pages(
    list_path: str,
    day: str,
    first_part: int,
    members: Sequence[ArticleRecord],
    *,
    section: str | None,
    outlet: str | None,
    before_first: str | None,
    newer_day: str | None,
) -> dict[str, ListSnapshot]:
    """The day's pages from part ``first_part`` on, by path, as :func:`day_pages` renders them:
    ``members`` are the stories of those parts, oldest first (the parts before hold ``DAY_PAGE_LENGTH``
    each), ``before_first`` the path the first of them leads to as ``older``. A day that grows at its
    end rewrites only these (publish.pages)."""
    length = limits.DAY_PAGE_LENGTH
    chunks = [list(members[start : start + length]) for start in range(0, len(members), length)] or [[]]
    count = first_part - 1 + len(chunks)

    def path(part: int) -> str:  # 1-based; the last part is the entry page
        return day_page_path(list_path, day, None if part == count else part)

    following = day_page_path(list_path, newer_day) if newer_day is not None else None
    pages: dict[str, ListSnapshot] = {}
    for part, chunk in enumerate(chunks, start=first_part):
        older = path(part - 1) if part > first_part else before_first
        newer = path(part + 1) if part < count else following
        pages[path(part)] = _page(path(part), chunk, section, outlet, older, newer)
    return pages


def numbered_part(
    list_path: str,
    day: str,
    part: int,
    parts: int,
    members: Sequence[ArticleRecord],
    *,
    section: str | None,
    outlet: str | None,
    before_first: str | None,
) -> dict[str, ListSnapshot]:
    """Numbered part ``part`` of a day of ``parts`` numbered parts and an entry page, as :func:`day_pages`
    renders it: ``members`` are its stories, oldest first, ``before_first`` the path part 1 leads to as
    ``older``. A story that changes in place (its picture settled, a corrected headline) rewrites only
    the part that lists it (publish.pages)."""
    if not 1 <= part <= parts:
        raise ValueError(f"part {part} of a day of {parts} numbered parts")
    older = day_page_path(list_path, day, part - 1) if part > 1 else before_first
    newer = day_page_path(list_path, day, part + 1 if part < parts else None)
    path = day_page_path(list_path, day, part)
    return {path: _page(path, members, section, outlet, older, newer)}


def _page(
    path: str,
    chunk: Sequence[ArticleRecord],
    section: str | None,
    outlet: str | None,
    older: str | None,
    newer: str | None,
) -> ListSnapshot:
    newest_first = list(reversed(chunk))
    outlet_value = None
    if outlet is not None:
        # As on the head list: the name comes from the page's own articles (a rebuild writes the same bytes).
        outlet_value = outlet_ref(newest_first[0]) if newest_first else OutletRef(id=outlet, name="")
    return ListSnapshot(
        name=path.removeprefix(PREFIX).removesuffix(".json"),
        section=section_ref(section) if section is not None else None,
        outlet=outlet_value,
        generated_at=max((changed_at(record) for record in chunk), default=None),
        items=[article_summary(record) for record in newest_first],
        older=_link(older),
        newer=_link(newer),
    )
