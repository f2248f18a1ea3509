"""The publish function's timer: embargoes whose time has come, and stories whose rights expired.

Only the table changes here; the stream then delivers each changed article to publish, which
writes its page or tombstone and its lists as for any other change.
"""

from __future__ import annotations

from datetime import datetime

from newsdesk.dal.articles import ArticleStore
from newsdesk.models import ArticleStatus
from newsdesk.observability import logger


def release_due_embargoes(articles: ArticleStore, now: datetime) -> int:
    """Release every embargoed article whose embargo has passed; returns how many were released."""
    released = 0
    for article_id in articles.due_embargoes(now):
        record = articles.get(article_id)
        if record is None or record.status is not ArticleStatus.EMBARGOED:
            continue
        if record.embargoed_until is not None and record.embargoed_until > now:
            continue
        if articles.release_embargo(record):
            released += 1
            logger.info("embargo released", extra={"article_id": article_id})
    return released


def take_down_expired(articles: ArticleStore, now: datetime) -> int:
    """Retract every shown or embargoed article whose ``expires`` time has passed; returns how many.

    A new revision, reason "expired", as a partner's DELETE makes. Runs before
    :func:`release_due_embargoes`, so that a story which expired under embargo is never released.
    """
    taken_down = 0
    for article_id in articles.due_expiries(now):
        record = articles.get(article_id)
        if record is not None and articles.take_down_expired(record, now):
            taken_down += 1
            logger.info("expired article retracted", extra={"article_id": article_id})
    return taken_down
