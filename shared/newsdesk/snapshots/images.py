"""An article's pictures in its snapshot: our renditions or "pending", never the partner's URL.

The lead picture becomes ``lead_image``, the body's pictures ``images`` (in order); in ``body_html``
an ``<img>`` whose copy is ready points at our default rendition with a ``srcset`` of the JPEG
renditions, and every other ``<img>`` (pending, failed, without a source, beyond the limit) is left
out, so that no page hot-links a partner (docs/media.md, "Published renditions").
"""

from __future__ import annotations

import html
import re
from typing import Literal

from newsdesk.models import ArticleContent
from newsdesk.pictures import IMG_TAG, JPEG, ImageRef, ImageState, MediaState, image_refs, img_attributes, site_path
from newsdesk.snapshots import limits
from newsdesk.snapshots.limits import clip
from newsdesk.snapshots.models import ImageSnapshot, RenditionSnapshot

ALT_CHARS = 300
RenditionType = Literal["image/jpeg", "image/webp"]
_RENDITION_TYPES: dict[str, RenditionType] = {"image/jpeg": "image/jpeg", "image/webp": "image/webp"}


def _renditions(state: ImageState | None) -> list[RenditionSnapshot]:
    if state is None or not state.ready:
        return []
    return [
        RenditionSnapshot(
            url=site_path(rendition.path),
            width=rendition.width,
            height=rendition.height,
            type=_RENDITION_TYPES[rendition.mimetype],
        )
        for rendition in sorted(state.renditions, key=lambda rendition: (rendition.width, rendition.mimetype))
        if rendition.mimetype in _RENDITION_TYPES
    ]


def image_snapshot(ref: ImageRef, media: MediaState) -> ImageSnapshot:
    state = media.state_of(ref.key)
    default = state.default() if state is not None and state.ready else None
    if state is None or default is None:
        # Pending or failed: what the partner declared, and no URL at all.
        return ImageSnapshot(
            status="pending" if state is None else "failed",
            url="",
            width=ref.width,
            height=ref.height,
            mimetype=clip(ref.mimetype, limits.MIMETYPE_CHARS),
            alt=clip(ref.alt, ALT_CHARS),
            caption=clip(ref.caption, limits.CAPTION_CHARS),
            credit=clip(ref.credit, limits.CREDIT_CHARS),
            renditions=[],
        )
    return ImageSnapshot(
        status="ready",
        url=site_path(default.path),
        width=state.width,
        height=state.height,
        mimetype=clip(state.mimetype, limits.MIMETYPE_CHARS),
        alt=clip(ref.alt, ALT_CHARS),
        caption=clip(ref.caption, limits.CAPTION_CHARS),
        credit=clip(ref.credit, limits.CREDIT_CHARS),
        renditions=_renditions(state),
    )


def article_images(content: ArticleContent, media: MediaState) -> tuple[ImageSnapshot | None, list[ImageSnapshot]]:
    """The lead picture and the body's pictures of an article, as its page shows them."""
    refs = image_refs(content)
    lead = next((image_snapshot(ref, media) for ref in refs if ref.lead), None)
    return lead, [image_snapshot(ref, media) for ref in refs if not ref.lead]


def published_body(content: ArticleContent, media: MediaState) -> str:
    """``body_html`` with every ``<img>`` pointing at our copy, or left out until there is one."""
    if "<img" not in content.body_html:
        return content.body_html
    # The lead picture may be in the body too: one copy serves both.
    refs = {ref.url: ref for ref in image_refs(content)}

    def ours(match: re.Match[str]) -> str:
        attributes = img_attributes(match.group(0))
        ref = refs.get(attributes.get("src", ""))
        state = media.ready(ref.key) if ref is not None else None
        default = state.default() if state is not None else None
        if ref is None or state is None or default is None:
            return ""
        alt = attributes.get("alt", "") or ref.alt
        candidates = sorted(
            (rendition for rendition in state.renditions if rendition.mimetype == JPEG), key=lambda r: r.width
        )
        srcset = ", ".join(f"{site_path(rendition.path)} {rendition.width}w" for rendition in candidates)
        return (
            f'<img src="{site_path(default.path)}" srcset="{srcset}" width="{default.width}" '
            f'height="{default.height}" alt="{html.escape(clip(alt, ALT_CHARS))}" loading="lazy">'
        )

    return IMG_TAG.sub(ours, content.body_html)
