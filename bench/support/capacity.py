"""DynamoDB write capacity units of the writes a piece of code makes, by DynamoDB's billing rules.

moto does not bill, so the bench computes what DynamoDB would charge from the requests (seen by
botocore hooks, ``bench.support.sdk``) and from the items before and after each write (read by
the bench with a client the code under test does not use). The rules applied, from the DynamoDB
developer guide:

- Item size = the sum, over attributes, of the UTF-8 length of the name plus the size of the
  value: strings their UTF-8 length, numbers 1 byte per two significant digits + 1, binary its
  length, booleans and null 1 byte, lists and maps 3 bytes + 1 byte per element + the elements
  (map keys count as names), sets the sum of their elements.
- A write costs 1 WCU per started KB of the item (at least 1). PutItem and UpdateItem are
  charged on the larger of the item before and after the write; DeleteItem on the deleted item.
- A write whose condition fails still costs: the size of the existing item, or 1 WCU if none.
- TransactWriteItems costs twice: 2 WCU per started KB of each item written or condition-checked.
  A cancelled transaction is charged here as every item failing its condition (2x the existing
  item's size, or 2 if none).
- Global secondary indexes are charged separately, on their own entry's size (keys + projected
  attributes): 1 write when an item enters or leaves the index or changes projected attributes,
  2 when its index key changes, nothing when it is in the index neither before nor after. These
  are reported apart from the table's WCU and not doubled for transactions.
- BatchWriteItem's puts and deletes cost what the single writes would.
"""

from __future__ import annotations

import base64
import math
from dataclasses import dataclass, field
from decimal import Decimal
from typing import Any

from bench.support.sdk import SdkCall

KB = 1024
WRITE_OPERATIONS = ("PutItem", "UpdateItem", "DeleteItem", "TransactWriteItems", "BatchWriteItem")


# --------------------------------------------------------------------------------------------------
# Item size
# --------------------------------------------------------------------------------------------------


def number_size(text: str) -> int:
    """1 byte per two significant digits, plus 1 (leading and trailing zeros do not count)."""
    mantissa = Decimal(text).normalize().as_tuple().digits
    digits = len(mantissa) if any(mantissa) else 1
    return math.ceil(digits / 2) + 1


def _binary_size(value: Any) -> int:
    # Parsed responses carry bytes; the JSON sent on the wire carries base64 text.
    return len(value) if isinstance(value, bytes | bytearray) else len(base64.b64decode(value))


def value_size(value: dict[str, Any]) -> int:
    ((kind, content),) = value.items()
    if kind == "S":
        return len(content.encode("utf-8"))
    if kind == "N":
        return number_size(content)
    if kind == "B":
        return _binary_size(content)
    if kind in ("BOOL", "NULL"):
        return 1
    if kind == "L":
        return 3 + sum(1 + value_size(item) for item in content)
    if kind == "M":
        return 3 + sum(len(name.encode("utf-8")) + 1 + value_size(item) for name, item in content.items())
    if kind == "SS":
        return sum(len(item.encode("utf-8")) for item in content)
    if kind == "NS":
        return sum(number_size(item) for item in content)
    if kind == "BS":
        return sum(_binary_size(item) for item in content)
    raise ValueError(f"unknown DynamoDB attribute type {kind!r}")


def item_size(item: dict[str, Any] | None) -> int:
    if not item:
        return 0
    return sum(len(name.encode("utf-8")) + value_size(value) for name, value in item.items())


def units(size: int) -> int:
    return max(1, math.ceil(size / KB))


# --------------------------------------------------------------------------------------------------
# Tables: key schema and indexes, read once
# --------------------------------------------------------------------------------------------------


@dataclass(frozen=True)
class Index:
    name: str
    keys: tuple[str, ...]
    projection: str  # ALL, KEYS_ONLY or INCLUDE
    included: tuple[str, ...] = ()


@dataclass(frozen=True)
class TableShape:
    name: str
    keys: tuple[str, ...]
    indexes: tuple[Index, ...]


def table_shape(client: Any, table_name: str) -> TableShape:
    table = client.describe_table(TableName=table_name)["Table"]
    indexes = tuple(
        Index(
            name=index["IndexName"],
            keys=tuple(key["AttributeName"] for key in index["KeySchema"]),
            projection=index.get("Projection", {}).get("ProjectionType", "ALL"),
            included=tuple(index.get("Projection", {}).get("NonKeyAttributes", [])),
        )
        for index in table.get("GlobalSecondaryIndexes", [])
    )
    return TableShape(table_name, tuple(key["AttributeName"] for key in table["KeySchema"]), indexes)


# --------------------------------------------------------------------------------------------------
# One write call: its items, before and after
# --------------------------------------------------------------------------------------------------


@dataclass
class ItemWrite:
    kind: str  # Put, Update, Delete, ConditionCheck
    table: str
    key: dict[str, Any]
    sent_item: dict[str, Any] | None = None  # the item of a Put
    before: dict[str, Any] | None = None
    after: dict[str, Any] | None = None


@dataclass
class WriteCost:
    """The capacity one write call costs."""

    call: str
    succeeded: bool
    items: int
    table_wcu: int
    index_wcu: int
    detail: list[str] = field(default_factory=list)

    @property
    def total_wcu(self) -> int:
        return self.table_wcu + self.index_wcu


class CapacityObserver:
    """Hooks for ``SdkLog.observer`` / ``after_observer``: the items before and after each write."""

    def __init__(self, client: Any) -> None:
        self._client = client  # unwatched: the bench's own reads
        self._shapes: dict[str, TableShape] = {}

    def shape(self, table_name: str) -> TableShape:
        if table_name not in self._shapes:
            self._shapes[table_name] = table_shape(self._client, table_name)
        return self._shapes[table_name]

    def before(self, call: SdkCall) -> list[ItemWrite] | None:
        if call.service != "dynamodb" or call.operation not in WRITE_OPERATIONS:
            return None
        writes = self.writes_of(call.operation, call.wire)
        for write in writes:
            write.before = self._get(write.table, write.key)
        return writes

    def after(self, call: SdkCall) -> None:
        if not call.observed or not call.succeeded:
            return
        for write in call.observed:
            if write.kind != "ConditionCheck":
                write.after = self._get(write.table, write.key)

    def _get(self, table: str, key: dict[str, Any]) -> dict[str, Any] | None:
        item: dict[str, Any] | None = self._client.get_item(TableName=table, Key=key, ConsistentRead=True).get("Item")
        return item

    def _key_of(self, table: str, item: dict[str, Any]) -> dict[str, Any]:
        return {name: item[name] for name in self.shape(table).keys}

    def writes_of(self, operation: str, wire: dict[str, Any]) -> list[ItemWrite]:
        """The items a write call (as sent on the wire) writes, with their keys."""
        if operation == "PutItem":
            table = wire["TableName"]
            return [ItemWrite("Put", table, self._key_of(table, wire["Item"]), sent_item=wire["Item"])]
        if operation in ("UpdateItem", "DeleteItem"):
            return [ItemWrite(operation.removesuffix("Item"), wire["TableName"], wire["Key"])]
        if operation == "TransactWriteItems":
            writes = []
            for entry in wire["TransactItems"]:
                ((kind, action),) = entry.items()
                table = action["TableName"]
                key = self._key_of(table, action["Item"]) if kind == "Put" else action["Key"]
                writes.append(ItemWrite(kind, table, key, sent_item=action.get("Item")))
            return writes
        writes = []
        for table, requests in wire["RequestItems"].items():  # BatchWriteItem
            for request in requests:
                if "PutRequest" in request:
                    item = request["PutRequest"]["Item"]
                    writes.append(ItemWrite("Put", table, self._key_of(table, item), sent_item=item))
                else:
                    writes.append(ItemWrite("Delete", table, request["DeleteRequest"]["Key"]))
        return writes

    # --- costs -------------------------------------------------------------------------------------

    def cost(self, call: SdkCall) -> WriteCost | None:
        writes: list[ItemWrite] | None = call.observed
        if not writes:
            return None
        factor = 2 if call.operation == "TransactWriteItems" else 1
        table_wcu = index_wcu = 0
        detail = []
        for write in writes:
            before = item_size(write.before)
            if not call.succeeded:
                charged = units(before)  # a failed condition: the existing item, or 1
            elif write.kind in ("Delete", "ConditionCheck"):
                charged = units(before)
            else:
                charged = units(max(before, item_size(write.after or write.sent_item)))
            table_wcu += factor * charged
            on_indexes = self._index_cost(write) if call.succeeded else 0
            index_wcu += on_indexes
            outcome = f"{item_size(write.after)} B" if call.succeeded else "condition failed"
            detail.append(
                f"{write.kind} {_key_text(write.key)}: {before} B -> {outcome}, "
                f"{factor * charged} WCU" + (f" + {on_indexes} on indexes" if on_indexes else "")
            )
        return WriteCost(call.name, call.succeeded, len(writes), table_wcu, index_wcu, detail)

    def _index_cost(self, write: ItemWrite) -> int:
        shape = self.shape(write.table)
        cost = 0
        for index in shape.indexes:
            old, new = _entry(write.before, index, shape), _entry(write.after, index, shape)
            if old is None and new is None:
                continue
            if old is None or new is None:
                cost += units(item_size(new if new is not None else old))
            elif any(old.get(name) != new.get(name) for name in index.keys):
                cost += units(item_size(old)) + units(item_size(new))
            elif old != new:
                cost += units(item_size(new))
        return cost


def _entry(item: dict[str, Any] | None, index: Index, shape: TableShape) -> dict[str, Any] | None:
    """The item's entry in a global secondary index, or None when the item is not in it (sparse)."""
    if not item or any(name not in item for name in index.keys):
        return None
    if index.projection == "ALL":
        return dict(item)
    names = {*shape.keys, *index.keys, *(index.included if index.projection == "INCLUDE" else ())}
    return {name: value for name, value in item.items() if name in names}


def _key_text(key: dict[str, Any]) -> str:
    return "/".join(str(next(iter(value.values()))) for value in key.values())


def write_costs(observer: CapacityObserver, calls: list[SdkCall]) -> list[WriteCost]:
    return [cost for call in calls if (cost := observer.cost(call)) is not None]
