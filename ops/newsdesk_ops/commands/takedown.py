"""``newsdesk takedown ID --reason "…"``: an operator's retraction, whose tombstone says why.

The same path as a partner's DELETE: the retraction marker goes to the archive first (so that a
rebuild keeps the story down), then a new revision with status retracted, conditional on the
revision read, then the commit marker that says the marker went live (``newsdesk.commits``). A
takedown sticks: ingest refuses the partner's later versions of the story (409), and a rebuild from
the archive leaves out any later document. The table's stream does the rest, as for any retraction:
publish replaces the page with a tombstone (reason ``operator`` and the note) and takes the story
out of lists, feeds and rankings; the media function deletes its renditions.
"""

from __future__ import annotations

import argparse
import unicodedata
from dataclasses import replace
from datetime import UTC, datetime
from typing import TYPE_CHECKING

from newsdesk.articles import ArticleRecord, RevisionRaced, is_article_id
from newsdesk.commits import commit_key_for
from newsdesk.dal.archive import Archive
from newsdesk.dal.articles import ArticleStore
from newsdesk.errors import NotFound, ValidationFailed, VersionConflict
from newsdesk.models import ArticleStatus, RetractionReason
from newsdesk.retractions import marker_of
from newsdesk.sanitize import plain_text

if TYPE_CHECKING:
    from newsdesk_ops.cli import Runtime, Subparsers
    from newsdesk_ops.target import Target

# The note is published on the tombstone (at most 1 KiB, docs/snapshots.md): short plain text, whose
# JSON form (quotes escaped) stays under 1 KiB with the rest of the tombstone.
MAX_REASON_BYTES = 400
MAX_ATTEMPTS = 8


def register(commands: Subparsers) -> None:
    takedown = commands.add_parser("takedown", help="retract an article as the operator; its tombstone says why")
    takedown.add_argument("article_id", metavar="ID")
    takedown.add_argument(
        "--reason", required=True, help=f"why, in words (published; at most {MAX_REASON_BYTES} bytes of UTF-8)"
    )
    takedown.set_defaults(run=run)


def run(args: argparse.Namespace, runtime: Runtime) -> int:
    record, changed = take_down(runtime.target(), args.article_id, args.reason)
    if not changed:
        print(f"Article {record.article_id} is already taken down ({_why(record)}); nothing changed.")
        return 0
    print(
        f"Article {record.article_id} ({record.headline[:60]}) is taken down at revision {record.revision}: "
        f"{record.retraction_note}. The stream publishes its tombstone."
    )
    return 0


def take_down(
    target: Target, article_id: str, reason: str, *, now: datetime | None = None
) -> tuple[ArticleRecord, bool]:
    """Retract ``article_id`` for ``reason``; (the record, whether it changed). A second takedown changes nothing."""
    note = unicodedata.normalize("NFC", plain_text(reason)).strip()
    if not note or len(note.encode("utf-8")) > MAX_REASON_BYTES:
        raise ValidationFailed(f"--reason must be 1 to {MAX_REASON_BYTES} bytes of text (UTF-8).")
    articles = ArticleStore(target.table_name, client=target.dynamodb_client())
    archive = Archive(target.archive_bucket, client=target.s3_client())
    for _ in range(MAX_ATTEMPTS):
        current = articles.get(article_id) if is_article_id(article_id) else None
        if current is None:
            raise NotFound(f"No article {article_id[:64]}.")
        if current.status is ArticleStatus.RETRACTED and current.retraction_reason is RetractionReason.OPERATOR:
            return current, False
        # A story already down for another reason (the partner's DELETE, canceled, expired) gets the
        # operator's revision too: only that one stops the partner from bringing the story back.
        moment = now or datetime.now(UTC)
        record = replace(
            current,
            revision=current.revision + 1,
            status=ArticleStatus.RETRACTED,
            retraction_reason=RetractionReason.OPERATOR,
            retraction_note=note,
            updated_at=moment,
            received_at=moment,
        )
        key, marker = marker_of(record)
        archive.put_raw(key, marker, partner_id=record.partner_id, content_type="application/json")
        try:
            articles.put_revision(record, previous_revision=current.revision, action="takedown", request_id="operator")
        except RevisionRaced:
            continue
        archive.put_raw(commit_key_for(key), b"", partner_id=record.partner_id, content_type="text/plain")
        return record, True
    raise VersionConflict("The article is being changed right now; run the takedown again.")


def _why(record: ArticleRecord) -> str:
    reason = record.retraction_reason.value if record.retraction_reason else "retracted"
    return f"{reason}: {record.retraction_note}" if record.retraction_note else reason
