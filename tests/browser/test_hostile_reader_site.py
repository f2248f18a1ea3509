"""The reference site against hand-written hostile snapshot files (issue 9 review, hostile reader).

No local stack: the real site/ folder is served by the local site server (newsdesk_ops.site) with
/v1/* from a dict of files, so each case is exactly the file a copy of the site could be pointed at.
Every request the page makes is recorded: nothing may leave the site's origin.
"""

from __future__ import annotations

import json
from collections.abc import Iterator
from datetime import UTC, datetime
from typing import Any
from urllib.parse import urlsplit

import pytest

from newsdesk_ops.site import SiteServer

pytestmark = pytest.mark.browser

ARTICLE_ID = "hostile-body"
EVIL = "evil.example"
# A body publish never writes: markup the sanitizer's allowlist refuses, but that does not run code.
HOSTILE_BODY = (
    '<p id="counters" class="site-header" name="x">Текст</p>'
    # <img name=…> would shadow document.getElementById / createElement (DOM clobbering)
    '<img name="getElementById" src="/v1/media/a.jpg" alt="">'
    '<img name="createElement" id="createTextNode" src="/v1/media/b.jpg" alt="">'
    # Off-site through a backslash or a tab, which browsers read as "//evil.example"
    f'<a href="/\\{EVIL}/x" ping="https://{EVIL}/ping">ссылка</a>'
    f'<a href="/\t/{EVIL}/y">вторая</a>'
    f'<img src="/\\{EVIL}/c.jpg" alt="">'
    f'<img src="/v1/media/d.jpg" srcset="//{EVIL}/d.jpg 1x, /\\{EVIL}/e.jpg 2x" alt="">'
    f'<span data-x="1" aria-label="a" title="ok">абзац</span>'
    # What publish does write stays as it is
    '<h2>Раздел</h2><p>Ещё <a href="https://partner.example/p" rel="noopener noreferrer nofollow">источник</a>, '
    '<a href="mailto:desk@partner.example">почта</a></p>'
    '<img class="ours" src="/v1/media/x/k-640.jpg" srcset="/v1/media/x/k-320.jpg 320w, /v1/media/x/k-640.jpg 640w" '
    'width="640" height="427" alt="Цех" loading="lazy">'
)
TEASER = {
    "id": ARTICLE_ID,
    "revision": 1,
    "headline": "Тизер",
    "lead": "",
    "image_url": f"/\\{EVIL}/teaser.jpg",
    "section": None,
    "outlet": {"id": "o", "name": "О"},
    "language": "ru",
    "published_at": "2026-11-30T08:00:00Z",
    "updated_at": "2026-11-30T08:00:00Z",
}
FILES: dict[str, Any] = {
    f"v1/articles/{ARTICLE_ID}.json": {
        "kind": "article",
        "id": ARTICLE_ID,
        "headline": "Заголовок",
        "body_html": HOSTILE_BODY,
        "published_at": "2026-11-30T08:00:00Z",
        "updated_at": "2026-11-30T08:00:00Z",
        "lead_image": None,
        "language": "ru",
        "outlet": {"id": "o", "name": "О"},
        "source_url": f"/\\{EVIL}/original",
    },
    f"v1/counts/{ARTICLE_ID}.json": {"kind": "counts", "id": ARTICLE_ID, "views": 7, "comments": 3},
    "v1/latest.json": {"kind": "list", "items": [TEASER], "older": None, "newer": None},
    # A tombstone whose reason and status name properties every JavaScript object has
    "v1/articles/odd-tombstone.json": {
        "kind": "tombstone",
        "id": "odd-tombstone",
        "status": "toString",
        "reason": "constructor",
    },
}


class DictSnapshots:
    """What SiteServer uses of SnapshotServer, from FILES."""

    bucket = "hostile"

    def fetch(self, key: str, *, with_body: bool) -> dict[str, Any] | None:
        if key.endswith((".jpg", ".webp")):
            body = b""
        elif key in FILES:
            body = json.dumps(FILES[key], ensure_ascii=False).encode("utf-8")
        else:
            return None
        return {
            "Body": body if with_body else b"",
            "ContentLength": len(body),
            "ContentType": "image/jpeg" if key.endswith(".jpg") else "application/json; charset=utf-8",
            "ETag": f'"{len(body)}"',
            "LastModified": datetime(2026, 11, 30, 8, 0, tzinfo=UTC),
        }


@pytest.fixture(scope="module")
def site_url() -> Iterator[str]:
    server = SiteServer(DictSnapshots())  # type: ignore[arg-type, unused-ignore]
    url = server.start(0)
    try:
        yield url
    finally:
        server.stop()


@pytest.fixture
def visit(browser: Any, site_url: str) -> Iterator[Any]:
    contexts: list[Any] = []

    def open_page(path: str) -> tuple[Any, list[str], list[str]]:
        context = browser.new_context(locale="ru-RU")
        contexts.append(context)
        page = context.new_page()
        page.set_default_timeout(10_000)
        requests: list[str] = []
        errors: list[str] = []
        page.on("request", lambda request: requests.append(request.url))
        page.on("pageerror", lambda error: errors.append(str(error)))
        page.goto(site_url + path)
        page.wait_for_selector("#content[aria-busy=false]")
        return page, requests, errors

    yield open_page
    for context in contexts:
        context.close()


def off_site(urls: list[str], site_url: str) -> list[str]:
    origin = urlsplit(site_url).netloc
    return [url for url in urls if urlsplit(url).netloc not in ("", origin)]


def test_a_hostile_body_neither_clobbers_the_page_nor_reaches_another_site(visit: Any, site_url: str) -> None:
    page, requests, errors = visit(f"article.html?id={ARTICLE_ID}")
    # The counters are filled after the body is in the page: with document.getElementById shadowed
    # by an <img name>, they would stay hidden.
    page.wait_for_selector("#counters:not([hidden])", timeout=5000)
    assert page.locator("#views .counter__value").inner_text() == "7"
    assert page.evaluate("typeof document.getElementById") == "function"
    assert page.evaluate("typeof document.createElement") == "function"
    body = page.locator(".article__body")
    # Only the attributes publish ever writes survive: no id, name, class, ping, data-*
    for attribute in ("id", "name", "class", "ping", "data-x"):
        assert body.locator(f"[{attribute}]").count() == 0, attribute
    # A path never leads to another site (a partner's absolute link is a link, as published), and
    # every picture is the site's own
    hrefs = page.eval_on_selector_all("#content a[href]", "nodes => nodes.map(n => n.href)")
    sources = page.eval_on_selector_all("#content img", "nodes => nodes.map(n => n.currentSrc || n.src)")
    srcsets = page.eval_on_selector_all("#content img[srcset]", "nodes => nodes.map(n => n.srcset)")
    assert [href for href in hrefs if urlsplit(href).hostname == EVIL] == []
    assert off_site(sources, site_url) == []
    assert all(EVIL not in value for value in srcsets)
    page.wait_for_function("[...document.images].every((image) => image.complete)")
    assert off_site(requests, site_url) == []
    assert errors == []
    # ... while what publish writes is kept
    assert body.locator("h2").inner_text() == "Раздел"
    assert body.locator('a[href="https://partner.example/p"]').get_attribute("rel") == "noopener noreferrer"
    assert body.locator('a[href="mailto:desk@partner.example"]').count() == 1
    ours = body.locator('img[src="/v1/media/x/k-640.jpg"]')
    assert ours.get_attribute("srcset") == "/v1/media/x/k-320.jpg 320w, /v1/media/x/k-640.jpg 640w"
    assert (ours.get_attribute("width"), ours.get_attribute("height"), ours.get_attribute("alt")) == (
        "640",
        "427",
        "Цех",
    )
    assert ours.get_attribute("sizes")


def test_a_teaser_picture_path_with_a_backslash_does_not_load_from_another_site(visit: Any, site_url: str) -> None:
    page, requests, errors = visit("")
    assert page.locator(".teaser__headline a").inner_text() == "Тизер"
    sources = page.eval_on_selector_all("img", "nodes => nodes.map(n => n.src)")
    assert off_site(sources, site_url) == []
    page.wait_for_function("[...document.images].every((image) => image.complete)")
    assert off_site(requests, site_url) == []
    assert errors == []


def test_a_tombstone_reason_that_names_an_object_property_shows_no_code(visit: Any) -> None:
    page, _, errors = visit("article.html?id=odd-tombstone")
    assert page.locator("h1").inner_text() == "Материал снят с публикации"
    assert "function" not in page.locator("#content").inner_text()
    assert errors == []
