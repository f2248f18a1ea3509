"""The local stack's Lambda event source mappings: :func:`stream_poller` runs one
:class:`StreamPoller` per ``DynamoDB`` event of the template. A poller reads the table's stream from
moto, drops records the event's FilterCriteria reject (newsdesk_ops.event_filters), and invokes the
function with batches shaped like Lambda's (newsdesk_ops.stream_records), honouring its batching
window and retrying what it reports as failed; a batch it gives up on goes to the event's
``DestinationConfig.OnFailure`` queue (Lambda's on-failure record), where ``newsdesk redrive`` finds it.

The other workers: newsdesk_ops.local_timers (the schedules) and newsdesk_ops.heap; the snapshot
server is newsdesk_ops.snapshot_server. Workers follow ``newsdesk_ops.local_stack.Worker``: called
with the running stack, they start a daemon thread and return the function that stops it. Whatever
they set up before returning is in place when ``LocalStack.start`` returns (the stream position in
particular, so no write made after start-up is missed).
"""

from __future__ import annotations

import functools
import json
import logging
import threading
import time
from collections.abc import Callable, Mapping, Sequence
from datetime import UTC, datetime
from typing import TYPE_CHECKING, Any

import boto3

from newsdesk_ops.event_filters import passes_filters, validate_pattern
from newsdesk_ops.local_timers import STOP_TIMEOUT_SECONDS, note_table_change
from newsdesk_ops.stream_records import (
    DeadLetter,
    ReadRecords,
    lambda_stream_record,
    moto_stream_shard,
    on_failure_record,
    sequence_number,
)
from newsdesk_ops.template import (
    INFINITE_RETRIES,
    LOCAL_ACCOUNT_ID,
    StreamSource,
    stream_sources,
)

if TYPE_CHECKING:
    from newsdesk_ops.local_stack import RunningStack

log = logging.getLogger(__name__)

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


# --------------------------------------------------------------------------------------------------
# Stream poller
# --------------------------------------------------------------------------------------------------


Invoke = Callable[[str, Any], Any]


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
            self._position = int(sequence_number({"dynamodb": records[-1]["dynamodb"]})) + 1
            for record in records:
                self._recent_ids[int(sequence_number(record))] = str(record.get("eventID", ""))
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
            self._on_read(int(sequence_number(records[-1])) + 1)
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
            # A stack that is stopping gives a failed batch up whole (below): split, it would cost an
            # invocation and a logged failure per record, against functions that may be gone.
            stopping = self._stop.is_set() and not self._flushing
            if failed_from == _FUNCTION_ERROR and self.source.bisect_on_error and len(batch) > 1 and not stopping:
                middle = len(batch) // 2
                self._deliver(batch[:middle])
                self._deliver(batch[middle:])
                return
            remaining = batch if failed_from == _FUNCTION_ERROR else batch[failed_from:]
            self.delivered += len(batch) - len(remaining)
            if retries >= self.max_retries or stopping:
                self.dropped += len(remaining)
                if self._dead_letter is not None and retries >= self.max_retries:
                    self._send_dead_letter(remaining, retries + 1, failed_from == _FUNCTION_ERROR)
                    return
                log.error(
                    "stream poller %s: dropped %d record(s) after %d attempt(s), sequence numbers %s (%s)",
                    self.name,
                    len(remaining),
                    retries + 1,
                    ", ".join(sequence_number(record) for record in remaining),
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
        except Exception as error:
            if self._stop.is_set() and not self._flushing:
                # The stack is stopping and closed its workers: one line, not a traceback per batch
                # (the caller says what happens to the records).
                log.warning("stream poller %s: a batch of %d was not handled: %s", self.name, len(batch), error)
            else:
                log.exception("stream poller %s: the function failed on a batch of %d", self.name, len(batch))
            return _FUNCTION_ERROR
        if not self.source.report_batch_item_failures:
            return None
        return first_failed_index(batch, response)


_FUNCTION_ERROR = -1


def first_failed_index(batch: Sequence[Mapping[str, Any]], response: Any) -> int | None:
    """Where a partial batch response says to resume; None when every record succeeded.

    As Lambda reads it: no ``batchItemFailures`` (or an empty list) is success; an identifier that
    is empty or not in the batch fails the whole batch.
    """
    failures = response.get("batchItemFailures") if isinstance(response, Mapping) else None
    if not failures:
        return None
    positions = {sequence_number(record): index for index, record in enumerate(batch)}
    indexes: list[int] = []
    for failure in failures:
        identifier = failure.get("itemIdentifier") if isinstance(failure, Mapping) else None
        if not identifier or str(identifier) not in positions:
            return 0
        indexes.append(positions[str(identifier)])
    return min(indexes)


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
