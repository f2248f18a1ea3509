"""Validating a partner's ninjs document (2.x or 3.x) against its IPTC schema and our profile, and
normalizing it into an :class:`~newsdesk.models.ArticleContent`.

The one entry point, :func:`validate_document`, never raises anything but
:class:`~newsdesk.errors.ValidationFailed` for a bad document, and lists every problem it found
(as JSON pointers into the request body) rather than stopping at the first one.

One module per step: ``hygiene`` (what JSON cannot carry safely), ``v3`` (which ninjs version, and
a 3.x document under the names the profile reads), ``schema`` (the IPTC schema of that version, by
jsonschema-rs), ``normalize`` (our profile, with ``fields`` for reading values), ``canonical`` (the
hash that recognises a resent document) and ``report`` (pointers, order, cap).
"""

from __future__ import annotations

from newsdesk.errors import FieldError, ValidationFailed
from newsdesk.models import ArticleContent, Validated
from newsdesk.ninjs.canonical import canonical_hash, canonical_hash_of_json
from newsdesk.ninjs.hygiene import unusable_values
from newsdesk.ninjs.normalize import Normalizer
from newsdesk.ninjs.report import failure, merge_errors, pointer_to
from newsdesk.ninjs.schema import check_schema
from newsdesk.ninjs.v3 import reading_of, sent_pointer
from newsdesk.pictures import MAX_INLINE_IMAGES, inline_pictures

__all__ = ["canonical_hash", "pointer_to", "validate_document"]

MAX_REPORTED_WARNINGS = 50
# What Newsdesk does not publish of known fields (newsdesk.ninjs.agency) and what reading changed: a
# document can name thousands of sources' links, and the warnings are stored on the article's record.
MAX_REPORTED_OTHER_WARNINGS = 20
# Warnings are stored on the article's record: a pointer is shown up to this many characters.
MAX_SHOWN_POINTER_CHARS = 200


def validate_document(document: object, *, default_language: str) -> Validated:
    """Check a parsed ninjs document and normalize it into the article Newsdesk publishes.

    Fields the document's ninjs schema does not know are reported as warnings (they stay in the archive)
    rather than rejected. Raises :class:`ValidationFailed` listing every problem otherwise.
    """
    if not isinstance(document, dict):
        raise ValidationFailed(
            "The request body must be a ninjs JSON object.",
            errors=[FieldError(pointer="", message="must be a JSON object")],
        )
    problems = unusable_values(document)
    if problems:
        raise failure(problems)
    # ninjs 3.x is checked against its own schema and reaches the profile under the 2.x names (v3).
    reading = reading_of(document)
    schema_errors, unknown_fields = check_schema(document, reading.schema)
    normalizer = Normalizer(reading.document, default_language=default_language)
    content = normalizer.article()
    errors = merge_errors(schema_errors, [*reading.errors, *reading.as_sent(normalizer.errors)])
    if errors or content is None:
        raise failure(errors, standard=f"ninjs {reading.schema}")
    warnings = [f"unknown field {_shown(pointer)} kept in the archive, not used" for pointer in unknown_fields]
    if len(warnings) > MAX_REPORTED_WARNINGS:
        hidden = len(warnings) - MAX_REPORTED_WARNINGS
        warnings = [*warnings[:MAX_REPORTED_WARNINGS], f"… and {hidden} more unknown fields"]
    # What no page shows (newsdesk.ninjs.agency), at the names the partner sent (3.x: camelCase).
    shown = sent_pointer if reading.is_v3 else str
    others = [
        *reading.warnings,
        *normalizer.warnings,
        *_pictures_left_out(content),
        *(f"{_shown(shown(pointer))} {text}" for pointer, text in normalizer.agency_warnings),
    ]
    if len(others) > MAX_REPORTED_OTHER_WARNINGS:
        hidden = len(others) - MAX_REPORTED_OTHER_WARNINGS
        others = [*others[:MAX_REPORTED_OTHER_WARNINGS], f"… and {hidden} more warnings"]
    warnings.extend(others)
    return Validated(content=content, warnings=warnings, canonical_hash=canonical_hash_of_json(document))


def _pictures_left_out(content: ArticleContent) -> list[str]:
    count = inline_pictures(content)
    if count <= MAX_INLINE_IMAGES:
        return []
    return [
        f"/bodies has {count} different pictures (<img>): the first {MAX_INLINE_IMAGES} are copied and "
        f"published, {count - MAX_INLINE_IMAGES} are not"
    ]


def _shown(pointer: str) -> str:
    if len(pointer) <= MAX_SHOWN_POINTER_CHARS:
        return pointer
    return pointer[: MAX_SHOWN_POINTER_CHARS - 1] + "…"
