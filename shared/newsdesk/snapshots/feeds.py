"""Feeds and the news sitemap, rendered from a list's teasers (docs/snapshots.md, "Feeds").

- RSS 2.0 and Atom of the latest list and of each section list (``v1/feeds/latest.xml`` / ``.atom``,
  ``v1/feeds/sections/{slug}.xml`` / ``.atom``): the list's items, newest first, made with feedgen;
- the Google news sitemap ``v1/sitemap-news.xml`` (lxml): the stories of the last 48 hours, at most 1,000.

Byte-identical for identical state: no time comes from the clock (a feed's ``lastBuildDate``/``updated`` is
the list's ``generated_at``), entries keep the list's order. Text is the plain-text headline and lead,
escaped by lxml; characters XML cannot hold are dropped first (lxml refuses them). Article links are
``{site_url}article.html?id={id}``; an empty ``site_url`` makes them site-root paths (``/article.html?…``).

feedgen and lxml are imported inside the functions, not at the top: the publish function loads this
package on every cold start, and lxml's import costs more than the rest of a batch that writes no feed.
Nothing here talks to AWS.
"""

from __future__ import annotations

import re
from collections.abc import Iterable, Mapping, Sequence
from dataclasses import dataclass
from datetime import UTC, datetime, timedelta
from typing import Any

from newsdesk.snapshots import limits
from newsdesk.snapshots.limits import clip

# A feed of a list that has never had a story still needs a time: the epoch, never the clock.
NO_TIME = datetime(1970, 1, 1, tzinfo=UTC)
SITEMAP_NS = "http://www.sitemaps.org/schemas/sitemap/0.9"
NEWS_NS = "http://www.google.com/schemas/sitemap-news/0.9"
# What XML 1.0 cannot hold (lxml refuses it): controls other than tab and newlines, surrogates, U+FFFE/F.
_NOT_XML = re.compile("[^\t\n\r\u0020-\ud7ff\ue000-\ufffd\U00010000-\U0010ffff]")
_ID = re.compile(r"[a-z0-9][a-z0-9-]{0,79}")
# An absolute http(s) URL with a host and no whitespace, quotes or angle brackets.
_SITE_URL = re.compile(r"https?://[^/\s\"'<>\\@]+(?:/[^\s\"'<>\\]*)?", re.IGNORECASE)


@dataclass(frozen=True)
class FeedItem:
    """What a feed entry shows of a teaser."""

    id: str
    headline: str
    lead: str
    language: str
    published_at: datetime
    updated_at: datetime


@dataclass(frozen=True)
class FeedList:
    """A list as a feed shows it: its name ("latest", "sections/{slug}"), title and items (newest first)."""

    name: str
    title: str
    generated_at: datetime | None
    items: list[FeedItem]


def _time(value: Any) -> datetime | None:
    if not isinstance(value, str):
        return None
    try:
        moment = datetime.fromisoformat(value)
    except ValueError:
        return None
    return moment if moment.tzinfo is not None else None


def feed_items(items: Iterable[Any]) -> list[FeedItem]:
    """The entries of a published list's ``items``, read leniently: a feed does not depend on every
    teaser field (others may come and go), and an entry it cannot read is left out."""
    entries = []
    for item in items:
        if not isinstance(item, Mapping) or not _ID.fullmatch(str(item.get("id", ""))):
            continue
        published, updated = _time(item.get("published_at")), _time(item.get("updated_at"))
        if published is None:
            continue
        entries.append(
            FeedItem(
                id=str(item["id"]),
                headline=_text(item.get("headline"), limits.SUMMARY_HEADLINE_CHARS),
                lead=_text(item.get("lead"), limits.LEAD_CHARS),
                language=_text(item.get("language"), limits.LANGUAGE_CHARS),
                published_at=published,
                updated_at=updated or published,
            )
        )
    return entries


def feed_list(document: Any, name: str) -> FeedList:
    """A published list file (parsed JSON) as a feed shows it; an unreadable one is an empty list."""
    document = document if isinstance(document, Mapping) else {}
    section = document.get("section")
    title = _text(section.get("title"), limits.SECTION_TITLE_CHARS) if isinstance(section, Mapping) else ""
    items = document.get("items")
    return FeedList(
        name=name,
        title=title,
        generated_at=_time(document.get("generated_at")),
        items=feed_items(items if isinstance(items, list) else []),
    )


def _text(value: Any, chars: int) -> str:
    return clip(_NOT_XML.sub("", value), chars) if isinstance(value, str) else ""


def site_base(site_url: str) -> str:
    """Where article links start: the site URL ending in "/", or "/" (site-root paths) without one.

    Only an absolute http(s) URL with a host counts: feed readers follow the links, so a setting such
    as "javascript:…" or "//host/" must never become one (checked before encoding: an environment
    variable with bytes that are not UTF-8 arrives with lone surrogates)."""
    if not site_url or _NOT_XML.search(site_url) or not _SITE_URL.fullmatch(site_url):
        return "/"
    if len(site_url.encode("utf-8")) > limits.SITE_URL_BYTES:
        return "/"
    return site_url if site_url.endswith("/") else f"{site_url}/"


def article_link(site_url: str, article_id: str) -> str:
    return f"{site_base(site_url)}article.html?id={article_id}"


def render_feeds(listing: FeedList, *, site_url: str, site_name: str) -> tuple[bytes, bytes]:
    """The RSS 2.0 and the Atom document of a list."""
    from feedgen.feed import FeedGenerator  # lazily: see the module's docstring

    name = _text(site_name, limits.SITE_NAME_CHARS) or "Newsdesk"
    base = site_base(site_url)
    feed = FeedGenerator()
    feed.id(f"urn:newsdesk:feed:{listing.name}")
    feed.title(f"{name} — {listing.title}" if listing.title else name)
    feed.description(listing.title or name)
    slug = listing.name.removeprefix("sections/")
    feed.link(href=base if listing.name == "latest" else f"{base}section.html?slug={slug}", rel="alternate")
    feed.generator("Newsdesk")
    built = listing.generated_at or NO_TIME
    feed.updated(built)
    feed.lastBuildDate(built)
    for item in listing.items:
        entry = feed.add_entry(order="append")
        link = article_link(site_url, item.id)
        # One id for both formats (feedgen sets Atom's id and RSS's guid together): a URN, since a
        # site-root link is no absolute IRI.
        entry.guid(f"urn:newsdesk:article:{item.id}", permalink=False)
        entry.title(item.headline or item.id)
        entry.link(href=link)
        if item.lead:
            entry.description(item.lead, isSummary=True)
        entry.published(item.published_at)
        entry.pubDate(item.published_at)
        entry.updated(item.updated_at)
    return feed.rss_str(pretty=True), feed.atom_str(pretty=True)


def sitemap_items(pages: Iterable[Sequence[FeedItem]]) -> list[FeedItem]:
    """The stories a news sitemap lists, from the latest list's pages (head, then older pages): the
    ``SITEMAP_WINDOW_HOURS`` before the newest story, at most ``SITEMAP_ENTRIES``, newest first."""
    chosen: dict[str, FeedItem] = {}
    start: datetime | None = None
    for page in pages:
        for item in page:
            start = start or item.published_at - timedelta(hours=limits.SITEMAP_WINDOW_HOURS)
            if item.published_at >= start:
                chosen.setdefault(item.id, item)
        if start is not None and (not page or page[-1].published_at < start):
            break
        if len(chosen) >= limits.SITEMAP_ENTRIES:
            break
    newest = sorted(chosen.values(), key=lambda item: (item.published_at, item.id), reverse=True)
    return newest[: limits.SITEMAP_ENTRIES]


def _language(code: str) -> str:
    # Google wants an ISO 639 code, except zh-cn and zh-tw.
    code = code.lower()
    if code in ("zh-cn", "zh-tw"):
        return code
    primary = code.split("-")[0]
    return primary if re.fullmatch(r"[a-z]{2,3}", primary) else "und"


def render_sitemap(items: Sequence[FeedItem], *, site_url: str, site_name: str) -> bytes:
    """The Google news sitemap of these stories."""
    from lxml import etree  # lazily: see the module's docstring

    name = _text(site_name, limits.SITE_NAME_CHARS) or "Newsdesk"
    root = etree.Element(f"{{{SITEMAP_NS}}}urlset", nsmap={None: SITEMAP_NS, "news": NEWS_NS})
    for item in items:
        url = etree.SubElement(root, f"{{{SITEMAP_NS}}}url")
        etree.SubElement(url, f"{{{SITEMAP_NS}}}loc").text = article_link(site_url, item.id)
        news = etree.SubElement(url, f"{{{NEWS_NS}}}news")
        publication = etree.SubElement(news, f"{{{NEWS_NS}}}publication")
        etree.SubElement(publication, f"{{{NEWS_NS}}}name").text = name
        etree.SubElement(publication, f"{{{NEWS_NS}}}language").text = _language(item.language)
        published = item.published_at.astimezone(UTC).strftime("%Y-%m-%dT%H:%M:%SZ")
        etree.SubElement(news, f"{{{NEWS_NS}}}publication_date").text = published
        etree.SubElement(news, f"{{{NEWS_NS}}}title").text = item.headline or item.id
    body: bytes = etree.tostring(root, xml_declaration=True, encoding="UTF-8", pretty_print=True)
    return body
