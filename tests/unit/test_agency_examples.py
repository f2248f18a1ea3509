"""Issue 9, "Every agency's stories, no field lost": IPTC's own examples are accepted as the stories
they are, and text keeps its block boundaries.

The fixtures iptc_*.json are IPTC's ninjs examples, unchanged (https://github.com/iptc/newsinjson,
MIT licence, Copyright IPTC): ``examples/2.1/ntb_text.json`` (NTB's brief, text only in
``descriptions``), ``examples/2.2/tt_text_image_2.json`` (TT, an HTML body opening with the headline)
and ``documentation/includes/examples/007_multimedia.json`` (text with pictures, ``type: composite``).
"""

from __future__ import annotations

from typing import Any

import pytest

from newsdesk.errors import ValidationFailed
from newsdesk.models import Validated
from newsdesk.ninjs import validate_document
from newsdesk.sanitize import plain_text
from tests.conftest import load_ninjs

pytestmark = pytest.mark.unit


def validate(document: object) -> Validated:
    return validate_document(document, default_language="ru")


def minimal(**fields: Any) -> dict[str, Any]:
    document: dict[str, Any] = {"uri": "urn:newsml:example.org:1", "headlines": [{"value": "Заголовок"}]}
    document.update(fields)
    return document


# --- (a) a brief whose text is only in descriptions ---------------------------------------------


def test_ntb_brief_with_text_only_in_descriptions_is_accepted() -> None:
    # When
    content = validate(load_ninjs("iptc_ntb_text.json")).content

    # Then: the description of role "text" is the body, as paragraphs of plain text
    assert content.headline == "Google har kjøpt giganttomt i Skien"
    assert content.body_html == (
        "<p>IT-giganten Google har kjøpt en tomt på nærmere 2.000 mål i Skien i tilfelle det blir behov "
        "for flere datasentre i Europa.</p>"
    )
    assert content.lead.startswith("IT-giganten Google har kjøpt")
    assert content.language == "nb-NO"


def test_an_html_text_description_is_sanitized_as_body_html() -> None:
    # Given
    document = minimal(
        descriptions=[
            {"role": "text", "contenttype": "text/html", "value": "<p>Первый.</p><script>x()</script><p>Второй.</p>"}
        ]
    )

    # When
    content = validate(document).content

    # Then
    assert content.body_html == "<p>Первый.</p><p>Второй.</p>"


def test_a_body_is_preferred_over_a_text_description() -> None:
    # Given
    document = minimal(
        descriptions=[{"role": "text", "value": "Краткий текст."}],
        bodies=[{"contenttype": "text/html", "value": "<p>Полный текст.</p>"}],
    )

    # When
    content = validate(document).content

    # Then
    assert content.body_html == "<p>Полный текст.</p>"


def test_a_description_of_another_role_is_not_a_body() -> None:
    # When
    with pytest.raises(ValidationFailed) as caught:
        validate(minimal(descriptions=[{"role": "summary", "value": "Анонс."}]))

    # Then
    assert [error.pointer for error in caught.value.errors] == ["/bodies"]
    assert "a body is required" in caught.value.errors[0].message


def test_an_empty_text_description_is_refused_at_its_pointer() -> None:
    # When
    with pytest.raises(ValidationFailed) as caught:
        validate(minimal(descriptions=[{"role": "text", "contenttype": "text/html", "value": "<script>x</script>"}]))

    # Then
    assert [error.pointer for error in caught.value.errors] == ["/descriptions/0/value"]


# --- (b) text with pictures ---------------------------------------------------------------------


def test_iptc_composite_text_with_pictures_is_accepted() -> None:
    # When
    validated = validate(load_ninjs("iptc_composite_multimedia.json"))

    # Then: the text story with its first picture as lead image
    content = validated.content
    assert content.headline == "Captain of wrecked cruise ship on trial in Italy"
    assert content.body_html.startswith("<p>GROSSETO, Italy (AP) -- The trial of the captain")
    assert content.body_html.count("<p>") == 4
    assert content.lead_image is not None
    assert content.lead_image.url == "http://hosted.ap.org/photos/2/2643c588-dc8d-4923-bebd-e3b904edbb3a-big.jpg"
    assert content.lead_image.credit == "Paulo Santalucia"
    assert [mention.name for mention in content.mentions.companies] == ["Costa Crociere SpA"]


def test_a_composite_without_text_still_needs_a_body() -> None:
    # When
    with pytest.raises(ValidationFailed) as caught:
        validate(minimal(type="composite"))

    # Then
    assert [error.pointer for error in caught.value.errors] == ["/bodies"]


# --- (c) block boundaries and a headline repeated in the body -----------------------------------


def test_tt_example_keeps_block_boundaries_and_shows_its_headline_once() -> None:
    # When
    content = validate(load_ninjs("iptc_tt_text_image.json")).content

    # Then
    assert "2023Försvar" not in plain_text(content.body_html)
    assert content.headline == "Militärövning i jätteformat hålls 2023"
    assert content.headline not in plain_text(content.body_html)
    assert "Pandemin satte stopp" in content.body_html


def test_a_body_opening_with_the_headline_drops_that_element() -> None:
    # Given
    document = minimal(bodies=[{"contenttype": "text/html", "value": "<h1>Заголовок</h1><p>Текст.</p>"}])

    # When
    content = validate(document).content

    # Then
    assert content.body_html == "<p>Текст.</p>"


def test_a_body_that_is_only_the_headline_is_kept() -> None:
    # Given
    document = minimal(bodies=[{"contenttype": "text/html", "value": "<p>Заголовок</p>"}])

    # When
    content = validate(document).content

    # Then
    assert content.body_html == "<p>Заголовок</p>"


def test_a_lead_made_from_line_breaks_keeps_a_space() -> None:
    # Given
    document = minimal(bodies=[{"contenttype": "text/html", "value": "<p>Первый абзац.<br>Вторая строка.</p>"}])

    # When
    content = validate(document).content

    # Then
    assert content.lead == "Первый абзац. Вторая строка."
