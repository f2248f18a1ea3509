"""What JSON cannot carry safely, and what is over a limit: values no later step may handle.

Non-JSON types (a caller may pass any Python object), unpaired surrogates (the JSON parser lets
``"\\ud800"`` through, UTF-8 cannot encode it), NaN and infinities, and every limit of
:mod:`newsdesk.ninjs.limits` (nesting, field names, fields per object, array items, integers,
string lengths). The schema validator and the normalizer run only on documents that pass this
check, so nothing is written for a document over a limit.
"""

from __future__ import annotations

import math
import re
from collections.abc import Iterable
from typing import Any, TypeAlias, cast

from newsdesk.errors import FieldError
from newsdesk.ninjs.limits import (
    MAX_ARRAY_ITEMS,
    MAX_FIELD_NAME_CHARS,
    MAX_INTEGER,
    MAX_NESTING,
    MAX_OBJECT_FIELDS,
    string_limit,
)
from newsdesk.ninjs.report import pointer_to

__all__ = ["MAX_NESTING", "unusable_values"]

_LONE_SURROGATE = re.compile("[\ud800-\udfff]")
# Built once: written inline, the type tuples would be built again for every value checked.
_CONTAINER = (dict, list)
_INTEGER = (bool, int)

# Where a value sits, as a chain (parent, key) back to the document: one small tuple per container
# walked, and a pointer is spelled out only for a value that has a problem.
_Path: TypeAlias = tuple["_Path", str | int] | None


def unusable_values(document: dict[str, object]) -> list[FieldError]:
    """Every value of the document no later step can handle, in one walk (unordered).

    Each container is walked with its name: the key it sits under, or for an object in an array
    the array's key, which is what a string limit is looked up by (``bodies`` → ``value``).
    """
    problems: list[FieldError] = []
    pending: list[tuple[dict[Any, object] | list[object], _Path, int, str]] = [(document, None, 0, "")]
    while pending:
        container, path, depth, name = pending.pop()
        if _too_large(container, path, problems):
            continue
        pairs: Iterable[tuple[str | int, object]]
        if isinstance(container, list):
            pairs = enumerate(container)
        elif _usable_keys(container):
            pairs = cast(dict[str, object], container).items()
        else:
            pairs = _checked_items(container, path, problems)
        if depth == MAX_NESTING:
            problems.extend(_problem((path, key), f"nested deeper than {MAX_NESTING} levels") for key, _ in pairs)
            continue
        for key, value in pairs:
            field = key.lower() if isinstance(key, str) else name
            if isinstance(value, str):
                if not value.isascii() and _LONE_SURROGATE.search(value):
                    problems.append(_problem((path, key), "contains invalid Unicode (an unpaired surrogate)"))
                limit = string_limit(name, field)
                if limit is not None and len(value) > limit:
                    problems.append(
                        _problem((path, key), f"must be at most {limit:,} characters (it has {len(value):,})")
                    )
            elif isinstance(value, _CONTAINER):
                if value:
                    pending.append((value, (path, key), depth + 1, field))
            elif isinstance(value, float):
                if not math.isfinite(value):
                    problems.append(_problem((path, key), "must be a finite number"))
            elif isinstance(value, int) and not isinstance(value, bool):
                if not -MAX_INTEGER <= value <= MAX_INTEGER:
                    problems.append(
                        _problem((path, key), f"must be an integer between -{MAX_INTEGER} and {MAX_INTEGER}")
                    )
            elif value is not None and not isinstance(value, _INTEGER):
                problems.append(_problem((path, key), "is not a JSON value"))
    return problems


def _too_large(container: dict[Any, object] | list[object], path: _Path, problems: list[FieldError]) -> bool:
    """Too many items or fields, or a field name over its limit: reported once, the rest not walked.

    A long name is shown shortened: the answer must not repeat a 20 KB name thirty times.
    """
    if isinstance(container, list):
        if len(container) > MAX_ARRAY_ITEMS:
            problems.append(_problem(path, f"must have at most {MAX_ARRAY_ITEMS} items (it has {len(container):,})"))
            return True
        return False
    if len(container) > MAX_OBJECT_FIELDS:
        problems.append(_problem(path, f"must have at most {MAX_OBJECT_FIELDS} fields (it has {len(container):,})"))
        return True
    long_names = [key for key in container if isinstance(key, str) and len(key) > MAX_FIELD_NAME_CHARS]
    for key in long_names:
        shown = _LONE_SURROGATE.sub("\ufffd", key[:40])
        problems.append(
            _problem(
                path, f"field names must be at most {MAX_FIELD_NAME_CHARS} characters: '{shown}…' has {len(key):,}"
            )
        )
    return bool(long_names)


def _usable_keys(container: dict[Any, object]) -> bool:
    for key in container:
        if not isinstance(key, str) or not (key.isascii() or not _LONE_SURROGATE.search(key)):
            return False
    return True


def _checked_items(container: dict[Any, object], path: _Path, problems: list[FieldError]) -> list[tuple[str, object]]:
    """The entries whose key is usable; each other key is reported and its value not looked at."""
    usable: list[tuple[str, object]] = []
    for key, value in container.items():
        if not isinstance(key, str):
            problems.append(_problem(path, "object keys must be strings"))
        elif _LONE_SURROGATE.search(key):
            problems.append(_problem((path, key), "field name is not valid Unicode"))
        else:
            usable.append((key, value))
    return usable


def _problem(path: _Path, message: str) -> FieldError:
    parts: list[str | int] = []
    while path is not None:
        path, key = path
        parts.append(key)
    # A key may itself hold the surrogate being reported: the pointer must stay encodable.
    pointer = _LONE_SURROGATE.sub("\ufffd", pointer_to(*reversed(parts)))
    return FieldError(pointer=pointer, message=message)
