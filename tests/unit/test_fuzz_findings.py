"""What `make fuzz` found in the ninjs validation: reproductions as tests."""

from __future__ import annotations

from typing import Any

import pytest

from newsdesk.errors import ValidationFailed
from newsdesk.ninjs import validate_document

pytestmark = [pytest.mark.unit, pytest.mark.attack(1)]


@pytest.mark.parametrize(
    "document",
    [
        # a field named "¹" (str.isdigit() says yes, int() says no) beside a value JSON cannot carry safely
        {"uri": "urn:x", "¹": "a\x00"},
        {"uri": "urn:x", "¹": "a\ud800"},
        # ... or beside a schema error
        {"uri": "urn:x", "headlines": [{"value": 1}], "¹": {"x": 1}},
    ],
)
def test_a_field_named_with_a_non_ascii_digit_is_a_422_not_a_crash(document: dict[str, Any]) -> None:
    # When the errors are put in document order (newsdesk.ninjs.report.pointer_sort_key)
    # Then the document is refused with its problems listed, not a ValueError (a 500 over HTTP)
    with pytest.raises(ValidationFailed):
        validate_document(document, default_language="ru")


def test_unknown_fields_named_with_non_ascii_digits_are_warnings_not_a_crash() -> None:
    # Given a complete document with unknown fields, one named "²" (the second 500 of `make fuzz`)
    document = {
        "uri": "urn:x",
        "headlines": [{"role": "main", "value": "Headline"}],
        "bodies": [{"contenttype": "text/plain", "value": "Body."}],
        "²": 1,
        "b": 2,
    }
    # When the unknown fields are put in document order, Then they are warnings
    validated = validate_document(document, default_language="ru")
    assert any("/²" in warning for warning in validated.warnings)
