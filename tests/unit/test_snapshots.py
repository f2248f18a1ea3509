"""Snapshot models, their bytes, their schemas and their headers: pure logic, no AWS."""

from __future__ import annotations

import json
from datetime import UTC, datetime, timedelta, timezone
from typing import Any

import jsonschema_rs
import pytest

from newsdesk.articles import ArticleRecord
from newsdesk.models import ArticleContent, ArticleStatus, LeadImage, Mention, Mentions, Rights
from newsdesk.snapshots import (
    ArticleSnapshot,
    ListSnapshot,
    ManifestEntry,
    ManifestSnapshot,
    SchemaEntry,
    article_path,
    article_snapshot,
    article_summary,
    cache_control_for,
    json_schemas,
    outlet_path,
    render,
    section_path,
    section_ref,
    tombstone_snapshot,
)
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
    }


# --- Schemas -------------------------------------------------------------------------------------


def test_every_kind_has_a_valid_draft_2020_12_schema_that_requires_every_field() -> None:
    schemas = json_schemas()
    assert set(schemas) == {"article", "tombstone", "list", "manifest", "trending", "counters"}
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


def test_model_rejects_unknown_fields() -> None:
    values = json.loads(render(sample_snapshots()["article"]))
    values["extra"] = 1
    with pytest.raises(ValueError):
        ArticleSnapshot.model_validate(values)


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
