"""The trending snapshots: ``v1/trending.json`` and ``v1/counters.json``, one model end to end.

The trending function builds :class:`Rankings` once (``newsdesk.trending.build_trending``), the
TRENDING item stores the two files exactly as rendered, and publish validates them back into the
same models and writes them: nothing reshapes the data between the ranking and the file.
"""

from __future__ import annotations

import hashlib
import json
from dataclasses import dataclass
from typing import Literal

from pydantic import Field

from newsdesk.snapshots.models import SnapshotModel, UtcTime
from newsdesk.snapshots.paths import COUNTERS_PATH, TRENDING_PATH, article_path
from newsdesk.snapshots.render import render


def entry_path(article_id: str) -> str:
    """What an entry links to: the article's file, from the site's root."""
    return f"/{article_path(article_id)}"


class TrendingEntrySnapshot(SnapshotModel):
    """One line of the sidebar: time, headline, count."""

    id: str
    headline: str
    published_at: UtcTime
    section: str
    count: int = Field(description="Views (most_read) or comments (most_discussed)")
    path: str = Field(description="The article file, e.g. /v1/articles/{id}.json")


class TrendingListsSnapshot(SnapshotModel):
    most_read: list[TrendingEntrySnapshot]
    most_discussed: list[TrendingEntrySnapshot]


class TrendingSnapshot(SnapshotModel):
    """``v1/trending.json``: what is most read and most discussed now, overall and per section."""

    schema_version: Literal["v1"] = "v1"
    kind: Literal["trending"] = "trending"
    generated_at: UtcTime = Field(description="When the rankings were computed")
    window_hours: int
    half_life_minutes: float
    min_count: int
    most_read: list[TrendingEntrySnapshot]
    most_discussed: list[TrendingEntrySnapshot]
    sections: dict[str, TrendingListsSnapshot]


class ArticleCountsSnapshot(SnapshotModel):
    views: int
    comments: int


class CountersSnapshot(SnapshotModel):
    """``v1/counters.json``: views (in the window) and comments of the articles active in the window,
    so article pages show counters without their files being rewritten every cycle."""

    schema_version: Literal["v1"] = "v1"
    kind: Literal["counters"] = "counters"
    generated_at: UtcTime
    window_hours: int
    truncated: bool = Field(description="True when only the most active articles are listed")
    articles: dict[str, ArticleCountsSnapshot]


@dataclass(frozen=True)
class Rankings:
    """One trending run's result: the two files, as they are published."""

    trending: TrendingSnapshot
    counters: CountersSnapshot

    def files(self) -> dict[str, TrendingSnapshot | CountersSnapshot]:
        return {TRENDING_PATH: self.trending, COUNTERS_PATH: self.counters}

    def texts(self) -> tuple[str, str]:
        """The two files' text exactly as published (what the TRENDING item stores)."""
        return render(self.trending).decode("utf-8"), render(self.counters).decode("utf-8")

    @classmethod
    def from_texts(cls, trending: str, counters: str) -> Rankings:
        """The stored files validated back into their models (raises ValueError when they do not fit)."""
        return cls(
            trending=TrendingSnapshot.model_validate_json(trending),
            counters=CountersSnapshot.model_validate_json(counters),
        )

    def digest(self) -> str:
        """A hash of everything but the generation time: equal rankings and counts, equal digest.

        Decay moves scores every run but not, by itself, the order or the counts, so a quiet site
        hashes the same run after run and nothing is written.
        """
        content = [model.model_dump(mode="json", exclude={"generated_at"}) for model in (self.trending, self.counters)]
        canonical = json.dumps(content, ensure_ascii=False, separators=(",", ":"), sort_keys=True)
        return hashlib.sha256(canonical.encode("utf-8")).hexdigest()
