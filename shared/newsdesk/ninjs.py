"""Validating a partner's ninjs 2.2 document against the IPTC schema and our profile, and
normalizing it into an :class:`~newsdesk.models.ArticleContent`.

The one entry point, :func:`validate_document`, never raises anything but
:class:`~newsdesk.errors.ValidationFailed` for a bad document, and lists every problem it found
(as JSON pointers into the request body) rather than stopping at the first one.
"""

from __future__ import annotations

import hashlib
import json
import math
import re
import unicodedata
from collections.abc import Callable, Iterable, Iterator
from dataclasses import dataclass, field
from datetime import UTC, datetime
from functools import cache
from importlib import resources
from typing import TYPE_CHECKING, Any, cast
from urllib.parse import urlsplit

from newsdesk.errors import FieldError, ValidationFailed
from newsdesk.models import ArticleContent, LeadImage, Mention, Mentions, PubStatus, Rights, Validated
from newsdesk.sanitize import has_text, paragraphs_from_text, plain_text, sanitize_html

if TYPE_CHECKING:
    # Importing jsonschema costs more than the rest of this module; it is loaded on first use.
    from jsonschema import Draft202012Validator
    from jsonschema.exceptions import ValidationError

SCHEMA_FILE = "ninjs-schema_2.2.json"
# places[].geojson points at the GeoJSON schema on the web. We never fetch schemas over the network
# and never use geojson, so that reference resolves to a local stand-in that asks only for an object.
GEOJSON_SCHEMA_URI = "https://geojson.org/schema/GeoJSON.json"

MAX_NESTING = 40
MAX_REPORTED_ERRORS = 100
MAX_REPORTED_WARNINGS = 50
MAX_URI_LENGTH = 1024
LEAD_MAX_CHARS = 400

MAIN_HEADLINE_ROLE = "main"
SUBHEADLINE_ROLES = frozenset({"sub", "subhead", "subheadline", "subtitle"})
LEAD_DESCRIPTION_ROLES = frozenset({"summary", "abstract", "lead"})
CAPTION_DESCRIPTION_ROLES = frozenset({"caption", "description", "summary"})
PREFERRED_RENDITION_NAMES = ("baseimage", "original")
MAIN_BODY_ROLES = frozenset({"", "main", "body", "full"})
HTML_CONTENT_TYPES = frozenset({"text/html", "application/xhtml+xml"})
PLAIN_CONTENT_TYPE = "text/plain"
# Schemes that make a browser run or inline something instead of following a link.
DANGEROUS_SCHEMES = frozenset({"javascript", "vbscript", "data", "file", "blob"})
MAX_DIMENSION = 100_000

_LANGUAGE_TAG = re.compile(r"[A-Za-z]{2,3}(?:-[A-Za-z0-9]{1,8})*")
_DATE_TIME = re.compile(r"\d{4}-\d{2}-\d{2}[Tt ]\d{2}:\d{2}(?::\d{2}(?:\.\d+)?)?(?:[Zz]|[+-]\d{2}:?\d{2})?")
_URI_SCHEME = re.compile(r"([A-Za-z][A-Za-z0-9+.\-]*):")
_NOT_IN_URIS = re.compile(r"[\s<>\"'`\\{}|^]")
_LONE_SURROGATE = re.compile("[\ud800-\udfff]")
# Unicode general category Cc is exactly U+0000-001F and U+007F-009F (Unicode keeps it so), and
# \s matches exactly the characters str.isspace() accepts: searches instead of per-character loops.
_CONTROL_CHARACTER = re.compile("[\x00-\x1f\x7f-\x9f]")
_SPACE_OR_CONTROL = re.compile("[\\s\x00-\x1f\x7f-\x9f]")
_PUBSTATUS_BY_VALUE = {status.value: status for status in PubStatus}
_FIRST_PARAGRAPH = re.compile(r"<p>(.*?)</p>", re.DOTALL)
_MARKUP = re.compile(r"<[A-Za-z!/]")

JSONObject = dict[str, object]


def validate_document(document: object, *, default_language: str) -> Validated:
    """Check a parsed ninjs document and normalize it into the article Newsdesk publishes.

    Fields the ninjs 2.2 schema does not know are reported as warnings (they stay in the archive)
    rather than rejected. Raises :class:`ValidationFailed` listing every problem otherwise.
    """
    if not isinstance(document, dict):
        raise ValidationFailed(
            "The request body must be a ninjs JSON object.",
            errors=[FieldError(pointer="", message="must be a JSON object")],
        )
    if not _only_json_values(document):
        raise _failure(sorted(_unusable_values(document), key=_pointer_sort_key))
    schema_errors, unknown_fields = _check_schema(document)
    normalizer = _Normalizer(document, default_language=default_language)
    content = normalizer.article()
    errors = _merge_errors(schema_errors, normalizer.errors)
    if errors or content is None:
        raise _failure(errors)
    warnings = [f"unknown field {pointer} kept in the archive, not used" for pointer in unknown_fields]
    if len(warnings) > MAX_REPORTED_WARNINGS:
        hidden = len(warnings) - MAX_REPORTED_WARNINGS
        warnings = [*warnings[:MAX_REPORTED_WARNINGS], f"… and {hidden} more unknown fields"]
    warnings.extend(normalizer.warnings)
    return Validated(content=content, warnings=warnings, canonical_hash=_canonical_hash_of_json(document))


def canonical_hash(document: object) -> str:
    """SHA-256 (hex) of the document in canonical JSON, so byte-different but equivalent documents match.

    Canonical means: keys sorted, no insignificant whitespace, non-ASCII as is, every string NFC.
    """
    return _sha256_hex(_canonical_json(_nfc_everywhere(document)))


def _canonical_hash_of_json(document: JSONObject) -> str:
    """:func:`canonical_hash` of a document known to hold only JSON values (string keys included).

    Usually every string is NFC already, and one check of the serialized text shows it: if the text
    is NFC, so is every string in it, since the quotes around a string never combine with anything
    and the characters JSON escapes (quote, backslash, controls) never take part in a composition.
    Normalizing each string would then change nothing, so the text is already the canonical one.
    """
    text = _canonical_json(document)
    if unicodedata.is_normalized("NFC", text):
        return _sha256_hex(text)
    # Some string needs normalizing, or an escape's letter combines with a mark after it (a newline,
    # written backslash-n, then U+0303): normalize string by string, as canonical_hash does.
    return canonical_hash(document)


def _canonical_json(value: object) -> str:
    return json.dumps(value, sort_keys=True, ensure_ascii=False, separators=(",", ":"), allow_nan=False)


def _sha256_hex(text: str) -> str:
    return hashlib.sha256(text.encode("utf-8")).hexdigest()


def _nfc_everywhere(value: object) -> object:
    if isinstance(value, str):
        return unicodedata.normalize("NFC", value)
    if isinstance(value, dict):
        return {unicodedata.normalize("NFC", str(key)): _nfc_everywhere(item) for key, item in value.items()}
    if isinstance(value, list):
        return [_nfc_everywhere(item) for item in value]
    return value


def _failure(errors: list[FieldError]) -> ValidationFailed:
    count = len(errors)
    if count > MAX_REPORTED_ERRORS:
        errors = [
            *errors[:MAX_REPORTED_ERRORS],
            FieldError(pointer="", message=f"… and {count - MAX_REPORTED_ERRORS} more problems"),
        ]
    noun = "problem" if count == 1 else "problems"
    return ValidationFailed(
        f"The document is not valid ninjs 2.2 for Newsdesk: {count} {noun}, listed in errors.", errors=errors
    )


# --- JSON pointers -----------------------------------------------------------------------------


def pointer_to(*parts: str | int) -> str:
    """An RFC 6901 JSON pointer for a path of keys and indexes (``""`` is the whole document)."""
    escaped = (str(part).replace("~", "~0").replace("/", "~1") for part in parts)
    return "".join("/" + part for part in escaped)


def _pointer_sort_key(error: FieldError) -> tuple[list[tuple[int, int | str]], str]:
    parts = error.pointer.split("/")[1:] if error.pointer else []
    return [(0, int(part)) if part.isdigit() else (1, part) for part in parts], error.message


# --- What JSON cannot carry safely -------------------------------------------------------------


def _unusable_values(document: JSONObject) -> Iterator[FieldError]:
    """Values no later step can handle: non-JSON types, unpaired surrogates, NaN, absurd nesting."""
    pending: list[tuple[object, tuple[str | int, ...]]] = [(document, ())]
    while pending:
        value, path = pending.pop()
        if len(path) > MAX_NESTING:
            yield FieldError(pointer=_safe_pointer(path), message=f"nested deeper than {MAX_NESTING} levels")
            continue
        if isinstance(value, dict):
            for key, item in value.items():
                if not isinstance(key, str):
                    yield FieldError(pointer=_safe_pointer(path), message="object keys must be strings")
                    continue
                if _LONE_SURROGATE.search(key):
                    yield FieldError(pointer=_safe_pointer((*path, key)), message="field name is not valid Unicode")
                    continue
                pending.append((item, (*path, key)))
        elif isinstance(value, list):
            pending.extend((item, (*path, index)) for index, item in enumerate(value))
        elif isinstance(value, str):
            if _LONE_SURROGATE.search(value):
                yield FieldError(
                    pointer=_safe_pointer(path), message="contains invalid Unicode (an unpaired surrogate)"
                )
        elif isinstance(value, float):
            if not math.isfinite(value):
                yield FieldError(pointer=_safe_pointer(path), message="must be a finite number")
        elif value is not None and not isinstance(value, bool | int):
            yield FieldError(pointer=_safe_pointer(path), message="is not a JSON value")


def _only_json_values(document: JSONObject) -> bool:
    """True exactly when :func:`_unusable_values` finds nothing, decided without building pointers."""
    pending: list[tuple[dict[Any, object] | list[object], int]] = [(document, 0)]
    while pending:
        container, depth = pending.pop()
        if depth >= MAX_NESTING:
            return False  # only non-empty containers are pending: their values are nested too deep
        if isinstance(container, dict):
            for key in container:
                if not isinstance(key, str) or not (key.isascii() or not _LONE_SURROGATE.search(key)):
                    return False
            values: Iterable[object] = container.values()
        else:
            values = container
        for value in values:
            if isinstance(value, str):
                if not value.isascii() and _LONE_SURROGATE.search(value):
                    return False
            elif isinstance(value, dict | list):
                if value:
                    pending.append((value, depth + 1))
            elif isinstance(value, float):
                if not math.isfinite(value):
                    return False
            elif value is not None and not isinstance(value, bool | int):
                return False
    return True


def _safe_pointer(path: tuple[str | int, ...]) -> str:
    return _LONE_SURROGATE.sub("\ufffd", pointer_to(*path))


# --- The IPTC schema ---------------------------------------------------------------------------


@cache
def _schema() -> JSONObject:
    text = resources.files("newsdesk").joinpath("schemas", SCHEMA_FILE).read_text(encoding="utf-8")
    loaded: JSONObject = json.loads(text)
    return loaded


@cache
def _validator() -> Draft202012Validator:
    from jsonschema import Draft202012Validator
    from referencing import Registry
    from referencing.jsonschema import DRAFT202012

    # An explicit registry also turns off jsonschema's fallback of fetching unknown $refs over HTTP.
    registry: Registry[Any] = Registry().with_resources(
        (uri, DRAFT202012.create_resource(schema)) for uri, schema in _stand_in_schemas().items()
    )
    # No format checker: "format" stays an annotation, as the fast path below relies on.
    return Draft202012Validator(_schema(), registry=registry)


def _stand_in_schemas() -> dict[str, JSONObject]:
    """Local stand-ins for the external schemas the ninjs schema refers to, by URI."""
    return {GEOJSON_SCHEMA_URI: {"type": "object"}}


# --- The same schema, compiled for documents with nothing to report ----------------------------
#
# jsonschema walks the schema generically (a validator object per keyword and per value), and that
# costs more than all the rest of validation together. Nearly every document a partner sends is
# valid and has no unknown fields; for those, a check compiled once from the same schema answers
# "nothing to report" in plain Python. The check is one-sided: it answers True only when jsonschema
# would yield no error at all for the document. Whatever it does not model exactly (a keyword it
# does not know, a float where an integer is expected, an unknown field, any error) makes it answer
# False, and jsonschema then runs as before and produces the report. So what _check_schema returns
# never depends on which of the two answered.

_Check = Callable[[object], bool]

# Keywords that never fail a document under our validator: annotations, the schema's own
# bookkeeping, and "format", which jsonschema asserts only when given a format checker (ours is not).
_NON_ASSERTING_KEYWORDS = frozenset(
    {"title", "description", "$comment", "examples", "default", "deprecated", "readOnly", "writeOnly", "format"}
)
_ROOT_ONLY_KEYWORDS = frozenset({"$schema", "$id", "$defs"})
_LOCAL_DEFINITION = "#/$defs/"


def _never(instance: object) -> bool:
    return False


def _is_number(value: object) -> bool:
    return isinstance(value, int | float) and not isinstance(value, bool)


# jsonschema's type tests, except that "integer" here refuses floats such as 1.0 (jsonschema
# accepts them): stricter only sends a document to jsonschema, never lets an error through.
_TYPE_TESTS: dict[str, _Check] = {
    "string": lambda value: isinstance(value, str),
    "object": lambda value: isinstance(value, dict),
    "array": lambda value: isinstance(value, list),
    "number": _is_number,
    "integer": lambda value: isinstance(value, int) and not isinstance(value, bool),
    "boolean": lambda value: isinstance(value, bool),
    "null": lambda value: value is None,
}


class _SchemaCompiler:
    """Turns a (sub)schema into a check that is True only if jsonschema finds nothing to report."""

    def __init__(self, root: JSONObject, stand_ins: dict[str, JSONObject]) -> None:
        self._root = root
        self._stand_ins = stand_ins
        self._references: dict[str, _Check] = {}

    def compile(self, schema: object, *, is_root: bool = False) -> _Check:
        if schema is True:
            return lambda instance: True
        if not isinstance(schema, dict):
            return _never
        checks: list[_Check] = []
        for keyword, value in schema.items():
            if keyword in _NON_ASSERTING_KEYWORDS or (is_root and keyword in _ROOT_ONLY_KEYWORDS):
                continue
            check = self._keyword(keyword, value, schema)
            if check is None:
                return _never
            checks.append(check)
        if len(checks) == 1:
            return checks[0]
        sequence = tuple(checks)

        def all_hold(instance: object) -> bool:
            # A loop, not all() over a generator: this runs for every value of every document,
            # and the generator doubles its cost.
            for check in sequence:  # noqa: SIM110
                if not check(instance):
                    return False
            return True

        return all_hold

    def _keyword(self, keyword: str, value: object, schema: JSONObject) -> _Check | None:
        """The check for one keyword, or None for a keyword or form this compiler does not model."""
        match keyword:
            case "type":
                return self._type(value)
            case "enum":
                return self._enum(value)
            case "required":
                return self._required(value)
            case "properties":
                return self._properties(value)
            case "additionalProperties":
                return self._additional_properties(value, schema)
            case "unevaluatedProperties":
                return self._unevaluated_properties(value, schema)
            case "items":
                return None if "prefixItems" in schema else self._items(value)
            case "minimum" | "maximum":
                return self._bound(keyword, value)
            case "oneOf":
                return self._one_of(value)
            case "$ref":
                return self._reference(value)
        return None

    def _type(self, value: object) -> _Check | None:
        names = value if isinstance(value, list) else [value]
        tests = [_TYPE_TESTS.get(name) if isinstance(name, str) else None for name in names]
        known = [test for test in tests if test is not None]
        if len(known) != len(tests) or not known:
            return None
        if len(known) == 1:
            return known[0]
        return lambda instance: any(test(instance) for test in known)

    def _enum(self, value: object) -> _Check | None:
        # jsonschema compares a string instance with ==; other kinds of members are not modelled.
        if not isinstance(value, list) or not all(isinstance(option, str) for option in value):
            return None
        options = frozenset(value)
        return lambda instance: isinstance(instance, str) and instance in options

    def _required(self, value: object) -> _Check | None:
        if not isinstance(value, list) or not all(isinstance(name, str) for name in value):
            return None
        names = tuple(value)
        return lambda instance: not isinstance(instance, dict) or all(name in instance for name in names)

    def _properties(self, value: object) -> _Check | None:
        if not isinstance(value, dict):
            return None
        checks = {name: self.compile(subschema) for name, subschema in value.items()}

        def properties_hold(instance: object) -> bool:
            if not isinstance(instance, dict):
                return True
            for name, item in instance.items():
                check = checks.get(name)
                if check is not None and not check(item):
                    return False
            return True

        return properties_hold

    def _additional_properties(self, value: object, schema: JSONObject) -> _Check | None:
        if value is True:
            return lambda instance: True
        declared = schema.get("properties", {})
        if value is not False or "patternProperties" in schema or not isinstance(declared, dict):
            return None
        names = frozenset(declared)
        return lambda instance: not isinstance(instance, dict) or names.issuperset(instance)

    def _unevaluated_properties(self, value: object, schema: JSONObject) -> _Check | None:
        if value is True:
            return lambda instance: True
        if value is not False:
            return None
        # Only what "properties" here and in $ref targets evaluate: jsonschema counts those and
        # more (additionalProperties, applicators), so a key outside these may still be fine there,
        # but a document with only these keys is fine for jsonschema.
        names = frozenset(self._declared_in_place(schema))
        return lambda instance: not isinstance(instance, dict) or names.issuperset(instance)

    def _declared_in_place(self, schema: JSONObject) -> set[str]:
        return set(_property_names(schema, self._target, follow_combinators=False))

    def _items(self, value: object) -> _Check | None:
        if value is True:
            return lambda instance: True
        if not isinstance(value, dict):
            return None
        check = self.compile(value)

        def items_hold(instance: object) -> bool:
            return not isinstance(instance, list) or all(map(check, instance))

        return items_hold

    def _bound(self, keyword: str, value: object) -> _Check | None:
        if not _is_number(value):
            return None
        limit = cast(int | float, value)
        within: Callable[[int | float], bool] = (
            (lambda number: number >= limit) if keyword == "minimum" else (lambda number: number <= limit)
        )

        def bound_holds(instance: object) -> bool:
            if isinstance(instance, bool) or not isinstance(instance, int | float):
                # jsonschema skips non-numbers (booleans included); other numeric types are not modelled.
                return isinstance(instance, bool | str | list | dict) or instance is None
            return within(instance)

        return bound_holds

    def _one_of(self, value: object) -> _Check | None:
        # Only alternatives made of "required" lists, which can be decided exactly: oneOf needs an
        # exact count of the alternatives that hold, not a one-sided answer.
        if not isinstance(value, list) or not value:
            return None
        alternatives: list[tuple[str, ...]] = []
        for branch in value:
            if not isinstance(branch, dict) or set(branch) - {"required"} - _NON_ASSERTING_KEYWORDS:
                return None
            required = branch.get("required", [])
            if not isinstance(required, list) or not all(isinstance(name, str) for name in required):
                return None
            alternatives.append(tuple(required))
        count = len(alternatives)

        def exactly_one_holds(instance: object) -> bool:
            if not isinstance(instance, dict):
                return count == 1
            return sum(all(name in instance for name in names) for names in alternatives) == 1

        return exactly_one_holds

    def _reference(self, value: object) -> _Check | None:
        if not isinstance(value, str) or self._target(value) is None:
            return None
        if value not in self._references:
            # Placeholder first: the ninjs schema refers to itself (associations are ninjs items).
            self._references[value] = _never
            self._references[value] = self.compile(self._target(value))
        references = self._references
        return lambda instance: references[value](instance)

    def _target(self, reference: str) -> JSONObject | None:
        if reference.startswith(_LOCAL_DEFINITION):
            name = reference.removeprefix(_LOCAL_DEFINITION)
            definitions = self._root.get("$defs")
            if "/" in name or "~" in name or not isinstance(definitions, dict):
                return None
            target = definitions.get(name)
            return target if isinstance(target, dict) else None
        return self._stand_ins.get(reference.removesuffix("#"))


@cache
def _schema_has_nothing_to_report() -> _Check:
    return _SchemaCompiler(_schema(), _stand_in_schemas()).compile(_schema(), is_root=True)


def _check_schema(document: JSONObject) -> tuple[list[FieldError], list[str]]:
    """Schema errors, and the pointers of fields the schema does not know (ours are warnings)."""
    if _schema_has_nothing_to_report()(document):
        return [], []
    errors: list[FieldError] = []
    unknown: list[str] = []
    for error in _validator().iter_errors(document):
        path = tuple(error.absolute_path)
        if error.validator in ("additionalProperties", "unevaluatedProperties"):
            if isinstance(error.instance, dict) and isinstance(error.schema, dict):
                known = _declared_properties(error.schema)
                unknown.extend(pointer_to(*path, key) for key in error.instance if key not in known)
            # An error listing only declared fields echoes a failure reported on its own elsewhere.
            continue
        if error.validator == "required" and isinstance(error.instance, dict):
            required = error.validator_value if isinstance(error.validator_value, list) else []
            errors.extend(
                FieldError(pointer=pointer_to(*path, name), message="is required")
                for name in required
                if name not in error.instance
            )
            continue
        errors.append(FieldError(pointer=pointer_to(*path), message=_schema_message(error)))
    return errors, list(dict.fromkeys(unknown))


def _declared_properties(schema: JSONObject) -> frozenset[str]:
    """Every property name a (sub)schema declares, following local ``$ref``s and combinators."""

    def local(reference: str) -> object:
        return _local_definition(reference) if reference.startswith("#/") else None

    return _property_names(schema, local, follow_combinators=True)


def _property_names(
    schema: JSONObject, resolve: Callable[[str], object], *, follow_combinators: bool
) -> frozenset[str]:
    """Names under ``properties`` of a schema and of what its ``$ref`` (and, if asked, its
    allOf/anyOf/oneOf branches) lead to; ``resolve`` turns a reference into its target."""
    names: set[str] = set()
    pending: list[object] = [schema]
    seen: set[int] = set()
    while pending:
        current = pending.pop()
        if not isinstance(current, dict) or id(current) in seen:
            continue
        seen.add(id(current))
        properties = current.get("properties")
        if isinstance(properties, dict):
            names.update(properties)
        reference = current.get("$ref")
        if isinstance(reference, str):
            pending.append(resolve(reference))
        if follow_combinators:
            for combinator in ("allOf", "anyOf", "oneOf"):
                branches = current.get(combinator)
                if isinstance(branches, list):
                    pending.extend(branches)
    return frozenset(names)


def _local_definition(reference: str) -> object:
    target: object = _schema()
    for part in reference.removeprefix("#/").split("/"):
        if not isinstance(target, dict):
            return None
        target = target.get(part.replace("~1", "/").replace("~0", "~"))
    return target


_JSON_TYPE_NAMES = {
    "string": "a string",
    "array": "an array",
    "object": "an object",
    "number": "a number",
    "integer": "an integer",
    "boolean": "true or false",
}


def _schema_message(error: ValidationError) -> str:
    """A short message for a schema error; jsonschema's own would repeat the (possibly huge) value."""
    rule, expected = error.validator, error.validator_value
    if rule == "type":
        kinds = expected if isinstance(expected, list) else [expected]
        return "must be " + " or ".join(_JSON_TYPE_NAMES.get(str(kind), str(kind)) for kind in kinds)
    if rule == "enum" and isinstance(expected, list):
        return "must be one of: " + ", ".join(str(option) for option in expected)
    if rule == "minimum":
        return f"must be at least {expected}"
    if rule == "maximum":
        return f"must be at most {expected}"
    if rule == "oneOf" and isinstance(expected, list):
        alternatives = [
            branch["required"][0]
            for branch in expected
            if isinstance(branch, dict) and isinstance(branch.get("required"), list) and branch["required"]
        ]
        if len(alternatives) == len(expected):
            return "must have exactly one of: " + ", ".join(str(name) for name in alternatives)
        return "must match exactly one of the forms the ninjs schema allows"
    return f"breaks the ninjs 2.2 rule '{rule}'"


def _merge_errors(schema_errors: list[FieldError], profile_errors: list[FieldError]) -> list[FieldError]:
    """Both lists, where a profile message replaces the schema's at the same pointer (it is clearer)."""
    profiled = {error.pointer for error in profile_errors}
    merged: dict[tuple[str, str], FieldError] = {}
    for error in [*profile_errors, *(e for e in schema_errors if e.pointer not in profiled)]:
        merged.setdefault((error.pointer, error.message), error)
    return sorted(merged.values(), key=_pointer_sort_key)


# --- Our profile and normalization -------------------------------------------------------------


def _text_of(container: object, key: str) -> str | None:
    """``container[key]`` when the container is an object and the value a string, else None."""
    if isinstance(container, dict):
        value = container.get(key)
        if isinstance(value, str):
            return value
    return None


def _plain_of(container: object, key: str) -> str:
    value = _text_of(container, key)
    return plain_text(value) if value is not None else ""


def _role_of(container: object) -> str:
    return (_text_of(container, "role") or "").strip().lower()


def _objects_in(container: object, key: str) -> list[tuple[int, JSONObject]]:
    """The (index, object) entries of the array ``container[key]``; anything else is skipped."""
    if not isinstance(container, dict):
        return []
    items = container.get(key)
    if not isinstance(items, list):
        return []
    return [(index, item) for index, item in enumerate(items) if isinstance(item, dict)]


def _media_type(value: str | None) -> str:
    return (value or "").split(";", 1)[0].strip().lower()


def _parse_date_time(value: str) -> datetime | None:
    if not _DATE_TIME.fullmatch(value.strip()):
        return None
    try:
        parsed = datetime.fromisoformat(value.strip().upper())
    except ValueError:
        return None
    if parsed.tzinfo is None:
        parsed = parsed.replace(tzinfo=UTC)
    return parsed.astimezone(UTC)


def _http_url(value: str | None) -> str:
    """The value when it is an absolute http(s) URL safe to put in a page, else ``""``."""
    if value is None:
        return ""
    candidate = unicodedata.normalize("NFC", value.strip())
    if not candidate or _NOT_IN_URIS.search(candidate) or _CONTROL_CHARACTER.search(candidate):
        return ""
    try:
        parts = urlsplit(candidate)
    except ValueError:
        return ""
    if parts.scheme.lower() not in ("http", "https") or not parts.hostname:
        return ""
    return candidate


def _identifier(value: str | None) -> str:
    """A concept id (``medtop:20000001``, ``http://…``, ``urn:…``) unless it is not one or could run code."""
    if value is None:
        return ""
    candidate = plain_text(value)
    if not candidate or _NOT_IN_URIS.search(candidate):
        return ""
    scheme = _URI_SCHEME.match(candidate)
    if scheme and scheme.group(1).lower() in DANGEROUS_SCHEMES:
        return ""
    return candidate


def _dimension(value: object) -> int | None:
    if isinstance(value, bool) or not isinstance(value, int | float):
        return None
    if not math.isfinite(value) or not 0 < value <= MAX_DIMENSION:
        return None
    return round(value)


def _shorten(text: str, limit: int = LEAD_MAX_CHARS) -> str:
    """At most ``limit`` characters, cut at a word boundary with an ellipsis when it had to be cut."""
    if len(text) <= limit:
        return text
    cut = text[: limit - 1]
    boundary = cut.rfind(" ")
    if boundary >= limit // 2:
        cut = cut[:boundary]
    return cut.rstrip(" ,;:-–—") + "…"


def _unique(values: list[str]) -> list[str]:
    return list(dict.fromkeys(value for value in values if value))


@dataclass
class _Normalizer:
    """Applies our profile to a document whose shape may still be wrong anywhere: every accessor
    checks types, and problems are collected in ``errors`` instead of raised."""

    document: JSONObject
    default_language: str
    errors: list[FieldError] = field(default_factory=list)
    warnings: list[str] = field(default_factory=list)

    def fail(self, pointer: str, message: str) -> None:
        self.errors.append(FieldError(pointer=pointer, message=message))

    def article(self) -> ArticleContent | None:
        uri = self.uri()
        self.item_type()
        pubstatus = self.pubstatus()
        language = self.language()
        headline, subheadline = self.headlines()
        body_html = self.body()
        dates = {name: self.date_time(name) for name in ("versioncreated", "firstcreated", "embargoed")}
        if self.errors or uri is None or headline is None or body_html is None:
            return None
        return ArticleContent(
            uri=uri,
            headline=headline,
            subheadline=subheadline,
            lead=self.lead(body_html),
            body_html=body_html,
            byline=_plain_of(self.document, "by"),
            language=language,
            pubstatus=pubstatus,
            version=self.version(),
            versioncreated=dates["versioncreated"],
            firstcreated=dates["firstcreated"],
            embargoed=dates["embargoed"],
            sources=_unique([_plain_of(source, "name") for _, source in _objects_in(self.document, "infosources")]),
            rights=self.rights(),
            lead_image=self.lead_image(),
            mentions=self.mentions(),
            section_hints=self.section_hints(),
        )

    def uri(self) -> str | None:
        value = self.document.get("uri")
        if "uri" not in self.document:
            self.fail("/uri", "is required: the partner's stable id for this story")
            return None
        if not isinstance(value, str) or not value.strip():
            self.fail("/uri", "must be a non-empty string: the partner's stable id for this story")
            return None
        uri = unicodedata.normalize("NFC", value.strip())
        if len(uri) > MAX_URI_LENGTH:
            self.fail("/uri", f"must be at most {MAX_URI_LENGTH} characters")
            return None
        if _SPACE_OR_CONTROL.search(uri):
            self.fail("/uri", "must not contain spaces or control characters")
            return None
        return uri

    def item_type(self) -> None:
        if "type" not in self.document:
            return
        value = self.document["type"]
        if value != "text":
            shown = f'"{value[:40]}"' if isinstance(value, str) else "a non-string value"
            self.fail(
                "/type",
                f'Newsdesk accepts only text items: type must be "text" or absent, and this one is {shown}',
            )

    def pubstatus(self) -> PubStatus:
        value = self.document.get("pubstatus", PubStatus.USABLE.value)
        status = _PUBSTATUS_BY_VALUE.get(value) if isinstance(value, str) else None
        if status is not None:
            return status
        self.fail("/pubstatus", "must be one of: " + ", ".join(status.value for status in PubStatus))
        return PubStatus.USABLE

    def language(self) -> str:
        if "language" not in self.document:
            return self.default_language
        value = self.document["language"]
        if not isinstance(value, str):
            self.fail("/language", "must be a BCP 47 language tag such as ru or en-GB")
            return self.default_language
        tag = value.strip().replace("_", "-")
        if not tag:
            return self.default_language
        if not _LANGUAGE_TAG.fullmatch(tag):
            self.fail("/language", "must be a BCP 47 language tag such as ru or en-GB")
        return tag

    def headlines(self) -> tuple[str | None, str]:
        entries = _objects_in(self.document, "headlines")
        if not entries:
            hint = " (ninjs 1.x 'headline' is not read)" if "headline" in self.document else ""
            self.fail(
                "/headlines",
                f'a main headline is required: headlines[] with role "main" or a first entry{hint}',
            )
            return None, ""
        main_index, main = next(
            ((index, entry) for index, entry in entries if _role_of(entry) == MAIN_HEADLINE_ROLE), entries[0]
        )
        headline = _plain_of(main, "value")
        if not headline:
            if isinstance(main.get("value"), str):
                self.fail(pointer_to("headlines", main_index, "value"), "the main headline is empty without markup")
            return None, ""
        subheadline = next(
            (
                text
                for index, entry in entries
                if index != main_index and _role_of(entry) in SUBHEADLINE_ROLES
                if (text := _plain_of(entry, "value"))
            ),
            "",
        )
        return headline, subheadline

    def body(self) -> str | None:
        candidates: list[tuple[tuple[int, int, int], bool, str]] = []
        for index, entry in _objects_in(self.document, "bodies"):
            value = _text_of(entry, "value")
            if value is None:
                continue
            media_type = _media_type(_text_of(entry, "contenttype"))
            if media_type in HTML_CONTENT_TYPES:
                kind, is_html = 0, True
            elif media_type == PLAIN_CONTENT_TYPE:
                kind, is_html = 1, False
            elif not media_type:
                # No content type: "up to the provider", so judge by whether it carries markup.
                kind, is_html = 2, bool(_MARKUP.search(value))
            else:
                continue
            role_rank = 0 if _role_of(entry) in MAIN_BODY_ROLES else 1
            candidates.append(((kind, role_rank, index), is_html, value))
        if not candidates:
            hint = (
                " (ninjs 1.x 'body_html'/'body_text' are not read)"
                if {"body_html", "body_text"} & set(self.document)
                else ""
            )
            self.fail("/bodies", f"a body is required: bodies[] with contenttype text/html or text/plain{hint}")
            return None
        (_, _, index), is_html, value = min(candidates, key=lambda candidate: candidate[0])
        body_html = sanitize_html(value if is_html else paragraphs_from_text(value))
        if not has_text(body_html):
            self.fail(
                pointer_to("bodies", index, "value"),
                "the body is empty once unsafe or unsupported markup is removed",
            )
            return None
        return body_html

    def date_time(self, name: str) -> datetime | None:
        value = _text_of(self.document, name)
        if value is None:
            return None
        parsed = _parse_date_time(value)
        if parsed is None:
            self.fail(pointer_to(name), "must be an RFC 3339 date-time such as 2024-05-01T09:30:00+03:00")
        return parsed

    def version(self) -> str | None:
        return _plain_of(self.document, "version") or None

    def lead(self, body_html: str) -> str:
        for _, description in _objects_in(self.document, "descriptions"):
            if _role_of(description) in LEAD_DESCRIPTION_ROLES and (text := _plain_of(description, "value")):
                return _shorten(text)
        for paragraph in _FIRST_PARAGRAPH.findall(body_html):
            if text := plain_text(paragraph):
                return _shorten(text)
        return _shorten(plain_text(body_html))

    def rights(self) -> Rights:
        rightsinfo = self.document.get("rightsinfo")
        return Rights(
            holder=_plain_of(self.document, "copyrightholder"),
            notice=_plain_of(self.document, "copyrightnotice"),
            usage_terms=_plain_of(self.document, "usageterms"),
            info_url=_http_url(_text_of(rightsinfo, "linkedrights")),
        )

    def lead_image(self) -> LeadImage | None:
        for index, association in _objects_in(self.document, "associations"):
            if (_text_of(association, "type") or "").strip().lower() != "picture":
                continue
            image = self.image_from(association)
            if image is None:
                self.warnings.append(
                    f"picture {pointer_to('associations', index)} has no http(s) rendition; no lead image"
                )
            return image
        return None

    def image_from(self, association: JSONObject) -> LeadImage | None:
        usable = [
            (rendition, url)
            for _, rendition in _objects_in(association, "renditions")
            if (url := _http_url(_text_of(rendition, "href")))
        ]
        if not usable:
            return None

        def preference(candidate: tuple[JSONObject, str]) -> tuple[int, int]:
            name = (_text_of(candidate[0], "name") or "").strip().lower()
            named = PREFERRED_RENDITION_NAMES.index(name) if name in PREFERRED_RENDITION_NAMES else 2
            return named, -(_dimension(candidate[0].get("width")) or 0)

        rendition, url = min(usable, key=preference)
        captions = _objects_in(association, "descriptions")
        caption = next(
            (
                text
                for _, description in captions
                if _role_of(description) in CAPTION_DESCRIPTION_ROLES
                if (text := _plain_of(description, "value"))
            ),
            "",
        ) or next((text for _, description in captions if (text := _plain_of(description, "value"))), "")
        if not caption:
            headlines = _objects_in(association, "headlines")
            caption = next((text for _, headline in headlines if (text := _plain_of(headline, "value"))), "")
        return LeadImage(
            url=url,
            caption=caption,
            credit=_plain_of(association, "by") or _plain_of(association, "copyrightholder"),
            width=_dimension(rendition.get("width")),
            height=_dimension(rendition.get("height")),
            mimetype=_plain_of(rendition, "contenttype"),
        )

    def mentions_in(self, key: str) -> list[Mention]:
        found: dict[tuple[str, str], Mention] = {}
        for _, entry in _objects_in(self.document, key):
            name = _plain_of(entry, "name")
            if name:
                mention = Mention(name=name, uri=_identifier(_text_of(entry, "uri")))
                found.setdefault((mention.name, mention.uri), mention)
        return list(found.values())

    def mentions(self) -> Mentions:
        return Mentions(
            companies=self.mentions_in("organisations"),
            people=self.mentions_in("people"),
            places=self.mentions_in("places"),
            # Products and programmes (aircraft, ships, contracts) are "objects" in ninjs.
            projects=self.mentions_in("objects"),
            subjects=self.mentions_in("subjects"),
        )

    def section_hints(self) -> list[str]:
        hints: list[str] = []
        for key in ("subjects", "genres"):
            for _, entry in _objects_in(self.document, key):
                hints.append(_identifier(_text_of(entry, "uri")).lower())
                hints.append(_plain_of(entry, "name").lower())
        return _unique(hints)
