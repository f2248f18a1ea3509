"""The snapshot models of articles, lists and the manifest (trending ones: :mod:`.trending`).

Every file is rendered from one of these models, and the JSON Schemas published beside the files
(``v1/schemas/{kind}.json``) are generated from the same models, so the contract cannot drift
from what is written. Every snapshot carries ``schema_version`` and ``kind``: an article path
holds either an ``article`` or a ``tombstone``.

Text rules for the frontend: ``body_html`` is sanitized HTML (allowlisted tags, http/https/mailto
links); every other string is plain text (no markup; insert it as text, never as HTML); URL fields
hold absolute http(s) URLs or ``""``. Wording such as "Права на данный материал принадлежат …"
or "Источник: …" is the frontend's; snapshots carry the structured fields.
"""

from __future__ import annotations

from datetime import datetime
from typing import Annotated, Literal

from pydantic import BaseModel, ConfigDict, Field, PlainSerializer, WithJsonSchema

from newsdesk.articles import utc_text

SCHEMA_VERSION = "v1"

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
