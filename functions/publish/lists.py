"""Rendering one list (latest, a section, an outlet) from the index, the table and the list itself.

An index answers eventually, so a list is not rendered from it alone:

- the batch's own changes (``overlay``) are laid over it: a lagging index never loses the change
  being published;
- the members the published list holds now are candidates too, so that a story another batch
  listed a moment ago is not dropped because the index has not caught up with it;
- every candidate is read again from the table (consistently), so a list rendered from a lagging
  index neither lists a story retracted a moment ago nor shows an older teaser, and a redelivered
  batch never puts back an older state of a story the table has moved on from.

The published list is read before rendering and written on condition that it is still the object
whose ETag the writer read before that (docs/snapshots.md, "Concurrent writers"): the members it
held are never lost to a writer that did not see them.

A head list links (``older``) to the day page of the next older story (:mod:`publish.pages`), found the
same way: the members beyond the newest ``list_length``, else the index beyond the last item, each
checked against the table.
"""

from __future__ import annotations

from collections.abc import Iterable
from datetime import datetime

from newsdesk.articles import ArticleRecord
from newsdesk.dal.articles import ArticleStore
from newsdesk.dal.keys import sort_time
from newsdesk.dal.snapshots import SnapshotStore
from newsdesk.snapshots import ListSnapshot, OutletRef, article_summary, changed_at, outlet_ref, render, section_ref
from newsdesk.snapshots.paths import day_page_path
from publish.changes import ListKey, list_order, lists_of, state_order


def settled_states(
    articles: ArticleStore, candidates: Iterable[str], overlay: dict[str, ArticleRecord | None]
) -> dict[str, ArticleRecord]:
    """The state of each candidate as far as anyone has got: the table's (read consistently), unless
    this batch holds a later one (``overlay``; None: the item is gone)."""
    states = articles.current_states([*candidates, *overlay])
    for article_id, state in overlay.items():
        current = states.get(article_id)
        if current is not None and (state is None or state_order(current) >= state_order(state)):
            continue  # the table is as far as this batch, or ahead of it (a redelivered batch)
        if state is None:
            states.pop(article_id, None)
        else:
            states[article_id] = state
    return states


def day_of(record: ArticleRecord) -> str:
    """The UTC day ("YYYY-MM-DD") whose day page lists the article."""
    return sort_time(record.published_at)[:10]


def list_sk(record: ArticleRecord) -> str:
    """The article's sort key in the list indexes (``{published_at}#{id}``)."""
    return "#".join(list_order(record))


def older_story(
    key: ListKey, last: ArticleRecord, overlay: dict[str, ArticleRecord | None], articles: ArticleStore
) -> ArticleRecord | None:
    """The list's next story older than ``last``, from the index (a few spare for the batch's own
    withdrawals), the batch and the table."""
    found = articles.listed_beyond(key.index_name, key.pk_value, list_sk(last), older=True, limit=1 + len(overlay))
    states = settled_states(articles, [record.article_id for record in found], overlay)
    older = [state for state in states.values() if key in lists_of(state) and list_order(state) < list_order(last)]
    return max(older, key=list_order, default=None)


def render_list(
    key: ListKey,
    overlay: dict[str, ArticleRecord | None],
    *,
    articles: ArticleStore,
    snapshots: SnapshotStore,
    list_length: int,
) -> tuple[bytes, datetime | None]:
    # Ask for one more per article of the batch that is not in this list: if a stale index still
    # holds it, dropping it must not leave the list short.
    spare = sum(1 for state in overlay.values() if key not in lists_of(state))
    indexed = articles.newest(key.index_name, key.pk_value, list_length + spare)
    candidates = [record.article_id for record in indexed] + snapshots.listed_ids(key.path)
    states = settled_states(articles, candidates, overlay)
    members = sorted((state for state in states.values() if key in lists_of(state)), key=list_order, reverse=True)
    newest = members[:list_length]
    generated_at = max((changed_at(record) for record in newest), default=None)
    outlet = None
    if key.outlet is not None:
        # The name comes from the list's own articles, so a rebuild writes the same bytes.
        outlet = outlet_ref(newest[0]) if newest else OutletRef(id=key.outlet, name="")
    beyond = members[list_length] if len(members) > list_length else None
    if beyond is None and newest and len(indexed) == list_length + spare:
        # The index may hold more than it was asked for (a short answer means it holds no more).
        beyond = older_story(key, newest[-1], overlay, articles)
    snapshot = ListSnapshot(
        name=key.name,
        section=section_ref(key.section) if key.section is not None else None,
        outlet=outlet,
        generated_at=generated_at,
        items=[article_summary(record) for record in newest],
        older=f"/{day_page_path(key.path, day_of(beyond))}" if beyond is not None else None,
        newer=None,
    )
    return render(snapshot), generated_at
