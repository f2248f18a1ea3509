"""ninjs 3.x documents: recognised, checked against their own schema and read into the same article
as ninjs 2.x (issue 8, 'What broke' 6: a 3.x document was read as 2.2 with unknown fields)."""

from __future__ import annotations

from datetime import UTC, datetime
from typing import Any

import pytest

from newsdesk.errors import ValidationFailed
from newsdesk.models import Mention, PubStatus
from newsdesk.ninjs import validate_document
from tests.handler.ninjs_builders import article_doc

pytestmark = [pytest.mark.unit, pytest.mark.attack(6)]


def ninjs3(uri: str = "urn:newsml:agency.example:2026:tanks", **fields: Any) -> dict[str, Any]:
    """A ninjs 3.x text item as agencies send it: camelCase names, ``standard`` says 3.1."""
    doc: dict[str, Any] = {
        "standard": {
            "name": "ninjs",
            "version": "3.1",
            "schema": "http://www.iptc.org/std/ninjs/ninjs-schema_3.1.json#",
        },
        "uri": uri,
        "type": "text",
        "version": "2",
        "firstCreated": "2026-11-25T06:00:00+03:00",
        "versionCreated": "2026-11-25T08:00:00Z",
        "pubStatus": "usable",
        "language": "en-GB",
        "headlines": [
            {"role": "main", "contentType": "text/plain", "value": "Tanks delivered on time"},
            {"role": "sub", "value": "The plant met the contract"},
        ],
        "descriptions": [{"role": "summary", "contentType": "text/plain", "value": "A short summary."}],
        "bodies": [
            {"role": "main", "contentType": "text/plain", "value": "First paragraph.\n\nSecond paragraph."},
            {"role": "main", "contentType": "text/html", "value": "<p>First paragraph.</p><p>Second.</p>"},
        ],
        "by": "Jane Reporter",
        "copyrightHolder": "Agency Ltd",
        "copyrightNotice": "© 2026 Agency Ltd",
        "usageTerms": "Free for partners",
        "rightsInfo": {"linkedRights": "https://agency.example/rights"},
        "infoSources": [{"name": "Agency wire", "role": "originator"}],
        "subjects": [{"name": "Defence", "uri": "http://cv.iptc.org/newscodes/mediatopic/20000129"}],
        "genres": [{"name": "Current", "uri": "http://cv.iptc.org/newscodes/genre/Current"}],
        "organisations": [{"name": "Uralvagonzavod", "uri": "urn:org:uvz"}],
        "associations": [
            {
                "name": "lead picture",
                "uri": "urn:newsml:agency.example:2026:tanks-pic",
                "type": "picture",
                "by": "Photographer",
                "descriptions": [{"role": "caption", "value": "Tanks at the plant"}],
                "renditions": [
                    {
                        "name": "baseImage",
                        "href": "https://cdn.agency.example/tanks.jpg",
                        "contentType": "image/jpeg",
                        "width": 1600,
                        "height": 900,
                    }
                ],
            }
        ],
    }
    doc.update(fields)
    return doc


def validate(document: object) -> Any:
    return validate_document(document, default_language="ru")


def rejection(document: object) -> ValidationFailed:
    with pytest.raises(ValidationFailed) as caught:
        validate(document)
    return caught.value


def test_withheld_3x_document_is_read_as_withheld() -> None:
    """The reproduction: camelCase pubStatus was an unknown field of 2.2, and the story went live."""
    validated = validate(ninjs3(pubStatus="withheld"))
    assert validated.content.pubstatus is PubStatus.WITHHELD
    assert not any("pubStatus" in warning for warning in validated.warnings)


def test_3x_document_maps_onto_the_same_article_as_2x() -> None:
    content = validate(ninjs3(embargoedUntil="2026-11-26T00:00:00Z", expires="2027-01-01T00:00:00+01:00")).content
    assert content.uri == "urn:newsml:agency.example:2026:tanks"
    assert content.headline == "Tanks delivered on time"
    assert content.subheadline == "The plant met the contract"
    assert content.lead == "A short summary."
    assert content.body_html == "<p>First paragraph.</p><p>Second.</p>"  # text/html preferred by contentType
    assert content.language == "en-GB"
    assert content.version == "2"
    assert content.versioncreated == datetime(2026, 11, 25, 8, 0, tzinfo=UTC)
    assert content.firstcreated == datetime(2026, 11, 25, 3, 0, tzinfo=UTC)
    assert content.embargoed == datetime(2026, 11, 26, 0, 0, tzinfo=UTC)
    assert content.expires == datetime(2026, 12, 31, 23, 0, tzinfo=UTC)
    assert content.byline == "Jane Reporter"
    assert content.sources == ["Agency wire"]
    assert (content.rights.holder, content.rights.notice, content.rights.usage_terms, content.rights.info_url) == (
        "Agency Ltd",
        "© 2026 Agency Ltd",
        "Free for partners",
        "https://agency.example/rights",
    )
    assert content.mentions.companies == [Mention(name="Uralvagonzavod", uri="urn:org:uvz")]
    assert content.lead_image is not None
    assert content.lead_image.url == "https://cdn.agency.example/tanks.jpg"
    assert (content.lead_image.width, content.lead_image.height) == (1600, 900)
    assert content.lead_image.caption == "Tanks at the plant"
    assert content.lead_image.mimetype == "image/jpeg"
    assert "http://cv.iptc.org/newscodes/mediatopic/20000129" in content.section_hints


def test_valid_3x_document_has_no_warnings() -> None:
    assert validate(ninjs3()).warnings == []


@pytest.mark.parametrize(
    "marker",
    [
        {"standard": {"name": "ninjs", "version": "3.0"}},
        {"standard": {"version": "3.1.0"}},
        {"standard": {"schema": "http://www.iptc.org/std/ninjs/ninjs-schema_3.0.json#"}},
        {"$schema": "http://www.iptc.org/std/ninjs/ninjs-schema_3.1.json#"},
        {},  # no marker at all: the camelCase names say 3.x
    ],
)
def test_3x_is_recognised_by_standard_schema_or_its_field_names(marker: dict[str, Any]) -> None:
    doc = ninjs3(pubStatus="withheld")
    del doc["standard"]
    doc.update(marker)
    assert validate(doc).content.pubstatus is PubStatus.WITHHELD


def test_3x_without_camelcase_fields_is_read_by_its_standard_version() -> None:
    doc = {
        "standard": {"version": "3.0"},
        "uri": "urn:x:plain",
        "headlines": [{"value": "A headline"}],
        "bodies": [{"value": "<p>Body</p>"}],
    }
    content = validate(doc).content
    assert (content.headline, content.body_html, content.pubstatus) == ("A headline", "<p>Body</p>", PubStatus.USABLE)


def test_3x_document_is_checked_against_the_3x_schema_with_its_own_pointers() -> None:
    failure = rejection(ninjs3(pubStatus="held back", versionCreated="yesterday"))
    found = {error.pointer: error.message for error in failure.errors}
    assert "/pubStatus" in found and "withheld" in found["/pubStatus"]
    assert "/versionCreated" in found
    assert "/pubstatus" not in found and "/versioncreated" not in found


def test_2x_spelling_in_a_3x_document_is_an_unknown_field_not_read() -> None:
    """A stray lowercase 'pubstatus' must not override (or stand in for) the 3.x field."""
    doc = ninjs3(pubStatus="withheld", contentcreated="2026-11-25T08:00:00Z")
    validated = validate(doc)
    assert validated.content.pubstatus is PubStatus.WITHHELD
    assert any("/contentcreated" in warning for warning in validated.warnings)


@pytest.mark.parametrize(
    ("doc", "pointer"),
    [
        # A 3.x document that says "usable" in 2.x spelling and "withheld" in its own: refused, not guessed.
        (lambda: ninjs3(pubstatus="usable", pubStatus="withheld"), "/pubstatus"),
        (lambda: ninjs3(embargoed="2026-11-26T00:00:00Z"), "/embargoed"),
        # A 2.x document carrying the 3.x spelling of a field that holds a story back.
        (lambda: article_doc(standard={"version": "2.2"}, pubStatus="withheld"), "/pubStatus"),
        (lambda: article_doc(pubstatus="usable", pubStatus="withheld"), "/pubStatus"),
        (lambda: article_doc(standard={"version": "2.2"}, embargoedUntil="2099-01-01T00:00:00Z"), "/embargoedUntil"),
    ],
)
def test_a_field_that_holds_a_story_back_is_never_ignored_as_unknown(doc: Any, pointer: str) -> None:
    failure = rejection(doc())
    assert pointer in [error.pointer for error in failure.errors]


def test_unknown_ninjs_version_is_refused() -> None:
    failure = rejection(article_doc(standard={"name": "ninjs", "version": "4.0"}))
    assert [error.pointer for error in failure.errors] == ["/standard/version"]
    assert "2.x" in failure.errors[0].message and "3.0" in failure.errors[0].message


def test_3x_fields_newsdesk_does_not_read_yet_are_reported() -> None:
    validated = validate(ninjs3(eventDetails={"eventStatus": "scheduled"}))
    assert any("/eventDetails" in warning for warning in validated.warnings)


def test_3x_unknown_fields_are_warnings_as_in_2x() -> None:
    validated = validate(ninjs3(partnerField="x"))
    assert validated.content.pubstatus is PubStatus.USABLE
    assert any("/partnerField" in warning for warning in validated.warnings)


def test_2x_expires_is_read() -> None:
    content = validate(article_doc(expires="2026-12-01T00:00:00+03:00")).content
    assert content.expires == datetime(2026, 11, 30, 21, 0, tzinfo=UTC)


def test_bad_expires_is_refused() -> None:
    failure = rejection(article_doc(expires="soon"))
    assert "/expires" in [error.pointer for error in failure.errors]
