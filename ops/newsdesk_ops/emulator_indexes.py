"""The local moto's global secondary indexes, kept per hash key (the patches that use them:
:mod:`newsdesk_ops.emulator`, "Every index Query looked at every item of the table").

moto keeps no index: an index Query filtered the whole table. Here each index hash key's items are
kept per table, built once and then moved on every write (which passes the table's stream shard),
and the key condition of a Query is read so that moto compares only the run of sorted keys it selects.
"""

from __future__ import annotations

import threading
from collections.abc import Callable
from dataclasses import dataclass, field
from typing import Any

# Every moto DynamoDB write and transaction holds this: a transaction's checks and writes are one step.
DYNAMODB_WRITES = threading.RLock()

# An item's size, kept between Queries (and whether it may be: its table has a stream).
SIZE = "_newsdesk_size"
SIZE_KEPT = "_newsdesk_size_kept"
# A table's global secondary index partitions, by the index's hash key attribute: its items by the
# attribute's value (moto's value objects), each by its table key. Kept on the table object itself.
INDEX_PARTITIONS = "_newsdesk_index_partitions"


def index_key_names(table: Any, index_name: str, key_type: str) -> list[str]:
    """The attributes of an index's key of this type ("HASH" or "RANGE"); none for an unknown index."""
    index = {index.name: index for index in table.all_indexes()}.get(index_name)
    return [key["AttributeName"] for key in (index.schema if index is not None else []) if key["KeyType"] == key_type]


def index_hash_key(table: Any, index_name: str, arguments: dict[str, Any]) -> tuple[str, Any] | None:
    """The (attribute, value) of an index Query's hash key, when the index has one hash key attribute."""
    hash_names = index_key_names(table, index_name, "HASH")
    conditions = arguments.get("hash_key_conditions") or []
    if len(hash_names) != 1:
        return None
    if len(conditions) == 1 and conditions[0][0] == hash_names[0]:
        return hash_names[0], conditions[0][1]
    value = arguments.get("hash_key")
    return (hash_names[0], value) if value is not None and not conditions else None


@dataclass
class IndexPartitions:
    """A table's index partitions, and how far along its stream shard they are."""

    shard: Any
    records: int  # len(shard.items) when the partitions were last brought up to date
    by_attribute: dict[str, dict[Any, dict[Any, Any]]] = field(default_factory=dict)


def index_key_range(table: Any, index_name: str, arguments: dict[str, Any]) -> tuple[str, Callable[[str], bool]] | None:
    """(the index's range key attribute, whether a string value of it meets the Query's key condition),
    for a key condition on an index of one range key with string values; None otherwise."""
    from moto.dynamodb.comparisons import get_comparison_func

    comparison = arguments.get("range_comparison")
    values = arguments.get("range_objs") or []
    conditions = arguments.get("range_key_conditions") or []
    range_names = index_key_names(table, index_name, "RANGE")
    if (
        comparison not in KEY_CONDITIONS
        or len(range_names) != 1
        or len(conditions) > 1
        or (conditions and conditions[0][0] != range_names[0])
        or not values
        or any(getattr(value, "type", None) != "S" or type(value.value) is not str for value in values)
    ):
        return None
    compare = get_comparison_func(comparison)
    bounds = [value.value for value in values]
    return range_names[0], lambda text: bool(compare(text, *bounds))


# The key conditions of a Query's sort key (each selects one run of the sorted strings).
KEY_CONDITIONS = frozenset({"EQ", "=", "LE", "<=", "LT", "<", "GE", ">=", "GT", ">", "BETWEEN", "BEGINS_WITH"})


def index_partition(table: Any, attribute: str, value: Any, *, every_item: Callable[[Any], list[Any]]) -> list[Any]:
    """The items whose ``attribute`` is ``value``: what an index Query of that hash key reads.

    moto looked at every item of the table for each index Query (publish's lists and day pages make a
    dozen a batch; with 5,000 stories, 40,000 items each). A partition is built once, from every item,
    and then follows each write: every write of a table with a stream appends one record to its shard
    (``StreamShard.add``, patched above), and writes hold ``DYNAMODB_WRITES``. When the shard's record
    count is not the one the partitions followed (its records were cleared, as the tests' reset does
    with the table's items; moto gave the table a new shard), they are built again.
    """
    with DYNAMODB_WRITES:
        kept = table.__dict__.get(INDEX_PARTITIONS)
        shard = table.stream_shard
        if not isinstance(kept, IndexPartitions) or kept.shard is not shard or kept.records != len(shard.items):
            kept = table.__dict__[INDEX_PARTITIONS] = IndexPartitions(shard=shard, records=len(shard.items))
        if attribute not in kept.by_attribute:
            by_value: dict[Any, dict[Any, Any]] = {}
            for item in every_item(table):
                found = item.attrs.get(attribute)
                if found is not None:
                    by_value.setdefault(found, {})[(item.hash_key, item.range_key)] = item
            kept.by_attribute[attribute] = by_value
        return list(kept.by_attribute[attribute].get(value, {}).values())


def index_partitions_follow(shard: Any, old: Any, new: Any) -> None:
    """After a write (``old`` the item before, ``new`` after; None: none) added one record to ``shard``,
    move the item between its table's partitions (or forget them if they missed a record)."""
    table = shard.table
    kept = table.__dict__.get(INDEX_PARTITIONS)
    if not isinstance(kept, IndexPartitions):
        return
    if kept.shard is not shard or kept.records + 1 != len(shard.items):
        table.__dict__.pop(INDEX_PARTITIONS, None)
        return
    kept.records += 1
    try:
        for attribute, by_value in kept.by_attribute.items():
            for item, keep in ((old, False), (new, True)):
                value = item.attrs.get(attribute) if item is not None else None
                if value is None:
                    continue
                key = (item.hash_key, item.range_key)
                if keep:
                    by_value.setdefault(value, {})[key] = item
                elif (partition := by_value.get(value)) is not None:
                    partition.pop(key, None)
    except TypeError:
        # A value moto cannot hash (not a key type): forget the partitions; the next Query builds them again.
        table.__dict__.pop(INDEX_PARTITIONS, None)
