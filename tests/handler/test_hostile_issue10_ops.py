"""Hostile review of issue 10's operator paths (rebuild from the archive, takedown, redrive) against moto.

Each test reproduces a finding of the review: it fails while the finding stands.
"""

from __future__ import annotations

import contextlib
from typing import Any

import pytest
from botocore.exceptions import ClientError

from newsdesk.articles import ArticleRecord
from newsdesk.dal.articles import ArticleStore
from newsdesk.dal.partners import PartnerStore
from newsdesk.errors import ServiceUnavailable, VersionConflict
from newsdesk.partners import Principal
from newsdesk_ops.cli import main
from newsdesk_ops.rebuild import rebuild_from_archive
from newsdesk_ops.target import Target
from tests.conftest import load_ninjs
from tests.handler.archive_support import articles, delete_article_items, raw, service
from tests.handler.redrive_support import drain

pytestmark = pytest.mark.handler


@pytest.fixture
def principal(target: Target) -> Principal:
    store = PartnerStore(target.table_name, target.dynamodb_client())
    _, secret = store.add_partner("Hostile Daily", "ru", "defence-industry")
    resolved = store.resolve(secret)
    assert resolved is not None
    return resolved


class ThrottledOnce(ArticleStore):
    """DynamoDB throttles the first revision write (after ingest archived the bytes): the partner gets a 5xx."""

    failed = False

    def put_revision(self, record: ArticleRecord, **kwargs: Any) -> ArticleRecord:
        if not self.failed:
            self.failed = True
            raise ClientError(
                {"Error": {"Code": "ProvisionedThroughputExceededException", "Message": "slow down"}}, "PutItem"
            )
        return super().put_revision(record, **kwargs)


def test_rebuild_keeps_down_a_story_retracted_after_an_update_that_failed(target: Target, principal: Principal) -> None:
    # Given: a published story; the partner's correction fails (its bytes are archived as revision 2,
    # the table write is throttled: 5xx), and the partner then retracts the story (revision 2, a marker)
    document = load_ninjs("ru_defence_industry.json")
    article_id = service(target).submit(raw(document), principal, request_id="post").record.article_id
    correction = document | {"version": "9"}  # a correction that never went live
    with pytest.raises(ClientError):
        service(target, ThrottledOnce(target.table_name, client=target.dynamodb_client())).submit(
            raw(correction), principal, request_id="failed-put"
        )
    service(target).retract(article_id, principal, request_id="delete")
    live = articles(target).get(article_id)
    assert live is not None and (live.status.value, live.revision) == ("retracted", 2)

    # When: the table is rebuilt from the archive (disaster recovery, or every local-stack restart)
    delete_article_items(target)
    rebuild_from_archive(target)

    # Then: the story is still down. (It comes back published, with the correction that never went
    # live: the raw object and the retraction marker share revision 2, and the rebuild takes the raw one.)
    rebuilt = articles(target).get(article_id)
    assert rebuilt is not None
    assert (rebuilt.status.value, rebuilt.version) == ("retracted", live.version)


class StaleRead(ArticleStore):
    """The first read returns what the article was before ``behind`` happened (a concurrent writer)."""

    def __init__(self, *args: Any, behind: Any, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        self._behind = behind
        self._stale: ArticleRecord | None = None

    def get(self, article_id: str, *args: Any, **kwargs: Any) -> ArticleRecord | None:
        if self._behind is not None:
            self._stale = super().get(article_id, *args, **kwargs)
            return self._stale
        return super().get(article_id, *args, **kwargs)

    def put_revision(self, record: ArticleRecord, **kwargs: Any) -> ArticleRecord:
        if self._behind is not None:
            # The other writer completes between this writer's archive write and its table write.
            behind, self._behind = self._behind, None
            behind()
        return super().put_revision(record, **kwargs)


def test_rebuild_does_not_publish_an_older_version_that_lost_a_race_and_was_refused(
    target: Target, principal: Principal
) -> None:
    # Given: version 1 published; version 3 withholds the story (a legal kill) while a late version 2
    # is in flight: version 2 archives its bytes as revision 2, version 3 wins revision 2, and
    # version 2's retry is refused as older (409). Live, the story is withheld.
    document = load_ninjs("ru_defence_industry.json") | {"version": "1"}
    article_id = service(target).submit(raw(document), principal, request_id="v1").record.article_id
    kill = document | {"version": "3", "pubstatus": "withheld"}
    late = document | {"version": "2"}

    def kill_wins() -> None:
        service(target).submit(raw(kill), principal, request_id="v3")

    racing = StaleRead(target.table_name, client=target.dynamodb_client(), behind=kill_wins)
    with pytest.raises(VersionConflict):
        service(target, racing).submit(raw(late), principal, request_id="v2")
    live = articles(target).get(article_id)
    assert live is not None and (live.status.value, live.revision) == ("withheld", 2)

    # When
    delete_article_items(target)
    rebuild_from_archive(target)

    # Then: still withheld, as live. (Both documents sit at revision 2 in the archive; the rebuild takes
    # the newer S3 object, which is the refused version 2, and publishes it.)
    rebuilt = articles(target).get(article_id)
    assert rebuilt is not None
    assert (rebuilt.status.value, rebuilt.version) == ("withheld", "3")


def test_a_partner_cannot_undo_an_operators_takedown_by_posting_a_newer_version(
    target: Target, principal: Principal
) -> None:
    # Given: an operator took the story down (a court order)
    document = load_ninjs("ru_defence_industry.json") | {"version": "1"}
    article_id = service(target).submit(raw(document), principal, request_id="v1").record.article_id
    assert main(["takedown", article_id, "--reason", "Court order 42"], target=target) == 0

    # When: the partner's system posts its next version of the story
    with contextlib.suppress(VersionConflict, ServiceUnavailable):
        service(target).submit(raw(document | {"version": "2"}), principal, request_id="v2")

    # Then: the story stays down for the operator's reason
    record = articles(target).get(article_id)
    assert record is not None
    assert (record.status.value, record.retraction_reason) == ("retracted", "operator")


def test_redrive_reports_a_dead_letter_with_incomplete_stream_positions_and_goes_on(target: Target) -> None:
    # Given: a dead letter whose DDBStreamBatchInfo lacks the positions, then a good timer letter
    function = "arn:aws:lambda:eu-west-1:123456789012:function:newsdesk-PublishFunction-X"
    bad = {"requestContext": {"functionArn": function}, "DDBStreamBatchInfo": {"streamArn": "x"}}

    # When
    report, invoked = drain("PublishDeadLetterQueue", [bad], {})

    # Then: counted as failed and left in the queue, no traceback
    assert (report.failed, invoked) == (1, [])


def test_redrive_invokes_only_the_stacks_own_functions(target: Target) -> None:
    # Given: a dead letter (a queue message anyone with sqs:SendMessage on the queue can write) naming a
    # function of another account, with an event of the sender's choosing
    foreign = "arn:aws:lambda:us-east-1:999999999999:function:somebody-elses"
    letter = {"requestContext": {"functionArn": foreign}, "requestPayload": {"anything": "at all"}}

    # When: the operator redrives, with the stack's functions known (their stream filters by name)
    stack_functions = {"newsdesk-PublishFunction-X": (), "newsdesk-TrendingFunction-X": ()}
    _report, invoked = drain("ScheduleDeadLetterQueue", [letter], stack_functions)

    # Then: the operator's credentials invoke nothing outside the stack
    assert invoked == []
