"""Day pages and feed paths without AWS: parts, links, paths and content types (docs/snapshots.md,
"Paging" and "Feeds")."""

from __future__ import annotations

from dataclasses import replace
from datetime import UTC, datetime, timedelta

import pytest

from newsdesk.snapshots import limits
from newsdesk.snapshots.feeds import article_link, site_base
from newsdesk.snapshots.pages import day_pages
from newsdesk.snapshots.paths import content_type_for, day_page_path, day_pages_folder, feed_paths
from publish.feeds import has_feeds
from tests.unit.test_file_sizes import record

pytestmark = pytest.mark.unit

DAY = datetime(2026, 11, 25, tzinfo=UTC)


def stories(count: int) -> list[object]:
    base = record()
    return [
        replace(base, article_id=f"a{number:03d}", published_at=DAY + timedelta(minutes=number))
        for number in range(count)
    ]


def ids(page: object) -> list[str]:
    return [item.id for item in page.items]  # type: ignore[attr-defined]


def test_a_day_within_one_page_is_its_entry_page_linking_the_neighbouring_days() -> None:
    pages = day_pages(
        "v1/latest.json",
        "2026-11-25",
        stories(3),  # type: ignore[arg-type]
        section=None,
        outlet=None,
        older_day="2026-11-20",
        newer_day=None,
    )
    assert list(pages) == ["v1/latest/2026-11-25.json"]
    page = pages["v1/latest/2026-11-25.json"]
    assert ids(page) == ["a002", "a001", "a000"] and page.name == "latest/2026-11-25"
    assert page.older == "/v1/latest/2026-11-20.json" and page.newer is None


def test_parts_are_counted_from_the_first_story_and_the_entry_page_holds_the_newest(
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    monkeypatch.setattr(limits, "DAY_PAGE_LENGTH", 2)
    pages = day_pages(
        "v1/sections/news.json",
        "2026-11-25",
        stories(5),  # type: ignore[arg-type]
        section="news",
        outlet=None,
        older_day="2026-11-24",
        newer_day="2026-11-26",
        leftovers=["v1/sections/news/2026-11-25.7.json"],
    )
    part1, part2, entry = (
        pages["v1/sections/news/2026-11-25.1.json"],
        pages["v1/sections/news/2026-11-25.2.json"],
        pages["v1/sections/news/2026-11-25.json"],
    )
    assert (ids(part1), ids(part2), ids(entry)) == (["a001", "a000"], ["a003", "a002"], ["a004"])
    assert part1.older == "/v1/sections/news/2026-11-24.json" and part1.newer == "/v1/sections/news/2026-11-25.2.json"
    assert part2.older == "/v1/sections/news/2026-11-25.1.json" and part2.newer == "/v1/sections/news/2026-11-25.json"
    assert entry.older == "/v1/sections/news/2026-11-25.2.json" and entry.newer == "/v1/sections/news/2026-11-26.json"
    # A part the day no longer fills is an empty page leading to the day's entry page
    leftover = pages["v1/sections/news/2026-11-25.7.json"]
    assert leftover.items == [] and leftover.newer == "/v1/sections/news/2026-11-25.json"


def test_an_empty_day_is_an_empty_entry_page_between_its_neighbours() -> None:
    pages = day_pages(
        "v1/outlets/tt.json",
        "2026-11-25",
        [],
        section=None,
        outlet="tt",
        older_day="2026-11-01",
        newer_day="2026-12-01",
    )
    page = pages["v1/outlets/tt/2026-11-25.json"]
    assert page.items == [] and page.generated_at is None and page.outlet is not None and page.outlet.id == "tt"
    assert (page.older, page.newer) == ("/v1/outlets/tt/2026-11-01.json", "/v1/outlets/tt/2026-12-01.json")


def test_paths_folders_and_content_types() -> None:
    assert day_page_path("v1/latest.json", "2026-11-25") == "v1/latest/2026-11-25.json"
    assert day_page_path("v1/outlets/tt.json", "2026-11-25", 3) == "v1/outlets/tt/2026-11-25.3.json"
    with pytest.raises(ValueError):
        day_page_path("v1/latest.json", "../x")
    assert day_pages_folder("v1/sections/news/2026-11-25.2.json") == "v1/sections/news"
    assert day_pages_folder("v1/latest/2026-11-25.json") == "v1/latest"
    assert day_pages_folder("v1/sections/news.json") is None and day_pages_folder("v1/articles/x.json") is None
    assert feed_paths("v1/sections/news.json") == ("v1/feeds/sections/news.xml", "v1/feeds/sections/news.atom")
    assert content_type_for("v1/feeds/latest.xml") == "application/rss+xml; charset=utf-8"
    assert content_type_for("v1/feeds/latest.atom") == "application/atom+xml; charset=utf-8"
    assert content_type_for("v1/sitemap-news.xml") == "application/xml; charset=utf-8"
    assert content_type_for("v1/latest/2026-11-25.json") == "application/json; charset=utf-8"
    assert has_feeds("v1/latest.json") and has_feeds("v1/sections/news.json")
    assert not has_feeds("v1/outlets/tt.json") and not has_feeds("v1/sections/news/2026-11-25.json")


def test_article_links_start_at_the_site_url_or_the_site_root() -> None:
    assert article_link("", "abc") == "/article.html?id=abc"
    assert article_link("https://news.example", "abc") == "https://news.example/article.html?id=abc"
    assert article_link("https://news.example/ru/", "abc") == "https://news.example/ru/article.html?id=abc"
    assert site_base("https://" + "x" * limits.SITE_URL_BYTES) == "/"
