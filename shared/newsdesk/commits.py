"""Commit markers: which archived object of a revision went live.

Ingest archives a revision's bytes (or a retraction's marker) before its conditional table write, so
the archive also holds objects of writes that never went live: a table write that failed (a 5xx the
partner may never retry) and a writer that lost a race and was refused. Once the write has
succeeded, the writer puts an empty object at ``committed/`` + the winning object's key: a rebuild
from the archive alone (``newsdesk rebuild --from-archive``) then knows what was live with one
listing, without reading any object. One S3 PUT per accepted write.
"""

from __future__ import annotations

from newsdesk.articles import ArticleRecord
from newsdesk.models import ArticleStatus, RetractionReason
from newsdesk.retractions import retraction_key_for

COMMIT_PREFIX = "committed/"
# Retractions that come with a marker of their own (a partner's DELETE, an operator's takedown).
MARKED_RETRACTIONS = (RetractionReason.DELETED, RetractionReason.OPERATOR)


def commit_key_for(archived_key: str) -> str:
    return f"{COMMIT_PREFIX}{archived_key}"


def committed_object(key: str) -> str | None:
    """The archived object a commit marker names, or None if ``key`` is not a commit marker."""
    return key[len(COMMIT_PREFIX) :] if key.startswith(COMMIT_PREFIX) and len(key) > len(COMMIT_PREFIX) else None


def live_object_of(record: ArticleRecord) -> str | None:
    """The archived object that holds ``record``'s revision, or None if the revision has none (the
    expiry timer's retraction: a new revision that archives nothing)."""
    if record.status is ArticleStatus.RETRACTED and record.retraction_reason in MARKED_RETRACTIONS:
        return retraction_key_for(record.partner_id, record.article_id, record.revision, record.retraction_reason)
    if record.archive_key.startswith(f"raw/{record.partner_id}/{record.article_id}/{record.revision:08d}-"):
        return record.archive_key
    return None
