"""Write capacity units per article write (new, update, replace, retraction, lost race) and per
engagement and partner-key write, computed by DynamoDB's billing rules.

Issue 7, part 3: "Report write capacity units per new article and per update, before and after."

Everything runs through the template's API on moto in this process (``bench.support.stack``): the
request goes through the local gateway (authorizer, route, ingest function), then the table's
stream is delivered to the functions that follow it (publish, view counter). Botocore hooks see
every DynamoDB write and the bench reads the item before and after each one with its own client
(``bench.support.capacity``, where the billing rules are spelled out). The function that made a
call is known (the local stack tags calls with the running function), so the request's own writes
and what the stream triggers are reported apart.

The lost race: just before the ingest function's first write of an update, a concurrent writer
advances the article's current item (the item the function read first) by one revision, as a
second request for the same article would. The function's conditional write then fails and it
retries; the failed condition is charged too.
"""

from __future__ import annotations

import json
import time
from dataclasses import dataclass, field
from typing import Any

from bench.common import BenchResult, Table, main_of
from bench.support.articles import article_document, encode
from bench.support.capacity import WRITE_OPERATIONS, WriteCost, write_costs
from bench.support.sdk import SdkCall
from bench.support.stack import LocalStack, local_stack

NAME = "write_capacity"
DETAIL_LINES = 3
BROWSER = "Mozilla/5.0 (X11; Linux x86_64; rv:128.0) Gecko/20100101 Firefox/128.0"


@dataclass
class Operation:
    label: str
    status: int
    request: list[WriteCost]  # the function that served the request
    downstream: list[WriteCost]  # functions the stream invoked afterwards
    s3_puts: int
    s3_bytes: int
    calls: list[str] = field(default_factory=list)

    def figures(self) -> dict[str, Any]:
        return {
            "label": self.label,
            "status": self.status,
            "write_calls": [cost.call for cost in self.request],
            "items_written": sum(cost.items for cost in self.request),
            "table_wcu": sum(cost.table_wcu for cost in self.request),
            "index_wcu": sum(cost.index_wcu for cost in self.request),
            "total_wcu": sum(cost.total_wcu for cost in self.request),
            "failed_writes": sum(1 for cost in self.request if not cost.succeeded),
            "s3_puts": self.s3_puts,
            "s3_put_bytes": self.s3_bytes,
            "downstream_wcu": sum(cost.total_wcu for cost in self.downstream),
            "downstream_write_calls": len(self.downstream),
            "detail": [
                line
                for cost in self.request
                for line in (
                    f"{cost.call}:",
                    *cost.detail[:DETAIL_LINES],
                    *([f"... {len(cost.detail) - DETAIL_LINES} more alike"] if len(cost.detail) > DETAIL_LINES else []),
                )
            ],
            "calls": self.calls,
        }


class RaceInjector:
    """Advances the current item by one revision just before the function's first write, once."""

    def __init__(self, stack: LocalStack, function_id: str) -> None:
        self._stack = stack
        self._function = function_id
        self._armed = False
        self._read_key: dict[str, Any] | None = None
        self.fired = False

    def arm(self) -> None:
        self._armed, self._read_key, self.fired = True, None, False

    def __call__(self, call: SdkCall) -> None:
        if not self._armed or call.origin != self._function or call.service != "dynamodb":
            return
        if call.operation == "GetItem" and self._read_key is None:
            self._read_key = call.wire.get("Key")
        elif call.operation in WRITE_OPERATIONS and self._read_key is not None:
            self._armed = False
            self._stack.dynamodb.update_item(
                TableName=call.wire.get("TableName") or self._stack.table_name,
                Key=self._read_key,
                UpdateExpression="SET #revision = #revision + :one",
                ExpressionAttributeNames={"#revision": "revision"},
                ExpressionAttributeValues={":one": {"N": "1"}},
            )
            self.fired = True


def _s3_puts(calls: list[SdkCall], origin: str) -> tuple[int, int]:
    puts = [c for c in calls if c.origin == origin and c.service == "s3" and c.operation == "PutObject"]
    size = 0
    for call in puts:
        body = call.params.get("Body", b"")
        size += len(body if isinstance(body, bytes | bytearray) else str(body).encode("utf-8"))
    return len(puts), size


def measure() -> tuple[list[Operation], dict[str, Any]]:
    operations: list[Operation] = []
    with local_stack() as stack:
        capacity = stack.capacity()
        ingest = stack.function_for("ingest.")
        race = RaceInjector(stack, ingest)

        def observe(call: SdkCall) -> Any:
            race(call)  # first, so that the capacity observer sees the item the write will meet
            return capacity.before(call)

        stack.log.observer = observe

        def run_operation(label: str, action: Any, origin: str = ingest) -> Operation:
            with stack.log.segment() as calls:
                status = action()
            with stack.log.segment() as downstream:
                stack.pump()
            costs = write_costs(capacity, calls)
            own = [cost for cost, call in zip(costs, _write_calls(calls), strict=True) if call.origin == origin]
            puts, size = _s3_puts(calls, origin)
            operation = Operation(
                label,
                status,
                own,
                write_costs(capacity, downstream),
                puts,
                size,
                [c.name for c in calls if c.origin == origin],
            )
            operations.append(operation)
            return operation

        # Partners and keys (operator CLI).
        keys: dict[str, str] = {}

        def add_partner() -> int:
            keys["secret"] = stack.add_partner("Оборонные ведомости", "oborona", section="defence-industry")
            return 0

        run_operation("partners add (partner + first key, CLI)", add_partner, origin="")
        headers = {"authorization": f"Bearer {keys['secret']}", "content-type": "application/json; charset=utf-8"}

        def post(document: dict[str, Any]) -> int:
            response = stack.request("POST", "/v1/articles", body=encode(document), headers=headers)
            if response.status >= 300:
                raise RuntimeError(f"POST answered {response.status}: {response.body[:300]!r}")
            keys["id"] = response.json()["id"]
            return response.status

        uri = "urn:newsml:oboronvedomosti.example:bench:wcu:1"
        first = article_document(1, uri)
        run_operation("new article (POST, ~5 KB ninjs)", lambda: post(first))
        run_operation("same document again (POST, replay)", lambda: post(first))
        run_operation("update: newer version (POST)", lambda: post(_version(first, 2)))

        def replace() -> int:
            response = stack.request(
                "PUT",
                f"/v1/articles/{keys['id']}",
                body=encode(_version(first, 3)),
                headers={**headers, "if-match": '"2"'},
            )
            if response.status >= 300:
                raise RuntimeError(f"PUT answered {response.status}: {response.body[:300]!r}")
            return response.status

        run_operation("replace (PUT with If-Match)", replace)

        race.arm()
        raced = run_operation("update that loses one race (POST, concurrent writer)", lambda: post(_version(first, 4)))
        if not race.fired:
            raced.label += " [race not injected]"

        def retract() -> int:
            response = stack.request("DELETE", f"/v1/articles/{keys['id']}", headers=headers)
            if response.status >= 300:
                raise RuntimeError(f"DELETE answered {response.status}")
            return response.status

        run_operation("retraction (DELETE)", retract)
        run_operation("retraction again (DELETE)", retract)

        # Engagement: views of published articles (a second article, so that one is published).
        ids = []
        for index in range(2, 7):
            post(article_document(index, f"urn:newsml:oboronvedomosti.example:bench:wcu:{index}"))
            ids.append(keys["id"])
        stack.pump()

        def views() -> int:
            events = [
                {"type": "view", "article_id": article_id, "visitor": f"reader-{reader}"}
                for reader in range(10)
                for article_id in ids
            ]
            response = stack.request(
                "POST",
                "/v1/events",
                body=json.dumps(events).encode(),
                headers={"content-type": "application/json", "user-agent": BROWSER},
            )
            return response.status

        run_operation("50 views of 5 articles (POST /v1/events; downstream: view counter)", views)

        def add_key() -> int:
            code, output = stack.cli("partners", "add-key", "oborona")
            if code != 0:
                raise RuntimeError(f"partners add-key failed: {output}")
            return code

        run_operation("partners add-key (CLI)", add_key, origin="")
        kinds = stack.item_kinds()
    return operations, {"items_by_kind": kinds}


def _write_calls(calls: list[SdkCall]) -> list[SdkCall]:
    return [call for call in calls if call.observed]


def _version(document: dict[str, Any], version: int) -> dict[str, Any]:
    changed: dict[str, Any] = json.loads(json.dumps(document))
    changed["version"] = str(version)
    changed["versioncreated"] = f"2026-12-{version:02d}T10:00:00+03:00"
    changed["headlines"][0]["value"] += f" (версия {version})"
    return changed


def run(quick: bool = False) -> BenchResult:
    del quick  # a handful of requests: always the full measurement
    started = time.perf_counter()
    operations, facts = measure()
    figures = [operation.figures() for operation in operations]
    table = Table(
        [
            "operation",
            "status",
            "DynamoDB write calls",
            "items",
            "table WCU",
            "index WCU",
            "total WCU",
            "failed writes",
            "S3 PUTs (KB)",
            "WCU downstream (stream)",
        ],
        [
            [
                f["label"],
                str(f["status"]),
                " + ".join(f["write_calls"]) or "-",
                str(f["items_written"]),
                str(f["table_wcu"]),
                str(f["index_wcu"]),
                str(f["total_wcu"]),
                str(f["failed_writes"]),
                f"{f['s3_puts']} ({f['s3_put_bytes'] / 1024:.1f})",
                str(f["downstream_wcu"]),
            ]
            for f in figures
        ],
    )
    detail = Table(
        ["operation", "write by write (item sizes before -> after)"],
        [[f["label"], " | ".join(f["detail"]) or "-"] for f in figures],
    )
    notes = [
        "WCU computed from the requests and the items before and after each write (bench.support.capacity): "
        "1 WCU per started KB, PutItem/UpdateItem on the larger of before and after, failed conditions charged "
        "(existing item, or 1), TransactWriteItems 2x; global secondary index writes apart (entry size, not doubled).",
        "'table WCU' and 'index WCU' are the writes of the function that served the request (or of the CLI); "
        "'WCU downstream' is what the table's stream then made the other functions write (publish's snapshot "
        "records, the view counter's counters).",
        f"Items in the table at the end, by kind: {json.dumps(facts['items_by_kind'])}.",
        f"bench took {time.perf_counter() - started:.1f} s.",
    ]
    return BenchResult(
        name=NAME,
        title="Write capacity units per article write, engagement and partner-key write (DynamoDB billing rules)",
        verdicts=[],
        tables={"WCU per operation": table, "Write by write": detail},
        notes=notes,
        data={"operations": figures, **facts},
    )


def main() -> None:
    main_of(run)


if __name__ == "__main__":
    main()
