"""How problems with a document are reported: RFC 6901 JSON pointers into the request body, in a
stable order, merged from the schema and our profile, and capped."""

from __future__ import annotations

from newsdesk.errors import FieldError, ValidationFailed

MAX_REPORTED_ERRORS = 100


def pointer_to(*parts: str | int) -> str:
    """An RFC 6901 JSON pointer for a path of keys and indexes (``""`` is the whole document)."""
    escaped = (str(part).replace("~", "~0").replace("/", "~1") for part in parts)
    return "".join("/" + part for part in escaped)


def pointer_sort_key(pointer: str) -> list[tuple[int, int | str]]:
    """Document order for pointers: array indexes compare as numbers (``/2`` before ``/10``)."""
    parts = pointer.split("/")[1:] if pointer else []
    # isascii: str.isdigit also holds for "¹" and other digits int() refuses (a field name a partner
    # chose); the length keeps int() far from Python's digit limit.
    return [(0, int(part)) if part.isascii() and part.isdigit() and len(part) <= 18 else (1, part) for part in parts]


def _error_sort_key(error: FieldError) -> tuple[list[tuple[int, int | str]], str]:
    return pointer_sort_key(error.pointer), error.message


def merge_errors(schema_errors: list[FieldError], profile_errors: list[FieldError]) -> list[FieldError]:
    """Both lists, where a profile message replaces the schema's at the same pointer (it is clearer)."""
    profiled = {error.pointer for error in profile_errors}
    merged: dict[tuple[str, str], FieldError] = {}
    for error in [*profile_errors, *(e for e in schema_errors if e.pointer not in profiled)]:
        merged.setdefault((error.pointer, error.message), error)
    return list(merged.values())


def failure(errors: list[FieldError], *, standard: str = "ninjs 2.2") -> ValidationFailed:
    """The exception for a refused document: every problem sorted, at most MAX_REPORTED_ERRORS listed."""
    ordered = sorted(errors, key=_error_sort_key)
    count = len(ordered)
    if count > MAX_REPORTED_ERRORS:
        ordered = [
            *ordered[:MAX_REPORTED_ERRORS],
            FieldError(pointer="", message=f"… and {count - MAX_REPORTED_ERRORS} more problems"),
        ]
    noun = "problem" if count == 1 else "problems"
    return ValidationFailed(
        f"The document is not valid {standard} for Newsdesk: {count} {noun}, listed in errors.", errors=ordered
    )
