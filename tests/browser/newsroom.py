"""A small newsroom on a local stack for the browser tests: articles posted through the API,
pictures from a loopback image server, views and comments, and two hand-written hostile files.

Everything is published by the stack itself (stream poller, media, counts, trending on a 1 s
timer); :func:`start_newsroom` returns once the snapshots the tests look at are there.
"""

from __future__ import annotations

import json
import time
import urllib.error
import urllib.request
import uuid
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from dataclasses import dataclass
from datetime import UTC, datetime, timedelta
from pathlib import Path
from typing import Any

import boto3
import pytest

from newsdesk_ops.local_stack import LocalStack
from newsdesk_ops.local_timers import TIMER_SECONDS_ENV
from tests.support.image_server import ImageServer, photo_jpeg

BROWSER_AGENT = "Mozilla/5.0 (X11; Linux x86_64; rv:128.0) Gecko/20100101 Firefox/128.0"
# Bounds, not expectations: alone this takes seconds, but `make test` runs a load test beside it.
WAIT_SECONDS = 60.0
# A list head of 3 stories, so that five stories need paging (the default is 50).
LIST_LENGTH = "3"
MAIN_VIEWS = 7
MAIN_COMMENTS = 5

# Text that would run code if a page inserted it as HTML (CSP would block it too; the tests check
# that it is not even parsed: no element is created from it, and it reads as the characters it is).
HOSTILE = '<img src=x onerror="window.__pwned=1"><script>window.__pwned=2</script> «Ё»'
HOSTILE_ARTICLE_ID = "hostile-page"
HOSTILE_OUTLET_ID = "hostile-outlet"


@dataclass
class Newsroom:
    info: dict[str, str]
    main_id: str
    plain_id: str
    retracted_id: str
    published_ids: list[str]

    @property
    def site_url(self) -> str:
        return self.info["site_url"]

    def snapshot(self, path: str) -> Any:
        """GET a snapshot from the site's origin (``path`` like "v1/latest.json"); None on 404."""
        try:
            with urllib.request.urlopen(self.site_url + path.lstrip("/"), timeout=10) as response:
                return json.loads(response.read())
        except urllib.error.HTTPError as error:
            if error.code == 404:
                return None
            raise


def main_story(images: ImageServer, now: datetime) -> dict[str, Any]:
    """A Cyrillic agency story with everything the article page shows."""
    return {
        "uri": f"urn:newsml:browser.example:{uuid.uuid4().hex}",
        "type": "text",
        "language": "ru",
        "firstcreated": _utc(now - timedelta(minutes=5)),
        "by": "Ирина Белозёрова",
        "located": "Нижний Новгород",
        "headlines": [
            {"role": "main", "value": "«Контур-М» передал заказчику первую партию комплексов «Стриж-М»"},
            {"role": "sub", "value": "Шесть комплексов получили подразделения связи"},
        ],
        "descriptions": [{"role": "summary", "value": "Первая партия серийных комплексов передана досрочно."}],
        "bodies": [
            {
                "contenttype": "text/html",
                "value": "<p>АО «НПО «Контур-М» передало заказчику первую партию серийных комплексов.</p>"
                "<p>«Темп сохраним», — сказал генеральный директор Андрей Ковалёв.</p>",
            }
        ],
        "copyrightholder": "ООО «Оборонные ведомости»",
        "copyrightnotice": "Права на данный материал принадлежат ООО «Оборонные ведомости»",
        "usageterms": "Материал размещён правообладателем в открытом доступе",
        "infosources": [
            {"name": "Оборонные ведомости", "role": "originator", "uri": "https://oboronvedomosti.example/news/strizh"}
        ],
        "organisations": [{"name": "АО «НПО «Контур-М»"}, {"name": "АО «Камский моторный завод»"}],
        "people": [{"name": "Андрей Ковалёв"}],
        "objects": [{"name": "Беспилотный комплекс «Стриж-М»"}],
        "subjects": [{"name": "ОПК"}],
        "associations": [
            {
                "name": "featureimage",
                "type": "picture",
                "uri": "urn:newsml:browser.example:photo",
                "descriptions": [{"role": "caption", "value": "Комплекс «Стриж-М» перед вылетом"}],
                "by": "пресс-служба АО «НПО «Контур-М»",
                "renditions": [
                    {
                        "name": "baseImage",
                        "href": images.add("/strizh.jpg", photo_jpeg(1200, 800, seed=9), "image/jpeg"),
                        "contenttype": "image/jpeg",
                        "width": 1200,
                        "height": 800,
                    }
                ],
            }
        ],
    }


def short_story(headline: str, minutes_ago: int, now: datetime, *, subject: str, body: str = "") -> dict[str, Any]:
    return {
        "uri": f"urn:newsml:browser.example:{uuid.uuid4().hex}",
        "language": "ru",
        "firstcreated": _utc(now - timedelta(minutes=minutes_ago)),
        "headlines": [{"value": headline}],
        "bodies": [{"contenttype": "text/plain", "value": body or f"{headline}. Текст заметки."}],
        "subjects": [{"name": subject}],
    }


def hostile_files() -> dict[str, dict[str, Any]]:
    """An article and an outlet list written straight into the bucket, as no publish would write
    them: every text field hostile, every link a ``javascript:`` URL, scripts in the body."""
    mention = {"name": HOSTILE, "uri": ""}
    article = {
        "schema_version": "v1",
        "kind": "article",
        "id": HOSTILE_ARTICLE_ID,
        "revision": 1,
        "status": "published",
        "headline": "Заголовок " + HOSTILE,
        "subheadline": HOSTILE,
        "lead": HOSTILE,
        "body_html": '<p>Текст</p><script>window.__pwned=4</script><img src="x" onerror="window.__pwned=5">'
        '<a href="javascript:window.__pwned=6">ссылка</a><p onclick="window.__pwned=7">абзац</p>',
        "byline": HOSTILE,
        "language": "ru",
        "section": {"slug": "news", "title": HOSTILE},
        "outlet": {"id": HOSTILE_OUTLET_ID, "name": HOSTILE},
        "sources": [HOSTILE],
        "rights": {"holder": HOSTILE, "notice": HOSTILE, "usage_terms": HOSTILE, "info_url": "javascript:alert(1)"},
        "lead_image": {
            "status": "ready",
            "url": "javascript:window.__pwned=8",
            "width": 10,
            "height": 10,
            "mimetype": "image/jpeg",
            "alt": HOSTILE,
            "caption": HOSTILE,
            "credit": HOSTILE,
            "renditions": [{"url": "/v1/media/x.jpg 1w, javascript:alert(1)", "width": 1, "height": 1, "type": "x"}],
        },
        "mentions": {"companies": [mention], "people": [mention], "places": [mention], "projects": [mention]},
        "located": HOSTILE,
        "source_url": "javascript:window.__pwned=9",
        "ednote": HOSTILE,
        "published_at": "2026-11-30T08:00:00Z",
        "updated_at": "2026-11-30T08:00:00Z",
    }
    teaser = {
        "id": HOSTILE_ARTICLE_ID,
        "revision": 1,
        "headline": HOSTILE,
        "lead": HOSTILE,
        "image_url": "javascript:window.__pwned=10",
        "section": "news",
        "outlet": {"id": HOSTILE_OUTLET_ID, "name": HOSTILE},
        "language": "ru",
        "published_at": "2026-11-30T08:00:00Z",
        "updated_at": "2026-11-30T08:00:00Z",
    }
    outlet_list = {
        "schema_version": "v1",
        "kind": "list",
        "name": f"outlets/{HOSTILE_OUTLET_ID}",
        "section": None,
        "outlet": {"id": HOSTILE_OUTLET_ID, "name": HOSTILE},
        "generated_at": "2026-11-30T08:00:00Z",
        "items": [teaser],
        "older": "javascript:alert(1)",
        "newer": None,
    }
    return {
        f"v1/articles/{HOSTILE_ARTICLE_ID}.json": article,
        f"v1/outlets/{HOSTILE_OUTLET_ID}.json": outlet_list,
    }


@contextmanager
def start_newsroom(state_dir: Path) -> Iterator[Newsroom]:
    with ImageServer() as images, pytest.MonkeyPatch.context() as patch:
        patch.setenv(TIMER_SECONDS_ENV, "1")
        patch.setenv("LIST_LENGTH", LIST_LENGTH)
        # Any origin may POST views (the site's own port is not known before the stack starts).
        overrides = {"MediaFetchAllowlist": images.host_port, "SiteOrigins": "*"}
        # A stack name of its own: moto keeps what earlier stacks of this test process created.
        state_file = state_dir / "local.json"
        stack = LocalStack(state_file=state_file, stack_name="newsdesk-site", parameter_overrides=overrides)
        with stack:
            yield _fill(stack.info, images)


def _fill(info: dict[str, str], images: ImageServer) -> Newsroom:
    api, key = info["api_url"], info["partner_key"]
    now = datetime.now(UTC).replace(microsecond=0)
    plain_id = _post(
        api,
        key,
        short_story(
            "Если 2 < 3, то <b>жирного</b> не будет", 60, now, subject="Экономика", body="Код <script>x()</script>"
        ),
    )
    others = [
        _post(api, key, short_story(headline, minutes, now, subject=subject))
        for headline, minutes, subject in (
            ("Верфь спустила на воду ледокол", 90, "Судостроение"),
            ("Спутник вышел на орбиту", 120, "Космос"),
            ("Завод открыл новый цех", 150, "ОПК"),
        )
    ]
    retracted_id = _post(api, key, short_story("Материал, который отзовут", 10, now, subject="ОПК"))
    main_id = _post(api, key, main_story(images, now))  # posted last: the newest story
    assert _request("DELETE", f"{api}/v1/articles/{retracted_id}", key=key)[0] == 204
    newsroom = Newsroom(info, main_id, plain_id, retracted_id, [main_id, plain_id, *others])

    events = [{"type": "view", "article_id": main_id, "visitor": f"v{n}"} for n in range(MAIN_VIEWS)]
    events += [{"type": "view", "article_id": plain_id, "visitor": f"v{n}"} for n in range(4)]
    assert _request("POST", f"{api}/v1/events", {"events": events}, agent=BROWSER_AGENT)[0] == 202
    comments = [
        {"type": "comments", "article_id": main_id, "count": MAIN_COMMENTS},
        {"type": "comments", "article_id": plain_id, "count": 1},
    ]
    assert _request("POST", f"{api}/v1/events", {"events": comments}, key=info["site_key"])[0] == 202

    s3 = boto3.client("s3")
    for path, document in hostile_files().items():
        body = json.dumps(document, ensure_ascii=False).encode("utf-8")
        s3.put_object(
            Bucket=info["snapshot_bucket"], Key=path, Body=body, ContentType="application/json; charset=utf-8"
        )

    for article_id in newsroom.published_ids:
        _wait(newsroom, f"v1/articles/{article_id}.json", lambda page: page["kind"] == "article", "article file")
    _wait(newsroom, f"v1/articles/{retracted_id}.json", lambda page: page["kind"] == "tombstone", "tombstone")
    _wait(newsroom, f"v1/articles/{main_id}.json", _lead_image_settled, "lead image ready")
    _wait(newsroom, "v1/latest.json", lambda latest: latest["items"][0]["id"] == main_id, "latest.json")
    _wait_for_counts(newsroom)
    _wait(newsroom, "v1/trending.json", lambda trending: _trending_shows(trending, main_id), "trending.json")
    return newsroom


def _lead_image_settled(page: dict[str, Any]) -> bool:
    image = page.get("lead_image") or {}
    return image.get("status", "ready") == "ready"  # snapshots without a status hot-link: nothing to wait for


def _trending_shows(trending: dict[str, Any], article_id: str) -> bool:
    read = any(entry["id"] == article_id for entry in trending["most_read"])
    discussed = "recently_discussed" not in trending or any(
        entry["id"] == article_id for entry in trending["recently_discussed"]
    )
    return read and discussed


def _wait_for_counts(newsroom: Newsroom) -> None:
    """The main story's counts in its counts file (or, where there is none, counters.json)."""

    seen: list[Any] = [None]

    def counted() -> bool:
        counts = newsroom.snapshot(f"v1/counts/{newsroom.main_id}.json")
        if counts is None:
            counts = ((newsroom.snapshot("v1/counters.json") or {}).get("articles") or {}).get(newsroom.main_id)
        seen[0] = counts
        return bool(counts) and (counts["views"], counts["comments"]) == (MAIN_VIEWS, MAIN_COMMENTS)

    _until(counted, lambda: f"views and comments of the main story (last seen: {seen[0]})")


def _wait(newsroom: Newsroom, path: str, condition: Callable[[Any], bool], what: str) -> None:
    _until(lambda: (document := newsroom.snapshot(path)) is not None and condition(document), f"{what} ({path})")


def _until(condition: Callable[[], bool], what: str | Callable[[], str]) -> None:
    deadline = time.monotonic() + WAIT_SECONDS
    while not condition():
        if time.monotonic() > deadline:
            pytest.fail(f"{what() if callable(what) else what}: not published within {WAIT_SECONDS} s")
        time.sleep(0.1)


def _post(api: str, key: str, document: dict[str, Any]) -> str:
    status, answer = _request("POST", f"{api}/v1/articles", document, key=key)
    assert status == 201, answer
    return str(answer["id"])


def _request(
    method: str, url: str, body: Any = None, *, key: str | None = None, agent: str | None = None
) -> tuple[int, Any]:
    headers = {"Content-Type": "application/json"}
    if key:
        headers["Authorization"] = f"Bearer {key}"
    if agent:
        headers["User-Agent"] = agent
    data = None if body is None else json.dumps(body, ensure_ascii=False).encode("utf-8")
    request = urllib.request.Request(url, data=data, headers=headers, method=method)
    try:
        with urllib.request.urlopen(request, timeout=10) as response:
            raw = response.read()
            return response.status, json.loads(raw) if raw else None
    except urllib.error.HTTPError as error:
        return error.code, error.read().decode("utf-8", "replace")


def _utc(moment: datetime) -> str:
    return moment.isoformat().replace("+00:00", "Z")
