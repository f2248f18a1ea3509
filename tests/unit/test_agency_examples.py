"""Issue 9, "Every agency's stories, no field lost": IPTC's own examples are accepted as the stories
they are, and text keeps its block boundaries.

The fixtures iptc_*.json are IPTC's ninjs examples, unchanged (https://github.com/iptc/newsinjson,
MIT licence, Copyright IPTC): ``examples/2.1/ntb_text.json`` (NTB's brief, text only in
``descriptions``), ``examples/2.2/tt_text_image_2.json`` (TT, an HTML body opening with the headline)
and ``documentation/includes/examples/007_multimedia.json`` (text with pictures, ``type: composite``);
ninjs 3.x: ``examples/3.1/tt_text_image_3.json`` (ninjs3_tt_text_image.json), ``examples/3.0/dpa_text.json``
(ninjs3_dpa_text.json) and ``examples/3.0/businesswire-newsml-20130731006140.json``
(ninjs3_businesswire_composite.json).
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


def test_tt_example_keeps_its_vignette_and_source_apart() -> None:
    # Given: TT's HTML body carries <span class="vignette">Försvar</span><span class="source">TT</span>
    content = validate(load_ninjs("iptc_tt_text_image.json")).content

    # Then: the page and any text made from it show two words, not "FörsvarTT"
    assert "FörsvarTT" not in content.body_html
    assert "Försvar TT" in plain_text(content.body_html)


@pytest.mark.parametrize(
    "markup",
    [
        '<div><span class="vignette">Försvar</span><span class="source">TT</span></div>',
        "<span>Försvar</span><font>TT</font>",
        "<div><span>Försvar</span>\n<span>TT</span></div>",
    ],
)
def test_adjacent_inline_elements_the_allowlist_drops_leave_a_space_in_a_lead(markup: str) -> None:
    # Given a body with no paragraph, whose lead is its whole text
    document = minimal(bodies=[{"contenttype": "text/html", "value": markup}])

    # When
    content = validate(document).content

    # Then
    assert content.lead == "Försvar TT"
    assert "FörsvarTT" not in content.body_html


def test_a_lead_description_of_adjacent_spans_keeps_a_space() -> None:
    # Given
    document = minimal(
        descriptions=[{"role": "summary", "value": "<span>Försvar</span><span>TT</span>"}],
        bodies=[{"contenttype": "text/html", "value": "<p>Текст.</p>"}],
    )

    # Then
    assert validate(document).content.lead == "Försvar TT"


def test_allowlisted_inline_elements_still_join_as_written() -> None:
    # Given markup splitting a word (a partner's bold first letter)
    document = minimal(
        bodies=[{"contenttype": "text/html", "value": "<p><b>З</b>аголовок <em>x</em><strong>y</strong></p>"}]
    )

    # Then: nothing is inserted between elements the page keeps
    content = validate(document).content
    assert content.lead == "Заголовок xy"
    assert content.body_html == "<p><b>З</b>аголовок <em>x</em><strong>y</strong></p>"


@pytest.mark.parametrize(
    "body",
    [
        {"contenttype": "text/html", "value": "<p>абзац.<br>Вторая</p>"},
        {"contenttype": "text/html", "value": "абзац.<BR/>Вторая"},
        {"contenttype": "text/plain", "value": "абзац.\nВторая"},
    ],
)
def test_a_lead_made_from_a_line_break_keeps_a_space_in_every_form(body: dict[str, str]) -> None:
    assert validate(minimal(bodies=[body])).content.lead == "абзац. Вторая"


# --- (d) ninjs 3.x examples, read as 3.x ----------------------------------------------------------


def test_tt_31_example_is_read_with_its_camel_case_fields() -> None:
    # When
    validated = validate(load_ninjs("ninjs3_tt_text_image.json"))

    # Then: the same story as TT's 2.2 example, from its 3.x names
    content = validated.content
    assert content.headline == "Militärövning i jätteformat hålls 2023"
    assert content.rights.holder == "TT"
    assert content.versioncreated is not None and content.expires is not None
    assert [(altid.role, altid.value) for altid in content.altids] == [
        ("originaltransmissionreference", "a0f2d045-1058-46d1-9f9a-ad80ed1bc86f")
    ]
    assert [genre.name for genre in content.genres] == ["Inrikes"]
    assert [subject.name for subject in content.mentions.subjects] == ["Krig, konflikter och oroligheter"]
    assert [place.name for place in content.mentions.places] == ["Sverige", "Gotland", "Finland"]
    assert content.lead_image is not None and content.lead_image.credit == "Karl Melander/TT"
    assert "Försvar TT" in plain_text(content.body_html)
    # fields of 3.x that no page shows are named as sent
    assert "/representationType is not published by Newsdesk; kept in the archive" in validated.warnings
    assert not [warning for warning in validated.warnings if warning.startswith("unknown field")]


def test_dpa_30_example_is_accepted() -> None:
    # When
    content = validate(load_ninjs("ninjs3_dpa_text.json")).content

    # Then
    assert content.headline == "Faktencheck Derby-Elfmeter: Hat Schiedsrichter Zwayer recht?"
    assert content.byline == "Von Christian Hollmann, dpa"
    assert content.rights.notice == "Copyright 2019, dpa (www.dpa.de). Alle Rechte vorbehalten"
    assert content.body_html.count("<p>") == 9
    assert content.language == "de"


def test_businesswire_30_composite_is_accepted_and_its_media_named() -> None:
    # When
    validated = validate(load_ninjs("ninjs3_businesswire_composite.json"))

    # Then: ten subjects (names only), and the logo and the video that no page shows are reported
    assert len(validated.content.mentions.subjects) == 10
    assert validated.content.lead_image is None
    assert validated.warnings == [
        "/associations/0 is an association of type graphic: only pictures are published",
        "/associations/1 is an association of type video: only pictures are published",
    ]
