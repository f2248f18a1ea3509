"""The reference site (site/) in chromium against a local stack: every page shows what the
snapshots it read say, data never becomes markup, and the pages fit a phone.

Each check compares the page with the very files the page fetched (captured from its network
responses), so a rankings update between two reads cannot make a test flaky.
"""

from __future__ import annotations

import json
import re
from collections.abc import Iterator
from dataclasses import dataclass, field
from typing import Any
from urllib.parse import quote, urlsplit
from zoneinfo import ZoneInfo

import pytest

from tests.browser.newsroom import (
    HOSTILE,
    HOSTILE_ARTICLE_ID,
    HOSTILE_OUTLET_ID,
    MAIN_COMMENTS,
    MAIN_VIEWS,
    Newsroom,
    start_newsroom,
)
from tests.browser.screenshots import screenshot

pytestmark = pytest.mark.browser

MOSCOW = ZoneInfo("Europe/Moscow")  # the site's time zone (site/js/config.js)
DESKTOP = {"width": 1280, "height": 900}
PHONE = {"width": 390, "height": 844}
SIDEBAR_BLOCKS = (
    ("recently-discussed", "recently_discussed"),
    ("most-read", "most_read"),
    ("most-discussed", "most_discussed"),
)


@pytest.fixture(scope="module")
def newsroom(tmp_path_factory: pytest.TempPathFactory) -> Iterator[Newsroom]:
    with start_newsroom(tmp_path_factory.mktemp("site")) as room:
        yield room


@dataclass
class Visit:
    page: Any
    snapshots: dict[str, Any] = field(default_factory=dict)  # "/v1/latest.json" -> what the page got
    errors: list[str] = field(default_factory=list)
    requests: list[Any] = field(default_factory=list)

    def texts(self, selector: str) -> list[str]:
        return [text.strip() for text in self.page.locator(selector).all_text_contents()]

    def text(self, selector: str) -> str:
        return str(self.page.locator(selector).inner_text()).strip()

    def content(self, selector: str) -> str:
        """The element's text as in the DOM (``text`` is as rendered, e.g. after CSS upper-casing)."""
        return str(self.page.locator(selector).text_content()).strip()

    def attribute(self, selector: str, name: str) -> str | None:
        value = self.page.locator(selector).get_attribute(name)
        return None if value is None else str(value)


@pytest.fixture
def visit(browser: Any, newsroom: Newsroom) -> Iterator[Any]:
    """Open a page of the site in a fresh context; wait until the page says it is complete."""
    contexts: list[Any] = []

    def open_page(path: str, *, viewport: dict[str, int] = DESKTOP, mobile: bool = False) -> Visit:
        context = browser.new_context(
            viewport=viewport, is_mobile=mobile, device_scale_factor=2 if mobile else 1, locale="ru-RU"
        )
        contexts.append(context)
        page = context.new_page()
        result = Visit(page)
        responses: list[Any] = []
        page.on("response", lambda response: responses.append(response))
        page.on("request", lambda request: result.requests.append(request))
        page.on("pageerror", lambda error: result.errors.append(str(error)))
        page.on("console", lambda message: message.type == "error" and result.errors.append(message.text))
        page.goto(newsroom.site_url + path)
        page.wait_for_selector("#content[aria-busy=false]")
        page.wait_for_selector("#sidebar[aria-busy=false]", state="attached")
        if page.locator("#counters").count():
            page.wait_for_selector("#counters:not([hidden])")
        for response in responses:
            address = urlsplit(response.url).path
            if address.startswith("/v1/") and address.endswith(".json") and response.status == 200:
                result.snapshots[address] = response.json()
        return result

    yield open_page
    for context in contexts:
        context.close()


def moscow_time(iso_text: str) -> str:
    """ "HH:MM" in Moscow: every time the site shows ends with it."""
    from datetime import datetime

    return datetime.fromisoformat(iso_text.replace("Z", "+00:00")).astimezone(MOSCOW).strftime("%H:%M")


def test_front_page_shows_the_latest_stories_the_sections_and_the_sidebar(visit: Any, newsroom: Newsroom) -> None:
    front = visit("")
    latest = front.snapshots["/v1/latest.json"]
    sections = front.snapshots["/v1/sections.json"]
    trending = front.snapshots["/v1/trending.json"]

    # The section navigation: every section of sections.json, in its order, with its Russian title
    assert front.texts("#sections-nav a") == ["Все новости"] + [s["titles"]["ru"] for s in sections["sections"]]
    assert front.attribute("#sections-nav a >> nth=1", "href") == f"section.html?slug={sections['sections'][0]['slug']}"

    # The newest stories, in the list's order, linked to their pages
    items = latest["items"][:20]
    assert front.texts(".teaser__headline a") == [item["headline"] for item in items]
    assert items[0]["id"] == newsroom.main_id
    links = front.page.locator(".teaser__headline a")
    assert [links.nth(n).get_attribute("href") for n in range(len(items))] == [
        f"article.html?id={item['id']}" for item in items
    ]
    teaser_times = front.page.locator(".teaser time")
    assert [teaser_times.nth(n).get_attribute("datetime") for n in range(len(items))] == [
        item["published_at"] for item in items
    ]
    assert front.texts(".teaser time")[0].endswith(moscow_time(items[0]["published_at"]))
    with_images = [item["image_url"] for item in items if item.get("image_url")]
    assert front.page.locator(".teaser__image img").evaluate_all(
        "images => images.map(i => i.getAttribute('src'))"
    ) == (with_images)
    assert (front.page.locator(".paging__older").count() == 1) == bool(latest.get("older") or len(latest["items"]) > 20)

    # The sidebar: each trending list as time, headline and count; a list the file lacks is not shown
    for block, key in SIDEBAR_BLOCKS:
        entries = (trending.get(key) or [])[:8]
        selector = f".sidebar-block--{block}"
        if not entries:
            assert front.page.locator(selector).count() == 0, block
            continue
        assert front.texts(f"{selector} .sidebar-entry__headline") == [entry["headline"] for entry in entries]
        assert front.texts(f"{selector} .sidebar-entry__count") == [str(entry["count"]) for entry in entries]
        times = front.page.locator(f"{selector} time")
        assert [times.nth(n).get_attribute("datetime") for n in range(len(entries))] == [
            entry["published_at"] for entry in entries
        ]
    assert front.text(".sidebar-block--most-read .sidebar-block__title") == "Самое читаемое"
    main_read = next(entry for entry in trending["most_read"] if entry["id"] == newsroom.main_id)
    assert main_read["count"] == MAIN_VIEWS
    if "recently_discussed" in trending:
        assert front.text(".sidebar-block--recently-discussed .sidebar-block__title") == "Обсуждаемое"
        discussed = {entry["id"]: entry["count"] for entry in trending["recently_discussed"]}
        assert (discussed[newsroom.main_id], discussed[newsroom.plain_id]) == (MAIN_COMMENTS, 1)
    assert front.errors == []
    print(screenshot(front.page, "front-page"))


def test_article_page_shows_the_story_its_picture_rights_mentions_and_counts(visit: Any, newsroom: Newsroom) -> None:
    page = visit(f"article.html?id={newsroom.main_id}")
    article = page.snapshots[f"/v1/articles/{newsroom.main_id}.json"]
    assert article["kind"] == "article"

    assert page.page.title() == f"{article['headline']} — Newsdesk"
    assert page.text("h1") == article["headline"] == "«Контур-М» передал заказчику первую партию комплексов «Стриж-М»"
    assert page.text(".article__subheadline") == article["subheadline"]
    assert page.text(".article__section a") == article["section"]["title"] == "ОПК"
    assert page.text(".article__byline span") == article["byline"] == "Ирина Белозёрова"
    assert page.text(".article__times time >> nth=0").endswith(moscow_time(article["published_at"]))

    # The source outlet, linked to its list, and the original story when the snapshot has its URL
    assert page.text(".article__outlet") == article["outlet"]["name"]
    assert page.attribute(".article__outlet", "href") == f"section.html?outlet={article['outlet']['id']}"
    if article.get("source_url"):
        assert page.attribute(".article__original", "href") == article["source_url"]
    if article.get("located"):
        assert page.content(".article__dateline") == article["located"]

    # The lead picture: our renditions in srcset (WebP in a <source>), caption and credit
    image = article["lead_image"]
    assert page.text(".figure--lead .figure__caption-text") == image["caption"] == "Комплекс «Стриж-М» перед вылетом"
    assert page.text(".figure--lead .figure__credit") == "Источник: пресс-служба АО «НПО «Контур-М»"
    lead = page.page.locator(".figure--lead img")
    lead.scroll_into_view_if_needed()
    page.page.wait_for_function("() => document.querySelector('.figure--lead img').naturalWidth > 0")
    jpegs = [r for r in image.get("renditions", []) if r["type"] == "image/jpeg"]
    if jpegs:
        assert lead.get_attribute("srcset") == ", ".join(f"{r['url']} {r['width']}w" for r in jpegs)
        webps = [r for r in image["renditions"] if r["type"] == "image/webp"]
        assert page.attribute(".figure--lead source", "srcset") == ", ".join(f"{r['url']} {r['width']}w" for r in webps)
        assert urlsplit(str(lead.evaluate("img => img.currentSrc"))).path.startswith("/v1/media/")
    else:
        assert lead.get_attribute("src") == image["url"]

    # The body (sanitized HTML), the rights statement, the mentions
    assert "передало заказчику первую партию" in page.text(".article__body")
    rights = article["rights"]
    assert page.text(".rights__statement") == f"Права на данный материал принадлежат {rights['holder']}"
    assert (
        page.text(".rights__terms") == rights["usage_terms"] == "Материал размещён правообладателем в открытом доступе"
    )
    for group in ("companies", "people", "projects"):
        names = [mention["name"] for mention in article["mentions"][group]]
        assert names, group
        assert page.texts(f".mentions__list--{group} li") == names
    assert page.texts(".mentions dt")[:3] == ["Компании", "Персоны", "Проекты"]

    # Views and comments from the counts file (or counters.json before there is one)
    counts = (
        page.snapshots.get(f"/v1/counts/{newsroom.main_id}.json")
        or page.snapshots["/v1/counters.json"]["articles"][newsroom.main_id]
    )
    assert (counts["views"], counts["comments"]) == (MAIN_VIEWS, MAIN_COMMENTS)
    assert page.text("#views .counter__value") == str(MAIN_VIEWS)
    assert page.text("#views .counter__label") == "просмотров"
    assert page.text("#comments .counter__value") == str(MAIN_COMMENTS)
    assert page.text("#comments .counter__label") == "комментариев"

    # The page counts the reader's view on the API that config.json names
    events_url = newsroom.info["api_url"] + "/v1/events"
    for _ in range(100):
        views = [r for r in page.requests if r.url == events_url and r.method == "POST"]
        if views:
            break
        page.page.wait_for_timeout(50)
    assert len(views) == 1
    (event,) = json.loads(views[0].post_data)["events"]
    assert (event["type"], event["article_id"]) == ("view", newsroom.main_id)
    assert re.fullmatch("[0-9a-f]{32}", event["visitor"])
    assert views[0].response().status == 202  # (HeadlessChrome is no reader: the API ignores the view)
    assert page.errors == []
    print(screenshot(page.page, "article-page"))


def test_list_pages_show_their_section_and_page_back_to_older_stories(visit: Any, newsroom: Newsroom) -> None:
    # A section page: the section's title and stories
    section = visit("section.html?slug=defence-industry")
    listed = section.snapshots["/v1/sections/defence-industry.json"]
    assert section.text("h1") == "ОПК"
    assert section.texts(".teaser__headline a") == [item["headline"] for item in listed["items"]]
    assert section.attribute('#sections-nav a[aria-current="page"]', "href") == "section.html?slug=defence-industry"

    # Every story, newest first; a head list of 3 (LIST_LENGTH) with five stories links older ones
    head = visit("section.html")
    latest = head.snapshots["/v1/latest.json"]
    assert head.text("h1") == "Все новости"
    assert head.texts(".teaser__headline a") == [item["headline"] for item in latest["items"]]
    if latest.get("older") is None:
        assert head.page.locator(".paging__older").count() == 0
        return
    older = latest["older"]
    assert head.attribute(".paging__older", "href") == f"section.html?page={quote(older, safe='')}"
    head.page.click(".paging__older")
    head.page.wait_for_url("**page=*")
    head.page.wait_for_selector("#content[aria-busy=false]")
    page_two = head.page.evaluate(f"fetch({older!r}).then(response => response.json())")
    assert head.texts(".teaser__headline a") == [item["headline"] for item in page_two["items"]]
    assert head.page.locator(".paging__head").count() == 1
    assert (head.page.locator(".paging__newer").count() == 1) == bool(page_two.get("newer"))
    print(screenshot(head.page, "list-older-page"))


def test_a_retracted_story_shows_a_tombstone(visit: Any, newsroom: Newsroom) -> None:
    page = visit(f"article.html?id={newsroom.retracted_id}")
    tombstone = page.snapshots[f"/v1/articles/{newsroom.retracted_id}.json"]
    assert tombstone["kind"] == "tombstone"
    assert page.text("h1") == "Материал снят с публикации"
    assert "Материал, который отзовут" not in page.text("#content")
    assert page.attribute('meta[name="robots"]', "content") == "noindex"

    missing = visit("article.html?id=no-such-story")
    assert missing.text("h1") == "Материал не найден"


def test_text_from_the_snapshots_never_becomes_markup(visit: Any, newsroom: Newsroom) -> None:
    # A hand-written article file with hostile text in every field and javascript: links
    page = visit(f"article.html?id={HOSTILE_ARTICLE_ID}")
    assert page.text("h1") == "Заголовок " + HOSTILE
    assert page.text(".article__byline span") == HOSTILE
    assert page.text(".article__subheadline") == HOSTILE
    assert page.text(".figure__caption-text") if page.page.locator(".figure").count() else True
    assert page.text(".rights__statement") == "Права на данный материал принадлежат " + HOSTILE
    assert set(page.texts(".mentions li")) == {HOSTILE}
    assert page.text(".article__ednote").endswith(HOSTILE)
    assert_nothing_ran(page)
    # The body is HTML, but only what the allowlist allows survives even a file publish never wrote
    assert page.page.locator(".article__body a").get_attribute("href") is None
    assert page.text(".article__body").split() == ["Текст", "ссылка", "абзац"]
    print(screenshot(page.page, "hostile-article"))

    # A list whose teaser is hostile, with a javascript: paging link
    listing = visit(f"section.html?outlet={HOSTILE_OUTLET_ID}")
    assert listing.text("h1") == HOSTILE
    assert listing.texts(".teaser__headline a") == [HOSTILE]
    assert listing.page.locator(".teaser img, .paging__older").count() == 0
    assert_nothing_ran(listing)

    # Through the API: markup in a headline or a plain-text body arrives as text and stays text
    plain = visit(f"article.html?id={newsroom.plain_id}")
    article = plain.snapshots[f"/v1/articles/{newsroom.plain_id}.json"]
    assert "<" in article["headline"] and "&lt;script&gt;" in article["body_html"]
    assert plain.text("h1") == article["headline"]
    assert "Код <script>x()</script>" in plain.text(".article__body")
    assert_nothing_ran(plain)


def assert_nothing_ran(visit: Visit) -> None:
    page = visit.page
    assert page.evaluate("window.__pwned") is None
    assert page.locator("#content script, #content [onerror], #content [onclick], #content iframe").count() == 0
    assert page.locator('#content [href^="javascript:"], #content [src^="javascript:"]').count() == 0


def test_pages_fit_a_phone_screen(visit: Any, newsroom: Newsroom) -> None:
    for path, name in (("", "phone-front-page"), (f"article.html?id={newsroom.main_id}", "phone-article-page")):
        phone = visit(path, viewport=PHONE, mobile=True)
        # Nothing wider than the screen (no sideways scrolling), the sidebar below the content
        assert phone.page.evaluate("document.documentElement.scrollWidth") <= PHONE["width"]
        content, sidebar = phone.page.locator("#content").bounding_box(), phone.page.locator("#sidebar").bounding_box()
        assert sidebar["y"] >= content["y"] + content["height"]
        assert (
            phone.page.locator('meta[name="viewport"]').get_attribute("content")
            == "width=device-width, initial-scale=1"
        )
        if name == "phone-article-page":
            phone.page.wait_for_function("() => document.querySelector('.figure--lead img').naturalWidth > 0")
        print(screenshot(phone.page, name, full_page=name == "phone-front-page"))
