"""What happens to a partner's request, independent of HTTP: validate, order versions, archive, record.

Write order (the "nothing lost" rule; every crash point in docs/design.md): the raw bytes and the
normalized article go to S3 first, then the immutable revision item, then the CURRENT item on
condition of the revision it replaces. A failure before the last step leaves objects and a
revision item nothing points at; the partner's retry writes the same keys again and completes.
Concurrent writers are serialized by the condition on the previous revision. Once the write has
succeeded, a commit marker names the archived object that went live (``newsdesk.commits``): the
archive alone then tells a rebuild which of its objects were live and which are orphans of failed
or refused writes.

A story an operator took down (``newsdesk takedown``) stays down: later versions are refused with
a 409 before anything is stored. A partner's own DELETE does not stick: a newer version brings the
story back.
"""

from __future__ import annotations

import hashlib
import json
from dataclasses import dataclass, field, replace
from datetime import UTC, datetime
from typing import Any, Protocol

from newsdesk.articles import (
    ArticleRecord,
    RevisionRaced,
    archive_key_for,
    article_id_for,
    is_article_id,
    normalized_key_for,
    retraction_reason_for,
    status_for,
)
from newsdesk.commits import commit_key_for, live_object_of
from newsdesk.errors import (
    FieldError,
    MalformedRequest,
    NotFound,
    PreconditionFailed,
    ServiceUnavailable,
    ValidationFailed,
    VersionConflict,
)
from newsdesk.models import ArticleContent, ArticleStatus, RetractionReason, Validated, content_bytes
from newsdesk.ninjs import validate_document
from newsdesk.partners import Principal
from newsdesk.retractions import marker_of
from newsdesk.sanitize import plain_text
from newsdesk.sections import section_for
from newsdesk.versions import VersionOrder, compare_versions

# Each lost race costs one re-read; more than a handful means something is badly wrong.
MAX_ATTEMPTS = 8


class ArticleRepository(Protocol):
    def get(self, article_id: str) -> ArticleRecord | None: ...

    def put_revision(
        self, record: ArticleRecord, *, previous_revision: int | None, action: str, request_id: str
    ) -> ArticleRecord: ...


class ArticleArchive(Protocol):
    def put_raw(self, key: str, body: bytes, *, partner_id: str, content_type: str) -> None: ...

    def put_normalized(self, key: str, body: bytes) -> None: ...

    def get_normalized(self, key: str) -> dict[str, Any]: ...


@dataclass(frozen=True)
class IngestOutcome:
    record: ArticleRecord
    created: bool
    replayed: bool
    warnings: list[str] = field(default_factory=list)


@dataclass
class IngestService:
    store: ArticleRepository
    archive: ArticleArchive

    def submit(
        self,
        raw: bytes,
        principal: Principal,
        *,
        request_id: str,
        now: datetime | None = None,
        replace_id: str | None = None,
        if_match: int | None = None,
    ) -> IngestOutcome:
        """POST (``replace_id`` None) or PUT (``replace_id`` and ``if_match`` given) of a ninjs document."""
        validated = validate_document(parse_json(raw), default_language=principal.language or "ru")
        article_id = article_id_for(principal.partner_id, validated.content.uri)
        if replace_id is not None and replace_id != article_id:
            raise ValidationFailed(
                "A PUT replaces the article at this address; the document's uri names another article.",
                [FieldError(pointer="/uri", message="uri does not belong to the article being replaced")],
            )
        for _ in range(MAX_ATTEMPTS):
            current = self.store.get(article_id)
            if current is not None and current.partner_id != principal.partner_id:
                raise NotFound(f"No article {article_id}.")
            if replace_id is not None and current is None:
                raise NotFound(f"No article {article_id} to replace.")
            if current is not None and current.retraction_reason is RetractionReason.OPERATOR:
                raise taken_down(current)
            # Before If-Match: a PUT retried after its response was lost names the revision it
            # replaced, and must get the replay it is, as a POST would.
            if current is not None and current.content_hash == validated.canonical_hash:
                # A retry after a 5xx: the first attempt may have died between its table write and
                # its commit marker. Writing the marker again is harmless (same key, no bytes).
                self.commit(current)
                return IngestOutcome(current, created=False, replayed=True, warnings=validated.warnings)
            if replace_id is not None and current is not None and if_match != current.revision:
                raise PreconditionFailed(
                    f"If-Match names revision {if_match}, the article is at revision {current.revision}."
                )
            if current is not None:
                check_order(validated.content, current, explicit_replace=replace_id is not None)
            normalized = content_bytes(validated.content)
            record = build_record(
                validated,
                principal,
                article_id,
                current,
                now or datetime.now(UTC),
                raw_digest=hashlib.sha256(raw).hexdigest(),
                normalized_digest=hashlib.sha256(normalized).hexdigest(),
            )
            self.archive.put_raw(
                record.archive_key, raw, partner_id=principal.partner_id, content_type="application/json"
            )
            self.archive.put_normalized(record.normalized_key, normalized)
            try:
                stored = self.store.put_revision(
                    record,
                    previous_revision=current.revision if current else None,
                    action="replace" if replace_id else "submit",
                    request_id=request_id,
                )
            except RevisionRaced:
                continue
            self.commit(stored)
            return IngestOutcome(stored, created=current is None, replayed=False, warnings=validated.warnings)
        raise VersionConflict("The article is being changed by other requests right now; retry shortly.")

    def retract(self, article_id: str, principal: Principal, *, request_id: str, now: datetime | None = None) -> None:
        """DELETE: the article becomes a tombstone; retracting twice changes nothing."""
        for _ in range(MAX_ATTEMPTS):
            current = self.owned(article_id, principal)
            if current.status is ArticleStatus.RETRACTED:
                return
            moment = now or datetime.now(UTC)
            record = replace(
                current,
                revision=current.revision + 1,
                status=ArticleStatus.RETRACTED,
                retraction_reason=RetractionReason.DELETED,
                updated_at=moment,
                received_at=moment,
            )
            # Archived first, as a submission's bytes are: a rebuild from the archive keeps it down.
            marker_key, marker = marker_of(record)
            self.archive.put_raw(marker_key, marker, partner_id=principal.partner_id, content_type="application/json")
            try:
                self.store.put_revision(
                    record, previous_revision=current.revision, action="retract", request_id=request_id
                )
            except RevisionRaced:
                continue
            self.commit(record)
            return
        raise VersionConflict("The article is being changed by other requests right now; retry shortly.")

    def commit(self, record: ArticleRecord) -> None:
        """Mark the archived object of ``record``'s revision as the one that went live (after its write)."""
        live = live_object_of(record)
        if live is not None:
            self.archive.put_raw(commit_key_for(live), b"", partner_id=record.partner_id, content_type="text/plain")

    def owned(self, article_id: str, principal: Principal) -> ArticleRecord:
        """The article if it belongs to this partner; anyone else's is indistinguishable from none.

        An id that cannot be one of ours is not looked up (a path of any length would otherwise
        reach DynamoDB, which refuses keys over 2 KB).
        """
        current = self.store.get(article_id) if is_article_id(article_id) else None
        if current is None or current.partner_id != principal.partner_id:
            raise NotFound(f"No article {article_id[:64]}.")
        return current

    def normalized_of(self, record: ArticleRecord) -> dict[str, Any]:
        """The article as ingest normalized it (the stored JSON form of :class:`ArticleContent`)."""
        if not record.normalized_key:
            # Only a record written before normalized articles were stored (docs/design.md, "Upgrading").
            raise ServiceUnavailable(
                f"Article {record.article_id} has not been normalized yet; an operator runs `newsdesk reprocess`."
            )
        return self.archive.get_normalized(record.normalized_key)


def taken_down(current: ArticleRecord) -> VersionConflict:
    """The refusal of a later version of a story an operator took down: it stays down."""
    note = f" ({current.retraction_note})" if current.retraction_note else ""
    return VersionConflict(
        f"The newsroom took this story down{note} at revision {current.revision}; Newsdesk does not accept "
        "new versions of it. Contact the newsroom if it should go back up."
    )


def parse_json(raw: bytes) -> object:
    try:
        return json.loads(raw.decode("utf-8"))
    except UnicodeDecodeError as error:
        raise MalformedRequest(f"The body is not UTF-8 (byte {error.start}).") from error
    except json.JSONDecodeError as error:
        raise MalformedRequest(
            f"The body is not JSON: {error.msg} at line {error.lineno} column {error.colno}."
        ) from error
    except RecursionError as error:
        raise MalformedRequest("The body nests too deeply.") from error
    except ValueError as error:
        # Python refuses integer literals of more than 4,300 digits (CVE-2020-10735): not JSON we can use.
        raise MalformedRequest(f"The body holds a number Newsdesk cannot read: {error}.") from error


def check_order(content: ArticleContent, current: ArticleRecord, *, explicit_replace: bool) -> None:
    """Versions move only forward: refuse a late older version; refuse a changed body under an
    unchanged version, or one that cannot be ordered against the stored one (no version information,
    or labels such as "abc" that say nothing about order), unless a PUT with If-Match says so."""
    # Compared in whole seconds, as the record keeps them: with its fraction, a late retry of
    # 08:00:00.1 would be "newer" than the stored 08:00:00 of its 08:00:00.9 correction and replace it.
    order = compare_versions(
        content.version, _whole_seconds(content.versioncreated), current.version, _whole_seconds(current.versioncreated)
    )
    if order is VersionOrder.OLDER:
        stored_at = current.versioncreated.isoformat() if current.versioncreated else "-"
        raise VersionConflict(
            f"Revision {current.revision} holds version {current.version or '-'} of {stored_at}; "
            "this document is older."
        )
    if order is VersionOrder.EQUAL and not explicit_replace:
        raise VersionConflict(
            "This version is already stored with different content; send it with a newer "
            "version or versioncreated, or replace it with PUT and If-Match."
        )
    if order is VersionOrder.UNKNOWN and not explicit_replace:
        stored_at = current.versioncreated.isoformat() if current.versioncreated else "-"
        raise VersionConflict(
            f"Revision {current.revision} holds version {current.version or '-'} of {stored_at}, and this "
            "document cannot be ordered against it; send a newer numeric version or versioncreated, "
            "or replace it with PUT and If-Match."
        )


def _whole_seconds(moment: datetime | None) -> datetime | None:
    return moment.replace(microsecond=0) if moment is not None else None


def build_record(
    validated: Validated,
    principal: Principal,
    article_id: str,
    current: ArticleRecord | None,
    now: datetime,
    *,
    raw_digest: str,
    normalized_digest: str,
) -> ArticleRecord:
    """The next revision's record; its object keys come from the digests of the raw bytes and of the
    normalized article (the objects ingest writes before the record)."""
    content = validated.content
    revision = current.revision + 1 if current else 1
    # A partner's clock decides when a story was first published, never that it is in the future:
    # lists sort by this time, and a story "first created" next year would top them until then.
    claimed = content.firstcreated or content.versioncreated or now
    published_at = current.published_at if current else min(claimed, now)
    return ArticleRecord(
        article_id=article_id,
        partner_id=principal.partner_id,
        uri=content.uri,
        revision=revision,
        status=status_for(content, now),
        content_hash=validated.canonical_hash,
        archive_key=archive_key_for(principal.partner_id, article_id, revision, raw_digest),
        normalized_key=normalized_key_for(principal.partner_id, article_id, revision, normalized_digest),
        version=content.version,
        versioncreated=content.versioncreated,
        embargoed_until=content.embargoed,
        expires_at=content.expires,
        retraction_reason=retraction_reason_for(content, now),
        headline=content.headline,
        lead=content.lead,
        image_url=content.lead_image.url if content.lead_image else "",
        language=content.language,
        section=section_for(content.section_hints, principal.section),
        # Plain text once, here: publish renders record fields as they are stored.
        outlet=plain_text(principal.name),
        published_at=published_at,
        updated_at=content.versioncreated or now,
        received_at=now,
        warnings=validated.warnings,
    )
