"""DynamoDB attribute values as the local moto holds them (``{type: value}``), read and written as
they are (the patches that use them: :mod:`newsdesk_ops.emulator`, "Every attribute value of every
item answered went through moto's generic serializer").
"""

from __future__ import annotations

from collections.abc import Callable
from typing import Any


class NotPlain(Exception):
    """An attribute value holds something moto's serializer would have to look at itself."""


# The types of DynamoDB's AttributeValue, by how its JSON carries them.
_STRING_TYPES = ("S", "N")
_STRING_SET_TYPES = ("SS", "NS")
_FLAG_TYPES = ("NULL", "BOOL")


def string_of(value: Any) -> str:
    """The string of a DynamoDB S value (moto's DynamoType); NotPlain for any other kind."""
    if getattr(value, "type", None) != "S" or type(getattr(value, "value", None)) is not str:
        raise NotPlain("not a string")
    return str(value.value)


def attribute_value_json(value: dict[str, Any], base64_of: Callable[[Any], str]) -> dict[str, Any]:
    """One attribute value (moto's ``dynamo_to_dict`` form) as moto's serializer writes it, without
    its walk over the shape's ten members with an attribute picker each (several dictionary
    look-ups and name conversions apiece): strings as they are, binaries in base64, maps and lists
    value by value. Anything else raises NotPlain, and moto serializes that value itself."""
    result: dict[str, Any] = {}
    for name, member in value.items():
        if member is None:
            continue  # moto leaves out members without a value
        if name in _STRING_TYPES:
            if type(member) is not str:
                raise NotPlain(name)
            result[name] = member
        elif name in _FLAG_TYPES:
            if type(member) is not bool:
                raise NotPlain(name)
            result[name] = member
        elif name == "B":
            if not isinstance(member, bytes | str):
                raise NotPlain(name)
            result[name] = base64_of(member)
        elif name in _STRING_SET_TYPES:
            if type(member) is not list or any(type(entry) is not str for entry in member):
                raise NotPlain(name)
            result[name] = list(member)
        elif name == "BS":
            if type(member) is not list or any(not isinstance(entry, bytes | str) for entry in member):
                raise NotPlain(name)
            result[name] = [base64_of(entry) for entry in member]
        elif name == "M" and type(member) is dict:
            result[name] = {entry_key: nested_value_json(entry, base64_of) for entry_key, entry in member.items()}
        elif name == "L" and type(member) is list:
            result[name] = [nested_value_json(entry, base64_of) for entry in member]
        else:
            raise NotPlain(name)
    if len(result) > 1:
        raise NotPlain("more than one type")  # moto would order them by its model: let it
    return result


def nested_value_json(value: Any, base64_of: Callable[[Any], str]) -> Any:
    if type(value) is not dict:
        raise NotPlain("not a map")
    return attribute_value_json(value, base64_of)
