"""``v1/counts/{id}.json``: one article's all-time views and current comments.

A file of its own, so that the article's page file (cached five minutes, tens of kilobytes) is
never rewritten for a count: the frontend fetches this small file beside it (docs/snapshots.md,
"Counts files"). It is rendered only from the article's lasting counts item, so identical counts
give identical bytes.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Literal

from newsdesk.snapshots.models import SnapshotModel, UtcTime, described


@dataclass(frozen=True, kw_only=True)
class CountsSnapshot(SnapshotModel):
    """``v1/counts/{id}.json``: what the page shows under its headline ("3 816 просмотров")."""

    schema_version: Literal["v1"] = "v1"
    kind: Literal["counts"] = "counts"
    id: str
    views: int = field(metadata=described("Views since the article was first published (all time)"))
    comments: int = field(metadata=described("Comments now, as the comment service last reported them"))
    updated_at: UtcTime = field(metadata=described("When either number last changed"))
