"""The table stream's records as the local stack handles them: in the shape of Lambda's DynamoDB
event, as Lambda's on-failure record of a batch given up on (:class:`DeadLetter`), and read from
moto's shard and freed once every poller of the table has read them (:class:`ReadRecords`).
"""

from __future__ import annotations

import base64
import functools
import logging
import threading
import uuid
from collections.abc import Callable, Mapping, Sequence
from dataclasses import dataclass
from datetime import UTC, datetime
from typing import TYPE_CHECKING, Any

if TYPE_CHECKING:
    pass

log = logging.getLogger(__name__)


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
# Dead letters (Lambda's on-failure record)
# --------------------------------------------------------------------------------------------------


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
            "startSequenceNumber": sequence_number(batch[0]),
            "endSequenceNumber": sequence_number(batch[-1]),
            "approximateArrivalOfFirstRecord": _arrival(batch[0], now),
            "approximateArrivalOfLastRecord": _arrival(batch[-1], now),
            "batchSize": len(batch),
            "streamArn": stream_arn,
        },
    }


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


def sequence_number(record: Mapping[str, Any]) -> str:
    return str(record.get("dynamodb", {}).get("SequenceNumber", "?"))
