"""Checking a document against its IPTC ninjs JSON Schema (2.2, 3.0 or 3.1; Draft 2020-12) with
jsonschema-rs, and turning what it finds into our error shape.

Fields the schema does not know are not errors here: they come back separately, as pointers, and
become warnings. Formats (``uri``, ``date-time``) stay annotations, as Draft 2020-12 says by
default; our profile checks the few formats it relies on itself, with clearer messages.
"""

from __future__ import annotations

import json
from functools import cache
from importlib import resources
from typing import TYPE_CHECKING

from newsdesk.errors import FieldError
from newsdesk.ninjs.report import pointer_sort_key, pointer_to

if TYPE_CHECKING:
    # jsonschema_rs is imported where the validator is built, on the first document, not at import.
    from jsonschema_rs import ValidationError, Validator

# The schema each accepted version is checked against (shipped in newsdesk/schemas/). ninjs 2.0
# and 2.1 documents are valid 2.2 (2.x only added fields); :mod:`.v3` decides which applies.
SCHEMA_FILES = {"2.2": "ninjs-schema_2.2.json", "3.0": "ninjs-schema_3.0.json", "3.1": "ninjs-schema_3.1.json"}
DEFAULT_SCHEMA = "2.2"
# places[].geojson points at the GeoJSON schema on the web. We never fetch schemas over the network
# and never use geojson, so that reference resolves to a local stand-in that asks only for an object.
GEOJSON_SCHEMA_URI = "https://geojson.org/schema/GeoJSON.json"
STAND_IN_SCHEMAS: dict[str, dict[str, object]] = {GEOJSON_SCHEMA_URI: {"type": "object"}}

_JSON_TYPE_NAMES = {
    "string": "a string",
    "array": "an array",
    "object": "an object",
    "number": "a number",
    "integer": "an integer",
    "boolean": "true or false",
}


@cache
def ninjs_schema(version: str = DEFAULT_SCHEMA) -> dict[str, object]:
    """The ninjs schema of ``version`` (a key of SCHEMA_FILES) as shipped in the package."""
    text = resources.files("newsdesk").joinpath("schemas", SCHEMA_FILES[version]).read_text(encoding="utf-8")
    loaded: dict[str, object] = json.loads(text)
    return loaded


@cache
def validator(version: str = DEFAULT_SCHEMA) -> Validator:
    """The compiled validator of one schema, built once, on its first document."""
    import jsonschema_rs

    registry = jsonschema_rs.Registry(list(STAND_IN_SCHEMAS.items()))
    # offline: a $ref the registry does not hold fails the build instead of going to the network.
    return jsonschema_rs.Draft202012Validator(
        ninjs_schema(version), registry=registry, validate_formats=False, offline=True
    )


def check_schema(document: dict[str, object], version: str = DEFAULT_SCHEMA) -> tuple[list[FieldError], list[str]]:
    """Schema errors, and the pointers of fields the schema does not know (sorted, each once)."""
    checker = validator(version)
    # Nearly every document is valid: the yes/no answer stops early and builds no error objects.
    if checker.is_valid(document):
        return [], []
    from jsonschema_rs import ValidationErrorKind as Kind

    errors: list[FieldError] = []
    unknown: set[str] = set()
    for error in checker.iter_errors(document):
        kind, path = error.kind, error.instance_path
        if isinstance(kind, Kind.AdditionalProperties | Kind.UnevaluatedProperties):
            unknown.update(pointer_to(*path, name) for name in kind.unexpected)
        elif isinstance(kind, Kind.Required):
            errors.append(FieldError(pointer=pointer_to(*path, kind.property), message="is required"))
        else:
            errors.append(FieldError(pointer=pointer_to(*path), message=_message(error, version)))
    return errors, sorted(unknown, key=pointer_sort_key)


def _message(error: ValidationError, version: str) -> str:
    """A short message; the library's own would repeat the (possibly huge) value."""
    from jsonschema_rs import ValidationErrorKind as Kind

    kind = error.kind
    if isinstance(kind, Kind.Type):
        return "must be " + " or ".join(_JSON_TYPE_NAMES.get(name, name) for name in kind.types)
    if isinstance(kind, Kind.Enum):
        return "must be one of: " + ", ".join(str(option) for option in kind.options)
    if isinstance(kind, Kind.Minimum):
        return f"must be at least {kind.limit}"
    if isinstance(kind, Kind.Maximum):
        return f"must be at most {kind.limit}"
    if isinstance(kind, Kind.OneOfNotValid | Kind.OneOfMultipleValid):
        return _one_of_message(error.schema_path, version)
    return f"breaks the ninjs {version} rule '{kind.name}'"


def _one_of_message(schema_path: list[str | int], version: str) -> str:
    """For a oneOf whose branches each require one field (rightsinfo, contactinfo), name the fields."""
    branches: object = ninjs_schema(version)
    for step in schema_path:
        if isinstance(branches, dict) and isinstance(step, str):
            branches = branches.get(step)
        elif isinstance(branches, list) and isinstance(step, int) and 0 <= step < len(branches):
            branches = branches[step]
        else:
            branches = None
    alternatives = [
        branch["required"][0]
        for branch in (branches if isinstance(branches, list) else [])
        if isinstance(branch, dict) and isinstance(branch.get("required"), list) and branch["required"]
    ]
    if alternatives and isinstance(branches, list) and len(alternatives) == len(branches):
        return "must have exactly one of: " + ", ".join(str(name) for name in alternatives)
    return "must match exactly one of the forms the ninjs schema allows"
