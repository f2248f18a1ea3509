"""Every published file has a maximum size the frontend can rely on (issue 8, 'What broke' 8):
the worst case of each file — every field at its limit, every list full, the widest characters —
is rendered and must fit the maximum of newsdesk.snapshots.limits that docs/snapshots.md quotes."""

from __future__ import annotations

import json
from dataclasses import replace
from datetime import UTC, datetime
from pathlib import Path

import pytest

from newsdesk.articles import ArticleRecord
from newsdesk.models import AltId, ArticleContent, ArticleStatus, LeadImage, Mention, Mentions, Rights
from newsdesk.ninjs import limits as ingest_limits
from newsdesk.sections import SectionMap, section_map
from newsdesk.settings import Settings
from newsdesk.snapshots import (
    ListSnapshot,
    ManifestEntry,
    ManifestSnapshot,
    SchemaEntry,
    article_snapshot,
    article_summary,
    limits,
    outlet_ref,
    render,
    section_ref,
    sections_snapshot,
    tombstone_snapshot,
)
from newsdesk.trending import MAX_COUNTED_ARTICLES, ArticleActivity, ListedArticle, build_trending

pytestmark = [pytest.mark.unit, pytest.mark.attack(8)]

WIDE = "\U0001d538"  # 𝔸: four bytes of UTF-8, unchanged by NFC
NOW = datetime(2026, 11, 25, 8, 0, tzinfo=UTC)
ARTICLE_ID = "a" + "b" * 24
PARTNER_ID = "p" * 48
LONGEST_SLUG = max(section_map().sections, key=len)
BIG_COUNT = 9_999_999_999
DYNAMODB_ITEM_BYTES = 400 * 1024
SCHEMAS = Path(__file__).resolve().parents[2] / "shared" / "newsdesk" / "snapshots" / "schemas"


def wide(chars: int) -> str:
    return WIDE * chars


def url(size: int) -> str:
    return "https://cdn.example/" + "p" * (size - 20)


def record(headline: str = wide(ingest_limits.STRING_CHARS["value"])) -> ArticleRecord:
    return ArticleRecord(
        article_id=ARTICLE_ID,
        partner_id=PARTNER_ID,
        uri="urn:x:" + "u" * 1_018,
        revision=BIG_COUNT,
        status=ArticleStatus.PUBLISHED,
        content_hash="0" * 64,
        archive_key="raw/x",
        headline=headline,
        language="en" + "-aaaaaaaa" * 3 + "-aaaaa",
        published_at=NOW,
        updated_at=NOW,
        received_at=NOW,
        lead=wide(2 * limits.LEAD_CHARS),
        image_url=url(limits.URL_BYTES),
        section=LONGEST_SLUG,
        outlet=wide(10_000),
    )


def mentions(count: int) -> list[Mention]:
    return [Mention(name=wide(limits.NAME_CHARS) + str(index), uri="urn:x:" + "u" * 194) for index in range(count)]


def content(organisations: int = ingest_limits.MAX_ARRAY_ITEMS) -> ArticleContent:
    # body_html exactly at its limit as JSON text: the quotes, "<p>", the letters, "</p>"
    body = "<p>" + "a" * (limits.BODY_HTML_JSON_BYTES - 9) + "</p>"
    many = ingest_limits.MAX_ARRAY_ITEMS
    return ArticleContent(
        uri="urn:x:1",
        headline=wide(limits.HEADLINE_CHARS),
        subheadline=wide(limits.HEADLINE_CHARS),
        lead=wide(limits.LEAD_CHARS),
        body_html=body,
        byline=wide(limits.BYLINE_CHARS),
        language="en" + "-aaaaaaaa" * 3 + "-aaaaa",
        sources=[wide(limits.NAME_CHARS) + str(index) for index in range(many)],
        rights=Rights(
            holder=wide(limits.RIGHTS_HOLDER_CHARS),
            notice=wide(limits.RIGHTS_NOTICE_CHARS),
            usage_terms=wide(limits.USAGE_TERMS_CHARS),
            info_url=url(limits.URL_BYTES),
        ),
        lead_image=LeadImage(
            url=url(limits.URL_BYTES),
            caption=wide(limits.CAPTION_CHARS),
            credit=wide(limits.CREDIT_CHARS),
            width=100_000,
            height=100_000,
            mimetype=wide(limits.MIMETYPE_CHARS),
        ),
        mentions=Mentions(
            companies=mentions(organisations),
            people=mentions(many),
            places=mentions(many),
            projects=mentions(many),
            subjects=mentions(many),
        ),
        located=wide(ingest_limits.DEFAULT_STRING_CHARS),
        events=mentions(many),
        genres=mentions(many),
        altids=[
            AltId(role=wide(limits.NAME_CHARS), value=wide(limits.ALTID_CHARS - 3) + f"{i:03}") for i in range(many)
        ],
        source_url=url(limits.URL_BYTES),
    )


def full_list(entry: ArticleRecord, length: int = Settings("t", "a").list_length) -> bytes:
    summaries = [article_summary(entry)] * length
    return render(
        ListSnapshot(
            name=f"outlets/{PARTNER_ID}",
            section=section_ref(LONGEST_SLUG),
            outlet=outlet_ref(entry),
            generated_at=NOW,
            items=summaries,
        )
    )


def test_the_largest_article_file_fits_its_maximum() -> None:
    assert len(render(article_snapshot(record(), content()))) <= limits.MAX_ARTICLE_BYTES


def test_sixty_thousand_organisations_do_not_make_a_large_article_file() -> None:
    """The issue's reproduction: 60,000 organisations made a 1.55 MB article file."""
    body = render(article_snapshot(record(), content(organisations=60_000)))
    assert len(body) <= limits.MAX_ARTICLE_BYTES
    assert len(json.loads(body)["mentions"]["companies"]) == limits.MENTIONS_PER_GROUP


def test_the_largest_tombstone_fits_its_maximum() -> None:
    retracted = replace(record(), status=ArticleStatus.RETRACTED)
    assert len(render(tombstone_snapshot(retracted))) <= limits.MAX_TOMBSTONE_BYTES


def test_a_full_list_of_the_largest_entries_fits_its_maximum() -> None:
    assert len(full_list(record())) <= limits.MAX_LIST_BYTES


def test_a_390_kb_headline_is_not_copied_into_latest() -> None:
    """The issue's reproduction: a 390 KB headline was copied whole into latest.json (707 KB with two)."""
    body = full_list(record(headline=wide(100_000)), length=2)
    assert len(body) < 20_000
    assert all(len(item["headline"]) <= limits.SUMMARY_HEADLINE_CHARS for item in json.loads(body)["items"])


def rankings_at_their_largest() -> tuple[bytes, bytes]:
    settings = Settings("t", "a")
    sections = sorted(section_map().sections)
    per_list = settings.trending_list_length
    activity = {}
    for index in range(max(MAX_COUNTED_ARTICLES + 500, per_list * len(sections))):
        article_id = "a" + f"{index:024d}"
        section = sections[index % len(sections)]
        activity[article_id] = ArticleActivity(article_id, section, BIG_COUNT, float(index), 1_000_000_000, NOW)

    def lookup(ids: object) -> dict[str, ListedArticle]:
        assert isinstance(ids, set | frozenset | list | tuple)
        return {
            article_id: ListedArticle(article_id, wide(limits.HEADLINE_CHARS), NOW, activity[article_id].section)
            for article_id in ids
        }

    rankings = build_trending(
        activity,
        lookup,
        now=NOW,
        list_length=per_list,
        min_count=settings.trending_min_count,
        window_hours=settings.trending_window_hours,
        half_life_minutes=settings.trending_half_life_minutes,
    )
    trending, counters = rankings.texts()
    parsed = json.loads(trending)
    assert len(parsed["sections"]) == len(sections)
    assert all(len(lists["most_read"]) == per_list for lists in parsed["sections"].values())
    assert len(parsed["recently_discussed"]) == settings.recent_discussion_list_length
    return trending.encode(), counters.encode()


def test_trending_and_counters_fit_their_maxima_and_one_table_item() -> None:
    trending, counters = rankings_at_their_largest()
    assert len(trending) <= limits.MAX_TRENDING_BYTES
    assert len(counters) <= limits.MAX_COUNTERS_BYTES
    assert len(json.loads(counters)["articles"]) == limits.COUNTED_ARTICLES
    # The TRENDING item stores both texts (and a few small attributes)
    assert len(trending) + len(counters) < DYNAMODB_ITEM_BYTES - 10_000


def test_a_counts_file_fits_its_maximum() -> None:
    from newsdesk.snapshots import CountsSnapshot

    largest = CountsSnapshot(id="a" * 80, views=10**15, comments=10**15, updated_at=NOW)
    assert len(render(largest)) <= limits.MAX_COUNTS_BYTES


@pytest.mark.parametrize("outlets", [1, 1_000])
def test_the_manifest_fits_its_maximum_for_its_number_of_files(outlets: int) -> None:
    lists = ["v1/latest.json", "v1/trending.json", "v1/counters.json", "v1/sections.json"]
    lists += [f"v1/sections/{slug}.json" for slug in section_map().sections]
    lists += [f"v1/outlets/{index:048d}.json" for index in range(outlets)]
    schemas = [f"v1/schemas/{path.stem}.json" for path in SCHEMAS.glob("*.json")]
    manifest = ManifestSnapshot(
        generated_at=NOW,
        entries=[ManifestEntry(path=path, sha256="f" * 64, generated_at=NOW) for path in lists],
        schemas=[SchemaEntry(path=path, sha256="f" * 64) for path in schemas],
    )
    assert len(render(manifest)) <= limits.max_manifest_bytes(len(lists) + len(schemas))


def test_the_section_index_fits_its_maximum() -> None:
    # Eight sections as the config holds, each with the longest slug a path allows and a title at its
    # limit (a longer one is clipped), and the real config
    longest = [f"{index}" + "s" * 79 for index in range(len(section_map().sections))]
    worst = SectionMap(default_section=longest[0], sections={slug: wide(10_000) for slug in longest}, hints={})
    body = render(sections_snapshot(worst))
    assert len(body) <= limits.MAX_SECTIONS_BYTES
    assert all(len(entry["titles"]["ru"]) <= limits.SECTION_TITLE_CHARS for entry in json.loads(body)["sections"])
    assert len(render(sections_snapshot(section_map()))) <= limits.MAX_SECTIONS_BYTES


def test_every_published_schema_fits_its_maximum() -> None:
    files = list(SCHEMAS.glob("*.json"))
    assert files
    assert all(path.stat().st_size <= limits.MAX_SCHEMA_BYTES for path in files)


def test_what_ingest_accepts_is_within_what_publish_keeps() -> None:
    """Clipping at publish is a safety net, not the rule: the ingest limits are no larger."""
    assert ingest_limits.STRING_CHARS["name"] <= limits.NAME_CHARS
    assert ingest_limits.STRING_CHARS["by"] <= limits.BYLINE_CHARS
    assert ingest_limits.STRING_CHARS["copyrightholder"] <= limits.RIGHTS_HOLDER_CHARS
    assert ingest_limits.STRING_CHARS["copyrightnotice"] <= limits.RIGHTS_NOTICE_CHARS
    assert ingest_limits.STRING_CHARS["usageterms"] <= limits.USAGE_TERMS_CHARS
    assert ingest_limits.MAX_BODY_HTML_JSON_BYTES == limits.BODY_HTML_JSON_BYTES
