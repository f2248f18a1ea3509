"""After ``make load``: wait for the stream-driven work to finish, then compare what the stack holds
with what the API accepted.

Read from outside, as an operator would (boto3 against the emulator's endpoint, the snapshot
bucket's objects); nothing here imports the functions' code. Checks:

- the table holds exactly the accepted articles: one CURRENT item each, at the revision of the last
  accepted post, published; no other article (a refused post leaves nothing);
- the archive holds each one's raw bytes (``archive_key``) and normalized article (``normalized_key``);
- each has its page ``v1/articles/{id}.json`` at that revision, and ``v1/latest.json`` and every
  section's and outlet's list hold the newest articles of their kind, in order;
- views counted per article and hour equal the accepted, de-duplicated visits; one dedupe record
  per visit; comment counts per article and hour equal the last count accepted.
"""

from __future__ import annotations

import json
import time
from collections import Counter, defaultdict
from collections.abc import Callable, Iterator
from concurrent.futures import ThreadPoolExecutor
from dataclasses import dataclass, field
from typing import Any

import boto3
from botocore.config import Config

from bench.support.load_traffic import Outcome

LIST_LENGTH = 50
SNAPSHOT_READERS = 8
_CONFIG = Config(retries={"max_attempts": 5, "mode": "standard"}, read_timeout=300, max_pool_connections=16)


@dataclass
class Holdings:
    """What the stack holds, read at one moment."""

    items_by_kind: Counter[str] = field(default_factory=Counter)
    articles: dict[str, dict[str, Any]] = field(default_factory=dict)  # id -> CURRENT attributes
    views: Counter[tuple[str, str]] = field(default_factory=Counter)  # (article, hour) -> counted
    comments: dict[tuple[str, str], int] = field(default_factory=dict)
    dedupe_records: int = 0
    archive_keys: set[str] = field(default_factory=set)
    snapshot_keys: set[str] = field(default_factory=set)

    @property
    def table_items(self) -> int:
        return sum(self.items_by_kind.values())


class StackReader:
    def __init__(self, info: dict[str, str]) -> None:
        options: dict[str, Any] = {
            "region_name": info["region"],
            "endpoint_url": info["aws_endpoint_url"],
            "aws_access_key_id": "testing",
            "aws_secret_access_key": "testing",
            "config": _CONFIG,
        }
        self.dynamodb = boto3.client("dynamodb", **options)
        self.s3 = boto3.client("s3", **options)
        self.table = info["table_name"]
        self.archive_bucket = info["archive_bucket"]
        self.snapshot_bucket = info["snapshot_bucket"]

    def items(self) -> Iterator[dict[str, Any]]:
        for page in self.dynamodb.get_paginator("scan").paginate(TableName=self.table):
            yield from page["Items"]

    def keys(self, bucket: str, prefix: str = "") -> set[str]:
        found: set[str] = set()
        for page in self.s3.get_paginator("list_objects_v2").paginate(Bucket=bucket, Prefix=prefix):
            found.update(item["Key"] for item in page.get("Contents", []))
        return found

    def snapshot(self, key: str) -> dict[str, Any] | None:
        try:
            loaded: dict[str, Any] = json.loads(self.s3.get_object(Bucket=self.snapshot_bucket, Key=key)["Body"].read())
            return loaded
        except self.s3.exceptions.NoSuchKey:
            return None

    def fingerprint(self) -> tuple[int, frozenset[tuple[str, str]]]:
        """What changes whenever a worker writes: the table's item count and every snapshot's ETag."""
        count = sum(
            page["Count"] for page in self.dynamodb.get_paginator("scan").paginate(TableName=self.table, Select="COUNT")
        )
        etags: set[tuple[str, str]] = set()
        for page in self.s3.get_paginator("list_objects_v2").paginate(Bucket=self.snapshot_bucket):
            etags.update((item["Key"], item["ETag"]) for item in page.get("Contents", []))
        return count, frozenset(etags)

    def holdings(self) -> Holdings:
        held = Holdings()
        for item in self.items():
            pk, sk = item["PK"]["S"], item["SK"]["S"]
            held.items_by_kind[_kind(pk, sk)] += 1
            if pk.startswith("ARTICLE#") and sk == "CURRENT":
                held.articles[pk.removeprefix("ARTICLE#")] = {name: _plain(value) for name, value in item.items()}
            elif pk.startswith("SEEN#"):
                held.dedupe_records += 1
            elif pk.startswith("COUNTERS#"):
                hour, _, rest = sk.partition("#")
                if rest.startswith("VIEWS#"):
                    article_id = rest.removeprefix("VIEWS#").rpartition("#")[0]
                    held.views[(article_id, hour)] += int(item["views"]["N"])
                elif rest.startswith("COMMENTS#"):
                    held.comments[(rest.removeprefix("COMMENTS#"), hour)] = int(item["count"]["N"])
        held.archive_keys = self.keys(self.archive_bucket)
        held.snapshot_keys = self.keys(self.snapshot_bucket)
        return held


def _kind(pk: str, sk: str) -> str:
    """Items by kind, as the report lists them (ARTICLE by its sort key's first part)."""
    prefix = pk.split("#", 1)[0]
    if prefix == "ARTICLE":
        return f"ARTICLE {sk.split('#', 1)[0]}"
    if prefix == "COUNTERS":
        return "COUNTERS " + ("VIEWS" if "#VIEWS#" in sk else "COMMENTS" if "#COMMENTS#" in sk else "other")
    return prefix


def _plain(value: dict[str, Any]) -> Any:
    (kind, inner), *_ = value.items()
    if kind == "N":
        return int(inner) if inner.lstrip("-").isdigit() else float(inner)
    if kind == "NULL":
        return None
    if kind == "M":
        return {name: _plain(item) for name, item in inner.items()}
    if kind == "L":
        return [_plain(item) for item in inner]
    return inner


# --------------------------------------------------------------------------------------------------
# Waiting for the stream-driven work
# --------------------------------------------------------------------------------------------------


def wait_until_settled(
    reader: StackReader,
    outcome: Outcome,
    *,
    timeout: float,
    quiet_seconds: float = 15.0,
    say: Callable[[str], None] = print,
) -> float:
    """Wait until every accepted article has its page and every visit is counted, or until nothing has
    changed for ``quiet_seconds`` (the workers are idle, whatever they left), or ``timeout``.

    The publish and view counter functions run from the table's stream, after the API answered;
    seen from outside, they are done when their output stops changing. Returns the seconds waited.
    """
    started = time.perf_counter()
    expected_pages = len(outcome.articles)
    expected_views = sum(outcome.expected_views.values())
    last: tuple[int, int] | None = None
    last_change = started
    while True:
        pages = len(reader.keys(reader.snapshot_bucket, "v1/articles/"))
        views = _counted_views(reader)
        now = time.perf_counter()
        if (pages, views) != last:
            last, last_change = (pages, views), now
            say(f"  settling: {pages}/{expected_pages} article pages, {views}/{expected_views} views counted")
        if (pages >= expected_pages and views >= expected_views) or now - last_change >= quiet_seconds:
            # One more look after a short pause: an update's page may still be on its way.
            time.sleep(min(3.0, quiet_seconds))
            return time.perf_counter() - started
        if now - started >= timeout:
            say(f"  settling: gave up after {timeout:.0f} s")
            return now - started
        time.sleep(2.0)


def _counted_views(reader: StackReader) -> int:
    total = 0
    pages = reader.dynamodb.get_paginator("scan").paginate(
        TableName=reader.table,
        FilterExpression="begins_with(PK, :counters) AND attribute_exists(#views)",
        ExpressionAttributeNames={"#views": "views"},
        ExpressionAttributeValues={":counters": {"S": "COUNTERS#"}},
        ProjectionExpression="#views",
    )
    for page in pages:
        total += sum(int(item["views"]["N"]) for item in page["Items"])
    return total


# --------------------------------------------------------------------------------------------------
# Reconciling
# --------------------------------------------------------------------------------------------------


def reconcile_settled(
    reader: StackReader,
    outcome: Outcome,
    *,
    timeout: float,
    quiet_seconds: float = 10.0,
    pause: float = 2.0,
    clock: Callable[[], float] = time.monotonic,
    sleep: Callable[[float], None] = time.sleep,
) -> tuple[Holdings, list[str]]:
    """Reconcile, and while something is off and the stack is still changing, look again.

    Every page being there does not mean the work is done: publish writes a batch's article pages
    first and its lists at the end of the batch, seconds later under load (the short load test once
    read ``v1/sections/space.json`` before its batch wrote it). A mismatch is final once nothing the
    reconcile reads has changed for ``quiet_seconds``, or after ``timeout``.
    """
    started = clock()
    last_state: object = None
    last_change = started
    while True:
        held = reader.holdings()
        failures = reconcile(reader, outcome, held)
        state = reader.fingerprint()
        now = clock()
        if state != last_state:
            last_state, last_change = state, now
        if not failures or now - last_change >= quiet_seconds or now - started >= timeout:
            return held, failures
        sleep(pause)


def reconcile(reader: StackReader, outcome: Outcome, held: Holdings) -> list[str]:
    """Every mismatch between what was accepted and what the stack holds (empty: it reconciles)."""
    failures: list[str] = []
    failures += _check_articles(outcome, held)
    failures += _check_pages(reader, outcome, held)
    failures += _check_lists(reader, held)
    failures += _check_views(outcome, held)
    failures += _check_comments(outcome, held)
    return failures


def _limited(kind: str, problems: list[str], shown: int = 20) -> list[str]:
    if len(problems) <= shown:
        return problems
    return [*problems[:shown], f"{kind}: {len(problems) - shown} more like these"]


def _check_articles(outcome: Outcome, held: Holdings) -> list[str]:
    problems: list[str] = []
    accepted = outcome.articles
    for article_id in sorted(set(accepted) - set(held.articles)):
        problems.append(f"article {article_id} ({accepted[article_id].uri}) was accepted but is not in the table")
    for article_id in sorted(set(held.articles) - set(accepted)):
        problems.append(f"article {article_id} is in the table but was never accepted")
    for article_id, state in sorted(accepted.items()):
        item = held.articles.get(article_id)
        if item is None:
            continue
        if item.get("revision") != state.revision:
            problems.append(
                f"article {article_id}: revision {item.get('revision')} in the table, {state.revision} accepted"
            )
        if item.get("status") != "published":
            problems.append(f"article {article_id}: status {item.get('status')!r} in the table")
        for name in ("archive_key", "normalized_key"):
            key = item.get(name)
            if not key or key not in held.archive_keys:
                problems.append(f"article {article_id}: {name} {key!r} is not in the archive bucket")
    return _limited("articles", problems)


def _check_pages(reader: StackReader, outcome: Outcome, held: Holdings) -> list[str]:
    problems: list[str] = []
    missing = [
        article_id for article_id in outcome.articles if f"v1/articles/{article_id}.json" not in held.snapshot_keys
    ]
    problems += [f"article {article_id}: no page v1/articles/{article_id}.json" for article_id in sorted(missing)]
    absent = set(missing)
    present = [article_id for article_id in outcome.articles if article_id not in absent]
    with ThreadPoolExecutor(SNAPSHOT_READERS) as pool:
        pages = pool.map(lambda article_id: (article_id, reader.snapshot(f"v1/articles/{article_id}.json")), present)
        for article_id, page in pages:
            expected = outcome.articles[article_id].revision
            if page is None or page.get("kind") != "article" or page.get("revision") != expected:
                shown = None if page is None else (page.get("kind"), page.get("revision"))
                problems.append(f"article {article_id}: page {shown}, expected an article at revision {expected}")
    return _limited("pages", problems)


def _check_lists(reader: StackReader, held: Holdings) -> list[str]:
    """Each list file holds the newest LIST_LENGTH published articles of its kind, newest first."""
    members: dict[str, list[tuple[str, str]]] = defaultdict(list)
    for article_id, item in held.articles.items():
        if item.get("status") != "published" or "list_sk" not in item:
            continue
        members["v1/latest.json"].append((item["list_sk"], article_id))
        members[f"v1/sections/{item['section']}.json"].append((item["list_sk"], article_id))
        members[f"v1/outlets/{item['partner_id']}.json"].append((item["list_sk"], article_id))
    problems: list[str] = []
    for path, entries in sorted(members.items()):
        expected = [article_id for _sk, article_id in sorted(entries, reverse=True)[:LIST_LENGTH]]
        page = reader.snapshot(path)
        listed = [entry["id"] for entry in (page or {}).get("items", [])]
        if listed != expected:
            problems.append(
                f"{path}: lists {len(listed)} articles, {len(set(listed) & set(expected))} of the {len(expected)} "
                f"newest (first listed {listed[:1]}, first expected {expected[:1]})"
            )
    return problems


def _check_views(outcome: Outcome, held: Holdings) -> list[str]:
    problems: list[str] = []
    for key in sorted(set(outcome.expected_views) | set(held.views)):
        expected, counted = outcome.expected_views.get(key, 0), held.views.get(key, 0)
        if expected != counted:
            problems.append(f"views of {key[0]} in hour {key[1]}: {counted} counted, {expected} accepted")
    expected_total = sum(outcome.expected_views.values())
    if held.dedupe_records != expected_total:
        problems.append(f"{held.dedupe_records} dedupe records for {expected_total} accepted visits")
    if outcome.views_accepted != expected_total:
        problems.append(f"the API accepted {outcome.views_accepted} views, the model {expected_total}")
    return _limited("views", problems)


def _check_comments(outcome: Outcome, held: Holdings) -> list[str]:
    problems: list[str] = []
    for key in sorted(set(outcome.expected_comments) | set(held.comments)):
        expected, stored = outcome.expected_comments.get(key), held.comments.get(key)
        if expected != stored:
            problems.append(f"comments of {key[0]} in hour {key[1]}: {stored} stored, {expected} last accepted")
    return _limited("comments", problems)
