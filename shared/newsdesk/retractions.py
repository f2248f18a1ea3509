"""Retractions in the archive: a small JSON marker per retraction revision, beside the raw bytes.

A retraction (a partner's DELETE, an operator's takedown) is a new revision with no new document,
so without a marker the archive alone could not tell that a story was taken down, and a rebuild
from it (``newsdesk rebuild --from-archive``) would put the story back up. The marker is written
before the revision's record, as the raw bytes of a submission are.
"""

from __future__ import annotations

import json
import re
from dataclasses import dataclass
from datetime import datetime
from typing import Any

from newsdesk.articles import ArticleRecord, parse_utc, utc_text
from newsdesk.models import RetractionReason

RETRACTION_PREFIX = "retracted/"
# An operator's takedown has a key of its own: a partner's DELETE that read the same revision and
# lost the table write would otherwise overwrite its marker (the archive would then say "deleted").
_KEY = re.compile(r"retracted/(?P<partner>[^/]+)/(?P<article>[^/]+)/(?P<revision>\d{8})(?P<operator>-operator)?\.json")


@dataclass(frozen=True, slots=True)
class RetractionMarker:
    partner_id: str
    article_id: str
    revision: int
    reason: RetractionReason
    at: datetime
    note: str | None = None


def retraction_key_for(
    partner_id: str, article_id: str, revision: int, reason: RetractionReason | None = RetractionReason.DELETED
) -> str:
    by = "-operator" if reason is RetractionReason.OPERATOR else ""
    return f"{RETRACTION_PREFIX}{partner_id}/{article_id}/{revision:08d}{by}.json"


def marker_of(record: ArticleRecord) -> tuple[str, bytes]:
    """The archive key and bytes of the marker of ``record``, a retracted revision."""
    values: dict[str, Any] = {
        "article_id": record.article_id,
        "revision": record.revision,
        "reason": record.retraction_reason.value if record.retraction_reason else RetractionReason.DELETED.value,
        "at": utc_text(record.updated_at),
    }
    if record.retraction_note:
        values["note"] = record.retraction_note
    body = json.dumps(values, ensure_ascii=False, sort_keys=True).encode("utf-8")
    return retraction_key_for(record.partner_id, record.article_id, record.revision, record.retraction_reason), body


def parse_marker(key: str, body: bytes) -> RetractionMarker | None:
    """The marker stored under ``key``, or None if the key or the bytes are not one."""
    matched = _KEY.fullmatch(key)
    if matched is None:
        return None
    try:
        values = json.loads(body)
        return RetractionMarker(
            partner_id=matched["partner"],
            article_id=matched["article"],
            revision=int(matched["revision"]),
            reason=RetractionReason(values["reason"]),
            at=parse_utc(str(values["at"])),
            note=str(values["note"]) if values.get("note") else None,
        )
    except (ValueError, KeyError, TypeError):
        return None
