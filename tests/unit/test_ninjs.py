"""Validating partner ninjs documents and normalizing them into articles."""

from __future__ import annotations

import copy
import json
import random
import subprocess
import sys
import unicodedata
from collections.abc import Callable, Iterator
from dataclasses import asdict
from datetime import UTC, datetime
from html.parser import HTMLParser
from typing import Any

import pytest

from newsdesk.errors import ValidationFailed
from newsdesk.models import ArticleContent, LeadImage, Mention, PubStatus, Validated
from newsdesk.ninjs import canonical_hash, validate_document
from newsdesk.sanitize import ALLOWED_TAGS
from tests.conftest import load_ninjs
from tests.fixtures.injections import MARKUP_ATTACKS, URL_ATTACKS
from tests.handler.ninjs_builders import article_doc

pytestmark = pytest.mark.unit

FIXTURES = [
    "ru_defence_industry.json",
    "en_agency.json",
    "de_regional.json",
    "sv_tt.json",
    "uk_or_other_script.json",
    "plain_text_only.json",
    "with_unknown_fields.json",
]


def validate(document: object, default_language: str = "ru") -> Validated:
    return validate_document(document, default_language=default_language)


def rejection(document: object) -> ValidationFailed:
    with pytest.raises(ValidationFailed) as caught:
        validate(document)
    return caught.value


def pointers(failure: ValidationFailed) -> list[str]:
    return [error.pointer for error in failure.errors]


def message_at(failure: ValidationFailed, pointer: str) -> str:
    return " | ".join(error.message for error in failure.errors if error.pointer == pointer)


def minimal(**fields: Any) -> dict[str, Any]:
    document: dict[str, Any] = {
        "uri": "urn:newsml:example.org:1",
        "headlines": [{"value": "Заголовок"}],
        "bodies": [{"contenttype": "text/html", "value": "<p>Текст.</p>"}],
    }
    document.update(fields)
    return document


# --- The fixtures: what agencies really send ----------------------------------------------------


@pytest.mark.parametrize("name", FIXTURES)
def test_every_fixture_is_accepted_with_headline_body_and_lead(name: str) -> None:
    # Given
    document = load_ninjs(name)

    # When
    validated = validate(document)

    # Then
    content = validated.content
    assert content.uri == document["uri"]
    assert content.headline
    assert content.body_html.startswith("<p>")
    assert content.lead
    assert len(validated.canonical_hash) == 64


@pytest.mark.parametrize("name", [name for name in FIXTURES if name != "with_unknown_fields.json"])
def test_fixtures_follow_the_ninjs_schema_exactly(name: str) -> None:
    # When
    validated = validate(load_ninjs(name))

    # Then: no unknown fields, so the fixtures use the schema's own names (fields Newsdesk does not
    # publish are reported too: issue 9, "no field lost")
    assert [warning for warning in validated.warnings if warning.startswith("unknown field")] == []


def test_russian_defence_industry_article_is_normalized_completely() -> None:
    # Given
    document = load_ninjs("ru_defence_industry.json")

    # When
    content = validate(document).content

    # Then
    assert content.headline == "НПО «Контур-М» начало серийный выпуск беспилотного комплекса «Стриж-М»"
    assert content.subheadline == "Первые шесть комплексов получат подразделения связи до конца квартала"
    assert content.lead.startswith("Нижегородское НПО «Контур-М» перешло к серийному производству")
    assert content.byline == "Ирина Белозёрова"
    assert content.language == "ru"
    assert content.pubstatus is PubStatus.USABLE
    assert content.version == "3"
    assert content.versioncreated == datetime(2026, 11, 25, 6, 15, 30, tzinfo=UTC)
    assert content.firstcreated == datetime(2026, 11, 25, 3, 40, tzinfo=UTC)
    assert content.embargoed is None
    assert content.sources == ["Оборонные ведомости", "Пресс-служба АО «НПО «Контур-М»"]
    assert content.rights.holder == "ООО «Оборонные ведомости»"
    assert content.rights.notice == "Права на данный материал принадлежат ООО «Оборонные ведомости»"
    assert content.rights.usage_terms == "Материал размещён правообладателем в открытом доступе"
    assert content.rights.info_url == "https://oboronvedomosti.example/rights"
    assert content.lead_image == LeadImage(
        url="https://cdn.oboronvedomosti.example/img/strizh-m-1600.jpg",
        caption="Беспилотный комплекс «Стриж-М» перед контрольным вылетом, Нижний Новгород",
        credit="Источник: пресс-служба АО «НПО «Контур-М»",
        width=1600,
        height=1067,
        mimetype="image/jpeg",
    )
    assert content.mentions.companies == [
        Mention(name="АО «НПО «Контур-М»", uri="https://kontur-m.example"),
        Mention(name="ООО «Аэросистемы Поволжья»"),
        Mention(name="АО «Камский моторный завод»"),
    ]
    assert [project.name for project in content.mentions.projects] == [
        "Беспилотный комплекс «Стриж-М»",
        "Шасси «Урал-4320»",
    ]
    assert content.mentions.people == [Mention(name="Андрей Ковалёв")]
    assert [place.name for place in content.mentions.places] == ["Нижний Новгород", "Казань"]
    assert content.mentions.subjects[0] == Mention(
        name="Оборонная промышленность", uri="http://cv.iptc.org/newscodes/mediatopic/20000569"
    )
    assert content.section_hints == [
        "http://cv.iptc.org/newscodes/mediatopic/20000569",
        "оборонная промышленность",
        "беспилотники",
        "http://cv.iptc.org/newscodes/genre/current",
        "current",
    ]


def test_html_body_is_chosen_over_plain_text_and_sanitized() -> None:
    # Given: the fixture carries the same story as text/html and text/plain
    document = load_ninjs("ru_defence_industry.json")

    # When
    body = validate(document).content.body_html

    # Then
    assert "<h3>Что входит в комплекс</h3>" in body
    assert "<li>" in body
    assert (
        '<a href="https://kontur-m.example/press/strizh-m" rel="noopener noreferrer nofollow">сайте предприятия</a>'
        in body
    )


def test_agency_article_uses_abstract_largest_rendition_and_embargo() -> None:
    # When
    content = validate(load_ninjs("en_agency.json")).content

    # Then
    assert content.lead.startswith("A Virginia shipyard will maintain")
    assert content.language == "en-US"
    assert content.embargoed == datetime(2026, 11, 24, 15, 0, tzinfo=UTC)
    assert content.lead_image is not None
    assert content.lead_image.url == "https://media.globalwire.example/ny221/main.jpg"
    assert (content.lead_image.width, content.lead_image.height) == (2048, 1365)
    assert content.lead_image.credit == "Steve Carlin"
    assert "&mdash;" not in content.body_html
    assert "— Harbor Point" in content.body_html


def test_regional_article_without_summary_leads_with_its_first_paragraph() -> None:
    # When
    content = validate(load_ninjs("de_regional.json")).content

    # Then
    assert content.headline == "Zulieferer aus Halle baut Werk für Fahrzeugoptik aus"
    assert content.subheadline.startswith("Mitteldeutsche Präzisionsoptik investiert 48 Millionen Euro")
    assert content.lead.startswith("Die Mitteldeutsche Präzisionsoptik GmbH erweitert ihr Werk")
    assert content.lead.endswith("sagte Geschäftsführer Matthias Grünewald am Montag.")
    assert content.lead_image is not None
    assert content.lead_image.caption == "Geschäftsführer Matthias Grünewald in der bestehenden Montagehalle."
    assert content.lead_image.credit == "Saale-Kurier/Jens Albrecht"
    assert content.lead_image.width == 1920
    assert 'title="Hochschule Merseburg"' in content.body_html
    assert content.section_hints == [
        "http://cv.iptc.org/newscodes/mediatopic/04000000",
        "wirtschaft",
        "rüstungsindustrie",
        "bericht",
    ]


def test_tt_article_prefers_the_original_rendition_over_a_larger_one() -> None:
    # When
    content = validate(load_ninjs("sv_tt.json")).content

    # Then
    assert content.lead_image is not None
    assert content.lead_image.url == "https://bild.tt.example/sdl9f2c01_original.jpg"
    assert content.lead_image.caption == "Ubåtshallen på varvet i Karlskrona."
    assert content.lead.startswith("Örlogsvarvet Blekinge Marin anställer 300 personer")
    assert content.versioncreated == datetime(2026, 11, 22, 9, 21, 44, 250000, tzinfo=UTC)
    assert content.version == "4"


def test_ukrainian_article_keeps_its_script() -> None:
    # When
    content = validate(load_ninjs("uk_or_other_script.json")).content

    # Then
    assert content.language == "uk"
    assert content.headline.startswith("Запорізьке підприємство «Авіаремсервіс»")
    assert content.mentions.companies[0].name == "ДП «Авіаремсервіс»"
    assert content.lead_image is not None
    assert content.lead_image.mimetype == "image/webp"


def test_plain_text_body_becomes_paragraphs() -> None:
    # When
    content = validate(load_ninjs("plain_text_only.json")).content

    # Then
    assert content.body_html.count("<p>") == 5
    assert "<br>Срок изготовления одного корпуса сократился" in content.body_html
    assert content.lead.startswith("АО «Каменский приборный завод» завершило подготовку")
    assert content.lead_image is None
    assert content.versioncreated == datetime(2026, 11, 20, 18, 5, tzinfo=UTC)


def test_unknown_fields_are_warnings_with_their_pointers() -> None:
    # When
    validated = validate(load_ninjs("with_unknown_fields.json"))

    # Then
    assert sorted(validated.warnings) == sorted(
        f"unknown field {pointer} kept in the archive, not used"
        for pointer in [
            "/x_ntb_priority",
            "/service",
            "/headlines/0/lang",
            "/bodies/0/x_layout",
            "/organisations/0/country",
            "/associations/0/x_photographer_id",
            "/associations/0/renditions/0/quality",
        ]
    )
    assert validated.content.headline == "Forsvarsbygg kjøper nye lagerhaller i Bardufoss"


# --- Our profile: what we require ---------------------------------------------------------------


@pytest.mark.parametrize("not_an_object", [[], "text", 42, 1.5, True, None, [{"uri": "x"}]])
def test_a_document_must_be_an_object(not_an_object: object) -> None:
    # When
    failure = rejection(not_an_object)

    # Then
    assert pointers(failure) == [""]
    assert failure.status == 422


def test_uri_is_required() -> None:
    # Given
    document = minimal()
    del document["uri"]

    # When
    failure = rejection(document)

    # Then
    assert pointers(failure) == ["/uri"]
    assert "required" in message_at(failure, "/uri")


@pytest.mark.parametrize("uri", ["", "   ", 17, None, "urn:with space", "x" * 1025])
def test_uri_must_be_a_usable_identifier(uri: object) -> None:
    # When
    failure = rejection(minimal(uri=uri))

    # Then
    assert pointers(failure) == ["/uri"]


@pytest.mark.parametrize("item_type", ["picture", "video", "audio", "graphic"])
def test_only_text_items_are_accepted(item_type: str) -> None:
    # When
    failure = rejection(minimal(type=item_type))

    # Then
    assert pointers(failure) == ["/type"]
    assert (
        f'type must be "text", "composite" (text with pictures) or absent, and this one is "{item_type}"'
        in message_at(failure, "/type")
    )


def test_an_unknown_type_gets_the_same_clear_message() -> None:
    # When
    failure = rejection(minimal(type="article"))

    # Then
    assert pointers(failure) == ["/type"]
    assert "only text items" in message_at(failure, "/type")


@pytest.mark.parametrize(("pubstatus", "expected"), [("usable", PubStatus.USABLE), ("withheld", PubStatus.WITHHELD)])
def test_pubstatus_is_read(pubstatus: str, expected: PubStatus) -> None:
    # When
    content = validate(minimal(pubstatus=pubstatus)).content

    # Then
    assert content.pubstatus is expected


def test_pubstatus_defaults_to_usable_and_canceled_is_kept() -> None:
    # When
    absent = validate(minimal()).content
    canceled = validate(minimal(pubstatus="canceled")).content

    # Then
    assert absent.pubstatus is PubStatus.USABLE
    assert canceled.pubstatus is PubStatus.CANCELED


def test_an_unknown_pubstatus_is_refused() -> None:
    # When
    failure = rejection(minimal(pubstatus="published"))

    # Then
    assert pointers(failure) == ["/pubstatus"]
    assert "usable, withheld, canceled" in message_at(failure, "/pubstatus")


def test_language_defaults_to_the_partners_language() -> None:
    # When
    content = validate(minimal(), default_language="sv").content

    # Then
    assert content.language == "sv"


def test_a_malformed_language_is_refused() -> None:
    # When
    failure = rejection(minimal(language="русский"))

    # Then
    assert pointers(failure) == ["/language"]


def test_main_headline_role_wins_over_the_first_entry() -> None:
    # Given
    document = minimal(
        headlines=[
            {"role": "short", "value": "Коротко"},
            {"role": "subhead", "value": "Подзаголовок"},
            {"role": "main", "value": "<b>Главный</b>   заголовок"},
        ]
    )

    # When
    content = validate(document).content

    # Then
    assert content.headline == "Главный заголовок"
    assert content.subheadline == "Подзаголовок"


@pytest.mark.parametrize("headlines", [[], None, "Заголовок", [{"role": "main", "value": 5}]])
def test_a_headline_is_required(headlines: object) -> None:
    # Given
    document = minimal(headlines=headlines)

    # When
    failure = rejection(document)

    # Then
    assert any(pointer.startswith("/headlines") for pointer in pointers(failure))


def test_ninjs_1_headline_gets_a_hint() -> None:
    # Given
    document = minimal(headline="Старый формат")
    del document["headlines"]

    # When
    failure = rejection(document)

    # Then
    assert "ninjs 1.x 'headline' is not read" in message_at(failure, "/headlines")


def test_a_headline_that_is_only_markup_is_refused() -> None:
    # When
    failure = rejection(minimal(headlines=[{"value": "<script>alert(1)</script>  "}]))

    # Then
    assert pointers(failure) == ["/headlines/0/value"]


def test_html_body_is_preferred_even_when_listed_last() -> None:
    # Given
    document = minimal(
        bodies=[
            {"contenttype": "text/plain", "value": "Простой текст"},
            {"contenttype": "text/html", "value": "<p>Размеченный <em>текст</em></p>"},
        ]
    )

    # When
    content = validate(document).content

    # Then
    assert content.body_html == "<p>Размеченный <em>текст</em></p>"


def test_a_body_without_content_type_is_judged_by_its_markup() -> None:
    # When
    marked_up = validate(minimal(bodies=[{"value": "<p>один</p><p>два</p>"}])).content
    plain = validate(minimal(bodies=[{"value": "один\n\nдва"}])).content

    # Then
    assert marked_up.body_html == "<p>один</p><p>два</p>"
    assert plain.body_html == "<p>один</p><p>два</p>"


@pytest.mark.parametrize(
    "bodies",
    [[], [{"contenttype": "application/pdf", "value": "%PDF"}], [{"contenttype": "text/html"}]],
)
def test_a_usable_body_is_required(bodies: list[Any]) -> None:
    # When
    failure = rejection(minimal(bodies=bodies))

    # Then
    assert any(pointer.startswith("/bodies") for pointer in pointers(failure))


def test_a_body_that_is_empty_once_sanitized_is_refused() -> None:
    # When
    failure = rejection(minimal(bodies=[{"contenttype": "text/html", "value": "<script>x()</script><p> </p>"}]))

    # Then
    assert pointers(failure) == ["/bodies/0/value"]


@pytest.mark.parametrize("field", ["versioncreated", "firstcreated", "embargoed"])
@pytest.mark.parametrize("value", ["yesterday", "2026-11-25", "2026-13-01T00:00:00Z", "25.11.2026 10:00"])
def test_dates_must_be_rfc3339(field: str, value: str) -> None:
    # When
    failure = rejection(minimal(**{field: value}))

    # Then
    assert pointers(failure) == [f"/{field}"]


def test_dates_are_converted_to_utc() -> None:
    # When
    content = validate(minimal(versioncreated="2026-11-25T12:00:00+03:00", embargoed="2026-11-26T00:00:00z")).content

    # Then
    assert content.versioncreated == datetime(2026, 11, 25, 9, 0, tzinfo=UTC)
    assert content.embargoed == datetime(2026, 11, 26, 0, 0, tzinfo=UTC)


def test_every_problem_is_listed_at_once() -> None:
    # Given
    document = {
        "type": "video",
        "pubstatus": "draft",
        "headlines": [{"value": 1}],
        "bodies": "текст",
        "versioncreated": "вчера",
        "urgency": "high",
        "subjects": [{"name": "x", "relevance": 200}],
    }

    # When
    failure = rejection(document)

    # Then
    assert set(pointers(failure)) == {
        "/uri",
        "/type",
        "/pubstatus",
        "/headlines/0/value",
        "/bodies",
        "/versioncreated",
        "/urgency",
        "/subjects/0/relevance",
    }
    assert "2 problems" not in failure.detail
    assert f"{len(failure.errors)} problems" in failure.detail


def test_schema_messages_are_short_and_do_not_echo_the_value() -> None:
    # Given: a value as long as a string field may be (docs/api.md, "Limits")
    huge = "x" * 2_000

    # When
    failure = rejection(minimal(headlines=[{"value": {"text": huge}}]))

    # Then
    assert message_at(failure, "/headlines/0/value") == "must be a string"


@pytest.mark.parametrize(
    ("extra", "pointer", "message"),
    [
        (
            {"rightsinfo": {"langid": "http://example.org/rel"}},
            "/rightsinfo",
            "exactly one of: linkedrights, encodedrights",
        ),
        ({"associations": [{"type": "picture", "uri": "urn:x"}]}, "/associations/0/name", "is required"),
        ({"renditions": [{"href": "https://example.org/a.jpg"}]}, "/renditions/0/name", "is required"),
        ({"version": 3}, "/version", "must be a string"),
        ({"urgency": "1"}, "/urgency", "must be a number"),
    ],
)
def test_schema_errors_point_at_the_field(extra: dict[str, Any], pointer: str, message: str) -> None:
    # When
    failure = rejection(minimal(**extra))

    # Then
    assert pointers(failure) == [pointer]
    assert message in message_at(failure, pointer)


def test_geojson_in_places_is_accepted_without_fetching_its_schema() -> None:
    # Given: the schema refers to geojson.org for this field; we must not go there
    document = minimal(places=[{"name": "Казань", "geojson": {"type": "Point", "coordinates": [49.1, 55.8]}}])

    # When
    content = validate(document).content

    # Then
    assert content.mentions.places == [Mention(name="Казань")]


def test_geojson_must_still_be_an_object_by_the_local_stand_in() -> None:
    # When: the stand-in for the GeoJSON schema asks for an object, and gets a number
    failure = rejection(minimal(places=[{"name": "Казань", "geojson": 55.8}]))

    # Then
    assert pointers(failure) == ["/places/0/geojson"]
    assert message_at(failure, "/places/0/geojson") == "must be an object"


def test_formats_are_not_asserted_by_the_schema() -> None:
    # Given: "uri" and "date-time" formats the schema names but Draft 2020-12 does not assert
    document = minimal(
        subjects=[{"name": "Оборона", "uri": "not a uri at all"}],
        renditions=[{"name": "x", "href": "::"}],
    )

    # When
    validated = validate(document)

    # Then: no schema complaint (top-level renditions are only not published: issue 9)
    assert validated.warnings == ["/renditions is not published by Newsdesk; kept in the archive"]
    assert validated.content.mentions.subjects == [Mention(name="Оборона")]


@pytest.mark.parametrize(
    ("extra", "pointer", "message"),
    [
        ({"rightsinfo": {"linkedrights": "https://a", "encodedrights": "b"}}, "/rightsinfo", "exactly one of"),
        ({"people": [{"name": "x", "contactinfo": [{"type": "x"}]}]}, "/people/0/contactinfo/0", "exactly one of"),
        ({"subjects": [{"name": "x", "relevance": -1}]}, "/subjects/0/relevance", "must be at least 0"),
        ({"subjects": [{"name": "x", "confidence": 101}]}, "/subjects/0/confidence", "must be at most 100"),
        ({"subjects": [{"name": "x", "relevance": 1.5}]}, "/subjects/0/relevance", "must be an integer"),
        ({"associations": [{"name": "a", "uri": "urn:a", "type": "podcast"}]}, "/associations/0/type",
         "must be one of: text, audio"),
        ({"associations": [{"name": "a", "uri": "urn:a", "associations": [{"uri": "urn:b"}]}]},
         "/associations/0/associations/0/name", "is required"),
    ],
)  # fmt: skip
def test_schema_errors_have_our_short_messages(extra: dict[str, Any], pointer: str, message: str) -> None:
    # When
    failure = rejection(minimal(**extra))

    # Then
    assert pointers(failure) == [pointer]
    assert message in message_at(failure, pointer)


def test_every_missing_required_field_has_its_own_pointer() -> None:
    # When
    failure = rejection(minimal(renditions=[{}], associations=[{}, {"name": "ok"}]))

    # Then: sorted by pointer
    assert pointers(failure) == [
        "/associations/0/name",
        "/associations/0/uri",
        "/associations/1/uri",
        "/renditions/0/name",
    ]
    assert all(error.message == "is required" for error in failure.errors)


def test_unknown_fields_are_listed_in_document_order_each_once() -> None:
    # Given: unknown fields at several depths, in an array of more than ten entries
    headlines = [{"value": "Заголовок", "x_mark": index} for index in range(12)]
    document = minimal(headlines=headlines, x_top=1, associations=[{"name": "a", "uri": "urn:a", "x_deep": 1}])

    # When
    warnings = [warning for warning in validate(document).warnings if warning.startswith("unknown field")]

    # Then
    assert warnings == [
        f"unknown field {pointer} kept in the archive, not used"
        for pointer in [
            "/associations/0/x_deep",
            *(f"/headlines/{index}/x_mark" for index in range(12)),
            "/x_top",
        ]
    ]


# --- Normalization details ----------------------------------------------------------------------


def test_a_long_first_paragraph_is_cut_at_a_word_boundary() -> None:
    # Given
    words = " ".join(f"слово{index}" for index in range(200))

    # When
    lead = validate(minimal(bodies=[{"contenttype": "text/html", "value": f"<p>{words}</p>"}])).content.lead

    # Then
    assert len(lead) <= 400
    assert lead.endswith("…")
    assert words.startswith(lead.removesuffix("…"))
    assert lead.removesuffix("…").split(" ")[-1] in words.split(" ")


def test_picture_without_a_web_rendition_gives_no_lead_image_and_a_warning() -> None:
    # Given
    picture = {
        "name": "photo",
        "uri": "urn:photo:1",
        "type": "picture",
        "renditions": [{"name": "baseImage", "href": "ftp://example.org/a.jpg"}],
    }

    # When
    validated = validate(minimal(associations=[picture]))

    # Then
    assert validated.content.lead_image is None
    assert validated.warnings == ["picture /associations/0 has no http(s) rendition; no lead image"]


def test_lead_image_comes_from_the_first_picture_only() -> None:
    # Given
    associations = [
        {"name": "text", "uri": "urn:t", "type": "text"},
        {
            "name": "first",
            "uri": "urn:p1",
            "type": "picture",
            "renditions": [{"name": "a", "href": "https://e.example/1.jpg"}],
        },
        {
            "name": "second",
            "uri": "urn:p2",
            "type": "picture",
            "renditions": [{"name": "a", "href": "https://e.example/2.jpg"}],
        },
    ]

    # When
    image = validate(minimal(associations=associations)).content.lead_image

    # Then
    assert image == LeadImage(url="https://e.example/1.jpg")


def test_credit_falls_back_to_copyright_holder_and_caption_to_headline() -> None:
    # Given
    picture = {
        "name": "photo",
        "uri": "urn:photo:1",
        "type": "picture",
        "headlines": [{"value": "Цех завода"}],
        "copyrightholder": "Источник: пресс-служба завода",
        "renditions": [{"name": "web", "href": "https://e.example/1.jpg", "width": 1200.0, "height": -5}],
    }

    # When
    image = validate(minimal(associations=[picture])).content.lead_image

    # Then
    assert image == LeadImage(
        url="https://e.example/1.jpg", caption="Цех завода", credit="Источник: пресс-служба завода", width=1200
    )


def test_mentions_are_deduplicated_and_nameless_ones_skipped() -> None:
    # Given
    organisations = [{"name": "Завод"}, {"name": " Завод "}, {"literal": "no-name"}, {"name": "<i></i>"}]

    # When
    companies = validate(minimal(organisations=organisations)).content.mentions.companies

    # Then
    assert companies == [Mention(name="Завод")]


def test_every_text_field_is_nfc() -> None:
    # Given: the Russian fixture with every string decomposed
    document = _map_strings(load_ninjs("ru_defence_industry.json"), lambda text: unicodedata.normalize("NFD", text))

    # When
    content = validate(document).content

    # Then
    for path, text in _strings_of(content):
        assert unicodedata.is_normalized("NFC", text), path
    assert content == validate(load_ninjs("ru_defence_industry.json")).content


# --- Canonical hash -----------------------------------------------------------------------------


def test_canonically_identical_documents_share_a_hash() -> None:
    # Given: the same document, re-serialized with other key order, spacing, escapes and NFD text
    document = load_ninjs("ru_defence_industry.json")
    reordered = json.loads(json.dumps(dict(reversed(list(document.items()))), ensure_ascii=True, indent=4))
    decomposed = _map_strings(reordered, lambda text: unicodedata.normalize("NFD", text))

    # When
    original = validate(document).canonical_hash
    other = validate(decomposed).canonical_hash

    # Then
    assert original == other == canonical_hash(document)


def test_a_changed_document_gets_another_hash() -> None:
    # Given
    document = load_ninjs("ru_defence_industry.json")
    changed = copy.deepcopy(document)
    changed["headlines"][0]["value"] += "!"

    # When / Then
    assert validate(document).canonical_hash != validate(changed).canonical_hash


def _reverse_keys(value: Any) -> Any:
    if isinstance(value, dict):
        return {key: _reverse_keys(item) for key, item in reversed(list(value.items()))}
    if isinstance(value, list):
        return [_reverse_keys(item) for item in value]
    return value


def test_validation_is_deterministic() -> None:
    # Given a document with unknown fields, and the same with the keys of every object in reverse order
    document = load_ninjs("with_unknown_fields.json")
    reordered = _reverse_keys(document)
    assert list(reordered) != list(document)

    # When
    first = validate(document)
    second = validate(reordered)

    # Then the outcome does not depend on the order: same content, hash and warnings (in the same order)
    assert len(first.warnings) > 1
    assert second == first


# --- Hostile input ------------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("document", "pointer"),
    [
        (minimal(by="\ud800broken"), "/by"),
        (minimal(**{"\udfffkey": "x"}), "/\ufffdkey"),
        (minimal(urgency=float("nan")), "/urgency"),
        (minimal(urgency=float("inf")), "/urgency"),
        (minimal(extra={1, 2}), "/extra"),
        (minimal(extra=b"bytes"), "/extra"),
    ],
)
def test_values_json_cannot_carry_are_refused(document: dict[str, Any], pointer: str) -> None:
    # When
    failure = rejection(document)

    # Then
    assert pointers(failure) == [pointer]


def test_every_value_json_cannot_carry_is_listed_at_once() -> None:
    # Given: one document with each kind of problem, some deep inside
    document = minimal(
        by="\ud800broken",
        urgency=float("nan"),
        extra={"set": {1, 2}, 7: "int key", "\udfffkey": "x", "list": [1, float("-inf"), b"bytes"]},
    )

    # When
    failure = rejection(document)

    # Then
    assert [(error.pointer, error.message) for error in failure.errors] == [
        ("/by", "contains invalid Unicode (an unpaired surrogate)"),
        ("/extra", "object keys must be strings"),
        ("/extra/list/1", "must be a finite number"),
        ("/extra/list/2", "is not a JSON value"),
        ("/extra/set", "is not a JSON value"),
        ("/extra/\ufffdkey", "field name is not valid Unicode"),
        ("/urgency", "must be a finite number"),
    ]


def test_nesting_is_refused_just_past_the_limit() -> None:
    # Given: forty levels are fine, a value at the forty-first is not
    def nested(levels: int) -> Any:
        value: Any = "leaf"
        for _ in range(levels):
            value = {"a": value}
        return value

    # When: "extra" is level 1, so 39 more levels put the leaf at level 40, 40 more at level 41
    validated = validate(minimal(extra=nested(39)))
    failure = rejection(minimal(extra=nested(40)))

    # Then
    assert validated.warnings == ["unknown field /extra kept in the archive, not used"]
    assert pointers(failure) == ["/extra" + "/a" * 40]
    assert failure.errors[0].message == "nested deeper than 40 levels"


def test_absurd_nesting_is_refused_not_crashed_on() -> None:
    # Given
    nested: Any = "deep"
    for _ in range(5000):
        nested = [nested]

    # When
    failure = rejection(minimal(extra=nested))

    # Then
    assert len(failure.errors) == 1
    assert failure.errors[0].pointer.startswith("/extra/0/0")


def test_a_flood_of_errors_is_capped() -> None:
    # When
    # (each array at its limit of 100 items: a longer one is a single error)
    failure = rejection(
        minimal(
            headlines=[{"value": index} for index in range(100)],
            descriptions=[{"value": index} for index in range(100)],
        )
    )

    # Then
    assert len(failure.errors) == 101
    assert "more problems" in failure.errors[-1].message


def _random_json(rng: random.Random, depth: int = 0) -> Any:
    kind = rng.randrange(10 if depth < 4 else 6)
    scalars: list[Callable[[], Any]] = [
        lambda: None,
        lambda: rng.random() < 0.5,
        lambda: rng.randint(-(10**12), 10**12),
        lambda: rng.uniform(-1e9, 1e9),
        lambda: rng.choice(["", " ", "text", "usable", "picture", "<p>x</p>", "2026-01-01T00:00:00Z", "ё\u0301"]),
        lambda: "".join(chr(rng.randrange(1, 0x3000)) for _ in range(rng.randrange(12))),
    ]
    if kind < 6:
        return scalars[kind]()
    if kind < 8:
        return [_random_json(rng, depth + 1) for _ in range(rng.randrange(4))]
    keys = ["uri", "type", "headlines", "bodies", "value", "role", "contenttype", "associations", "renditions",
            "href", "name", "width", "descriptions", "by", "rightsinfo", "subjects", "x"]  # fmt: skip
    return {rng.choice(keys): _random_json(rng, depth + 1) for _ in range(rng.randrange(5))}


def _replace_random_node(rng: random.Random, document: Any, replacement: Any) -> Any:
    if not isinstance(document, dict | list) or rng.random() < 0.25:
        return replacement
    if isinstance(document, dict):
        if not document:
            return replacement
        key = rng.choice(sorted(document))
        return {**document, key: _replace_random_node(rng, document[key], replacement)}
    if not document:
        return replacement
    index = rng.randrange(len(document))
    return [*document[:index], _replace_random_node(rng, document[index], replacement), *document[index + 1 :]]


@pytest.mark.parametrize("seed", range(20))
def test_random_json_never_raises_anything_but_validation_failed(seed: int) -> None:
    # Given
    rng = random.Random(seed)
    base = load_ninjs(FIXTURES[seed % len(FIXTURES)])
    candidates = [_random_json(rng) for _ in range(25)]
    candidates += [_replace_random_node(rng, base, _random_json(rng)) for _ in range(75)]

    for candidate in candidates:
        # When
        try:
            validated = validate(candidate)
        except ValidationFailed as failure:
            # Then
            assert failure.errors
            assert all(error.pointer == "" or error.pointer.startswith("/") for error in failure.errors)
        else:
            assert validated.content.headline
            assert validated.content.body_html


# --- Injection: nothing dangerous reaches an article field --------------------------------------

TEXT_FIELD_PATHS: list[tuple[str | int, ...]] = [
    ("headlines", 0, "value"),
    ("headlines", 1, "value"),
    ("descriptions", 0, "value"),
    ("bodies", 0, "value"),
    ("by",),
    ("copyrightholder",),
    ("copyrightnotice",),
    ("usageterms",),
    ("associations", 0, "by"),
    ("associations", 0, "copyrightholder"),
    ("associations", 0, "descriptions", 0, "value"),
    ("associations", 0, "headlines", 0, "value"),
    ("associations", 0, "renditions", 2, "contenttype"),
    ("infosources", 0, "name"),
    ("organisations", 0, "name"),
    ("people", 0, "name"),
    ("places", 0, "name"),
    ("objects", 0, "name"),
    ("subjects", 0, "name"),
    ("genres", 0, "name"),
    ("version",),
]
URL_FIELD_PATHS: list[tuple[str | int, ...]] = [
    ("associations", 0, "renditions", 0, "href"),
    ("associations", 0, "renditions", 1, "href"),
    ("associations", 0, "renditions", 2, "href"),
    ("rightsinfo", "linkedrights"),
    ("organisations", 0, "uri"),
    ("objects", 0, "uri"),
    ("places", 0, "uri"),
    ("subjects", 0, "uri"),
    ("genres", 0, "uri"),
]
DANGEROUS_SCHEMES = ("javascript:", "vbscript:", "data:", "file:")
SAFE_LINK_SCHEMES = ("http://", "https://", "mailto:")


def _set(document: dict[str, Any], path: tuple[str | int, ...], value: Callable[[str], str]) -> None:
    target: Any = document
    for part in path[:-1]:
        target = target[part]
    target[path[-1]] = value(target[path[-1]])


def _attacked_document(attack: str, *, plain_body: bool = False) -> dict[str, Any]:
    document = load_ninjs("ru_defence_industry.json")
    if plain_body:
        document["bodies"] = [document["bodies"][1]]
    for path in TEXT_FIELD_PATHS:
        # Appended, so the field still has real text and the document stays acceptable.
        _set(document, path, lambda original: f"{original} {attack}")
    return document


class _BodyAudit(HTMLParser):
    """Collects every tag, attribute and link of a body, to check them against the allowlist."""

    def __init__(self) -> None:
        super().__init__(convert_charrefs=True)
        self.tags: set[str] = set()
        self.attributes: set[tuple[str, str]] = set()
        self.hrefs: list[str] = []

    def handle_starttag(self, tag: str, attrs: list[tuple[str, str | None]]) -> None:
        self.tags.add(tag)
        for name, value in attrs:
            self.attributes.add((tag, name))
            if name == "href":
                self.hrefs.append(value or "")


def _strings_of(value: Any, path: str = "") -> Iterator[tuple[str, str]]:
    if isinstance(value, ArticleContent):
        value = asdict(value)
    if isinstance(value, str):
        yield path, value
    elif isinstance(value, dict):
        for key, item in value.items():
            yield from _strings_of(item, f"{path}.{key}")
    elif isinstance(value, list):
        for index, item in enumerate(value):
            yield from _strings_of(item, f"{path}[{index}]")


def _map_strings(value: Any, change: Callable[[str], str]) -> Any:
    if isinstance(value, str):
        return change(value)
    if isinstance(value, dict):
        return {change(key): _map_strings(item, change) for key, item in value.items()}
    if isinstance(value, list):
        return [_map_strings(item, change) for item in value]
    return value


def assert_nothing_dangerous(content: ArticleContent) -> None:
    for path, text in _strings_of(content):
        assert unicodedata.is_normalized("NFC", text), path
        # Tabs and newlines are plain whitespace in HTML; every other control character is gone.
        allowed_controls = "\t\n\r" if path == ".body_html" else ""
        assert not any(unicodedata.category(char) == "Cc" and char not in allowed_controls for char in text), path
        assert not any("\u202a" <= char <= "\u202e" or "\u2066" <= char <= "\u2069" for char in text), path
        if path == ".body_html":
            audit = _BodyAudit()
            audit.feed(text)
            assert audit.tags <= ALLOWED_TAGS, path
            assert audit.attributes <= {("a", "href"), ("a", "title"), ("a", "rel")}, path
            assert all(href.startswith(SAFE_LINK_SCHEMES) for href in audit.hrefs), audit.hrefs
            assert "<script" not in text.lower() and "<style" not in text.lower()
        else:
            # Plain text: nothing a browser would read as the start of a tag.
            assert not any(
                text[index] == "<" and (text[index + 1 : index + 2].isalpha() or text[index + 1 : index + 2] in "/!?")
                for index in range(len(text) - 1)
            ), (path, text)
        if path in (".lead_image.url", ".rights.info_url"):
            assert text == "" or text.startswith(("http://", "https://")), (path, text)
            assert not any(char in text for char in "<>\"' "), (path, text)
        if path.endswith(".uri") or path.startswith(".section_hints"):
            compact = "".join(text.split()).lower()
            assert not compact.startswith(DANGEROUS_SCHEMES), (path, text)


@pytest.mark.parametrize("plain_body", [False, True], ids=["html-body", "plain-body"])
@pytest.mark.parametrize("attack", MARKUP_ATTACKS + URL_ATTACKS)
def test_attack_in_every_text_field_leaves_nothing_dangerous(attack: str, plain_body: bool) -> None:
    # Given
    document = _attacked_document(attack, plain_body=plain_body)

    # When
    content = validate(document).content

    # Then
    assert_nothing_dangerous(content)
    assert content.headline.startswith("НПО «Контур-М» начало серийный выпуск")


@pytest.mark.parametrize("attack", URL_ATTACKS + MARKUP_ATTACKS[:8])
def test_attack_in_every_url_field_leaves_nothing_dangerous(attack: str) -> None:
    # Given
    document = load_ninjs("ru_defence_industry.json")
    for path in URL_FIELD_PATHS:
        _set(document, path, lambda _original: attack)

    # When
    content = validate(document).content

    # Then
    assert_nothing_dangerous(content)
    assert content.lead_image is None
    assert content.rights.info_url == ""


def test_attack_as_the_whole_headline_is_refused_when_nothing_is_left() -> None:
    # When
    failure = rejection(minimal(headlines=[{"value": "<img src=x onerror=alert(1)>"}]))

    # Then
    assert pointers(failure) == ["/headlines/0/value"]


# --- Cost of importing ---------------------------------------------------------------------------


def test_importing_the_package_neither_loads_jsonschema_rs_nor_builds_the_validator() -> None:
    # Given: a fresh interpreter, as a Lambda cold start would have
    probe = (
        "import sys, newsdesk.ninjs\n"
        "from newsdesk.ninjs import schema\n"
        "print('jsonschema_rs' in sys.modules, 'jsonschema' in sys.modules, schema.validator.cache_info().currsize)\n"
        "try:\n"
        "    newsdesk.ninjs.validate_document({}, default_language='ru')\n"
        "except Exception:\n"
        "    pass\n"
        "print('jsonschema_rs' in sys.modules, 'jsonschema' in sys.modules, schema.validator.cache_info().currsize)\n"
    )

    # When
    result = subprocess.run([sys.executable, "-c", probe], capture_output=True, text=True, check=True)

    # Then: nothing at import; the first document builds the validator once (and never loads jsonschema)
    assert result.stdout.split("\n")[:2] == ["False False 0", "True False 1"]


# --- Limits of what the record carries (docs/api.md, "Limits") -------------------------------------


def test_record_fields_have_limits_checked_before_anything_is_written() -> None:
    from newsdesk.errors import ValidationFailed
    from newsdesk.ninjs.normalize import MAX_HEADLINE_CHARS, MAX_LANGUAGE_CHARS, MAX_VERSION_CHARS

    def errors_of(doc: dict[str, Any]) -> list[tuple[str, str]]:
        with pytest.raises(ValidationFailed) as refused:
            validate_document(doc, default_language="ru")
        return [(error.pointer, error.message) for error in refused.value.errors]

    # At the limit: accepted as sent
    exact = validate_document(
        article_doc(headline="Т" * MAX_HEADLINE_CHARS, version="9" * MAX_VERSION_CHARS), default_language="ru"
    ).content
    assert len(exact.headline) == MAX_HEADLINE_CHARS and exact.version == "9" * MAX_VERSION_CHARS
    # One over: refused with the pointer and the limit
    assert errors_of(article_doc(headline="Т" * (MAX_HEADLINE_CHARS + 1)))[0][0] == "/headlines/0/value"
    assert errors_of(article_doc(version="9" * (MAX_VERSION_CHARS + 1)))[0][0] == "/version"
    assert errors_of(article_doc(language="en-" + "a" * MAX_LANGUAGE_CHARS))[0][0] == "/language"


def test_shown_text_over_its_limit_is_shortened_or_dropped_not_stored_whole() -> None:
    from newsdesk.ninjs.fields import MAX_URL_CHARS
    from newsdesk.ninjs.normalize import MAX_HEADLINE_CHARS

    long_url = "https://cdn.example/" + "p" * MAX_URL_CHARS + ".jpg"
    doc = article_doc(
        associations=[
            {"name": "photo", "uri": "urn:x:photo", "type": "picture", "renditions": [{"name": "r", "href": long_url}]}
        ]
    )
    doc["headlines"] = [{"role": "main", "value": "Заголовок"}, {"role": "sub", "value": "П " * MAX_HEADLINE_CHARS}]
    validated = validate_document(doc, default_language="ru")
    assert len(validated.content.subheadline) <= MAX_HEADLINE_CHARS
    assert validated.content.lead_image is None
    # An unknown field's name is at most 100 characters; a huge one is refused, shown shortened
    named = validate_document({**article_doc(), "x" * 100: 1}, default_language="ru")
    assert max(len(warning) for warning in named.warnings) < 300
    with pytest.raises(ValidationFailed) as refused:
        validate_document({**article_doc(), "x" * 20_000: 1}, default_language="ru")
    assert max(len(error.message) for error in refused.value.errors) < 300


# --- Invisible text (issue 8, "What broke" 7, the part about characters) ----------------------------


@pytest.mark.parametrize(
    "hidden", ["\u200b", "\u200e", "\u200f", "\u061c", "\u2060", "\ufeff", "\U000e0041", "\U000e007f", "\u202e"]
)
@pytest.mark.attack(7)
def test_invisible_and_direction_changing_characters_do_not_reach_headlines(hidden: str) -> None:
    content = validate_document(article_doc(headline=f"Танк{hidden}овый завод"), default_language="ru").content
    assert content.headline == "Танковый завод"


def test_joiners_that_scripts_and_emoji_need_are_kept() -> None:
    headline = "می\u200cخواهم 👨\u200d👩\u200d👧"
    content = validate_document(article_doc(headline=headline, language="fa"), default_language="ru").content
    assert content.headline == headline


@pytest.mark.attack(7)
def test_a_url_that_would_display_as_something_else_is_not_used() -> None:
    spoofed = "https://cdn.example/photo\u202egpj.exe"
    doc = article_doc(
        rightsinfo={"linkedrights": spoofed},
        associations=[
            {"name": "p", "uri": "urn:x:p", "type": "picture", "renditions": [{"name": "r", "href": spoofed}]}
        ],
    )
    content = validate_document(doc, default_language="ru").content
    assert content.rights.info_url == "" and content.lead_image is None
