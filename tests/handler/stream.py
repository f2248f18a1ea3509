"""The table's DynamoDB stream as Lambda would deliver it, read from moto.

``TableStream`` keeps its place in each shard, so every ``read_event()`` returns the records
written since the previous read, shaped like the canonical ``tests/events/dynamodb_stream_batch.json``
(what the Lambda event source mapping hands to the publish function).

    stream = TableStream(dynamodb, table_name)       # starts at the end: only new changes
    ...post an article...
    event = stream.read_event()                       # {"Records": [...]} or None when nothing new

``count_new_visits(stream, context)`` hands the new records that the view counter's filter in
template.yaml lets through to that function (``trending.counting.handler``), as its event source
mapping would: POST views, then count them, then the counters hold them.
"""

from __future__ import annotations

import copy
import json
from datetime import datetime
from pathlib import Path
from typing import Any

import boto3
from botocore.config import Config

CANONICAL_EVENT = Path(__file__).resolve().parents[1] / "events" / "dynamodb_stream_batch.json"


def streams_client(region: str | None = None, endpoint_url: str | None = None) -> Any:
    # botocore's default endpoint for DynamoDB Streams embeds the account id in the host name,
    # which moto's in-process mock does not recognise; the regional endpoint works with both.
    return boto3.client(
        "dynamodbstreams",
        region_name=region,
        endpoint_url=endpoint_url,
        config=Config(account_id_endpoint_mode="disabled"),
    )


def _record_envelope() -> dict[str, Any]:
    event = json.loads(CANONICAL_EVENT.read_text(encoding="utf-8"))
    record: dict[str, Any] = event["Records"][0]
    return record


def lambda_record(stream_record: dict[str, Any], stream_arn: str) -> dict[str, Any]:
    """One GetRecords record in the shape of a Lambda event record (JSON-serializable)."""
    record = copy.deepcopy(_record_envelope())
    for name in ("eventID", "eventName", "eventVersion", "eventSource", "awsRegion"):
        if name in stream_record:
            record[name] = stream_record[name]
    dynamodb = dict(stream_record["dynamodb"])
    created = dynamodb.get("ApproximateCreationDateTime")
    if isinstance(created, datetime):
        # Lambda delivers epoch seconds; GetRecords (through boto3) gives a datetime.
        dynamodb["ApproximateCreationDateTime"] = int(created.timestamp())
    record["dynamodb"] = dynamodb
    record["eventSourceARN"] = stream_arn
    return record


def lambda_event(records: list[dict[str, Any]]) -> dict[str, Any]:
    return {"Records": records}


class TableStream:
    """Reads the stream of one table from where the last read stopped."""

    def __init__(self, dynamodb: Any, table_name: str, *, streams: Any = None, from_start: bool = False) -> None:
        self.stream_arn: str = dynamodb.describe_table(TableName=table_name)["Table"]["LatestStreamArn"]
        self._streams = streams or streams_client(region=dynamodb.meta.region_name)
        self._iterators: dict[str, str] = {}
        position = "TRIM_HORIZON" if from_start else "LATEST"
        for shard in self._shards():
            self._iterators[shard] = self._streams.get_shard_iterator(
                StreamArn=self.stream_arn, ShardId=shard, ShardIteratorType=position
            )["ShardIterator"]

    def _shards(self) -> list[str]:
        description = self._streams.describe_stream(StreamArn=self.stream_arn)["StreamDescription"]
        return [shard["ShardId"] for shard in description["Shards"]]

    def read_records(self) -> list[dict[str, Any]]:
        """New records of every shard, in the order of their sequence numbers, in Lambda's shape."""
        records: list[dict[str, Any]] = []
        for shard in self._shards():
            iterator = (
                self._iterators.get(shard)
                or self._streams.get_shard_iterator(
                    StreamArn=self.stream_arn, ShardId=shard, ShardIteratorType="TRIM_HORIZON"
                )["ShardIterator"]
            )
            while True:
                response = self._streams.get_records(ShardIterator=iterator, Limit=1000)
                iterator = response["NextShardIterator"]
                if not response["Records"]:
                    break
                records.extend(lambda_record(record, self.stream_arn) for record in response["Records"])
            self._iterators[shard] = iterator
        records.sort(key=lambda record: int(record["dynamodb"]["SequenceNumber"]))
        return records

    def read_event(self) -> dict[str, Any] | None:
        """Everything new as one Lambda event, or None when nothing was written since the last read."""
        records = self.read_records()
        return lambda_event(records) if records else None


def filtered_for(function_logical_id: str, records: list[dict[str, Any]]) -> list[dict[str, Any]]:
    """The records the function's FilterCriteria in template.yaml let through (as Lambda filters them)."""
    from newsdesk_ops.event_filters import passes_filters
    from newsdesk_ops.template import load_template, stream_sources

    (source,) = [
        source for source in stream_sources(load_template()) if source.function_logical_id == function_logical_id
    ]
    return [record for record in records if passes_filters(source.filter_patterns, record)]


def count_new_visits(stream: TableStream, context: Any) -> dict[str, Any]:
    """Hand what is new on the stream to the view counter function, filtered and in one batch."""
    from trending.counting import handler

    records = filtered_for("ViewCounterFunction", stream.read_records())
    response: dict[str, Any] = handler(lambda_event(records), context) if records else {"batchItemFailures": []}
    return response
