"""The local moto's global secondary indexes, kept per hash key (the patches that use them:
:mod:`newsdesk_ops.emulator`, "Every index Query looked at every item of the table").

moto keeps no index: an index Query filtered the whole table. Here each index hash key's items are
kept per table, built once and then moved on every write (which passes the table's stream shard),
and the key condition of a Query is read so that moto compares only the run of sorted keys it selects.
"""

from __future__ import annotations

import threading
from bisect import bisect_left, bisect_right
from collections.abc import Callable
from dataclasses import dataclass, field
from typing import Any, NamedTuple

from newsdesk_ops.emulator_values import NotPlain, string_of

# Every moto DynamoDB write and transaction holds this: a transaction's checks and writes are one step.
DYNAMODB_WRITES = threading.RLock()

# An item's size, kept between Queries (and whether it may be: its table has a stream).
SIZE = "_newsdesk_size"
SIZE_KEPT = "_newsdesk_size_kept"
WRITES_SEEN = "_newsdesk_writes_seen"  # how many writes the stream saw of the item (a kept size's check)
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
class SortedPartition:
    """One index partition in moto's order for a Query of the index: by the index's range key, then
    the table's keys (strings all; moto's order is then the strings' order, and total)."""

    names: tuple[str, ...]  # the sort attributes: the index's range key, the table's hash and range keys
    keys: list[tuple[str, ...]] = field(default_factory=list)
    items: list[Any] = field(default_factory=list)
    key_of: dict[Any, tuple[str, ...]] = field(default_factory=dict)  # table key -> its sort key

    def add(self, table_key: Any, item: Any) -> None:
        """Place ``item``; NotPlain when one of its sort attributes is not a string (the caller then
        forgets this sorted copy). An item without the index's range key is not in the index."""
        if item.attrs.get(self.names[0]) is None:
            return
        key = tuple(string_of(item.attrs[name]) if name in item.attrs else "" for name in self.names)
        at = bisect_left(self.keys, key)
        self.keys.insert(at, key)
        self.items.insert(at, item)
        self.key_of[table_key] = key

    def remove(self, table_key: Any) -> None:
        key = self.key_of.pop(table_key, None)
        if key is not None:
            at = bisect_left(self.keys, key)
            del self.keys[at]
            del self.items[at]

    def run(self, key_range: KeyRange | None, start: tuple[str, ...] | None, forward: bool) -> list[Any]:
        """The items whose range key the condition may select (every one without a condition), and one
        more on either side (moto compares them; where it stops with a full page it looks one past
        the run). With ``start`` (a later page's ExclusiveStartKey, as a sort key), only the part of
        the run from it on in the Query's direction, and the start itself (moto steps past it)."""
        low, high = self._bounds(key_range) if key_range is not None else (0, len(self.keys))
        low, high = max(low - 1, 0), high + 1
        if start is not None:
            if forward:
                low = max(low, bisect_right(self.keys, start) - 1)
            else:
                high = min(high, bisect_left(self.keys, start) + 1)
        return self.items[low:high]

    def _bounds(self, key_range: KeyRange) -> tuple[int, int]:
        """Where the run of the key condition's matches begins and ends."""
        low, high = 0, len(self.keys)
        comparison, bounds = key_range.comparison, key_range.bounds
        if comparison in ("GT", ">"):
            low = bisect_right(self.keys, bounds[0], key=_range_key)
        elif comparison in ("EQ", "=", "GE", ">=", "BETWEEN", "BEGINS_WITH"):
            low = bisect_left(self.keys, bounds[0], key=_range_key)
        if comparison in ("LT", "<"):
            high = bisect_left(self.keys, bounds[0], key=_range_key)
        elif comparison in ("EQ", "=", "LE", "<="):
            high = bisect_right(self.keys, bounds[0], key=_range_key)
        elif comparison == "BETWEEN":
            high = bisect_right(self.keys, bounds[1], key=_range_key)
        elif comparison == "BEGINS_WITH":
            high = low
            while high < len(self.keys) and self.keys[high][0].startswith(bounds[0]):
                high += 1
        return low, high


def _range_key(key: tuple[str, ...]) -> str:
    """The index's range key of a sort key (its first member)."""
    return key[0]


@dataclass
class IndexPartitions:
    """A table's index partitions, and how far along its stream shard they are."""

    shard: Any
    records: int  # len(shard.items) when the partitions were last brought up to date
    # len(table.items) then: a table emptied behind moto's back (the tests' reset) changes it even
    # when its stream had no records to clear (a stream enabled after the items were written)
    hash_keys: int
    by_attribute: dict[str, dict[Any, dict[Any, Any]]] = field(default_factory=dict)
    # Partitions kept sorted as moto sorts a Query's answer, once a Query with a key condition asked:
    # by (hash attribute, its value, the sort attributes after the index's hash key).
    runs: dict[tuple[str, Any, tuple[str, ...]], SortedPartition] = field(default_factory=dict)
    unsortable: set[tuple[str, Any, tuple[str, ...]]] = field(default_factory=set)


class KeyRange(NamedTuple):
    """A Query's key condition on an index's one range key, with string values."""

    attribute: str  # the index's range key
    matches: Callable[[str], bool]  # whether a value meets the condition (moto's own comparison)
    comparison: str  # moto's name of it: "BETWEEN", "<", "BEGINS_WITH", ...
    bounds: tuple[str, ...]  # its values


def index_key_range(table: Any, index_name: str, arguments: dict[str, Any]) -> KeyRange | None:
    """The key condition of an index Query on the index's one range key, when its values are strings;
    None otherwise."""
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
    bounds = tuple(str(value.value) for value in values)
    return KeyRange(range_names[0], lambda text: bool(compare(text, *bounds)), str(comparison), bounds)


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
        kept = _partitions_now(table, attribute, every_item)
        return list(kept.by_attribute[attribute].get(value, {}).values())


def index_run(
    table: Any,
    attribute: str,
    value: Any,
    key_range: KeyRange | None,
    sorted_by: str,
    arguments: dict[str, Any],
    *,
    every_item: Callable[[Any], list[Any]],
) -> list[Any] | None:
    """The items of an index partition that a Query (moto's ``arguments``) may read: those its key
    condition may select (``SortedPartition.run``; the whole partition without one), from its
    ExclusiveStartKey on, and of those its page (``first_page``), in moto's order: by ``sorted_by``,
    the index's range key. None when the partition cannot be kept sorted (a sort attribute not a
    string).

    publish's list Queries each name a few stories of a partition of thousands, and moto looked at
    every one of them (its hash key check, then our sort's key of each) for every Query. The sorted
    copy is made by the first such Query and then follows each write, as the partitions do."""
    names = (sorted_by, table.hash_key_attr, *([table.range_key_attr] if table.range_key_attr else []))
    with DYNAMODB_WRITES:
        kept = _partitions_now(table, attribute, every_item)
        run_key = (attribute, value, names)
        if run_key in kept.unsortable:
            return None
        partition = kept.runs.get(run_key)
        if partition is None:
            partition = SortedPartition(names)
            try:
                for table_key, item in kept.by_attribute[attribute].get(value, {}).items():
                    partition.add(table_key, item)
            except NotPlain:
                kept.unsortable.add(run_key)
                return None
            kept.runs[run_key] = partition
        forward = arguments.get("scan_index_forward") is not False
        exclusive_start = arguments.get("exclusive_start_key")
        start = sort_key_of(exclusive_start, names) if exclusive_start else None
        if exclusive_start and (start is None or not _same_value(exclusive_start.get(attribute), value)):
            # A start it cannot place (not strings, or of another partition: moto compares the
            # index's hash key first): moto steps to it through the whole run.
            return partition.run(key_range, None, forward)
        return first_page(partition.run(key_range, start, forward), arguments, forward)


def _same_value(requested: Any, value: Any) -> bool:
    """Whether a request's attribute value ({"S": "..."}) is moto's ``value`` (a DynamoType)."""
    return isinstance(requested, dict) and requested.get(getattr(value, "type", None)) == getattr(value, "value", None)


def sort_key_of(key: Any, names: tuple[str, ...]) -> tuple[str, ...] | None:
    """An ExclusiveStartKey (the request's attribute values) as a sorted partition's sort key; None
    unless each of its sort attributes is a string."""
    try:
        values = tuple(key[name]["S"] for name in names)
    except (KeyError, TypeError):
        return None
    return values if all(type(value) is str for value in values) else None


def index_range_name(table: Any, index_name: str) -> str | None:
    """The index's range key, when it has exactly one."""
    names = index_key_names(table, index_name, "RANGE")
    return names[0] if len(names) == 1 else None


def first_page(run: list[Any], arguments: dict[str, Any], forward: bool) -> list[Any]:
    """What of ``run`` (a Query's matches in moto's order from where its page starts, with a neighbour
    or its start before them) moto reads for the page: with a Limit, the Limit first (the last,
    backwards), the one before them and the one after, at which moto notes that there is more
    (LastEvaluatedKey). moto counts a Limit in matches of the key condition and filters after, so
    this is the page it reads from the whole run; a legacy QueryFilter (counted in filtered items)
    gets the whole run."""
    limit = arguments.get("limit")
    if not isinstance(limit, int) or limit < 1 or arguments.get("filter_kwargs"):
        return run
    page = limit + 2
    return run[:page] if forward else run[-page:]


def _partitions_now(table: Any, attribute: str, every_item: Callable[[Any], list[Any]]) -> IndexPartitions:
    """The table's partitions, up to date with its stream shard, with those of ``attribute`` built.
    The caller holds DYNAMODB_WRITES."""
    kept = table.__dict__.get(INDEX_PARTITIONS)
    shard = table.stream_shard
    if (
        not isinstance(kept, IndexPartitions)
        or kept.shard is not shard
        or kept.records != len(shard.items)
        or kept.hash_keys != len(table.items)
    ):
        kept = IndexPartitions(shard=shard, records=len(shard.items), hash_keys=len(table.items))
        table.__dict__[INDEX_PARTITIONS] = kept
    if attribute not in kept.by_attribute:
        by_value: dict[Any, dict[Any, Any]] = {}
        for item in every_item(table):
            found = item.attrs.get(attribute)
            if found is not None:
                by_value.setdefault(found, {})[(item.hash_key, item.range_key)] = item
        kept.by_attribute[attribute] = by_value
    return kept


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
    kept.hash_keys = len(table.items)
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
                _sorted_follow(kept, attribute, value, key, item if keep else None)
    except (TypeError, NotPlain):
        # A value moto cannot hash (not a key type), or a sort attribute that is not a string: forget
        # the partitions; the next Query builds them again (and keeps that one unsorted).
        table.__dict__.pop(INDEX_PARTITIONS, None)


def _sorted_follow(kept: IndexPartitions, attribute: str, value: Any, table_key: Any, item: Any | None) -> None:
    """Move one item out of (``item`` None) or into the sorted copies of its partition."""
    for (run_attribute, run_value, _), partition in kept.runs.items():
        if run_attribute == attribute and run_value == value:
            partition.remove(table_key)
            if item is not None:
                partition.add(table_key, item)
