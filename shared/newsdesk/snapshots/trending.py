"""The trending snapshots: ``v1/trending.json`` and ``v1/counters.json``, one model end to end.

The trending function builds :class:`Rankings` once (``newsdesk.trending.build_trending``), the
TRENDING item stores the two files exactly as rendered, and publish reads them back into the
same models and writes them: nothing reshapes the data between the ranking and the file.
"""

from __future__ import annotations

import hashlib
import json
from collections.abc import Collection
from dataclasses import dataclass, field, replace
from typing import Literal

from newsdesk.snapshots.models import SnapshotModel, UtcTime, described
from newsdesk.snapshots.paths import COUNTERS_PATH, TRENDING_PATH, article_path
from newsdesk.snapshots.render import parse, render, to_json


def entry_path(article_id: str) -> str:
    """What an entry links to: the article's file, from the site's root."""
    return f"/{article_path(article_id)}"


@dataclass(frozen=True, kw_only=True)
class TrendingEntrySnapshot(SnapshotModel):
    """One line of the sidebar: time, headline, count."""

    id: str
    headline: str
    published_at: UtcTime
    section: str
    count: int = field(metadata=described("Views (most_read) or comments (most_discussed)"))
    path: str = field(metadata=described("The article file, e.g. /v1/articles/{id}.json"))


@dataclass(frozen=True, kw_only=True)
class DiscussedEntrySnapshot(SnapshotModel):
    """One line of the sidebar "Обсуждаемое": time, headline, comment count (0 and 1 included)."""

    id: str
    headline: str
    published_at: UtcTime
    section: str
    count: int = field(metadata=described("Comments now (0 when every comment was deleted since)"))
    last_comment_at: UtcTime | None = field(metadata=described("When the comment count last went up"))
    path: str = field(metadata=described("The article file, e.g. /v1/articles/{id}.json"))


@dataclass(frozen=True, kw_only=True)
class TrendingListsSnapshot(SnapshotModel):
    most_read: list[TrendingEntrySnapshot]
    most_discussed: list[TrendingEntrySnapshot]


@dataclass(frozen=True, kw_only=True)
class TrendingSnapshot(SnapshotModel):
    """``v1/trending.json``: what is most read and most discussed now, overall and per section."""

    schema_version: Literal["v1"] = "v1"
    kind: Literal["trending"] = "trending"
    generated_at: UtcTime = field(metadata=described("When the rankings were computed"))
    window_hours: int
    half_life_minutes: float
    min_count: int
    most_read: list[TrendingEntrySnapshot]
    most_discussed: list[TrendingEntrySnapshot]
    sections: dict[str, TrendingListsSnapshot]
    # Rankings stored before the list existed read back with it empty (the next run fills it).
    recently_discussed: list[DiscussedEntrySnapshot] = field(
        default_factory=list,
        metadata=described("Stories with a new comment recently, the most recently commented first"),
    )

    def __post_init__(self) -> None:
        # The file has always spelled it as a JSON float ("360.0"), whatever number it was given.
        object.__setattr__(self, "half_life_minutes", float(self.half_life_minutes))


@dataclass(frozen=True, kw_only=True)
class ArticleCountsSnapshot(SnapshotModel):
    views: int
    comments: int


@dataclass(frozen=True, kw_only=True)
class CountersSnapshot(SnapshotModel):
    """``v1/counters.json``: views (in the window) and comments of the articles active in the window,
    so article pages show counters without their files being rewritten every cycle."""

    schema_version: Literal["v1"] = "v1"
    kind: Literal["counters"] = "counters"
    generated_at: UtcTime
    window_hours: int
    truncated: bool = field(metadata=described("True when only the most active articles are listed"))
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
        """The stored files read back into their models (raises ValueError when they do not fit)."""
        return cls(trending=parse(TrendingSnapshot, trending), counters=parse(CountersSnapshot, counters))

    def without(self, article_ids: Collection[str]) -> Rankings:
        """The same rankings with these articles left out of every list and of the counters.

        Lists become one shorter until the next trending run fills them; a ranking that holds none
        of the articles is returned as it is.
        """
        gone = set(article_ids) & self.article_ids()
        if not gone:
            return self

        def kept(entries: list[TrendingEntrySnapshot]) -> list[TrendingEntrySnapshot]:
            return [entry for entry in entries if entry.id not in gone]

        trending = replace(
            self.trending,
            most_read=kept(self.trending.most_read),
            most_discussed=kept(self.trending.most_discussed),
            sections={
                slug: TrendingListsSnapshot(most_read=kept(lists.most_read), most_discussed=kept(lists.most_discussed))
                for slug, lists in self.trending.sections.items()
            },
            recently_discussed=[entry for entry in self.trending.recently_discussed if entry.id not in gone],
        )
        counters = replace(
            self.counters,
            articles={
                article_id: counts for article_id, counts in self.counters.articles.items() if article_id not in gone
            },
        )
        return Rankings(trending=trending, counters=counters)

    def article_ids(self) -> set[str]:
        """Every article the two files mention."""
        lists = [self.trending.most_read, self.trending.most_discussed]
        for section in self.trending.sections.values():
            lists += [section.most_read, section.most_discussed]
        discussed = {entry.id for entry in self.trending.recently_discussed}
        return {entry.id for entries in lists for entry in entries} | discussed | set(self.counters.articles)

    def digest(self) -> str:
        """A hash of everything but the generation time: equal rankings and counts, equal digest.

        Decay moves scores every run but not, by itself, the order or the counts, so a quiet site
        hashes the same run after run and nothing is written.
        """
        content = []
        for model in (self.trending, self.counters):
            values = to_json(model)
            del values["generated_at"]
            content.append(values)
        canonical = json.dumps(content, ensure_ascii=False, separators=(",", ":"), sort_keys=True)
        return hashlib.sha256(canonical.encode("utf-8")).hexdigest()
