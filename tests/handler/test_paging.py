"""Lists a reader can page through (issue 9): the head lists stop at LIST_LENGTH, and every older story
stays reachable through day pages (``v1/latest/{date}.json`` and the like) linked by ``older``/``newer``,
which one new story does not all rewrite."""

from __future__ import annotations

import json
from collections.abc import Iterator
from typing import Any

import jsonschema_rs
import pytest

from newsdesk.dal.articles import ArticleStore
from newsdesk.snapshots import limits
from publish.changes import ArticleChange, latest_list
from tests.handler.ninjs_builders import article_doc
from tests.handler.test_publish import Newsroom, article_file, newsroom, snapshot_bucket  # noqa: F401 (fixtures)
from tests.handler.test_publish_races import before_first_put, stale_publisher

pytestmark = pytest.mark.handler

SECTION = "defence-industry"


def heads(room: Newsroom) -> list[str]:
    return ["v1/latest.json", f"v1/sections/{SECTION}.json", f"v1/outlets/{room.partner.partner_id}.json"]


def day_pages(room: Newsroom, day: str) -> list[str]:
    return [
        f"v1/latest/{day}.json",
        f"v1/sections/{SECTION}/{day}.json",
        f"v1/outlets/{room.partner.partner_id}/{day}.json",
    ]


FEEDS = [
    "v1/feeds/latest.xml",
    "v1/feeds/latest.atom",
    f"v1/feeds/sections/{SECTION}.xml",
    f"v1/feeds/sections/{SECTION}.atom",
    "v1/sitemap-news.xml",
]


def story(room: Newsroom, name: str, at: str) -> str:
    return str(room.post(article_doc(f"urn:x:{name}", versioncreated=at, headline=f"Сюжет {name}"))["id"])


def walk(room: Newsroom, head: str, direction: str = "older") -> Iterator[tuple[str, dict[str, Any]]]:
    """Every page from ``head`` on, following ``direction`` links (site-root paths), each page once."""
    seen: set[str] = set()
    path: str | None = head
    while path is not None:
        assert path not in seen, f"{path} links back into the chain"
        seen.add(path)
        page = room.json(path)
        yield path, page
        link = page[direction]
        assert link is None or link.startswith("/v1/"), link
        path = link.removeprefix("/") if link is not None else None


def reachable(room: Newsroom, head: str) -> set[str]:
    return {item["id"] for _, page in walk(room, head) for item in page["items"]}


def validate(room: Newsroom, document: dict[str, Any]) -> list[str]:
    schema = room.json(f"v1/schemas/{document['kind']}.json")
    return [error.message for error in jsonschema_rs.Draft202012Validator(schema).iter_errors(document)]


def test_every_published_story_is_reachable_from_the_head_lists_by_following_older(newsroom: Newsroom) -> None:  # noqa: F811 (fixture)
    # Given 55 stories over three days, published as they arrive (five batches)
    published: list[str] = []
    for batch in range(5):
        for number in range(11):
            index = batch * 11 + number
            day = 23 + index // 20
            published.append(story(newsroom, f"s{index}", f"2026-11-{day}T{8 + index % 12:02d}:{index:02d}:00Z"))
        assert newsroom.publish() == {"batchItemFailures": []}
    # And one of them retracted
    retracted = published.pop(3)
    newsroom.retract(retracted)
    assert newsroom.publish() == {"batchItemFailures": []}
    for head in heads(newsroom):
        # Then each head list keeps its newest 50 and says where the older stories are
        listing = newsroom.json(head)
        assert len(listing["items"]) == 50 and listing["newer"] is None
        assert listing["older"] is not None
        # And every published story is reachable by following `older`, the retracted one from nowhere
        assert reachable(newsroom, head) == set(published), head
        # And every page is a valid list, newest first, its stories of its own UTC day
        for path, page in walk(newsroom, head):
            assert page["kind"] == "list" and validate(newsroom, page) == [], path
            times = [item["published_at"] for item in page["items"]]
            assert times == sorted(times, reverse=True), path
            if path != head:
                assert {time[:10] for time in times} <= {path.rsplit("/", 1)[1][:10]}, path


def test_day_pages_link_the_neighbouring_days_that_have_stories(newsroom: Newsroom) -> None:  # noqa: F811 (fixture)
    # Given stories on the 20th and the 25th, nothing in between
    old = story(newsroom, "old", "2026-11-20T10:00:00Z")
    new = story(newsroom, "new", "2026-11-25T10:00:00Z")
    assert newsroom.publish() == {"batchItemFailures": []}
    # Then each day page links to the other, and the ends are null
    assert newsroom.json("v1/latest/2026-11-25.json")["older"] == "/v1/latest/2026-11-20.json"
    assert newsroom.json("v1/latest/2026-11-25.json")["newer"] is None
    assert newsroom.json("v1/latest/2026-11-20.json")["newer"] == "/v1/latest/2026-11-25.json"
    assert newsroom.json("v1/latest/2026-11-20.json")["older"] is None
    section_day = newsroom.json(f"v1/sections/{SECTION}/2026-11-20.json")
    assert [item["id"] for item in section_day["items"]] == [old]
    assert section_day["name"] == f"sections/{SECTION}/2026-11-20"
    assert section_day["section"]["slug"] == SECTION
    # And the head's older link is the day page of the story after its last item: none here
    assert newsroom.json("v1/latest.json")["older"] is None
    # When a story arrives on a day in between
    middle = story(newsroom, "middle", "2026-11-22T10:00:00Z")
    assert newsroom.publish() == {"batchItemFailures": []}
    # Then both neighbours link to it
    assert newsroom.json("v1/latest/2026-11-25.json")["older"] == "/v1/latest/2026-11-22.json"
    assert newsroom.json("v1/latest/2026-11-20.json")["newer"] == "/v1/latest/2026-11-22.json"
    assert newsroom.json("v1/latest/2026-11-22.json")["older"] == "/v1/latest/2026-11-20.json"
    assert newsroom.json("v1/latest/2026-11-22.json")["newer"] == "/v1/latest/2026-11-25.json"
    # When it is retracted again
    newsroom.retract(middle)
    assert newsroom.publish() == {"batchItemFailures": []}
    # Then its day page is an empty list that still leads on, and the neighbours skip it
    emptied = newsroom.json("v1/latest/2026-11-22.json")
    assert emptied["items"] == [] and emptied["older"] == "/v1/latest/2026-11-20.json"
    assert newsroom.json("v1/latest/2026-11-25.json")["older"] == "/v1/latest/2026-11-20.json"
    assert newsroom.json("v1/latest/2026-11-20.json")["newer"] == "/v1/latest/2026-11-25.json"
    assert reachable(newsroom, "v1/latest.json") == {old, new}


def test_one_new_story_rewrites_only_its_head_lists_and_its_day_pages(newsroom: Newsroom) -> None:  # noqa: F811 (fixture)
    # Given stories on two days
    for number in range(4):
        story(newsroom, f"before-{number}", f"2026-11-2{4 + number % 2}T0{number}:00:00Z")
    assert newsroom.publish() == {"batchItemFailures": []}
    newsroom.watch_puts()
    # When one more story arrives on a day that has stories already
    added = story(newsroom, "added", "2026-11-25T09:00:00Z")
    assert newsroom.publish() == {"batchItemFailures": []}
    # Then its page, its three head lists, its three day pages, the feeds of the lists it tops and
    # the manifest were written: nothing of the other day
    assert sorted(newsroom.written) == sorted(
        [article_file(added), *heads(newsroom), *day_pages(newsroom, "2026-11-25"), *FEEDS, "v1/manifest.json"]
    )
    # And the day pages list it
    assert added in [item["id"] for item in newsroom.json("v1/latest/2026-11-25.json")["items"]]


def test_retraction_rewrites_the_day_pages_of_the_story(newsroom: Newsroom) -> None:  # noqa: F811 (fixture)
    # Given two stories of one day and one of the day before
    gone = story(newsroom, "gone", "2026-11-25T08:00:00Z")
    kept = story(newsroom, "kept", "2026-11-25T09:00:00Z")
    story(newsroom, "older", "2026-11-24T09:00:00Z")
    assert newsroom.publish() == {"batchItemFailures": []}
    newsroom.watch_puts()
    # When one is retracted
    newsroom.retract(gone)
    assert newsroom.publish() == {"batchItemFailures": []}
    # Then its day pages were rewritten without it (and nothing of the other day)
    for path in day_pages(newsroom, "2026-11-25"):
        assert path in newsroom.written
        assert [item["id"] for item in newsroom.json(path)["items"]] == [kept]
    assert not [path for path in newsroom.written if "2026-11-24" in path]


def test_a_day_larger_than_a_page_is_split_into_numbered_parts(
    newsroom: Newsroom,  # noqa: F811 (fixture)
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    # Given pages of 3 stories (the default is limits.DAY_PAGE_LENGTH) and 7 stories of one day
    monkeypatch.setattr(limits, "DAY_PAGE_LENGTH", 3)
    ids = [story(newsroom, f"busy-{number}", f"2026-11-25T0{number}:00:00Z") for number in range(7)]
    assert newsroom.publish() == {"batchItemFailures": []}
    # Then the day's entry page holds its newest stories, and numbered parts the older ones,
    # counted from the day's first story so that a newer story does not move them
    entry = newsroom.json("v1/latest/2026-11-25.json")
    assert [item["id"] for item in entry["items"]] == [ids[6]]
    assert entry["older"] == "/v1/latest/2026-11-25.2.json"
    part2 = newsroom.json("v1/latest/2026-11-25.2.json")
    assert [item["id"] for item in part2["items"]] == [ids[5], ids[4], ids[3]]
    assert part2["older"] == "/v1/latest/2026-11-25.1.json" and part2["newer"] == "/v1/latest/2026-11-25.json"
    part1 = newsroom.json("v1/latest/2026-11-25.1.json")
    assert [item["id"] for item in part1["items"]] == [ids[2], ids[1], ids[0]]
    assert part1["older"] is None and part1["newer"] == "/v1/latest/2026-11-25.2.json"
    assert reachable(newsroom, "v1/latest/2026-11-25.json") == set(ids)
    # When one more story arrives, only the entry page of the day changes
    newsroom.watch_puts()
    story(newsroom, "busy-7", "2026-11-25T07:00:00Z")
    assert newsroom.publish() == {"batchItemFailures": []}
    assert [path for path in newsroom.written if path.startswith("v1/latest/")] == ["v1/latest/2026-11-25.json"]


def test_publish_all_writes_every_day_page_with_the_same_bytes(newsroom: Newsroom) -> None:  # noqa: F811 (fixture)
    # Given stories on three days, published incrementally
    for number in range(6):
        story(newsroom, f"r{number}", f"2026-11-2{number % 3}T10:0{number}:00Z")
    assert newsroom.publish() == {"batchItemFailures": []}
    before = {path: body for path, body in newsroom.files().items() if "/2026-11-" in path}
    assert len(before) == 3 * 3
    # When the day pages are lost and `newsdesk publish --all` runs with force
    for path in before:
        newsroom.stack.s3.delete_object(Bucket=newsroom.bucket, Key=path)
    from publish.app import publisher

    report = publisher().rebuild_all(force=True)
    # Then every day page is back, byte for byte
    assert report.failed == []
    assert {path: body for path, body in newsroom.files().items() if "/2026-11-" in path} == before
    # And the manifest does not list day pages (it stays bounded; the head lists lead to them)
    manifest = newsroom.json("v1/manifest.json")
    assert not [entry for entry in manifest["entries"] if "/2026-11-" in entry["path"]]
    assert json.loads(before["v1/latest/2026-11-22.json"])["newer"] is None


# --- Concurrent writers (docs/snapshots.md, "Concurrent writers") ---------------------------------


class LaggingDays(ArticleStore):
    """A list index answering for a day as it did before a change (an eventually consistent GSI)."""

    def __init__(self, table_name: str, frozen: dict[tuple[str, str, str], list[Any]]) -> None:
        super().__init__(table_name)
        self.frozen = frozen

    def listed_on(self, index_name: str, pk_value: str, day: str) -> list[Any]:
        return self.frozen.get((index_name, pk_value, day), [])


def test_a_day_page_rendered_from_a_lagging_index_does_not_list_a_retracted_story(
    newsroom: Newsroom,  # noqa: F811 (fixture)
) -> None:
    # Given two stories of one day, and what the index answered for that day before one was retracted
    kept = story(newsroom, "kept", "2026-11-25T08:00:00Z")
    gone = story(newsroom, "gone", "2026-11-25T09:00:00Z")
    assert newsroom.publish() == {"batchItemFailures": []}
    key = latest_list()
    before = ArticleStore(newsroom.stack.table_name).listed_on(key.index_name, key.pk_value, "2026-11-25")
    assert {record.article_id for record in before} == {kept, gone}
    newsroom.retract(gone)
    assert newsroom.publish() == {"batchItemFailures": []}
    # When a full rebuild whose index still answers with the retracted story rewrites every day page
    lagging = LaggingDays(newsroom.stack.table_name, {(key.index_name, key.pk_value, "2026-11-25"): before})
    stale, _ = stale_publisher(newsroom, lagging)
    stale.rebuild_all(force=True)
    # Then the day page lists only the story still published
    assert [item["id"] for item in newsroom.json("v1/latest/2026-11-25.json")["items"]] == [kept]


def test_two_batches_writing_one_day_page_at_once_lose_neither_story(
    newsroom: Newsroom,  # noqa: F811 (fixture)
) -> None:
    # Given a story published, and a second one whose batch a slow writer holds
    story(newsroom, "first", "2026-11-25T07:00:00Z")
    assert newsroom.publish() == {"batchItemFailures": []}
    slow_id = story(newsroom, "slow", "2026-11-25T08:00:00Z")
    assert newsroom.stream.read_event() is not None  # the slow writer's batch, taken off the stream
    slow_record = ArticleStore(newsroom.stack.table_name).get(slow_id)
    slow, s3 = stale_publisher(newsroom)
    fast: list[str] = []

    def another_batch() -> None:
        fast.append(story(newsroom, "fast", "2026-11-25T09:00:00Z"))
        assert newsroom.publish() == {"batchItemFailures": []}

    # When another story of the same day is posted and published between the slow writer's reads of
    # the day page and its PUT
    ran = before_first_put(s3, "v1/latest/2026-11-25.json", another_batch)
    slow.publish_lists([ArticleChange(old=None, new=slow_record)])
    # Then the slow writer lost its conditional PUT, rendered the day again, and both stories are there
    assert ran == [True]
    ids = [item["id"] for item in newsroom.json("v1/latest/2026-11-25.json")["items"]]
    assert ids[:2] == [fast[0], slow_id] and len(ids) == 3
