"""Conversion between plain Python values and DynamoDB attribute values (low-level client)."""

from __future__ import annotations

from decimal import Decimal
from typing import Any, cast

from boto3.dynamodb.types import TypeDeserializer, TypeSerializer

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
    return {key: _native(_deserializer.deserialize(value)) for key, value in item.items()}


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
