"""Feeds and the news sitemap (issue 9, "Feeds"): RSS 2.0 and Atom for latest and each section, and
``v1/sitemap-news.xml``, published beside the lists, written only when their list changed, byte-identical
for identical state."""

from __future__ import annotations

import json
import os
import subprocess
import sys
from email.utils import format_datetime
from pathlib import Path
from typing import Any

import pytest
from lxml import etree

from tests.handler.ninjs_builders import article_doc
from tests.handler.test_publish import (  # noqa: F401 (fixtures)
    Newsroom,
    forget_publish_state,
    newsroom,
    snapshot_bucket,
)

pytestmark = pytest.mark.handler

ROOT = Path(__file__).resolve().parents[2]
ATOM = "{http://www.w3.org/2005/Atom}"
SITEMAP = "{http://www.sitemaps.org/schemas/sitemap/0.9}"
NEWS = "{http://www.google.com/schemas/sitemap-news/0.9}"
SECTION = "defence-industry"


def xml(room: Newsroom, path: str) -> Any:
    return etree.fromstring(room.stack.s3.get_object(Bucket=room.bucket, Key=path)["Body"].read())


def story(room: Newsroom, name: str, at: str, **extra: Any) -> str:
    return str(room.post(article_doc(f"urn:x:{name}", versioncreated=at, **extra))["id"])


def test_rss_and_atom_show_the_list_with_its_time_and_their_content_types(newsroom: Newsroom) -> None:  # noqa: F811
    # Given three stories, one with characters XML must escape in its headline and lead
    story(newsroom, "a", "2026-11-25T08:00:00Z", headline="Первая")
    descriptions = [{"role": "summary", "value": "Лид & <кавычки>"}]
    story(newsroom, "b", "2026-11-25T09:00:00Z", headline='Танки & "Т-90М" < 5 лет', descriptions=descriptions)
    story(newsroom, "c", "2026-11-24T10:00:00Z", headline="Старая")
    assert newsroom.publish() == {"batchItemFailures": []}
    listing = newsroom.json("v1/latest.json")
    # Then the RSS feed lists the latest list's items in its order, plain text as the list has it
    rss = xml(newsroom, "v1/feeds/latest.xml")
    items = rss.findall("channel/item")
    assert [item.findtext("title") for item in items] == [entry["headline"] for entry in listing["items"]]
    assert [item.findtext("link") for item in items] == [f"/article.html?id={e['id']}" for e in listing["items"]]
    assert items[0].findtext("title") == 'Танки & "Т-90М" < 5 лет'
    assert items[0].findtext("description") == listing["items"][0]["lead"] != ""
    # And its build time is the list's generated_at, not the clock
    generated = listing["generated_at"]
    assert rss.findtext("channel/lastBuildDate") == format_datetime(_time(generated))
    # And the Atom feed says the same
    atom = xml(newsroom, "v1/feeds/latest.atom")
    entries = atom.findall(f"{ATOM}entry")
    assert [entry.findtext(f"{ATOM}title") for entry in entries] == [e["headline"] for e in listing["items"]]
    assert atom.findtext(f"{ATOM}updated") == _time(generated).isoformat()
    # And each section has its own feeds, and each file its content type and the lists' Cache-Control
    section = xml(newsroom, f"v1/feeds/sections/{SECTION}.xml")
    assert len(section.findall("channel/item")) == 3
    assert xml(newsroom, "v1/feeds/sections/space.atom").findall(f"{ATOM}entry") == []
    types = {
        "v1/feeds/latest.xml": "application/rss+xml; charset=utf-8",
        "v1/feeds/latest.atom": "application/atom+xml; charset=utf-8",
        f"v1/feeds/sections/{SECTION}.atom": "application/atom+xml; charset=utf-8",
        "v1/sitemap-news.xml": "application/xml; charset=utf-8",
    }
    for path, content_type in types.items():
        head = newsroom.stack.s3.head_object(Bucket=newsroom.bucket, Key=path)
        assert head["ContentType"] == content_type, path
        assert head["CacheControl"] == "public, max-age=60, stale-while-revalidate=60", path
    # And the manifest lists them with their hashes
    manifest = {entry["path"] for entry in newsroom.json("v1/manifest.json")["entries"]}
    assert set(types) <= manifest


def _time(text: str) -> Any:
    from datetime import datetime

    return datetime.fromisoformat(text)


def test_feeds_are_written_only_when_their_list_changed_and_the_same_bytes_every_time(
    newsroom: Newsroom,  # noqa: F811
    make_partner: Any,
) -> None:
    # Given a published story in defence-industry
    story(newsroom, "first", "2026-11-25T08:00:00Z")
    assert newsroom.publish() == {"batchItemFailures": []}
    before = newsroom.files()
    newsroom.watch_puts()
    # When a story arrives in another section
    other = make_partner(name="Aviaport Weekly", section="aviation")
    newsroom.post(article_doc("urn:y:plane", versioncreated="2026-11-25T09:00:00Z"), partner=other)
    assert newsroom.publish() == {"batchItemFailures": []}
    # Then the latest and aviation feeds (and the sitemap) were written, not defence-industry's
    feeds = sorted(path for path in newsroom.written if path.startswith("v1/feeds/") or "sitemap" in path)
    assert feeds == [
        "v1/feeds/latest.atom",
        "v1/feeds/latest.xml",
        "v1/feeds/sections/aviation.atom",
        "v1/feeds/sections/aviation.xml",
        "v1/sitemap-news.xml",
    ]
    assert newsroom.files()[f"v1/feeds/sections/{SECTION}.xml"] == before[f"v1/feeds/sections/{SECTION}.xml"]
    # When every feed is rendered again from the same state (a full rebuild)
    newsroom.written.clear()
    after = newsroom.files()
    from publish.app import publisher

    report = publisher().rebuild_all()
    # Then not one byte differs and nothing was PUT
    assert report.files_written == 0 and newsroom.written == []
    assert newsroom.files() == after


def test_article_links_use_the_site_url(newsroom: Newsroom, monkeypatch: pytest.MonkeyPatch) -> None:  # noqa: F811
    monkeypatch.setenv("SITE_URL", "https://news.example/")
    monkeypatch.setenv("SITE_NAME", "Оборонка")
    forget_publish_state()
    article_id = story(newsroom, "linked", "2026-11-25T08:00:00Z")
    assert newsroom.publish() == {"batchItemFailures": []}
    link = f"https://news.example/article.html?id={article_id}"
    rss = xml(newsroom, "v1/feeds/latest.xml")
    assert rss.findtext("channel/item/link") == link and rss.findtext("channel/link") == "https://news.example/"
    assert rss.findtext("channel/title") == "Оборонка"
    atom = xml(newsroom, f"v1/feeds/sections/{SECTION}.atom")
    assert atom.find(f"{ATOM}entry/{ATOM}link").get("href") == link
    assert xml(newsroom, "v1/sitemap-news.xml").findtext(f"{SITEMAP}url/{SITEMAP}loc") == link


def test_the_news_sitemap_lists_the_stories_of_the_last_48_hours(newsroom: Newsroom) -> None:  # noqa: F811
    # Given stories of the last two days and one from four days before the newest
    fresh = story(newsroom, "fresh", "2026-11-25T08:00:00Z", headline="Свежая & новая")
    day_old = story(newsroom, "day-old", "2026-11-24T09:00:00Z")
    story(newsroom, "stale", "2026-11-21T08:00:00Z")
    assert newsroom.publish() == {"batchItemFailures": []}
    # Then the sitemap lists the two of the 48 hours before the newest story, newest first
    sitemap = xml(newsroom, "v1/sitemap-news.xml")
    urls = sitemap.findall(f"{SITEMAP}url")
    assert [url.findtext(f"{SITEMAP}loc") for url in urls] == [
        f"/article.html?id={fresh}",
        f"/article.html?id={day_old}",
    ]
    news = urls[0].find(f"{NEWS}news")
    assert news.findtext(f"{NEWS}publication/{NEWS}name") == "Newsdesk"
    assert news.findtext(f"{NEWS}publication/{NEWS}language") == "ru"
    assert news.findtext(f"{NEWS}publication_date") == "2026-11-25T08:00:00Z"
    assert news.findtext(f"{NEWS}title") == "Свежая & новая"
    # When the fresh story is retracted, it leaves the sitemap in the same run
    newsroom.retract(fresh)
    assert newsroom.publish() == {"batchItemFailures": []}
    locs = [url.findtext(f"{SITEMAP}loc") for url in xml(newsroom, "v1/sitemap-news.xml").findall(f"{SITEMAP}url")]
    assert locs == [f"/article.html?id={day_old}"]


def test_the_publish_function_loads_feedgen_and_lxml_only_to_write_a_feed() -> None:
    probe = (
        "import json, os, sys\n"
        'os.environ.update(TABLE_NAME="t", ARCHIVE_BUCKET="a", SNAPSHOT_BUCKET="s", AWS_DEFAULT_REGION="eu-west-1")\n'
        "import publish.app, publish.feeds, publish.pages\n"
        "print(json.dumps(sorted(name for name in sys.modules)))\n"
    )
    environment = {**os.environ, "PYTHONPATH": os.pathsep.join([str(ROOT / "shared"), str(ROOT / "functions")])}
    output = subprocess.run(
        [sys.executable, "-c", probe], check=True, capture_output=True, text=True, cwd=ROOT, env=environment
    ).stdout
    loaded = set(json.loads(output.splitlines()[-1]))
    assert "publish.feeds" in loaded
    assert not {name for name in loaded if name.split(".")[0] in ("feedgen", "lxml")}
