"""Hostile review of issue 10's fixes (b): ways around an operator's takedown that sticks."""

from __future__ import annotations

from typing import Any

import pytest

from newsdesk.dal.archive import Archive
from newsdesk.errors import VersionConflict
from newsdesk.partners import Principal
from newsdesk_ops.cli import main
from newsdesk_ops.rebuild import rebuild_from_archive
from newsdesk_ops.target import Target
from tests.conftest import load_ninjs
from tests.handler.archive_support import articles, delete_article_items, raw, service

pytestmark = pytest.mark.handler


def test_a_takedown_of_a_story_the_partner_already_deleted_sticks(target: Target, principal: Principal) -> None:
    # Given: the partner deleted the story (say, when the complaint reached it too)
    document = load_ninjs("ru_defence_industry.json") | {"version": "1"}
    article_id = service(target).submit(raw(document), principal, request_id="v1").record.article_id
    service(target).retract(article_id, principal, request_id="delete")

    # When: the newsroom takes it down under a court order (the CLI answers 0: "already retracted")
    assert main(["takedown", article_id, "--reason", "Court order 42"], target=target) == 0

    # Then: the partner cannot bring it back with a newer version
    with pytest.raises(VersionConflict):
        service(target).submit(raw(document | {"version": "2"}), principal, request_id="v2")
    current = articles(target).get(article_id)
    assert current is not None and current.status.value == "retracted"


class LateMarker(Archive):
    """The partner's DELETE: its retraction marker lands in S3 just after an operator's takedown of the
    same revision ran to its end (the two read the same CURRENT item)."""

    def __init__(self, bucket: str, *, client: Any, before: Any) -> None:
        super().__init__(bucket, client=client)
        self.before = before

    def put_raw(self, key: str, body: bytes, *, partner_id: str, content_type: str) -> None:
        if key.startswith("retracted/") and self.before is not None:
            before, self.before = self.before, None
            before()
        super().put_raw(key, body, partner_id=partner_id, content_type=content_type)


def test_a_partners_delete_racing_a_takedown_does_not_overwrite_the_takedowns_marker(
    target: Target, principal: Principal
) -> None:
    # Given: a live story; the partner's DELETE and the operator's takedown read the same revision
    document = load_ninjs("ru_defence_industry.json") | {"version": "1"}
    article_id = service(target).submit(raw(document), principal, request_id="v1").record.article_id
    archive = LateMarker(
        target.archive_bucket,
        client=target.s3_client(),
        before=lambda: main(["takedown", article_id, "--reason", "Court order 42"], target=target),
    )

    # When: the takedown wins the table write; the partner's DELETE loses it (and answers 204)
    service(target, archive=archive).retract(article_id, principal, request_id="delete")
    live = articles(target).get(article_id)
    assert live is not None and (live.retraction_reason, live.retraction_note) == ("operator", "Court order 42")

    # Then: a rebuild from the archive keeps the takedown (reason, note) and it still sticks
    delete_article_items(target)
    rebuild_from_archive(target)
    rebuilt = articles(target).get(article_id)
    assert rebuilt is not None
    assert (rebuilt.revision, rebuilt.retraction_reason, rebuilt.retraction_note) == (2, "operator", "Court order 42")
    with pytest.raises(VersionConflict):
        service(target).submit(raw(document | {"version": "2"}), principal, request_id="v2")
