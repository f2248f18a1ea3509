"""Plain Python values to and from DynamoDB attribute values (low-level client), and batched reads."""

from __future__ import annotations

import random
import time
from collections.abc import Callable, Iterator
from decimal import Decimal
from typing import TYPE_CHECKING, Any, cast

from boto3.dynamodb.types import TypeDeserializer, TypeSerializer

from newsdesk.dal.keys import BATCH_GET_LIMIT

if TYPE_CHECKING:
    from mypy_boto3_dynamodb import DynamoDBClient
    from mypy_boto3_dynamodb.type_defs import KeysAndAttributesTypeDef

# Unprocessed keys (throttling inside a batch call) are retried this often, with backoff.
MAX_BATCH_ATTEMPTS = 6

_serializer = TypeSerializer()
_deserializer = TypeDeserializer()
# TypeSerializer writes an int through a 38-digit decimal context; below this, that is str(int).
_EXACT_INT_LIMIT = 10**38


def to_item(values: dict[str, Any]) -> dict[str, Any]:
    """Serialize a dict, dropping None (DynamoDB has no use for absent-valued attributes)."""
    return {key: _attribute(value) for key, value in values.items() if value is not None}


def _attribute(value: Any) -> dict[str, Any]:
    """``TypeSerializer().serialize(_plain(value))``, with the kinds every write has built directly:
    the generic serializer's type dispatch costs more than the rest of building an item."""
    if isinstance(value, str):
        return {"S": value}
    if value is None:
        return {"NULL": True}
    if isinstance(value, bool):
        return {"BOOL": value}
    if type(value) is int and -_EXACT_INT_LIMIT < value < _EXACT_INT_LIMIT:
        return {"N": str(value)}
    if type(value) is list:
        return {"L": [_attribute(item) for item in value]}
    if type(value) is dict:
        return {"M": {key: _attribute(item) for key, item in value.items() if item is not None}}
    return cast(dict[str, Any], _serializer.serialize(_plain(value)))


def from_item(item: dict[str, Any]) -> dict[str, Any]:
    return {key: _value(value) for key, value in item.items()}


def _value(attribute: Any) -> Any:
    """``_native(TypeDeserializer().deserialize(attribute))``, with the kinds items hold read directly:
    the generic deserializer's dispatch costs more than the rest of reading a day's articles."""
    if type(attribute) is dict and len(attribute) == 1:
        ((kind, value),) = attribute.items()
        if kind == "S" or kind == "BOOL":
            return value
        if kind == "N" and type(value) is str and _is_whole(value):
            return int(value)
        if kind == "NULL":
            return None
        if kind == "L" and type(value) is list:
            return [_value(entry) for entry in value]
        if kind == "M" and type(value) is dict:
            return {key: _value(entry) for key, entry in value.items()}
    return _native(_deserializer.deserialize(attribute))


def _is_whole(number: str) -> bool:
    """A whole number in at most 38 digits (DynamoDB's precision; longer ones the deserializer refuses)."""
    digits = number[1:] if number[:1] == "-" else number
    return 0 < len(digits) <= 38 and digits.isascii() and digits.isdigit()


def _plain(value: Any) -> Any:
    if isinstance(value, float):
        return Decimal(str(value))
    if isinstance(value, dict):
        return {k: _plain(v) for k, v in value.items() if v is not None}
    if isinstance(value, list):
        return [_plain(v) for v in value]
    return value


def _native(value: Any) -> Any:
    if isinstance(value, Decimal):
        return int(value) if value == value.to_integral_value() else float(value)
    if isinstance(value, dict):
        return {k: _native(v) for k, v in value.items()}
    if isinstance(value, list):
        return [_native(v) for v in value]
    if isinstance(value, set):
        return sorted(_native(v) for v in value)
    return value


class UnprocessedAfterRetries(Exception):
    """DynamoDB kept returning unprocessed keys or items; the caller's request fails (5xx, retryable)."""


def backoff(attempt: int, sleep: Callable[[float], None] = time.sleep) -> None:
    # Unprocessed keys mean throttling: back off with jitter, as AWS recommends for batch calls.
    sleep(random.uniform(0, 0.05 * 2**attempt))


def batch_get(
    client: DynamoDBClient,
    table: str,
    wanted: list[dict[str, Any]],
    *,
    projection: str | None = None,
    consistent: bool = False,
    sleep: Callable[[float], None] = time.sleep,
) -> Iterator[dict[str, Any]]:
    """The items of these keys that exist (BatchGetItem, 100 keys a call), in no particular order."""
    for start in range(0, len(wanted), BATCH_GET_LIMIT):
        request: KeysAndAttributesTypeDef = {"Keys": wanted[start : start + BATCH_GET_LIMIT]}
        if projection:
            request["ProjectionExpression"] = projection
        if consistent:
            request["ConsistentRead"] = True
        pending: dict[str, KeysAndAttributesTypeDef] = {table: request}
        for attempt in range(MAX_BATCH_ATTEMPTS):
            response = client.batch_get_item(RequestItems=pending)
            yield from response.get("Responses", {}).get(table, [])
            # The stubs type the response's shape apart from the request's; it is the same shape.
            unprocessed: dict[str, Any] = dict(response.get("UnprocessedKeys") or {})
            if not unprocessed.get(table, {}).get("Keys"):
                break
            pending = {table: unprocessed[table]}
            backoff(attempt, sleep)
        else:
            raise UnprocessedAfterRetries("BatchGetItem left keys unprocessed")
