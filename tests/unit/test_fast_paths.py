"""The shortcuts taken for speed must agree with the code they stand in for.

``ninjs.schema`` asks jsonschema-rs for a yes/no answer first and builds the error report only
when the answer is no; ``ninjs.canonical`` hashes the serialized text as it is when that text is
already NFC; ``sanitize.has_text`` stands in for ``bool(plain_text(...))``. Each is compared here
with what it stands in for, on every fixture and on many seeded mutations of them.
"""

from __future__ import annotations

import copy
import random
import unicodedata
from collections.abc import Callable
from typing import Any

import pytest

from newsdesk.ninjs import canonical_hash, schema
from newsdesk.ninjs.canonical import canonical_hash_of_json
from newsdesk.ninjs.v3 import reading_of
from newsdesk.sanitize import has_text, plain_text
from tests.conftest import FIXTURES, load_ninjs
from tests.fixtures.injections import ALL_ATTACKS

pytestmark = pytest.mark.unit

FIXTURE_NAMES = sorted(path.name for path in (FIXTURES / "ninjs").glob("*.json"))
ODD_VALUES: list[Any] = [None, True, 0, -1, 1.5, 10**40, "", " ", "x", "2026-11-25T08:00:00Z", [], {}, [1], {"a": 1}]


def mutations(rng: random.Random, document: Any, count: int) -> list[Any]:
    """Copies of the document with one node replaced, removed, or given an unknown field."""
    paths: list[tuple[Any, ...]] = []

    def walk(node: Any, path: tuple[Any, ...]) -> None:
        paths.append(path)
        if isinstance(node, dict):
            for key, value in node.items():
                walk(value, (*path, key))
        elif isinstance(node, list):
            for index, value in enumerate(node):
                walk(value, (*path, index))

    walk(document, ())
    result = []
    for _ in range(count):
        changed = copy.deepcopy(document)
        path = rng.choice(paths[1:])
        parent = changed
        for step in path[:-1]:
            parent = parent[step]
        action = rng.random()
        if action < 0.6:
            parent[path[-1]] = rng.choice(ODD_VALUES)
        elif action < 0.8 and isinstance(parent, dict):
            del parent[path[-1]]
        elif isinstance(parent, dict):
            parent[rng.choice(["extra", "x_partner", "role", "value", "uri"])] = rng.choice(ODD_VALUES)
        result.append(changed)
    return result


@pytest.mark.parametrize("name", FIXTURE_NAMES)
def test_schema_yes_no_answer_agrees_with_the_full_report(name: str) -> None:
    # Given: a realistic document and 300 mutations of it; check_schema asks is_valid first and
    # builds a report only when the answer is no
    base = load_ninjs(name)
    rng = random.Random(name)
    checker = schema.validator()
    for document in [base, *mutations(rng, base, 300)]:
        # Then: "valid" exactly when the full report is empty
        assert checker.is_valid(document) == (next(checker.iter_errors(document), None) is None), document


def test_schema_yes_no_answer_is_the_one_taken_for_ordinary_documents() -> None:
    # The shortcut must actually be taken for ordinary documents, or it is not one.
    # (each against its own version's schema: the ninjs3_* fixtures are IPTC's 3.x examples)
    valid = [
        name
        for name in FIXTURE_NAMES
        if schema.validator(reading_of(load_ninjs(name)).schema).is_valid(load_ninjs(name))
    ]
    # Two fixtures carry fields ninjs 2.2 does not know (IPTC's composite example still has 1.x-era
    # `mimetype`, `person`, `place`): they take the full report, which turns them into warnings.
    unusual = {"with_unknown_fields.json", "iptc_composite_multimedia.json"}
    assert valid == [name for name in FIXTURE_NAMES if name not in unusual]


@pytest.mark.parametrize("name", FIXTURE_NAMES)
def test_hash_of_json_values_agrees_with_canonical_hash(name: str) -> None:
    # Given: the document, mutations of it, and the same with every string decomposed (NFD) or
    # with a combining mark after an escaped character
    base = load_ninjs(name)
    rng = random.Random(name)
    documents = [base, *mutations(rng, base, 100)]
    documents += [_map_strings(document, lambda text: unicodedata.normalize("NFD", text)) for document in documents]
    documents.append({**base, "by": 'line\n\u0303 and quote"\u0301'})
    for document in documents:
        # Then: the shortcut (one NFC check of the serialized text) gives the same hash
        assert canonical_hash_of_json(document) == canonical_hash(document), document


def _map_strings(value: Any, change: Callable[[str], str]) -> Any:
    if isinstance(value, str):
        return change(value)
    if isinstance(value, dict):
        return {change(key): _map_strings(item, change) for key, item in value.items()}
    if isinstance(value, list):
        return [_map_strings(item, change) for item in value]
    return value


@pytest.mark.parametrize("value", [*ALL_ATTACKS, "", "   ", "<p></p>", "&nbsp;", "\ufeff", "<b> </b>x", "текст"])
def test_has_text_agrees_with_plain_text(value: str) -> None:
    assert has_text(value) == bool(plain_text(value))
