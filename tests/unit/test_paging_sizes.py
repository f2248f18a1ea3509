"""The documented maxima of day pages, feeds and the news sitemap (docs/snapshots.md, "Maximum sizes"),
checked by rendering their worst case: every entry at its limit, in the characters that grow most."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta

import pytest

from newsdesk.settings import Settings
from newsdesk.snapshots import limits, render
from newsdesk.snapshots.feeds import FeedItem, FeedList, render_feeds, render_sitemap, sitemap_items
from newsdesk.snapshots.pages import day_pages
from tests.unit.test_file_sizes import LONGEST_SLUG, PARTNER_ID, record, wide

pytestmark = pytest.mark.unit

NOW = datetime(2026, 11, 25, 8, 0, tzinfo=UTC)
# "&" is what XML escaping makes longest ("&amp;", five bytes a character; a 4-byte character stays 4).
ESCAPED = "&"
LONGEST_ID = "a" * 80
SITE_URL = "https://" + ESCAPED * (limits.SITE_URL_BYTES - 9) + "/"


def test_a_full_day_page_with_its_longest_links_fits_its_maximum() -> None:
    # Three full parts of the largest entries; the links rendered are those of parts 1 and 2, so the
    # difference to a six-digit part number (more than a day can hold) is added.
    entry = record()
    pages = day_pages(
        f"v1/outlets/{PARTNER_ID}.json",
        "2026-11-25",
        [entry] * (limits.DAY_PAGE_LENGTH * 3),
        section=LONGEST_SLUG,
        outlet=PARTNER_ID,
        older_day="2026-11-24",
        newer_day="2026-11-26",
    )
    assert all(len(page.items) == limits.DAY_PAGE_LENGTH for page in pages.values())
    largest = max(len(render(page)) for page in pages.values()) + 2 * len(".999999")
    assert largest <= limits.MAX_DAY_PAGE_BYTES, largest


def worst_item(number: int, at: datetime = NOW) -> FeedItem:
    return FeedItem(
        id=f"{number:080d}"[:80] if number else LONGEST_ID,
        headline=ESCAPED * limits.SUMMARY_HEADLINE_CHARS,
        lead=ESCAPED * limits.LEAD_CHARS,
        language="zh-tw",
        published_at=at,
        updated_at=at,
    )


def test_the_largest_feeds_fit_their_maximum() -> None:
    items = [worst_item(number) for number in range(Settings("t", "a").list_length)]
    listing = FeedList(
        name=f"sections/{'s' * 80}", title=ESCAPED * limits.SECTION_TITLE_CHARS, generated_at=NOW, items=items
    )
    rss, atom = render_feeds(listing, site_url=SITE_URL, site_name=wide(limits.SITE_NAME_CHARS))
    assert len(rss) <= limits.MAX_FEED_BYTES, len(rss)
    assert len(atom) <= limits.MAX_FEED_BYTES, len(atom)


def test_the_largest_news_sitemap_fits_its_maximum() -> None:
    # More stories than a sitemap holds, all within the window: it keeps the newest 1,000
    pages = [
        [worst_item(page * 50 + number + 1, NOW - timedelta(seconds=page * 50 + number)) for number in range(50)]
        for page in range(30)
    ]
    items = sitemap_items(pages)
    assert len(items) == limits.SITEMAP_ENTRIES
    body = render_sitemap(items, site_url=SITE_URL, site_name=ESCAPED * limits.SITE_NAME_CHARS)
    assert len(body) <= limits.MAX_SITEMAP_BYTES, len(body)
