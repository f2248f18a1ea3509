"""The article as Newsdesk understands it, after a ninjs document has been validated and normalized.

These are the one model of an article from ingest to snapshot: ingest produces an
:class:`ArticleContent` once, stores it as JSON (:func:`content_to_json`) beside the raw bytes, and
``GET /v1/articles/{id}`` and publish read that stored form back (:func:`content_from_json`) instead
of validating the raw document again. Text fields are plain Unicode NFC text; ``body_html`` is
sanitized HTML.

Plain frozen dataclasses, not pydantic models: they sit on the ingest request path, where importing
pydantic alone costs more at cold start than the rest of the handler (bench/results/cold_start.md).
"""

from __future__ import annotations

import json
from dataclasses import dataclass, field
from datetime import datetime
from enum import StrEnum
from typing import Any


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


class RetractionReason(StrEnum):
    """Why a retracted article is down (its tombstone says so)."""

    CANCELED = "canceled"  # the partner sent pubstatus "canceled"
    DELETED = "deleted"  # the partner sent DELETE
    EXPIRED = "expired"  # its ninjs ``expires`` time passed (its rights ended)
    OPERATOR = "operator"  # an operator took it down (``newsdesk takedown``), for the reason in its note


@dataclass(frozen=True, slots=True)
class LeadImage:
    url: str
    caption: str = ""
    credit: str = ""
    width: int | None = None
    height: int | None = None
    mimetype: str = ""


@dataclass(frozen=True, slots=True)
class Rights:
    holder: str = ""
    notice: str = ""
    usage_terms: str = ""
    info_url: str = ""


@dataclass(frozen=True, slots=True)
class Mention:
    name: str
    uri: str = ""


@dataclass(frozen=True, slots=True)
class AltId:
    """Another identifier of the story (ninjs ``altids``): its role and value, as plain text."""

    role: str
    value: str


@dataclass(frozen=True, slots=True)
class Mentions:
    """What the site lists under an article: companies, people, places, projects, topics."""

    companies: list[Mention] = field(default_factory=list)
    people: list[Mention] = field(default_factory=list)
    places: list[Mention] = field(default_factory=list)
    projects: list[Mention] = field(default_factory=list)
    subjects: list[Mention] = field(default_factory=list)


@dataclass(frozen=True, slots=True)
class ArticleContent:
    """A normalized ninjs document: everything an article page shows, nothing partner-specific."""

    uri: str
    headline: str
    body_html: str
    language: str
    subheadline: str = ""
    lead: str = ""
    byline: str = ""
    pubstatus: PubStatus = PubStatus.USABLE
    version: str | None = None
    versioncreated: datetime | None = None
    firstcreated: datetime | None = None
    embargoed: datetime | None = None
    # After this time the story must not be shown (ninjs ``expires``): taken down as a retraction.
    expires: datetime | None = None
    sources: list[str] = field(default_factory=list)
    rights: Rights = field(default_factory=Rights)
    lead_image: LeadImage | None = None
    mentions: Mentions = field(default_factory=Mentions)
    # Codes used to pick the site section (ninjs subjects and genres, as "scheme:code" or names).
    section_hints: list[str] = field(default_factory=list)
    # Agency fields (issue 9, "no field lost"): the dateline place (ninjs ``located``), the events the
    # story is about, the journalistic genres, other ids of the story, the source's web address (an
    # http(s) link from ``infosources``) and the editorial note, which is for the receiving newsroom
    # and is never published (IPTC: "not intended to be published").
    located: str = ""
    events: list[Mention] = field(default_factory=list)
    genres: list[Mention] = field(default_factory=list)
    altids: list[AltId] = field(default_factory=list)
    source_url: str = ""
    ednote: str = ""


@dataclass(frozen=True, slots=True)
class Validated:
    """The outcome of validating a ninjs document: its normalized content plus warnings."""

    content: ArticleContent
    canonical_hash: str
    warnings: list[str] = field(default_factory=list)


# --- The stored form ---------------------------------------------------------------------------

_TIMES = ("versioncreated", "firstcreated", "embargoed", "expires")


def content_to_json(content: ArticleContent) -> dict[str, Any]:
    """The JSON object stored beside the raw bytes (times as ISO 8601 text, enums as their values)."""
    # By hand rather than dataclasses.asdict, which deep-copies every value on every write.
    values = {name: getattr(content, name) for name in _CONTENT_FIELDS}
    values["sources"] = list(content.sources)
    values["section_hints"] = list(content.section_hints)
    for name in ("events", "genres", "altids"):
        values[name] = [_flat(entry) for entry in getattr(content, name)]
    values["rights"] = _flat(content.rights)
    values["lead_image"] = _flat(content.lead_image) if content.lead_image else None
    mentions = content.mentions
    values["mentions"] = {kind: [_flat(mention) for mention in getattr(mentions, kind)] for kind in _MENTION_KINDS}
    values["pubstatus"] = content.pubstatus.value
    for name in _TIMES:
        moment = getattr(content, name)
        # Normalized times are UTC; written with "Z", as the API has always spelled them.
        values[name] = moment.isoformat().replace("+00:00", "Z") if moment is not None else None
    return values


def _flat(value: Rights | LeadImage | Mention | AltId) -> dict[str, Any]:
    return {name: getattr(value, name) for name in value.__dataclass_fields__}


_CONTENT_FIELDS = tuple(ArticleContent.__dataclass_fields__)
_MENTION_KINDS = tuple(Mentions.__dataclass_fields__)


def content_bytes(content: ArticleContent) -> bytes:
    """The stored form: canonical JSON (sorted keys, UTF-8 as is), so the same article is the same bytes."""
    return json.dumps(content_to_json(content), ensure_ascii=False, sort_keys=True, separators=(",", ":")).encode()


def content_from_json(values: dict[str, Any]) -> ArticleContent:
    """Read back what :func:`content_to_json` wrote (the inverse, for stored articles only)."""
    mentions = values.get("mentions") or {}
    image = values.get("lead_image")
    return ArticleContent(
        uri=values["uri"],
        headline=values["headline"],
        body_html=values["body_html"],
        language=values["language"],
        subheadline=values.get("subheadline", ""),
        lead=values.get("lead", ""),
        byline=values.get("byline", ""),
        pubstatus=PubStatus(values.get("pubstatus", PubStatus.USABLE.value)),
        version=values.get("version"),
        versioncreated=_time(values.get("versioncreated")),
        firstcreated=_time(values.get("firstcreated")),
        embargoed=_time(values.get("embargoed")),
        expires=_time(values.get("expires")),
        sources=list(values.get("sources", [])),
        rights=Rights(**values.get("rights", {})),
        lead_image=LeadImage(**image) if image else None,
        mentions=Mentions(**{kind: [Mention(**mention) for mention in entries] for kind, entries in mentions.items()}),
        section_hints=list(values.get("section_hints", [])),
        # Articles stored before Newsdesk read the agency fields have none of them.
        located=values.get("located", ""),
        events=[Mention(**entry) for entry in values.get("events", [])],
        genres=[Mention(**entry) for entry in values.get("genres", [])],
        altids=[AltId(**entry) for entry in values.get("altids", [])],
        source_url=values.get("source_url", ""),
        ednote=values.get("ednote", ""),
    )


def _time(value: str | None) -> datetime | None:
    return datetime.fromisoformat(value) if value else None
