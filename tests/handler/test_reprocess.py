"""`newsdesk reprocess`: re-normalizing stored articles from their archived bytes (against moto)."""

from __future__ import annotations

import json
from dataclasses import replace
from typing import Any

import pytest

from newsdesk.dal.articles import ArticleStore
from newsdesk.errors import FieldError, ValidationFailed
from newsdesk.models import ArticleStatus, Validated
from newsdesk_ops.cli import main
from newsdesk_ops.target import Target
from tests.handler.test_publish_cli import post_article

pytestmark = pytest.mark.handler


def change_the_profile(monkeypatch: pytest.MonkeyPatch, *, headline: str | None = None, refuse: bool = False) -> None:
    """Stand in for a new release of the normalizer: the same raw bytes now normalize differently."""
    from ingest import reprocess

    original = reprocess.validate_document

    def validate(document: object, *, default_language: str) -> Validated:
        if refuse:
            raise ValidationFailed("refused", [FieldError(pointer="/uri", message="is no longer acceptable")])
        validated = original(document, default_language=default_language)
        return replace(validated, content=replace(validated.content, headline=headline or validated.content.headline))

    monkeypatch.setattr(reprocess, "validate_document", validate)


def test_reprocess_with_an_unchanged_profile_changes_nothing(
    capsys: pytest.CaptureFixture[str], target: Target, partner: Any, lambda_context: Any, stack: Any
) -> None:
    article_id = post_article(partner, lambda_context)
    before = ArticleStore(stack.table_name).get(article_id)
    assert main(["reprocess", "--all"], target=target) == 0
    assert "1 unchanged" in capsys.readouterr().out
    assert ArticleStore(stack.table_name).get(article_id) == before


def test_a_profile_change_rewrites_the_normalized_article_at_the_same_revision(
    capsys: pytest.CaptureFixture[str],
    target: Target,
    partner: Any,
    lambda_context: Any,
    stack: Any,
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    # Given a stored article and a normalizer that now reads its headline differently
    article_id = post_article(partner, lambda_context)
    store = ArticleStore(stack.table_name)
    before = store.get(article_id)
    assert before is not None
    change_the_profile(monkeypatch, headline="Новый заголовок")
    # When the operator first asks what would change, then reprocesses that article
    assert main(["reprocess", article_id, "--dry-run"], target=target) == 0
    assert "1 would update" in capsys.readouterr().out
    assert store.get(article_id) == before
    assert main(["reprocess", article_id], target=target) == 0
    assert "1 updated" in capsys.readouterr().out
    # Then CURRENT names a new normalized object with the new headline, at the same revision
    after = store.get(article_id)
    assert after is not None
    assert after.revision == before.revision and after.headline == "Новый заголовок"
    assert after.normalized_key != before.normalized_key and after.archive_key == before.archive_key
    stored = stack.s3.get_object(Bucket=stack.archive_bucket, Key=after.normalized_key)["Body"].read()
    assert "Новый заголовок" in stored.decode("utf-8")
    # And the object the old record named is still there, untouched
    stack.s3.head_object(Bucket=stack.archive_bucket, Key=before.normalized_key)


def test_an_article_the_new_profile_refuses_is_reported_and_left_as_it_is(
    capsys: pytest.CaptureFixture[str],
    target: Target,
    partner: Any,
    lambda_context: Any,
    stack: Any,
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    article_id = post_article(partner, lambda_context)
    before = ArticleStore(stack.table_name).get(article_id)
    change_the_profile(monkeypatch, refuse=True)
    assert main(["reprocess", "--all"], target=target) == 1
    captured = capsys.readouterr()
    assert "1 failed" in captured.out and "/uri is no longer acceptable" in captured.err
    assert ArticleStore(stack.table_name).get(article_id) == before


@pytest.mark.attack(6)
def test_reprocess_takes_down_a_withheld_3x_story_that_was_read_as_published(
    capsys: pytest.CaptureFixture[str], target: Target, partner: Any, lambda_context: Any, stack: Any
) -> None:
    """Stories stored before ninjs 3.x was understood were published although the partner withheld
    them; reprocessing their archived bytes takes them down, and never puts one up."""
    from ingest import app
    from tests.conftest import api_event
    from tests.handler.ninjs_builders import encode
    from tests.unit.test_ninjs3 import ninjs3

    # Given a 3.x story with pubStatus "withheld" that the old reading stored as published
    event = api_event(
        "POST",
        "/v1/articles",
        body=encode(ninjs3("urn:x:misread-3x", pubStatus="withheld")),
        headers={"content-type": "application/json"},
        authorizer=partner.context,
    )
    response = app.handler(event, lambda_context)
    assert response["statusCode"] == 201, response["body"]
    article_id = json.loads(response["body"])["id"]
    store = ArticleStore(stack.table_name)
    stored = store.get(article_id)
    assert stored is not None and stored.status is ArticleStatus.WITHHELD
    misread = replace(stored, status=ArticleStatus.PUBLISHED)
    assert store.replace_current(misread, expected=stored)
    # When the operator reprocesses every article
    assert main(["reprocess", "--all"], target=target) == 0
    # Then the story is withheld again, at the same revision
    after = store.get(article_id)
    assert after is not None and after.status is ArticleStatus.WITHHELD and after.revision == stored.revision
    assert "1 updated" in capsys.readouterr().out


def test_a_retracted_article_is_unchanged_by_reprocess_with_an_unchanged_profile(
    capsys: pytest.CaptureFixture[str], target: Target, partner: Any, lambda_context: Any, stack: Any
) -> None:
    # Given an article the operator took down (a new revision that names the same normalized object):
    # reprocess once called it "1 would update" and wrote a copy of the same bytes under the new revision
    article_id = post_article(partner, lambda_context)
    assert main(["takedown", article_id, "--reason", "Court order"], target=target) == 0
    before = ArticleStore(stack.table_name).get(article_id)
    assert before is not None and before.revision == 2
    capsys.readouterr()
    # When the operator reprocesses every article
    assert main(["reprocess", "--all"], target=target) == 0
    # Then nothing changed
    assert "1 unchanged" in capsys.readouterr().out
    assert ArticleStore(stack.table_name).get(article_id) == before
