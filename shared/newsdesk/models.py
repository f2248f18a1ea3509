"""The article as Newsdesk understands it, after a ninjs document has been validated and normalized.

These models are the contract between ingest (which produces them), the store (which keeps the
summary fields) and publish (which renders snapshots from them). Text fields are plain Unicode NFC
text; ``body_html`` is sanitized HTML.
"""

from __future__ import annotations

from datetime import datetime
from enum import StrEnum

from pydantic import BaseModel, ConfigDict, Field

# Default factories are plain functions rather than ``list`` or a model class: pydantic inspects
# each factory's signature when the model class is built, and for a builtin or a model class that
# inspection costs about a millisecond at every cold start; for a plain function it costs nothing.


def _no_strings() -> list[str]:
    return []


def _no_mentions() -> list[Mention]:
    return []


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

    companies: list[Mention] = Field(default_factory=_no_mentions)
    people: list[Mention] = Field(default_factory=_no_mentions)
    places: list[Mention] = Field(default_factory=_no_mentions)
    projects: list[Mention] = Field(default_factory=_no_mentions)
    subjects: list[Mention] = Field(default_factory=_no_mentions)


def _no_rights() -> Rights:
    return Rights()


def _no_mentions_at_all() -> Mentions:
    return Mentions()


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
    sources: list[str] = Field(default_factory=_no_strings)
    rights: Rights = Field(default_factory=_no_rights)
    lead_image: LeadImage | None = None
    mentions: Mentions = Field(default_factory=_no_mentions_at_all)
    # Codes used to pick the site section (ninjs subjects and genres, as "scheme:code" or names).
    section_hints: list[str] = Field(default_factory=_no_strings)


class Validated(Frozen):
    """The outcome of validating a ninjs document: its normalized content plus warnings."""

    content: ArticleContent
    warnings: list[str] = Field(default_factory=_no_strings)
    canonical_hash: str
