"""The snapshot models of articles, lists and the manifest (trending ones: :mod:`.trending`).

Every file is rendered from one of these models, and the JSON Schemas published beside the files
(``v1/schemas/{kind}.json``) are generated from the same models, so the contract cannot drift
from what is written. Every snapshot carries ``schema_version`` and ``kind``: an article path
holds either an ``article`` or a ``tombstone``.

Text rules for the frontend: ``body_html`` is sanitized HTML (allowlisted tags, http/https/mailto
links); every other string is plain text (no markup; insert it as text, never as HTML); URL fields
hold absolute http(s) URLs or ``""``, except our pictures' (site-root paths ``/v1/media/...``).
Wording such as "Права на данный материал принадлежат …" or "Источник: …" is the frontend's;
snapshots carry the structured fields.

The models are plain frozen dataclasses: publish and trending build them on every cold start, and
importing pydantic would cost more than the rest of those functions' own code. pydantic reads them
only to generate the committed schemas (:mod:`newsdesk.snapshots.schemas`, at development time):
a field's ``description`` is dataclass field metadata, which pydantic takes as its ``Field``
argument, and :class:`JsonSchema` marks a type whose schema is spelled out here.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from datetime import datetime
from typing import Annotated, Any, ClassVar, Literal

SCHEMA_VERSION = "v1"


class JsonSchema:
    """``Annotated`` metadata: the JSON Schema of a type, as published.

    pydantic finds the hook below by its name when it generates the schemas; nothing else reads it,
    so this module needs no pydantic.
    """

    def __init__(self, schema: dict[str, Any]) -> None:
        self.schema = schema

    def __get_pydantic_json_schema__(self, core_schema: Any, handler: Any) -> dict[str, Any]:
        return dict(self.schema)


# One spelling for every time ("2026-11-25T08:00:00Z", newsdesk.articles.utc_text), whatever offset
# the source used: rendered by newsdesk.snapshots.render.
UtcTime = Annotated[datetime, JsonSchema({"type": "string", "format": "date-time"})]


def described(text: str) -> dict[str, str]:
    """Field metadata that the published schema shows as the field's description."""
    return {"description": text}


class SnapshotModel:
    """Base of every snapshot model (each one a ``@dataclass(frozen=True, kw_only=True)``)."""

    # Read by pydantic when it generates the schemas: unknown fields are refused, and every field is
    # always written, so the published schema lists every field as required.
    __pydantic_config__: ClassVar[dict[str, Any]] = {
        "extra": "forbid",
        "json_schema_serialization_defaults_required": True,
    }


# --- Parts ---------------------------------------------------------------------------------------


@dataclass(frozen=True, kw_only=True)
class SectionRef(SnapshotModel):
    slug: str
    title: str


@dataclass(frozen=True, kw_only=True)
class OutletRef(SnapshotModel):
    """The partner outlet that supplied the article (``id`` names its list: outlets/{id}.json)."""

    id: str
    name: str


@dataclass(frozen=True, kw_only=True)
class RightsSnapshot(SnapshotModel):
    """Structured rights; the frontend words them ("Права на данный материал принадлежат {holder}")."""

    holder: str
    notice: str
    usage_terms: str
    info_url: str = field(metadata=described("Absolute http(s) URL or empty"))


@dataclass(frozen=True, kw_only=True)
class RenditionSnapshot(SnapshotModel):
    """One web rendition of a picture, ours (docs/media.md): one ``srcset`` candidate."""

    url: str = field(metadata=described('Site-root path of the rendition ("/v1/media/{id}/{key}-{width}.{ext}")'))
    width: int
    height: int
    type: Literal["image/jpeg", "image/webp"]


@dataclass(frozen=True, kw_only=True)
class ImageSnapshot(SnapshotModel):
    """A picture of the article. Only our copies are published: until the media function has made
    them it is ``pending`` (no URL); a picture it refused or could not fetch is ``failed``."""

    status: Literal["ready", "pending", "failed"]
    url: str = field(
        metadata=described('Site-root path of the default rendition (the 640-pixel JPEG or nearest); "" unless ready')
    )
    width: int | None = field(metadata=described("Of the original picture; null if unknown"))
    height: int | None = field(metadata=described("Of the original picture; null if unknown"))
    mimetype: str
    alt: str = field(metadata=described("Text alternative (the caption when the partner gave none)"))
    caption: str
    credit: str = field(metadata=described('Who to credit (the frontend adds "Источник: ")'))
    renditions: list[RenditionSnapshot] = field(
        metadata=described("JPEG and WebP renditions, smallest first, for srcset; [] unless ready")
    )


@dataclass(frozen=True, kw_only=True)
class MentionSnapshot(SnapshotModel):
    name: str
    uri: str = field(
        metadata=described(
            "Identifier of the concept, as text, never a link: a QCode (medtop:20000763), a URN, an "
            'absolute http(s) URI, or ""'
        )
    )


@dataclass(frozen=True, kw_only=True)
class MentionsSnapshot(SnapshotModel):
    """Mentions grouped as the site shows them."""

    companies: list[MentionSnapshot]
    people: list[MentionSnapshot]
    places: list[MentionSnapshot]
    projects: list[MentionSnapshot]
    subjects: list[MentionSnapshot] = field(metadata=described("Topics the story is classified under (ninjs subjects)"))


@dataclass(frozen=True, kw_only=True)
class AltIdSnapshot(SnapshotModel):
    """Another identifier of the story (ninjs altids), as plain text: its role and value."""

    role: str
    value: str


# --- Files ---------------------------------------------------------------------------------------


@dataclass(frozen=True, kw_only=True)
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
    body_html: str = field(metadata=described("Sanitized HTML"))
    byline: str
    language: str
    section: SectionRef
    outlet: OutletRef
    sources: list[str]
    rights: RightsSnapshot
    lead_image: ImageSnapshot | None
    images: list[ImageSnapshot] = field(
        metadata=described("The pictures of body_html, in order; a ready one is an <img> of body_html pointing at ours")
    )
    mentions: MentionsSnapshot
    # Agency fields (issue 9): plain text, "" or [] when the partner sent none.
    located: str = field(metadata=described("Where the story was filed (ninjs located, the dateline place)"))
    events: list[MentionSnapshot] = field(metadata=described("Events the story is about"))
    genres: list[MentionSnapshot] = field(metadata=described("Journalistic genres (ninjs genres)"))
    altids: list[AltIdSnapshot] = field(metadata=described("The partner's other ids of the story"))
    source_url: str = field(metadata=described("The source's web address (ninjs infosources): http(s) URL or empty"))
    published_at: UtcTime
    updated_at: UtcTime


@dataclass(frozen=True, kw_only=True)
class TombstoneSnapshot(SnapshotModel):
    """``v1/articles/{id}.json`` of an article that was published and no longer is."""

    schema_version: Literal["v1"] = "v1"
    kind: Literal["tombstone"] = "tombstone"
    id: str
    status: Literal["retracted", "withheld", "embargoed"]
    revision: int
    updated_at: UtcTime
    reason: Literal["canceled", "deleted", "expired", "operator"] | None = field(
        default=None,
        metadata=described(
            "Why a retracted article is down: the partner cancelled or deleted it, its rights expired "
            "(ninjs expires), or an operator took it down; null otherwise"
        ),
    )
    note: str | None = field(
        default=None,
        metadata=described("With reason operator: the operator's reason in words (plain text); null otherwise"),
    )


@dataclass(frozen=True, kw_only=True)
class ArticleSummary(SnapshotModel):
    """One entry of a list: what a teaser shows; the page itself is at ``v1/articles/{id}.json``."""

    id: str
    revision: int
    headline: str
    lead: str = field(metadata=described("Plain-text teaser; may be empty"))
    image_url: str | None = field(
        metadata=described('Site-root path of our copy of the lead picture ("/v1/media/..."); null until ready')
    )
    section: str
    outlet: OutletRef
    language: str
    published_at: UtcTime
    updated_at: UtcTime


@dataclass(frozen=True, kw_only=True)
class ListSnapshot(SnapshotModel):
    """``v1/latest.json``, ``v1/sections/{slug}.json``, ``v1/outlets/{id}.json`` (the head lists) and their
    day pages ``v1/latest/{YYYY-MM-DD}.json`` ...: newest first, linked by ``older``/``newer``."""

    schema_version: Literal["v1"] = "v1"
    kind: Literal["list"] = "list"
    name: str = field(
        metadata=described('"latest", "sections/{slug}" or "outlets/{id}"; a day page adds "/{YYYY-MM-DD}[.{part}]"')
    )
    section: SectionRef | None
    outlet: OutletRef | None
    generated_at: UtcTime | None = field(metadata=described("Newest change among the listed articles"))
    items: list[ArticleSummary]
    older: str | None = field(
        default=None,
        metadata=described(
            'Site-root path ("/v1/...") of the page of the stories after the last item: on a head list the '
            "day page of the next older story, on a day page the previous part or day; null at the end"
        ),
    )
    newer: str | None = field(
        default=None,
        metadata=described(
            "Site-root path of the page of newer stories (the next part or the next day's page); always "
            "null on a head list and on the newest day"
        ),
    )


@dataclass(frozen=True, kw_only=True)
class ManifestEntry(SnapshotModel):
    path: str
    sha256: str
    generated_at: UtcTime | None


@dataclass(frozen=True, kw_only=True)
class SchemaEntry(SnapshotModel):
    path: str
    sha256: str


@dataclass(frozen=True, kw_only=True)
class ManifestSnapshot(SnapshotModel):
    """``v1/manifest.json``: every list and schema file, with its content hash."""

    schema_version: Literal["v1"] = "v1"
    kind: Literal["manifest"] = "manifest"
    generated_at: UtcTime | None = field(metadata=described("Newest generated_at among the entries"))
    entries: list[ManifestEntry]
    schemas: list[SchemaEntry]
