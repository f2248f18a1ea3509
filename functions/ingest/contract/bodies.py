"""Request and response bodies of the partner API, as the handlers (ingest.app) really send and read them.

Response models forbid fields they do not list, so that a field the code adds without the contract
fails the tests that check responses against the document.
"""

from __future__ import annotations

from datetime import datetime
from typing import Annotated, Any, Literal

from pydantic import BaseModel, ConfigDict, Field, RootModel

from newsdesk.models import ArticleStatus, PubStatus

# Mirrors of newsdesk.events and newsdesk.engagement (a test checks that they agree with the code that
# validates events).
MAX_EVENTS_PER_BATCH = 50
ARTICLE_ID_PATTERN = r"^[a-z0-9][a-z0-9-]{0,79}$"
IgnoredReason = Literal["crawler", "duplicate", "malformed", "not_published", "rate_limited", "unknown_article"]


class Body(BaseModel):
    """A response body: no field beyond those listed; every field without a default is always sent."""

    model_config = ConfigDict(extra="forbid")


# --- articles ----------------------------------------------------------------------------------


class ArticleAccepted(Body):
    """What POST and PUT answer: the article's stored revision."""

    id: str = Field(description="Newsdesk's id of the article, derived from your partner id and the uri.")
    uri: str
    revision: int = Field(ge=1, description="Also the ETag.")
    status: ArticleStatus
    replayed: bool = Field(description="True when this content was already stored: nothing was written.")
    version: str | None
    section: str
    language: str
    headline: str
    updated_at: datetime
    warnings: list[str] = Field(description="Unknown fields kept in the archive, and what normalizing changed.")


class LeadImage(Body):
    url: str
    caption: str
    credit: str
    width: int | None
    height: int | None
    mimetype: str


class Rights(Body):
    holder: str
    notice: str
    usage_terms: str
    info_url: str


class Mention(Body):
    name: str
    uri: str


class AltId(Body):
    role: str
    value: str


class Mentions(Body):
    companies: list[Mention]
    people: list[Mention]
    places: list[Mention]
    projects: list[Mention]
    subjects: list[Mention]


class Article(Body):
    """The article as Newsdesk normalized it (`newsdesk.models.ArticleContent`): plain Unicode NFC text,
    sanitized `body_html`."""

    uri: str
    headline: str
    subheadline: str
    lead: str
    body_html: str
    byline: str
    language: str
    pubstatus: PubStatus
    version: str | None
    versioncreated: datetime | None
    firstcreated: datetime | None
    embargoed: datetime | None
    # Not in articles stored before Newsdesk read expires.
    expires: datetime | None = None
    sources: list[str]
    rights: Rights
    lead_image: LeadImage | None
    mentions: Mentions
    section_hints: list[str]
    # The agency fields (issue 9); not in articles stored before Newsdesk read them.
    located: str = ""
    events: list[Mention] = Field(default_factory=list)
    genres: list[Mention] = Field(default_factory=list)
    altids: list[AltId] = Field(default_factory=list)
    source_url: str = Field(default="", description="The first http(s) link of infosources, or empty.")
    ednote: str = Field(default="", description="The editorial note: for your receiving newsroom, never published.")


class ArticleView(Body):
    """What GET answers: the stored record of your article and its normalized content."""

    id: str
    uri: str
    revision: int = Field(ge=1)
    status: ArticleStatus
    version: str | None
    versioncreated: datetime | None
    section: str
    language: str
    published_at: datetime
    updated_at: datetime
    embargoed_until: datetime | None
    expires_at: datetime | None = Field(description="ninjs expires: the story is retracted at this time.")
    retraction_reason: Literal["canceled", "deleted", "expired", "operator"] | None = Field(
        description="Why a retracted article is down: pubstatus canceled, DELETE, expires passed, or a takedown."
    )
    warnings: list[str]
    article: Article


# --- engagement events -------------------------------------------------------------------------


class Event(BaseModel):
    # Unknown fields are ignored, so that the site can send fields before Newsdesk reads them.
    model_config = ConfigDict(extra="allow")

    article_id: str = Field(pattern=ARTICLE_ID_PATTERN)


class ViewEvent(Event):
    """A reader's browser showed an article; `visitor` is an opaque id the site keeps per reader."""

    type: Literal["view"]
    visitor: str = Field(min_length=1, max_length=256)


class CommentsEvent(Event):
    """The current, absolute comment count of an article (needs the site's key)."""

    type: Literal["comments"]
    count: int = Field(ge=0, le=1_000_000_000)


AnyEvent = Annotated[ViewEvent | CommentsEvent, Field(discriminator="type")]
EventList = Annotated[list[AnyEvent], Field(max_length=MAX_EVENTS_PER_BATCH)]


class EventsEnvelope(BaseModel):
    events: EventList


class EventBatch(RootModel[EventsEnvelope | EventList]):
    """`{"events": [...]}` or a bare array, of at most 50 events. Only the envelope can fail the request
    (422); an event that is not valid is ignored and counted as `malformed`."""


# What the request body may hold: EventBatch's events, or anything else in their place, which is no
# error (the answer counts it as `malformed`). As the request schema, this says which requests are
# refused; EventBatch says which events count.
IgnoredItem = Annotated[Any, Field(description="Not a valid event: ignored, counted as `malformed`.")]
RequestEventList = Annotated[list[AnyEvent | IgnoredItem], Field(max_length=MAX_EVENTS_PER_BATCH)]


class EventsRequestEnvelope(BaseModel):
    events: RequestEventList


class EventsRequest(RootModel[EventsRequestEnvelope | RequestEventList]):
    """What POST /v1/events takes: `{"events": [...]}` or a bare array, of at most 50 items. Only the envelope
    can fail the request (422); an item that is no valid event (`EventBatch`) is ignored and counted as
    `malformed`."""


class EventsAccepted(Body):
    """How many events counted, and why the others did not."""

    accepted: int = Field(ge=0)
    ignored: int = Field(ge=0)
    ignored_reasons: dict[IgnoredReason, int]


# --- problems ----------------------------------------------------------------------------------


class FieldError(Body):
    pointer: str = Field(description="JSON pointer into the request body; empty for the whole body.")
    message: str


class Problem(Body):
    """RFC 9457 problem details (application/problem+json); docs/api.md lists the `type`s."""

    type: str = Field(json_schema_extra={"format": "uri"})
    title: str
    status: int
    detail: str
    errors: list[FieldError] = Field(default_factory=list, description="Sent for validation failures only.")


class GatewayMessage(Body):
    """API Gateway's own answer, before or instead of Newsdesk's (not a problem document)."""

    message: str


RESPONSE_MODELS: tuple[type[BaseModel], ...] = (ArticleAccepted, ArticleView, EventsAccepted, Problem, GatewayMessage)
REQUEST_MODELS: tuple[type[BaseModel], ...] = (EventBatch, EventsRequest)
# GET /v1/openapi.json answers the document itself; a few lines say enough about it.
OPENAPI_DOCUMENT_SCHEMA: dict[str, Any] = {
    "description": "This document.",
    "type": "object",
    "required": ["openapi", "info", "paths", "components"],
    "properties": {"openapi": {"const": "3.1.0"}},
}
