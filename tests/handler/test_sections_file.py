"""`v1/sections.json` (issue 9, "Lists a reader can page through"): every section the site shows, with
its titles and the path of its list; an empty section is a valid empty list, never a 404."""

from __future__ import annotations

import hashlib
import json

import jsonschema_rs
import pytest

from newsdesk.sections import section_map
from tests.handler.ninjs_builders import article_doc
from tests.handler.test_publish import (  # noqa: F401 (fixtures)
    Newsroom,
    files_of_one_defence_story,
    newsroom,
    snapshot_bucket,
)

pytestmark = pytest.mark.handler

SECTIONS = "v1/sections.json"


def validate(room: Newsroom, document: dict[str, object]) -> list[str]:
    schema = room.json(f"v1/schemas/{document['kind']}.json")
    return [error.message for error in jsonschema_rs.Draft202012Validator(schema).iter_errors(document)]


def test_the_first_publish_writes_the_section_index_and_a_list_for_every_section(
    newsroom: Newsroom,  # noqa: F811 (fixture)
) -> None:
    # Given one story in one section (defence-industry) and seven sections without a story
    story = newsroom.post(article_doc())["id"]
    # When it is published
    assert newsroom.publish() == {"batchItemFailures": []}
    files = newsroom.files()
    # Then v1/sections.json lists every configured section, in the config's order, with its titles
    # (the config's titles are the site's Russian ones) and the path of its list
    index = newsroom.json(SECTIONS)
    assert index["schema_version"] == "v1" and index["kind"] == "sections"
    assert validate(newsroom, index) == []
    assert index["languages"] == ["ru"]
    assert index["sections"] == [
        {"slug": slug, "titles": {"ru": title}, "path": f"v1/sections/{slug}.json"}
        for slug, title in section_map().sections.items()
    ]
    assert index["sections"][1] == {
        "slug": "defence-industry",
        "titles": {"ru": "ОПК"},
        "path": "v1/sections/defence-industry.json",
    }
    head = newsroom.stack.s3.head_object(Bucket=newsroom.bucket, Key=SECTIONS)
    assert head["ContentType"] == "application/json; charset=utf-8"
    assert head["CacheControl"] == "public, max-age=60, stale-while-revalidate=60"
    # And every section's list exists: the story's own, and an empty valid list for the others
    for entry in index["sections"]:
        assert entry["path"] in files, entry["path"]
        listing = json.loads(files[entry["path"]])
        assert validate(newsroom, listing) == []
        assert listing["section"] == {"slug": entry["slug"], "title": entry["titles"]["ru"]}
        if entry["slug"] == "defence-industry":
            assert [item["id"] for item in listing["items"]] == [story]
        else:
            assert listing == {
                "schema_version": "v1",
                "kind": "list",
                "name": f"sections/{entry['slug']}",
                "section": {"slug": entry["slug"], "title": entry["titles"]["ru"]},
                "outlet": None,
                "generated_at": None,
                "items": [],
                "older": None,
                "newer": None,
            }
    # And the manifest lists the index and every section list with their hashes
    manifest = newsroom.json("v1/manifest.json")
    hashes = {entry["path"]: entry["sha256"] for entry in manifest["entries"]}
    for path in [SECTIONS, *(entry["path"] for entry in index["sections"])]:
        assert hashes[path] == hashlib.sha256(files[path]).hexdigest(), path
    assert "v1/schemas/sections.json" in {entry["path"] for entry in manifest["schemas"]}


def test_once_written_the_index_and_the_empty_lists_are_not_written_again(
    newsroom: Newsroom,  # noqa: F811 (fixture)
) -> None:
    # Given a published newsroom
    newsroom.post(article_doc("urn:x:first"))
    newsroom.publish()
    before = newsroom.files()
    newsroom.watch_puts()
    # When another story arrives in the same section, and then an operator rebuilds on the same state
    second = newsroom.post(article_doc("urn:x:second", versioncreated="2026-11-25T09:00:00Z"))["id"]
    assert newsroom.publish() == {"batchItemFailures": []}
    from publish.app import publisher

    report = publisher().rebuild_all()
    # Then only the story's file, its three lists (with their day pages and feeds) and the manifest were
    # written: neither the index nor the lists of the sections it is not in
    assert sorted(newsroom.written) == sorted(files_of_one_defence_story(second, newsroom.partner.partner_id))
    assert report.files_written == 0
    after = newsroom.files()
    assert after[SECTIONS] == before[SECTIONS] and after["v1/sections/space.json"] == before["v1/sections/space.json"]


def test_a_rebuild_of_an_empty_bucket_writes_the_index_and_every_section_list(
    newsroom: Newsroom,  # noqa: F811 (fixture)
) -> None:
    # Given a story in the table and nothing published yet
    newsroom.post(article_doc())
    from publish.app import publisher

    # When the operator rebuilds everything
    report = publisher().rebuild_all()
    # Then the index and a list for every configured section are there
    assert report.failed == []
    files = newsroom.files()
    assert SECTIONS in files
    assert {f"v1/sections/{slug}.json" for slug in section_map().sections} <= set(files)
    assert json.loads(files["v1/sections/world.json"])["items"] == []
