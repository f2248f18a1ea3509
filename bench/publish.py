"""Publish: no PUT when nothing changed, work per update independent of history, rebuild throughput.

Issue 3 asks for three figures:

1. Idle: a publish run with nothing changed makes 0 PUTs (a stream record delivered again, and
   a full rebuild over an already published bucket).
2. One update, with 5,000 and then 50,000 stored articles: at most 1 (its file) + the lists it is
   in + 1 (the manifest) PUTs, and the DynamoDB items read for it the same at 50,000 as at 5,000
   (ratio <= 1.05).
3. Full rebuild throughput (articles per second) on the local stack: moto's server over loopback,
   through the code path of ``newsdesk publish --all`` (``newsdesk_ops.cli.main``).

How it is counted: botocore event hooks on the clients publish uses. PUTs are S3 PutObject calls
(to any bucket); items read are what DynamoDB bills: ``ScannedCount`` of each Query/Scan page,
1 for a GetItem that found its item, the items of a BatchGetItem. Figures 1 and 2 run in this
process against moto's in-process ``mock_aws``; figure 3 starts a ``LocalStack`` (without its
stream poller and timers, so that only the rebuild publishes).

Seeding: writing 50,000 articles through the HTTP API, or even through ``ArticleStore.put_revision``
(a transaction; moto copies the whole table for every transaction, so seeding grows
quadratically), takes far longer than the bench may. The stored articles are therefore written as
their CURRENT items (the same attributes and index keys ``put_revision`` writes, through
BatchWriteItem) and only the article the bench updates goes through ``put_revision`` with its
raw bytes in the archive. For the rebuild every article gets its raw ninjs bytes in the archive.

Run alone: ``python -m bench.publish``; or with the rest: ``python -m bench``.
"""

from __future__ import annotations

import contextlib
import io
import os
import time
from collections import Counter
from collections.abc import Iterator
from dataclasses import dataclass, field
from datetime import UTC, datetime, timedelta
from typing import Any

from bench.common import BenchResult, Table, Verdict, emulated_stack, ratio, report
from bench.ingest_overhead import article_document, encode

NAME = "publish"
SMALL_HISTORY = 5_000
LARGE_HISTORY = 50_000
REBUILD_ARTICLES = 2_000
ITEMS_READ_TARGET = 1.05
SECTIONS = ("news", "defence-industry", "aviation", "shipbuilding", "space", "economy", "technology", "world")
OUTLETS = 20
# Seeded articles are older than the one the bench updates, so that adding history does not change
# which articles the updated one's lists show: only the amount of history differs between the runs.
SEEDED_FROM = datetime(2025, 1, 1, tzinfo=UTC)
UPDATED_AT = datetime(2026, 11, 25, 9, 0, tzinfo=UTC)
BATCH_WRITE_SIZE = 25
BENCH_LOCAL_STACK = "newsdesk-bench-local"


# --------------------------------------------------------------------------------------------------
# Counting what publish does, with botocore hooks
# --------------------------------------------------------------------------------------------------


@dataclass
class CallCounter:
    """S3 PUTs and DynamoDB items read (as billed) by the clients it is attached to."""

    puts: int = 0
    items_read: int = 0
    calls: Counter[str] = field(default_factory=Counter)

    def attach(self, events: Any) -> None:
        events.register("before-call.s3.PutObject", self._on_put)
        events.register("after-call.dynamodb", self._on_dynamodb)

    def detach(self, events: Any) -> None:
        events.unregister("before-call.s3.PutObject", self._on_put)
        events.unregister("after-call.dynamodb", self._on_dynamodb)

    def _on_put(self, **_: Any) -> None:
        self.puts += 1

    def _on_dynamodb(self, parsed: dict[str, Any], model: Any, **_: Any) -> None:
        operation = model.name
        self.calls[operation] += 1
        if operation in ("Query", "Scan"):
            self.items_read += int(parsed.get("ScannedCount", 0))
        elif operation == "GetItem":
            self.items_read += 1 if parsed.get("Item") else 0
        elif operation == "BatchGetItem":
            self.items_read += sum(len(items) for items in parsed.get("Responses", {}).values())

    def snapshot(self) -> tuple[int, int]:
        return self.puts, self.items_read


@contextlib.contextmanager
def counted(counter: CallCounter) -> Iterator[dict[str, int]]:
    """The PUTs and items read of the block (the difference of the counter before and after)."""
    puts, items = counter.snapshot()
    calls_before = Counter(counter.calls)
    figures: dict[str, int] = {}
    yield figures
    figures["puts"] = counter.puts - puts
    figures["items_read"] = counter.items_read - items
    figures["calls"] = sum((counter.calls - calls_before).values())


@contextlib.contextmanager
def quiet_stdout() -> Iterator[None]:
    """Publish logs and prints its metrics (EMF) to stdout, as in Lambda; here they go to /dev/null."""
    with open(os.devnull, "w", encoding="utf-8") as sink, contextlib.redirect_stdout(sink):
        yield


# --------------------------------------------------------------------------------------------------
# Articles
# --------------------------------------------------------------------------------------------------


def seeded_record(index: int) -> Any:
    from newsdesk.articles import ArticleRecord
    from newsdesk.models import ArticleStatus

    moment = SEEDED_FROM + timedelta(minutes=index)
    partner = f"outlet-{index % OUTLETS:02d}"
    return ArticleRecord(
        article_id=f"abench{index:09d}",
        partner_id=partner,
        uri=f"urn:newsml:bench.example:{index}",
        revision=1,
        status=ArticleStatus.PUBLISHED,
        content_hash=f"{index:064x}",
        archive_key=f"raw/{partner}/abench{index:09d}/00000001.json",
        headline=f"Сводка предприятий отрасли № {index}",
        language="ru",
        section=SECTIONS[index % len(SECTIONS)],
        outlet=f"Outlet {index % OUTLETS:02d}",
        published_at=moment,
        updated_at=moment,
        received_at=moment,
    )


def current_item(record: Any) -> dict[str, Any]:
    """The CURRENT item ArticleStore.put_revision writes for this record (without its history entry)."""
    from newsdesk.dynamo import to_item
    from newsdesk.store import CURRENT, article_pk, index_attributes

    values = record.model_dump(mode="json")
    values["warnings"] = values["warnings"] or None
    return to_item(
        {"PK": article_pk(record.article_id), "SK": CURRENT, "kind": "article", **values, **index_attributes(record)}
    )


def seed_current_items(dynamodb: Any, table: str, indexes: range, *, with_raw: Any = None) -> None:
    """Write the CURRENT items of the seeded articles ``indexes`` (BatchWriteItem, 25 at a time)."""
    batch: list[dict[str, Any]] = []
    for index in indexes:
        record = seeded_record(index)
        if with_raw is not None:
            with_raw(record, index)
        batch.append({"PutRequest": {"Item": current_item(record)}})
        if len(batch) == BATCH_WRITE_SIZE:
            _write_batch(dynamodb, table, batch)
            batch = []
    if batch:
        _write_batch(dynamodb, table, batch)


def _write_batch(dynamodb: Any, table: str, batch: list[dict[str, Any]]) -> None:
    request: dict[str, Any] = {table: batch}
    while request:
        request = dynamodb.batch_write_item(RequestItems=request).get("UnprocessedItems") or {}


def raw_document(index: int, headline: str | None = None) -> bytes:
    document = article_document(index, f"urn:newsml:bench.example:{index}")
    if headline is not None:
        document["headlines"] = [{"role": "main", "value": headline}]
    return encode(document)


# --------------------------------------------------------------------------------------------------
# Figures 1 and 2: idle runs and one update, at 5,000 and 50,000 stored articles
# --------------------------------------------------------------------------------------------------


@dataclass
class UpdateFigures:
    stored: int
    puts: int
    ceiling: int
    lists: int
    items_read: int
    report_items_read: int
    calls: int
    seconds: float


class UpdateBench:
    """One article updated again and again while the history around it grows."""

    def __init__(self, table: str, archive_bucket: str, snapshot_bucket: str) -> None:
        import boto3

        from newsdesk.archive import Archive
        from newsdesk.settings import Settings
        from newsdesk.snapshot_store import SnapshotStore
        from newsdesk.store import ArticleStore
        from publish.publisher import Publisher

        self.table = table
        self.dynamodb = boto3.client("dynamodb")
        self.s3 = boto3.client("s3")
        self.counter = CallCounter()
        self.counter.attach(self.dynamodb.meta.events)
        self.counter.attach(self.s3.meta.events)
        self.store = ArticleStore(table, client=self.dynamodb)
        self.archive = Archive(archive_bucket, client=self.s3)
        settings = Settings(table_name=table, archive_bucket=archive_bucket, snapshot_bucket=snapshot_bucket)
        self.publisher = Publisher(
            articles=self.store,
            archive=self.archive,
            snapshots=SnapshotStore(snapshot_bucket, table, s3=self.s3, dynamodb=self.dynamodb),
            settings=settings,
        )
        self.current: Any = None

    def seed(self, indexes: range) -> None:
        seed_current_items(self.dynamodb, self.table, indexes)

    def create_updated_article(self) -> Any:
        """The article the bench updates: newest of all, stored the way ingest stores it."""
        from newsdesk.articles import ArticleRecord, archive_key_for
        from newsdesk.models import ArticleStatus

        article_id, partner = "abenchupdated00", "outlet-00"
        record = ArticleRecord(
            article_id=article_id,
            partner_id=partner,
            uri="urn:newsml:bench.example:updated",
            revision=1,
            status=ArticleStatus.PUBLISHED,
            content_hash="1" * 64,
            archive_key=archive_key_for(partner, article_id, 1, "1" * 64),
            headline="Обновляемая статья, редакция 1",
            language="ru",
            section="defence-industry",
            outlet="Outlet 00",
            published_at=UPDATED_AT,
            updated_at=UPDATED_AT,
            received_at=UPDATED_AT,
        )
        self._store(record, previous=None)
        return record

    def _store(self, record: Any, previous: int | None) -> None:
        self.archive.put_raw(
            record.archive_key,
            raw_document(7, record.headline),
            partner_id=record.partner_id,
            content_type="application/json",
        )
        self.store.put_revision(record, previous_revision=previous, action="bench", request_id="bench")
        self.current = record

    def next_revision(self) -> tuple[Any, Any]:
        from newsdesk.articles import archive_key_for

        old = self.current
        revision = old.revision + 1
        content_hash = f"{revision:064x}"
        new = old.model_copy(
            update={
                "revision": revision,
                "content_hash": content_hash,
                "archive_key": archive_key_for(old.partner_id, old.article_id, revision, content_hash),
                "headline": f"Обновляемая статья, редакция {revision}",
                "updated_at": old.updated_at + timedelta(minutes=1),
            }
        )
        self._store(new, previous=old.revision)
        return old, new

    def publish(self, changes: list[Any]) -> tuple[dict[str, int], Any, float]:
        with counted(self.counter) as figures:
            started = time.perf_counter()
            publish_report = self.publisher.publish_changes(changes)
            seconds = time.perf_counter() - started
        return figures, publish_report, seconds

    def update(self, stored: int) -> UpdateFigures:
        from publish.publisher import ArticleChange, lists_of

        old, new = self.next_revision()
        figures, publish_report, seconds = self.publish([ArticleChange(old=old, new=new)])
        lists = len(lists_of(old) | lists_of(new))
        return UpdateFigures(
            stored=stored,
            puts=figures["puts"],
            ceiling=1 + lists + 1,
            lists=lists,
            items_read=figures["items_read"],
            report_items_read=publish_report.items_read,
            calls=figures["calls"],
            seconds=seconds,
        )


def run_in_process() -> dict[str, Any]:
    from publish.publisher import ArticleChange

    with emulated_stack() as stack, quiet_stdout():
        snapshot_bucket = stack.environment["SNAPSHOT_BUCKET"]
        bench = UpdateBench(stack.table_name, stack.archive_bucket, snapshot_bucket)
        started = time.perf_counter()
        bench.seed(range(SMALL_HISTORY))
        created = bench.create_updated_article()
        seed_small_seconds = time.perf_counter() - started

        # The article's first publication: its file, its lists, the schemas and the manifest.
        first, _report, _seconds = bench.publish([ArticleChange(old=None, new=created)])
        # Idle: the same stream record delivered again, and an empty batch.
        redelivered, _report, _seconds = bench.publish([ArticleChange(old=None, new=created)])
        empty, _report, _seconds = bench.publish([])

        small = bench.update(SMALL_HISTORY)

        started = time.perf_counter()
        bench.seed(range(SMALL_HISTORY, LARGE_HISTORY))
        seed_large_seconds = time.perf_counter() - started
        large = bench.update(LARGE_HISTORY)
        # Idle again at 50,000: the last update's record delivered once more.
        last_change = ArticleChange(old=None, new=bench.current)
        redelivered_large, _report, _seconds = bench.publish([last_change])

    return {
        "first_publication": first,
        "idle": {
            "redelivered_at_5000": redelivered["puts"],
            "empty_batch": empty["puts"],
            "redelivered_at_50000": redelivered_large["puts"],
        },
        "updates": [small, large],
        "seed_seconds": {"5000": seed_small_seconds, "45000_more": seed_large_seconds},
    }


# --------------------------------------------------------------------------------------------------
# Figure 3: full rebuild on the local stack, through the CLI
# --------------------------------------------------------------------------------------------------


def run_rebuild_on_local_stack() -> dict[str, Any]:
    import boto3

    from newsdesk.archive import Archive
    from newsdesk_ops import cli
    from newsdesk_ops.local_stack import LocalStack
    from newsdesk_ops.target import Target

    with LocalStack(stack_name=BENCH_LOCAL_STACK, state_file=None, background=False) as stack:
        info = stack.info
        endpoint, region = info["aws_endpoint_url"], info["region"]
        dynamodb = boto3.client("dynamodb", region_name=region, endpoint_url=endpoint)
        s3 = boto3.client("s3", region_name=region, endpoint_url=endpoint)
        archive = Archive(info["archive_bucket"], client=s3)

        def store_raw(record: Any, index: int) -> None:
            archive.put_raw(
                record.archive_key, raw_document(index), partner_id=record.partner_id, content_type="application/json"
            )

        started = time.perf_counter()
        seed_current_items(dynamodb, info["table_name"], range(REBUILD_ARTICLES), with_raw=store_raw)
        seed_seconds = time.perf_counter() - started

        target = Target(
            table_name=info["table_name"],
            archive_bucket=info["archive_bucket"],
            snapshot_bucket=info["snapshot_bucket"],
            endpoint_url=endpoint,
            region=region,
            description="the bench's local stack",
        )
        # The CLI makes its own clients from boto3's default session: count on the session.
        counter = CallCounter()
        session_events = boto3._get_default_session().events
        counter.attach(session_events)
        try:
            runs = []
            for label in ("first rebuild", "rebuild, nothing changed"):
                output = io.StringIO()
                with (
                    counted(counter) as figures,
                    contextlib.redirect_stdout(output),
                    contextlib.redirect_stderr(io.StringIO()),
                ):
                    started = time.perf_counter()
                    exit_code = cli.main(["publish", "--all"], target=target)
                    seconds = time.perf_counter() - started
                summary = [line for line in output.getvalue().splitlines() if line.startswith("Published ")]
                runs.append(
                    {
                        "label": label,
                        "exit_code": exit_code,
                        "seconds": seconds,
                        "articles_per_second": REBUILD_ARTICLES / seconds,
                        "cli_summary": summary[-1] if summary else "",
                        **figures,
                    }
                )
        finally:
            counter.detach(session_events)
        objects = sum(
            page.get("KeyCount", 0)
            for page in s3.get_paginator("list_objects_v2").paginate(Bucket=info["snapshot_bucket"])
        )
    return {"seed_seconds": seed_seconds, "runs": runs, "objects_in_bucket": objects}


# --------------------------------------------------------------------------------------------------
# The result
# --------------------------------------------------------------------------------------------------


def run() -> BenchResult:
    started = time.perf_counter()
    in_process = run_in_process()
    rebuild = run_rebuild_on_local_stack()
    small, large = in_process["updates"]
    idle_puts = max(*in_process["idle"].values(), rebuild["runs"][1]["puts"])
    worst_update = max(small.puts / small.ceiling, large.puts / large.ceiling)
    items_ratio = ratio(large.items_read, small.items_read)

    verdicts = [
        Verdict("PUTs of publish runs with nothing changed (a count; target 0)", float(idle_puts), 0.0),
        Verdict("PUTs of one update / (1 + its lists + 1), worst of 5,000 and 50,000", worst_update, 1.0),
        Verdict(
            f"Items read for one update, {LARGE_HISTORY:,} vs {SMALL_HISTORY:,} stored", items_ratio, ITEMS_READ_TARGET
        ),
    ]
    updates = Table(
        [
            "stored articles",
            "PUTs",
            "ceiling 1+lists+1",
            "lists",
            "items read (hooks)",
            "items read (report)",
            "DynamoDB calls",
            "ms (moto)",
        ],
        [
            [
                f"{figures.stored:,}",
                str(figures.puts),
                str(figures.ceiling),
                str(figures.lists),
                str(figures.items_read),
                str(figures.report_items_read),
                str(figures.calls),
                f"{figures.seconds * 1000:.0f}",
            ]
            for figures in (small, large)
        ],
    )
    idle = Table(
        ["run with nothing changed", "PUTs"],
        [
            ["stream record delivered again (5,000 stored)", str(in_process["idle"]["redelivered_at_5000"])],
            ["empty batch", str(in_process["idle"]["empty_batch"])],
            ["stream record delivered again (50,000 stored)", str(in_process["idle"]["redelivered_at_50000"])],
            [
                f"`newsdesk publish --all` again ({REBUILD_ARTICLES:,} articles, local stack)",
                str(rebuild["runs"][1]["puts"]),
            ],
        ],
    )
    rebuild_table = Table(
        ["run", "articles", "seconds", "articles/s", "PUTs", "items read", "exit"],
        [
            [
                run["label"],
                f"{REBUILD_ARTICLES:,}",
                f"{run['seconds']:.1f}",
                f"{run['articles_per_second']:.0f}",
                str(run["puts"]),
                str(run["items_read"]),
                str(run["exit_code"]),
            ]
            for run in rebuild["runs"]
        ],
    )
    first = in_process["first_publication"]
    notes = [
        "Counted with botocore hooks: PUTs = S3 PutObject calls; items read = ScannedCount of Query/Scan pages, "
        "1 per GetItem that found an item, items returned by BatchGetItem (as DynamoDB bills reads).",
        f"Seeding: the {LARGE_HISTORY:,} stored articles were written as their CURRENT items (the attributes and "
        "sparse index keys ArticleStore.put_revision writes) with BatchWriteItem, not through the API or "
        "put_revision: moto copies the whole table for every transaction, which makes transactional seeding "
        f"quadratic. Only the updated article went through put_revision, with its raw bytes in the archive. "
        f"Seeding took {in_process['seed_seconds']['5000']:.1f} s for 5,000 and "
        f"{in_process['seed_seconds']['45000_more']:.1f} s for 45,000 more.",
        "The seeded articles are older than the updated one, spread over 8 sections and 20 outlets, so the updated "
        "article's lists show the same articles at 5,000 and 50,000: only the history differs.",
        f"First publication of the updated article (new file, 3 lists, schemas, manifest): {first['puts']} PUTs, "
        f"{first['items_read']} items read.",
        "Items read per update: one GetItem of the article's hash record, one Query of the SNAPSHOTS records "
        "(grows with the number of lists and schemas, not with articles) and one Query per touched list "
        "(Limit = list length + changed articles). The 'ms (moto)' column is moto's time, whose GSI queries "
        "scan the whole table in Python; DynamoDB's do not.",
        f"Rebuild: LocalStack (moto server over loopback, background workers off) with {REBUILD_ARTICLES:,} articles "
        f"whose raw ninjs (~5 KB, Cyrillic) is in the archive (seeded in {rebuild['seed_seconds']:.1f} s); "
        "timed around newsdesk_ops.cli.main(['publish', '--all']), progress output discarded. "
        f"The bucket then held {rebuild['objects_in_bucket']:,} objects.",
        "CLI summaries: " + " | ".join(run["cli_summary"] for run in rebuild["runs"]),
        f"Total bench time {time.perf_counter() - started:.0f} s.",
    ]
    return BenchResult(
        name=NAME,
        title="Publish: idle runs, one update at 5,000 vs 50,000 stored articles, full rebuild throughput",
        verdicts=verdicts,
        tables={
            "One update": updates,
            "Runs with nothing changed": idle,
            "Full rebuild on the local stack": rebuild_table,
        },
        notes=notes,
        data={
            "idle_puts": in_process["idle"] | {"rebuild_again": rebuild["runs"][1]["puts"]},
            "updates": [figures.__dict__ for figures in (small, large)],
            "first_publication": first,
            "rebuild": rebuild,
            "seed_seconds": in_process["seed_seconds"],
        },
    )


def main() -> None:
    report(run())


if __name__ == "__main__":
    main()
