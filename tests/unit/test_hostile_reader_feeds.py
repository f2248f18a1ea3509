"""Feeds and the news sitemap against hostile text and settings (issue 9 review, hostile reader):
every document parses with an XML parser whatever the headline, lead, section title or site name
hold, and an article link is an http(s) URL on the site or a site-root path, never anything else."""

from __future__ import annotations

import json
from typing import Any

import pytest
from lxml import etree

from newsdesk.snapshots.feeds import article_link, feed_list, render_feeds, render_sitemap, site_base

pytestmark = pytest.mark.unit

# Everything XML 1.0 cannot hold, and everything that would break out of text or CDATA if unescaped.
HOSTILE = (
    "\x00\x01\x08\x0b\x0c\x1f\x7f\x85\ufffe\uffff\ud800\udfff\U0001fffe"
    "]]><![CDATA[</title><script>&amp;&#0;&#x0b;<!-- --> \u2028«Ё»"
)


def hostile_list() -> Any:
    item = {
        "id": "a-1",
        "headline": HOSTILE,
        "lead": HOSTILE,
        "language": HOSTILE,
        "published_at": "2026-11-30T08:00:00Z",
        "updated_at": "2026-11-30T09:00:00Z",
    }
    # Through JSON, as publish reads the list (lone surrogates survive json.loads)
    document = json.loads(
        json.dumps({"section": {"title": HOSTILE}, "generated_at": "2026-11-30T09:00:00Z", "items": [item]})
    )
    return feed_list(document, "sections/news")


@pytest.mark.parametrize("site_url", ["", "https://news.example/", "https://news.example/\x0b\ud800"])
def test_feeds_and_sitemap_parse_whatever_the_text(site_url: str) -> None:
    listing = hostile_list()
    rss, atom = render_feeds(listing, site_url=site_url, site_name=HOSTILE)
    sitemap = render_sitemap(listing.items, site_url=site_url, site_name=HOSTILE)
    for document in (rss, atom, sitemap):
        root = etree.fromstring(document, etree.XMLParser(resolve_entities=False, no_network=True))
        assert root.xpath("count(//*[local-name()='script'])") == 0
    titles = etree.fromstring(rss).xpath("//item/title/text()")
    assert len(titles) == 1 and "</title><script>" in titles[0] and "«Ё»" in titles[0]


@pytest.mark.parametrize(
    "site_url",
    [
        "javascript:alert(1)//",
        "data:text/html,<script>alert(1)</script>/",
        "//evil.example/",
        "news.example/",
        "https:///nohost/",
        "https://news.example/ x/",
        "https://news.example/\ud800/",
    ],
)
def test_a_site_url_that_is_no_http_url_gives_site_root_links(site_url: str) -> None:
    assert site_base(site_url) == "/"
    assert article_link(site_url, "abc") == "/article.html?id=abc"
