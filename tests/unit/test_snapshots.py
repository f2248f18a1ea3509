"""Snapshot models, their bytes, their schemas and their headers: pure logic, no AWS."""

from __future__ import annotations

import json
from datetime import UTC, datetime, timedelta, timezone
from typing import Any

import jsonschema_rs
import pytest

from newsdesk.articles import ArticleRecord
from newsdesk.models import ArticleContent, ArticleStatus, LeadImage, Mention, Mentions, Rights
from newsdesk.pictures import ImageState, MediaState, Rendition
from newsdesk.snapshots import (
    SNAPSHOT_KINDS,
    ArticleCountsSnapshot,
    ArticleSnapshot,
    CountersSnapshot,
    ListSnapshot,
    ManifestEntry,
    ManifestSnapshot,
    OutletRef,
    SchemaEntry,
    TrendingEntrySnapshot,
    TrendingListsSnapshot,
    TrendingSnapshot,
    article_path,
    article_snapshot,
    article_summary,
    cache_control_for,
    json_schemas,
    outlet_path,
    parse,
    render,
    section_path,
    section_ref,
    tombstone_snapshot,
)
from newsdesk.snapshots import schemas as schema_package
from newsdesk.snapshots.schemas.__main__ import main as schemas_main
from newsdesk.snapshots.schemas.generate import generated_schemas, stale_files
from publish.changes import ArticleChange, latest_list, list_for_path, lists_of, outlet_list, section_list

pytestmark = pytest.mark.unit

MOSCOW = timezone(timedelta(hours=3))


def record(**changes: Any) -> ArticleRecord:
    values: dict[str, Any] = {
        "article_id": "abcdefgh234567",
        "partner_id": "oboronka-daily",
        "uri": "urn:x:1",
        "revision": 3,
        "status": ArticleStatus.PUBLISHED,
        "content_hash": "0" * 64,
        "archive_key": "raw/oboronka-daily/abcdefgh234567/00000003-0000000000000000.json",
        "headline": "Танки «Т-90М» поставлены в срок",
        "language": "ru",
        "section": "defence-industry",
        "outlet": "Oboronka Daily",
        "published_at": datetime(2026, 11, 25, 9, 0, tzinfo=MOSCOW),
        "updated_at": datetime(2026, 11, 25, 10, 30, tzinfo=MOSCOW),
        "received_at": datetime(2026, 11, 25, 7, 31, 5, tzinfo=UTC),
    }
    values.update(changes)
    return ArticleRecord(**values)


def content(**changes: Any) -> ArticleContent:
    values: dict[str, Any] = {
        "uri": "urn:x:1",
        "headline": "Танки «Т-90М» поставлены в срок",
        "lead": "Уралвагонзавод выполнил контракт.",
        "body_html": "<p>Уралвагонзавод выполнил контракт.</p>",
        "byline": "Ирина Белозёрова",
        "language": "ru",
        "rights": Rights(holder="ООО «Оборонные ведомости»", info_url="https://example.org/rights"),
        "lead_image": LeadImage(
            url="https://cdn.example/t90.jpg", caption="Т-90М", credit="Пресс-служба", width=1600, height=900
        ),
        "mentions": Mentions(
            companies=[Mention(name="Уралвагонзавод")],
            projects=[Mention(name="Т-90М")],
            subjects=[Mention(name="ОПК")],
        ),
    }
    values.update(changes)
    return ArticleContent(**values)


# --- Bytes ---------------------------------------------------------------------------------------


def test_render_is_compact_utf8_with_non_ascii_as_is_and_a_final_newline() -> None:
    body = render(article_snapshot(record(), content()))
    text = body.decode("utf-8")
    assert text.endswith("}\n") and "\n" not in text[:-1]
    assert "Уралвагонзавод" in text and "\\u" not in text
    assert ", " not in text.split('"body_html"')[0]  # compact separators outside text values
    assert json.loads(text)["headline"] == "Танки «Т-90М» поставлены в срок"


def test_same_state_renders_the_same_bytes() -> None:
    # Given an article's page, and the same state read back another way: its times in UTC rather
    # than Moscow time, and a later re-ingest of the same bytes (received and archived again)
    original = render(article_snapshot(record(), content()))
    same_state = record(
        published_at=datetime(2026, 11, 25, 6, 0, tzinfo=UTC),
        updated_at=datetime(2026, 11, 25, 7, 30, tzinfo=UTC),
        received_at=datetime(2026, 12, 1, 8, 0, tzinfo=UTC),
        archive_key="raw/oboronka-daily/abcdefgh234567/00000003-1111111111111111.json",
    )

    # Then the bytes are equal, so publish rewrites nothing
    assert render(article_snapshot(same_state, content())) == original
    # And a change a reader sees changes them (the equality above is not that of a constant)
    assert render(article_snapshot(record(revision=4), content())) != original
    assert render(article_snapshot(record(), content(headline="Другой заголовок"))) != original


def test_times_are_utc_with_z_whatever_offset_the_source_used() -> None:
    page = json.loads(render(article_snapshot(record(), content())))
    assert page["published_at"] == "2026-11-25T06:00:00Z"
    assert page["updated_at"] == "2026-11-25T07:30:00Z"


def test_field_order_is_the_declared_order() -> None:
    page = json.loads(render(article_snapshot(record(), content())))
    assert list(page)[:4] == ["schema_version", "kind", "id", "revision"]


def test_the_page_groups_mentions_as_the_site_shows_them_and_leaves_wording_to_the_frontend() -> None:
    page = article_snapshot(record(), content())
    assert [m.name for m in page.mentions.companies] == ["Уралвагонзавод"]
    assert [m.name for m in page.mentions.projects] == ["Т-90М"]
    assert page.rights.holder == "ООО «Оборонные ведомости»"  # no "Права на данный материал" prefix
    assert page.lead_image is not None and page.lead_image.credit == "Пресс-служба"
    assert page.section == section_ref("defence-industry")
    assert page.section.title == "ОПК"


def test_tombstone_is_small_and_says_why() -> None:
    tombstone = json.loads(render(tombstone_snapshot(record(status=ArticleStatus.WITHHELD, revision=4))))
    assert tombstone == {
        "schema_version": "v1",
        "kind": "tombstone",
        "id": "abcdefgh234567",
        "status": "withheld",
        "revision": 4,
        "updated_at": "2026-11-25T07:31:05Z",
        "reason": None,
        "note": None,
    }


# --- Schemas -------------------------------------------------------------------------------------


def test_every_kind_has_a_valid_draft_2020_12_schema_that_requires_every_field() -> None:
    schemas = json_schemas()
    assert set(schemas) == {"article", "tombstone", "list", "manifest", "trending", "counters", "counts", "sections"}
    for kind, schema in schemas.items():
        jsonschema_rs.meta.validate(schema)
        assert schema["$schema"] == "https://json-schema.org/draft/2020-12/schema"
        assert set(schema["required"]) == set(schema["properties"]), kind
        assert schema["properties"]["kind"]["const"] == kind
        assert schema["additionalProperties"] is False


def sample_snapshots() -> dict[str, Any]:
    published = record()
    return {
        "article": article_snapshot(published, content(lead_image=None)),
        "tombstone": tombstone_snapshot(record(status=ArticleStatus.RETRACTED)),
        "list": ListSnapshot(
            name="sections/defence-industry",
            section=section_ref("defence-industry"),
            outlet=None,
            generated_at=published.received_at,
            items=[article_summary(published)],
        ),
        "manifest": ManifestSnapshot(
            generated_at=None,
            entries=[ManifestEntry(path="v1/latest.json", sha256="0" * 64, generated_at=None)],
            schemas=[SchemaEntry(path="v1/schemas/list.json", sha256="1" * 64)],
        ),
    }


@pytest.mark.parametrize("kind", ["article", "tombstone", "list", "manifest"])
def test_rendered_snapshots_validate_against_their_schema(kind: str) -> None:
    document = json.loads(render(sample_snapshots()[kind]))
    validator = jsonschema_rs.Draft202012Validator(json_schemas()[kind])
    assert list(validator.iter_errors(document)) == []


def test_the_schema_rejects_what_the_contract_does_not_allow() -> None:
    document = json.loads(render(sample_snapshots()["article"]))
    document["onload"] = "alert(1)"
    del document["headline"]
    document["lead_image"] = {"url": "https://x.example/a.jpg"}
    errors = list(jsonschema_rs.Draft202012Validator(json_schemas()["article"]).iter_errors(document))
    assert len(errors) >= 3


def test_json_schemas_cannot_be_changed_by_a_caller() -> None:
    json_schemas()["article"]["properties"].clear()
    assert "headline" in json_schemas()["article"]["properties"]


def test_the_committed_schemas_are_what_the_models_generate() -> None:
    # The runtime reads the committed files (publish imports no pydantic); run `make schemas` when
    # this fails after a model change.
    assert stale_files() == {}, "stale snapshot schemas: run `make schemas`"
    assert json_schemas() == generated_schemas()
    assert sorted(path.name for path in schema_package.SCHEMA_DIRECTORY.glob("*.json")) == sorted(
        f"{kind}.json" for kind in SNAPSHOT_KINDS
    )


def test_a_stale_committed_schema_is_reported(tmp_path: Any, monkeypatch: pytest.MonkeyPatch) -> None:
    # Given committed schemas of which one no longer matches its model
    for kind in SNAPSHOT_KINDS:
        (tmp_path / f"{kind}.json").write_bytes(schema_package.schema_file(kind).read_bytes())
    edited = json.loads((tmp_path / "list.json").read_text(encoding="utf-8"))
    edited["properties"]["name"]["description"] = "changed by hand"
    (tmp_path / "list.json").write_text(json.dumps(edited), encoding="utf-8")
    monkeypatch.setattr(schema_package, "SCHEMA_DIRECTORY", tmp_path)
    # Then the check names it and fails, and a regeneration writes it back
    assert set(stale_files()) == {"list"}
    assert schemas_main(["--check"]) == 1
    assert schemas_main([]) == 0
    assert stale_files() == {}


# --- Pinned bytes --------------------------------------------------------------------------------

WEIRD = 'Кавычки "x" \\ back\nnew\ttab \x01 ctrl 😀 </script> \u2028 end'
# The lead picture of the rich article, copied by the media function (issue 9, 'Images').
LEAD_COPY = "v1/media/abcdefgh234567/90e24fd0886759f1"
RICH_MEDIA = MediaState(
    images={
        "90e24fd0886759f1": ImageState(
            status="ready",
            source="https://cdn.example/a.jpg",
            width=1200,
            height=900,
            mimetype="image/png",
            renditions=(
                Rendition(f"{LEAD_COPY}-320.jpg", 320, 240, "image/jpeg"),
                Rendition(f"{LEAD_COPY}-320.webp", 320, 240, "image/webp"),
                Rendition(f"{LEAD_COPY}-640.jpg", 640, 480, "image/jpeg"),
            ),
            revision=3,
        )
    },
    settled=1,
)


def rich_snapshots() -> dict[str, Any]:
    """Every kind of file with every field set, and the values whose spelling could drift: text
    needing escapes, non-ASCII, times with offsets, fractions and three-digit years, nulls, empties."""
    page = record(
        headline=WEIRD,
        lead=WEIRD,
        image_url="https://cdn.example/a.jpg",
        image_path=f"/{LEAD_COPY}-640.jpg",
        published_at=datetime(999, 1, 2, 3, 4, 5, 678901, tzinfo=MOSCOW),
        updated_at=datetime(2026, 11, 25, 10, 30, 59, 999999, tzinfo=MOSCOW),
    )
    body = content(
        subheadline=WEIRD,
        byline=WEIRD,
        body_html=f"<p>{WEIRD}</p>",
        sources=["ТАСС", "РИА «Новости»"],
        rights=Rights(holder="ООО «Х»", notice="© 2026", usage_terms="Со ссылкой", info_url="https://example.org/r"),
        lead_image=LeadImage(
            url="https://cdn.example/a.jpg",
            caption=WEIRD,
            credit="Пресс-служба",
            width=None,
            height=900,
            mimetype="image/png",
        ),
        mentions=Mentions(
            companies=[Mention(name="УВЗ", uri="urn:org:uvz"), Mention(name="Ростех")],
            people=[Mention(name="Иванов", uri="urn:p:1")],
            places=[Mention(name="Нижний Тагил")],
            projects=[Mention(name="Т-90М")],
            subjects=[Mention(name="ОПК")],
        ),
    )
    entry = TrendingEntrySnapshot(
        id="b1",
        headline=WEIRD,
        published_at=datetime(2026, 11, 25, 8, tzinfo=MOSCOW),
        section="space",
        count=30,
        path="/v1/articles/b1.json",
    )
    generated = datetime(2026, 11, 25, 12, 0, 0, 123, tzinfo=MOSCOW)
    return {
        "article": article_snapshot(page, body, RICH_MEDIA),
        "article-bare": article_snapshot(
            record(section="unknown-section"), content(lead_image=None, rights=Rights(), mentions=Mentions())
        ),
        "tombstone": tombstone_snapshot(record(status=ArticleStatus.EMBARGOED, revision=9)),
        "list": ListSnapshot(
            name="outlets/oboronka-daily",
            section=None,
            outlet=OutletRef(id="oboronka-daily", name=WEIRD),
            generated_at=page.updated_at,
            items=[article_summary(page), article_summary(record(image_url="", lead=""))],
        ),
        "list-empty": ListSnapshot(
            name="sections/space", section=section_ref("space"), outlet=None, generated_at=None, items=[]
        ),
        "manifest": ManifestSnapshot(
            generated_at=datetime(2026, 11, 25, 8, 0, 1, 5, tzinfo=MOSCOW),
            entries=[
                ManifestEntry(
                    path="v1/latest.json", sha256="a" * 64, generated_at=datetime(2026, 11, 25, 8, tzinfo=MOSCOW)
                ),
                ManifestEntry(path="v1/trending.json", sha256="b" * 64, generated_at=None),
            ],
            schemas=[SchemaEntry(path="v1/schemas/article.json", sha256="c" * 64)],
        ),
        "trending": TrendingSnapshot(
            generated_at=generated,
            window_hours=48,
            half_life_minutes=360,
            min_count=3,
            most_read=[entry],
            most_discussed=[],
            sections={"space": TrendingListsSnapshot(most_read=[entry], most_discussed=[entry])},
        ),
        "counters": CountersSnapshot(
            generated_at=generated,
            window_hours=48,
            truncated=True,
            articles={
                "b1": ArticleCountsSnapshot(views=30, comments=0),
                "a1": ArticleCountsSnapshot(views=1, comments=2),
            },
        ),
    }


# The bytes each of these files had when the models were pydantic models (before issue 7 made them
# dataclasses); the frontend reads these bytes, and a change here must be deliberate.
PINNED_BYTES = {
    "article": (
        '{"schema_version":"v1","kind":"article","id":"abcdefgh234567","revision":3,'
        '"status":"published","headline":"Танки «Т-90М» поставлены в срок",'
        '"subheadline":"Кавычки \\"x\\" \\\\ back\\nnew\\ttab \\u0001 ctrl 😀 </script> \u2028 end",'
        '"lead":"Уралвагонзавод выполнил контракт.",'
        '"body_html":"<p>Кавычки \\"x\\" \\\\ back\\nnew\\ttab \\u0001 ctrl 😀 </script> \u2028 end</p>",'
        '"byline":"Кавычки \\"x\\" \\\\ back\\nnew\\ttab \\u0001 ctrl 😀 </script> \u2028 end",'
        '"language":"ru","section":{"slug":"defence-industry","title":"ОПК"},'
        '"outlet":{"id":"oboronka-daily","name":"Oboronka Daily"},"sources":["ТАСС",'
        '"РИА «Новости»"],"rights":{"holder":"ООО «Х»","notice":"© 2026",'
        '"usage_terms":"Со ссылкой","info_url":"https://example.org/r"},'
        '"lead_image":{"status":"ready","url":"/v1/media/abcdefgh234567/90e24fd0886759f1-640.jpg",'
        '"width":1200,"height":900,"mimetype":"image/png",'
        '"alt":"Кавычки \\"x\\" \\\\ back\\nnew\\ttab \\u0001 ctrl 😀 </script> \u2028 end",'
        '"caption":"Кавычки \\"x\\" \\\\ back\\nnew\\ttab \\u0001 ctrl 😀 </script> \u2028 end",'
        '"credit":"Пресс-служба","renditions":['
        '{"url":"/v1/media/abcdefgh234567/90e24fd0886759f1-320.jpg","width":320,"height":240,"type":"image/jpeg"},'
        '{"url":"/v1/media/abcdefgh234567/90e24fd0886759f1-320.webp","width":320,"height":240,"type":"image/webp"},'
        '{"url":"/v1/media/abcdefgh234567/90e24fd0886759f1-640.jpg","width":640,"height":480,"type":"image/jpeg"}]},'
        '"images":[],'
        '"mentions":{"companies":[{"name":"УВЗ","uri":"urn:org:uvz"},{"name":"Ростех",'
        '"uri":""}],"people":[{"name":"Иванов","uri":"urn:p:1"}],'
        '"places":[{"name":"Нижний Тагил","uri":""}],"projects":[{"name":"Т-90М","uri":""}],'
        '"subjects":[{"name":"ОПК","uri":""}]},'
        '"located":"","events":[],"genres":[],"altids":[],"source_url":"",'
        '"published_at":"0999-01-02T00:04:05Z","updated_at":"2026-11-25T07:30:59Z"}\n'
    ),
    "article-bare": (
        '{"schema_version":"v1","kind":"article","id":"abcdefgh234567","revision":3,'
        '"status":"published","headline":"Танки «Т-90М» поставлены в срок","subheadline":"",'
        '"lead":"Уралвагонзавод выполнил контракт.",'
        '"body_html":"<p>Уралвагонзавод выполнил контракт.</p>","byline":"Ирина Белозёрова",'
        '"language":"ru","section":{"slug":"unknown-section","title":"unknown-section"},'
        '"outlet":{"id":"oboronka-daily","name":"Oboronka Daily"},"sources":[],'
        '"rights":{"holder":"","notice":"","usage_terms":"","info_url":""},"lead_image":null,"images":[],'
        '"mentions":{"companies":[],"people":[],"places":[],"projects":[],"subjects":[]},'
        '"located":"","events":[],"genres":[],"altids":[],"source_url":"",'
        '"published_at":"2026-11-25T06:00:00Z","updated_at":"2026-11-25T07:30:00Z"}\n'
    ),
    "tombstone": (
        '{"schema_version":"v1","kind":"tombstone","id":"abcdefgh234567",'
        '"status":"embargoed","revision":9,"updated_at":"2026-11-25T07:31:05Z","reason":null,"note":null}\n'
    ),
    "list": (
        '{"schema_version":"v1","kind":"list","name":"outlets/oboronka-daily","section":null,'
        '"outlet":{"id":"oboronka-daily",'
        '"name":"Кавычки \\"x\\" \\\\ back\\nnew\\ttab \\u0001 ctrl 😀 </script> \u2028 end"},'
        '"generated_at":"2026-11-25T07:30:59Z","items":[{"id":"abcdefgh234567","revision":3,'
        '"headline":"Кавычки \\"x\\" \\\\ back\\nnew\\ttab \\u0001 ctrl 😀 </script> \u2028 end",'
        '"lead":"Кавычки \\"x\\" \\\\ back\\nnew\\ttab \\u0001 ctrl 😀 </script> \u2028 end",'
        '"image_url":"/v1/media/abcdefgh234567/90e24fd0886759f1-640.jpg","section":"defence-industry",'
        '"outlet":{"id":"oboronka-daily","name":"Oboronka Daily"},"language":"ru",'
        '"published_at":"0999-01-02T00:04:05Z",'
        '"updated_at":"2026-11-25T07:30:59Z"},{"id":"abcdefgh234567","revision":3,'
        '"headline":"Танки «Т-90М» поставлены в срок","lead":"","image_url":null,'
        '"section":"defence-industry","outlet":{"id":"oboronka-daily",'
        '"name":"Oboronka Daily"},"language":"ru","published_at":"2026-11-25T06:00:00Z",'
        '"updated_at":"2026-11-25T07:30:00Z"}],"older":null,"newer":null}\n'
    ),
    "list-empty": (
        '{"schema_version":"v1","kind":"list","name":"sections/space",'
        '"section":{"slug":"space","title":"Космос"},"outlet":null,"generated_at":null,'
        '"items":[],"older":null,"newer":null}\n'
    ),
    "manifest": (
        '{"schema_version":"v1","kind":"manifest","generated_at":"2026-11-25T05:00:01Z",'
        '"entries":[{"path":"v1/latest.json",'
        '"sha256":"aaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaa",'
        '"generated_at":"2026-11-25T05:00:00Z"},{"path":"v1/trending.json",'
        '"sha256":"bbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbb",'
        '"generated_at":null}],"schemas":[{"path":"v1/schemas/article.json",'
        '"sha256":"cccccccccccccccccccccccccccccccccccccccccccccccccccccccccccccccc"}]}\n'
    ),
    "trending": (
        '{"schema_version":"v1","kind":"trending","generated_at":"2026-11-25T09:00:00Z",'
        '"window_hours":48,"half_life_minutes":360.0,"min_count":3,"most_read":[{"id":"b1",'
        '"headline":"Кавычки \\"x\\" \\\\ back\\nnew\\ttab \\u0001 ctrl 😀 </script> \u2028 end",'
        '"published_at":"2026-11-25T05:00:00Z","section":"space","count":30,'
        '"path":"/v1/articles/b1.json"}],"most_discussed":[],'
        '"sections":{"space":{"most_read":[{"id":"b1",'
        '"headline":"Кавычки \\"x\\" \\\\ back\\nnew\\ttab \\u0001 ctrl 😀 </script> \u2028 end",'
        '"published_at":"2026-11-25T05:00:00Z","section":"space","count":30,'
        '"path":"/v1/articles/b1.json"}],"most_discussed":[{"id":"b1",'
        '"headline":"Кавычки \\"x\\" \\\\ back\\nnew\\ttab \\u0001 ctrl 😀 </script> \u2028 end",'
        '"published_at":"2026-11-25T05:00:00Z","section":"space","count":30,'
        '"path":"/v1/articles/b1.json"}]}},"recently_discussed":[]}\n'
    ),
    "counters": (
        '{"schema_version":"v1","kind":"counters","generated_at":"2026-11-25T09:00:00Z",'
        '"window_hours":48,"truncated":true,"articles":{"b1":{"views":30,"comments":0},'
        '"a1":{"views":1,"comments":2}}}\n'
    ),
}


@pytest.mark.parametrize("name", sorted(PINNED_BYTES))
def test_rendered_bytes_are_pinned(name: str) -> None:
    assert render(rich_snapshots()[name]).decode("utf-8") == PINNED_BYTES[name]


@pytest.mark.parametrize("name", sorted(PINNED_BYTES))
def test_rich_snapshots_validate_against_their_schema(name: str) -> None:
    document = json.loads(render(rich_snapshots()[name]))
    validator = jsonschema_rs.Draft202012Validator(json_schemas()[document["kind"]])
    assert list(validator.iter_errors(document)) == []


@pytest.mark.parametrize("name", sorted(PINNED_BYTES))
def test_a_rendered_file_reads_back_into_its_model(name: str) -> None:
    model = rich_snapshots()[name]
    again = parse(type(model), render(model))
    assert type(again) is type(model)
    assert render(again) == render(model)  # times read back whole seconds, in UTC


def test_a_file_reads_back_equal_to_its_model() -> None:
    page = article_snapshot(record(), content())
    assert parse(ArticleSnapshot, render(page)) == page


def _article_document() -> dict[str, Any]:
    loaded: dict[str, Any] = json.loads(render(rich_snapshots()["article"]))
    return loaded


@pytest.mark.parametrize(
    "spoil",
    [
        lambda doc: doc.update(extra=1),  # unknown field
        lambda doc: doc["lead_image"].update(onload="alert(1)"),  # unknown nested field
        lambda doc: doc.pop("headline"),  # missing field
        lambda doc: doc.update(kind="tombstone"),  # another kind
        lambda doc: doc.update(revision="3"),  # a number as text
        lambda doc: doc.update(revision=True),  # a boolean for a number
        lambda doc: doc.update(revision=3.5),  # a fraction for an integer
        lambda doc: doc.update(published_at="2026-11-25T08:00:00"),  # a time without its offset
        lambda doc: doc.update(published_at="yesterday"),  # no time at all
        lambda doc: doc.update(sources="ТАСС"),  # a string for a list
        lambda doc: doc["sources"].append(7),  # a number in a list of strings
        lambda doc: doc.update(section=None),  # null where no null is allowed
        lambda doc: doc["mentions"].update(companies=[{"name": "x"}]),  # missing nested field
    ],
)
def test_parse_refuses_what_the_model_does_not_allow(spoil: Any) -> None:
    document = _article_document()
    spoil(document)
    with pytest.raises(ValueError):
        parse(ArticleSnapshot, json.dumps(document))


def test_parse_refuses_what_is_not_json() -> None:
    with pytest.raises(ValueError):
        parse(ArticleSnapshot, "{")


# --- Paths and headers ---------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("path", "expected"),
    [
        ("v1/articles/abc.json", "public, max-age=300, stale-while-revalidate=600"),
        ("v1/latest.json", "public, max-age=60, stale-while-revalidate=60"),
        ("v1/sections/space.json", "public, max-age=60, stale-while-revalidate=60"),
        ("v1/outlets/oboronka-daily.json", "public, max-age=60, stale-while-revalidate=60"),
        ("v1/manifest.json", "no-cache"),
        ("v1/schemas/article.json", "public, max-age=86400"),
    ],
)
def test_cache_control_by_kind_of_file(path: str, expected: str) -> None:
    assert cache_control_for(path) == expected


@pytest.mark.parametrize("segment", ["../secret", "a/b", "", "UPPER", "a b", "a.json"])
def test_unsafe_path_segments_are_refused(segment: str) -> None:
    for make_path in (article_path, section_path, outlet_path):
        with pytest.raises(ValueError):
            make_path(segment)


def test_lists_of_a_published_article_and_none_otherwise() -> None:
    assert lists_of(record()) == {latest_list(), section_list("defence-industry"), outlet_list("oboronka-daily")}
    for status in (ArticleStatus.RETRACTED, ArticleStatus.WITHHELD, ArticleStatus.EMBARGOED):
        assert lists_of(record(status=status)) == set()
    assert lists_of(None) == set()


@pytest.mark.parametrize("key", [latest_list(), section_list("space"), outlet_list("tt-news")])
def test_a_list_is_found_again_from_its_path(key: Any) -> None:
    assert list_for_path(key.path) == key


def test_non_list_paths_are_not_lists() -> None:
    for path in ("v1/manifest.json", "v1/schemas/list.json", "v1/articles/abc.json"):
        assert list_for_path(path) is None


def test_an_article_change_needs_a_state() -> None:
    assert ArticleChange(old=None, new=record()).article_id == "abcdefgh234567"
    with pytest.raises(ValueError):
        _ = ArticleChange(old=None, new=None).article_id
