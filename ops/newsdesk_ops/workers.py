"""What AWS does around the functions that the local stack has to do itself.

- :func:`stream_poller` — the Lambda event source mapping of every ``DynamoDB`` event in the
  template: reads the table's stream from moto, drops records the event's FilterCriteria reject,
  and invokes the function with batches shaped like Lambda's, retrying what it reports as failed;
  a batch it gives up on goes to the event's ``DestinationConfig.OnFailure`` queue (Lambda's
  on-failure record), where ``newsdesk redrive`` finds it.
- :func:`timers` — every ``Schedule``/``ScheduleV2`` event: the function gets an EventBridge
  scheduled event every ``NEWSDESK_LOCAL_TIMER_SECONDS`` seconds (default 5) instead of its rate
  while the stack is busy (its table changed in the last minute), and at its own rate when the
  stack is idle (see :func:`timer_due`).
- :class:`SnapshotServer` — CloudFront in front of the snapshot bucket: GET/HEAD of
  ``s3://{bucket}/{key}`` over HTTP with the object's own headers, 304 on a matching
  ``If-None-Match``, and CORS so a page on another local port can fetch the files.

Workers follow ``newsdesk_ops.local_stack.Worker``: called with the running stack, they start a
daemon thread and return the function that stops it. Whatever they set up before returning is in
place when ``LocalStack.start`` returns (the stream position in particular, so no write made
after start-up is missed).
"""

from __future__ import annotations

import base64
import email.message
import email.utils
import functools
import json
import logging
import os
import re
import threading
import time
import uuid
from collections.abc import Callable, Iterable, Mapping, Sequence
from dataclasses import dataclass
from datetime import UTC, datetime
from http import HTTPStatus
from http.server import BaseHTTPRequestHandler
from typing import TYPE_CHECKING, Any
from urllib.parse import unquote, urlsplit

import boto3
from botocore.exceptions import ClientError

from newsdesk_ops.loopback import LoopbackServer
from newsdesk_ops.template import (
    INFINITE_RETRIES,
    LOCAL_ACCOUNT_ID,
    ScheduleSource,
    StreamSource,
    schedule_sources,
    stream_sources,
)

if TYPE_CHECKING:
    from newsdesk_ops.local_stack import RunningStack

log = logging.getLogger(__name__)

TIMER_SECONDS_ENV = "NEWSDESK_LOCAL_TIMER_SECONDS"
DEFAULT_TIMER_SECONDS = 5.0
# How often the stream is read; Lambda polls a shard about four times a second.
STREAM_POLL_SECONDS = 0.25
# Shards are looked for again this often (DynamoDB rolls them over every few hours).
SHARD_REFRESH_SECONDS = 5.0
# Locally a failing batch is retried at most this often (fewer than the template may allow), so a
# poisoned record is reported within a second or two instead of holding up the stream for long.
LOCAL_MAX_RETRIES = 3
RETRY_BACKOFF_SECONDS = 0.2
GET_RECORDS_LIMIT = 1000
# The most of a source's MaximumBatchingWindowInSeconds the local poller waits for a fuller batch:
# the view counter's 10 s would leave a developer (and the tests) waiting for view counts.
LOCAL_MAX_BATCHING_WINDOW_SECONDS = 1.0
# How many of the last records read the poller remembers (see StreamPoller._follow).
RECENT_IDS_KEPT = 2000
STOP_TIMEOUT_SECONDS = 10.0


# --------------------------------------------------------------------------------------------------
# When the local tables last changed (the stream pollers see it; the timers use it)
# --------------------------------------------------------------------------------------------------

_last_change: dict[str, float] = {}
_last_change_lock = threading.Lock()


def note_table_change(table: str) -> None:
    """Remember that ``table`` changed now: its stream carried a record."""
    with _last_change_lock:
        _last_change[table] = time.monotonic()


def seconds_since_change(tables: Iterable[str]) -> float:
    """Seconds since any of these tables last changed (infinite when none was seen to change)."""
    with _last_change_lock:
        changes = [_last_change[table] for table in tables if table in _last_change]
    return time.monotonic() - max(changes) if changes else float("inf")


# --------------------------------------------------------------------------------------------------
# Filter patterns (the subset of EventBridge content filtering Lambda event filters use)
# --------------------------------------------------------------------------------------------------

_OPERATORS = {"prefix", "suffix", "exists", "anything-but", "equals-ignore-case"}


class UnsupportedPattern(ValueError):
    """A filter pattern uses something the local matcher does not implement."""


def validate_pattern(pattern: Mapping[str, Any]) -> None:
    """Refuse, at start-up, a pattern the local matcher would judge differently from Lambda.

    Supported: nested objects; at the leaves, lists of exact values (strings, numbers, booleans,
    null) and the operators prefix, suffix, exists, anything-but and equals-ignore-case.
    """
    if not isinstance(pattern, Mapping):
        raise UnsupportedPattern(f"a pattern is a JSON object, not {pattern!r}")
    for key, expected in pattern.items():
        if isinstance(expected, Mapping):
            validate_pattern(expected)
        elif isinstance(expected, list):
            for matcher in expected:
                if isinstance(matcher, Mapping):
                    unknown = set(matcher) - _OPERATORS
                    if unknown or len(matcher) != 1:
                        raise UnsupportedPattern(f"{key}: operator {matcher!r} is not supported locally")
                elif isinstance(matcher, list):
                    raise UnsupportedPattern(f"{key}: nested list {matcher!r} in a pattern")
        else:
            raise UnsupportedPattern(f"{key}: a pattern leaf is a list of values, not {expected!r}")


def matches_pattern(pattern: Mapping[str, Any], event: Any) -> bool:
    """Whether ``event`` matches one filter pattern: every key of the pattern must match."""
    if not isinstance(event, Mapping):
        return False
    for key, expected in pattern.items():
        present = key in event
        value = event.get(key)
        if isinstance(expected, Mapping):
            if not present or not matches_pattern(expected, value):
                return False
        elif not _leaf_matches(expected, present, value):
            return False
    return True


def passes_filters(patterns: Sequence[Mapping[str, Any]], record: Mapping[str, Any]) -> bool:
    """Lambda's rule for FilterCriteria: no filters pass everything, else any one must match."""
    return not patterns or any(matches_pattern(pattern, record) for pattern in patterns)


def _leaf_matches(matchers: list[Any], present: bool, value: Any) -> bool:
    if not present:
        # Only {"exists": false} matches a missing key.
        return any(isinstance(matcher, Mapping) and matcher.get("exists") is False for matcher in matchers)
    # A list in the event matches when any of its elements does.
    candidates = value if isinstance(value, list) else [value]
    return any(_value_matches(matcher, candidate) for matcher in matchers for candidate in candidates)


def _value_matches(matcher: Any, value: Any) -> bool:
    if isinstance(matcher, Mapping):
        ((operator, argument),) = matcher.items()
        if operator == "exists":
            return bool(argument) and not isinstance(value, Mapping)
        if operator == "prefix":
            return isinstance(value, str) and value.startswith(argument)
        if operator == "suffix":
            return isinstance(value, str) and value.endswith(argument)
        if operator == "equals-ignore-case":
            return isinstance(value, str) and value.casefold() == str(argument).casefold()
        if operator == "anything-but":
            excluded = argument if isinstance(argument, list) else [argument]
            return not any(_value_matches(item, value) for item in excluded)
        raise UnsupportedPattern(f"operator {operator!r} is not supported locally")
    if isinstance(matcher, bool) or isinstance(value, bool):
        return matcher is value
    if isinstance(matcher, int | float) and isinstance(value, int | float):
        return float(matcher) == float(value)
    return bool(matcher == value)


# --------------------------------------------------------------------------------------------------
# Stream records as Lambda delivers them
# --------------------------------------------------------------------------------------------------


def _json_ready(value: Any) -> Any:
    """GetRecords through boto3 gives bytes and datetimes; Lambda's event has base64 and epoch seconds."""
    if isinstance(value, bytes):
        return base64.b64encode(value).decode("ascii")
    if isinstance(value, datetime):
        return int(value.timestamp())
    if isinstance(value, Mapping):
        return {key: _json_ready(item) for key, item in value.items()}
    if isinstance(value, list | tuple | set):
        return [_json_ready(item) for item in value]
    return value


def lambda_stream_record(stream_record: Mapping[str, Any], stream_arn: str, region: str) -> dict[str, Any]:
    """One GetRecords record in the shape of a record of Lambda's DynamoDB event."""
    return {
        # Not .get(..., uuid4()): that would draw a random id for every record that has its own.
        "eventID": stream_record["eventID"] if "eventID" in stream_record else uuid.uuid4().hex,
        "eventName": stream_record["eventName"],
        "eventVersion": stream_record.get("eventVersion", "1.1"),
        "eventSource": "aws:dynamodb",
        # moto records name its default region; Lambda gives the table's.
        "awsRegion": region,
        "dynamodb": _json_ready(stream_record["dynamodb"]),
        "eventSourceARN": stream_arn,
    }


# --------------------------------------------------------------------------------------------------
# Stream poller
# --------------------------------------------------------------------------------------------------


Invoke = Callable[[str, Any], Any]


@dataclass(frozen=True)
class DeadLetter:
    """Where a poller sends a batch it gave up on: the event source's ``DestinationConfig.OnFailure``."""

    send: Callable[[dict[str, Any]], Any]  # takes Lambda's on-failure record (on_failure_record)
    function_arn: str
    # Keeps the stream records from this sequence number on readable, for `newsdesk redrive`.
    hold: Callable[[int], None] | None = None
    queue: str = ""  # its logical id, for the log


def _arrival(record: Mapping[str, Any], default: datetime) -> str:
    created = record.get("dynamodb", {}).get("ApproximateCreationDateTime")
    moment = datetime.fromtimestamp(created, UTC) if isinstance(created, int | float) else default
    return moment.strftime("%Y-%m-%dT%H:%M:%SZ")


def on_failure_record(
    batch: Sequence[Mapping[str, Any]],
    *,
    function_arn: str,
    stream_arn: str,
    shard_id: str,
    attempts: int,
    function_error: bool,
    now: datetime,
) -> dict[str, Any]:
    """What Lambda sends a DynamoDB event source's on-failure destination for a discarded batch: where
    the records are in the stream, not the records (``newsdesk redrive`` reads them from there)."""
    response: dict[str, Any] = {"statusCode": 200, "executedVersion": "$LATEST"}
    if function_error:
        response["functionError"] = "Unhandled"
    return {
        "requestContext": {
            "requestId": str(uuid.uuid4()),
            "functionArn": function_arn,
            "condition": "RetryAttemptsExhausted",
            "approximateInvokeCount": attempts,
        },
        "responseContext": response,
        "version": "1.0",
        "timestamp": now.astimezone(UTC).strftime("%Y-%m-%dT%H:%M:%S.") + f"{now.microsecond // 1000:03d}Z",
        "DDBStreamBatchInfo": {
            "shardId": shard_id,
            "startSequenceNumber": _sequence_number(batch[0]),
            "endSequenceNumber": _sequence_number(batch[-1]),
            "approximateArrivalOfFirstRecord": _arrival(batch[0], now),
            "approximateArrivalOfLastRecord": _arrival(batch[-1], now),
            "batchSize": len(batch),
            "streamArn": stream_arn,
        },
    }


class StreamPoller:
    """One event source mapping: a table's stream feeding one function, as Lambda would."""

    def __init__(
        self,
        source: StreamSource,
        stream_arn: str,
        *,
        streams: Any,
        invoke: Invoke,
        region: str,
        poll_seconds: float = STREAM_POLL_SECONDS,
        on_change: Callable[[], None] | None = None,
        on_read: Callable[[int], None] | None = None,
        shard_of: Callable[[], Any] | None = None,
        dead_letter: DeadLetter | None = None,
        batching_window: float = 0.0,
    ) -> None:
        """``on_change`` is called whenever a read returns records, whether or not they pass the filters;
        ``on_read`` with the sequence number after the last record read, once it has been handled.

        ``shard_of`` returns the stream's shard in this process's moto (see :func:`moto_stream_shard`):
        records are then read from it directly rather than through GetRecords, whose serialization
        of every record with both item images, and parsing back, cost more than the functions' own
        work under load. The records are the same (moto's GetRecords returns these dicts). Without
        it, or if moto's internals are not as expected, the Streams API is used.

        ``dead_letter`` gets the batches given up on after the retries; without one they are lost.

        ``batching_window`` (seconds) is the source's MaximumBatchingWindowInSeconds: records read are
        held until a full batch has passed the filters or the first of them has waited this long, as
        Lambda gathers them. Fuller batches cost publish one write of the lists per batch instead of
        one per handful of records; 0 delivers whatever each read returns."""
        for pattern in source.filter_patterns:
            validate_pattern(pattern)
        self.source = source
        self.stream_arn = stream_arn
        self._streams = streams
        self._invoke = invoke
        self._region = region
        self._poll_seconds = poll_seconds
        self._on_change = on_change
        self._on_read = on_read
        self._shard_of = shard_of
        self._dead_letter = dead_letter
        self._reading_shard = ""  # the shard read through the Streams API (for a dead letter)
        # The next sequence number to read when reading moto's shard directly; None: the Streams API.
        self._position: int | None = None
        # The shard object last read: moto replaces it when it rolls back a transaction.
        self._shard: Any = None
        # eventID of the records read lately, by sequence number: after moto replaced the table, a
        # record of the new shard at a number we read is new if its eventID is not the one we read.
        self._recent_ids: dict[int, str] = {}
        self.shard_replacements = 0
        self._iterators: dict[str, str | None] = {}
        self._stop = threading.Event()
        self._thread: threading.Thread | None = None
        self._last_shard_refresh = 0.0
        retries = source.maximum_retry_attempts
        self.max_retries = LOCAL_MAX_RETRIES if retries == INFINITE_RETRIES else min(retries, LOCAL_MAX_RETRIES)
        self.delivered = 0
        self.dropped = 0
        self._batching_window = batching_window
        # Records read and not yet delivered (the batching window), how many pass the filters, and
        # when the first of them was read.
        self._gathered: list[dict[str, Any]] = []
        self._gathered_wanted = 0
        self._gathering_since = 0.0
        self._flushing = False  # delivering what the window held as the poller stops

    @property
    def name(self) -> str:
        return f"{self.source.function_logical_id}.{self.source.event_name}"

    def open(self) -> None:
        """Take a position in every shard (the template's StartingPosition)."""
        if self._shard_of is not None:
            try:
                shard = self._shard_of()
                self._shard = shard
                first = shard.starting_sequence_number
                latest = self.source.starting_position == "LATEST"
                self._position = first + len(shard.items) if latest else first
                return
            except (ImportError, AttributeError, LookupError) as error:
                log.warning("stream poller %s: moto's shard is not readable (%s); using GetRecords", self.name, error)
                self._position = None
        for shard_id in self._shard_ids():
            self._iterators[shard_id] = self._iterator(shard_id, self.source.starting_position)
        self._last_shard_refresh = time.monotonic()

    def start(self) -> None:
        self.open()
        self._thread = threading.Thread(target=self._run, name=f"stream-{self.name}", daemon=True)
        self._thread.start()

    def stop(self) -> None:
        self._stop.set()
        if self._thread is not None:
            self._thread.join(timeout=STOP_TIMEOUT_SECONDS)
            self._thread = None

    def _run(self) -> None:
        while not self._stop.is_set():
            try:
                self.poll_once()
            except Exception:
                # moto going away at shutdown, or a transient error: try again on the next tick.
                if not self._stop.is_set():
                    log.exception("stream poller %s: reading the stream failed", self.name)
            self._stop.wait(self._poll_seconds)
        if self._gathered:
            # Stopping: what the window held is delivered now, with its retries (not dropped at the
            # first failure as a batch is once the stack stops).
            self._flushing = True
            try:
                self._handle([])
            except Exception:
                log.exception("stream poller %s: delivering the last records failed", self.name)

    def poll_once(self) -> int:
        """Read every shard once and deliver what passed the filters; returns the records delivered."""
        if self._position is not None:
            return self._handle(self._read_shard())
        if time.monotonic() - self._last_shard_refresh >= SHARD_REFRESH_SECONDS:
            self._refresh_shards()
        delivered = 0
        for shard_id, iterator in list(self._iterators.items()):
            if iterator is None:
                continue
            self._reading_shard = shard_id
            response = self._streams.get_records(ShardIterator=iterator, Limit=GET_RECORDS_LIMIT)
            # No next iterator: the shard is closed and fully read.
            self._iterators[shard_id] = response.get("NextShardIterator")
            delivered += self._handle(response.get("Records", []))
        return delivered

    def _read_shard(self) -> list[dict[str, Any]]:
        """The next records of moto's shard, looked up afresh each time: moto replaces the table
        (and its shard, with the same records and numbers) when it rolls back a transaction."""
        assert self._position is not None
        shard = self._shard_of() if self._shard_of is not None else None
        if shard is None:
            return []
        if shard is not self._shard:
            self._follow(shard)
        offset = max(0, self._position - shard.starting_sequence_number)
        records = [
            record.to_json() for record in shard.items[offset : offset + GET_RECORDS_LIMIT] if record is not None
        ]
        if records:
            self._position = int(_sequence_number({"dynamodb": records[-1]["dynamodb"]})) + 1
            for record in records:
                self._recent_ids[int(_sequence_number(record))] = str(record.get("eventID", ""))
            while len(self._recent_ids) > RECENT_IDS_KEPT:  # oldest first: read in order
                del self._recent_ids[next(iter(self._recent_ids))]
        return records

    def _follow(self, shard: Any) -> None:
        """Read ``shard`` from now on: moto put a copy of the table (and of its stream) in its place.

        Plain moto does so when it cancels a transaction (newsdesk_ops.emulator's patch keeps the
        table in place). The copy was taken when the transaction began: a write another thread made
        meanwhile is only in the old table, so the copy's records after that point are new ones
        under sequence numbers we have read already. We step back over every record of the copy
        whose eventID is not the one we read at its number, and read on from there.
        """
        assert self._position is not None
        self.shard_replacements += 1
        start = shard.starting_sequence_number
        resume = min(self._position, start + len(shard.items))
        while resume > start:
            record = shard.items[resume - 1 - start]
            read_id = self._recent_ids.get(resume - 1)
            if record is None or read_id is None or record.to_json().get("eventID") == read_id:
                break
            resume -= 1
        log.warning(
            "stream poller %s: the table was replaced (moto restored its copy after a cancelled transaction); "
            "reading the new table's stream from sequence number %d (was at %d)",
            self.name,
            resume,
            self._position,
        )
        self._position = resume
        self._shard = shard

    def _handle(self, read: list[dict[str, Any]]) -> int:
        if read and self._on_change is not None:
            self._on_change()
        if not self._gathered:
            self._gathering_since = time.monotonic()
        for raw in read:
            record = lambda_stream_record(raw, self.stream_arn, self._region)
            self._gathered.append(record)
            self._gathered_wanted += passes_filters(self.source.filter_patterns, record)
        if not self._gathered or not self._batch_ready():
            return 0
        records, self._gathered, self._gathered_wanted = self._gathered, [], 0
        wanted = [record for record in records if passes_filters(self.source.filter_patterns, record)]
        delivered = 0
        for start in range(0, len(wanted), self.source.batch_size):
            self._deliver(wanted[start : start + self.source.batch_size])
            delivered += len(wanted[start : start + self.source.batch_size])
        if records and self._on_read is not None:
            self._on_read(int(_sequence_number(records[-1])) + 1)
        return delivered

    def _batch_ready(self) -> bool:
        """Whether the records gathered go to the function now (see ``batching_window``)."""
        return (
            self._gathered_wanted == 0  # nothing to deliver: only the position moves
            or self._gathered_wanted >= self.source.batch_size
            or time.monotonic() - self._gathering_since >= self._batching_window
            or self._stop.is_set()
        )

    def _shard_ids(self) -> list[str]:
        description = self._streams.describe_stream(StreamArn=self.stream_arn)["StreamDescription"]
        return [shard["ShardId"] for shard in description.get("Shards", [])]

    def _iterator(self, shard_id: str, position: str) -> str:
        iterator: str = self._streams.get_shard_iterator(
            StreamArn=self.stream_arn, ShardId=shard_id, ShardIteratorType=position
        )["ShardIterator"]
        return iterator

    def _refresh_shards(self) -> None:
        self._last_shard_refresh = time.monotonic()
        for shard_id in self._shard_ids():
            if shard_id not in self._iterators:
                # A shard that appeared after we started holds only new records: read all of it.
                self._iterators[shard_id] = self._iterator(shard_id, "TRIM_HORIZON")

    # --- Delivery, as the event source mapping does it --------------------------------------------

    def _deliver(self, batch: list[dict[str, Any]]) -> None:
        """Invoke until the batch succeeds, retrying what failed; give up after ``max_retries``.

        A function error (exception) with BisectBatchOnFunctionError splits the batch in halves,
        each delivered on its own, so a poisoned record ends up alone. Reported batch item
        failures resume from the earliest failed record (Lambda's checkpoint): that record and
        every later one of the batch are sent again.
        """
        retries = 0
        while batch:
            failed_from = self._invoke_once(batch)
            if failed_from is None:
                self.delivered += len(batch)
                return
            if failed_from == _FUNCTION_ERROR and self.source.bisect_on_error and len(batch) > 1:
                middle = len(batch) // 2
                self._deliver(batch[:middle])
                self._deliver(batch[middle:])
                return
            remaining = batch if failed_from == _FUNCTION_ERROR else batch[failed_from:]
            self.delivered += len(batch) - len(remaining)
            if retries >= self.max_retries or (self._stop.is_set() and not self._flushing):
                self.dropped += len(remaining)
                if self._dead_letter is not None and retries >= self.max_retries:
                    self._send_dead_letter(remaining, retries + 1, failed_from == _FUNCTION_ERROR)
                    return
                log.error(
                    "stream poller %s: dropped %d record(s) after %d attempt(s), sequence numbers %s (%s)",
                    self.name,
                    len(remaining),
                    retries + 1,
                    ", ".join(_sequence_number(record) for record in remaining),
                    "the stack is stopping" if self._stop.is_set() else "no on-failure destination",
                )
                return
            retries += 1
            batch = remaining
            self._stop.wait(RETRY_BACKOFF_SECONDS * retries)

    def _send_dead_letter(self, batch: list[dict[str, Any]], attempts: int, function_error: bool) -> None:
        """Lambda's on-failure record of ``batch`` to the event source's destination; its records are
        held in the stream (ReadRecords.hold) so that ``newsdesk redrive`` can read them again."""
        assert self._dead_letter is not None
        shard_id = str(getattr(self._shard, "id", "")) if self._position is not None else self._reading_shard
        record = on_failure_record(
            batch,
            function_arn=self._dead_letter.function_arn,
            stream_arn=self.stream_arn,
            shard_id=shard_id,
            attempts=attempts,
            function_error=function_error,
            now=datetime.now(UTC),
        )
        info = record["DDBStreamBatchInfo"]
        numbers = f"{info['startSequenceNumber']}..{info['endSequenceNumber']}"
        try:
            if self._dead_letter.hold is not None:
                self._dead_letter.hold(int(info["startSequenceNumber"]))
            self._dead_letter.send(record)
        except Exception:
            log.exception("stream poller %s: dead-lettering records %s failed; they are lost", self.name, numbers)
            return
        log.error(
            "stream poller %s: gave up on %d record(s) after %d attempt(s); sequence numbers %s dead-lettered to %s "
            "(`newsdesk redrive` replays them)",
            self.name,
            len(batch),
            attempts,
            numbers,
            self._dead_letter.queue or "the on-failure destination",
        )

    def _invoke_once(self, batch: list[dict[str, Any]]) -> int | None:
        """None when the batch succeeded, else the index to resume from (or ``_FUNCTION_ERROR``)."""
        try:
            response = self._invoke(self.source.function_logical_id, {"Records": batch})
        except Exception:
            log.exception("stream poller %s: the function failed on a batch of %d", self.name, len(batch))
            return _FUNCTION_ERROR
        if not self.source.report_batch_item_failures:
            return None
        return first_failed_index(batch, response)


_FUNCTION_ERROR = -1


def _sequence_number(record: Mapping[str, Any]) -> str:
    return str(record.get("dynamodb", {}).get("SequenceNumber", "?"))


def first_failed_index(batch: Sequence[Mapping[str, Any]], response: Any) -> int | None:
    """Where a partial batch response says to resume; None when every record succeeded.

    As Lambda reads it: no ``batchItemFailures`` (or an empty list) is success; an identifier that
    is empty or not in the batch fails the whole batch.
    """
    failures = response.get("batchItemFailures") if isinstance(response, Mapping) else None
    if not failures:
        return None
    positions = {_sequence_number(record): index for index, record in enumerate(batch)}
    indexes: list[int] = []
    for failure in failures:
        identifier = failure.get("itemIdentifier") if isinstance(failure, Mapping) else None
        if not identifier or str(identifier) not in positions:
            return 0
        indexes.append(positions[str(identifier)])
    return min(indexes)


class ReadRecords:
    """Frees the stream records that every poller of a table has read (moto internals).

    moto keeps every stream record of a table for ever, each with copies of the item before and
    after, so the local stack's memory grew with every write. DynamoDB keeps records 24 hours.
    Once every poller of the stream has handled a record, nothing reads it again (the pollers
    read forward from their own positions), so its slot in moto's shard is emptied. Sequence
    numbers stay as they were: the list keeps its length. Records a poller dead-lettered are held
    (:meth:`hold`): those and every later one stay until the stack restarts, for ``newsdesk redrive``.
    """

    def __init__(self, shard_of: Callable[[], Any]) -> None:
        self._shard_of = shard_of
        self._positions: dict[str, int | None] = {}
        self._lock = threading.Lock()
        self._shard: Any = None
        self._freed = 0  # slots of self._shard emptied so far
        self._held: int | None = None  # nothing from this sequence number on is freed
        self.freed_records = 0

    def hold(self, sequence_number: int) -> None:
        """Free no record from ``sequence_number`` on (a dead-lettered batch begins there).

        Everything after it is kept too: moto's GetRecords fails on a freed slot, and redrive reads
        a page from the batch's first record on. A restart of the stack ends the hold."""
        with self._lock:
            self._held = sequence_number if self._held is None else min(self._held, sequence_number)

    def register(self, name: str) -> Callable[[int], None]:
        """The ``on_read`` of one poller."""
        self._positions[name] = None
        return functools.partial(self.read_up_to, name)

    def read_up_to(self, name: str, sequence_number: int) -> None:
        with self._lock:
            self._positions[name] = sequence_number
            positions = list(self._positions.values())
            if any(position is None for position in positions):
                return
            try:
                self._free_before(min(position for position in positions if position is not None))
            except (AttributeError, LookupError, TypeError):
                # moto has changed, or the table is going away: records stay, as before.
                log.debug("stream records could not be freed", exc_info=True)

    def _free_before(self, sequence_number: int) -> None:
        shard = self._shard_of()
        if shard is not self._shard:
            # A new shard, or moto restored a copy of the table after a cancelled transaction.
            self._shard, self._freed = shard, 0
        items = shard.items
        end = min(sequence_number - shard.starting_sequence_number, len(items))
        if self._held is not None:
            end = min(end, self._held - shard.starting_sequence_number)
        for index in range(self._freed, end):
            if items[index] is not None:
                items[index] = None
                self.freed_records += 1
        self._freed = max(self._freed, end)


def moto_stream_shard(table_name: str, region: str) -> Callable[[], Any]:
    """The shard of the table's stream in this process's moto (the local stack's server runs here)."""

    def shard() -> Any:
        from moto.core.models import DEFAULT_ACCOUNT_ID
        from moto.dynamodb.models import dynamodb_backends

        return dynamodb_backends[DEFAULT_ACCOUNT_ID][region].tables[table_name].stream_shard

    return shard


def streams_client(stack: RunningStack) -> Any:
    return boto3.client("dynamodbstreams", region_name=stack.region, endpoint_url=stack.aws_endpoint_url)


def _dead_letter(stack: RunningStack, source: StreamSource, sqs: Any, read: ReadRecords) -> DeadLetter | None:
    """The event source's OnFailure queue on the running stack; None when it has none."""
    queue = source.on_failure_logical_id
    if queue is None:
        return None
    url = stack.resources.queues.get(queue)
    if url is None:
        log.warning("stream %s: its on-failure destination %s was not created locally", source.event_name, queue)
        return None
    function = stack.functions.functions[source.function_logical_id]

    def send(record: dict[str, Any]) -> None:
        sqs.send_message(QueueUrl=url, MessageBody=json.dumps(record))

    return DeadLetter(
        send=send,
        function_arn=f"arn:aws:lambda:{stack.region}:{LOCAL_ACCOUNT_ID}:function:{function.function_name}",
        hold=read.hold,
        queue=queue,
    )


def stream_poller(stack: RunningStack) -> Callable[[], None]:
    """Worker: one poller per ``DynamoDB`` event of the template (none: nothing runs)."""
    dynamodb = boto3.client("dynamodb", region_name=stack.region, endpoint_url=stack.aws_endpoint_url)
    streams = streams_client(stack)
    sqs = boto3.client("sqs", region_name=stack.region, endpoint_url=stack.aws_endpoint_url)
    pollers: list[StreamPoller] = []
    read_records: dict[str, ReadRecords] = {}
    for source in stream_sources(stack.template):
        table = stack.resources.tables[source.table_logical_id]
        if table not in read_records:
            read_records[table] = ReadRecords(moto_stream_shard(table, stack.region))
        stream_arn = dynamodb.describe_table(TableName=table)["Table"].get("LatestStreamArn")
        if not stream_arn:
            raise ValueError(f"{source.function_logical_id}: table {source.table_logical_id} has no stream")
        poller = StreamPoller(
            source,
            stream_arn,
            streams=streams,
            invoke=stack.invoke_in_background,
            region=stack.region,
            on_change=functools.partial(note_table_change, table),
            on_read=read_records[table].register(f"{source.function_logical_id}.{source.event_name}"),
            shard_of=moto_stream_shard(table, stack.region),
            dead_letter=_dead_letter(stack, source, sqs, read_records[table]),
            batching_window=min(source.batching_window_seconds, LOCAL_MAX_BATCHING_WINDOW_SECONDS),
        )
        pollers.append(poller)
        log.info("stream %s -> %s (%d filter(s))", table, source.function_logical_id, len(source.filter_patterns))
    # Every poller of a table is registered with its ReadRecords before any reads: none may free a
    # record another has yet to read.
    for poller in pollers:
        poller.start()

    def stop() -> None:
        for poller in pollers:
            poller.stop()

    return stop


# --------------------------------------------------------------------------------------------------
# Timers
# --------------------------------------------------------------------------------------------------


def scheduled_event(source: ScheduleSource, *, stack_name: str, region: str, now: datetime) -> dict[str, Any]:
    """The event EventBridge sends a function on a schedule (the rule's ARN names the event)."""
    return {
        "version": "0",
        "id": str(uuid.uuid4()),
        "detail-type": "Scheduled Event",
        "source": "aws.events",
        "account": LOCAL_ACCOUNT_ID,
        "time": now.astimezone(UTC).strftime("%Y-%m-%dT%H:%M:%SZ"),
        "region": region,
        "resources": [
            f"arn:aws:events:{region}:{LOCAL_ACCOUNT_ID}:rule/{stack_name}-{source.function_logical_id}"
            f"-{source.event_name}"
        ],
        "detail": {},
    }


def timer_seconds() -> float:
    raw = os.environ.get(TIMER_SECONDS_ENV)
    try:
        seconds = float(raw) if raw else DEFAULT_TIMER_SECONDS
    except ValueError:
        raise ValueError(f"{TIMER_SECONDS_ENV} must be a number of seconds, not {raw!r}") from None
    if seconds <= 0:
        raise ValueError(f"{TIMER_SECONDS_ENV} must be positive, not {raw!r}")
    return seconds


# How long after a change of the table the local timers keep firing at the local period.
LOCAL_BUSY_SECONDS = 60.0
_RATE = re.compile(r"rate\(\s*(\d+)\s+(minute|minutes|hour|hours|day|days)\s*\)")
_UNIT_SECONDS = {"minute": 60, "hour": 3600, "day": 86400}


def rate_seconds(expression: str) -> float | None:
    """The period of a ``rate(...)`` schedule expression in seconds; None for cron or anything else."""
    match = _RATE.fullmatch(expression.strip())
    if match is None:
        return None
    return float(int(match.group(1)) * _UNIT_SECONDS[match.group(2).removesuffix("s")])


def timer_due(rate: float | None, quiet_for: float, since_fired: float) -> bool:
    """Whether a local timer tick invokes the function.

    Every tick does while the stack is busy: its table changed within the last
    ``LOCAL_BUSY_SECONDS`` (or the schedule's rate, if shorter), so the function may have new work
    (views to rank, an embargo to release) and a developer sees the result within seconds. An
    idle stack fires each schedule at its own rate, as EventBridge would: an idle tick costs
    nothing, where a trending run Queries every hour of the window (and moto walks the whole table
    for each Query, so an idle stack with history spent most of a core on it). What only the clock
    changes (an embargo ending later, an hour leaving the window) is picked up at the rate, as in
    AWS. A schedule that is not a rate (cron) fires every tick.
    """
    if rate is None:
        return True
    return quiet_for < min(rate, LOCAL_BUSY_SECONDS) or since_fired >= rate


def timers(stack: RunningStack) -> Callable[[], None]:
    """Worker: every enabled schedule of the template fires every ``NEWSDESK_LOCAL_TIMER_SECONDS``
    while the stack is busy, and at its own rate while it is idle (:func:`timer_due`)."""
    seconds = timer_seconds()
    sources = [source for source in schedule_sources(stack.template) if source.enabled]
    rates = {(source.function_logical_id, source.event_name): rate_seconds(source.expression) for source in sources}
    last_fired: dict[tuple[str, str], float] = {}
    tables = list(stack.resources.tables.values())
    stop_requested = threading.Event()
    stack_name = stack.resources.stack_name

    def fire(source: ScheduleSource) -> None:
        event = scheduled_event(source, stack_name=stack_name, region=stack.region, now=datetime.now(UTC))
        try:
            result = stack.invoke_in_background(source.function_logical_id, event)
        except Exception:
            log.exception("timer %s.%s: the function failed", source.function_logical_id, source.event_name)
            return
        log.debug("timer %s.%s: %r", source.function_logical_id, source.event_name, result)

    def run() -> None:
        while not stop_requested.wait(seconds):
            quiet_for = seconds_since_change(tables)
            for source in sources:
                if stop_requested.is_set():
                    return
                name = (source.function_logical_id, source.event_name)
                since_fired = time.monotonic() - last_fired.get(name, float("-inf"))
                if not timer_due(rates[name], quiet_for, since_fired):
                    continue
                last_fired[name] = time.monotonic()
                fire(source)

    thread = threading.Thread(target=run, name="local-timers", daemon=True)
    if sources:
        thread.start()
        for source in sources:
            log.info(
                "timer %s.%s (%s) every %g s locally while the table changes, at its rate when idle",
                source.function_logical_id,
                source.event_name,
                source.expression,
                seconds,
            )

    def stop() -> None:
        stop_requested.set()
        if thread.is_alive():
            thread.join(timeout=STOP_TIMEOUT_SECONDS)

    return stop


# --------------------------------------------------------------------------------------------------
# Snapshot server (the local CloudFront)
# --------------------------------------------------------------------------------------------------

_NOT_FOUND_CODES = {"NoSuchKey", "404", "NotFound"}
_CORS_HEADERS = {
    # The snapshots are public; any local page may read them.
    "Access-Control-Allow-Origin": "*",
    "Access-Control-Expose-Headers": "ETag",
}


def etag_matches(if_none_match: str, etag: str) -> bool:
    """RFC 9110 weak comparison of If-None-Match against an entity tag ("*" matches any)."""
    if if_none_match.strip() == "*":
        return True
    wanted = etag.removeprefix("W/")
    return any(candidate.strip().removeprefix("W/") == wanted for candidate in if_none_match.split(","))


def _not_modified_since(if_modified_since: str | None, last_modified: datetime | None) -> bool:
    if not if_modified_since or last_modified is None:
        return False
    try:
        since = email.utils.parsedate_to_datetime(if_modified_since)
    except (TypeError, ValueError):
        return False
    if since.tzinfo is None:
        since = since.replace(tzinfo=UTC)
    return last_modified.replace(microsecond=0) <= since


class LoopbackService:
    """A local server on loopback: its base URL, started on a port, stopped. The snapshot server and
    the site server (newsdesk_ops.site) differ only in the request handler they serve with."""

    def __init__(self, name: str, host: str) -> None:
        self._host = host
        self._server = LoopbackServer(name)

    @property
    def url(self) -> str:
        """Base URL with a trailing slash."""
        host, port = self._server.address
        return f"http://{host}:{port}/"

    def start(self, port: int = 0) -> str:
        """Bind ``port`` (0: any free one), serve in a background thread, return the base URL."""
        self._server.start((self._host, port), self.request_handler())
        return self.url

    def stop(self) -> None:
        self._server.stop()

    def request_handler(self) -> type[BaseHTTPRequestHandler]:
        raise NotImplementedError


def snapshot_reply(
    found: Mapping[str, Any], request_headers: email.message.Message, *, with_body: bool
) -> tuple[HTTPStatus, dict[str, str], bytes, int]:
    """Status, headers, body and Content-Length of a GET/HEAD of an object ``fetch`` found, as
    CloudFront answers it: the headers publish set (ETag, Cache-Control, Content-Type) and
    Last-Modified, or 304 when If-None-Match (else If-Modified-Since) says the reader has it."""
    etag = str(found.get("ETag", ""))
    last_modified: datetime | None = found.get("LastModified")
    headers = {"ETag": etag}
    if found.get("CacheControl"):
        headers["Cache-Control"] = str(found["CacheControl"])
    if last_modified is not None:
        headers["Last-Modified"] = email.utils.format_datetime(last_modified.astimezone(UTC), usegmt=True)
    if_none_match = request_headers.get("If-None-Match")
    not_modified = (
        etag_matches(if_none_match, etag)
        if if_none_match is not None
        else _not_modified_since(request_headers.get("If-Modified-Since"), last_modified)
    )
    if not_modified:
        return HTTPStatus.NOT_MODIFIED, headers, b"", 0
    headers["Content-Type"] = str(found.get("ContentType") or "binary/octet-stream")
    body: bytes = found["Body"] if with_body else b""
    return HTTPStatus.OK, headers, body, int(found.get("ContentLength", len(body)))


class SnapshotServer(LoopbackService):
    """Serves one bucket's objects read-only over HTTP on loopback, the way CloudFront would."""

    def __init__(self, bucket: str, s3: Any, host: str = "127.0.0.1") -> None:
        super().__init__("local snapshot server", host)
        self.bucket = bucket
        self._s3 = s3

    def request_handler(self) -> type[BaseHTTPRequestHandler]:
        return _snapshot_request_handler(self)

    def fetch(self, key: str, *, with_body: bool) -> dict[str, Any] | None:
        """The object's metadata (and body), or None when the key does not exist."""
        try:
            if with_body:
                response: dict[str, Any] = self._s3.get_object(Bucket=self.bucket, Key=key)
                response["Body"] = response["Body"].read()
            else:
                response = self._s3.head_object(Bucket=self.bucket, Key=key)
        except ClientError as error:
            if error.response.get("Error", {}).get("Code") in _NOT_FOUND_CODES:
                return None
            raise
        return response


class ReadOnlyRequestHandler(BaseHTTPRequestHandler):
    """GET and HEAD on a local read-only server. A subclass answers ``_serve`` and names the headers
    every response carries (``extra_headers``)."""

    protocol_version = "HTTP/1.1"
    timeout = 60
    extra_headers: Mapping[str, str] = {}

    def do_GET(self) -> None:
        self._serve(with_body=True)

    def do_HEAD(self) -> None:
        self._serve(with_body=False)

    def _serve(self, *, with_body: bool) -> None:
        raise NotImplementedError

    def _reply(
        self, status: HTTPStatus, headers: dict[str, str], body: bytes, *, content_length: int | None = None
    ) -> None:
        """Send ``status`` and ``headers``; ``content_length`` is the GET's length on a HEAD (no body)."""
        self.send_response(status)
        for name, value in {**headers, **self.extra_headers}.items():
            self.send_header(name, value)
        if status not in (HTTPStatus.NO_CONTENT, HTTPStatus.NOT_MODIFIED):
            self.send_header("Content-Length", str(len(body) if content_length is None else content_length))
        self.end_headers()
        if body and self.command != "HEAD":
            self.wfile.write(body)
        log.debug("%s %s %s %d", self.version_string(), self.command, self.path, status)

    def log_message(self, format: str, *args: Any) -> None:
        return


def _snapshot_request_handler(server: SnapshotServer) -> type[BaseHTTPRequestHandler]:
    class SnapshotRequestHandler(ReadOnlyRequestHandler):
        extra_headers = _CORS_HEADERS

        def do_OPTIONS(self) -> None:
            # CORS preflight: only reads are allowed.
            self._reply(
                HTTPStatus.NO_CONTENT,
                {
                    "Access-Control-Allow-Methods": "GET, HEAD",
                    "Access-Control-Allow-Headers": self.headers.get("Access-Control-Request-Headers") or "*",
                    "Access-Control-Max-Age": "600",
                },
                b"",
            )

        def _serve(self, *, with_body: bool) -> None:
            key = unquote(urlsplit(self.path).path).lstrip("/")
            try:
                found = server.fetch(key, with_body=with_body) if key and not key.endswith("/") else None
            except Exception:
                log.exception("snapshots: reading s3://%s/%s failed", server.bucket, key)
                self._message(HTTPStatus.BAD_GATEWAY, "the snapshot bucket could not be read", with_body)
                return
            if found is None:
                self._message(HTTPStatus.NOT_FOUND, f"no snapshot at /{key}", with_body)
                return
            status, headers, body, length = snapshot_reply(found, self.headers, with_body=with_body)
            self._reply(status, headers, body, content_length=length)

        def _message(self, status: HTTPStatus, message: str, with_body: bool) -> None:
            body = json.dumps({"message": message}).encode("utf-8") + b"\n"
            self._reply(
                status,
                {"Content-Type": "application/json; charset=utf-8", "Cache-Control": "no-store"},
                body if with_body else b"",
                content_length=len(body),
            )

        def version_string(self) -> str:
            return "newsdesk-local-snapshots"

    return SnapshotRequestHandler
