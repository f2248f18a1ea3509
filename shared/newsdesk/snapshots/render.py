"""The bytes of a snapshot file, and a stored file read back into its model.

Determinism: :func:`render` gives the same bytes for the same model, and no snapshot field holds
a wall-clock time of publishing (``generated_at`` comes from the data), so a rebuild from the
table reproduces every byte.

Both directions are generic over the snapshot dataclasses (:mod:`.models`): a model becomes a JSON
object with its fields in declared order, a time the text of :func:`newsdesk.articles.utc_text`,
an enum its value; :func:`parse` takes a rendered file back, refusing anything the model's types
do not allow (the published JSON Schemas say the same, for readers of the files).
"""

from __future__ import annotations

import dataclasses
import hashlib
import json
import types
from datetime import datetime
from enum import Enum
from functools import cache
from typing import Any, Literal, TypeVar, Union, get_args, get_origin, get_type_hints

from newsdesk.articles import utc_text

Model = TypeVar("Model")


def render(model: Any) -> bytes:
    """The file's bytes: compact UTF-8 JSON, non-ASCII as is, field order as declared, newline."""
    return render_json(to_json(model))


def render_json(value: Any) -> bytes:
    """A plain JSON document (the schemas) in the same byte form as :func:`render`."""
    return (json.dumps(value, ensure_ascii=False, separators=(",", ":")) + "\n").encode("utf-8")


def sha256_of(body: bytes) -> str:
    return hashlib.sha256(body).hexdigest()


def to_json(value: Any) -> Any:
    """A model (or any value inside one) as plain JSON values."""
    if isinstance(value, Enum):  # before str: a str enum is written as its value
        return value.value
    if value is None or isinstance(value, str | int | float):
        return value
    if isinstance(value, datetime):
        return utc_text(value)
    if isinstance(value, list | tuple):
        return [to_json(item) for item in value]
    if isinstance(value, dict):
        return {key: to_json(item) for key, item in value.items()}
    if dataclasses.is_dataclass(value) and not isinstance(value, type):
        return {name: to_json(getattr(value, name)) for name in _field_names(type(value))}
    raise TypeError(f"not a snapshot value: {type(value).__name__}")


def parse(model: type[Model], text: str | bytes) -> Model:
    """A rendered file read back into ``model``; ValueError when it is no JSON or does not fit."""
    try:
        parsed: Model = _from_json(model, json.loads(text), "")
    except (OverflowError, RecursionError) as error:
        # A number no float holds, or nesting Python cannot follow: the text does not fit either.
        raise ValueError(f"not a {model.__name__}: {error}") from error
    return parsed


@cache
def _field_names(cls: type) -> tuple[str, ...]:
    return tuple(item.name for item in dataclasses.fields(cls))


@cache
def _field_types(cls: type) -> dict[str, Any]:
    hints = get_type_hints(cls)  # Annotated metadata (the schema markers) dropped
    return {name: hints[name] for name in _field_names(cls)}


def _from_json(kind: Any, value: Any, pointer: str) -> Any:
    origin = get_origin(kind)
    if origin is Literal:
        if not any(value == allowed and type(value) is type(allowed) for allowed in get_args(kind)):
            raise ValueError(f"{pointer or '/'}: {value!r} is not one of {get_args(kind)}")
        return value
    if origin is Union or origin is types.UnionType:
        if value is None and type(None) in get_args(kind):
            return None
        (other,) = (arg for arg in get_args(kind) if arg is not type(None))  # snapshots only use X | None
        return _from_json(other, value, pointer)
    if origin is list:
        (item_kind,) = get_args(kind)
        items = _expect(list, value, pointer)
        return [_from_json(item_kind, item, f"{pointer}/{index}") for index, item in enumerate(items)]
    if origin is dict:
        _, item_kind = get_args(kind)
        entries = _expect(dict, value, pointer)
        return {key: _from_json(item_kind, item, f"{pointer}/{key}") for key, item in entries.items()}
    if isinstance(kind, type) and dataclasses.is_dataclass(kind):
        return _dataclass_from_json(kind, _expect(dict, value, pointer), pointer)
    if kind is datetime:
        moment = datetime.fromisoformat(_expect(str, value, pointer))
        if moment.tzinfo is None:
            raise ValueError(f"{pointer}: a time needs its offset (Z)")
        return moment
    if kind is float and isinstance(value, int) and not isinstance(value, bool):
        return float(value)
    if kind in (str, int, float, bool):
        if isinstance(value, bool) and kind is not bool:
            raise ValueError(f"{pointer}: expected {kind.__name__}, got a boolean")
        return _expect(kind, value, pointer)
    raise TypeError(f"{pointer}: no conversion to {kind!r}")


def _dataclass_from_json(kind: type, values: dict[str, Any], pointer: str) -> Any:
    types_of = _field_types(kind)
    unknown = sorted(values.keys() - types_of.keys())
    if unknown:
        raise ValueError(f"{pointer or '/'}: unknown fields {unknown}")
    arguments = {name: _from_json(types_of[name], item, f"{pointer}/{name}") for name, item in values.items()}
    try:
        return kind(**arguments)
    except TypeError as error:  # a required field is missing
        raise ValueError(f"{pointer or '/'}: {error}") from error


def _expect(kind: type[Model], value: Any, pointer: str) -> Model:
    if not isinstance(value, kind):
        raise ValueError(f"{pointer or '/'}: expected {kind.__name__}, got {type(value).__name__}")
    return value
