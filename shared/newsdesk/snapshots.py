"""The public JSON snapshots the website reads (under ``v1/`` in the snapshot bucket).

Every file is rendered from one of the models below, and the JSON Schemas published beside the
files (``v1/schemas/{kind}.json``) are generated from the same models, so the contract cannot
drift from what is written. Every snapshot carries ``schema_version`` and ``kind``: an article
path holds either an ``article`` or a ``tombstone``.

Text rules for the frontend: ``body_html`` is sanitized HTML (allowlisted tags, http/https/mailto
links); every other string is plain text (no markup; insert it as text, never as HTML); URL fields
hold absolute http(s) URLs or ``""``. Wording such as "Права на данный материал принадлежат …"
or "Источник: …" is the frontend's; snapshots carry the structured fields.

Determinism: :func:`render` gives the same bytes for the same state, and no field holds a
wall-clock time. ``generated_at`` is derived from the articles themselves (see
:func:`changed_at`), so a rebuild from the table reproduces every byte.
"""

from __future__ import annotations

import copy
import hashlib
import json
import re
from datetime import datetime
from functools import cache
from typing import Annotated, Any, Literal

from pydantic import BaseModel, ConfigDict, Field, PlainSerializer, WithJsonSchema

from newsdesk.articles import ArticleRecord, utc_text
from newsdesk.models import ArticleContent, ArticleStatus, LeadImage, Mention, Rights
from newsdesk.sanitize import plain_text
from newsdesk.sections import section_map

SCHEMA_VERSION = "v1"
PREFIX = "v1/"
LATEST_PATH = "v1/latest.json"
MANIFEST_PATH = "v1/manifest.json"
TRENDING_PATH = "v1/trending.json"
COUNTERS_PATH = "v1/counters.json"
CONTENT_TYPE = "application/json; charset=utf-8"

# What a frontend may cache, per kind of file. Articles change rarely once out; lists change with
# every new story; the manifest is the entry point and must always be revalidated; schemas change
# only with a new deploy.
ARTICLE_CACHE_CONTROL = "public, max-age=300, stale-while-revalidate=600"
LIST_CACHE_CONTROL = "public, max-age=60, stale-while-revalidate=60"
MANIFEST_CACHE_CONTROL = "no-cache"
SCHEMA_CACHE_CONTROL = "public, max-age=86400"

# Path segments come from article ids, partner ids and section slugs; anything else is refused
# rather than written to an unexpected key.
_SEGMENT = re.compile(r"[a-z0-9][a-z0-9-]{0,79}")


# One spelling for every time ("2026-11-25T08:00:00Z"), whatever offset the source used.
UtcTime = Annotated[
    datetime,
    PlainSerializer(utc_text, return_type=str, when_used="json"),
    WithJsonSchema({"type": "string", "format": "date-time"}, mode="serialization"),
]


class SnapshotModel(BaseModel):
    # Every field is always written, so the published schema lists every field as required.
    model_config = ConfigDict(frozen=True, extra="forbid", json_schema_serialization_defaults_required=True)


# --- Parts ---------------------------------------------------------------------------------------


class SectionRef(SnapshotModel):
    slug: str
    title: str


class OutletRef(SnapshotModel):
    """The partner outlet that supplied the article (``id`` names its list: outlets/{id}.json)."""

    id: str
    name: str


class RightsSnapshot(SnapshotModel):
    """Structured rights; the frontend words them ("Права на данный материал принадлежат {holder}")."""

    holder: str
    notice: str
    usage_terms: str
    info_url: str = Field(description="Absolute http(s) URL or empty")


class ImageSnapshot(SnapshotModel):
    url: str = Field(description="Absolute http(s) URL")
    caption: str
    credit: str = Field(description='Who to credit (the frontend adds "Источник: ")')
    width: int | None
    height: int | None
    mimetype: str


class MentionSnapshot(SnapshotModel):
    name: str
    uri: str


class MentionsSnapshot(SnapshotModel):
    """Mentions grouped as the site shows them."""

    companies: list[MentionSnapshot]
    people: list[MentionSnapshot]
    places: list[MentionSnapshot]
    projects: list[MentionSnapshot]


# --- Files ---------------------------------------------------------------------------------------


class ArticleSnapshot(SnapshotModel):
    """``v1/articles/{id}.json`` of a published article: everything its page shows."""

    schema_version: Literal["v1"] = "v1"
    kind: Literal["article"] = "article"
    id: str
    revision: int
    status: Literal["published"] = "published"
    headline: str
    subheadline: str
    lead: str
    body_html: str = Field(description="Sanitized HTML")
    byline: str
    language: str
    section: SectionRef
    outlet: OutletRef
    sources: list[str]
    rights: RightsSnapshot
    lead_image: ImageSnapshot | None
    mentions: MentionsSnapshot
    published_at: UtcTime
    updated_at: UtcTime


class TombstoneSnapshot(SnapshotModel):
    """``v1/articles/{id}.json`` of an article that was published and no longer is."""

    schema_version: Literal["v1"] = "v1"
    kind: Literal["tombstone"] = "tombstone"
    id: str
    status: Literal["retracted", "withheld", "embargoed"]
    revision: int
    updated_at: UtcTime


class ArticleSummary(SnapshotModel):
    """One entry of a list: what a teaser shows; the page itself is at ``v1/articles/{id}.json``."""

    id: str
    revision: int
    headline: str
    lead: str = Field(description="Plain-text teaser; may be empty")
    image_url: str | None = Field(description="The lead image, absolute http(s) URL")
    section: str
    outlet: OutletRef
    language: str
    published_at: UtcTime
    updated_at: UtcTime


class ListSnapshot(SnapshotModel):
    """``v1/latest.json``, ``v1/sections/{slug}.json``, ``v1/outlets/{id}.json``: newest first."""

    schema_version: Literal["v1"] = "v1"
    kind: Literal["list"] = "list"
    name: str = Field(description='"latest", "sections/{slug}" or "outlets/{id}"')
    section: SectionRef | None
    outlet: OutletRef | None
    generated_at: UtcTime | None = Field(description="Newest change among the listed articles")
    items: list[ArticleSummary]


class ManifestEntry(SnapshotModel):
    path: str
    sha256: str
    generated_at: UtcTime | None


class SchemaEntry(SnapshotModel):
    path: str
    sha256: str


class ManifestSnapshot(SnapshotModel):
    """``v1/manifest.json``: every list and schema file, with its content hash."""

    schema_version: Literal["v1"] = "v1"
    kind: Literal["manifest"] = "manifest"
    generated_at: UtcTime | None = Field(description="Newest generated_at among the entries")
    entries: list[ManifestEntry]
    schemas: list[SchemaEntry]


class TrendingEntrySnapshot(SnapshotModel):
    """One line of the sidebar: time, headline, count."""

    id: str
    headline: str
    published_at: UtcTime
    section: str
    count: int = Field(description="Views (most_read) or comments (most_discussed)")
    path: str = Field(description="The article file, e.g. /v1/articles/{id}.json")


class TrendingListsSnapshot(SnapshotModel):
    most_read: list[TrendingEntrySnapshot]
    most_discussed: list[TrendingEntrySnapshot]


class TrendingSnapshot(SnapshotModel):
    """``v1/trending.json``: what is most read and most discussed now, overall and per section."""

    schema_version: Literal["v1"] = "v1"
    kind: Literal["trending"] = "trending"
    generated_at: UtcTime = Field(description="When the rankings were computed")
    window_hours: int
    half_life_minutes: float
    min_count: int
    most_read: list[TrendingEntrySnapshot]
    most_discussed: list[TrendingEntrySnapshot]
    sections: dict[str, TrendingListsSnapshot]


class ArticleCountsSnapshot(SnapshotModel):
    views: int
    comments: int


class CountersSnapshot(SnapshotModel):
    """``v1/counters.json``: views (in the window) and comments of the articles active in the window,
    so article pages show counters without their files being rewritten every cycle."""

    schema_version: Literal["v1"] = "v1"
    kind: Literal["counters"] = "counters"
    generated_at: UtcTime
    window_hours: int
    truncated: bool = Field(description="True when only the most active articles are listed")
    articles: dict[str, ArticleCountsSnapshot]


SNAPSHOT_KINDS: dict[str, type[SnapshotModel]] = {
    "article": ArticleSnapshot,
    "tombstone": TombstoneSnapshot,
    "list": ListSnapshot,
    "manifest": ManifestSnapshot,
    "trending": TrendingSnapshot,
    "counters": CountersSnapshot,
}


def trending_snapshots(payloads: dict[str, dict[str, Any]]) -> dict[str, SnapshotModel]:
    """The trending and counters files as models, from ``trending.trending_snapshot_payloads``."""
    return {
        TRENDING_PATH: TrendingSnapshot.model_validate(payloads[TRENDING_PATH]),
        COUNTERS_PATH: CountersSnapshot.model_validate(payloads[COUNTERS_PATH]),
    }


# --- Rendering -----------------------------------------------------------------------------------


def render(model: BaseModel) -> bytes:
    """The file's bytes: compact UTF-8 JSON, non-ASCII as is, field order as declared, newline."""
    text = json.dumps(model.model_dump(mode="json"), ensure_ascii=False, separators=(",", ":"))
    return (text + "\n").encode("utf-8")


def render_json(value: dict[str, Any]) -> bytes:
    """A plain JSON document (the schemas) in the same byte form as :func:`render`."""
    return (json.dumps(value, ensure_ascii=False, separators=(",", ":")) + "\n").encode("utf-8")


def sha256_of(body: bytes) -> str:
    return hashlib.sha256(body).hexdigest()


def json_schemas() -> dict[str, dict[str, Any]]:
    """The JSON Schema (Draft 2020-12) of every kind of snapshot, generated from the models."""
    return copy.deepcopy(_json_schemas())


@cache
def _json_schemas() -> dict[str, dict[str, Any]]:
    schemas: dict[str, dict[str, Any]] = {}
    for kind, model in SNAPSHOT_KINDS.items():
        schema = model.model_json_schema(mode="serialization")
        schemas[kind] = {
            "$schema": "https://json-schema.org/draft/2020-12/schema",
            "$id": f"{kind}.json",
            **schema,
        }
    return schemas


def schema_path(kind: str) -> str:
    return f"{PREFIX}schemas/{kind}.json"


@cache
def schema_fingerprint() -> str:
    """Changes whenever a snapshot model changes: part of the stamp that lets unchanged articles skip."""
    return sha256_of(render_json(_json_schemas()))


# --- Paths and headers ---------------------------------------------------------------------------


def _segment(value: str) -> str:
    if not _SEGMENT.fullmatch(value):
        raise ValueError(f"not a safe snapshot path segment: {value!r}")
    return value


def article_path(article_id: str) -> str:
    return f"{PREFIX}articles/{_segment(article_id)}.json"


def section_path(slug: str) -> str:
    return f"{PREFIX}sections/{_segment(slug)}.json"


def outlet_path(partner_id: str) -> str:
    return f"{PREFIX}outlets/{_segment(partner_id)}.json"


def is_article_path(path: str) -> bool:
    return path.startswith(f"{PREFIX}articles/")


def cache_control_for(path: str) -> str:
    """The Cache-Control header of a snapshot file, by its kind."""
    if path == MANIFEST_PATH:
        return MANIFEST_CACHE_CONTROL
    if path.startswith(f"{PREFIX}schemas/"):
        return SCHEMA_CACHE_CONTROL
    if is_article_path(path):
        return ARTICLE_CACHE_CONTROL
    return LIST_CACHE_CONTROL


# --- From the article to its snapshots -----------------------------------------------------------


def changed_at(record: ArticleRecord) -> datetime:
    """When the article last changed as far as the website is concerned, derived from its state.

    ``received_at`` moves with every revision (and retraction); ``published_at`` moves when the
    embargo timer releases the article.
    """
    return max(record.received_at, record.published_at)


def section_ref(slug: str) -> SectionRef:
    return SectionRef(slug=slug, title=section_map().sections.get(slug, slug))


def outlet_ref(record: ArticleRecord) -> OutletRef:
    return OutletRef(id=record.partner_id, name=plain_text(record.outlet))


def _mentions(mentions: list[Mention]) -> list[MentionSnapshot]:
    return [MentionSnapshot(name=mention.name, uri=mention.uri) for mention in mentions]


def _image(image: LeadImage | None) -> ImageSnapshot | None:
    if image is None:
        return None
    return ImageSnapshot(
        url=image.url,
        caption=image.caption,
        credit=image.credit,
        width=image.width,
        height=image.height,
        mimetype=image.mimetype,
    )


def _rights(rights: Rights) -> RightsSnapshot:
    return RightsSnapshot(
        holder=rights.holder, notice=rights.notice, usage_terms=rights.usage_terms, info_url=rights.info_url
    )


def article_snapshot(record: ArticleRecord, content: ArticleContent) -> ArticleSnapshot:
    """The page of a published article: identity and times from the record, the rest from its body."""
    return ArticleSnapshot(
        id=record.article_id,
        revision=record.revision,
        headline=content.headline,
        subheadline=content.subheadline,
        lead=content.lead,
        body_html=content.body_html,
        byline=content.byline,
        language=content.language,
        section=section_ref(record.section),
        outlet=outlet_ref(record),
        sources=list(content.sources),
        rights=_rights(content.rights),
        lead_image=_image(content.lead_image),
        mentions=MentionsSnapshot(
            companies=_mentions(content.mentions.companies),
            people=_mentions(content.mentions.people),
            places=_mentions(content.mentions.places),
            projects=_mentions(content.mentions.projects),
        ),
        published_at=record.published_at,
        updated_at=record.updated_at,
    )


_TOMBSTONE_STATUS: dict[ArticleStatus, Literal["retracted", "withheld", "embargoed"]] = {
    ArticleStatus.RETRACTED: "retracted",
    ArticleStatus.WITHHELD: "withheld",
    ArticleStatus.EMBARGOED: "embargoed",
}


def tombstone_snapshot(record: ArticleRecord) -> TombstoneSnapshot:
    """What replaces the page of an article that was published and is no longer."""
    return TombstoneSnapshot(
        id=record.article_id,
        status=_TOMBSTONE_STATUS.get(record.status, "retracted"),
        revision=record.revision,
        updated_at=changed_at(record),
    )


def article_summary(record: ArticleRecord) -> ArticleSummary:
    return ArticleSummary(
        id=record.article_id,
        revision=record.revision,
        headline=plain_text(record.headline),
        lead=plain_text(record.lead),
        image_url=record.image_url or None,
        section=record.section,
        outlet=outlet_ref(record),
        language=record.language,
        published_at=record.published_at,
        updated_at=record.updated_at,
    )
