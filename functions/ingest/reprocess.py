"""Re-normalizing stored articles from their archived bytes, after a change to our ninjs profile.

Ingest normalizes a document once and stores the result beside the raw bytes; every reader uses
that stored form. When the profile changes (a new field is read, a sanitizer rule tightens), this is
the explicit step that brings stored articles in line: ``newsdesk reprocess --all | ID...``.

Per article: read the raw bytes of its current revision, validate and normalize them as ingest
would, and if the result differs from what is stored, write the new normalized object (under a new
key: the one the record names is never overwritten) and then rewrite the CURRENT item at the same
revision, on condition that the article has not moved on meanwhile. The table's stream then hands
the change to publish, which renders the page again. Status, revision and history stay as they are.
"""

from __future__ import annotations

import hashlib
from dataclasses import dataclass, field, replace
from datetime import UTC, datetime
from enum import StrEnum
from typing import Any, Protocol

from ingest.service import parse_json
from newsdesk.articles import (
    ArticleRecord,
    holds_normalized,
    normalized_key_for,
    retraction_reason_for,
    status_for,
)
from newsdesk.errors import NewsdeskError
from newsdesk.models import ArticleStatus, content_bytes
from newsdesk.ninjs import validate_document
from newsdesk.partners import Partner
from newsdesk.sanitize import plain_text
from newsdesk.sections import section_for

_SHOWN_OR_WAITING = (ArticleStatus.PUBLISHED, ArticleStatus.EMBARGOED)
_TAKEN_DOWN = (ArticleStatus.WITHHELD, ArticleStatus.RETRACTED)


class Outcome(StrEnum):
    UNCHANGED = "unchanged"
    UPDATED = "updated"
    WOULD_UPDATE = "would update"  # --dry-run
    FAILED = "failed"  # the archived document no longer passes the profile: left as it is
    MOVED_ON = "moved on"  # a partner changed the article meanwhile; its new revision is current anyway
    MISSING = "missing"


class Articles(Protocol):
    def get(self, article_id: str) -> ArticleRecord | None: ...

    def replace_current(self, record: ArticleRecord, *, expected: ArticleRecord) -> bool: ...


class Archive(Protocol):
    def get_raw(self, key: str) -> bytes: ...

    def put_normalized(self, key: str, body: bytes) -> None: ...


class Partners(Protocol):
    def get_partner(self, partner_id: str) -> Partner | None: ...


@dataclass
class ReprocessReport:
    outcomes: dict[Outcome, int] = field(default_factory=dict)
    problems: dict[str, str] = field(default_factory=dict)  # article id -> why it failed

    def add(self, article_id: str, outcome: Outcome, problem: str = "") -> None:
        self.outcomes[outcome] = self.outcomes.get(outcome, 0) + 1
        if problem:
            self.problems[article_id] = problem


@dataclass
class Reprocessor:
    articles: Articles
    archive: Archive
    partners: Partners
    dry_run: bool = False
    _partner_cache: dict[str, Partner | None] = field(default_factory=dict)

    def reprocess(self, article_id: str, report: ReprocessReport) -> Outcome:
        record = self.articles.get(article_id)
        if record is None:
            report.add(article_id, Outcome.MISSING, "no such article")
            return Outcome.MISSING
        try:
            renewed, normalized = self.renormalized(record)
        except NewsdeskError as error:
            detail = "; ".join(f"{e.pointer or '/'} {e.message}" for e in error.errors[:3]) or error.detail
            report.add(article_id, Outcome.FAILED, detail)
            return Outcome.FAILED
        if renewed == record:
            outcome = Outcome.UNCHANGED
        elif self.dry_run:
            outcome = Outcome.WOULD_UPDATE
        else:
            self.archive.put_normalized(renewed.normalized_key, normalized)
            replaced = self.articles.replace_current(renewed, expected=record)
            outcome = Outcome.UPDATED if replaced else Outcome.MOVED_ON
        report.add(article_id, outcome)
        return outcome

    def renormalized(self, record: ArticleRecord) -> tuple[ArticleRecord, bytes]:
        """The record as ingest would write it today from the same raw bytes, and its normalized form."""
        partner = self._partner(record.partner_id)
        raw = self.archive.get_raw(record.archive_key)
        validated = validate_document(parse_json(raw), default_language=(partner.language if partner else "") or "ru")
        content = validated.content
        normalized = content_bytes(content)
        digest = hashlib.sha256(normalized).hexdigest()
        changes: dict[str, Any] = {
            # The same bytes keep their object (a retraction's revision names its story's).
            "normalized_key": record.normalized_key
            if holds_normalized(record.normalized_key, digest)
            else normalized_key_for(record.partner_id, record.article_id, record.revision, digest),
            "headline": content.headline,
            "lead": content.lead,
            "image_url": content.lead_image.url if content.lead_image else "",
            "language": content.language,
            "outlet": plain_text(partner.name) if partner else record.outlet,
            "section": section_for(content.section_hints, partner.section if partner else ""),
            "warnings": validated.warnings,
            "expires_at": content.expires,
        }
        # What the document says can only take a story out of publication here, never put one in:
        # a story read as published before ninjs 3.x's pubStatus or `expires` were understood is
        # withheld or retracted now; releasing embargoes stays the timer's job.
        derived = status_for(content, datetime.now(UTC))
        if record.status in _SHOWN_OR_WAITING and derived in _TAKEN_DOWN:
            changes["status"] = derived
            changes["retraction_reason"] = retraction_reason_for(content, datetime.now(UTC))
        return replace(record, **changes), normalized

    def _partner(self, partner_id: str) -> Partner | None:
        if partner_id not in self._partner_cache:
            self._partner_cache[partner_id] = self.partners.get_partner(partner_id)
        return self._partner_cache[partner_id]
