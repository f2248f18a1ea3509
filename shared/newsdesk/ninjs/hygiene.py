"""What JSON cannot carry safely: values no later step can handle.

Non-JSON types (a caller may pass any Python object), unpaired surrogates (the JSON parser lets
``"\\ud800"`` through, UTF-8 cannot encode it), NaN and infinities, and absurd nesting. The schema
validator and the normalizer run only on documents that pass this check.
"""

from __future__ import annotations

import math
import re
from collections.abc import Iterable
from typing import Any, TypeAlias, cast

from newsdesk.errors import FieldError
from newsdesk.ninjs.report import pointer_to

MAX_NESTING = 40

_LONE_SURROGATE = re.compile("[\ud800-\udfff]")
# Built once: written inline, the type tuples would be built again for every value checked.
_CONTAINER = (dict, list)
_INTEGER = (bool, int)

# Where a value sits, as a chain (parent, key) back to the document: one small tuple per container
# walked, and a pointer is spelled out only for a value that has a problem.
_Path: TypeAlias = tuple["_Path", str | int] | None


def unusable_values(document: dict[str, object]) -> list[FieldError]:
    """Every value of the document no later step can handle, in one walk (unordered)."""
    problems: list[FieldError] = []
    pending: list[tuple[dict[Any, object] | list[object], _Path, int]] = [(document, None, 0)]
    while pending:
        container, path, depth = pending.pop()
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
            if isinstance(value, str):
                if not value.isascii() and _LONE_SURROGATE.search(value):
                    problems.append(_problem((path, key), "contains invalid Unicode (an unpaired surrogate)"))
            elif isinstance(value, _CONTAINER):
                if value:
                    pending.append((value, (path, key), depth + 1))
            elif isinstance(value, float):
                if not math.isfinite(value):
                    problems.append(_problem((path, key), "must be a finite number"))
            elif value is not None and not isinstance(value, _INTEGER):
                problems.append(_problem((path, key), "is not a JSON value"))
    return problems


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
