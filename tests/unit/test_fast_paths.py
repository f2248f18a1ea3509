"""The shortcuts taken for speed must agree with the code they stand in for.

``ninjs`` checks a document against a compiled form of the schema first and runs jsonschema only
when that check finds something; ``sanitize.has_text`` stands in for ``bool(plain_text(...))``.
Both are compared here on every fixture and on many seeded mutations of them.
"""

from __future__ import annotations

import copy
import random
from typing import Any

import pytest

from newsdesk import ninjs
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
def test_compiled_schema_check_never_passes_what_jsonschema_refuses(name: str) -> None:
    # Given a realistic document and 300 mutations of it
    base = load_ninjs(name)
    rng = random.Random(name)
    for document in [base, *mutations(rng, base, 300)]:
        # When the compiled check finds nothing to report
        if ninjs._schema_has_nothing_to_report()(document):
            # Then jsonschema finds nothing either
            assert list(ninjs._validator().iter_errors(document)) == [], document


def test_compiled_schema_check_passes_the_fixtures() -> None:
    # The shortcut must actually be taken for ordinary documents, or it is not one.
    passing = [name for name in FIXTURE_NAMES if ninjs._schema_has_nothing_to_report()(load_ninjs(name))]
    assert "ru_defence_industry.json" in passing and "en_agency.json" in passing


@pytest.mark.parametrize("value", [*ALL_ATTACKS, "", "   ", "<p></p>", "&nbsp;", "\ufeff", "<b> </b>x", "текст"])
def test_has_text_agrees_with_plain_text(value: str) -> None:
    assert has_text(value) == bool(plain_text(value))
