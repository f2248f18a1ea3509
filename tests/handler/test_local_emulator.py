"""The local stack's moto patches (newsdesk_ops.emulator) answer exactly as moto does, only faster.

Queries of every shape the functions use (a partition with key conditions, descending, paged with
Limit and ExclusiveStartKey, filtered; a global secondary index likewise) are answered twice in one
moto: as moto answers them and with the patch, and the answers must be identical. And the local
stack's stream poller frees only records that every poller of the stream has read.
"""

from __future__ import annotations

import random
from collections.abc import Iterator
from typing import Any

import boto3
import pytest
from moto import mock_aws

from newsdesk_ops.emulator import plain_queries, plain_serialization, speed_up_moto
from newsdesk_ops.stream_records import ReadRecords

pytestmark = pytest.mark.handler

TABLE = "emulator-check"


def create_check_table(client: Any, **extra: Any) -> None:
    """The table the patched Queries are checked on: a partition key, a sort key, one list index."""
    client.create_table(
        TableName=TABLE,
        BillingMode="PAY_PER_REQUEST",
        AttributeDefinitions=[
            {"AttributeName": name, "AttributeType": "S"} for name in ("PK", "SK", "latest_pk", "list_sk")
        ],
        KeySchema=[{"AttributeName": "PK", "KeyType": "HASH"}, {"AttributeName": "SK", "KeyType": "RANGE"}],
        GlobalSecondaryIndexes=[
            {
                "IndexName": "LatestIndex",
                "KeySchema": [
                    {"AttributeName": "latest_pk", "KeyType": "HASH"},
                    {"AttributeName": "list_sk", "KeyType": "RANGE"},
                ],
                "Projection": {"ProjectionType": "ALL"},
            }
        ],
        **extra,
    )


@pytest.fixture(scope="module")
def dynamodb() -> Iterator[Any]:
    with mock_aws():
        client = boto3.client(
            "dynamodb", region_name="eu-west-1", aws_access_key_id="testing", aws_secret_access_key="testing"
        )
        create_check_table(client)
        pick = random.Random(8)
        for number in range(600):
            item = {
                "PK": {"S": f"P#{number % 7}"},
                "SK": {"S": f"{pick.randrange(24):02d}#{number:05d}"},
                "n": {"N": str(pick.randrange(100))},
            }
            if number % 3:
                # Ties on the index's sort key, as two articles published in the same second have.
                item |= {"latest_pk": {"S": f"L#{number % 2}"}, "list_sk": {"S": f"2026-11-{pick.randrange(1, 9)}"}}
            client.put_item(TableName=TABLE, Item=item)
        speed_up_moto()
        yield client


QUERIES: list[dict[str, Any]] = [
    {"KeyConditionExpression": "PK = :p", "ExpressionAttributeValues": {":p": {"S": "P#3"}}},
    {"KeyConditionExpression": "PK = :p", "ExpressionAttributeValues": {":p": {"S": "P#none"}}},
    {
        "KeyConditionExpression": "PK = :p AND SK BETWEEN :a AND :b",
        "ExpressionAttributeValues": {":p": {"S": "P#1"}, ":a": {"S": "05#"}, ":b": {"S": "12#~"}},
        "ScanIndexForward": False,
        "Limit": 7,
    },
    {
        "KeyConditionExpression": "PK = :p AND begins_with(SK, :s)",
        "FilterExpression": "n > :n",
        "ExpressionAttributeValues": {":p": {"S": "P#2"}, ":s": {"S": "1"}, ":n": {"N": "40"}},
        "Limit": 5,
    },
    {
        "IndexName": "LatestIndex",
        "KeyConditionExpression": "latest_pk = :l",
        "ExpressionAttributeValues": {":l": {"S": "L#1"}},
        "ScanIndexForward": False,
        "Limit": 11,
    },
    {
        "IndexName": "LatestIndex",
        "KeyConditionExpression": "latest_pk = :l AND list_sk > :t",
        "ExpressionAttributeValues": {":l": {"S": "L#0"}, ":t": {"S": "2026-11-4"}},
        "Limit": 9,
    },
]


def all_pages(client: Any, query: dict[str, Any]) -> list[dict[str, Any]]:
    pages = []
    start: dict[str, Any] | None = None
    while True:
        response = client.query(TableName=TABLE, **query, **({"ExclusiveStartKey": start} if start else {}))
        pages.append({key: response.get(key) for key in ("Items", "Count", "ScannedCount", "LastEvaluatedKey")})
        start = response.get("LastEvaluatedKey")
        if not start:
            return pages


@pytest.mark.parametrize("query", QUERIES, ids=lambda query: query.get("IndexName", "table"))
def test_patched_queries_answer_page_for_page_as_moto_does(dynamodb: Any, query: dict[str, Any]) -> None:
    with plain_queries():
        expected = all_pages(dynamodb, query)
    assert all_pages(dynamodb, query) == expected
    assert sum(len(page["Items"]) for page in expected) > 0 or "P#none" in str(query)


def test_patched_scans_answer_page_for_page_as_moto_does(dynamodb: Any) -> None:
    def pages() -> list[Any]:
        found, start = [], None
        while True:
            response = dynamodb.scan(TableName=TABLE, Limit=97, **({"ExclusiveStartKey": start} if start else {}))
            found.append((response["Items"], response.get("LastEvaluatedKey")))
            if not (start := response.get("LastEvaluatedKey")):
                return found

    with plain_queries():
        expected = pages()
    assert pages() == expected and len(expected) > 1


class FakeShard:
    def __init__(self, records: int) -> None:
        self.starting_sequence_number = 1000
        self.items: list[Any] = [object() for _ in range(records)]


def test_stream_records_are_freed_only_once_every_poller_has_read_them() -> None:
    shard = FakeShard(10)
    read = ReadRecords(lambda: shard)
    publish, views = read.register("publish"), read.register("views")
    # One poller alone frees nothing: the other has not read yet
    publish(1006)
    assert shard.items.count(None) == 0
    # Both have read: what both have read (before the lower position) is freed, and no more
    views(1004)
    assert shard.items[:4] == [None] * 4 and None not in shard.items[4:]
    publish(1010)
    views(1010)
    assert shard.items == [None] * 10 and len(shard.items) == 10
    assert read.freed_records == 10


# Every type of attribute value, nested, as the functions' items hold them (articles, media entries).
EVERY_TYPE: dict[str, Any] = {
    "PK": {"S": "TYPES#1"},
    "SK": {"S": "ITEM"},
    "text": {"S": 'Уралвагонзавод "quoted" \\ ✓'},
    "empty_text": {"S": ""},
    "amount": {"N": "-12.5"},
    "binary": {"B": b"\x00\xffbytes"},
    "strings": {"SS": ["a", "b"]},
    "numbers": {"NS": ["1", "2.5"]},
    "binaries": {"BS": [b"\x01", b"\x02"]},
    "nothing": {"NULL": True},
    "yes": {"BOOL": True},
    "no": {"BOOL": False},
    "empty_list": {"L": []},
    "empty_map": {"M": {}},
    "nested": {
        "M": {
            "renditions": {"L": [{"M": {"path": {"S": "v1/media/a.webp"}, "width": {"N": "640"}}}]},
            "flags": {"L": [{"BOOL": False}, {"NULL": True}, {"B": b"\x07"}, {"SS": ["x"]}]},
        }
    },
}


def raw_bodies(client: Any, calls: list[tuple[str, dict[str, Any]]]) -> list[bytes]:
    """The response bodies moto sent for these calls, byte for byte."""
    bodies: list[bytes] = []

    def keep(http_response: Any, **_: Any) -> None:
        bodies.append(http_response.content)

    client.meta.events.register("after-call.dynamodb", keep)
    try:
        for operation, parameters in calls:
            getattr(client, operation)(**parameters)
    finally:
        client.meta.events.unregister("after-call.dynamodb", keep)
    return bodies


def test_items_are_serialized_byte_for_byte_as_moto_does(dynamodb: Any) -> None:
    dynamodb.put_item(TableName=TABLE, Item=EVERY_TYPE)
    key = {"PK": EVERY_TYPE["PK"], "SK": EVERY_TYPE["SK"]}
    calls: list[tuple[str, dict[str, Any]]] = [
        ("get_item", {"TableName": TABLE, "Key": key, "ConsistentRead": True}),
        ("put_item", {"TableName": TABLE, "Item": EVERY_TYPE, "ReturnValues": "ALL_OLD"}),
        ("query", {**QUERIES[2], "TableName": TABLE}),
        (
            "query",
            {
                "TableName": TABLE,
                "KeyConditionExpression": "PK = :p",
                "ExpressionAttributeValues": {":p": EVERY_TYPE["PK"]},
            },
        ),
        ("batch_get_item", {"RequestItems": {TABLE: {"Keys": [key, {"PK": {"S": "P#1"}, "SK": {"S": "none"}}]}}}),
        (
            "update_item",
            {
                "TableName": TABLE,
                "Key": key,
                "UpdateExpression": "SET amount = :n",
                "ExpressionAttributeValues": {":n": {"N": "-12.5"}},
                "ReturnValues": "ALL_NEW",
            },
        ),
    ]
    with plain_serialization():
        expected = raw_bodies(dynamodb, calls)
    assert raw_bodies(dynamodb, calls) == expected
    assert b'"B": "AP9ieXRlcw=="' in expected[0]  # the item came back, its binary in base64


def test_items_are_serialized_without_moto_walking_every_attribute_value(dynamodb: Any) -> None:
    """moto's generic serializer asks its attribute picker for each of the ten members of every
    attribute value (most of the local stack's CPU under load); the patch writes values directly."""
    from moto.core import serialize

    item = {"PK": {"S": "WIDE#1"}, "SK": {"S": "ITEM"}} | {f"a{n}": {"S": str(n)} for n in range(100)}
    dynamodb.put_item(TableName=TABLE, Item=item)
    picked = 0
    original = serialize.AttributePicker.__call__

    def counting(self: Any, context: Any) -> Any:
        nonlocal picked
        picked += 1
        return original(self, context)

    serialize.AttributePicker.__call__ = counting  # type: ignore[method-assign]
    try:
        dynamodb.get_item(TableName=TABLE, Key={"PK": item["PK"], "SK": item["SK"]})
        patched = picked
        with plain_serialization():
            dynamodb.get_item(TableName=TABLE, Key={"PK": item["PK"], "SK": item["SK"]})
        plain = picked - patched
    finally:
        serialize.AttributePicker.__call__ = original  # type: ignore[method-assign]
    assert plain > 1000 and patched < 20


def test_query_results_are_sorted_without_comparing_moto_values_one_by_one(dynamodb: Any) -> None:
    """moto sorts a Query's matches by comparing its own value objects (a Python call per comparison);
    with string keys, as every key of the table is, the patch sorts by the strings (same order)."""
    from moto.dynamodb.models.dynamo_type import DynamoType

    compared = 0
    original = DynamoType.__lt__

    def counting(self: Any, other: Any) -> Any:
        nonlocal compared
        compared += 1
        return original(self, other)

    query = {"TableName": TABLE, **QUERIES[4]}
    DynamoType.__lt__ = counting  # type: ignore[method-assign]
    try:
        patched = dynamodb.query(**query)
        patched_comparisons = compared
        with plain_queries():
            plain = dynamodb.query(**query)
    finally:
        DynamoType.__lt__ = original  # type: ignore[method-assign]
    assert patched["Items"] == plain["Items"] and len(plain["Items"]) == 11
    assert compared - patched_comparisons > 100 and patched_comparisons == 0
