"""``from_item`` reads the kinds of attribute values items hold directly (strings, whole numbers,
lists, maps, flags, null) instead of through boto3's generic TypeDeserializer (most of publish's
own CPU when it reads a day's articles for its lists); it must agree with the generic way on every
value, including the ones it leaves to it (sets, binaries, fractions, numbers beyond 38 digits), and
fail where it fails.
"""

from __future__ import annotations

import random
from decimal import Decimal
from typing import Any

import pytest
from boto3.dynamodb.types import TypeDeserializer, TypeSerializer

from newsdesk.dal import items
from newsdesk.dal.items import from_item, to_item

pytestmark = pytest.mark.unit

NUMBERS = ["0", "-0", "7", "007", "-12", "12.5", "-0.001", "1e3", "1E-2", "10.0", "9" * 38, "-" + "9" * 38]
VALUES: list[dict[str, Any]] = [
    {"S": ""},
    {"S": "Уралвагонзавод ✓"},
    *({"N": number} for number in NUMBERS),
    {"BOOL": True},
    {"BOOL": False},
    {"NULL": True},
    {"L": []},
    {"M": {}},
    {"SS": ["b", "a"]},
    {"NS": ["2", "1.5", "-3"]},
    {"B": b"\x00bytes"},
    {"L": [{"S": "x"}, {"N": "1"}, {"M": {"n": {"N": "2.5"}, "s": {"SS": ["z", "y"]}}}, {"NULL": True}]},
    {"M": {"renditions": {"L": [{"M": {"path": {"S": "v1/m.webp"}, "width": {"N": "640"}}}]}}},
]


def generic(item: dict[str, Any]) -> dict[str, Any]:
    """What from_item stands in for."""
    deserializer = TypeDeserializer()
    return {key: items._native(deserializer.deserialize(value)) for key, value in item.items()}


def same(left: Any, right: Any) -> bool:
    """Equal values of the same types, all the way down (1 == 1.0 == True would hide a difference)."""
    if type(left) is not type(right):
        return False
    if isinstance(left, dict):
        return left.keys() == right.keys() and all(same(left[key], right[key]) for key in left)
    if isinstance(left, list):
        return len(left) == len(right) and all(same(a, b) for a, b in zip(left, right, strict=True))
    return bool(left == right)


@pytest.mark.parametrize("value", VALUES, ids=lambda value: str(value)[:40])
def test_each_kind_of_value_reads_as_the_generic_deserializer_reads_it(value: dict[str, Any]) -> None:
    item = {"attribute": value}
    assert same(from_item(item), generic(item))


def test_article_like_items_read_as_the_generic_deserializer_reads_them() -> None:
    rng = random.Random(10)
    for _ in range(300):
        values = {
            "PK": "ARTICLE#a1",
            "revision": rng.randrange(0, 10**6),
            "score": rng.choice([Decimal("1.25"), Decimal("-3"), 0]),
            "keywords": [rng.choice(["a", "b", ""]) for _ in range(rng.randrange(4))],
            "flags": {"pinned": rng.random() < 0.5, "note": None, "depth": {"n": rng.randrange(-5, 5)}},
            "tags": {rng.choice(["x", "y", "z"]) for _ in range(rng.randrange(1, 3))},
        }
        item = to_item(values)
        assert same(from_item(item), generic(item))


def test_malformed_values_fail_as_the_generic_deserializer_fails() -> None:
    malformed: list[dict[str, Any]] = [
        {},
        {"S": "a", "N": "1"},
        {"X": "1"},
        {"N": "1" * 39},
        {"N": "1" * 38 + ".5"},
        {"BS": [b"\x02", b"\x01"]},  # Binary values do not sort: the generic way fails, and so must this
    ]
    for value in malformed:
        try:
            expected: Any = generic({"a": value})
        except Exception as error:  # the same kind of error is what is compared
            with pytest.raises(type(error)):
                from_item({"a": value})
        else:
            assert same(from_item({"a": value}), expected)


def test_the_generic_deserializer_is_not_asked_for_plain_items(monkeypatch: pytest.MonkeyPatch) -> None:
    asked = 0
    original = items._deserializer.deserialize

    def counting(value: Any) -> Any:
        nonlocal asked
        asked += 1
        return original(value)

    monkeypatch.setattr(items._deserializer, "deserialize", counting)
    from_item(dict(TypeSerializer().serialize({"a": "x", "n": 5, "l": [1, "y", None, True], "m": {"k": "v"}})["M"]))
    assert asked == 0
