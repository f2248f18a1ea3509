"""Publishing: from the articles' current state in the table to the JSON snapshots the website reads.

Three entry points share one set of rules (the timer that releases embargoes and takes down
expired stories only changes the table: :mod:`publish.timer`):

- :meth:`Publisher.publish_article` and :meth:`Publisher.publish_lists` — a batch of article changes
  (the table's stream): each changed article's file (per record, so that a poisoned record fails
  alone), then only the lists those articles enter, leave or change within, then the manifest.
- :meth:`Publisher.publish_trending` — the TRENDING item written by the trending function:
  ``v1/trending.json`` and ``v1/counters.json``, then the manifest.
- :meth:`Publisher.rebuild_all` — every article, every list, the trending files, the schemas, the
  section index and the manifest (``newsdesk publish --all``).

Whenever lists are written, so are the schemas, ``v1/sections.json`` and an (empty) list for every
configured section that has none yet; their hash records make them no-ops once they are there.

Article pages are rendered from the normalized article ingest stored beside the raw bytes: publish
never validates or sanitizes a partner's document again.

Lists are one Query on a sparse index each. Indexes are eventually consistent, so the batch's own
changes are laid over the query result, and the other members are read again from the table
(consistently) before the list is written: a lagging index neither loses the change being published
nor brings back a story retracted a moment ago.

No writer replaces a file with an older state, and a withdrawn story leaves the rankings in the
run that writes its tombstone (docs/snapshots.md, "Concurrent writers").
"""

from __future__ import annotations

import hashlib
import json
from collections.abc import Callable, Iterable
from dataclasses import dataclass, field, replace
from datetime import UTC, datetime
from functools import partial
from typing import Any

from newsdesk.articles import ArticleRecord, record_to_json
from newsdesk.dal.archive import Archive
from newsdesk.dal.articles import ArticleStore
from newsdesk.dal.engagement import CounterStore
from newsdesk.dal.snapshots import PublishedFile, SnapshotRaced, SnapshotStore
from newsdesk.dal.withdrawn import WithdrawnStore
from newsdesk.models import ArticleStatus, content_from_json
from newsdesk.observability import logger
from newsdesk.sections import section_map
from newsdesk.settings import Settings
from newsdesk.snapshots import (
    COUNTERS_PATH,
    MANIFEST_PATH,
    PREFIX,
    SECTIONS_PATH,
    TRENDING_PATH,
    ManifestEntry,
    ManifestSnapshot,
    Rankings,
    SchemaEntry,
    article_path,
    article_snapshot,
    changed_at,
    json_schemas,
    render,
    render_json,
    schema_fingerprint,
    schema_path,
    sections_snapshot,
    tombstone_snapshot,
)
from publish.changes import (
    ArticleChange,
    ListKey,
    is_published,
    list_for_path,
    lists_of,
    merged,
    ranking_moves,
    section_list,
    touched_lists,
)
from publish.feeds import is_feed, publish_feeds
from publish.lists import render_list
from publish.media import MediaStore, file_order, media_for
from publish.pages import DayKey, DayPageWriter, days_of, touched_days

# A list or the manifest written by two publishers at once: re-read and write again, a few times.
MAX_SHARED_WRITE_ATTEMPTS = 3

Progress = Callable[[int, int], None]
Rendered = tuple[bytes, datetime | None]  # a file's bytes and its generation time


@dataclass
class PublishReport:
    """What one publish run did, as the operator's command and the logs report it."""

    articles: int = 0
    lists: int = 0
    files_written: int = 0
    files_unchanged: int = 0
    failed: list[str] = field(default_factory=list)  # article ids (rebuild_all only)

    def count(self, written: bool | None) -> None:
        """Tally one file's outcome: PUT, left as it was, or (None) no file for this state."""
        if written is not None:
            self.files_written += written
            self.files_unchanged += not written


def source_stamp(record: ArticleRecord) -> str:
    """Identifies what an article file was rendered from: the record and the snapshot models."""
    text = json.dumps(record_to_json(record), sort_keys=True) + "\n" + schema_fingerprint()
    return hashlib.sha256(text.encode("utf-8")).hexdigest()[:32]


class Publisher:
    def __init__(
        self,
        articles: ArticleStore,
        archive: Archive,
        snapshots: SnapshotStore,
        settings: Settings,
        counters: CounterStore | None = None,
        withdrawn: WithdrawnStore | None = None,
        media: MediaStore | None = None,
    ) -> None:
        self.articles = articles
        self.archive = archive
        self.snapshots = snapshots
        # Where the latest rankings are kept: read by a full rebuild, and when a ranked story is
        # withdrawn (otherwise the stream brings the rankings).
        self.counters = counters
        self.withdrawn = withdrawn
        self.media = media  # the articles' media items (None: every picture shows as pending)
        self.list_length = settings.list_length
        self.settings = settings
        self.pages = DayPageWriter(articles, snapshots)  # the lists' day pages (publish/pages.py)

    @classmethod
    def from_settings(cls, settings: Settings) -> Publisher:
        """The publisher of the deployed (or local) stack: table, archive and snapshot bucket."""
        if not settings.snapshot_bucket:
            raise ValueError("SNAPSHOT_BUCKET is not set: publish has nowhere to write")
        return cls(
            articles=ArticleStore(settings.table_name),
            archive=Archive(settings.archive_bucket),
            snapshots=SnapshotStore(settings.snapshot_bucket, settings.table_name),
            settings=settings,
            counters=CounterStore(settings.table_name),
            withdrawn=WithdrawnStore(settings.table_name),
            media=MediaStore(settings.table_name),
        )

    # --- Entry points --------------------------------------------------------------------------------

    def rebuild_all(self, progress: Progress | None = None, *, force: bool = False) -> PublishReport:
        """Publish every article, every list, the schemas and the manifest from the table.

        Reads every article's current state (the article index, not the table's history) and, for
        articles whose file is out of date, their normalized form. Without ``force`` files that are
        already right are neither rendered nor written; with it every file is PUT again (restoring a
        bucket that lost objects). One article that cannot be published does not stop the rest: it is
        logged and listed in ``failed``.
        """
        report = PublishReport()
        records = list(self.articles.all_current())
        total = len(records)
        lists: set[ListKey] = set()
        for done, record in enumerate(records, start=1):
            try:
                report.count(self.publish_article(ArticleChange(old=None, new=record), force=force))
            except Exception:
                logger.exception("article not published", extra={"article_id": record.article_id})
                report.failed.append(record.article_id)
            lists |= lists_of(record)
            report.articles += 1
            if progress is not None:
                progress(done, total)
        known = self.snapshots.published_files()
        # Lists written before stay (possibly empty now), exactly as incremental publishing leaves them.
        lists |= {key for path in known if (key := list_for_path(path)) is not None}
        stored = self.counters.get_trending() if self.counters is not None else None
        if stored is not None:
            # Whatever the stored rankings say, only stories published now are ranked.
            unpublished = {record.article_id for record in records if not is_published(record)}
            self._write_trending(stored.rankings(), known, force=force, report=report, leave_out=unpublished)
        days = {day for record in records for day in days_of(record)} | self.pages.published_days(lists)
        report.lists = self._publish_shared(sorted(lists), {}, known, force=force, report=report, days=days, full=True)
        return report

    def publish_trending(self, rankings: Rankings) -> None:
        """Write the trending and counters files the TRENDING item holds, then the manifest.

        Stories withdrawn since (or while) the trending function ranked them are left out.
        """
        known = self.snapshots.published_files()
        self._write_trending(rankings, known, force=False)
        self._write_shared(MANIFEST_PATH, lambda: _render_manifest(known), known, force=False)

    def withdraw_from_rankings(self, changes: Iterable[ArticleChange], now: datetime | None = None) -> bool:
        """Stories this batch took out of publication leave the rankings now, with their tombstones.

        Remembers them (so rankings stored later leave them out too), then rewrites the trending
        and counters files if they show any of them. A story that comes back is forgotten. Reads
        and writes nothing for a batch that withdraws nothing. Returns whether the files changed.
        """
        gone, back = ranking_moves(changes)
        if self.withdrawn is None or not (gone or back):
            return False
        self.withdrawn.restore(back)
        if not gone:
            return False
        self.withdrawn.withdraw(gone, now or datetime.now(UTC))
        stored = self.counters.get_trending() if self.counters is not None else None
        if stored is None:
            return False
        rankings = stored.rankings()
        if not rankings.article_ids() & set(gone):
            return False
        known = self.snapshots.published_files()
        self._write_trending(rankings, known, force=False, leave_out=gone)
        self._write_shared(MANIFEST_PATH, lambda: _render_manifest(known), known, force=False)
        logger.info("withdrawn stories left the rankings", extra={"article_ids": gone})
        return True

    def _recently_withdrawn(self) -> set[str]:
        return self.withdrawn.recent() if self.withdrawn is not None else set()

    def _write_trending(
        self,
        rankings: Rankings,
        known: dict[str, PublishedFile],
        *,
        force: bool,
        report: PublishReport | None = None,
        leave_out: Iterable[str] = (),
    ) -> None:
        """Write trending.json and counters.json without the stories withdrawn by then.

        Each attempt reads them again: a retraction published while this writer rendered (its PUT
        then loses the condition) is not undone by the retry.
        """
        report = report or PublishReport()
        for path in rankings.files():
            rendered = partial(self._render_rankings, rankings, path, leave_out)
            report.count(self._write_shared(path, rendered, known, force=force))

    def _render_rankings(self, rankings: Rankings, path: str, leave_out: Iterable[str]) -> Rendered:
        snapshot = rankings.without(self._recently_withdrawn().union(leave_out)).files()[path]
        return render(snapshot), snapshot.generated_at

    # --- Steps ---------------------------------------------------------------------------------------

    def publish_article(self, change: ArticleChange, *, force: bool = False) -> bool | None:
        """Write the article's file for its new state: the page, a tombstone, or nothing.

        A tombstone replaces a file that was published before; an article that was never
        published gets no file (None). Otherwise returns whether a PUT happened.
        """
        record = change.new
        if record is None:
            # The item itself was deleted: treat it as retracted.
            if change.old is None:
                return None
            record = replace(change.old, status=ArticleStatus.RETRACTED)
        path = article_path(record.article_id)
        known = self.snapshots.published_file(path)
        order = file_order(record)
        if known is not None and known.state_order is not None and known.state_order > order:
            # A later state of the article is already published: this writer read an older one.
            logger.info("older state not published", extra={"article_id": record.article_id, "path": path})
            return False
        stamp = source_stamp(record)
        if is_published(record):
            if known is not None and known.source == stamp and known.confirmed and not force:
                return False
            content = content_from_json(self.archive.get_normalized(record.normalized_key))
            body = render(article_snapshot(record, content, media_for(self.media, record, content)))
        elif known is None:
            return None
        else:
            body = render(tombstone_snapshot(record))
        return self.snapshots.write_article_file(
            path, body, changed_at(record), state_order=order, known=known, source=stamp, force=force
        )

    def publish_lists(self, changes: Iterable[ArticleChange]) -> int:
        """Rewrite the lists the changed articles enter, leave or change within, then the manifest.

        Returns the number of lists considered; nothing is read when no list is touched.
        """
        changes = list(changes)
        touched = touched_lists(changes)
        if not touched:
            return 0
        overlay = {change.article_id: change.new for change in merged(changes)}
        known = self.snapshots.published_files()
        return self._publish_shared(sorted(touched), overlay, known, days=touched_days(changes), changes=changes)

    # --- Lists, schemas, manifest --------------------------------------------------------------------

    def _publish_shared(
        self,
        lists: list[ListKey],
        overlay: dict[str, ArticleRecord | None],
        known: dict[str, PublishedFile],
        *,
        force: bool = False,
        report: PublishReport | None = None,
        days: set[DayKey] | frozenset[DayKey] = frozenset(),
        full: bool = False,
        changes: list[ArticleChange] | None = None,
    ) -> int:
        report = report or PublishReport()
        # Day pages before the head lists that link to them; feeds after the lists they show. With the
        # batch's changes, a day that only grows at its end is rendered from its end (publish/pages.py).
        written = self.pages.publish(days, overlay, force=force, count=report.count, changes=changes)
        # Every configured section has a list from the first publish on, empty until a story enters
        # it, so that no link of v1/sections.json is a 404. Once written, they are known: no cost.
        unwritten = [
            key for slug in section_map().sections if (key := section_list(slug)) not in lists and key.path not in known
        ]
        for key in [*lists, *unwritten]:
            render_file = partial(
                render_list,
                key,
                overlay,
                articles=self.articles,
                snapshots=self.snapshots,
                list_length=self.list_length,
            )
            changed = self._write_shared(key.path, render_file, known, force=force)
            report.count(changed)
            written |= {key.path} if changed else set()
        write, touched = partial(self._write_shared, force=force), written | {key.path for key in lists}
        publish_feeds(self.snapshots, touched, known, self.settings, write=write, count=report.count, every=full)
        for kind, schema in json_schemas().items():
            report.count(self._write_shared(schema_path(kind), partial(_render_schema, schema), known, force=force))
        report.count(self._write_shared(SECTIONS_PATH, _render_sections, known, force=force))
        report.count(self._write_shared(MANIFEST_PATH, lambda: _render_manifest(known), known, force=force))
        return len(lists)

    def _write_shared(
        self,
        path: str,
        render_file: Callable[[], tuple[bytes, datetime | None]],
        known: dict[str, PublishedFile],
        *,
        force: bool,
    ) -> bool:
        """Write one list, schema or the manifest; if another publisher raced us, re-read and rewrite.

        Returns whether a PUT happened.
        """
        for attempt in range(1, MAX_SHARED_WRITE_ATTEMPTS + 1):
            body, generated_at = render_file()
            try:
                written = self.snapshots.write_if_changed(
                    path, body, generated_at, known=known.get(path), look_up=False, force=force
                )
            except SnapshotRaced as raced:
                if attempt == MAX_SHARED_WRITE_ATTEMPTS:
                    raise
                # Render again from fresh reads, against what the other writer left in the bucket.
                logger.warning("snapshot written concurrently; rendering again", extra={"path": path})
                if raced.current is None:
                    known.pop(path, None)
                else:
                    known[path] = raced.current
                force = False
                continue
            if written is not None:
                known[path] = written
            return written is not None
        raise AssertionError("unreachable: the last attempt returns or raises")


def _render_schema(schema: dict[str, Any]) -> tuple[bytes, datetime | None]:
    return render_json(schema), None


def _render_sections() -> tuple[bytes, datetime | None]:
    # From the deployed config alone: no time of its own (the manifest's generated_at ignores it).
    return render(sections_snapshot(section_map())), None


def _render_manifest(known: dict[str, PublishedFile]) -> tuple[bytes, datetime | None]:
    entries = [
        ManifestEntry(path=file.path, sha256=file.sha256, generated_at=file.generated_at)
        for path, file in sorted(known.items())
        if list_for_path(path) is not None or path in (TRENDING_PATH, COUNTERS_PATH, SECTIONS_PATH) or is_feed(path)
    ]
    schemas = [
        SchemaEntry(path=file.path, sha256=file.sha256)
        for path, file in sorted(known.items())
        if path.startswith(f"{PREFIX}schemas/")
    ]
    generated_at = max((entry.generated_at for entry in entries if entry.generated_at), default=None)
    manifest = ManifestSnapshot(generated_at=generated_at, entries=entries, schemas=schemas)
    return render(manifest), generated_at
