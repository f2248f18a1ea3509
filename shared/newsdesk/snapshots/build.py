"""From an article's record and normalized content to its snapshots: page, tombstone, list entry."""

from __future__ import annotations

from datetime import datetime
from typing import Literal

from newsdesk.articles import ArticleRecord
from newsdesk.models import AltId, ArticleContent, ArticleStatus, Mention, RetractionReason, Rights
from newsdesk.pictures import MediaState
from newsdesk.sections import section_map
from newsdesk.snapshots import limits
from newsdesk.snapshots.images import article_images, published_body
from newsdesk.snapshots.limits import bounded_url, clip
from newsdesk.snapshots.models import (
    AltIdSnapshot,
    ArticleSnapshot,
    ArticleSummary,
    MentionSnapshot,
    MentionsSnapshot,
    OutletRef,
    RightsSnapshot,
    SectionRef,
    TombstoneSnapshot,
)


def changed_at(record: ArticleRecord) -> datetime:
    """When the article last changed as far as the website is concerned, derived from its state.

    ``received_at`` moves with every revision (and retraction); ``published_at`` moves when the
    embargo timer releases the article. List and manifest ``generated_at`` come from here, never
    from the clock, so a rebuild from the table reproduces every byte.
    """
    return max(record.received_at, record.published_at)


def section_ref(slug: str) -> SectionRef:
    return SectionRef(slug=slug, title=section_map().sections.get(slug, slug))


def outlet_ref(record: ArticleRecord) -> OutletRef:
    return OutletRef(id=record.partner_id, name=clip(record.outlet, limits.NAME_CHARS))


def _mentions(mentions: list[Mention], count: int = limits.MENTIONS_PER_GROUP) -> list[MentionSnapshot]:
    # The first of each group, each within its limits: the file's size must not grow with the document.
    return [
        MentionSnapshot(name=clip(mention.name, limits.NAME_CHARS), uri=_identifier(mention.uri))
        for mention in mentions[:count]
    ]


def _altids(altids: list[AltId]) -> list[AltIdSnapshot]:
    # An id is not cut (a cut id is another id): one over its limit is left out, as ingest does.
    return [
        AltIdSnapshot(role=clip(altid.role, limits.NAME_CHARS), value=altid.value)
        for altid in altids[: limits.ALTIDS_PER_ARTICLE]
        if len(altid.value) <= limits.ALTID_CHARS
    ]


def _identifier(uri: str) -> str:
    # Identifiers are ASCII: one over its limit is dropped, not cut into another identifier.
    return uri if len(uri) <= limits.IDENTIFIER_CHARS and uri.isascii() else ""


def _rights(rights: Rights) -> RightsSnapshot:
    return RightsSnapshot(
        holder=clip(rights.holder, limits.RIGHTS_HOLDER_CHARS),
        notice=clip(rights.notice, limits.RIGHTS_NOTICE_CHARS),
        usage_terms=clip(rights.usage_terms, limits.USAGE_TERMS_CHARS),
        info_url=bounded_url(rights.info_url),
    )


def article_snapshot(
    record: ArticleRecord, content: ArticleContent, media: MediaState | None = None
) -> ArticleSnapshot:
    """The page of a published article: identity and times from the record, the rest from its body;
    its pictures as far as the media item says they are ours (pending without one)."""
    lead_image, images = article_images(content, media or MediaState())
    return ArticleSnapshot(
        id=record.article_id,
        revision=record.revision,
        headline=clip(content.headline, limits.HEADLINE_CHARS),
        subheadline=clip(content.subheadline, limits.HEADLINE_CHARS),
        lead=clip(content.lead, limits.LEAD_CHARS),
        # Not clipped (cut HTML is broken HTML): ingest refuses a body over BODY_HTML_JSON_BYTES.
        body_html=published_body(content, media or MediaState()),
        byline=clip(content.byline, limits.BYLINE_CHARS),
        language=clip(content.language, limits.LANGUAGE_CHARS),
        section=section_ref(record.section),
        outlet=outlet_ref(record),
        sources=[clip(source, limits.NAME_CHARS) for source in content.sources[: limits.SOURCES_PER_ARTICLE]],
        rights=_rights(content.rights),
        lead_image=lead_image,
        images=images,
        mentions=MentionsSnapshot(
            companies=_mentions(content.mentions.companies),
            people=_mentions(content.mentions.people),
            places=_mentions(content.mentions.places),
            projects=_mentions(content.mentions.projects),
            subjects=_mentions(content.mentions.subjects),
        ),
        located=clip(content.located, limits.LOCATED_CHARS),
        events=_mentions(content.events, limits.EVENTS_PER_ARTICLE),
        genres=_mentions(content.genres, limits.GENRES_PER_ARTICLE),
        altids=_altids(content.altids),
        source_url=bounded_url(content.source_url),
        published_at=record.published_at,
        updated_at=record.updated_at,
    )


_TOMBSTONE_STATUS: dict[ArticleStatus, Literal["retracted", "withheld", "embargoed"]] = {
    ArticleStatus.RETRACTED: "retracted",
    ArticleStatus.WITHHELD: "withheld",
    ArticleStatus.EMBARGOED: "embargoed",
}


_RETRACTION_REASON: dict[RetractionReason, Literal["canceled", "deleted", "expired", "operator"]] = {
    RetractionReason.CANCELED: "canceled",
    RetractionReason.DELETED: "deleted",
    RetractionReason.EXPIRED: "expired",
    RetractionReason.OPERATOR: "operator",
}


def tombstone_snapshot(record: ArticleRecord) -> TombstoneSnapshot:
    """What replaces the page of an article that was published and is no longer."""
    return TombstoneSnapshot(
        id=record.article_id,
        status=_TOMBSTONE_STATUS.get(record.status, "retracted"),
        revision=record.revision,
        updated_at=changed_at(record),
        reason=_reason(record),
        note=record.retraction_note if record.status is ArticleStatus.RETRACTED else None,
    )


def _reason(record: ArticleRecord) -> Literal["canceled", "deleted", "expired", "operator"] | None:
    if record.status is not ArticleStatus.RETRACTED or record.retraction_reason is None:
        return None
    return _RETRACTION_REASON[record.retraction_reason]


def article_summary(record: ArticleRecord) -> ArticleSummary:
    return ArticleSummary(
        id=record.article_id,
        revision=record.revision,
        # A teaser's headline is shortened: fifty whole headlines would make the list large.
        headline=clip(record.headline, limits.SUMMARY_HEADLINE_CHARS),
        lead=clip(record.lead, limits.LEAD_CHARS),
        # Our copy once the media function made it; the partner's URL (record.image_url) never.
        image_url=bounded_url(record.image_path) or None,
        section=record.section,
        outlet=outlet_ref(record),
        language=clip(record.language, limits.LANGUAGE_CHARS),
        published_at=record.published_at,
        updated_at=record.updated_at,
    )
