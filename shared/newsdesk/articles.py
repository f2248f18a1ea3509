"""Article identity, status and the stored record: domain rules with no AWS in them."""

from __future__ import annotations

import base64
import hashlib
from datetime import UTC, datetime

from pydantic import BaseModel

from newsdesk.models import ArticleContent, ArticleStatus, PubStatus


def utc_text(moment: datetime) -> str:
    """The one spelling of a time in keys and snapshots: UTC, whole seconds, fixed width, "Z"."""
    return moment.astimezone(UTC).strftime("%Y-%m-%dT%H:%M:%SZ")


class RevisionRaced(Exception):
    """Another request changed the article between our read and our conditional write."""


def article_id_for(partner_id: str, uri: str) -> str:
    """The article id is derived from (partner, uri), so concurrent identical POSTs meet on one item."""
    digest = hashlib.sha256(f"{partner_id}\n{uri}".encode()).digest()
    return "a" + base64.b32encode(digest[:15]).decode("ascii").lower()


def archive_key_for(partner_id: str, article_id: str, revision: int, content_hash: str) -> str:
    """Raw bytes of one revision. The content hash in the key keeps racing writers apart."""
    return f"raw/{partner_id}/{article_id}/{revision:08d}-{content_hash[:16]}.json"


def status_for(content: ArticleContent, now: datetime) -> ArticleStatus:
    if content.pubstatus is PubStatus.CANCELED:
        return ArticleStatus.RETRACTED
    if content.pubstatus is PubStatus.WITHHELD:
        return ArticleStatus.WITHHELD
    if content.embargoed is not None and content.embargoed > now:
        return ArticleStatus.EMBARGOED
    return ArticleStatus.PUBLISHED


class ArticleRecord(BaseModel):
    """The current state of an article as kept in DynamoDB (item PK=ARTICLE#{id}, SK=CURRENT).

    ``archive_key`` always names an S3 object that was written before this record was.
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
    headline: str
    # Teaser fields, kept on the record so that lists render without reading any article body.
    lead: str = ""
    image_url: str = ""
    language: str
    section: str = ""
    outlet: str = ""
    published_at: datetime
    updated_at: datetime
    received_at: datetime
    warnings: list[str] = []

    @property
    def etag(self) -> str:
        return f'"{self.revision}"'
