"""One trending run: read the active window, rank, hand the result to publish if it changed.

Reads are bounded by the window, not by history: one Query per UTC day the window spans, on the
sort-key range of its hours (a day's view counters and comment counts share a partition:
docs/engagement.md), one BatchGetItem round per list refill to confirm that candidates are still
published, and one GetItem of the stored rankings — 5 or 6 calls at a 48-hour window. The
TRENDING item is written only when the digest of the new rankings differs from the stored one; the
table's stream then carries it to the publish function, which writes the two files it holds
(v1/trending.json, v1/counters.json).
"""

from __future__ import annotations

from collections.abc import Collection, Mapping
from dataclasses import dataclass
from datetime import datetime

from newsdesk.dal.engagement import CounterStore, StoredTrending
from newsdesk.engagement import window_buckets
from newsdesk.models import ArticleStatus
from newsdesk.settings import Settings, get_settings
from newsdesk.trending import ListedArticle, activity_by_article, build_trending


@dataclass(frozen=True)
class TrendingReport:
    """What a run did: articles active in the window, whether the rankings changed."""

    candidates: int
    written: bool
    digest: str
    most_read: int
    most_discussed: int
    recently_discussed: int = 0


def run_trending(
    now: datetime, *, counters: CounterStore | None = None, settings: Settings | None = None
) -> TrendingReport:
    """Recompute the rankings at ``now`` from the counters of the active window."""
    settings = settings or get_settings()
    counters = counters or CounterStore(settings.table_name)

    def published(article_ids: Collection[str]) -> Mapping[str, ListedArticle]:
        return {
            article_id: ListedArticle(
                article_id=record.article_id,
                headline=record.headline,
                published_at=record.published_at,
                section=record.section,
            )
            for article_id, record in counters.current_articles(article_ids).items()
            if record.status is ArticleStatus.PUBLISHED
        }

    views, comments = counters.counts_in_window(window_buckets(now, settings.trending_window_hours))
    activity = activity_by_article(views, comments, now=now, half_life_minutes=settings.trending_half_life_minutes)
    rankings = build_trending(
        activity,
        published,
        now=now,
        list_length=settings.trending_list_length,
        min_count=settings.trending_min_count,
        window_hours=settings.trending_window_hours,
        half_life_minutes=settings.trending_half_life_minutes,
        recent_hours=settings.recent_discussion_hours,
        recent_length=settings.recent_discussion_list_length,
        recent_min_comments=settings.recent_discussion_min_comments,
    )
    digest = rankings.digest()
    stored = counters.get_trending()
    written = stored is None or stored.digest != digest
    if written:
        counters.put_trending(StoredTrending.of(rankings))
    return TrendingReport(
        candidates=len(activity),
        written=written,
        digest=digest,
        most_read=len(rankings.trending.most_read),
        most_discussed=len(rankings.trending.most_discussed),
        recently_discussed=len(rankings.trending.recently_discussed),
    )
