"""Issue 9, "Lose nothing silently": every top-level field of the IPTC ninjs 2.2, 3.0 and 3.1 schemas
either reaches the article (its snapshot, or for the fields that steer how a story is handled, the
stored article) or is named in the response's warnings.

The test walks the schemas Newsdesk ships, so a field a new schema adds fails here until it has a
sample and a use (newsdesk.ninjs.agency.FIELD_USE), and it checks each use by behaviour: the sample
changes the rendered article file, or a warning names the field, or the stored article changes (or
a wrong value is refused)."""

from __future__ import annotations

import copy
import re
from datetime import UTC, datetime
from typing import Any

import pytest

from newsdesk.articles import ArticleRecord
from newsdesk.errors import ValidationFailed
from newsdesk.models import ArticleStatus, Validated, content_to_json
from newsdesk.ninjs import limits as ingest_limits
from newsdesk.ninjs import validate_document
from newsdesk.ninjs.agency import FIELD_USE, FOLDED_NAMES
from newsdesk.ninjs.schema import ninjs_schema
from newsdesk.ninjs.v3 import V3_TO_V2_NAMES
from newsdesk.snapshots import article_snapshot, limits, render

pytestmark = pytest.mark.unit

NOW = datetime(2026, 11, 25, 8, 0, tzinfo=UTC)
MENTION = [{"name": "Уралвагонзавод", "uri": "urn:x:uvz"}]
# One value of every top-level field (2.x names, lower case), valid for its schema.
SAMPLES: dict[str, Any] = {
    "uri": "urn:x:other",
    "type": "text",
    "standard": {"name": "ninjs"},
    "version": "7",
    "versioncreated": "2026-01-02T03:04:05Z",
    "firstcreated": "2026-01-01T03:04:05Z",
    "pubstatus": "withheld",
    "embargoed": "2099-01-01T00:00:00Z",
    "expires": "2099-01-01T00:00:00Z",
    "language": "sv",
    "headlines": [{"role": "main", "value": "Другой заголовок"}],
    "bodies": [{"contenttype": "text/html", "value": "<p>Другой текст.</p>"}],
    "descriptions": [{"role": "summary", "value": "Анонс."}],
    "by": "Иван Петров",
    "copyrightholder": "ТАСС",
    "copyrightnotice": "© ТАСС",
    "usageterms": "Только для сайта",
    "rightsinfo": {"linkedrights": "https://rights.example/1"},
    "associations": [
        {
            "name": "a",
            "uri": "urn:p",
            "type": "picture",
            "renditions": [{"name": "r", "href": "https://img.example/1.jpg"}],
        }
    ],
    "infosources": [{"name": "ТАСС", "uri": "https://tass.ru/"}],
    "organisations": MENTION,
    "people": MENTION,
    "places": MENTION,
    "objects": MENTION,
    "subjects": MENTION,
    "genres": MENTION,
    "events": MENTION,
    "located": "Тула",
    "altids": [{"role": "nr", "value": "a0f2d045"}],
    "ednote": "Не для печати",
    "slugline": "танки",
    "urgency": 3,
    "profile": "PUBL",
    "title": "Служебное название",
    "representationtype": "full",
    "contentcreated": "2026-01-01T00:00:00Z",
    "digitalsourcetype": {"name": "original"},
    "trustindicators": [{"title": "Этика", "href": "https://trust.example/"}],
    "renditions": [{"name": "x", "href": "https://x.example/r"}],
    "eventdetails": {"eventStatus": "http://cv.iptc.org/newscodes/eventstatus/scheduled"},
    "plannedcoverage": [{"uri": "urn:x:coverage"}],
}
# A value each "handling" field refuses, where the sample changes nothing stored (it is the default).
REFUSED: dict[str, Any] = {"type": "picture", "standard": {"version": "9.0"}}
_V2_TO_V3 = {v2: v3 for v3, v2 in V3_TO_V2_NAMES.items()}


def top_level_names(version: str) -> list[str]:
    schema = ninjs_schema(version)
    definitions: Any = schema["$defs"]
    root = definitions[str(schema["$ref"]).rsplit("/", 1)[-1]]
    return sorted(root["properties"])


def folded(name: str) -> str:
    return str(FOLDED_NAMES.get(name.lower(), name.lower()))


def in_version(value: Any, version: str) -> Any:
    """A 2.x sample under the names of ``version`` (3.x: contentType, linkedRights, ...)."""
    if version == "2.2":
        return copy.deepcopy(value)
    if isinstance(value, list):
        return [in_version(item, version) for item in value]
    if isinstance(value, dict):
        return {_V2_TO_V3.get(key, key): in_version(item, version) for key, item in value.items()}
    return value


def base(version: str) -> dict[str, Any]:
    document: dict[str, Any] = {
        "uri": "urn:x:1",
        "headlines": [{"role": "main", "value": "Заголовок"}],
        "bodies": [{"contenttype": "text/html", "value": "<p>Текст.</p>"}],
    }
    if version != "2.2":
        document["standard"] = {"name": "ninjs", "version": version}
    renamed: dict[str, Any] = in_version(document, version)
    return renamed


def record() -> ArticleRecord:
    return ArticleRecord(
        article_id="a" * 25,
        partner_id="p1",
        uri="urn:x:1",
        revision=1,
        status=ArticleStatus.PUBLISHED,
        content_hash="0" * 64,
        archive_key="raw/x",
        headline="Заголовок",
        language="ru",
        published_at=NOW,
        updated_at=NOW,
        received_at=NOW,
        section="news",
        outlet="Outlet",
    )


def validate(document: dict[str, Any]) -> Validated:
    return validate_document(document, default_language="ru")


def page(validated: Validated) -> bytes:
    rendered: bytes = render(article_snapshot(record(), validated.content))
    return rendered


def names_field(warnings: list[str], name: str) -> bool:
    """Whether a warning names the field's pointer (``/slugline ...``, ``... field /eventDetails ...``)."""
    return any(re.search(rf"(^| )/{re.escape(name)}[ /]", warning) for warning in warnings)


CASES = [(version, name) for version in ("2.2", "3.0", "3.1") for name in top_level_names(version)]


@pytest.mark.parametrize(("version", "name"), CASES)
def test_every_top_level_ninjs_field_is_published_stored_or_warned(version: str, name: str) -> None:
    # Given the field's use and a document with and without it
    key = folded(name)
    assert key in SAMPLES, f"no sample for ninjs {version} field {name}"
    assert key in FIELD_USE, f"ninjs {version} field {name} has no use in newsdesk.ninjs.agency.FIELD_USE"
    without = base(version)
    with_field = {**without, name: in_version(SAMPLES[key], version)}
    if name == "standard":
        with_field[name] = {**with_field[name], **without.get("standard", {})}

    # When
    before, after = validate(without), validate(with_field)

    # Then the use holds
    use = FIELD_USE[key]
    if use == "snapshot":
        assert page(after) != page(before), f"{name} does not reach the article file"
    elif use == "warning":
        assert names_field(after.warnings, name), f"{name} is not published and no warning names it: {after.warnings}"
    else:
        assert use == "handling"
        stored_changes = content_to_json(after.content) != content_to_json(before.content)
        if not stored_changes:
            with pytest.raises(ValidationFailed):
                validate({**without, name: in_version(REFUSED[key], version)})
    # and a field that is published or used is not reported as unknown
    assert not any(warning.startswith(f"unknown field /{name}") for warning in after.warnings)


def test_the_schemas_have_no_field_the_table_does_not_know() -> None:
    names = {folded(name) for version in ("2.2", "3.0", "3.1") for name in top_level_names(version)}
    assert names == set(FIELD_USE)


# --- The agency fields reach the article file (CONTRACT9 "Agency fields") ------------------------


def test_agency_fields_reach_the_article_file_in_both_spellings() -> None:
    for version in ("2.2", "3.1"):
        # Given
        document = base(version)
        extra = {
            "located": "Нижний Тагил",
            "events": [{"name": "Армия-2026", "uri": "urn:x:army"}],
            "genres": [{"name": "Репортаж", "uri": "http://cv.iptc.org/newscodes/genre/Actuality"}],
            "altids": [{"role": "originaltransmissionreference", "value": "a0f2d045"}],
            "infosources": [
                {"name": "ТАСС", "uri": "urn:x:tass", "contactinfo": [{"type": "web", "value": "https://tass.ru/"}]}
            ],
            "subjects": [{"name": "Оборона", "uri": "medtop:20000763"}],
            "ednote": "Исправлена подпись",
        }
        document.update(in_version(extra, version))  # 3.x: altIds, infoSources, contactInfo, edNote

        # When
        validated = validate(document)
        snapshot = article_snapshot(record(), validated.content)

        # Then
        assert snapshot.located == "Нижний Тагил"
        assert [(event.name, event.uri) for event in snapshot.events] == [("Армия-2026", "urn:x:army")]
        assert [genre.name for genre in snapshot.genres] == ["Репортаж"]
        assert [(altid.role, altid.value) for altid in snapshot.altids] == [
            ("originaltransmissionreference", "a0f2d045")
        ]
        assert snapshot.source_url == "https://tass.ru/"
        assert [(subject.name, subject.uri) for subject in snapshot.mentions.subjects] == [
            ("Оборона", "medtop:20000763")
        ]
        # the editorial note is for the receiving newsroom: stored, never in the public file
        assert validated.content.ednote == "Исправлена подпись"
        assert "Исправлена подпись" not in render(snapshot).decode()
        ednote = "/ednote" if version == "2.2" else "/edNote"
        assert any(warning.startswith(ednote + " ") for warning in validated.warnings), validated.warnings


def test_agency_text_is_plain_and_links_are_allowlisted() -> None:
    # Given
    document = base("2.2")
    document.update(
        located="<b>Тула</b>\u202e",
        events=[{"name": "<script>x()</script>Выставка", "uri": "javascript:alert(1)"}],
        infosources=[{"name": "X", "uri": "javascript:alert(1)"}, {"name": "Y", "uri": "https://y.example/"}],
    )

    # When
    validated = validate(document)
    snapshot = article_snapshot(record(), validated.content)

    # Then
    assert snapshot.located == "Тула"
    assert [(event.name, event.uri) for event in snapshot.events] == [("Выставка", "")]
    assert snapshot.source_url == "https://y.example/"
    assert "/infosources/0/uri is not an http(s) link we publish; not shown" in validated.warnings


def test_what_a_page_leaves_out_is_reported() -> None:
    # Given more events than a page shows, a nameless subject, a video association, extra source links
    document = base("2.2")
    document.update(
        events=[{"name": f"Событие {index}"} for index in range(limits.EVENTS_PER_ARTICLE + 1)],
        subjects=[{"uri": "medtop:1"}],
        associations=[{"name": "v", "uri": "urn:v", "type": "video"}],
        infosources=[{"name": "A", "uri": "https://a.example/"}, {"name": "B", "uri": "https://b.example/"}],
    )

    # When
    warnings = validate(document).warnings

    # Then
    assert (
        f"/events has more distinct entries than a page shows: only the first {limits.EVENTS_PER_ARTICLE} "
        "are published" in warnings
    )
    assert "/subjects/0 has no name, so no page shows it" in warnings
    assert "/associations/0 is an association of type video: only pictures are published" in warnings
    assert "/infosources/1/uri is not shown: an article shows the first source's link only" in warnings


def test_warnings_beyond_unknown_fields_are_capped() -> None:
    # Given a hundred sources with links that are not links
    document = base("2.2")
    document["infosources"] = [{"name": f"S{index}", "uri": f"urn:x:{index}"} for index in range(100)]

    # When
    warnings = validate(document).warnings

    # Then: 100 links that are not links and "only the first 20 sources' names": 20 shown, 81 counted
    assert len(warnings) == 21
    assert warnings[-1] == "… and 81 more warnings"


def test_ingest_and_publish_agree_on_what_a_page_shows() -> None:
    assert ingest_limits.SHOWN_MENTIONS_PER_GROUP == limits.MENTIONS_PER_GROUP
    assert ingest_limits.SHOWN_EVENTS == limits.EVENTS_PER_ARTICLE
    assert ingest_limits.SHOWN_GENRES == limits.GENRES_PER_ARTICLE
    assert ingest_limits.SHOWN_ALTIDS == limits.ALTIDS_PER_ARTICLE
    assert ingest_limits.SHOWN_ALTID_CHARS == limits.ALTID_CHARS
    assert ingest_limits.SHOWN_SOURCES == limits.SOURCES_PER_ARTICLE
