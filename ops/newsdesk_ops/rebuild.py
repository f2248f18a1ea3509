"""Rebuild the table's article records from the S3 archive: the disaster-recovery path.

The archive holds every accepted revision's exact bytes (``raw/{partner}/{article}/{revision}-{hash}.json``),
a marker for every retraction that came without a document (``retracted/…``, a partner's DELETE or
an operator's takedown), and, since issue 10's review, a commit marker naming the object of each
revision that went live (``committed/`` + its key, written after the table write). Replaying them in
revision order through the rules ingest applies
(``ingest.service.build_record``) gives each article's revision items and its CURRENT item with the
keys of the sparse indexes, so that ``newsdesk publish --all`` can follow. What the timers would have
done since (an embargo that has passed, an ``expires`` time reached) is applied as of now.

What was live is what the table's CURRENT item went through, revision by revision; the archive also
holds objects of writes that never got there (their bytes are archived before the conditional write):
a table write that failed, a writer that lost a race and was refused. So, per revision:

1. the object a commit marker names, and no other;
2. without one (an archive older than commit markers, or a writer that died between its table write
   and its marker), a retraction marker over raw bytes: when the archive cannot tell, down is the
   safe side;
3. raw bytes without a commit marker above the article's newest committed revision are orphans of
   failed writes and are left out; below it (the revision was live: CURRENT advanced through it) or
   in an article with no commit marker at all, the candidate whose content is not archived again
   later, and of those the newest.

An operator's takedown sticks, as in ingest: no later document of the story is applied.

Never an older state over a newer one: a CURRENT item already in the table at the same or a higher
revision is left as it is, and every write is conditional (revision items are immutable, CURRENT
advances on the revision it replaces). Running it twice changes nothing the second time.

Limits: ``received_at`` comes from the raw object's S3 time (to the second), the request ids and
the media function's fields (``image_path``, ``media_settled``) are not in the archive (the media
function fills them again when the stream republishes), and a retraction made before retraction
markers existed is known only if the published tombstone says so (it is read from the snapshot bucket).
"""

from __future__ import annotations

import hashlib
import json
from collections import defaultdict
from collections.abc import Callable, Iterator
from dataclasses import dataclass, field, replace
from datetime import UTC, datetime
from typing import TYPE_CHECKING

from botocore.exceptions import ClientError

from ingest.service import build_record, parse_json
from newsdesk.articles import (
    ArticleRecord,
    RevisionRaced,
    article_id_for,
    expired_record,
    is_due_to_expire,
    normalized_key_for,
)
from newsdesk.commits import COMMIT_PREFIX, committed_object
from newsdesk.dal.articles import ArticleStore
from newsdesk.dal.partners import PartnerStore
from newsdesk.errors import NewsdeskError, NotFound
from newsdesk.models import ArticleStatus, RetractionReason, content_bytes
from newsdesk.ninjs import validate_document
from newsdesk.partners import Partner, Principal
from newsdesk.retractions import RETRACTION_PREFIX, RetractionMarker, parse_marker
from newsdesk.snapshots.paths import article_path

if TYPE_CHECKING:
    from mypy_boto3_s3 import S3Client
    from mypy_boto3_s3.type_defs import ObjectTypeDef

    from newsdesk_ops.target import Target

RAW_PREFIX = "raw/"
NORMALIZED_PREFIX = "normalized/"
REQUEST_ID = "rebuild-from-archive"


@dataclass
class RebuildReport:
    articles: int = 0
    revisions: int = 0
    # CURRENT items written (or, in a dry run, that would be), and those already at that revision or newer.
    written: int = 0
    unchanged: int = 0
    normalized_written: int = 0
    # Archived objects of writes that never went live (orphans, documents after an operator's takedown).
    left_out: int = 0
    # Per status of the rebuilt CURRENT items.
    statuses: dict[str, int] = field(default_factory=dict)
    problems: dict[str, str] = field(default_factory=dict)  # article id -> why it was not rebuilt
    dry_run: bool = False


@dataclass(frozen=True)
class _RawObject:
    key: str
    revision: int
    modified: datetime


@dataclass
class _ArticleSources:
    partner_id: str
    raw: dict[int, list[_RawObject]] = field(default_factory=lambda: defaultdict(list))
    # Per revision, by archive key: a partner's DELETE and an operator's takedown of one revision each
    # leave a marker; the commit marker says which went live.
    retractions: dict[int, dict[str, RetractionMarker]] = field(default_factory=lambda: defaultdict(dict))
    committed: set[str] = field(default_factory=set)  # keys of the objects that went live

    def newest_commit(self) -> int:
        return max((_revision_of(key) for key in self.committed), default=0)


def rebuild_from_archive(
    target: Target,
    *,
    dry_run: bool = False,
    progress: Callable[[int, int], None] | None = None,
    now: datetime | None = None,
) -> RebuildReport:
    """Rebuild every article of ``target``'s archive into its table; ``dry_run`` writes nothing."""
    s3, dynamodb = target.s3_client(), target.dynamodb_client()
    rebuilder = _Rebuilder(
        s3=s3,
        bucket=target.archive_bucket,
        snapshot_bucket=target.snapshot_bucket,
        articles=ArticleStore(target.table_name, client=dynamodb),
        partners=PartnerStore(target.table_name, dynamodb),
        now=now or datetime.now(UTC),
        dry_run=dry_run,
    )
    return rebuilder.run(progress)


@dataclass
class _Rebuilder:
    s3: S3Client
    bucket: str
    snapshot_bucket: str
    articles: ArticleStore
    partners: PartnerStore
    now: datetime
    dry_run: bool
    _partners: dict[str, Partner | None] = field(default_factory=dict)

    def run(self, progress: Callable[[int, int], None] | None) -> RebuildReport:
        report = RebuildReport(dry_run=self.dry_run)
        sources = self._sources()
        normalized = set(self._keys(NORMALIZED_PREFIX))
        report.articles = len(sources)
        for done, (article_id, article) in enumerate(sorted(sources.items()), start=1):
            try:
                self._rebuild(article_id, article, normalized, report)
            except NewsdeskError as error:
                detail = "; ".join(f"{e.pointer or '/'} {e.message}" for e in error.errors[:3]) or error.detail
                report.problems[article_id] = f"refused by today's rules: {detail}"
            if progress is not None:
                progress(done, len(sources))
        return report

    # --- reading the archive --------------------------------------------------------------------

    def _objects(self, prefix: str) -> Iterator[ObjectTypeDef]:
        for page in self.s3.get_paginator("list_objects_v2").paginate(Bucket=self.bucket, Prefix=prefix):
            yield from page.get("Contents", [])

    def _keys(self, prefix: str) -> Iterator[str]:
        return (item["Key"] for item in self._objects(prefix))

    def _sources(self) -> dict[str, _ArticleSources]:
        found: dict[str, _ArticleSources] = {}
        for item in self._objects(RAW_PREFIX):
            parts = item["Key"].split("/")
            if len(parts) != 4 or not parts[3][:8].isdigit():
                continue
            _, partner_id, article_id, name = parts
            article = found.setdefault(article_id, _ArticleSources(partner_id))
            article.raw[int(name[:8])].append(_RawObject(item["Key"], int(name[:8]), item["LastModified"]))
        for key in self._keys(RETRACTION_PREFIX):
            marker = parse_marker(key, self.s3.get_object(Bucket=self.bucket, Key=key)["Body"].read())
            if marker is not None:
                found.setdefault(marker.article_id, _ArticleSources(marker.partner_id))
                found[marker.article_id].retractions[marker.revision][key] = marker
        for key in self._keys(COMMIT_PREFIX):
            live = committed_object(key)
            parts = live.split("/") if live else []
            if live and len(parts) == 4 and parts[2] in found:
                found[parts[2]].committed.add(live)
        return found

    def _partner(self, partner_id: str) -> Partner | None:
        if partner_id not in self._partners:
            self._partners[partner_id] = self.partners.get_partner(partner_id)
        return self._partners[partner_id]

    # --- one article ----------------------------------------------------------------------------

    def _rebuild(self, article_id: str, article: _ArticleSources, normalized: set[str], report: RebuildReport) -> None:
        partner = self._partner(article.partner_id)
        principal = Principal(
            partner_id=article.partner_id,
            key_id=REQUEST_ID,
            role="partner",
            language=(partner.language if partner else "") or "ru",
            section=partner.section if partner else "",
            # Without its partner item the outlet falls back to the partner id (re-add the partner, then reprocess).
            name=partner.name if partner else article.partner_id,
        )
        history: list[tuple[ArticleRecord, str]] = []
        current: ArticleRecord | None = None
        newest_commit = article.newest_commit()
        for revision in sorted(set(article.raw) | set(article.retractions)):
            candidates, marker = self._live_at(article, revision, newest_commit)
            report.left_out += len(article.raw.get(revision, [])) - len(candidates)
            if current is not None and current.retraction_reason is RetractionReason.OPERATOR:
                # An operator's takedown sticks: ingest refuses later versions of the story.
                report.left_out += len(candidates)
                continue
            if candidates:
                record, body = self._content_revision(article_id, principal, current, candidates)
                if record.normalized_key not in normalized:
                    # Normalized by today's rules into an object the archive does not hold yet.
                    if not self.dry_run:
                        self.s3.put_object(
                            Bucket=self.bucket, Key=record.normalized_key, Body=body, ContentType="application/json"
                        )
                    normalized.add(record.normalized_key)
                    report.normalized_written += 1
                history.append((record, "submit"))
            elif current is not None and marker is not None:
                record = replace(
                    current,
                    revision=revision,
                    status=ArticleStatus.RETRACTED,
                    retraction_reason=marker.reason,
                    retraction_note=marker.note,
                    updated_at=marker.at,
                    received_at=marker.at,
                )
                history.append((record, "takedown" if marker.reason is RetractionReason.OPERATOR else "retract"))
            else:
                continue
            current = record
        if current is None:
            report.problems[article_id] = "only retraction markers, no archived document"
            return
        current = self._published_retraction(current, history)
        current = self._timers(current, history)
        report.revisions += len(history)
        report.statuses[current.status.value] = report.statuses.get(current.status.value, 0) + 1
        self._write(current, history, report)

    @staticmethod
    def _live_at(
        article: _ArticleSources, revision: int, newest_commit: int
    ) -> tuple[list[_RawObject], RetractionMarker | None]:
        """The raw objects, or the retraction marker, that may have been live at ``revision`` (the rules above)."""
        raw = article.raw.get(revision, [])
        markers = article.retractions.get(revision, {})
        committed = [candidate for candidate in raw if candidate.key in article.committed]
        if committed:
            return committed, None
        marker = next((markers[key] for key in sorted(markers) if key in article.committed), None)
        # Uncommitted: a partner's DELETE before an operator's takedown (a takedown that lost its race
        # was refused; one that won has its commit marker unless the writer died right after).
        by_partner_first = sorted(markers.values(), key=lambda found: found.reason is RetractionReason.OPERATOR)
        marker = marker or next(iter(by_partner_first), None)
        if marker is not None:
            return [], marker
        if 0 < newest_commit < revision:
            return [], None
        return raw, None

    def _content_revision(
        self, article_id: str, principal: Principal, current: ArticleRecord | None, candidates: list[_RawObject]
    ) -> tuple[ArticleRecord, bytes]:
        """The record of one archived revision, as ingest built it when it accepted these bytes.

        Several objects for one revision, none of them committed (an archive older than commit
        markers), are a retry that serialized the document differently (same content) or two writers
        that raced (the loser retried at the next revision or was refused): the newest S3 object is
        taken, which can be the refused one; only a commit marker tells.
        """
        built: list[tuple[ArticleRecord, bytes, datetime]] = []
        for candidate in candidates:
            raw = self.s3.get_object(Bucket=self.bucket, Key=candidate.key)["Body"].read()
            validated = validate_document(parse_json(raw), default_language=principal.language)
            if article_id_for(principal.partner_id, validated.content.uri) != article_id:
                continue
            body = content_bytes(validated.content)
            digest = hashlib.sha256(body).hexdigest()
            record = build_record(
                validated,
                principal,
                article_id,
                current,
                candidate.modified,
                raw_digest=hashlib.sha256(raw).hexdigest(),
                normalized_digest=digest,
            )
            record = replace(
                record,
                revision=candidate.revision,
                archive_key=candidate.key,
                normalized_key=normalized_key_for(principal.partner_id, article_id, candidate.revision, digest),
            )
            built.append((record, body, candidate.modified))
        if not built:
            raise _no_document(article_id)
        record, body, _ = max(built, key=lambda entry: entry[2])
        return record, body

    def _published_retraction(self, current: ArticleRecord, history: list[tuple[ArticleRecord, str]]) -> ArticleRecord:
        """A retraction older than retraction markers: the published tombstone, if newer, keeps it down."""
        if not self.snapshot_bucket:
            return current
        try:
            page = json.loads(
                self.s3.get_object(Bucket=self.snapshot_bucket, Key=article_path(current.article_id))["Body"].read()
            )
        except (ClientError, ValueError):
            return current
        if not isinstance(page, dict) or page.get("kind") != "tombstone" or page.get("status") != "retracted":
            return current
        revision = page.get("revision")
        if not isinstance(revision, int) or revision <= current.revision:
            return current
        try:
            reason = RetractionReason(str(page.get("reason") or RetractionReason.DELETED.value))
        except ValueError:
            reason = RetractionReason.DELETED
        retracted = replace(
            current,
            revision=revision,
            status=ArticleStatus.RETRACTED,
            retraction_reason=reason,
            retraction_note=page.get("note") if isinstance(page.get("note"), str) else None,
        )
        history.append((retracted, "retract"))
        return retracted

    def _timers(self, current: ArticleRecord, history: list[tuple[ArticleRecord, str]]) -> ArticleRecord:
        """What the embargo and expiry timers have done since: release a passed embargo, take down an expired story."""
        if is_due_to_expire(current, self.now):
            expired = expired_record(current, self.now)
            history.append((expired, "expire"))
            return expired
        if (
            current.status is ArticleStatus.EMBARGOED
            and current.embargoed_until is not None
            and current.embargoed_until <= self.now
        ):
            return replace(
                current,
                status=ArticleStatus.PUBLISHED,
                published_at=max(current.published_at, current.embargoed_until),
            )
        return current

    def _write(self, current: ArticleRecord, history: list[tuple[ArticleRecord, str]], report: RebuildReport) -> None:
        existing = self.articles.get(current.article_id)
        if existing is not None and existing.revision >= current.revision:
            report.unchanged += 1
            return
        report.written += 1
        if self.dry_run:
            return
        for record, action in history:
            self.articles.put_revision_item(record, action=action, request_id=REQUEST_ID)
        try:
            self.articles.advance_current(current, previous_revision=existing.revision if existing else None)
        except RevisionRaced:
            # Someone wrote the article meanwhile: theirs is newer than anything the archive held.
            report.written -= 1
            report.unchanged += 1


def _revision_of(key: str) -> int:
    """The revision in an archived object's key (``…/{revision:08d}-{hash}.json`` or ``…/{revision:08d}.json``)."""
    name = key.rsplit("/", 1)[-1]
    return int(name[:8]) if name[:8].isdigit() else 0


def _no_document(article_id: str) -> NewsdeskError:
    return NotFound(f"No archived document of article {article_id} names it (uri and partner disagree).")
