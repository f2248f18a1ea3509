"""Trending rankings from the counters of the active window: domain rules, no AWS in them.

- ``most_read``: views with exponential time decay. Each hour's views weigh
  ``0.5 ** (age / half_life)``, the age measured from the middle of the hour to ``now`` (never
  negative), so a story read a lot yesterday gives way to one read a lot in the last hours.
- ``most_discussed``: the latest absolute comment count the comment service sent in the window.
- An article needs at least ``min_count`` views (comments) in the window to be listed at all, so a
  single view does not trend. Order is by score, then by article id: equal scores always come
  out in the same order.
- Only articles the lookup confirms as published are listed; the others are skipped and the next
  candidates taken, so a retraction leaves the lists at the next run.
- Top-k without sorting everything: the candidates are heapified (O(n)) and popped only as far
  as the lists need (O(k log n)); bench/trending.py measures this against a full sort.

One model from the ranking to the files: :func:`build_trending` returns the published snapshot
models themselves (:class:`newsdesk.snapshots.Rankings`); the TRENDING item stores them as
rendered and publish writes them unchanged (docs/engagement.md, "What publish renders").
"""

from __future__ import annotations

import heapq
from collections import defaultdict
from collections.abc import Callable, Collection, Iterable, Iterator, Mapping
from dataclasses import dataclass, field
from datetime import datetime, timedelta
from typing import Literal

from newsdesk.engagement import CommentCount, ViewCount, hour_start
from newsdesk.snapshots.limits import COUNTED_ARTICLES, SUMMARY_HEADLINE_CHARS, clip
from newsdesk.snapshots.trending import (
    ArticleCountsSnapshot,
    CountersSnapshot,
    DiscussedEntrySnapshot,
    Rankings,
    TrendingEntrySnapshot,
    TrendingListsSnapshot,
    TrendingSnapshot,
    entry_path,
)

# The TRENDING item (trending.json and counters.json together) must stay under DynamoDB's 400 KB item
# limit, and counters.json under its published maximum: counts are kept for at most this many
# articles, the most active ones (5,000 made ~417 KB alone). newsdesk.snapshots.limits sizes both.
MAX_COUNTED_ARTICLES = COUNTED_ARTICLES

# recently_discussed (settings recent_discussion_hours / _list_length / _min_comments): stories with
# a new comment in the last day, whatever their count, as the sidebar "Обсуждаемое" shows them.
DEFAULT_RECENT_HOURS = 24
DEFAULT_RECENT_LENGTH = 10

Metric = Literal["most_read", "most_discussed"]
METRICS: tuple[Metric, ...] = ("most_read", "most_discussed")


@dataclass(frozen=True)
class ArticleActivity:
    """What the window says about one article."""

    article_id: str
    section: str
    views: int
    read_score: float
    comments: int
    # When the comment count last went up (a new comment): orders recently_discussed.
    last_comment_at: datetime | None = None

    def count(self, metric: Metric) -> int:
        return self.views if metric == "most_read" else self.comments

    def score(self, metric: Metric) -> float:
        return self.read_score if metric == "most_read" else float(self.comments)


@dataclass(frozen=True)
class ListedArticle:
    """What a list entry shows of a published article (from its CURRENT item)."""

    article_id: str
    headline: str
    published_at: datetime
    section: str


# Given article ids, the published ones among them (absent ids are unknown or not published).
ArticleLookup = Callable[[Collection[str]], Mapping[str, ListedArticle]]


# --- scoring -----------------------------------------------------------------------------------


def decay_weight(hour: str, now: datetime, half_life_minutes: float) -> float:
    """The weight of one hour's views at ``now``: 1 for the current hour, 0.5 one half-life later."""
    midpoint = hour_start(hour) + timedelta(minutes=30)
    age_minutes = max(0.0, (now - midpoint).total_seconds() / 60)
    return float(0.5 ** (age_minutes / half_life_minutes))


def activity_by_article(
    views: Iterable[ViewCount], comments: Iterable[CommentCount], *, now: datetime, half_life_minutes: float
) -> dict[str, ArticleActivity]:
    """Fold the window's counter items into one activity per article.

    Shards of a view counter are summed; of the comment counts, the newest hour's wins (it is an
    absolute count). The section is the newest one the counters recorded.
    """
    views_per_hour: dict[str, dict[str, int]] = defaultdict(lambda: defaultdict(int))
    sections: dict[str, tuple[str, str]] = {}

    def note_section(article_id: str, hour: str, section: str) -> None:
        if section and (article_id not in sections or sections[article_id][0] <= hour):
            sections[article_id] = (hour, section)

    for count in views:
        views_per_hour[count.article_id][count.hour] += count.views
        note_section(count.article_id, count.hour, count.section)
    latest_comments: dict[str, tuple[str, int]] = {}
    last_commented: dict[str, datetime] = {}
    for comment in comments:
        if comment.article_id not in latest_comments or latest_comments[comment.article_id][0] < comment.hour:
            latest_comments[comment.article_id] = (comment.hour, comment.count)
        note_section(comment.article_id, comment.hour, comment.section)
        # The time only moves forward; a bucket written before it was recorded has none.
        if comment.last_comment_at is not None:
            last_commented[comment.article_id] = max(
                comment.last_comment_at, last_commented.get(comment.article_id, comment.last_comment_at)
            )

    weights: dict[str, float] = {}
    activity: dict[str, ArticleActivity] = {}
    for article_id in sorted(views_per_hour.keys() | latest_comments.keys()):
        per_hour = views_per_hour.get(article_id, {})
        score = 0.0
        # Summed in hour order, so that the float result does not depend on the order of the items.
        for hour in sorted(per_hour):
            if hour not in weights:
                weights[hour] = decay_weight(hour, now, half_life_minutes)
            score += per_hour[hour] * weights[hour]
        activity[article_id] = ArticleActivity(
            article_id=article_id,
            section=sections.get(article_id, ("", ""))[1],
            views=sum(per_hour.values()),
            read_score=score,
            comments=latest_comments.get(article_id, ("", 0))[1],
            last_comment_at=last_commented.get(article_id),
        )
    return activity


def ranked(activities: Iterable[ArticleActivity], metric: Metric, min_count: int) -> Iterator[ArticleActivity]:
    """Articles with at least ``min_count``, best first (ties by id), computed lazily with a heap."""
    # Attributes read directly, not through score()/count(): this loop runs once per active article.
    if metric == "most_read":
        heap = [(-item.read_score, item.article_id, item) for item in activities if item.views >= min_count]
    else:
        heap = [(-float(item.comments), item.article_id, item) for item in activities if item.comments >= min_count]
    heapq.heapify(heap)
    while heap:
        yield heapq.heappop(heap)[2]


def recently_discussed(
    activities: Iterable[ArticleActivity], since: datetime, min_comments: int
) -> Iterator[ArticleActivity]:
    """Articles with a new comment since ``since`` and at least ``min_comments`` now, the most
    recently commented first (ties by id), lazily with a heap."""
    heap = [
        (-item.last_comment_at.timestamp(), item.article_id, item)
        for item in activities
        if item.last_comment_at is not None and item.last_comment_at >= since and item.comments >= min_comments
    ]
    heapq.heapify(heap)
    while heap:
        yield heapq.heappop(heap)[2]


# --- building the lists ------------------------------------------------------------------------

_UNCHECKED = object()


@dataclass
class _ListFill:
    """One list being filled from its ranked candidates, as far as the lookup allows."""

    candidates: Iterator[ArticleActivity]
    size: int
    taken: list[ArticleActivity] = field(default_factory=list)
    exhausted: bool = False

    def take(self, known: Mapping[str, ListedArticle | None], unknown: set[str]) -> None:
        """Take candidates until the list would be full if every unchecked one proved listable."""
        while not self.exhausted and self._counted(known) < self.size:
            candidate = next(self.candidates, None)
            if candidate is None:
                self.exhausted = True
                return
            state = known.get(candidate.article_id, _UNCHECKED)
            if state is None:
                continue  # known not to be listable: skip without keeping it
            self.taken.append(candidate)
            if state is _UNCHECKED:
                unknown.add(candidate.article_id)

    def _counted(self, known: Mapping[str, ListedArticle | None]) -> int:
        return sum(1 for candidate in self.taken if known.get(candidate.article_id, _UNCHECKED) is not None)

    def listed(self, known: Mapping[str, ListedArticle | None]) -> list[tuple[ArticleActivity, ListedArticle]]:
        found = [(candidate, known.get(candidate.article_id)) for candidate in self.taken]
        return [(candidate, article) for candidate, article in found if article is not None][: self.size]

    def entries(self, known: Mapping[str, ListedArticle | None], metric: Metric) -> list[TrendingEntrySnapshot]:
        return [
            TrendingEntrySnapshot(
                id=article.article_id,
                headline=clip(article.headline, SUMMARY_HEADLINE_CHARS),
                published_at=article.published_at,
                section=article.section,
                count=candidate.count(metric),
                path=entry_path(article.article_id),
            )
            for candidate, article in self.listed(known)
        ]

    def discussed(self, known: Mapping[str, ListedArticle | None]) -> list[DiscussedEntrySnapshot]:
        return [
            DiscussedEntrySnapshot(
                id=article.article_id,
                headline=clip(article.headline, SUMMARY_HEADLINE_CHARS),
                published_at=article.published_at,
                section=article.section,
                count=candidate.comments,
                last_comment_at=candidate.last_comment_at,
                path=entry_path(article.article_id),
            )
            for candidate, article in self.listed(known)
        ]


def build_trending(
    activity: Mapping[str, ArticleActivity],
    lookup: ArticleLookup,
    *,
    now: datetime,
    list_length: int,
    min_count: int,
    window_hours: int,
    half_life_minutes: float,
    recent_hours: int = DEFAULT_RECENT_HOURS,
    recent_length: int = DEFAULT_RECENT_LENGTH,
    recent_min_comments: int = 0,
) -> Rankings:
    """Both lists, over all articles and per section, each confirmed by ``lookup`` in few rounds,
    and the counts: the two published files.

    Each round takes from every list as many candidates as it still lacks and asks the lookup
    about all new ids at once; a candidate that is not published is replaced in the next round.
    Sections and counted articles come in sorted order, so the same window gives the same bytes.
    ``recently_discussed`` holds the stories with a new comment in the last ``recent_hours`` (at most
    the window: only the window is read), newest first, whatever their count.
    """
    by_section: dict[str, list[ArticleActivity]] = defaultdict(list)
    for item in activity.values():
        if item.section:
            by_section[item.section].append(item)
    fills: dict[tuple[str, Metric], _ListFill] = {}
    for metric in METRICS:
        fills[("", metric)] = _ListFill(ranked(activity.values(), metric, min_count), list_length)
        for section, members in by_section.items():
            fills[(section, metric)] = _ListFill(ranked(members, metric, min_count), list_length)
    since = now - timedelta(hours=min(recent_hours, window_hours))
    recent = _ListFill(recently_discussed(activity.values(), since, recent_min_comments), recent_length)

    known: dict[str, ListedArticle | None] = {}
    while True:
        unknown: set[str] = set()
        for fill in [*fills.values(), recent]:
            fill.take(known, unknown)
        if not unknown:
            break
        found = lookup(unknown)
        for article_id in unknown:
            known[article_id] = found.get(article_id)

    sections: dict[str, TrendingListsSnapshot] = {}
    for section in sorted(by_section):
        lists = TrendingListsSnapshot(
            most_read=fills[(section, "most_read")].entries(known, "most_read"),
            most_discussed=fills[(section, "most_discussed")].entries(known, "most_discussed"),
        )
        if lists.most_read or lists.most_discussed:
            sections[section] = lists
    trending = TrendingSnapshot(
        generated_at=now,
        window_hours=window_hours,
        half_life_minutes=half_life_minutes,
        min_count=min_count,
        most_read=fills[("", "most_read")].entries(known, "most_read"),
        most_discussed=fills[("", "most_discussed")].entries(known, "most_discussed"),
        sections=sections,
        recently_discussed=recent.discussed(known),
    )
    # Articles found unpublished leave the counts too; the others are not looked up (that would
    # read every active article's item each run), and an unpublished one's page is a tombstone.
    unlisted = {article_id for article_id, article in known.items() if article is None}
    articles, truncated = _counts({key: item for key, item in activity.items() if key not in unlisted})
    counters = CountersSnapshot(generated_at=now, window_hours=window_hours, truncated=truncated, articles=articles)
    return Rankings(trending=trending, counters=counters)


def _counts(activity: Mapping[str, ArticleActivity]) -> tuple[dict[str, ArticleCountsSnapshot], bool]:
    chosen: Iterable[ArticleActivity] = activity.values()
    truncated = len(activity) > MAX_COUNTED_ARTICLES
    if truncated:
        chosen = heapq.nsmallest(
            MAX_COUNTED_ARTICLES, activity.values(), key=lambda item: (-(item.views + item.comments), item.article_id)
        )
    ordered = sorted(chosen, key=lambda item: item.article_id)
    counts = {item.article_id: ArticleCountsSnapshot(views=item.views, comments=item.comments) for item in ordered}
    return counts, truncated
