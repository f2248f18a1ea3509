"""`newsdesk publish --all`: a full rebuild of the snapshots through the CLI, against moto."""

from __future__ import annotations

import json
from typing import Any

import pytest

from newsdesk_ops.cli import main
from newsdesk_ops.target import Target
from tests.conftest import api_event, load_ninjs_bytes

pytestmark = pytest.mark.handler


def post_article(partner: Any, lambda_context: Any) -> str:
    from ingest import app

    event = api_event(
        "POST",
        "/v1/articles",
        body=load_ninjs_bytes("ru_defence_industry.json"),
        headers={"content-type": "application/json"},
        authorizer=partner.context,
    )
    response = app.handler(event, lambda_context)
    assert response["statusCode"] == 201, response["body"]
    article_id: str = json.loads(response["body"])["id"]
    return article_id


def test_publish_all_writes_every_file_then_nothing_when_unchanged(
    capsys: pytest.CaptureFixture[str], target: Target, partner: Any, lambda_context: Any, stack: Any
) -> None:
    # Given one published article and an empty snapshot bucket
    article_id = post_article(partner, lambda_context)

    # When the operator rebuilds everything
    code = main(["publish", "--all"], target=target)
    first = capsys.readouterr()

    # Then the article's page and latest.json are in the bucket, and the summary says what was written
    assert code == 0, first.err
    keys = {item["Key"] for item in stack.s3.list_objects_v2(Bucket=target.snapshot_bucket).get("Contents", [])}
    assert {f"v1/articles/{article_id}.json", "v1/latest.json", "v1/manifest.json"} <= keys
    assert "Published 1 articles" in first.out
    assert f"{len(keys)} files written, 0 unchanged" in first.out
    assert "1/1" in first.err  # progress on stderr (tqdm's bar or the plain counter)

    # When it runs again with nothing changed
    assert main(["publish", "--all"], target=target) == 0
    again = capsys.readouterr()

    # Then nothing is written
    assert f"0 files written, {len(keys)} unchanged" in again.out


def test_publish_without_what_is_bad_usage(capsys: pytest.CaptureFixture[str], target: Target) -> None:
    assert main(["publish"], target=target) == 2
    assert "--all" in capsys.readouterr().err


def test_publish_all_without_a_snapshot_bucket_is_an_error(capsys: pytest.CaptureFixture[str], stack: Any) -> None:
    # Given a stack whose outputs name no snapshot bucket
    target = Target(stack.table_name, stack.archive_bucket, "", endpoint_url=None, region="eu-west-1")

    # Then the rebuild refuses with one line on stderr
    assert main(["publish", "--all"], target=target) == 1
    assert "no snapshot bucket" in capsys.readouterr().err
