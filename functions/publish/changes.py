"""Which published files an article change touches: the article's own file and the lists it is in.

Pure rules, no AWS: the stream handler and the full rebuild both ask these questions.
"""

from __future__ import annotations

from collections.abc import Iterable, Mapping
from dataclasses import dataclass
from typing import Any

from newsdesk.articles import ArticleRecord, record_from_json
from newsdesk.dal.keys import (
    LATEST_INDEX,
    LATEST_LIST,
    OUTLET_INDEX,
    SECTION_INDEX,
    outlet_list_pk,
    section_list_pk,
    sort_time,
)
from newsdesk.models import ArticleStatus
from newsdesk.snapshots import LATEST_PATH, PREFIX, ArticleSummary, article_summary, outlet_path, section_path


@dataclass(frozen=True)
class ArticleChange:
    """One article's state before and after a change (the stream's OldImage / NewImage)."""

    old: ArticleRecord | None
    new: ArticleRecord | None

    @property
    def article_id(self) -> str:
        record = self.new or self.old
        if record is None:
            raise ValueError("an article change needs an old or a new state")
        return record.article_id

    @classmethod
    def from_images(cls, old_image: Mapping[str, Any] | None, new_image: Mapping[str, Any] | None) -> ArticleChange:
        """From the deserialized images of a CURRENT article item (a stream record's old and new image)."""
        return cls(
            old=record_from_json(old_image) if old_image else None,
            new=record_from_json(new_image) if new_image else None,
        )


@dataclass(frozen=True, order=True)
class ListKey:
    """One published list: where it is written and which index holds its members."""

    path: str
    index_name: str
    pk_value: str
    section: str | None = None
    outlet: str | None = None

    @property
    def name(self) -> str:
        return self.path.removeprefix(PREFIX).removesuffix(".json")


def latest_list() -> ListKey:
    return ListKey(path=LATEST_PATH, index_name=LATEST_INDEX, pk_value=LATEST_LIST)


def section_list(slug: str) -> ListKey:
    return ListKey(path=section_path(slug), index_name=SECTION_INDEX, pk_value=section_list_pk(slug), section=slug)


def outlet_list(partner_id: str) -> ListKey:
    return ListKey(
        path=outlet_path(partner_id), index_name=OUTLET_INDEX, pk_value=outlet_list_pk(partner_id), outlet=partner_id
    )


def lists_of(record: ArticleRecord | None) -> set[ListKey]:
    """The lists an article belongs to in this state: none unless it is published."""
    if record is None or record.status is not ArticleStatus.PUBLISHED:
        return set()
    return {latest_list(), section_list(record.section), outlet_list(record.partner_id)}


def list_for_path(path: str) -> ListKey | None:
    """The list written at ``path``, or None when the path is not a list."""
    if path == LATEST_PATH:
        return latest_list()
    name = path.removeprefix(PREFIX).removesuffix(".json")
    folder, _, slug = name.partition("/")
    if folder == "sections" and slug:
        return section_list(slug)
    if folder == "outlets" and slug:
        return outlet_list(slug)
    return None


def list_order(record: ArticleRecord) -> tuple[str, str]:
    # The same order as the indexes' list_sk ("{published_at}#{id}"), newest first when reversed.
    return sort_time(record.published_at), record.article_id


# Within one revision an article only moves forward: an embargo is released; a published story is
# taken down (`newsdesk reprocess` finding it withheld or expired). Any other change is a new revision.
_STATUS_STEP = {
    ArticleStatus.EMBARGOED: 0,
    ArticleStatus.PUBLISHED: 1,
    ArticleStatus.WITHHELD: 2,
    ArticleStatus.RETRACTED: 2,
}


def state_order(record: ArticleRecord) -> int:
    """Where this state stands in the article's history: a later state has a higher number.

    Article files carry it, so that no writer replaces a file with an older state of its article.
    """
    return record.revision * 4 + _STATUS_STEP.get(record.status, 3)


def withdrawn(change: ArticleChange) -> bool:
    """The change takes a story out of publication (retracted, withheld, expired, deleted)."""
    return change.new is None or (is_published(change.old) and not is_published(change.new))


def republished(change: ArticleChange) -> bool:
    """A story out of publication comes back (a newer version, or an embargo released)."""
    return is_published(change.new) and change.old is not None and not is_published(change.old)


def is_published(record: ArticleRecord | None) -> bool:
    return record is not None and record.status is ArticleStatus.PUBLISHED


def summary(record: ArticleRecord | None) -> ArticleSummary | None:
    return article_summary(record) if record is not None and is_published(record) else None


def touched_lists(changes: Iterable[ArticleChange]) -> set[ListKey]:
    """The lists a batch's changes enter, leave or change within, judged record by record.

    Not on the merged changes: a redelivered batch can carry a record whose lists were already
    written (a story's insert) and a later one that undoes it (its retraction); merged, the two look
    like a story that was never published, and the lists would keep showing it.
    """
    touched: set[ListKey] = set()
    for change in changes:
        if summary(change.old) != summary(change.new):  # else e.g. a change no list shows
            touched |= lists_of(change.old) | lists_of(change.new)
    return touched


def ranking_moves(changes: Iterable[ArticleChange]) -> tuple[list[str], list[str]]:
    """The stories a batch takes out of publication and the ones it brings back, in first-seen order.

    Judged record by record, kept by the final state: a redelivered retraction followed by the new
    version that brings the story back must bring it back (merged, it looks like no change).
    """
    changes = list(changes)
    final = {change.article_id: change.new for change in changes}
    gone = {change.article_id: None for change in changes if withdrawn(change)}
    back = {change.article_id: None for change in changes if republished(change)}
    return (
        [article_id for article_id in gone if not is_published(final[article_id])],
        [article_id for article_id in back if is_published(final[article_id])],
    )


def merged(changes: Iterable[ArticleChange]) -> list[ArticleChange]:
    """One change per article, from its first old state to its last new state, in first-seen order."""
    merged: dict[str, ArticleChange] = {}
    for change in changes:
        earlier = merged.get(change.article_id)
        merged[change.article_id] = ArticleChange(old=earlier.old if earlier else change.old, new=change.new)
    return list(merged.values())
