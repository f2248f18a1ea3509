"""Costs of the emulator that DynamoDB does not have, taken out of the local stack's moto.

Measured with ``make load`` (bench/load.py; docs/reliability.md): the local stack served a few
requests a second and slowed down as its table filled, for reasons that are moto's, not Newsdesk's:

- **Every request to moto's server listed moto's package directory** (``list_of_moto_modules``:
  ``os.listdir`` and ~150 ``isdir`` calls), under the dispatcher's global lock, to find the backend.
  The list never changes while the process runs: it is read once.
- **Every Query sorted the whole table.** moto answers a Query by building a sorted list of every
  item of the table (``Table.all_items``, Python-level comparisons of ``DynamoType``), then keeping
  the matches and sorting those again. DynamoDB reads one partition. During a Query, the table's
  items are now handed over unsorted (the matches are sorted afterwards as before, so answers and
  pages are unchanged), and a Query of the base table gets only its partition. Scans still get
  the sorted list (their pages follow that order). The matches are sorted by their key strings
  rather than by comparing moto's value objects (same order; other key types as moto does).
- **Every index Query looked at every item of the table** and measured each candidate's size (40,000
  items a Query at 5,000 stories): index hash keys' items, their sizes and the key condition's run of
  sorted keys are kept now (:mod:`newsdesk_ops.emulator_indexes`).
- **A race in moto**: its loop over a partition's items raced with writes from other threads
  ("dictionary changed size during iteration", answered as a 500; a 14-minute ``make load`` met it
  19 times). The items are now copied in single steps.
- **Transactions copied whole tables and swapped the copy in.** moto deep-copies every table a
  TransactWriteItems touches (the cost grows with the table) and, when the transaction is
  cancelled, puts the copy in the table's place: the stream poller kept reading the old table
  object, so one failed condition stopped local publishing and view counting until a restart, and
  writers on other threads changed the table during the copy (500s). Now writes and transactions
  take one lock; a transaction checks its conditions first and writes nothing if one fails; the
  table stays the same object.
- **Every attribute value of every item answered went through moto's generic serializer**: for
  each of the ten members of DynamoDB's AttributeValue shape an attribute picker tried several
  spellings of the name, so an answer cost about ten look-ups per attribute, and publish's list
  pages (BatchGetItem and Query of every article of a day) spent over a third of the process's CPU
  there. Items (moto's plain ``{type: value}`` dicts) are now written as they are, binaries in
  base64, exactly as moto writes them; anything unexpected goes through moto's serializer.
- **Python's thread switch interval.** Each call to moto hands the interpreter lock between the
  calling thread and the server's thread several times; while any thread computes, each hand-over
  waits up to the switch interval (5 ms by default), tens of milliseconds per request. The local
  stack is all I/O between threads of one process, so it switches more often.

Everything here reaches into moto's internals; each patch checks that what it replaces is there and
is skipped (with a warning) when a moto upgrade moved it, so the local stack keeps working, only
slower. ``tests/unit/test_emulator.py`` checks that patched Queries answer exactly as moto does.
"""

from __future__ import annotations

import contextlib
import copy
import functools
import inspect
import logging
import sys
import threading
import types
from collections.abc import Callable, Iterable, Iterator
from typing import Any

from newsdesk_ops.emulator_indexes import (
    DYNAMODB_WRITES,
    INDEX_PARTITIONS,
    SIZE,
    SIZE_KEPT,
    WRITES_SEEN,
    index_hash_key,
    index_key_range,
    index_partition,
    index_partitions_follow,
    index_range_name,
    index_run,
)
from newsdesk_ops.emulator_values import NotPlain, attribute_value_json, string_of

log = logging.getLogger(__name__)

# Python's default is 0.005 s.
SWITCH_INTERVAL_SECONDS = 0.0005

_applied: list[str] = []
_lock = threading.Lock()
_query_scope = threading.local()
_serialization_scope = threading.local()


def speed_up_moto() -> list[str]:
    """Apply every patch once per process; returns the names of those in effect."""
    with _lock:
        if not _applied:
            for name, patch in (
                ("backend module list read once", _cache_backend_modules),
                ("queries read only what they can match", _query_without_whole_table_sort),
                ("transactions in place, one writer at a time", _transactions_in_place),
                ("items serialized directly", _items_serialized_directly),
                ("a Query's answer copied directly", _query_answers_copied_directly),
            ):
                try:
                    patch()
                    _applied.append(name)
                except (ImportError, AttributeError, TypeError) as error:
                    log.warning("moto has changed; the local stack runs without '%s' (%s)", name, error)
            if sys.getswitchinterval() > SWITCH_INTERVAL_SECONDS:
                sys.setswitchinterval(SWITCH_INTERVAL_SECONDS)
            _applied.append(f"thread switch interval {sys.getswitchinterval() * 1000:g} ms")
        return list(_applied)


@contextlib.contextmanager
def plain_queries() -> Iterator[None]:
    """moto's own Query and Scan in this thread, patched or not (to compare the two)."""
    _query_scope.plain = True
    try:
        yield
    finally:
        _query_scope.plain = False


@contextlib.contextmanager
def plain_serialization() -> Iterator[None]:
    """moto's own serialization of DynamoDB items in this thread, patched or not (to compare)."""
    _serialization_scope.plain = True
    try:
        yield
    finally:
        _serialization_scope.plain = False


def _cache_backend_modules() -> None:
    from moto import backends

    original: Callable[[], Iterable[str]] = backends.list_of_moto_modules

    @functools.cache
    def listed() -> tuple[str, ...]:
        return tuple(original())

    def list_of_moto_modules() -> Iterable[str]:
        return listed()

    backends.list_of_moto_modules = list_of_moto_modules


def _query_without_whole_table_sort() -> None:
    from moto.dynamodb.models.dynamo_type import Item
    from moto.dynamodb.models.table import StreamShard, Table

    original_query = Table.query
    original_all_items = Table.all_items
    signature = inspect.signature(original_query)
    for name in ("hash_key", "index_name"):
        if name not in signature.parameters:
            raise TypeError(f"Table.query has no parameter {name!r}")

    def items_now(self: Any, hash_key: Any = None, *, every_partition: bool = True) -> list[Any]:
        """The items of the table (or of one partition), copied with list() in single steps.

        moto's own loop over a partition's dict raced with writes from other request threads
        ("dictionary changed size during iteration": moto answered 500). list() of a dict view
        runs no Python code, so no other thread writes in between.
        """
        if every_partition:
            partitions = list(self.items.values())
        else:
            # .get, not [...]: self.items is a defaultdict, and a Query must not add a partition.
            found = self.items.get(hash_key)
            partitions = [] if found is None else [found]
        if not self.range_key_attr:
            return partitions
        items: list[Any] = []
        for partition in partitions:
            items.extend(list(partition.values()))
        return items

    def all_items(self: Any) -> list[Any]:
        if getattr(_query_scope, "plain", False):
            return original_all_items(self)
        scope = getattr(_query_scope, "scope", None)
        if scope is None or scope[0] is not self:
            # As moto sorts them (Scan pages follow this order), from a consistent copy.
            return sorted(
                items_now(self),
                key=lambda item: (item.hash_key, item.range_key) if item.range_key else item.hash_key,
            )
        _, hash_key, index_key, key_range, sorted_by, arguments = scope
        if index_key is not None and self.stream_shard is not None:
            attribute, value = index_key
            try:
                run = None
                if sorted_by is not None:
                    run = index_run(self, attribute, value, key_range, sorted_by, arguments, every_item=items_now)
                return run if run is not None else index_partition(self, attribute, value, every_item=items_now)
            except TypeError:
                # An index key moto cannot hash (a map: moto does not check a key's type on a write,
                # DynamoDB refuses it): moto's own walk over the table, partitions built anew next time.
                self.__dict__.pop(INDEX_PARTITIONS, None)
                return items_now(self)
        return items_now(self, hash_key, every_partition=hash_key is None)

    def query(self: Any, *args: Any, **kwargs: Any) -> Any:
        if getattr(_query_scope, "plain", False):
            return original_query(self, *args, **kwargs)
        bound = signature.bind(self, *args, **kwargs)
        index_name = bound.arguments.get("index_name")
        hash_key = None if index_name else bound.arguments.get("hash_key")
        index_key = index_hash_key(self, index_name, bound.arguments) if index_name else None
        key_range = index_key_range(self, str(index_name), bound.arguments) if index_key else None
        # Sorted by the index's range key: the key condition's, or (none) the index's only one.
        sorted_by = key_range.attribute if key_range else index_range_name(self, str(index_name)) if index_key else None
        _query_scope.scope = (self, hash_key, index_key, key_range, sorted_by, bound.arguments)
        try:
            return original_query(self, *args, **kwargs)
        finally:
            _query_scope.scope = None

    original_add = StreamShard.add
    if list(inspect.signature(original_add).parameters) != ["self", "old", "new"]:
        raise TypeError("StreamShard.add has changed")

    def add(self: Any, old: Any, new: Any) -> None:
        original_add(self, old, new)
        index_partitions_follow(self, old, new)
        if new is not None:
            # Written: its size is measured again by the next Query (see size below).
            new.__dict__.pop(SIZE, None)
            new.__dict__[SIZE_KEPT] = True
            new.__dict__[WRITES_SEEN] = new.__dict__.get(WRITES_SEEN, 0) + 1

    original_size = Item.size

    def size(self: Any) -> int:
        """An item's size as moto measures it (every attribute, for the 1 MB page limit of a Query,
        the 16 MB of a BatchGetItem, consumed capacity), kept between reads for the items of tables
        with a stream. moto measured every candidate of a Query, the whole partition, for each Query
        (for an index of 5,000 stories most of the Query's time), and each item of a BatchGetItem
        twice (most of a call's 22 ms). A write of the item (it passes through the stream, ``add``
        above) forgets the kept size; outside reads (a write's own checks) the size is always measured."""
        reading = getattr(_query_scope, "scope", None) is not None or getattr(_query_scope, "reading", False)
        if not reading or not self.__dict__.get(SIZE_KEPT) or getattr(_query_scope, "plain", False):
            return int(original_size(self))
        kept = self.__dict__.get(SIZE)
        if kept is not None:
            return int(kept)
        # Measured outside the writers' lock: kept only if no write changed the item meanwhile (a
        # write in place counts in ``add`` above, under that lock), else it would stay stale.
        written = self.__dict__.get(WRITES_SEEN)
        measured = int(original_size(self))
        with DYNAMODB_WRITES:
            if self.__dict__.get(WRITES_SEEN) == written:
                self.__dict__[SIZE] = measured
        return measured

    from moto.dynamodb.models import DynamoDBBackend

    original_update = DynamoDBBackend.update_item
    if list(inspect.signature(original_update).parameters)[:3] != ["self", "table_name", "key"]:
        raise TypeError("DynamoDBBackend.update_item has a new signature")

    def update_item(self: Any, table_name: str, key: dict[str, Any], *args: Any, **kwargs: Any) -> Any:
        """moto applies an update to the item in place before it refuses it (an item over 400 KB) and
        before the stream hears of it: after a refusal, kept partitions and sizes are built anew."""
        try:
            return original_update(self, table_name, key, *args, **kwargs)
        except Exception:
            with contextlib.suppress(Exception):
                table = self.get_table(table_name)
                table.__dict__.pop(INDEX_PARTITIONS, None)
                item = table.get_item(*self.get_keys_value(table, key))
                if item is not None:
                    item.__dict__.pop(SIZE, None)
            raise

    from moto.dynamodb.responses import DynamoHandler

    def reading(action: Callable[..., Any]) -> Callable[..., Any]:
        """A read request's action, with its items' kept sizes (``size`` above)."""

        @functools.wraps(action)
        def read(handler: Any) -> Any:
            _query_scope.reading = True
            try:
                return action(handler)
            finally:
                _query_scope.reading = False

        return read

    for name in ("get_item", "batch_get_item", "query", "scan"):
        setattr(DynamoHandler, name, reading(getattr(DynamoHandler, name)))
    StreamShard.add = add  # type: ignore[method-assign]
    Item.size = size  # type: ignore[method-assign]
    DynamoDBBackend.update_item = update_item  # type: ignore[method-assign]

    original_sorted_items = Table.sorted_items
    if list(inspect.signature(original_sorted_items).parameters) != [
        "self",
        "hash_key_attrs",
        "range_key_attrs",
        "items",
    ] or not hasattr(Table, "_generate_attr_to_sort_by"):
        raise TypeError("Table.sorted_items has changed")

    def sorted_items(self: Any, hash_key_attrs: Any, range_key_attrs: Any, items: list[Any]) -> list[Any]:
        """moto's order of a Query's matches, by their key strings when every sort key is a string.

        moto compares its value objects (two Python calls and a type check per comparison, over a
        day's articles for every list page publish renders). For strings that order is the
        strings' order, and the sort is stable either way; numbers and binaries go to moto."""
        if getattr(_query_scope, "plain", False):
            return original_sorted_items(self, hash_key_attrs, range_key_attrs, items)
        names = self._generate_attr_to_sort_by(hash_key_attrs, range_key_attrs)
        try:
            keys = [tuple(string_of(item.attrs[name]) for name in names) for item in items]
        except (KeyError, NotPlain):
            return original_sorted_items(self, hash_key_attrs, range_key_attrs, items)
        order = sorted(range(len(items)), key=keys.__getitem__)
        items[:] = [items[index] for index in order]
        scope = getattr(_query_scope, "scope", None)
        key_range = scope[3] if scope is not None and scope[0] is self else None
        if key_range is not None and len(names) > 1 and names[1] == key_range.attribute:
            # Sorted by the index's range key, the ones the key condition matches are one run: moto
            # compares only those, and the item on either side (where it stops with a full page).
            found = [position for position, index in enumerate(order) if key_range.matches(keys[index][1])]
            items[:] = items[max(found[0] - 1, 0) : found[-1] + 2] if found else []
        return items

    Table.all_items = all_items  # type: ignore[method-assign]
    Table.query = query  # type: ignore[method-assign]
    Table.sorted_items = sorted_items  # type: ignore[method-assign]


def _transactions_in_place() -> None:
    from moto.dynamodb import models
    from moto.dynamodb.comparisons import get_filter_expression
    from moto.dynamodb.exceptions import ConditionalCheckFailed, TransactionCanceledException

    backend = models.DynamoDBBackend
    original_transact = backend.transact_write_items
    if list(inspect.signature(original_transact).parameters) != ["self", "transact_items"]:
        raise TypeError("DynamoDBBackend.transact_write_items has a new signature")

    def one_writer_at_a_time(method: Callable[..., Any]) -> Callable[..., Any]:
        @functools.wraps(method)
        def locked(self: Any, *args: Any, **kwargs: Any) -> Any:
            with DYNAMODB_WRITES:
                return method(self, *args, **kwargs)

        return locked

    for name in ("put_item", "update_item", "delete_item"):
        setattr(backend, name, one_writer_at_a_time(getattr(backend, name)))

    def failed_conditions(self: Any, transact_items: list[dict[str, Any]]) -> list[Any] | None:
        """moto's cancellation reasons if any condition fails now, else None (nothing written)."""
        reasons: list[Any] = []
        failed = False
        for entry in transact_items:
            if len(entry) != 1:
                return None  # malformed: moto's own code answers it
            _, operation = next(iter(entry.items()))
            expression = operation.get("ConditionExpression")
            if expression is None:
                reasons.append((None, None, None))
                continue
            table = self.get_table(operation["TableName"])
            if "Key" in operation:
                key = operation["Key"]
            else:
                item = operation["Item"]
                key = {table.hash_key_attr: item[table.hash_key_attr]}
                if table.range_key_attr is not None:
                    key[table.range_key_attr] = item[table.range_key_attr]
            current = self.get_item(operation["TableName"], key)
            condition = get_filter_expression(
                expression, operation.get("ExpressionAttributeNames"), operation.get("ExpressionAttributeValues")
            )
            if condition.expr(current):
                reasons.append((None, None, None))
                continue
            failed = True
            old = None
            if operation.get("ReturnValuesOnConditionCheckFailure") == "ALL_OLD" and current:
                old = current.to_json()["Attributes"]
            reasons.append(("ConditionalCheckFailed", str(ConditionalCheckFailed(item=old).message), old))
        return reasons if failed else None

    def transact_write_items(self: Any, transact_items: list[dict[str, Any]]) -> None:
        with DYNAMODB_WRITES:
            reasons = failed_conditions(self, transact_items) if len(transact_items) <= 100 else None
            if reasons is not None:
                raise TransactionCanceledException(reasons)
            # Every condition holds and no other writer runs: moto's own code writes, with its
            # rollback copy reduced to the tables themselves (a failure now is a malformed request).
            saved_copy = models.copy  # type: ignore[attr-defined]
            models.copy = _TablesNotCopied(saved_copy)  # type: ignore[attr-defined,assignment]
            try:
                original_transact(self, transact_items)
            finally:
                models.copy = saved_copy  # type: ignore[attr-defined]

    backend.transact_write_items = transact_write_items  # type: ignore[method-assign]


def _query_answers_copied_directly() -> None:
    """moto copies a Query's answer (``copy.deepcopy(results)`` in Table.query) before it projects and
    serializes it, so that no later write changes it under the response. ``copy.deepcopy`` walked
    each attribute value through its memo and dispatch: at 5,000 stories of one day, reading the day
    (11 pages) spent 1.2 s of its 2.3 s there. The same copy is made directly: values are trees of
    strings, numbers, binaries, lists and maps (moto's own ``__deepcopy__`` of them says as much)."""
    from moto.dynamodb.models import table as table_module
    from moto.dynamodb.models.dynamo_type import DynamoType, Item, LimitedSizeDict

    if not hasattr(table_module, "copy") or table_module.copy is not copy:
        raise TypeError("moto's Table.query no longer copies with the copy module")
    if set(vars(Item("h", None, {}))) != {"hash_key", "range_key", "attrs"}:  # type: ignore[arg-type]
        raise TypeError("moto's Item has new attributes")

    def copy_value(value: Any) -> Any:
        copied = DynamoType.__new__(DynamoType)
        copied.type = value.type
        inner = value.value
        if value.type == "L":
            copied.value = [copy_value(member) for member in inner]
        elif value.type == "M":
            copied.value = {name: copy_value(member) for name, member in inner.items()}
        elif type(inner) is list:  # a set
            copied.value = list(inner)
        else:
            copied.value = inner
        return copied

    def copy_key(key: Any) -> Any:
        return copy_value(key) if type(key) is DynamoType else copy.deepcopy(key)

    def copy_item(item: Any) -> Any:
        copied: Any = Item.__new__(Item)
        copied.hash_key = copy_key(item.hash_key)
        copied.range_key = copy_key(item.range_key)
        attrs = LimitedSizeDict.__new__(LimitedSizeDict)
        dict.__init__(attrs)
        for name, value in item.attrs.items():
            dict.__setitem__(attrs, name, copy_value(value))
        copied.attrs = attrs
        return copied

    class QueryCopies(types.ModuleType):
        """The copy module, as moto's table module sees it: a list of Items is copied directly."""

        def __getattr__(self, name: str) -> Any:
            return getattr(copy, name)

        @staticmethod
        def deepcopy(value: Any, memo: Any = None) -> Any:
            if (
                type(value) is list
                and not getattr(_query_scope, "plain", False)
                and all(type(item) is Item for item in value)
            ):
                return [copy_item(item) for item in value]
            return copy.deepcopy(value, memo)

    table_module.copy = QueryCopies("copy")


def _items_serialized_directly() -> None:
    from moto.core.serialize import BaseJSONSerializer

    original = BaseJSONSerializer._serialize_type_structure
    if list(inspect.signature(original).parameters) != ["self", "serialized", "value", "shape", "key"]:
        raise TypeError("BaseJSONSerializer._serialize_type_structure has a new signature")
    services = ("dynamodb", "dynamodbstreams")

    def serialize_structure(self: Any, serialized: Any, value: Any, shape: Any, key: str) -> None:
        if (
            key
            and shape.name == "AttributeValue"
            and type(value) is dict
            and self.service_model.service_name in services
            and not getattr(_serialization_scope, "plain", False)
        ):
            try:
                json_value = attribute_value_json(value, self._base64)
            except NotPlain:
                pass
            else:
                self._default_serialize(serialized, json_value, shape, key)
                return
        original(self, serialized, value, shape, key)

    BaseJSONSerializer._serialize_type_structure = serialize_structure  # type: ignore[method-assign]


class _TablesNotCopied:
    """``copy`` as moto's transaction code sees it: its deepcopy of a table returns the table itself."""

    def __init__(self, real_copy: Any) -> None:
        self._copy = real_copy

    def deepcopy(self, value: Any, memo: Any = None) -> Any:
        from moto.dynamodb.models.table import Table

        return value if isinstance(value, Table) else self._copy.deepcopy(value, memo)

    def __getattr__(self, name: str) -> Any:
        return getattr(self._copy, name)
