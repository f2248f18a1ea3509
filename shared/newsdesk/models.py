"""The article as Newsdesk understands it, after a ninjs document has been validated and normalized.

These models are the contract between ingest (which produces them), the store (which keeps the
summary fields) and publish (which renders snapshots from them). Text fields are plain Unicode NFC
text; ``body_html`` is sanitized HTML.
"""

from __future__ import annotations

from datetime import datetime
from enum import StrEnum

from pydantic import BaseModel, ConfigDict, Field


class Frozen(BaseModel):
    model_config = ConfigDict(frozen=True, extra="forbid")


class PubStatus(StrEnum):
    """ninjs ``pubstatus`` values Newsdesk acts on."""

    USABLE = "usable"
    WITHHELD = "withheld"
    CANCELED = "canceled"


class ArticleStatus(StrEnum):
    """Where an article stands for the website."""

    PUBLISHED = "published"
    WITHHELD = "withheld"
    EMBARGOED = "embargoed"
    RETRACTED = "retracted"


class LeadImage(Frozen):
    url: str
    caption: str = ""
    credit: str = ""
    width: int | None = None
    height: int | None = None
    mimetype: str = ""


class Rights(Frozen):
    holder: str = ""
    notice: str = ""
    usage_terms: str = ""
    info_url: str = ""


class Mention(Frozen):
    name: str
    uri: str = ""


class Mentions(Frozen):
    """What the site lists under an article: companies, people, places, projects, topics."""

    companies: list[Mention] = Field(default_factory=list)
    people: list[Mention] = Field(default_factory=list)
    places: list[Mention] = Field(default_factory=list)
    projects: list[Mention] = Field(default_factory=list)
    subjects: list[Mention] = Field(default_factory=list)


class ArticleContent(Frozen):
    """A normalized ninjs document: everything an article page shows, nothing partner-specific."""

    uri: str
    headline: str
    subheadline: str = ""
    lead: str = ""
    body_html: str
    byline: str = ""
    language: str
    pubstatus: PubStatus = PubStatus.USABLE
    version: str | None = None
    versioncreated: datetime | None = None
    firstcreated: datetime | None = None
    embargoed: datetime | None = None
    sources: list[str] = Field(default_factory=list)
    rights: Rights = Field(default_factory=Rights)
    lead_image: LeadImage | None = None
    mentions: Mentions = Field(default_factory=Mentions)
    # Codes used to pick the site section (ninjs subjects and genres, as "scheme:code" or names).
    section_hints: list[str] = Field(default_factory=list)


class Validated(Frozen):
    """The outcome of validating a ninjs document: its normalized content plus warnings."""

    content: ArticleContent
    warnings: list[str] = Field(default_factory=list)
    canonical_hash: str
