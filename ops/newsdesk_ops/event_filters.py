"""Lambda event filters for the local stream pollers: the subset of EventBridge content filtering
that ``FilterCriteria`` patterns use (prefix, suffix, exists, anything-but, equals-ignore-case).
"""

from __future__ import annotations

import logging
from collections.abc import Mapping, Sequence
from typing import TYPE_CHECKING, Any

if TYPE_CHECKING:
    pass

log = logging.getLogger(__name__)


# --------------------------------------------------------------------------------------------------
# Filter patterns (the subset of EventBridge content filtering Lambda event filters use)
# --------------------------------------------------------------------------------------------------

_OPERATORS = {"prefix", "suffix", "exists", "anything-but", "equals-ignore-case"}


class UnsupportedPattern(ValueError):
    """A filter pattern uses something the local matcher does not implement."""


def validate_pattern(pattern: Mapping[str, Any]) -> None:
    """Refuse, at start-up, a pattern the local matcher would judge differently from Lambda.

    Supported: nested objects; at the leaves, lists of exact values (strings, numbers, booleans,
    null) and the operators prefix, suffix, exists, anything-but and equals-ignore-case.
    """
    if not isinstance(pattern, Mapping):
        raise UnsupportedPattern(f"a pattern is a JSON object, not {pattern!r}")
    for key, expected in pattern.items():
        if isinstance(expected, Mapping):
            validate_pattern(expected)
        elif isinstance(expected, list):
            for matcher in expected:
                if isinstance(matcher, Mapping):
                    unknown = set(matcher) - _OPERATORS
                    if unknown or len(matcher) != 1:
                        raise UnsupportedPattern(f"{key}: operator {matcher!r} is not supported locally")
                elif isinstance(matcher, list):
                    raise UnsupportedPattern(f"{key}: nested list {matcher!r} in a pattern")
        else:
            raise UnsupportedPattern(f"{key}: a pattern leaf is a list of values, not {expected!r}")


def matches_pattern(pattern: Mapping[str, Any], event: Any) -> bool:
    """Whether ``event`` matches one filter pattern: every key of the pattern must match."""
    if not isinstance(event, Mapping):
        return False
    for key, expected in pattern.items():
        present = key in event
        value = event.get(key)
        if isinstance(expected, Mapping):
            if not present or not matches_pattern(expected, value):
                return False
        elif not _leaf_matches(expected, present, value):
            return False
    return True


def passes_filters(patterns: Sequence[Mapping[str, Any]], record: Mapping[str, Any]) -> bool:
    """Lambda's rule for FilterCriteria: no filters pass everything, else any one must match."""
    return not patterns or any(matches_pattern(pattern, record) for pattern in patterns)


def _leaf_matches(matchers: list[Any], present: bool, value: Any) -> bool:
    if not present:
        # Only {"exists": false} matches a missing key.
        return any(isinstance(matcher, Mapping) and matcher.get("exists") is False for matcher in matchers)
    # A list in the event matches when any of its elements does.
    candidates = value if isinstance(value, list) else [value]
    return any(_value_matches(matcher, candidate) for matcher in matchers for candidate in candidates)


def _value_matches(matcher: Any, value: Any) -> bool:
    if isinstance(matcher, Mapping):
        ((operator, argument),) = matcher.items()
        if operator == "exists":
            return bool(argument) and not isinstance(value, Mapping)
        if operator == "prefix":
            return isinstance(value, str) and value.startswith(argument)
        if operator == "suffix":
            return isinstance(value, str) and value.endswith(argument)
        if operator == "equals-ignore-case":
            return isinstance(value, str) and value.casefold() == str(argument).casefold()
        if operator == "anything-but":
            excluded = argument if isinstance(argument, list) else [argument]
            return not any(_value_matches(item, value) for item in excluded)
        raise UnsupportedPattern(f"operator {operator!r} is not supported locally")
    if isinstance(matcher, bool) or isinstance(value, bool):
        return matcher is value
    if isinstance(matcher, int | float) and isinstance(value, int | float):
        return float(matcher) == float(value)
    return bool(matcher == value)
