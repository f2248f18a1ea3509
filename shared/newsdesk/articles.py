"""Article identity, status and the stored record: domain rules with no AWS in them."""

from __future__ import annotations

import base64
import hashlib
import re
from collections.abc import Mapping
from dataclasses import dataclass, field, fields, replace
from datetime import UTC, datetime
from typing import Any

from newsdesk.models import ArticleContent, ArticleStatus, PubStatus, RetractionReason


def utc_text(moment: datetime) -> str:
    """The one spelling of a time in keys and snapshots: UTC, whole seconds, fixed width, "Z".

    Years are always four digits (strftime writes year 999 as "999"), so that the text sorts as
    the time does and reads back.
    """
    utc = moment.astimezone(UTC)
    return f"{utc.year:04d}-{utc.month:02d}-{utc.day:02d}T{utc.hour:02d}:{utc.minute:02d}:{utc.second:02d}Z"


class RevisionRaced(Exception):
    """Another request changed the article between our read and our conditional write."""


def article_id_for(partner_id: str, uri: str) -> str:
    """The article id is derived from (partner, uri), so concurrent identical POSTs meet on one item."""
    digest = hashlib.sha256(f"{partner_id}\n{uri}".encode()).digest()
    return "a" + base64.b32encode(digest[:15]).decode("ascii").lower()


_ARTICLE_ID = re.compile(r"a[a-z2-7]{24}")


def is_article_id(candidate: str) -> bool:
    """Whether ``candidate`` has the shape :func:`article_id_for` gives: anything else names no article."""
    return _ARTICLE_ID.fullmatch(candidate) is not None


def archive_key_for(partner_id: str, article_id: str, revision: int, raw_digest: str) -> str:
    """Raw bytes of one revision, keyed by the SHA-256 of those very bytes: racing writers, and a
    retry that serializes the same document differently, each keep their own object."""
    return f"raw/{partner_id}/{article_id}/{revision:08d}-{raw_digest[:16]}.json"


def normalized_key_for(partner_id: str, article_id: str, revision: int, normalized_digest: str) -> str:
    """The normalized article of one revision, beside its raw bytes.

    Keyed by the digest of the normalized JSON itself, so that re-normalizing after a profile
    change (``newsdesk reprocess``) writes a new object instead of changing one a record points at.
    """
    return f"normalized/{partner_id}/{article_id}/{revision:08d}-{normalized_digest[:16]}.json"


def holds_normalized(key: str, normalized_digest: str) -> bool:
    """Whether the normalized object at ``key`` holds the bytes of this digest (its name says so).

    A retraction is a new revision that keeps naming the object of the revision it took down."""
    return key.endswith(f"-{normalized_digest[:16]}.json")


def status_for(content: ArticleContent, now: datetime) -> ArticleStatus:
    """Where a new revision stands: what the partner withheld or cancelled, or what has expired (or
    will have expired before its embargo ends), is never published."""
    if content.pubstatus is PubStatus.WITHHELD:
        return ArticleStatus.WITHHELD
    if retraction_reason_for(content, now) is not None:
        return ArticleStatus.RETRACTED
    if content.embargoed is not None and content.embargoed > now:
        return ArticleStatus.EMBARGOED
    return ArticleStatus.PUBLISHED


def retraction_reason_for(content: ArticleContent, now: datetime) -> RetractionReason | None:
    """Why a new revision is retracted from the start, if it is."""
    if content.pubstatus is PubStatus.CANCELED:
        return RetractionReason.CANCELED
    if content.pubstatus is PubStatus.WITHHELD or content.expires is None:
        return None
    shown_from = max(now, content.embargoed) if content.embargoed is not None else now
    return RetractionReason.EXPIRED if content.expires <= shown_from else None


def is_due_to_expire(record: ArticleRecord, now: datetime) -> bool:
    """Whether the expiry timer takes the article down at ``now``: shown or waiting for its embargo,
    and past its ``expires`` time."""
    return (
        record.status in (ArticleStatus.PUBLISHED, ArticleStatus.EMBARGOED)
        and record.expires_at is not None
        and record.expires_at <= now
    )


def expired_record(record: ArticleRecord, now: datetime) -> ArticleRecord:
    """The retraction the expiry timer writes: a new revision, as a partner's DELETE is, so that it is
    newer than every state of the article before it."""
    return replace(
        record,
        revision=record.revision + 1,
        status=ArticleStatus.RETRACTED,
        retraction_reason=RetractionReason.EXPIRED,
        updated_at=now,
        received_at=now,
    )


@dataclass(frozen=True, slots=True, kw_only=True)
class ArticleRecord:
    """The current state of an article as kept in DynamoDB (item PK=ARTICLE#{id}, SK=CURRENT).

    ``archive_key`` (the exact bytes received) and ``normalized_key`` (the normalized article, the
    form every reader uses) always name S3 objects that were written before this record was.
    """

    article_id: str
    partner_id: str
    uri: str
    revision: int
    status: ArticleStatus
    content_hash: str
    archive_key: str
    version: str | None = None
    versioncreated: datetime | None = None
    embargoed_until: datetime | None = None
    # ninjs expires: the expiry timer retracts the article at this time (ExpiryIndex).
    expires_at: datetime | None = None
    # Set on a retracted article: why it is down (the partner cancelled or deleted it, or it expired).
    retraction_reason: RetractionReason | None = None
    # An operator's takedown (``newsdesk takedown ID --reason``): the reason in words, shown on the tombstone.
    retraction_note: str | None = None
    headline: str
    language: str
    published_at: datetime
    updated_at: datetime
    received_at: datetime
    normalized_key: str = ""
    # Teaser fields, kept on the record so that lists render without reading any article body.
    lead: str = ""
    image_url: str = ""
    section: str = ""
    outlet: str = ""
    warnings: list[str] = field(default_factory=list)
    # Written by the media function (newsdesk.dal.media), never by ingest: the site-root path of the
    # lead picture's default rendition once it is ready (the teaser's image_url), and how many
    # pictures of the article have settled (part of the order of its file, publish.media.file_order).
    # A new revision starts without them until the media function has looked at it.
    image_path: str = ""
    media_settled: int = 0


_RECORD_TIMES = ("versioncreated", "embargoed_until", "expires_at", "published_at", "updated_at", "received_at")


def record_to_json(record: ArticleRecord) -> dict[str, Any]:
    """The record as JSON values (times in :func:`utc_text`'s spelling, enums as their values)."""
    # Field by field rather than dataclasses.asdict, which deep-copies every value: this runs for
    # every write, and asdict alone cost as much as validating the document.
    values = {name: getattr(record, name) for name in _RECORD_FIELDS}
    values["warnings"] = list(record.warnings)
    values["status"] = record.status.value
    values["retraction_reason"] = record.retraction_reason.value if record.retraction_reason else None
    for name in _RECORD_TIMES:
        moment = getattr(record, name)
        values[name] = utc_text(moment) if moment is not None else None
    return values


def record_from_json(values: Mapping[str, Any]) -> ArticleRecord:
    """The inverse of :func:`record_to_json`; keys that are not record fields (table keys) are ignored."""
    known = {name: values[name] for name in _RECORD_FIELDS if name in values and values[name] is not None}
    known["status"] = ArticleStatus(known["status"])
    if "retraction_reason" in known:
        known["retraction_reason"] = RetractionReason(known["retraction_reason"])
    known["revision"] = int(known["revision"])
    if "media_settled" in known:
        known["media_settled"] = int(known["media_settled"])
    for name in _RECORD_TIMES:
        if name in known:
            known[name] = parse_utc(str(known[name]))
    known["warnings"] = list(known.get("warnings") or [])
    return ArticleRecord(**known)


def parse_utc(text: str) -> datetime:
    moment = datetime.fromisoformat(text.replace("Z", "+00:00"))
    return moment if moment.tzinfo else moment.replace(tzinfo=UTC)


_RECORD_FIELDS = tuple(field.name for field in fields(ArticleRecord))
