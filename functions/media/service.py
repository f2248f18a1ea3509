"""What the media function does for one changed article (docs/media.md, "Pipeline" and "Takedown").

It decides from the article's *current* item (one consistent read), not from the stream record, so
that records handled late, twice or out of order converge on one state:

- **Published**: every picture of its current content (lead picture, then up to
  ``MAX_INLINE_IMAGES`` inline ones) that is not settled yet is fetched once (SSRF-checked), its
  original kept in the media bucket, its renditions written under ``v1/media/{id}/``, and the
  outcome recorded in the media item, picture by picture. A refused or broken picture is recorded as
  ``failed`` with its reason and not tried again for this revision. Pictures the story no longer
  shows are deleted. Then the media fields of CURRENT are written (when they changed), so that the
  stream hands the article to publish again.
- **Anything else** (retracted, withheld, expired, embargoed, deleted): the story's renditions,
  originals and media item are deleted.
"""

from __future__ import annotations

import time
from collections.abc import Callable, Sequence
from dataclasses import dataclass, field

from newsdesk.articles import ArticleRecord
from newsdesk.dal.archive import Archive
from newsdesk.dal.articles import ArticleStore
from newsdesk.dal.media import MediaFiles, MediaStore
from newsdesk.media import MediaRefused
from newsdesk.media.fetch import FetchedImage, FetchLimits, fetch_image
from newsdesk.media.renditions import ImageLimits, make_renditions
from newsdesk.models import ArticleStatus, content_from_json
from newsdesk.observability import logger
from newsdesk.pictures import (
    ImageRef,
    ImageState,
    MediaState,
    Rendition,
    image_refs,
    lead_path,
    needs_fetch,
    rendition_path,
)
from newsdesk.settings import Settings

Fetch = Callable[[str], FetchedImage]
# One record starts no new picture after this many seconds (docs/media.md, "Time"). A batch is 10
# records and the function has 300 s: a record takes at most this, plus one more picture (its fetch,
# capped at 10 s, and up to ~6 s of CPU for a hostile 20 MiB file) and its writes. The pictures left
# over stay unsettled; the record's own CURRENT write (the settled count grew) comes back down the
# stream and continues them, behind the other articles' records.
RECORD_BUDGET_SECONDS = 8.0


@dataclass
class MediaReport:
    """What one article's handling did (logged; the tests read it)."""

    article_id: str
    fetched: int = 0
    ready: int = 0
    failed: list[str] = field(default_factory=list)  # "{image key}: {reason}"
    deleted: int = 0
    marked: bool = False
    deferred: int = 0  # pictures left for the next record (the time budget was spent)


def parse_widths(text: str) -> list[int]:
    """The rendition widths of the MEDIA_WIDTHS setting ("320,640,1024"); bad entries are ignored."""
    widths = {int(part) for part in text.split(",") if part.strip().isdigit() and 0 < int(part) <= 4096}
    return sorted(widths) or [640]


def parse_allowlist(text: str) -> frozenset[str]:
    return frozenset(entry.strip().lower() for entry in text.split(",") if entry.strip())


class MediaService:
    def __init__(
        self,
        *,
        articles: ArticleStore,
        archive: Archive,
        media: MediaStore,
        files: MediaFiles,
        widths: Sequence[int],
        fetch: Fetch,
        image_limits: ImageLimits | None = None,
        budget_seconds: float = RECORD_BUDGET_SECONDS,
        clock: Callable[[], float] = time.monotonic,
    ) -> None:
        self.articles = articles
        self.archive = archive
        self.media = media
        self.files = files
        self.widths = list(widths)
        self.fetch = fetch
        self.image_limits = image_limits or ImageLimits()
        self.budget_seconds = budget_seconds
        self.clock = clock

    @classmethod
    def from_settings(cls, settings: Settings) -> MediaService:
        if not settings.media_bucket or not settings.snapshot_bucket:
            raise ValueError("MEDIA_BUCKET and SNAPSHOT_BUCKET must be set: the media function has nowhere to write")
        allowlist = parse_allowlist(settings.media_fetch_allowlist)
        limits = FetchLimits()

        def fetch(url: str) -> FetchedImage:
            return fetch_image(url, allowlist=allowlist, limits=limits)

        return cls(
            articles=ArticleStore(settings.table_name),
            archive=Archive(settings.archive_bucket),
            media=MediaStore(settings.table_name),
            files=MediaFiles(settings.media_bucket, settings.snapshot_bucket),
            widths=parse_widths(settings.media_widths),
            fetch=fetch,
        )

    def handle(self, article_id: str) -> MediaReport:
        """Bring the article's pictures in line with its current state."""
        record = self.articles.get(article_id)
        if record is None or record.status is not ArticleStatus.PUBLISHED:
            return self.take_down(article_id)
        return self.copy_pictures(record)

    def take_down(self, article_id: str) -> MediaReport:
        """Renditions and originals first, then the item: a crash in between is finished by a retry."""
        report = MediaReport(article_id)
        report.deleted = self.files.delete_article(article_id)
        self.media.delete(article_id)
        if report.deleted:
            logger.info("pictures taken down", extra={"article_id": article_id, "objects": report.deleted})
        return report

    def copy_pictures(self, record: ArticleRecord) -> MediaReport:
        report = MediaReport(record.article_id)
        content = content_from_json(self.archive.get_normalized(record.normalized_key))
        refs = image_refs(content)
        # Read even for a story without pictures now: an earlier version's may have to go.
        media = self.media.get(record.article_id)
        attempted = False
        latest: MediaState | None = None
        started = self.clock()
        for ref in refs:
            if needs_fetch(ref, media, record.revision):
                if attempted and self.clock() - started >= self.budget_seconds:
                    report.deferred += 1  # at least one picture settled: the count grows, a record follows
                    continue
                latest = self.media.settle(record.article_id, ref.key, self._settle(record, ref, report))
                attempted = True
        if attempted:
            # As recorded: the item the last settling write left (it holds every write before it).
            # When a concurrent attempt had settled that picture first (None), one more read.
            media = latest if latest is not None else self.media.get(record.article_id)
        self._forget_unused(record.article_id, refs, media)
        image_path = lead_path(refs, media)
        if (image_path, media.settled) != (record.image_path, record.media_settled):
            report.marked = self.media.mark_current(record, image_path=image_path, settled=media.settled)
        logger.info(
            "pictures handled",
            extra={
                "article_id": record.article_id,
                "pictures": len(refs),
                "fetched": report.fetched,
                "ready": report.ready,
                "failed": report.failed,
                "deferred": report.deferred,
                "marked": report.marked,
            },
        )
        return report

    def _settle(self, record: ArticleRecord, ref: ImageRef, report: MediaReport) -> ImageState:
        """Fetch one picture and publish its renditions; a refusal becomes a failed state, never an error."""
        try:
            fetched = self.fetch(ref.url)
            report.fetched += 1
            original, renditions = make_renditions(fetched.data, self.widths, self.image_limits)
        except MediaRefused as refused:
            logger.warning(
                "picture refused",
                extra={"article_id": record.article_id, "image_key": ref.key, "reason": refused.reason,
                       "detail": refused.message[:300]},
            )  # fmt: skip
            report.failed.append(f"{ref.key}: {refused.reason}")
            reason = f"{refused.reason}: {refused.message}"[:300] if refused.message else refused.reason
            return ImageState(status="failed", source=ref.url, reason=reason, revision=record.revision)
        # Original first: a picture recorded ready always has what it was made from.
        self.files.put_original(record.article_id, ref.key, fetched.data, original.mimetype, ref.url)
        published: list[Rendition] = []
        for rendition in renditions:
            path = rendition_path(record.article_id, ref.key, rendition.width, rendition.mimetype)
            self.files.put_rendition(path, rendition.data, rendition.mimetype)
            published.append(Rendition(path, rendition.width, rendition.height, rendition.mimetype))
        report.ready += 1
        return ImageState(
            status="ready",
            source=ref.url,
            width=original.width,
            height=original.height,
            mimetype=original.mimetype,
            renditions=tuple(published),
            revision=record.revision,
        )

    def _forget_unused(self, article_id: str, refs: list[ImageRef], media: MediaState) -> None:
        """Pictures a new version of the story dropped are taken down (a partner removes a picture
        for a reason); entries go after their objects."""
        shown = {ref.key for ref in refs}
        unused = {key: state for key, state in media.images.items() if key not in shown}
        for key, state in unused.items():
            self.files.delete_picture(article_id, key, state)
        self.media.forget(article_id, unused)
