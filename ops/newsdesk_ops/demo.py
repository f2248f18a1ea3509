"""The demo newsroom ``make run`` loads on first start, so the reference site has something to show.

On a stack whose table has no articles yet, it creates the outlets of
:mod:`newsdesk_ops.demo_stories` as partners (with keys, like ``newsdesk partners add``), posts
their stories through the real partner API (``POST /v1/articles`` over HTTP, as a partner's
system would), with pictures drawn locally (:mod:`newsdesk_ops.demo_images`) and served from a
loopback image server that the media function is allowed to fetch from (``MediaFetchAllowlist``).
Then a gentle stream of readers' views and the comment service's counts goes to
``POST /v1/events`` so that "most read", "most discussed" and "Обсуждаемое" move while you watch.

``make run DEMO=0`` or ``NEWSDESK_NO_DEMO=1`` skips it. Everything runs in one daemon thread;
a failure is logged and never stops the stack.
"""

from __future__ import annotations

import json
import logging
import os
import random
import threading
import time
import urllib.error
import urllib.request
import uuid
from collections.abc import Mapping
from dataclasses import dataclass
from datetime import UTC, datetime, timedelta
from typing import Any

import boto3

from newsdesk.dal.partners import PartnerStore
from newsdesk.partners import PartnerAlreadyExists, derive_partner_id
from newsdesk_ops.demo_images import PictureServer, picture_jpeg
from newsdesk_ops.demo_stories import OUTLETS, STORIES, USAGE_TERMS_EN, USAGE_TERMS_RU, Outlet, Picture, Story

log = logging.getLogger(__name__)

NO_DEMO_ENV = "NEWSDESK_NO_DEMO"
# Readers' views count only from a browser's User-Agent (docs/engagement.md, "Who is a reader").
READER_AGENT = "Mozilla/5.0 (X11; Linux x86_64; rv:128.0) Gecko/20100101 Firefox/128.0"
# One tick of the stream every few seconds: a few views, now and then a new comment count.
TICK_SECONDS = 3.0
HTTP_TIMEOUT_SECONDS = 10.0


def demo_enabled(environment: Mapping[str, str] = os.environ) -> bool:
    """False when NEWSDESK_NO_DEMO is set to anything but "", "0" or "false"."""
    return environment.get(NO_DEMO_ENV, "").strip().lower() in ("", "0", "false", "no")


@dataclass(frozen=True)
class Posted:
    article_id: str
    story: Story


class DemoNewsroom:
    """Pictures on loopback, then stories and a stream of engagement; ``stop()`` ends it all.

    Start the image server before the stack (its address goes into the stack's parameters), then
    hand the running stack's connection details to :meth:`start`::

        demo = DemoNewsroom()
        stack = LocalStack(parameter_overrides={**overrides, **demo.start_images()})
        info = stack.start()
        demo.start(info)
    """

    def __init__(self, seed: int = 9) -> None:
        self._images = PictureServer()
        self._random = random.Random(seed)
        self._stop = threading.Event()
        self._thread: threading.Thread | None = None

    def start_images(self) -> dict[str, str]:
        """Serve every story's pictures; returns the stack parameter that lets media fetch them."""
        self._images.start()
        return {"MediaFetchAllowlist": self._images.host_port}

    def picture_url(self, story: Story, picture: Picture, name: str) -> str:
        """Draw ``picture`` (once) and return where the image server serves it."""
        path = f"/demo/{story.slug}-{name}.jpg"
        return self._images.add(path, picture_jpeg(picture.label, picture.colours, picture.shape))

    def start(self, info: Mapping[str, str]) -> None:
        """Load the newsroom (if the table has no articles yet) and stream engagement, in a thread."""
        self._thread = threading.Thread(target=self._run, args=(dict(info),), name="demo newsroom", daemon=True)
        self._thread.start()

    def stop(self) -> None:
        self._stop.set()
        if self._thread is not None:
            self._thread.join(timeout=HTTP_TIMEOUT_SECONDS + 1)
            self._thread = None
        self._images.stop()

    def _run(self, info: dict[str, str]) -> None:
        try:
            dynamodb = boto3.client("dynamodb", endpoint_url=info["aws_endpoint_url"], region_name=info["region"])
            if has_articles(info["table_name"], dynamodb):
                log.info("demo newsroom: the table already has articles; nothing loaded")
                return
            started = time.monotonic()
            keys = create_outlets(info["table_name"], dynamodb)
            posted = self.post_stories(info["api_url"], keys)
            log.info(
                "demo newsroom: %d stories from %d outlets posted in %.1f s; the site: %s",
                len(posted),
                len(keys),
                time.monotonic() - started,
                info.get("site_url", ""),
            )
            stream = EngagementStream(info["api_url"], info["site_key"], posted, self._random)
            stream.warm_up()
            while not self._stop.wait(TICK_SECONDS):
                stream.tick()
        except Exception:
            log.exception("demo newsroom failed (the stack keeps running)")

    def post_stories(self, api_url: str, keys: Mapping[str, str]) -> list[Posted]:
        """POST every story as its outlet; returns the created articles, newest first."""
        now = datetime.now(UTC).replace(microsecond=0)
        outlets = {outlet.key: outlet for outlet in OUTLETS}
        posted: list[Posted] = []
        # Newest first: the stream hands publish the first stories in a batch of their own, so the top
        # of the front page appears within seconds while the rest (and the pictures) follow.
        for story in sorted(STORIES, key=lambda story: story.hours_ago):
            if self._stop.is_set():
                break
            lead = self.picture_url(story, story.picture, "lead") if story.picture else ""
            inline = self.picture_url(story, story.inline_picture, "inline") if story.inline_picture else ""
            document = ninjs_for(story, outlets[story.outlet], now=now, lead_url=lead, inline_url=inline)
            status, answer = post_json(f"{api_url}/v1/articles", document, key=keys[story.outlet])
            if status in (200, 201):
                posted.append(Posted(str(answer["id"]), story))
            else:
                log.warning("demo newsroom: %s refused with %d: %s", story.slug, status, answer)
        return posted


def has_articles(table_name: str, dynamodb: Any) -> bool:
    """True when the table holds any article (one Query of the index of every article's state,
    the one ``ArticleStore.all_current`` reads)."""
    answer = dynamodb.query(
        TableName=table_name,
        IndexName="ArticleIndex",
        KeyConditionExpression="all_pk = :all",
        ExpressionAttributeValues={":all": {"S": "ARTICLES"}},
        Limit=1,
        Select="COUNT",
    )
    return int(answer.get("Count", 0)) > 0


def create_outlets(table_name: str, dynamodb: Any) -> dict[str, str]:
    """Every demo outlet as a partner with a fresh key: outlet key -> API key."""
    store = PartnerStore(table_name, client=dynamodb)
    keys: dict[str, str] = {}
    for outlet in OUTLETS:
        try:
            _partner, secret = store.add_partner(outlet.name, outlet.language, outlet.section)
        except PartnerAlreadyExists:
            _key, secret = store.add_key(derive_partner_id(outlet.name))
        keys[outlet.key] = secret
    return keys


def ninjs_for(
    story: Story, outlet: Outlet, *, now: datetime, lead_url: str = "", inline_url: str = ""
) -> dict[str, Any]:
    """The ninjs 2.2 document a partner's system would send for ``story``."""
    created = now - timedelta(hours=story.hours_ago)
    stamp = created.isoformat().replace("+00:00", "Z")
    russian = story.language == "ru"
    holder = outlet.holder
    body = "".join(f"<p>{_escape(paragraph)}</p>" for paragraph in story.paragraphs)
    if inline_url and story.inline_picture:
        picture = story.inline_picture
        # One picture inside the text: the media pipeline copies it and points the <img> at our copy.
        body += (
            f'<figure><img src="{_escape(inline_url)}" alt="{_escape(picture.caption)}">'
            f"<figcaption>{_escape(picture.caption)}</figcaption></figure>"
        )
    document: dict[str, Any] = {
        "uri": f"urn:newsml:{outlet.domain}:{created:%Y%m%d}:{story.slug}",
        "standard": {"name": "ninjs", "version": "2.2"},
        "type": "text",
        "version": "1",
        "firstcreated": stamp,
        "versioncreated": stamp,
        "pubstatus": "usable",
        "language": story.language,
        "by": story.byline,
        "headlines": [{"role": "main", "value": story.headline}]
        + ([{"role": "sub", "value": story.subheadline}] if story.subheadline else []),
        "descriptions": [{"role": "summary", "value": story.summary}],
        "bodies": [{"role": "main", "contenttype": "text/html", "value": body}],
        "copyrightholder": holder,
        "copyrightnotice": (f"Права на данный материал принадлежат {holder}" if russian else f"© {holder}"),
        "usageterms": USAGE_TERMS_RU if russian else USAGE_TERMS_EN,
        "infosources": [
            {"name": outlet.name, "role": "originator", "uri": f"https://{outlet.domain}/news/{story.slug}"},
        ],
        "organisations": [{"name": name, "rel": "mentioned"} for name in story.companies],
        "people": [{"name": name, "rel": "mentioned"} for name in story.people],
        "objects": [{"name": name, "rel": "about"} for name in story.projects],
        "places": [{"name": name, "rel": "mentioned"} for name in story.places],
        "subjects": [{"name": story.section}] if story.section else [],
    }
    if story.located:
        document["located"] = story.located
    if lead_url and story.picture:
        document["associations"] = [
            {
                "name": "featureimage",
                "type": "picture",
                "uri": f"urn:newsml:{outlet.domain}:{created:%Y%m%d}:{story.slug}:photo",
                "descriptions": [{"role": "caption", "value": story.picture.caption}],
                "by": story.picture.credit,
                "copyrightholder": holder,
                "renditions": [
                    {"name": "baseImage", "href": lead_url, "contenttype": "image/jpeg", "width": 1280, "height": 800}
                ],
            }
        ]
    return document


class EngagementStream:
    """Simulated readers and a comment service: views (no key) and comment counts (the site key).

    Earlier stories in STORIES are more popular, so the rankings have a shape; the random choice
    of each tick makes them move. All views come from one address (127.0.0.1), which the API
    counts at most 60 times per story and hour (docs/engagement.md): plenty for a demo.
    """

    def __init__(self, api_url: str, site_key: str, posted: list[Posted], rng: random.Random) -> None:
        self._events_url = f"{api_url}/v1/events"
        self._site_key = site_key
        self._random = rng
        # Popularity by the story's place in STORIES (the first ones lead), not by posting order.
        order = {story.slug: index for index, story in enumerate(STORIES)}
        self._articles = sorted(posted, key=lambda item: order[item.story.slug])
        self._weights = [1.0 / (1 + index) for index in range(len(self._articles))]
        self._comments = {item.article_id: 0 for item in self._articles}

    def warm_up(self) -> None:
        """A first wave: views on most stories and comments on some (counts 0 and 1 among them)."""
        views = []
        for index, item in enumerate(self._articles):
            views += [item.article_id] * max(1, 40 // (1 + index // 3))
        for start in range(0, len(views), 50):
            self._views(views[start : start + 50])
        for index, item in enumerate(self._articles[:12]):
            self._comments[item.article_id] = [27, 14, 9, 1, 6, 0, 22, 3, 1, 11, 4, 2][index]
        self._send_comments(list(self._comments)[:12])

    def tick(self) -> None:
        chosen = self._random.choices(self._articles, weights=self._weights, k=self._random.randint(1, 4))
        self._views([item.article_id for item in chosen])
        if self._random.random() < 0.4:
            article_id = self._random.choices(self._articles, weights=self._weights)[0].article_id
            self._comments[article_id] += self._random.randint(1, 3)
            self._send_comments([article_id])

    def _views(self, article_ids: list[str]) -> None:
        events = [{"type": "view", "article_id": a, "visitor": f"demo-{uuid.uuid4().hex}"} for a in article_ids]
        post_json(self._events_url, {"events": events}, agent=READER_AGENT)

    def _send_comments(self, article_ids: list[str]) -> None:
        events = [{"type": "comments", "article_id": a, "count": self._comments[a]} for a in article_ids]
        post_json(self._events_url, {"events": events}, key=self._site_key)


def post_json(url: str, body: Any, *, key: str | None = None, agent: str | None = None) -> tuple[int, Any]:
    """POST JSON; the status and the decoded answer (also of a 4xx: a demo logs, never raises on it)."""
    headers = {"Content-Type": "application/json"}
    if key:
        headers["Authorization"] = f"Bearer {key}"
    if agent:
        headers["User-Agent"] = agent
    data = json.dumps(body, ensure_ascii=False).encode("utf-8")
    request = urllib.request.Request(url, data=data, headers=headers, method="POST")
    try:
        with urllib.request.urlopen(request, timeout=HTTP_TIMEOUT_SECONDS) as response:
            return response.status, json.loads(response.read() or b"null")
    except urllib.error.HTTPError as error:
        return error.code, error.read().decode("utf-8", "replace")


def _escape(text: str) -> str:
    """Text for the HTML body we write (the partner's side: it sends HTML)."""
    return text.replace("&", "&amp;").replace("<", "&lt;").replace(">", "&gt;").replace('"', "&quot;")
