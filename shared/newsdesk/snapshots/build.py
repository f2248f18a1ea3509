"""From an article's record and normalized content to its snapshots: page, tombstone, list entry."""

from __future__ import annotations

from datetime import datetime
from typing import Literal

from newsdesk.articles import ArticleRecord
from newsdesk.models import ArticleContent, ArticleStatus, LeadImage, Mention, Rights
from newsdesk.sections import section_map
from newsdesk.snapshots.models import (
    ArticleSnapshot,
    ArticleSummary,
    ImageSnapshot,
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
    return OutletRef(id=record.partner_id, name=record.outlet)


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
        headline=record.headline,
        lead=record.lead,
        image_url=record.image_url or None,
        section=record.section,
        outlet=outlet_ref(record),
        language=record.language,
        published_at=record.published_at,
        updated_at=record.updated_at,
    )
