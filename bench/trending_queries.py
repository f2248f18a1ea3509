"""DynamoDB calls of one trending run at the default window, and what the local timers cost an idle stack.

Issue 7, part 7: "One trending run makes 384 Queries at the default 48-hour window (window hours x 4
partitions x views and comments); keep the items read as today but bring the calls to the order of
the window hours (for example hourly rollups), and say what the 5-second local timers cost an idle
stack."
It also keeps issue 4's figures: counter writes per 1,000 views of 50 articles, and the CPU of
ranking 100,000 articles with the heap top-k against a full sort.

1. One run: on moto in this process (``bench.support.stack``), a partner posts articles, readers'
   views go through ``POST /v1/events`` and the view counter (the table's stream), the site posts
   comment counts; then the trending function gets its scheduled event with the template's window
   (TRENDING_WINDOW_HOURS). Its DynamoDB calls are counted with botocore hooks (only the trending
   function's own calls), items read as billed.
2. Idle stack: the operator's local stack (``newsdesk_ops.local_stack.LocalStack``: moto's server
   on loopback, the functions in process) with nothing in it; every enabled schedule of the
   template is fired as its timer would, tick after tick. Per tick: the functions' SDK calls, and
   the CPU time of the whole process (functions, SDK and the moto server's threads); per minute at
   the local timer period (``NEWSDESK_LOCAL_TIMER_SECONDS``, 5 s by default).
"""

from __future__ import annotations

import gc
import json
import random
import statistics
import time
from datetime import UTC, datetime
from itertools import islice
from typing import Any

from bench.common import BenchResult, Table, Verdict, main_of, ratio
from bench.support import compat
from bench.support.articles import article_document, encode
from bench.support.sdk import SdkLog, count_by_name, items_read, items_written, watch_clients
from bench.support.stack import local_stack, quiet, without_transaction_snapshots

NAME = "trending_queries"
ARTICLES = 20
READERS = 30
IDLE_TICKS = 6
QUICK_IDLE_TICKS = 3
# "Of the order of the window hours": at most two calls per hour of the window (today: eight).
CALLS_PER_WINDOW_HOUR_TARGET = 2.0
WRITES_ARTICLES = 50
WRITES_EVENTS = 1000
RANKED_ARTICLES = 100_000
SECTIONS = 8
LIST_LENGTH = 10
CPU_ROUNDS = 7
BROWSER = "Mozilla/5.0 (X11; Linux x86_64; rv:128.0) Gecko/20100101 Firefox/128.0"


def post_articles(stack: Any, headers: dict[str, str], count: int, tag: str) -> list[str]:
    """POST ``count`` new stories through the local HTTP stack, let publish run; their ids in order."""
    ids = []
    for index in range(count):
        document = article_document(index, f"urn:newsml:oboronvedomosti.example:bench:{tag}:{index}")
        response = stack.request("POST", "/v1/articles", body=encode(document), headers=headers)
        if response.status != 201:
            raise RuntimeError(f"POST answered {response.status}: {response.body[:300]!r}")
        ids.append(response.json()["id"])
    stack.pump()
    return ids


def one_run() -> dict[str, Any]:
    now = datetime.now(UTC).replace(microsecond=0)
    with local_stack() as stack, without_transaction_snapshots():
        key = stack.add_partner("Оборонные ведомости", "oborona", section="defence-industry")
        code, output = stack.cli("partners", "add", "Сайт", "--id", "site", "--role", "site")
        if code != 0:
            raise RuntimeError(f"partners add --role site failed: {output}")
        site_key = output.splitlines()[
            output.splitlines().index(next(line for line in output.splitlines() if line.startswith("Key "))) + 1
        ].strip()
        headers = {"authorization": f"Bearer {key}", "content-type": "application/json; charset=utf-8"}
        ids = post_articles(stack, headers, ARTICLES, "trending")
        # Views: article i is read by READERS - i readers, so the ranking has an order.
        views = [
            {"type": "view", "article_id": article_id, "visitor": f"reader-{reader}"}
            for index, article_id in enumerate(ids)
            for reader in range(READERS - index)
        ]
        for start in range(0, len(views), 50):
            response = stack.request(
                "POST",
                "/v1/events",
                body=json.dumps(views[start : start + 50]).encode(),
                headers={"content-type": "application/json", "user-agent": BROWSER},
            )
            if response.status != 202:
                raise RuntimeError(f"POST /v1/events answered {response.status}: {response.body[:300]!r}")
        comments = [
            {"type": "comments", "article_id": article_id, "count": 5 + index}
            for index, article_id in enumerate(ids[:10])
        ]
        response = stack.request(
            "POST",
            "/v1/events",
            body=json.dumps(comments).encode(),
            headers={"content-type": "application/json", "authorization": f"Bearer {site_key}"},
        )
        if response.status != 202:
            raise RuntimeError(f"comment counts answered {response.status}: {response.body[:300]!r}")
        stack.pump()
        trending = stack.function_for("trending.app")
        window = stack.function_environment(trending).get("TRENDING_WINDOW_HOURS", "48")
        with stack.log.segment() as calls:
            stack.schedule(trending, now)
        result = stack.last_invocation(trending).result
        own = [call for call in calls if call.origin == trending and call.service == "dynamodb"]
        return {
            "window_hours": int(window),
            "calls": dict(sorted(count_by_name(own).items())),
            "queries": sum(1 for call in own if call.operation == "Query"),
            "all_calls": len(own),
            "items_read": items_read(own),
            "answer": result,
            "items_by_kind": stack.item_kinds(),
            "views": len(views),
        }


def counter_writes() -> dict[str, Any]:
    """Issue 4's figure: 1,000 views of 50 articles by 20 readers, 20 requests in random arrival order.

    The events route writes dedupe records; the view counter turns each stream batch (the
    template's batch size) into counter writes. Target: at most one counter write per article.
    """
    with local_stack() as stack, without_transaction_snapshots():
        key = stack.add_partner("Оборонные ведомости", "oborona", section="defence-industry")
        headers = {"authorization": f"Bearer {key}", "content-type": "application/json; charset=utf-8"}
        ids = post_articles(stack, headers, WRITES_ARTICLES, "counting")
        views = [
            {"type": "view", "article_id": article_id, "visitor": f"reader-{reader}"}
            for reader in range(WRITES_EVENTS // WRITES_ARTICLES)
            for article_id in ids
        ]
        random.Random(5).shuffle(views)
        events_route = stack.function_for("ingest.")
        counter = next(
            source.function_logical_id
            for source in compat.stream_sources(stack.template)
            if source.handler.startswith("trending.")
        )
        with stack.log.segment() as request_calls:
            for start in range(0, len(views), 50):
                response = stack.request(
                    "POST",
                    "/v1/events",
                    body=json.dumps(views[start : start + 50]).encode(),
                    headers={"content-type": "application/json", "user-agent": BROWSER},
                )
                if response.status != 202:
                    raise RuntimeError(f"POST /v1/events answered {response.status}")
        with stack.log.segment() as stream_calls:
            stack.pump()
        request_writes = [c for c in request_calls if c.origin == events_route]
        counter_calls = [c for c in stream_calls if c.origin == counter]
        return {
            "events": len(views),
            "articles": WRITES_ARTICLES,
            "request_writes": items_written(request_writes),
            "counter_writes": items_written(counter_calls),
            "counter_calls": dict(count_by_name([c for c in counter_calls if c.service == "dynamodb"])),
            "counter_invocations": sum(1 for i in stack.invocations if i.function == counter),
            "batch_size": next(
                s.batch_size for s in compat.stream_sources(stack.template) if s.function_logical_id == counter
            ),
        }


def ranking_cpu() -> dict[str, float] | str:
    """Issue 4's figure: CPU of ranking 100,000 articles, the heap top-k of newsdesk.trending vs a full sort."""
    try:
        from newsdesk.trending import METRICS, ArticleActivity, ranked
    except ImportError as error:
        return f"not measured: {error}"
    rng = random.Random(17)
    activities = [
        ArticleActivity(
            article_id=f"a{n:06d}",
            section=f"section-{n % SECTIONS}",
            views=(views := int(rng.paretovariate(1.2))),
            read_score=views * rng.random(),
            comments=int(rng.paretovariate(1.5)) - 1,
        )
        for n in range(RANKED_ARTICLES)
    ]
    groups = [activities] + [[a for a in activities if a.section == f"section-{s}"] for s in range(SECTIONS)]

    def heap_top_k() -> list[list[Any]]:
        return [list(islice(ranked(group, metric, 3), LIST_LENGTH)) for metric in METRICS for group in groups]

    def full_sort() -> list[list[Any]]:
        # The same filter and order as trending.ranked, by a full sort.
        read = [
            sorted((a for a in g if a.views >= 3), key=lambda a: (-a.read_score, a.article_id))[:LIST_LENGTH]
            for g in groups
        ]
        discussed = [
            sorted((a for a in g if a.comments >= 3), key=lambda a: (-float(a.comments), a.article_id))[:LIST_LENGTH]
            for g in groups
        ]
        return read + discussed

    if heap_top_k() != full_sort():
        raise RuntimeError("the two rankings disagree")
    times: dict[str, list[float]] = {"heap": [], "sort": []}
    for round_ in range(CPU_ROUNDS):
        # Alternating order; the garbage collector paused while timing (as timeit does).
        for name in ("heap", "sort") if round_ % 2 == 0 else ("sort", "heap"):
            gc.collect()
            gc.disable()
            try:
                started = time.process_time()
                heap_top_k() if name == "heap" else full_sort()
                times[name].append(time.process_time() - started)
            finally:
                gc.enable()
    return {"heap_s": statistics.median(times["heap"]), "sort_s": statistics.median(times["sort"])}


def idle_stack(ticks: int) -> dict[str, Any]:
    """Fire every enabled schedule of the template on an empty local stack, tick after tick."""
    log = SdkLog()
    with watch_clients(log), quiet():
        local = compat.LocalStack(state_file=None, background=False)
        local.start()
        try:
            running = local.running
            sources = [source for source in compat.schedule_sources(running.template) if source.enabled]
            per_tick: list[dict[str, Any]] = []
            for tick in range(ticks + 1):  # the first tick warms the functions up and is not counted
                start_cpu, start_wall, mark = time.process_time(), time.perf_counter(), log.mark()
                for source in sources:
                    event = {
                        "version": "0",
                        "id": f"bench-{tick}",
                        "detail-type": "Scheduled Event",
                        "source": "aws.events",
                        "account": "123456789012",
                        "time": datetime.now(UTC).strftime("%Y-%m-%dT%H:%M:%SZ"),
                        "region": running.region,
                        "resources": [f"arn:aws:events:{running.region}:123456789012:rule/bench"],
                        "detail": {},
                    }
                    running.functions.invoke(source.function_logical_id, event)
                calls = [call for call in log.since(mark) if call.origin == ""]
                if tick:
                    per_tick.append(
                        {
                            "cpu_s": time.process_time() - start_cpu,
                            "wall_s": time.perf_counter() - start_wall,
                            "calls": len(calls),
                            "by_name": dict(count_by_name(calls)),
                            "items_read": items_read(calls),
                        }
                    )
            schedules = [f"{s.function_logical_id}.{s.event_name} ({s.expression})" for s in sources]
        finally:
            local.stop()
    period = compat.timer_seconds()
    return {
        "timer_seconds": period,
        "ticks_per_minute": 60 / period,
        "schedules": schedules,
        "per_tick": per_tick,
        "cpu_s_per_tick": statistics.median(t["cpu_s"] for t in per_tick),
        "wall_s_per_tick": statistics.median(t["wall_s"] for t in per_tick),
        "calls_per_tick": statistics.median(t["calls"] for t in per_tick),
        "by_name_per_tick": per_tick[-1]["by_name"],
    }


def run(quick: bool = False) -> BenchResult:
    started = time.perf_counter()
    cpu = ranking_cpu()  # first, while this process holds no emulated tables
    single = one_run()
    writes = counter_writes()
    idle = idle_stack(QUICK_IDLE_TICKS if quick else IDLE_TICKS)
    calls_per_hour = ratio(single["all_calls"], single["window_hours"])
    verdicts = [
        Verdict(
            f"DynamoDB calls of one trending run per hour of the {single['window_hours']} h window "
            "(bench's reading of 'of the order of the window hours': <= 2)",
            calls_per_hour,
            CALLS_PER_WINDOW_HOUR_TARGET,
        )
    ]
    verdicts.append(
        Verdict(
            f"counter writes per {writes['events']:,} views of {writes['articles']} articles / {writes['articles']} "
            "(issue 4)",
            ratio(writes["counter_writes"], writes["articles"]),
            1.0,
        )
    )
    if isinstance(cpu, dict):
        verdicts.append(
            Verdict(
                "ranking CPU of 100,000 articles, heap top-k vs full sort (issue 4)",
                ratio(cpu["heap_s"], cpu["sort_s"]),
                1.0,
            )
        )
    writes_table = Table(
        [
            "views",
            "articles",
            "dedupe records (events route)",
            "counter writes (view counter)",
            "view counter invocations",
            "batch size",
            "view counter calls",
        ],
        [
            [
                str(writes["events"]),
                str(writes["articles"]),
                str(writes["request_writes"]),
                str(writes["counter_writes"]),
                str(writes["counter_invocations"]),
                str(writes["batch_size"]),
                ", ".join(f"{k.split(':')[1]} {v}" for k, v in sorted(writes["counter_calls"].items())),
            ]
        ],
    )
    ranking_table = Table(
        ["ranking 100,000 articles, 18 lists of 10", "CPU ms (median of 7)"],
        [
            ["heap top-k (newsdesk.trending.ranked)", f"{cpu['heap_s'] * 1000:.1f}"],
            ["full sort", f"{cpu['sort_s'] * 1000:.1f}"],
        ]
        if isinstance(cpu, dict)
        else [[cpu, "-"]],
    )
    run_table = Table(
        ["window (h)", "Query calls", "all DynamoDB calls", "calls per window hour", "items read", "calls by kind"],
        [
            [
                str(single["window_hours"]),
                str(single["queries"]),
                str(single["all_calls"]),
                f"{calls_per_hour:.1f}",
                str(single["items_read"]),
                ", ".join(f"{k.split(':')[1]} {v}" for k, v in single["calls"].items()),
            ]
        ],
    )
    per_minute = idle["ticks_per_minute"]
    idle_table = Table(
        ["idle local stack", "per tick (median)", f"per minute ({per_minute:g} ticks)"],
        [
            [
                "CPU seconds (whole process: functions, SDK, moto server)",
                f"{idle['cpu_s_per_tick']:.3f}",
                f"{idle['cpu_s_per_tick'] * per_minute:.2f}",
            ],
            ["wall seconds", f"{idle['wall_s_per_tick']:.3f}", f"{idle['wall_s_per_tick'] * per_minute:.2f}"],
            ["SDK calls", f"{idle['calls_per_tick']:g}", f"{idle['calls_per_tick'] * per_minute:g}"],
            ["calls by kind", ", ".join(f"{k} {v}" for k, v in sorted(idle["by_name_per_tick"].items())), ""],
        ],
    )
    notes = [
        f"One run: {ARTICLES} published articles, {single['views']} views (POST /v1/events, counted by the view "
        f"counter from the stream), comment counts for 10 articles; the trending function's own calls only. "
        f"It answered: {json.dumps(single['answer'], default=str)[:300]}.",
        f"Items in the table at the run, by kind: {json.dumps(single['items_by_kind'])}.",
        f"Idle stack: every enabled schedule ({', '.join(idle['schedules'])}) fired once per tick on an empty "
        f"local stack (newsdesk_ops LocalStack, moto server on loopback), {len(idle['per_tick'])} ticks after "
        f"one warm-up; the local timer period is {idle['timer_seconds']:g} s.",
        f"bench took {time.perf_counter() - started:.0f} s.",
    ]
    return BenchResult(
        name=NAME,
        title="Trending: DynamoDB calls per run at the default window; the local timers on an idle stack",
        verdicts=verdicts,
        tables={
            "One trending run": run_table,
            "Idle local stack, timers only": idle_table,
            "Writes per 1,000 views (issue 4)": writes_table,
            "Ranking CPU (issue 4)": ranking_table,
        },
        notes=notes,
        data={"run": single, "idle": idle, "counter_writes": writes, "ranking_cpu": cpu},
    )


def main() -> None:
    main_of(run)


if __name__ == "__main__":
    main()
