"""AWS requests one posted article costs on the local stack, counted at its moto server (issue 10).

Issue 10 asks for "fewer calls per article" on the way to its POST-rate target: this counts them. A
local stack (stream pollers and timers running, the functions in this process) gets ``--posts`` new
stories from 4 clients through the gateway; every request its moto serves from the first POST until
the stream has been quiet for QUIET_SECONDS is counted, by operation and by what it touches: the
item kind (the sort key: CURRENT, MEDIA, SNAPSHOT, ...) for DynamoDB, the first part of the key for
S3. The timers' requests of those seconds are in the count too (they are rows of their own).
Counts depend on the code, not the machine; batches (and so the per-batch work) depend a little on
timing.

    .venv/bin/python -m bench.requests_per_article --posts 40

Results: bench/results/requests_per_article.{json,md}.
"""

from __future__ import annotations

import argparse
import io
import json
import os
import threading
import time
from collections import Counter
from collections.abc import Callable, Iterable
from pathlib import Path
from typing import Any

from bench.local_post_rate import CLIENTS, clients_rate, live_story
from newsdesk_ops.local_stack import LocalStack
from tests.http.conftest import http_request

RESULTS = Path(__file__).parent / "results"
# The stream is quiet when no request touched an article's items for this long (batching windows
# are 1 s; the timers tick every 5 s and touch none).
QUIET_SECONDS = 4.0
ARTICLE_KINDS = frozenset({"CURRENT", "MEDIA", "SNAPSHOT"})
Wsgi = Callable[[dict[str, Any], Any], Iterable[bytes]]


class RequestCounter:
    """A WSGI layer in front of moto's application: counts each request as (service, operation, target)."""

    def __init__(self, app: Wsgi) -> None:
        self.app = app
        self.counts: Counter[tuple[str, str, str]] = Counter()
        self.last_article_request = time.monotonic()
        self.counting = False
        self._lock = threading.Lock()

    def __call__(self, environ: dict[str, Any], start_response: Any) -> Iterable[bytes]:
        if self.counting:
            row = self._row(environ)
            with self._lock:
                self.counts[row] += 1
                if row[2].split(" ")[0] in ARTICLE_KINDS or row[0] == "s3":
                    self.last_article_request = time.monotonic()
        return self.app(environ, start_response)

    @staticmethod
    def _row(environ: dict[str, Any]) -> tuple[str, str, str]:
        target = environ.get("HTTP_X_AMZ_TARGET", "")
        if not target:
            parts = environ.get("PATH_INFO", "").strip("/").split("/")
            bucket_part = parts[1] if len(parts) > 2 else ""
            return "s3", environ.get("REQUEST_METHOD", ""), bucket_part or "(bucket)"
        service, _, operation = target.partition(".")
        if not service.startswith("DynamoDB"):
            return service.split("_")[0].lower(), operation, ""
        body = environ["wsgi.input"].read(int(environ.get("CONTENT_LENGTH") or 0))
        environ["wsgi.input"] = io.BytesIO(body)  # the body again, for moto
        return "dynamodb", operation, _dynamodb_target(json.loads(body or b"{}"))


def _dynamodb_target(request: dict[str, Any]) -> str:
    """What a DynamoDB request touches: the item kind (sort key), an index, or a partition's prefix."""
    key = request.get("Key") or request.get("Item")
    if isinstance(key, dict) and "SK" in key:
        kind = str(key["SK"].get("S", "")).split("#")[0]
        if kind not in ARTICLE_KINDS and kind != "CURRENT":
            kind = str(key.get("PK", {}).get("S", "")).split("#")[0]
        return f"{kind}{' consistent' if request.get('ConsistentRead') else ''}"
    if "IndexName" in request:
        return str(request["IndexName"])
    if "KeyConditionExpression" in request:
        values = request.get("ExpressionAttributeValues", {})
        first: dict[str, Any] = next(iter(values.values()), {})
        return str(first.get("S", "")).split("#")[0] + " partition"
    if "TransactItems" in request:
        return f"{len(request['TransactItems'])} items"
    if "RequestItems" in request:
        tables = request["RequestItems"].values()
        return f"{sum(len(t.get('Keys', t)) if isinstance(t, dict) else len(t) for t in tables)} items"
    return ""


def measure(posts: int) -> dict[str, Any]:
    os.environ["NEWSDESK_NO_DEMO"] = "1"
    with LocalStack(state_file=None) as stack:
        info = stack.info
        server = stack.moto_server()
        counter = RequestCounter(server.app)
        server.app = counter
        headers = {"Authorization": f"Bearer {info['partner_key']}", "Content-Type": "application/json"}
        time.sleep(QUIET_SECONDS)  # the first timer ticks and the demo-free start settle
        failures = 0

        def post(_number: int) -> None:
            nonlocal failures
            if http_request(info["api_url"], "POST", "/v1/articles", live_story(), headers).status != 201:
                failures += 1

        counter.counting = True
        clients_rate(posts, post)
        while time.monotonic() - counter.last_article_request < QUIET_SECONDS:
            time.sleep(0.2)
        counter.counting = False
    rows = [
        {"service": service, "operation": operation, "target": target, "requests": count,
         "per_article": round(count / posts, 2)}
        for (service, operation, target), count in sorted(counter.counts.items(), key=lambda kv: (-kv[1], kv[0]))
    ]  # fmt: skip
    total = sum(counter.counts.values())
    return {"posts": posts, "clients": CLIENTS, "failed_posts": failures, "requests": total,
            "requests_per_article": round(total / posts, 2), "rows": rows}  # fmt: skip


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--posts", type=int, default=40, help="stories to post")
    arguments = parser.parse_args()
    result = measure(arguments.posts)
    RESULTS.mkdir(exist_ok=True)
    (RESULTS / "requests_per_article.json").write_text(json.dumps(result, indent=2) + "\n", encoding="utf-8")
    lines = [
        f"{result['posts']} stories from {result['clients']} clients ({result['failed_posts']} failed): "
        f"**{result['requests_per_article']} requests per article** ({result['requests']} in all).",
        "",
        "| service | operation | target | requests | per article |",
        "| --- | --- | --- | ---: | ---: |",
    ]
    lines += [
        f"| {row['service']} | {row['operation']} | {row['target']} | {row['requests']} | {row['per_article']} |"
        for row in result["rows"]
    ]
    (RESULTS / "requests_per_article.md").write_text("\n".join(lines) + "\n", encoding="utf-8")
    print("\n".join(lines))


if __name__ == "__main__":
    main()
