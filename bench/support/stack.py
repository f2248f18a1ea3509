"""The functions of template.yaml in this process, on moto's in-process ``mock_aws``.

Driven only from outside, as AWS would drive them:

- HTTP requests through ``newsdesk_ops.gateway.LocalGateway.handle`` (routes and the Lambda
  authorizer of the template; no socket is opened);
- the table's stream read with the DynamoDB Streams API and delivered to the functions whose
  ``DynamoDB`` events (and filters) in the template ask for it, in their batch sizes;
- schedules fired as EventBridge events;
- partners added with the operator CLI (``newsdesk partners add``).

Every client created while the stack is up carries the hooks of ``stack.log`` (see
``bench.support.sdk``), so a benchmark counts the calls of any segment without any counter in
production code. The bench's own reads go through clients nobody watches.
"""

from __future__ import annotations

import contextlib
import io
import json
import os
import sys
import uuid
import warnings
from collections import deque
from collections.abc import Iterator
from dataclasses import dataclass, field
from datetime import UTC, datetime
from typing import Any

from bench.common import FAKE_AWS_ENVIRONMENT, patched_environment
from bench.support import compat
from bench.support.capacity import CapacityObserver
from bench.support.sdk import SdkLog, unwatched_client, watch_clients

STACK_NAME = "newsdesk-bench"
REGION = FAKE_AWS_ENVIRONMENT["AWS_REGION"]
_FOREIGN_AWS_VARIABLES = ("AWS_ENDPOINT_URL", "AWS_PROFILE", "AWS_CONFIG_FILE", "AWS_SHARED_CREDENTIALS_FILE")
GET_RECORDS_LIMIT = 1000


@contextlib.contextmanager
def quiet() -> Iterator[None]:
    """The functions log and print metrics (EMF) to stdout, as in Lambda; here they go to /dev/null.

    File descriptor 1 is redirected, not ``sys.stdout`` replaced: Powertools' log handler keeps
    the stdout object it found when it was created.
    """
    sys.stdout.flush()
    saved = os.dup(1)
    sink = os.open(os.devnull, os.O_WRONLY)
    os.dup2(sink, 1)
    os.close(sink)
    try:
        yield
    finally:
        sys.stdout.flush()
        os.dup2(saved, 1)
        os.close(saved)


# API Gateway's route throttles, out of the way: benchmarks measure the functions, not the limits.
UNTHROTTLED = {
    name: "1000000"
    for name in (
        "ApiThrottlingRateLimit",
        "ApiThrottlingBurstLimit",
        "EventsThrottlingRateLimit",
        "EventsThrottlingBurstLimit",
    )
}


def merged_function_environment(template: Any, resources: Any) -> dict[str, str]:
    """Every function's variables (the template's), plus what the Lambda runtime sets."""
    merged: dict[str, str] = {}
    for logical_id, resource in (template.get("Resources") or {}).items():
        if resource.get("Type") == "AWS::Serverless::Function":
            for name, value in compat.function_environment(template, logical_id, resources).items():
                merged.setdefault(name, value)
    merged.update(
        {
            "AWS_LAMBDA_FUNCTION_NAME": f"{STACK_NAME}-functions",
            "AWS_LAMBDA_FUNCTION_MEMORY_SIZE": "1024",
            "POWERTOOLS_DEV": "false",
            "POWERTOOLS_TRACE_DISABLED": "true",
            # Benchmarks measure the functions, not the traffic limits (docs/operations.md).
            "PARTNER_RATE_LIMIT": "0",
        }
    )
    return merged


def forget_function_state(template: Any) -> None:
    """Clear the module-level caches of the functions' packages (clients, settings, services), as a
    new execution environment starts without them (and so that new clients are watched)."""
    compat.forget_function_state(template)


@dataclass
class Response:
    status: int
    headers: dict[str, str]
    body: bytes

    def json(self) -> Any:
        return json.loads(self.body) if self.body else None


@dataclass
class Invocation:
    function: str  # logical id
    event: Any
    result: Any = None


@dataclass
class StreamSource:
    function_logical_id: str
    batch_size: int
    patterns: tuple[dict[str, Any], ...]
    delivered: int = 0


@dataclass
class LocalStack:
    """Handle on the running functions; see the module docstring."""

    template: Any
    resources: Any
    environment: dict[str, str]
    log: SdkLog
    dynamodb: Any  # unwatched, the bench's own
    s3: Any  # unwatched, the bench's own
    functions: Any
    gateway: Any
    table_name: str
    archive_bucket: str
    snapshot_bucket: str
    stream_arn: str = ""
    _streams: Any = None
    _position: int = 0  # the next sequence number to deliver
    _sources: list[StreamSource] = field(default_factory=list)
    _capacity: CapacityObserver | None = None
    # The last function invocations (logical id, event), in order: what AWS would have sent.
    invocations: deque[Invocation] = field(default_factory=lambda: deque(maxlen=100))

    def last_invocation(self, logical_id: str) -> Invocation:
        for invocation in reversed(self.invocations):
            if invocation.function == logical_id:
                return invocation
        raise LookupError(f"{logical_id} has not been invoked")

    def handler_of(self, logical_id: str) -> str:
        """The ``Handler`` of a function of the template (e.g. ``ingest.app.handler``)."""
        properties = self.template["Resources"][logical_id].get("Properties") or {}
        globals_ = (self.template.get("Globals") or {}).get("Function") or {}
        return str(properties.get("Handler") or globals_["Handler"])

    def function_for(self, handler_prefix: str) -> str:
        """The logical id of the function whose handler starts with ``handler_prefix``."""
        for logical_id, resource in self.template["Resources"].items():
            if resource.get("Type") == "AWS::Serverless::Function" and self.handler_of(logical_id).startswith(
                handler_prefix
            ):
                return str(logical_id)
        raise KeyError(f"no function with a handler in {handler_prefix}")

    def function_environment(self, logical_id: str) -> dict[str, str]:
        """What this one function gets in Lambda: its template variables and the runtime's."""
        resource = self.template["Resources"][logical_id]
        name = (resource.get("Properties") or {}).get("FunctionName") or f"{STACK_NAME}-{logical_id}"
        return {
            **FAKE_AWS_ENVIRONMENT,
            **compat.function_environment(self.template, logical_id, self.resources),
            "AWS_LAMBDA_FUNCTION_NAME": str(name) if isinstance(name, str) else f"{STACK_NAME}-{logical_id}",
        }

    # --- capacity ----------------------------------------------------------------------------

    def capacity(self) -> CapacityObserver:
        """Start noting the items before and after every write (for write capacity units)."""
        if self._capacity is None:
            self._capacity = CapacityObserver(self.dynamodb)
            self.log.observer = self._capacity.before
            self.log.after_observer = self._capacity.after
        return self._capacity

    # --- requests ----------------------------------------------------------------------------

    def request(self, method: str, path: str, *, body: bytes = b"", headers: dict[str, str] | None = None) -> Response:
        """One HTTP request through the template's API (authorizer, route, function)."""
        request = compat.GatewayRequest(
            method=method,
            target=path,
            protocol="HTTP/1.1",
            headers=list((headers or {}).items()),
            body=body,
            source_ip="203.0.113.24",
            host="bench.newsdesk.example",
        )
        with quiet():
            response = self.gateway.handle(request)
        return Response(int(response.status), {k.lower(): v for k, v in response.headers}, bytes(response.body))

    def invoke(self, logical_id: str, event: Any) -> Any:
        with quiet():
            return self.functions.invoke(logical_id, event)

    def scheduled_event(self, logical_id: str, moment: datetime) -> dict[str, Any]:
        return {
            "version": "0",
            "id": str(uuid.uuid4()),
            "detail-type": "Scheduled Event",
            "source": "aws.events",
            "account": "123456789012",
            "time": moment.astimezone(UTC).strftime("%Y-%m-%dT%H:%M:%SZ"),
            "region": REGION,
            "resources": [f"arn:aws:events:{REGION}:123456789012:rule/{STACK_NAME}-{logical_id}"],
            "detail": {},
        }

    def schedule(self, logical_id: str, moment: datetime) -> Any:
        return self.invoke(logical_id, self.scheduled_event(logical_id, moment))

    # --- partners ----------------------------------------------------------------------------

    def add_partner(self, name: str, partner_id: str, *, section: str = "", language: str = "ru") -> str:
        """``newsdesk partners add``; returns the key it prints (shown once)."""
        arguments = ["partners", "add", name, "--language", language, "--id", partner_id]
        if section:
            arguments += ["--section", section]
        output = io.StringIO()
        with contextlib.redirect_stdout(output), contextlib.redirect_stderr(io.StringIO()):
            code = compat.cli_main(arguments, target=self.cli_target())
        lines = output.getvalue().splitlines()
        if code != 0:
            raise RuntimeError(f"newsdesk partners add failed ({code}): {output.getvalue()}")
        for number, line in enumerate(lines):
            if line.startswith("Key ") and number + 1 < len(lines):
                return lines[number + 1].strip()
        raise RuntimeError(f"no key in the output of newsdesk partners add: {output.getvalue()}")

    def cli_target(self) -> Any:
        return compat.Target(
            table_name=self.table_name,
            archive_bucket=self.archive_bucket,
            snapshot_bucket=self.snapshot_bucket,
            endpoint_url=None,
            region=REGION,
            description="the bench's emulated stack",
        )

    def cli(self, *arguments: str) -> tuple[int, str]:
        output = io.StringIO()
        with contextlib.redirect_stdout(output), contextlib.redirect_stderr(io.StringIO()):
            code = compat.cli_main(list(arguments), target=self.cli_target())
        return code, output.getvalue()

    # --- the table's stream --------------------------------------------------------------------

    def open_stream(self) -> None:
        description = self.dynamodb.describe_table(TableName=self.table_name)["Table"]
        self.stream_arn = description.get("LatestStreamArn", "")
        from botocore.config import Config

        # botocore's default Streams endpoint names the account in the host, which moto's
        # in-process mock does not recognise; the regional endpoint works with both.
        self._streams = unwatched_client(
            "dynamodbstreams", region_name=REGION, config=Config(account_id_endpoint_mode="disabled")
        )
        shard = self._moto_shard()
        # Start at the end: only what is written from now on is delivered.
        self._position = shard.starting_sequence_number + len(shard.items) if shard is not None else 0
        self._sources = [
            StreamSource(source.function_logical_id, source.batch_size, tuple(source.filter_patterns))
            for source in compat.stream_sources(self.template)
        ]

    def pump(self, only: set[str] | None = None) -> int:
        """Deliver every stream record written since the last pump, until the stream is quiet.

        ``only``: deliver to these functions only (others' records are read and dropped).
        Returns the number of records delivered (to any function).
        """
        delivered_total = 0
        while True:
            records = self._read_stream()
            if not records:
                return delivered_total
            for source in self._sources:
                if only is not None and source.function_logical_id not in only:
                    continue
                wanted = [record for record in records if compat.passes_filters(source.patterns, record)]
                for start in range(0, len(wanted), source.batch_size):
                    batch = wanted[start : start + source.batch_size]
                    result = self.invoke(source.function_logical_id, {"Records": batch})
                    failures = (result or {}).get("batchItemFailures") if isinstance(result, dict) else None
                    if failures:
                        raise RuntimeError(f"{source.function_logical_id} failed {len(failures)} stream records")
                    source.delivered += len(batch)
                    delivered_total += len(batch)

    def skip_stream(self) -> int:
        """Read and drop what the stream holds (writes the bench made as setup)."""
        dropped = 0
        while records := self._read_stream():
            dropped += len(records)
        return dropped

    def _read_stream(self) -> list[dict[str, Any]]:
        """The next records, read from where the last read stopped.

        A fresh iterator at the position is taken for every read rather than following
        NextShardIterator: moto replaces the whole table object when it rolls back a cancelled
        transaction, and iterators taken before keep reading the old table's stream, which no
        longer grows (moto internals; DynamoDB has no such thing).
        """
        self._forget_delivered_records()
        shard = self._moto_shard()
        if shard is None:
            return []
        iterator = self._streams.get_shard_iterator(
            StreamArn=self.stream_arn,
            ShardId=shard.id,
            ShardIteratorType="AT_SEQUENCE_NUMBER",
            SequenceNumber=str(self._position),
        )["ShardIterator"]
        response = self._streams.get_records(ShardIterator=iterator, Limit=GET_RECORDS_LIMIT)
        records = []
        for record in response.get("Records", []):
            records.append(compat.lambda_stream_record(record, self.stream_arn, REGION))
            self._position = int(record["dynamodb"]["SequenceNumber"]) + 1
        return records

    def _moto_shard(self) -> Any:
        from moto.core.models import DEFAULT_ACCOUNT_ID
        from moto.dynamodb.models import dynamodb_backends

        return dynamodb_backends[DEFAULT_ACCOUNT_ID][REGION].tables[self.table_name].stream_shard

    def _forget_delivered_records(self) -> None:
        """Drop the stream records moto holds that the bench has delivered (moto internals).

        moto keeps every stream record for ever and deep-copies them, with the whole table, on
        every TransactWriteItems (as its rollback copy). Left there, each transaction costs more
        than the one before and a history of a few thousand revisions takes many minutes to
        write. DynamoDB does neither, so the bench drops what it has delivered: the shard's start
        moves up by as many records, and sequence numbers stay what they were.
        """
        shard = self._moto_shard()
        if shard is None or not shard.items:
            return
        consumed = self._position - shard.starting_sequence_number
        if consumed > 0:
            del shard.items[:consumed]
            shard.starting_sequence_number += consumed

    # --- the bench's own look at the table -----------------------------------------------------

    def table_item_count(self) -> int:
        count = 0
        for page in self.dynamodb.get_paginator("scan").paginate(TableName=self.table_name, Select="COUNT"):
            count += page["Count"]
        return count

    def item_kinds(self) -> dict[str, int]:
        """Items of the table by the first part of their PK (ARTICLE, SEEN, VIEWS, ...) and SK kind."""
        kinds: dict[str, int] = {}
        pages = self.dynamodb.get_paginator("scan").paginate(TableName=self.table_name, ProjectionExpression="PK, SK")
        for page in pages:
            for item in page["Items"]:
                pk = next(iter(item["PK"].values()))
                sk = next(iter(item.get("SK", {"S": ""}).values()))
                prefix = str(pk).split("#", 1)[0]
                if prefix == "ARTICLE":
                    prefix = f"ARTICLE ({str(sk).split('#', 1)[0]})"
                kinds[prefix] = kinds.get(prefix, 0) + 1
        return dict(sorted(kinds.items()))


@contextlib.contextmanager
def without_transaction_snapshots() -> Iterator[None]:
    """Skip moto's rollback copy of the whole table on every TransactWriteItems (moto internals).

    moto deep-copies every table a transaction touches, once per item of the transaction, so
    that it can restore them if the transaction is cancelled; the cost grows with the table, and
    writing a history of thousands of revisions through transactions takes many minutes. This
    is emulator cost that DynamoDB does not have. While this is active a cancelled transaction
    would keep its partial writes, so callers must check that every write they make succeeds
    (the benches check every answer of the API).
    """
    import copy

    import moto.dynamodb.models as models
    from moto.dynamodb.models.table import Table

    class _KeepTables:
        @staticmethod
        def deepcopy(value: Any, memo: Any = None) -> Any:
            return value if isinstance(value, Table) else copy.deepcopy(value, memo)

        def __getattr__(self, name: str) -> Any:
            return getattr(copy, name)

    saved = models.copy  # type: ignore[attr-defined]
    models.copy = _KeepTables()  # type: ignore[attr-defined,assignment]
    try:
        yield
    finally:
        models.copy = saved  # type: ignore[attr-defined]


@contextlib.contextmanager
def local_stack(*, stream: bool = True) -> Iterator[LocalStack]:
    """The template's resources in moto (in process) and its functions behind a local gateway."""
    import boto3
    from moto import mock_aws

    log = SdkLog()
    # Requests that record no metric (reads, refusals) make Powertools warn; nothing to see here.
    warnings.filterwarnings("ignore", message="No application metrics to publish")
    with (
        patched_environment(FAKE_AWS_ENVIRONMENT, remove=_FOREIGN_AWS_VARIABLES),
        mock_aws(),
    ):
        template = compat.load_template()
        resources = compat.create_resources(
            template,
            stack_name=STACK_NAME,
            dynamodb=boto3.client("dynamodb", region_name=REGION),
            s3=boto3.client("s3", region_name=REGION),
        )
        environment = merged_function_environment(template, resources)
        with patched_environment(environment), watch_clients(log):
            forget_function_state(template)
            functions = compat.LocalFunctions(template, stack_name=STACK_NAME, region=REGION)
            invocations: deque[Invocation] = deque(maxlen=100)
            invoke_function = functions.invoke

            # The gateway passes options (caller_timeout); they go through unchanged.
            def invoke(logical_id: str, event: Any, **options: Any) -> Any:
                invocation = Invocation(logical_id, event)
                invocations.append(invocation)
                outer, log.origin = log.origin, logical_id
                try:
                    invocation.result = invoke_function(logical_id, event, **options)
                finally:
                    log.origin = outer
                return invocation.result

            functions.invoke = invoke
            stack = LocalStack(
                template=template,
                resources=resources,
                environment=environment,
                log=log,
                dynamodb=unwatched_client("dynamodb", region_name=REGION),
                s3=unwatched_client("s3", region_name=REGION),
                functions=functions,
                gateway=compat.LocalGateway(
                    template,
                    functions=functions,
                    stack_name=STACK_NAME,
                    region=REGION,
                    parameter_overrides=UNTHROTTLED,
                ),
                table_name=environment["TABLE_NAME"],
                archive_bucket=environment["ARCHIVE_BUCKET"],
                snapshot_bucket=environment.get("SNAPSHOT_BUCKET", ""),
                invocations=invocations,
            )
            if stream:
                stack.open_stream()
            try:
                yield stack
            finally:
                forget_function_state(template)
