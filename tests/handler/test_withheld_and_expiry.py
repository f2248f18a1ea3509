"""Withheld and expired stories never go live (issue 8, 'What broke' 6).

A ninjs 3.x document saying ``pubStatus: "withheld"`` was read as 2.2 with an unknown field and
published; ``expires`` was ignored, so a story whose rights had expired stayed up. Ingest, the
table's stream and the timer run in-process against moto, as in test_publish.py.
"""

from __future__ import annotations

from datetime import UTC, datetime, timedelta
from typing import Any

import pytest

from newsdesk.dal.articles import ArticleStore
from tests.handler.ninjs_builders import article_doc, encode
from tests.handler.test_ingest_api import on_article, post
from tests.handler.test_publish import Newsroom, article_file, listed_ids, newsroom, snapshot_bucket  # noqa: F401
from tests.unit.test_ninjs3 import ninjs3

pytestmark = [pytest.mark.handler, pytest.mark.attack(6)]


@pytest.fixture
def desk(newsroom: Newsroom) -> Newsroom:  # noqa: F811 (the fixture imported above)
    return newsroom


def stamp(moment: datetime) -> str:
    return moment.astimezone(UTC).strftime("%Y-%m-%dT%H:%M:%SZ")


def get_article(desk: Newsroom, article_id: str) -> dict[str, Any]:
    status, _, body = on_article("GET", desk.partner, article_id, desk.context)
    assert status == 200, body
    return dict(body)


def article_changes(desk: Newsroom) -> list[str]:
    """Ids of the articles whose current state changed since the stream was last read (the hash
    records publish writes beside its files are on the stream too, and are not changes)."""
    event = desk.stream.read_event() or {"Records": []}
    return [
        record["dynamodb"]["Keys"]["PK"]["S"].removeprefix("ARTICLE#")
        for record in event["Records"]
        if record["dynamodb"]["Keys"]["SK"]["S"] == "CURRENT"
        and record["dynamodb"]["Keys"]["PK"]["S"].startswith("ARTICLE#")
    ]


def published_ids(desk: Newsroom) -> list[str]:
    return listed_ids(desk, "v1/latest.json") if desk.exists("v1/latest.json") else []


# --- ninjs 3.x pubStatus ---------------------------------------------------------------------------


def test_withheld_ninjs3_story_is_stored_but_never_published(desk: Newsroom) -> None:
    # Given a published story, so that the lists exist
    shown = desk.post(article_doc("urn:x:shown"))["id"]
    # When a partner sends a ninjs 3.1 document with camelCase pubStatus "withheld"
    created = desk.post(ninjs3("urn:x:withheld-3x", pubStatus="withheld"))
    desk.publish()
    # Then it is stored as withheld, and neither its page nor a list entry is written
    assert created["status"] == "withheld"
    assert get_article(desk, created["id"])["status"] == "withheld"
    assert not desk.exists(article_file(created["id"]))
    assert published_ids(desk) == [shown]


def test_usable_ninjs3_story_is_published_with_its_3x_fields(desk: Newsroom) -> None:
    created = desk.post(ninjs3("urn:x:usable-3x"))
    desk.publish()
    page = desk.json(article_file(created["id"]))
    assert page["kind"] == "article"
    assert page["headline"] == "Tanks delivered on time"
    assert page["rights"]["holder"] == "Agency Ltd"
    # The 3.x picture is read (and pending until the media function copies it: never hot-linked)
    assert page["lead_image"]["status"] == "pending" and page["lead_image"]["caption"] == "Tanks at the plant"
    assert created["warnings"] == []


def test_ninjs3_withholding_a_published_story_takes_it_down(desk: Newsroom) -> None:
    article_id = desk.post(ninjs3("urn:x:later-3x", version="1"))["id"]
    desk.publish()
    assert desk.json(article_file(article_id))["kind"] == "article"
    desk.post(ninjs3("urn:x:later-3x", version="2", versionCreated="2026-11-25T09:00:00Z", pubStatus="withheld"))
    desk.publish()
    assert desk.json(article_file(article_id))["status"] == "withheld"
    assert published_ids(desk) == []


def test_ambiguous_pubstatus_is_a_422_and_nothing_is_written(desk: Newsroom) -> None:
    status, headers, body = post(desk.partner, encode(article_doc("urn:x:mixed", pubStatus="withheld")), desk.context)
    assert status == 422
    assert headers["content-type"].startswith("application/problem+json")
    assert "/pubStatus" in [error["pointer"] for error in body["errors"]]
    assert article_changes(desk) == []


# --- expires ---------------------------------------------------------------------------------------


def test_story_that_has_already_expired_is_not_published(desk: Newsroom) -> None:
    past = datetime.now(UTC) - timedelta(days=1)
    created = desk.post(article_doc("urn:x:expired", expires=stamp(past)))
    desk.publish()
    assert created["status"] == "retracted"
    record = get_article(desk, created["id"])
    assert record["retraction_reason"] == "expired"
    assert record["expires_at"] == stamp(past)
    assert not desk.exists(article_file(created["id"]))
    assert published_ids(desk) == []


def test_expired_ninjs3_story_is_not_published(desk: Newsroom) -> None:
    past = datetime.now(UTC) - timedelta(hours=2)
    created = desk.post(ninjs3("urn:x:expired-3x", expires=stamp(past)))
    desk.publish()
    assert created["status"] == "retracted"
    assert not desk.exists(article_file(created["id"]))


def test_story_is_taken_down_by_the_timer_when_it_expires(desk: Newsroom) -> None:
    # Given a story that expires in an hour, published
    expires = (datetime.now(UTC) + timedelta(hours=1)).replace(microsecond=0)
    kept = desk.post(article_doc("urn:x:kept"))["id"]
    created = desk.post(article_doc("urn:x:expires", expires=stamp(expires)))
    assert created["status"] == "published"
    desk.publish()
    assert desk.json(article_file(created["id"]))["kind"] == "article"
    assert set(published_ids(desk)) == {kept, created["id"]}
    # When the timer runs before it expires, nothing changes
    assert article_changes(desk) == []
    assert desk.timer(expires - timedelta(minutes=1)) == {"released": 0, "expired": 0}
    assert article_changes(desk) == []
    # When it runs after, the story is retracted as expired, and the stream writes its tombstone
    assert desk.timer(expires + timedelta(minutes=1)) == {"released": 0, "expired": 1}
    assert desk.publish()["batchItemFailures"] == []
    tombstone = desk.json(article_file(created["id"]))
    assert tombstone["kind"] == "tombstone"
    assert tombstone["status"] == "retracted"
    assert tombstone["reason"] == "expired"
    assert tombstone["revision"] == 2
    assert published_ids(desk) == [kept]
    record = get_article(desk, created["id"])
    assert (record["status"], record["retraction_reason"]) == ("retracted", "expired")
    # And running the timer again takes nothing down twice
    article_changes(desk)
    assert desk.timer(expires + timedelta(minutes=2)) == {"released": 0, "expired": 0}
    assert article_changes(desk) == []


def test_embargoed_story_that_expires_before_its_release_is_never_published(desk: Newsroom) -> None:
    now = datetime.now(UTC).replace(microsecond=0)
    embargo, expires = now + timedelta(hours=1), now + timedelta(hours=2)
    created = desk.post(article_doc("urn:x:embargo-expires", embargoed=stamp(embargo), expires=stamp(expires)))
    assert created["status"] == "embargoed"
    desk.publish()
    # The timer was down through both times: the story is taken down, not released
    assert desk.timer(expires + timedelta(minutes=1)) == {"released": 0, "expired": 1}
    desk.publish()
    assert not desk.exists(article_file(created["id"]))
    assert published_ids(desk) == []
    assert get_article(desk, created["id"])["retraction_reason"] == "expired"


def test_expiry_before_the_embargo_ends_is_never_published(desk: Newsroom) -> None:
    now = datetime.now(UTC).replace(microsecond=0)
    created = desk.post(
        article_doc(
            "urn:x:expires-first",
            embargoed=stamp(now + timedelta(hours=2)),
            expires=stamp(now + timedelta(hours=1)),
        )
    )
    assert created["status"] == "retracted"


def test_a_newer_revision_wins_over_the_take_down(desk: Newsroom) -> None:
    # Given a story that expired, read by the timer, and then updated by the partner with a later expiry
    expires = (datetime.now(UTC) + timedelta(hours=1)).replace(microsecond=0)
    article_id = desk.post(article_doc("urn:x:extended", expires=stamp(expires)))["id"]
    store = ArticleStore(desk.stack.table_name)
    assert store.due_expiries(expires) == [article_id]
    later = expires + timedelta(days=30)
    desk.post(article_doc("urn:x:extended", version="2", versioncreated="2026-11-25T09:00:00Z", expires=stamp(later)))
    # When the timer runs after the first expiry, the story stays up (its new expiry decides)
    assert desk.timer(expires + timedelta(minutes=1)) == {"released": 0, "expired": 0}
    assert store.due_expiries(later) == [article_id]


def test_a_retracted_story_carries_the_reason_in_its_tombstone(desk: Newsroom) -> None:
    article_id = desk.post(article_doc("urn:x:deleted"))["id"]
    desk.publish()
    desk.retract(article_id)
    desk.publish()
    assert desk.json(article_file(article_id))["reason"] == "deleted"
    canceled = desk.post(article_doc("urn:x:canceled"))["id"]
    desk.publish()
    desk.post(article_doc("urn:x:canceled", version="2", versioncreated="2026-11-25T09:00:00Z", pubstatus="canceled"))
    desk.publish()
    assert desk.json(article_file(canceled))["reason"] == "canceled"
