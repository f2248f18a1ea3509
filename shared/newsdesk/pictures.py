"""The pictures of an article and what became of them: domain rules, no AWS (docs/media.md).

An article references pictures in two places: its lead picture (ninjs ``associations``, kept as
:class:`~newsdesk.models.LeadImage`) and the ``<img>`` elements its sanitized body keeps. Each picture
is known by its *image key*, the first 16 hex digits of the SHA-256 of its source URL, so that the
media function and publish, reading the same stored article, name the same picture the same way, and
a redelivered record finds the picture it already copied.

The media function records per article one media item (:class:`MediaState`): per image key whether
the picture is ``ready`` (with its renditions) or ``failed`` (with a reason), and ``settled``, a
counter that only grows. Publish renders the article from the record and that item.
"""

from __future__ import annotations

import hashlib
import html
import re
from collections.abc import Mapping
from dataclasses import dataclass, field
from typing import Literal

from newsdesk.models import ArticleContent

MEDIA_PREFIX = "v1/media/"
ORIGINALS_PREFIX = "originals/"
# The lead picture and at most this many inline pictures are copied; an article with more keeps
# the rest out of its published body (its size and the media function's work stay bounded).
MAX_INLINE_IMAGES = 20
# The rendition a page or teaser shows by default: the JPEG of this width, or the nearest one.
DEFAULT_WIDTH = 640
JPEG = "image/jpeg"
WEBP = "image/webp"
EXTENSIONS = {JPEG: "jpg", WEBP: "webp"}

# What the sanitizer leaves of an inline picture: <img src="…" alt="…"> (attributes double-quoted,
# quotes and ampersands escaped; nh3 writes nothing else).
IMG_TAG = re.compile(r"<img\b[^>]*>", re.IGNORECASE)
_ATTRIBUTE = re.compile(r'\s([a-z-]+)="([^"]*)"', re.IGNORECASE)

ImageStatus = Literal["ready", "failed"]


def image_key(url: str) -> str:
    """The name of a picture: first 16 hex digits of the SHA-256 of its source URL."""
    return hashlib.sha256(url.encode("utf-8")).hexdigest()[:16]


def media_prefix(article_id: str) -> str:
    """Where an article's renditions live in the snapshot bucket (all of them, and nothing else)."""
    return f"{MEDIA_PREFIX}{article_id}/"


def originals_prefix(article_id: str) -> str:
    """Where an article's originals live in the media bucket."""
    return f"{ORIGINALS_PREFIX}{article_id}/"


def rendition_path(article_id: str, key: str, width: int, mimetype: str) -> str:
    return f"{media_prefix(article_id)}{key}-{width}.{EXTENSIONS[mimetype]}"


def original_key(article_id: str, key: str) -> str:
    return f"{originals_prefix(article_id)}{key}"


def site_path(path: str) -> str:
    """A bucket key as the site-root path the frontend loads (same CDN as the snapshots)."""
    return "/" + path


@dataclass(frozen=True, slots=True)
class ImageRef:
    """One picture an article references: where from, and what the page says about it."""

    url: str
    key: str
    lead: bool
    alt: str = ""
    caption: str = ""
    credit: str = ""
    # What the partner declared (shown while the picture is pending).
    width: int | None = None
    height: int | None = None
    mimetype: str = ""


def inline_images(body_html: str) -> list[tuple[str, str]]:
    """``(src, alt)`` of every ``<img>`` of a sanitized body that has a source, in order."""
    found: list[tuple[str, str]] = []
    for tag in IMG_TAG.findall(body_html):
        attributes = img_attributes(tag)
        if src := attributes.get("src", ""):
            found.append((src, attributes.get("alt", "")))
    return found


def img_attributes(tag: str) -> dict[str, str]:
    """The attributes of one sanitized ``<img>`` tag, unescaped."""
    return {name.lower(): html.unescape(value) for name, value in _ATTRIBUTE.findall(tag)}


def image_refs(content: ArticleContent) -> list[ImageRef]:
    """The pictures to copy for an article: the lead picture first, then the first inline ones.

    One entry per source URL (a picture used twice is copied once).
    """
    refs: dict[str, ImageRef] = {}
    lead = content.lead_image
    if lead is not None and lead.url:
        key = image_key(lead.url)
        refs[key] = ImageRef(
            url=lead.url,
            key=key,
            lead=True,
            alt=lead.caption,
            caption=lead.caption,
            credit=lead.credit,
            width=lead.width,
            height=lead.height,
            mimetype=lead.mimetype,
        )
    inline = 0
    for src, alt in inline_images(content.body_html):
        key = image_key(src)
        if key in refs:
            continue
        if inline == MAX_INLINE_IMAGES:
            break
        refs[key] = ImageRef(url=src, key=key, lead=False, alt=alt)
        inline += 1
    return list(refs.values())


def inline_pictures(content: ArticleContent) -> int:
    """How many different inline pictures the body names (the lead picture's URL not counted): over
    MAX_INLINE_IMAGES, the rest are neither copied nor published, and the partner is told."""
    lead = image_key(content.lead_image.url) if content.lead_image is not None and content.lead_image.url else ""
    return len({image_key(src) for src, _ in inline_images(content.body_html)} - {lead})


@dataclass(frozen=True, slots=True)
class Rendition:
    path: str  # bucket key in the snapshot bucket (v1/media/...)
    width: int
    height: int
    mimetype: str


@dataclass(frozen=True, slots=True)
class ImageState:
    """What the media function settled for one picture."""

    status: ImageStatus
    source: str = ""
    reason: str = ""
    # Of the original as decoded (ready), or unknown (failed).
    width: int | None = None
    height: int | None = None
    mimetype: str = ""
    renditions: tuple[Rendition, ...] = ()
    # The article revision it was settled for: a failed picture is tried again by a later revision.
    revision: int = 0

    @property
    def ready(self) -> bool:
        return self.status == "ready" and bool(self.renditions)

    def default(self) -> Rendition | None:
        """The JPEG rendition pages and teasers show: DEFAULT_WIDTH, or the nearest width."""
        jpegs = [rendition for rendition in self.renditions if rendition.mimetype == JPEG]
        if not jpegs:
            return None
        return min(jpegs, key=lambda rendition: (abs(rendition.width - DEFAULT_WIDTH), rendition.width))


@dataclass(frozen=True, slots=True)
class MediaState:
    """An article's media item: every picture settled so far, by image key."""

    images: Mapping[str, ImageState] = field(default_factory=dict)
    # Pictures settled over the article's life (never decreases, even when entries are pruned): the
    # media part of the order of its article files (publish.media.file_order).
    settled: int = 0

    def state_of(self, key: str) -> ImageState | None:
        return self.images.get(key)

    def ready(self, key: str) -> ImageState | None:
        state = self.images.get(key)
        return state if state is not None and state.ready else None


def needs_fetch(ref: ImageRef, media: MediaState, revision: int) -> bool:
    """Whether the media function must (re)try a picture: never settled, or failed for an earlier
    revision (a later revision of the story tries once more; a redelivery never does)."""
    state = media.state_of(ref.key)
    if state is None:
        return True
    return state.status == "failed" and state.revision < revision


def lead_path(refs: list[ImageRef], media: MediaState) -> str:
    """The site-root path of the lead picture's default rendition, or "" while it is not ready."""
    for ref in refs:
        if ref.lead and (state := media.ready(ref.key)) is not None and (default := state.default()) is not None:
            return site_path(default.path)
    return ""
