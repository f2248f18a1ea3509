"""The local stack's HTTP POST rate against the same clients writing straight to its moto (issue 10).

Issue 10: "With 4 clients, HTTP POSTs ran at 0.03-0.1x the rate of the same clients writing
PutObject + PutItem straight to the same moto server; bring that to >= 0.3x at 5,000 stored
articles." This measures, in one run on one local stack (stream poller and timers running, as
`make run`), at each fill level: 4 clients POSTing new articles through the gateway (authorizer,
ingest, archive, table) for ``--posts`` requests, then 4 clients doing one PutObject (the same
body) + one PutItem each for the same count, directly to moto. Ratio = HTTP rate / direct rate.
The table is filled between levels by POSTs through the API (so the stored articles are real).
The stack runs as `make run` does: the stream and timer functions in two worker processes.

Each story is the fixture under a new URI, created now (``firstcreated`` and ``versioncreated`` of
the moment it is posted), as a live feed's stories are. Until 2026-11-30 every story kept the
fixture's firstcreated: 5,000 stories of one second, ordered by their random ids, so each new one
landed anywhere in its day and every batch moved every day page after it; no feed looks like that.

One partner may make PartnerRateLimit (600) requests a minute, in windows aligned to the minute
(newsdesk.ratelimit); over that, POSTs get 429 and store nothing. The fill therefore waits as the
429's Retry-After says and sends again (every level is really stored), and each measured phase
starts at the beginning of a window, so its ``--posts`` POSTs (fewer than the limit) are all
accepted article writes, not refusals. ``failed_posts`` counts the measured POSTs that were not 201.

    .venv/bin/python -m bench.local_post_rate --levels 0,200 --posts 80

``--without-pipeline`` starts the stack without its stream pollers and timers: what a POST costs on
its own path (gateway, authorizer, ingest, archive and table), with nothing published. It is the
ceiling of the ratio on this design: the whole pipeline can only be slower.

Results: bench/results/local_post_rate.{json,md} (local_post_rate_without_pipeline.* with the flag).
"""

from __future__ import annotations

import argparse
import json
import os
import threading
import time
import uuid
from collections.abc import Callable
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

import boto3

from newsdesk_ops.function_processes import DEFAULT_API_PROCESSES, DEFAULT_PROCESSES
from newsdesk_ops.local_stack import LocalStack
from tests.conftest import load_ninjs
from tests.http.conftest import http_request

CLIENTS = 4
# The partner rate limit's window (template.yaml PartnerRateWindowSeconds, default): see the docstring.
RATE_WINDOW_SECONDS = 60
RESULTS = Path(__file__).parent / "results"


def live_story(*, live: bool = True) -> bytes:
    """A new story: the fixture under a new URI, created now as a live feed's stories are (``live``),
    else with the fixture's own times (every story then shares one firstcreated, see the docstring)."""
    document = {**load_ninjs("ru_defence_industry.json"), "uri": f"urn:newsml:bench.example:{uuid.uuid4().hex}"}
    if live:
        now = datetime.now(UTC).isoformat(timespec="milliseconds")
        document |= {"firstcreated": now, "versioncreated": now}
    return json.dumps(document, ensure_ascii=False).encode("utf-8")


def clients_rate(count: int, work: Callable[[int], None]) -> float:
    """Requests per second of CLIENTS threads sharing ``count`` calls of ``work``."""
    numbers = iter(range(count))
    lock = threading.Lock()

    def client() -> None:
        while True:
            with lock:
                number = next(numbers, None)
            if number is None:
                return
            work(number)

    threads = [threading.Thread(target=client) for _ in range(CLIENTS)]
    started = time.perf_counter()
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join()
    return count / (time.perf_counter() - started)


def _wait_for_rate_window() -> None:
    """Sleep until the next partner rate window begins (windows of RATE_WINDOW_SECONDS, from the epoch)."""
    time.sleep(RATE_WINDOW_SECONDS - time.time() % RATE_WINDOW_SECONDS + 0.05)


def measure(
    levels: list[int],
    posts: int,
    processes: int = DEFAULT_PROCESSES,
    *,
    api_processes: int = DEFAULT_API_PROCESSES,
    live: bool = True,
    pipeline: bool = True,
) -> list[dict[str, Any]]:
    os.environ["NEWSDESK_NO_DEMO"] = "1"
    rows: list[dict[str, Any]] = []
    with LocalStack(
        state_file=None, function_processes=processes, api_processes=api_processes, background=pipeline
    ) as stack:
        info = stack.info
        headers = {"Authorization": f"Bearer {info['partner_key']}", "Content-Type": "application/json"}
        s3 = boto3.client("s3", region_name=info["region"], endpoint_url=info["aws_endpoint_url"])
        dynamodb = boto3.client("dynamodb", region_name=info["region"], endpoint_url=info["aws_endpoint_url"])
        stored = 0
        failures = 0

        def post(_number: int) -> None:
            nonlocal failures
            if http_request(info["api_url"], "POST", "/v1/articles", live_story(live=live), headers).status != 201:
                failures += 1

        def fill(_number: int) -> None:
            while (
                response := http_request(info["api_url"], "POST", "/v1/articles", live_story(live=live), headers)
            ).status == 429:
                time.sleep(float(response.headers.get("retry-after") or 1))
            if response.status != 201:
                raise RuntimeError(f"filling the table: POST answered {response.status}: {response.body[:300]!r}")

        def direct(number: int) -> None:
            body = live_story(live=live)
            key = f"bench/{uuid.uuid4().hex}"
            s3.put_object(Bucket=info["archive_bucket"], Key=key, Body=body, ContentType="application/json")
            dynamodb.put_item(
                TableName=info["table_name"],
                Item={"PK": {"S": f"BENCH#{key}"}, "SK": {"S": "X"}, "body_key": {"S": key}, "n": {"N": str(number)}},
            )

        for level in levels:
            if level > stored:
                clients_rate(level - stored, fill)
                stored = level
            failures = 0
            _wait_for_rate_window()
            http = clients_rate(posts, post)
            stored += posts
            direct_rate = clients_rate(posts, direct)
            rows.append(
                {
                    "stored_articles": level,
                    "posts": posts,
                    "clients": CLIENTS,
                    "http_posts_per_second": round(http, 2),
                    "direct_put_pairs_per_second": round(direct_rate, 2),
                    "ratio": round(http / direct_rate, 3),
                    "failed_posts": failures,
                }
            )
            print(json.dumps(rows[-1]), flush=True)
    return rows


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--levels", default="0,200", help="stored articles at which to measure, e.g. 0,1000,5000")
    parser.add_argument("--posts", type=int, default=80, help="requests per measurement")
    parser.add_argument(
        "--fixture-times", action="store_true", help="post every story with the fixture's own times (one second)"
    )
    parser.add_argument(
        "--without-pipeline",
        action="store_true",
        help="no stream pollers or timers: the POST's own path alone (publish and media never run)",
    )
    arguments = parser.parse_args()
    levels = [int(level) for level in arguments.levels.split(",")]
    rows = measure(levels, arguments.posts, live=not arguments.fixture_times, pipeline=not arguments.without_pipeline)
    name = "local_post_rate" + ("_fixture_times" if arguments.fixture_times else "")
    name += "_without_pipeline" if arguments.without_pipeline else ""
    RESULTS.mkdir(exist_ok=True)
    (RESULTS / f"{name}.json").write_text(json.dumps(rows, indent=2) + "\n", encoding="utf-8")
    lines = [
        "| stored articles | HTTP POST/s (4 clients) | PutObject+PutItem/s (4 clients) | ratio |",
        "| ---: | ---: | ---: | ---: |",
    ]
    lines += [
        f"| {row['stored_articles']} | {row['http_posts_per_second']} | {row['direct_put_pairs_per_second']} | "
        f"{row['ratio']} |"
        for row in rows
    ]
    (RESULTS / f"{name}.md").write_text("\n".join(lines) + "\n", encoding="utf-8")
    print("\n".join(lines))


if __name__ == "__main__":
    main()
