"""What went live is what the archive's commit markers say; an operator's takedown sticks (issue 10 review)."""

from __future__ import annotations

import json
from typing import Any

import pytest
from botocore.exceptions import ClientError

from newsdesk.articles import ArticleRecord, archive_key_for
from newsdesk.dal.archive import Archive
from newsdesk.dal.articles import ArticleStore
from newsdesk.errors import VersionConflict
from newsdesk.partners import Principal
from newsdesk_ops.cli import main
from newsdesk_ops.rebuild import rebuild_from_archive
from newsdesk_ops.target import Target
from tests.conftest import Partner, api_event, load_ninjs
from tests.handler.archive_support import articles, raw, service

pytestmark = pytest.mark.handler


def archive_keys(target: Target, prefix: str = "") -> set[str]:
    pages = target.s3_client().get_paginator("list_objects_v2").paginate(Bucket=target.archive_bucket, Prefix=prefix)
    return {item["Key"] for page in pages for item in page.get("Contents", [])}


def table_items(target: Target) -> list[tuple[str, str]]:
    pages = target.dynamodb_client().get_paginator("scan").paginate(TableName=target.table_name)
    return sorted(
        (item["PK"]["S"], item["SK"]["S"])
        for page in pages
        for item in page["Items"]
        if item["PK"]["S"].startswith("ARTICLE#")
    )


def delete_article_items(target: Target) -> None:
    client = target.dynamodb_client()
    for pk, sk in table_items(target):
        client.delete_item(TableName=target.table_name, Key={"PK": {"S": pk}, "SK": {"S": sk}})


class Throttled(ArticleStore):
    """DynamoDB throttles every revision write (after ingest archived the bytes): the partner gets a 5xx."""

    def put_revision(self, record: ArticleRecord, **kwargs: Any) -> ArticleRecord:
        raise ClientError({"Error": {"Code": "ProvisionedThroughputExceededException", "Message": "slow"}}, "PutItem")


# --- orphans of failed writes ------------------------------------------------------------------


def test_rebuild_leaves_out_a_correction_whose_write_failed_and_was_never_retried(
    target: Target, principal: Principal, capsys: pytest.CaptureFixture[str]
) -> None:
    # Given: version 1 live; version 2's bytes archived, its table write throttled, never retried
    document = load_ninjs("ru_defence_industry.json") | {"version": "1"}
    article_id = service(target).submit(raw(document), principal, request_id="v1").record.article_id
    with pytest.raises(ClientError):
        service(target, Throttled(target.table_name, client=target.dynamodb_client())).submit(
            raw(document | {"version": "2", "pubstatus": "withheld"}), principal, request_id="v2"
        )
    live = articles(target).get(article_id)
    assert live is not None and (live.revision, live.version) == (1, "1")

    # When
    delete_article_items(target)
    code = main(["rebuild", "--from-archive"], target=target)

    # Then: what was live, not the bytes that never went live
    assert code == 0
    assert "Left out 1 archived documents that never went live" in capsys.readouterr().out
    rebuilt = articles(target).get(article_id)
    assert rebuilt is not None
    assert (rebuilt.revision, rebuilt.version, rebuilt.status.value) == (1, "1", "published")


def test_a_replay_writes_a_lost_commit_marker_again(target: Target, principal: Principal) -> None:
    # Given: a story whose commit marker was lost (the process died after the table write)
    document = load_ninjs("ru_defence_industry.json") | {"version": "1"}
    service(target).submit(raw(document), principal, request_id="v1")
    commits = archive_keys(target, "committed/")
    assert len(commits) == 1
    target.s3_client().delete_object(Bucket=target.archive_bucket, Key=commits.pop())

    # When: the partner retries (its answer was a 5xx)
    outcome = service(target).submit(raw(document), principal, request_id="retry")

    # Then: a replay, and the archive says again which bytes went live
    assert outcome.replayed
    assert archive_keys(target, "committed/") == {f"committed/{outcome.record.archive_key}"}


# --- an operator's takedown sticks -------------------------------------------------------------


def test_ingest_refuses_every_later_version_after_an_operators_takedown_and_stores_nothing(
    target: Target, principal: Principal
) -> None:
    # Given
    document = load_ninjs("ru_defence_industry.json") | {"version": "1"}
    article_id = service(target).submit(raw(document), principal, request_id="v1").record.article_id
    assert main(["takedown", article_id, "--reason", "Court order 42"], target=target) == 0
    objects, items = archive_keys(target), table_items(target)

    # When: a newer version by POST, the same one again, and a PUT with the current revision
    refusals = []
    for body, replace in ((document | {"version": "2"}, False), (document, False), (document | {"version": "3"}, True)):
        with pytest.raises(VersionConflict) as refused:
            service(target).submit(
                raw(body),
                principal,
                request_id="later",
                replace_id=article_id if replace else None,
                if_match=2 if replace else None,
            )
        refusals.append(refused.value.detail)

    # Then: refused, saying who took it down, and nothing stored
    assert all("newsroom took this story down" in detail for detail in refusals), refusals
    assert (archive_keys(target), table_items(target)) == (objects, items)


def test_a_partners_own_delete_still_lets_a_later_version_bring_the_story_back(
    target: Target, principal: Principal
) -> None:
    document = load_ninjs("ru_defence_industry.json") | {"version": "1"}
    article_id = service(target).submit(raw(document), principal, request_id="v1").record.article_id
    service(target).retract(article_id, principal, request_id="delete")

    record = service(target).submit(raw(document | {"version": "2"}), principal, request_id="v2").record

    assert (record.status.value, record.revision) == ("published", 3)


def test_rebuild_keeps_an_operators_takedown_over_a_later_document_in_the_archive(
    target: Target, principal: Principal
) -> None:
    # Given: a takedown, and a later document in the archive (accepted before takedowns stuck)
    document = load_ninjs("ru_defence_industry.json") | {"version": "1"}
    record = service(target).submit(raw(document), principal, request_id="v1").record
    assert main(["takedown", record.article_id, "--reason", "Court order 42"], target=target) == 0
    later = raw(document | {"version": "2"})
    Archive(target.archive_bucket, client=target.s3_client()).put_raw(
        archive_key_for(principal.partner_id, record.article_id, 3, "0123456789abcdef"),
        later,
        partner_id=principal.partner_id,
        content_type="application/json",
    )

    # When
    delete_article_items(target)
    rebuild_from_archive(target)

    # Then
    rebuilt = articles(target).get(record.article_id)
    assert rebuilt is not None
    assert (rebuilt.status.value, rebuilt.retraction_reason, rebuilt.version) == ("retracted", "operator", "1")


def test_the_partner_is_told_with_a_409_problem_that_the_newsroom_took_the_story_down(
    target: Target, partner: Partner, principal: Principal, lambda_context: Any
) -> None:
    # The contract fixture (tests/conftest.py) checks the response against the OpenAPI document.
    from ingest.app import handler

    document = load_ninjs("ru_defence_industry.json") | {"version": "1"}
    article_id = service(target).submit(raw(document), principal, request_id="v1").record.article_id
    assert main(["takedown", article_id, "--reason", "Court order 42"], target=target) == 0

    event = api_event(
        "POST",
        "/v1/articles",
        body=raw(document | {"version": "2"}),
        headers={"content-type": "application/json"},
        authorizer=partner.context,
    )
    result = handler(event, lambda_context)

    body = json.loads(result["body"])
    headers = {name.lower(): value for name, value in result["headers"].items()}
    assert result["statusCode"] == 409 and headers["content-type"] == "application/problem+json"
    assert body["type"].endswith("/version-conflict") and "contact the newsroom" in body["detail"].lower()
