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
"""

from __future__ import annotations

from datetime import datetime

from newsdesk.articles import ArticleRecord
from newsdesk.dal.articles import ArticleStore
from newsdesk.dal.snapshots import SnapshotStore
from newsdesk.snapshots import ListSnapshot, OutletRef, article_summary, changed_at, outlet_ref, render, section_ref
from publish.changes import ListKey, list_order, lists_of, state_order


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
    candidates = [record.article_id for record in indexed] + snapshots.listed_ids(key.path) + list(overlay)
    states = articles.current_states(candidates)
    for article_id, state in overlay.items():
        current = states.get(article_id)
        if current is not None and (state is None or state_order(current) >= state_order(state)):
            continue  # the table is as far as this batch, or ahead of it (a redelivered batch)
        if state is None:
            states.pop(article_id, None)
        else:
            states[article_id] = state
    members = {article_id: state for article_id, state in states.items() if key in lists_of(state)}
    newest = sorted(members.values(), key=list_order, reverse=True)[:list_length]
    generated_at = max((changed_at(record) for record in newest), default=None)
    outlet = None
    if key.outlet is not None:
        # The name comes from the list's own articles, so a rebuild writes the same bytes.
        outlet = outlet_ref(newest[0]) if newest else OutletRef(id=key.outlet, name="")
    snapshot = ListSnapshot(
        name=key.name,
        section=section_ref(key.section) if key.section is not None else None,
        outlet=outlet,
        generated_at=generated_at,
        items=[article_summary(record) for record in newest],
    )
    return render(snapshot), generated_at
