"""Transactions on the local stack's moto behave as DynamoDB's: all or nothing, in place, one at a time.

moto keeps a deep copy of every table a TransactWriteItems touches and, when the transaction is
cancelled, puts the copy in the table's place. Two things followed on the local stack:

- the stream poller kept reading the table object it had opened, so after one cancelled
  transaction (a condition that failed, as a race between two writers makes one) nothing was
  published or counted any more until a restart;
- the copy grows with the table, and writers on other threads changed the table while it was
  being copied ("dictionary changed size during iteration", answered as a 500).

With ``newsdesk_ops.emulator``'s patch, a transaction whose conditions fail writes nothing and
leaves the table object where it was; writes and transactions take one lock, so a transaction's
check and its writes are not interleaved with another writer's.
"""

from __future__ import annotations

import threading
from collections.abc import Iterator
from typing import Any

import boto3
import pytest
from botocore.exceptions import ClientError
from moto import mock_aws

from newsdesk_ops.emulator import speed_up_moto

pytestmark = pytest.mark.handler

TABLE = "transactions-check"
REGION = "eu-west-1"


@pytest.fixture(scope="module")
def dynamodb() -> Iterator[Any]:
    with mock_aws():
        client = boto3.client(
            "dynamodb", region_name=REGION, aws_access_key_id="testing", aws_secret_access_key="testing"
        )
        client.create_table(
            TableName=TABLE,
            BillingMode="PAY_PER_REQUEST",
            AttributeDefinitions=[{"AttributeName": name, "AttributeType": "S"} for name in ("PK", "SK")],
            KeySchema=[{"AttributeName": "PK", "KeyType": "HASH"}, {"AttributeName": "SK", "KeyType": "RANGE"}],
            StreamSpecification={"StreamEnabled": True, "StreamViewType": "NEW_AND_OLD_IMAGES"},
        )
        for number in range(300):
            client.put_item(TableName=TABLE, Item={"PK": {"S": f"P#{number % 10}"}, "SK": {"S": f"{number:05d}"}})
        speed_up_moto()
        yield client


def moto_table() -> Any:
    from moto.core import DEFAULT_ACCOUNT_ID
    from moto.dynamodb.models import dynamodb_backends

    return dynamodb_backends[DEFAULT_ACCOUNT_ID][REGION].tables[TABLE]


def counter_update(pk: str, expected: int) -> dict[str, Any]:
    return {
        "Update": {
            "TableName": TABLE,
            "Key": {"PK": {"S": pk}, "SK": {"S": "COUNTER"}},
            "UpdateExpression": "SET n = :next",
            "ConditionExpression": "attribute_not_exists(n) OR n = :expected",
            "ExpressionAttributeValues": {":next": {"N": str(expected + 1)}, ":expected": {"N": str(expected)}},
        }
    }


def test_a_cancelled_transaction_writes_nothing_and_keeps_the_table_in_place(dynamodb: Any) -> None:
    table = moto_table()
    stream_items = len(table.stream_shard.items)
    dynamodb.put_item(TableName=TABLE, Item={"PK": {"S": "C#1"}, "SK": {"S": "COUNTER"}, "n": {"N": "5"}})

    with pytest.raises(ClientError) as cancelled:
        dynamodb.transact_write_items(
            TransactItems=[
                {"Put": {"TableName": TABLE, "Item": {"PK": {"S": "NEW#1"}, "SK": {"S": "X"}}}},
                counter_update("C#1", expected=4),  # the stored value is 5: this condition fails
            ]
        )

    error = cancelled.value.response
    assert error["Error"]["Code"] == "TransactionCanceledException"
    assert [reason["Code"] for reason in error["CancellationReasons"]] == ["None", "ConditionalCheckFailed"]
    assert "Item" not in dynamodb.get_item(TableName=TABLE, Key={"PK": {"S": "NEW#1"}, "SK": {"S": "X"}})
    # The stream poller holds this object: it must still be the table, and hear of no write.
    assert moto_table() is table
    assert len(table.stream_shard.items) == stream_items + 1  # only the put_item above


def test_a_transaction_whose_conditions_hold_writes_every_item(dynamodb: Any) -> None:
    dynamodb.transact_write_items(
        TransactItems=[
            {"Put": {"TableName": TABLE, "Item": {"PK": {"S": "NEW#2"}, "SK": {"S": "X"}}}},
            counter_update("C#2", expected=0),
        ]
    )
    assert "Item" in dynamodb.get_item(TableName=TABLE, Key={"PK": {"S": "NEW#2"}, "SK": {"S": "X"}})
    counter = dynamodb.get_item(TableName=TABLE, Key={"PK": {"S": "C#2"}, "SK": {"S": "COUNTER"}})["Item"]
    assert counter["n"] == {"N": "1"}


def test_racing_transactions_count_exactly_and_raise_nothing_else(dynamodb: Any) -> None:
    """Eight writers increment one counter with read-then-conditional-transaction, as the view counter
    does, while others put items: every increment lands once and no call fails except by its condition."""
    increments_per_writer = 25
    unexpected: list[str] = []

    def increment() -> None:
        for _ in range(increments_per_writer):
            while True:
                item = dynamodb.get_item(
                    TableName=TABLE, Key={"PK": {"S": "C#race"}, "SK": {"S": "COUNTER"}}, ConsistentRead=True
                ).get("Item")
                current = int(item["n"]["N"]) if item else 0
                try:
                    dynamodb.transact_write_items(TransactItems=[counter_update("C#race", expected=current)])
                    break
                except ClientError as error:
                    if error.response["Error"]["Code"] != "TransactionCanceledException":
                        unexpected.append(str(error))
                        return

    def put_items(writer: int) -> None:
        for number in range(100):
            try:
                dynamodb.put_item(TableName=TABLE, Item={"PK": {"S": f"W#{writer}"}, "SK": {"S": f"{number:05d}"}})
            except ClientError as error:
                unexpected.append(str(error))
                return

    threads = [threading.Thread(target=increment) for _ in range(8)]
    threads += [threading.Thread(target=put_items, args=(writer,)) for writer in range(4)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join()

    assert unexpected == []
    counter = dynamodb.get_item(TableName=TABLE, Key={"PK": {"S": "C#race"}, "SK": {"S": "COUNTER"}})["Item"]
    assert counter["n"] == {"N": str(8 * increments_per_writer)}
