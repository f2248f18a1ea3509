"""Items read by ``newsdesk publish --all`` for the same articles as history grows.

Issue 7, part 7: "``newsdesk publish --all`` scans the whole single table: for the same 200
articles, items read went 1,122 -> 3,122 after 2,000 revisions -> 11,122 after 8,000 counter and
dedupe records. Read the current articles from a sparse index so that items read follow the number
of articles."

The history is made the way production makes it, on moto in this process (``bench.support.stack``):

1. a partner (operator CLI) posts 200 articles through the local API gateway; the table's stream
   is delivered to the functions that follow it (publish, view counter) in the template's batch
   sizes, as the local stack would;
2. ``newsdesk publish --all`` (the CLI, ``Publisher.rebuild_all``) runs; botocore hooks on its
   clients count DynamoDB items read as billed: ``ScannedCount`` of each Query and Scan page, 1
   per GetItem that found its item, the items a BatchGetItem returned;
3. 2,000 updates (newer versions of the same articles, 10 each) are posted; the rebuild runs again;
4. readers' views are posted (``POST /v1/events``, 50 a request) until about 8,000 dedupe and
   counter records exist; the rebuild runs a third time.

moto's own cost grows with the table (its Scan and Query walk every item in Python), so the
seconds column measures the emulator more than the code; the items read are what DynamoDB bills.

Issue 3's figures are kept beside them: after each rebuild one article is updated and its stream
batch published (PUTs, at most 1 file + 3 lists + 1 manifest; items read, the same with all the
history as fresh), the same batch is delivered again (no PUT), and the rebuilds themselves, run
after the stream has published everything, write nothing.
"""

from __future__ import annotations

import json
import time
from datetime import UTC, datetime, timedelta
from typing import Any

from bench.common import BenchResult, Table, Verdict, main_of, ratio
from bench.support.articles import article_document, encode
from bench.support.sdk import count_by_name, items_read
from bench.support.stack import LocalStack, local_stack, without_transaction_snapshots

NAME = "publish_reads"
ARTICLES = 200
REVISIONS = 2_000
VIEW_EVENTS = 7_000
QUICK_SCALE = 4  # --quick: a quarter of each
EVENTS_PER_REQUEST = 50
STREAM_EVERY = 100  # deliver the stream after this many article writes (publish's BatchSize)
ITEMS_READ_TARGET = 1.05
UPDATED_ARTICLE = 27
BROWSER = "Mozilla/5.0 (X11; Linux x86_64; rv:128.0) Gecko/20100101 Firefox/128.0"


def _revision(index: int, revision: int) -> bytes:
    document = article_document(index, f"urn:newsml:oboronvedomosti.example:bench:publish:{index}")
    if revision > 1:
        document["version"] = str(revision)
        moment = datetime(2026, 12, 1, tzinfo=UTC) + timedelta(hours=revision)
        document["versioncreated"] = moment.isoformat()
        document["headlines"][0]["value"] += f" (редакция {revision})"
    return encode(document)


def rebuild(stack: LocalStack, label: str) -> dict[str, Any]:
    started = time.perf_counter()
    with stack.log.segment() as calls:
        code, output = stack.cli("publish", "--all")
    seconds = time.perf_counter() - started
    if code != 0:
        raise RuntimeError(f"newsdesk publish --all exited {code}: {output}")
    summary = [line for line in output.splitlines() if line.startswith("Published ")]
    return {
        "label": label,
        "puts": sum(1 for c in calls if c.service == "s3" and c.operation == "PutObject"),
        "items_read": items_read(calls),
        "calls": dict(sorted(count_by_name([c for c in calls if c.service == "dynamodb"]).items())),
        "table_items": stack.table_item_count(),
        "items_by_kind": stack.item_kinds(),
        "seconds": seconds,
        "cli_summary": summary[-1] if summary else "",
    }


def one_update(stack: LocalStack, headers: dict[str, str], revisions: list[int]) -> dict[str, Any]:
    """Issue 3's figure: one article updated, its stream record published; PUTs and items read of publish."""
    publish = stack.function_for("publish.")
    # Article 27 is among the newest (its firstcreated is the 28th of the month, the latest day),
    # so it is shown in its lists and an update rewrites them.
    index = UPDATED_ARTICLE % len(revisions)
    revisions[index] += 1
    response = stack.request("POST", "/v1/articles", body=_revision(index, revisions[index]), headers=headers)
    if response.status != 200:
        raise RuntimeError(f"update answered {response.status}: {response.body[:300]!r}")
    with stack.log.segment() as calls:
        stack.pump(only={publish})
    own = [call for call in calls if call.origin == publish]
    with stack.log.segment() as again:  # the same stream batch delivered once more: nothing to write
        stack.invoke(publish, stack.last_invocation(publish).event)
    return {
        "puts": sum(1 for c in own if c.service == "s3" and c.operation == "PutObject"),
        "items_read": items_read(own),
        "calls": len([c for c in own if c.service == "dynamodb"]),
        "redelivered_puts": sum(1 for c in again if c.service == "s3" and c.operation == "PutObject"),
    }


def measure(articles: int, revisions: int, view_events: int) -> tuple[list[dict[str, Any]], dict[str, Any]]:
    phases: list[dict[str, Any]] = []
    seconds: dict[str, float] = {}
    with local_stack() as stack, without_transaction_snapshots():
        key = stack.add_partner("Оборонные ведомости", "oborona", section="defence-industry")
        headers = {"authorization": f"Bearer {key}", "content-type": "application/json; charset=utf-8"}

        started = time.perf_counter()
        ids: list[str] = []
        revision_of = [1] * articles  # the latest revision posted, by article
        for index in range(articles):
            response = stack.request("POST", "/v1/articles", body=_revision(index, 1), headers=headers)
            if response.status != 201:
                raise RuntimeError(f"POST answered {response.status}: {response.body[:300]!r}")
            ids.append(response.json()["id"])
            if (index + 1) % STREAM_EVERY == 0:
                stack.pump()
        stack.pump()
        seconds["post articles"] = time.perf_counter() - started
        phases.append(rebuild(stack, f"{articles} articles, fresh"))
        phases[-1]["update"] = one_update(stack, headers, revision_of)
        stack.pump()

        started = time.perf_counter()
        for number in range(revisions):
            index = number % articles
            revision_of[index] += 1
            response = stack.request("POST", "/v1/articles", body=_revision(index, revision_of[index]), headers=headers)
            if response.status != 200:
                raise RuntimeError(f"update answered {response.status}: {response.body[:300]!r}")
            if (number + 1) % STREAM_EVERY == 0:
                stack.pump()
        stack.pump()
        seconds["post revisions"] = time.perf_counter() - started
        phases.append(rebuild(stack, f"after {revisions:,} more revisions"))
        phases[-1]["update"] = one_update(stack, headers, revision_of)
        stack.pump()

        started = time.perf_counter()
        before = stack.table_item_count()
        requests = view_events // EVENTS_PER_REQUEST
        for number in range(requests):
            events = [
                {
                    "type": "view",
                    "article_id": ids[(number * EVENTS_PER_REQUEST + k) % articles],
                    "visitor": f"reader-{number}-{k}",
                }
                for k in range(EVENTS_PER_REQUEST)
            ]
            response = stack.request(
                "POST",
                "/v1/events",
                body=json.dumps(events).encode(),
                headers={"content-type": "application/json", "user-agent": BROWSER},
            )
            if response.status != 202 or response.json().get("accepted") != EVENTS_PER_REQUEST:
                raise RuntimeError(f"POST /v1/events answered {response.status}: {response.body[:300]!r}")
            if (number + 1) % 20 == 0:  # 1,000 views: the view counter's BatchSize
                stack.pump()
        stack.pump()
        seconds["post views"] = time.perf_counter() - started
        added = stack.table_item_count() - before
        phases.append(rebuild(stack, f"after {requests * EVENTS_PER_REQUEST:,} views ({added:,} records added)"))
        phases[-1]["update"] = one_update(stack, headers, revision_of)
    return phases, {"setup_seconds": seconds, "records_added_by_views": added}


def run(quick: bool = False) -> BenchResult:
    started = time.perf_counter()
    scale = QUICK_SCALE if quick else 1
    articles, revisions, view_events = ARTICLES // scale, REVISIONS // scale, VIEW_EVENTS // scale
    phases, facts = measure(articles, revisions, view_events)
    fresh, revised, viewed = phases
    verdicts = [
        Verdict(
            "items read by publish --all, after revisions vs fresh (same articles)",
            ratio(revised["items_read"], fresh["items_read"]),
            ITEMS_READ_TARGET,
        ),
        Verdict(
            "items read by publish --all, after revisions and views vs fresh (same articles)",
            ratio(viewed["items_read"], fresh["items_read"]),
            ITEMS_READ_TARGET,
        ),
        Verdict(
            "items read by publish for one update, with all the history vs fresh (issue 3)",
            ratio(viewed["update"]["items_read"], fresh["update"]["items_read"]),
            ITEMS_READ_TARGET,
        ),
        Verdict(
            "PUTs of publish runs with nothing changed: rebuilds after the stream, a stream batch delivered "
            "again (a count; issue 3 target 0)",
            float(sum(p["puts"] for p in phases) + sum(p["update"]["redelivered_puts"] for p in phases)),
            0.0,
        ),
        Verdict(
            "PUTs of one update / (1 + its 3 lists + 1), worst phase (issue 3)",
            max(p["update"]["puts"] for p in phases) / 5,
            1.0,
        ),
    ]
    table = Table(
        ["state of the table", "items in table", "items read", "per article", "DynamoDB calls", "seconds (moto)"],
        [
            [
                p["label"],
                f"{p['table_items']:,}",
                f"{p['items_read']:,}",
                f"{p['items_read'] / articles:.1f}",
                ", ".join(f"{name.split(':')[1]} {count}" for name, count in p["calls"].items()),
                f"{p['seconds']:.1f}",
            ]
            for p in phases
        ],
    )
    updates = Table(
        [
            "state of the table",
            "one update: PUTs (ceiling 5)",
            "items read",
            "DynamoDB calls",
            "same batch again: PUTs",
            "rebuild: PUTs",
        ],
        [
            [
                p["label"],
                str(p["update"]["puts"]),
                str(p["update"]["items_read"]),
                str(p["update"]["calls"]),
                str(p["update"]["redelivered_puts"]),
                str(p["puts"]),
            ]
            for p in phases
        ],
    )
    kinds = Table(
        ["kind of item (PK prefix)", *(p["label"] for p in phases)],
        [
            [kind, *(str(p["items_by_kind"].get(kind, 0)) for p in phases)]
            for kind in sorted({k for p in phases for k in p["items_by_kind"]})
        ],
    )
    notes = [
        f"{articles} articles of one partner (~5 KB ninjs each), {revisions:,} updates (newer versions, "
        f"{revisions // max(articles, 1)} per article), {view_events:,} views by distinct readers in requests of "
        f"{EVENTS_PER_REQUEST}; the stream delivered after every {STREAM_EVERY} article writes and every 1,000 views.",
        "Items read = ScannedCount of Query/Scan pages + GetItems that found an item + items of BatchGetItem, counted "
        "by botocore hooks on the CLI's clients.",
        "CLI summaries: " + " | ".join(p["cli_summary"] for p in phases),
        "Setup seconds: "
        + ", ".join(f"{k} {v:.0f} s" for k, v in facts["setup_seconds"].items())
        + f"; bench took {time.perf_counter() - started:.0f} s.",
    ]
    return BenchResult(
        name=NAME,
        title="Items read by `newsdesk publish --all` for the same articles as history grows",
        verdicts=verdicts,
        tables={
            "publish --all": table,
            "Publish of one update, and runs with nothing changed (issue 3)": updates,
            "What the table holds": kinds,
        },
        notes=notes,
        data={"articles": articles, "revisions": revisions, "view_events": view_events, "phases": phases, **facts},
    )


def main() -> None:
    main_of(run)


if __name__ == "__main__":
    main()
