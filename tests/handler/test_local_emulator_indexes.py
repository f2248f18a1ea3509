"""An index Query of the local stack's moto reads only its hash key's items (newsdesk_ops.emulator).

moto looked at every item of the table for each index Query: publish makes a dozen a batch, and with
5,000 stories that was 40,000 items each, most of the local stack's time. The patch keeps each index
hash key's items (built once, then following every write through the table's stream) and must
answer exactly as moto does, before and after writes that move items in and out of a partition.
"""

from __future__ import annotations

import contextlib
import random
import threading
from collections.abc import Iterator
from typing import Any

import boto3
import pytest
from botocore.exceptions import ClientError
from moto import mock_aws

from newsdesk_ops.emulator import plain_queries, speed_up_moto
from tests.handler.test_local_emulator import all_pages, create_check_table

pytestmark = pytest.mark.handler

TABLE = "emulator-check"  # the name all_pages queries


def moto_client() -> Any:
    """A DynamoDB client of the in-process moto (inside mock_aws)."""
    return boto3.client(
        "dynamodb", region_name="eu-west-1", aws_access_key_id="testing", aws_secret_access_key="testing"
    )


@pytest.fixture
def dynamodb() -> Iterator[Any]:
    with mock_aws():
        client = moto_client()
        create_check_table(client, StreamSpecification={"StreamEnabled": True, "StreamViewType": "NEW_AND_OLD_IMAGES"})
        pick = random.Random(10)
        for number in range(400):
            item = {"PK": {"S": f"P#{number % 9}"}, "SK": {"S": f"{number:05d}"}, "n": {"N": str(pick.randrange(9))}}
            if number % 4:
                item |= {"latest_pk": {"S": f"L#{number % 3}"}, "list_sk": {"S": f"2026-11-{pick.randrange(10, 30)}"}}
            client.put_item(TableName=TABLE, Item=item)
        speed_up_moto()
        yield client


INDEX_QUERIES: list[dict[str, Any]] = [
    {
        "IndexName": "LatestIndex",
        "KeyConditionExpression": "latest_pk = :l",
        "ExpressionAttributeValues": {":l": {"S": f"L#{partition}"}},
        "ScanIndexForward": False,
        "Limit": 13,
    }
    for partition in range(4)
] + [
    {
        "IndexName": "LatestIndex",
        "KeyConditionExpression": "latest_pk = :l AND list_sk BETWEEN :a AND :b",
        "FilterExpression": "n > :n",
        "ExpressionAttributeValues": {
            ":l": {"S": "L#1"},
            ":a": {"S": "2026-11-15"},
            ":b": {"S": "2026-11-22~"},
            ":n": {"N": "3"},
        },
    },
    {
        "IndexName": "LatestIndex",
        "KeyConditionExpression": "latest_pk = :l",
        "ExpressionAttributeValues": {":l": {"S": "L#0"}},
    },
    {  # a Limit counts the items read, the filter takes from those
        "IndexName": "LatestIndex",
        "KeyConditionExpression": "latest_pk = :l",
        "FilterExpression": "n > :n",
        "ExpressionAttributeValues": {":l": {"S": "L#2"}, ":n": {"N": "4"}},
        "ScanIndexForward": False,
        "Limit": 7,
    },
    # As publish asks: the nearest older story (descending, one), a day's stories, one exact key.
    *(
        {
            "IndexName": "LatestIndex",
            "KeyConditionExpression": f"latest_pk = :l AND {condition}",
            "ExpressionAttributeValues": {":l": {"S": f"L#{partition}"}, **values},
            "ScanIndexForward": forward,
            "Limit": limit,
        }
        for partition in (0, 2)
        for condition, values, forward, limit in (
            ("list_sk < :t", {":t": {"S": "2026-11-17"}}, False, 1),
            ("list_sk <= :t", {":t": {"S": "2026-11-17"}}, False, 4),
            ("list_sk >= :t", {":t": {"S": "2026-11-27"}}, True, 2),
            ("begins_with(list_sk, :d)", {":d": {"S": "2026-11-2"}}, False, 6),
            ("list_sk = :t", {":t": {"S": "2026-11-20"}}, True, 50),
        )
    ),
]


@contextlib.contextmanager
def items_moto_looks_at() -> Iterator[list[int]]:
    """The number of items moto's Query loop goes through (Table.all_items), for each Query inside."""
    from moto.dynamodb.models.table import Table

    seen: list[int] = []
    patched = Table.all_items

    def counting(self: Any) -> list[Any]:
        items = patched(self)
        seen.append(len(items))
        return items

    Table.all_items = counting  # type: ignore[method-assign]
    try:
        yield seen
    finally:
        Table.all_items = patched  # type: ignore[method-assign]


def answers(client: Any) -> list[Any]:
    return [all_pages(client, query) for query in INDEX_QUERIES]


def test_index_queries_answer_as_moto_does_before_and_after_writes(dynamodb: Any) -> None:
    # Given the index partitions built by a first round of Queries
    with plain_queries():
        expected = answers(dynamodb)
    assert answers(dynamodb) == expected
    # When items move between hash keys, leave the index, join it, are replaced, deleted and written
    # by a transaction
    table = {"TableName": TABLE}
    dynamodb.update_item(
        **table,
        Key={"PK": {"S": "P#1"}, "SK": {"S": "00001"}},
        UpdateExpression="SET latest_pk = :l",
        ExpressionAttributeValues={":l": {"S": "L#3"}},
    )
    dynamodb.update_item(
        **table, Key={"PK": {"S": "P#2"}, "SK": {"S": "00002"}}, UpdateExpression="REMOVE latest_pk, list_sk"
    )
    dynamodb.update_item(
        **table,
        Key={"PK": {"S": "P#4"}, "SK": {"S": "00004"}},
        UpdateExpression="SET latest_pk = :l, list_sk = :s",
        ExpressionAttributeValues={":l": {"S": "L#0"}, ":s": {"S": "2026-11-20"}},
    )
    dynamodb.put_item(**table, Item={"PK": {"S": "P#5"}, "SK": {"S": "00005"}, "n": {"N": "1"}})
    dynamodb.delete_item(**table, Key={"PK": {"S": "P#6"}, "SK": {"S": "00006"}})
    dynamodb.transact_write_items(
        TransactItems=[
            {
                "Put": {
                    **table,
                    "Item": {
                        "PK": {"S": "P#new"},
                        "SK": {"S": "x"},
                        "latest_pk": {"S": "L#2"},
                        "list_sk": {"S": "2026-11-21"},
                        "n": {"N": "8"},
                    },
                }
            }
        ]
    )

    # ... and items measured by a Query since their last write grow (a Query page stops at 1 MB)
    def set_big(value: str) -> None:
        for number in (3, 9, 15, 21):  # all in L#0
            dynamodb.update_item(
                **table,
                Key={"PK": {"S": f"P#{number % 9}"}, "SK": {"S": f"{number:05d}"}},
                UpdateExpression="SET big = :b",
                ExpressionAttributeValues={":b": {"S": value}},
            )

    set_big("small")
    answers(dynamodb)
    set_big("x" * 350_000)
    # Then every Query answers, page for page, as moto does
    with plain_queries():
        expected = answers(dynamodb)
    assert answers(dynamodb) == expected
    assert any(item["PK"]["S"] == "P#1" for page in expected[3] for item in page["Items"])
    assert len(expected[5]) > 1  # the partition's answer no longer fits one page of 1 MB


def test_an_index_query_reads_only_the_items_of_its_hash_key(dynamodb: Any) -> None:
    # Given moto's Query loop, watched: how many items does it look at?
    with items_moto_looks_at() as seen:
        # When the index is queried for one hash key
        response = dynamodb.query(TableName=TABLE, **{k: v for k, v in INDEX_QUERIES[0].items() if k != "Limit"})
    # Then it looked at that partition's items (100 of the table's 400), not the table's
    assert seen == [response["Count"]] and response["Count"] == 100


def test_index_queries_after_the_tables_items_were_cleared_behind_moto(dynamodb: Any) -> None:
    """The tests' reset empties a table's items and stream records in place, past every write path:
    partitions kept from before must not answer for items that are gone."""
    from moto.core.models import DEFAULT_ACCOUNT_ID
    from moto.dynamodb.models import dynamodb_backends

    assert answers(dynamodb)  # the partitions are built
    table = dynamodb_backends[DEFAULT_ACCOUNT_ID]["eu-west-1"].tables[TABLE]
    table.items.clear()
    table.stream_shard.items.clear()
    dynamodb.put_item(
        TableName=TABLE,
        Item={"PK": {"S": "P#1"}, "SK": {"S": "only"}, "latest_pk": {"S": "L#0"}, "list_sk": {"S": "2026-11-20"}},
    )
    with plain_queries():
        expected = answers(dynamodb)
    assert answers(dynamodb) == expected
    assert sum(len(page["Items"]) for page in expected[0]) == 1


def test_an_update_moto_applied_in_place_and_then_refused_leaves_no_stale_partition(dynamodb: Any) -> None:
    """moto sets an update's attributes on the item before it refuses it for its size (400 KB), and the
    stream never hears of it: the kept partitions must not keep the item where it was."""

    def ids(partition: str) -> list[str]:
        response = dynamodb.query(
            TableName=TABLE,
            IndexName="LatestIndex",
            KeyConditionExpression="latest_pk = :l",
            ExpressionAttributeValues={":l": {"S": partition}},
        )
        return sorted(item["SK"]["S"] for item in response["Items"])

    item = {"PK": {"S": "BIG"}, "SK": {"S": "x"}, "latest_pk": {"S": "L#0"}, "list_sk": {"S": "2026-11-20"}}
    dynamodb.put_item(TableName=TABLE, Item=item | {"big": {"S": "a" * 300_000}})
    assert "x" in ids("L#0")  # the partitions are built
    with pytest.raises(ClientError):
        dynamodb.update_item(
            TableName=TABLE,
            Key={"PK": {"S": "BIG"}, "SK": {"S": "x"}},
            UpdateExpression="SET latest_pk = :l, more = :more",
            ExpressionAttributeValues={":l": {"S": "L#9"}, ":more": {"S": "b" * 200_000}},
        )
    with plain_queries():
        plain = (ids("L#0"), ids("L#9"))
    assert (ids("L#0"), ids("L#9")) == plain


def test_an_index_query_with_a_key_condition_compares_only_the_keys_it_matches(dynamodb: Any) -> None:
    from moto.dynamodb.models.dynamo_type import DynamoType

    # Given moto's comparisons of sort keys, watched
    compared = 0
    original = DynamoType.compare

    def counting(self: Any, *args: Any) -> Any:
        nonlocal compared
        compared += 1
        return original(self, *args)

    DynamoType.compare = counting  # type: ignore[method-assign]
    try:
        # When the index is asked for the newest story before a day (most of the partition is after it)
        response = dynamodb.query(
            TableName=TABLE,
            IndexName="LatestIndex",
            KeyConditionExpression="latest_pk = :l AND list_sk < :t",
            ExpressionAttributeValues={":l": {"S": "L#0"}, ":t": {"S": "2026-11-11"}},
            ScanIndexForward=False,
            Limit=1,
        )
    finally:
        DynamoType.compare = original  # type: ignore[method-assign]
    # Then moto compared the keys around the answer, not the whole partition (100 stories)
    assert response["Count"] == 1 and compared <= 3


@pytest.mark.parametrize(
    ("condition", "values", "matching"),
    [
        ("list_sk < :t", {":t": {"S": "2026-11-11"}}, lambda sk: sk < "2026-11-11"),
        ("list_sk BETWEEN :a AND :b", {":a": {"S": "2026-11-20"}, ":b": {"S": "2026-11-21"}},
         lambda sk: "2026-11-20" <= sk <= "2026-11-21"),
        ("begins_with(list_sk, :d)", {":d": {"S": "2026-11-2"}}, lambda sk: sk.startswith("2026-11-2")),
        ("list_sk = :t", {":t": {"S": "2026-11-20"}}, lambda sk: sk == "2026-11-20"),
    ],
)  # fmt: skip
def test_an_index_query_with_a_key_condition_hands_moto_only_its_run(
    dynamodb: Any, condition: str, values: dict[str, Any], matching: Any
) -> None:
    """Each of publish's list Queries names a few stories of a partition of thousands: moto's loop
    checked every item of the partition against the hash key (and our sort built a key for each) for
    every Query. The partition is kept sorted by the index's keys, and moto gets the run the key
    condition selects, with one neighbour on either side."""

    query = {
        "TableName": TABLE,
        "IndexName": "LatestIndex",
        "KeyConditionExpression": f"latest_pk = :l AND {condition}",
        "ExpressionAttributeValues": {":l": {"S": "L#0"}, **values},
    }
    with plain_queries():
        plain = dynamodb.query(**query)
    dynamodb.query(**query)  # the run is built; then a write moves one more story into it
    dynamodb.put_item(
        TableName=TABLE,
        Item={"PK": {"S": "P#run"}, "SK": {"S": "x"}, "latest_pk": {"S": "L#0"}, "list_sk": {"S": "2026-11-20"}},
    )
    with plain_queries():
        plain = dynamodb.query(**query)
    with items_moto_looks_at() as seen:
        response = dynamodb.query(**query)
    assert response["Items"] == plain["Items"]
    matched = [item for item in plain["Items"] if matching(item["list_sk"]["S"])]
    assert len(matched) == plain["Count"] < 90
    assert seen == [len(matched) + 2] or seen == [len(matched) + 1]


@pytest.mark.parametrize(
    ("condition", "values", "forward", "limit"),
    [
        ("", {}, False, 5),  # publish's newest stories of a list
        ("", {}, True, 3),
        ("AND list_sk < :t", {":t": {"S": "2026-11-25"}}, False, 1),  # the nearest older story
        ("AND list_sk > :t", {":t": {"S": "2026-11-11"}}, True, 2),
    ],
)  # fmt: skip
def test_an_index_query_with_a_limit_hands_moto_only_its_page(
    dynamodb: Any, condition: str, values: dict[str, Any], forward: bool, limit: int
) -> None:
    """At 5,000 stored stories publish's Query for a list's newest (no sort key condition, a Limit)
    took 137-169 ms: moto got the whole partition, sorted it and read it from its end. The page
    moto reads is the first ``Limit`` of the run (the last, read backwards), and one more to know
    that there is more; it gets those, and a neighbour."""
    query = {
        "TableName": TABLE,
        "IndexName": "LatestIndex",
        "KeyConditionExpression": f"latest_pk = :l {condition}",
        "ExpressionAttributeValues": {":l": {"S": "L#0"}, **values},
        "ScanIndexForward": forward,
        "Limit": limit,
    }
    dynamodb.query(**query)  # the sorted partition is built; then a write adds the newest story
    dynamodb.put_item(TableName=TABLE, Item=a_story("P#newest", "L#0", "2026-11-29~"))
    with plain_queries():
        plain = dynamodb.query(**query)
    with items_moto_looks_at() as seen:
        response = dynamodb.query(**query)
    assert response["Items"] == plain["Items"]
    assert response.get("LastEvaluatedKey") == plain.get("LastEvaluatedKey") is not None
    assert len(response["Items"]) == limit
    assert seen == [limit + 2]


@pytest.mark.parametrize("forward", [True, False])
def test_every_page_of_a_paged_index_query_hands_moto_only_that_page(dynamodb: Any, forward: bool) -> None:
    """publish reads a day's stories page by page (each a Query from the last one's LastEvaluatedKey):
    at 5,000 stories of one day each page took about 250 ms, because moto got the whole run again,
    sorted it and stepped past every story of the pages before. A later page starts at its
    ExclusiveStartKey in the sorted run."""
    query = {
        "IndexName": "LatestIndex",
        "KeyConditionExpression": "latest_pk = :l AND begins_with(list_sk, :m)",
        "ExpressionAttributeValues": {":l": {"S": "L#1"}, ":m": {"S": "2026-11"}},
        "ScanIndexForward": forward,
        "Limit": 4,
    }
    with plain_queries():
        plain = all_pages(dynamodb, query)
    with items_moto_looks_at() as seen:
        pages = all_pages(dynamodb, query)
    assert pages == plain
    assert len(pages) > 20  # the partition's 100 stories, 4 a page
    assert max(seen) <= 4 + 3, seen


def latest_partition(partition: str) -> dict[str, Any]:
    """A Query of one LatestIndex partition, every story of it."""
    return {
        "IndexName": "LatestIndex",
        "KeyConditionExpression": "latest_pk = :l",
        "ExpressionAttributeValues": {":l": {"S": partition}},
    }


def a_story(pk: str, partition: str, list_sk: str) -> dict[str, Any]:
    return {"PK": {"S": pk}, "SK": {"S": "x"}, "latest_pk": {"S": partition}, "list_sk": {"S": list_sk}}


def test_partitions_built_over_an_empty_stream_do_not_outlive_the_tables_reset() -> None:
    """The kept partitions were trusted while the stream's record count was the one they followed: a
    table whose stream was enabled after its items were written has no records, and the tests' reset
    (items and records cleared in place) left that count at 0 (a hostile review's find)."""
    from moto.core.models import DEFAULT_ACCOUNT_ID
    from moto.dynamodb.models import dynamodb_backends

    with mock_aws():
        client = moto_client()
        create_check_table(client)  # no stream yet
        for number in range(5):
            client.put_item(TableName=TABLE, Item=a_story(f"P#{number}", "L#0", f"2026-11-2{number}"))
        client.update_table(
            TableName=TABLE, StreamSpecification={"StreamEnabled": True, "StreamViewType": "NEW_AND_OLD_IMAGES"}
        )
        speed_up_moto()
        query = {
            "IndexName": "LatestIndex",
            "KeyConditionExpression": "latest_pk = :l AND list_sk >= :t",
            "ExpressionAttributeValues": {":l": {"S": "L#0"}, ":t": {"S": "2026-11-20"}},
        }
        assert len(all_pages(client, query)[0]["Items"]) == 5  # the partitions are built
        table = dynamodb_backends[DEFAULT_ACCOUNT_ID]["eu-west-1"].tables[TABLE]
        table.items.clear()
        table.stream_shard.items.clear()
        with plain_queries():
            expected = all_pages(client, query)
        assert all_pages(client, query) == expected
        assert expected[0]["Items"] == []


def test_an_index_key_moto_cannot_hash_gets_motos_own_answer(dynamodb: Any) -> None:
    """moto does not check the type of an index key on a write (DynamoDB refuses a map): the kept
    partitions could not hash it, and the Query failed where plain moto answers."""
    dynamodb.put_item(TableName=TABLE, Item=a_story("P#ok", "L#0", "2026-11-20"))
    dynamodb.put_item(
        TableName=TABLE,
        Item={"PK": {"S": "P#map"}, "SK": {"S": "x"}, "latest_pk": {"M": {"a": {"S": "b"}}}, "list_sk": {"S": "z"}},
    )
    query = latest_partition("L#0")
    with plain_queries():
        expected = all_pages(dynamodb, query)
    assert all_pages(dynamodb, query) == expected


def test_a_querys_answer_is_copied_whole_and_apart_from_the_table(dynamodb: Any) -> None:
    """moto copies a Query's answer before serializing it (a write may change the stored item in
    place meanwhile); the direct copy must be as deep as ``copy.deepcopy``: nothing shared."""
    from moto.dynamodb.models import table as table_module
    from moto.dynamodb.models.dynamo_type import Item

    def deep_item() -> Item:
        return Item(
            {"S": "P#deep"},
            {"S": "x"},
            {
                "PK": {"S": "P#deep"},
                "SK": {"S": "x"},
                "tags": {"L": [{"S": "a"}, {"M": {"inner": {"L": [{"N": "1"}]}}}]},
                "set": {"SS": ["one", "two"]},
                "blob": {"B": b"\x00\x01"},
            },
        )

    stored = deep_item()
    [copied] = table_module.copy.deepcopy([stored])
    assert copied == stored and copied is not stored
    assert copied.attrs is not stored.attrs
    copied.attrs["tags"].value[1].value["inner"].value.append(copied.attrs["tags"].value[0])
    copied.attrs["set"].value.append("three")
    assert stored.to_json() == deep_item().to_json()


def test_a_batch_read_measures_an_unchanged_item_once(dynamodb: Any) -> None:
    """moto measures each item a BatchGetItem returns twice (its 16 MB answer limit), attribute by
    attribute: publish checks a day's stories 100 at a time, and at 5,000 stories a call took 22 ms,
    most of it measuring. The size kept since the item's last write is the one it measures."""
    from moto.dynamodb.models.dynamo_type import DynamoType

    keys = [{"PK": {"S": f"P#{number % 9}"}, "SK": {"S": f"{number:05d}"}} for number in range(40)]

    def batch_read() -> list[Any]:
        response = dynamodb.batch_get_item(RequestItems={TABLE: {"Keys": keys, "ConsistentRead": True}})
        return sorted(response["Responses"][TABLE], key=lambda item: item["SK"]["S"])

    first = batch_read()  # measured once
    measured = 0
    original = DynamoType.size

    def counting(self: Any) -> int:
        nonlocal measured
        measured += 1
        return int(original(self))

    DynamoType.size = counting  # type: ignore[method-assign]
    try:
        again = batch_read()
        measured_again = measured
        # a written item is measured anew
        grow = {"UpdateExpression": "SET grown = :g", "ExpressionAttributeValues": {":g": {"S": "g"}}}
        dynamodb.update_item(TableName=TABLE, Key=keys[0], **grow)
        measured = 0
        after_write = batch_read()
        measured_after_write = measured
    finally:
        DynamoType.size = original  # type: ignore[method-assign]
    assert again == first
    assert measured_again == 0
    assert after_write[0]["grown"] == {"S": "g"}
    assert 0 < measured_after_write < 20


@pytest.mark.parametrize("forward", [True, False])
def test_a_start_key_of_another_partition_gets_motos_own_answer(dynamodb: Any, forward: bool) -> None:
    """An ExclusiveStartKey whose index hash key is another partition's (DynamoDB refuses it): moto
    compares the index's hash key first; the sorted run placed the start by its sort key alone
    (a hostile review's find)."""
    base = {
        "IndexName": "LatestIndex",
        "KeyConditionExpression": "latest_pk = :l",
        "ScanIndexForward": forward,
        "Limit": 5,
    }
    other = dynamodb.query(TableName=TABLE, **base, ExpressionAttributeValues={":l": {"S": "L#1"}})
    esk = other["LastEvaluatedKey"]
    query = {**base, "ExpressionAttributeValues": {":l": {"S": "L#0"}}, "ExclusiveStartKey": esk}
    with plain_queries():
        plain = dynamodb.query(TableName=TABLE, **query)
    patched = dynamodb.query(TableName=TABLE, **query)
    keep = ("Items", "Count", "ScannedCount", "LastEvaluatedKey")
    assert {k: patched.get(k) for k in keep} == {k: plain.get(k) for k in keep}


def test_a_size_measured_while_a_write_changes_the_item_is_not_kept(dynamodb: Any) -> None:
    """A read measures an item outside the writers' lock; a write in place in between, and the read's
    old measure was kept until the item's next write (a hostile review's find): Query pages of 1 MB
    then held 3 items of 350 KB."""
    from moto.dynamodb.models.dynamo_type import DynamoType

    def original_item_size(item: Any) -> int:
        return sum(len(k.encode()) + v.size() for k, v in item.attrs.items())

    big = "x" * 350_000
    for i in range(3):
        dynamodb.put_item(TableName=TABLE, Item=a_story(f"P#r{i}", "L#race", f"2026-11-1{i}") | {"big": {"S": big}})
    key = {"PK": {"S": "P#race"}, "SK": {"S": "x"}}
    dynamodb.put_item(
        TableName=TABLE,
        Item=a_story("P#race", "L#race", "2026-11-09") | {"big": {"S": "small"}, "tail": {"S": "tail-marker"}},
    )

    reached, release = threading.Event(), threading.Event()
    original = DynamoType.size
    reader_name = "batch-reader"

    def size(self: Any) -> int:
        if threading.current_thread().name == reader_name and self.type == "S" and self.value == "tail-marker":
            reached.set()
            release.wait(10)
        return int(original(self))

    DynamoType.size = size  # type: ignore[method-assign]
    try:
        reader = threading.Thread(
            name=reader_name,
            target=lambda: dynamodb.batch_get_item(RequestItems={TABLE: {"Keys": [key]}}),
        )
        reader.start()
        assert reached.wait(10)
        # While the read measures the item ("big" already counted, small), a write makes it 350 KB
        dynamodb.update_item(
            TableName=TABLE, Key=key, UpdateExpression="SET big = :b", ExpressionAttributeValues={":b": {"S": big}}
        )
        release.set()
        reader.join(10)
    finally:
        DynamoType.size = original  # type: ignore[method-assign]

    from moto.dynamodb.models import dynamodb_backends

    table = dynamodb_backends["123456789012"]["eu-west-1"].get_table(TABLE)
    stored = table.get_item(DynamoType({"S": "P#race"}), DynamoType({"S": "x"}))
    assert stored.__dict__.get("_newsdesk_size") in (None, original_item_size(stored))
    query = latest_partition("L#race")
    with plain_queries():
        expected = all_pages(dynamodb, query)
    got = all_pages(dynamodb, query)
    # four items of 350 KB each, 1 MB a page: two pages of two.
    assert [page["Count"] for page in got] == [2, 2], (
        got and [page["Count"] for page in got],
        [p["Count"] for p in expected],
    )
