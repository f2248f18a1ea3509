"""Links are published from an allowlist (issue 8, 'What broke' 7, the links part): a link is an
absolute http(s) URL with a host and no credentials (mailto: too, in body HTML); a concept id is
published as identifier text only in a shape IPTC and partners use (QCode, URN, http URI).
None of the issue's examples reaches any snapshot, as a link or as an identifier."""

from __future__ import annotations

from datetime import UTC, datetime
from typing import Any

import pytest

from newsdesk.articles import ArticleRecord
from newsdesk.models import ArticleStatus
from newsdesk.ninjs import validate_document
from newsdesk.snapshots import article_snapshot, article_summary, render
from tests.handler.ninjs_builders import article_doc

pytestmark = [pytest.mark.unit, pytest.mark.attack(7)]

NOW = datetime(2026, 11, 25, 8, 0, tzinfo=UTC)
ISSUE_EXAMPLES = [
    "//evil.example/x",
    "/relative",
    "ms-msdt:x",
    "intent://evil.example/#Intent;scheme=https;end",
    "chrome://settings",
    "jar:https://evil.example/x.jar!/",
    "view-source:https://evil.example/",
    "javascript:x",
    "https://bank.example@evil.example/",
    "https:evil.example",
]
MENTION_KEYS = ("organisations", "people", "places", "objects", "subjects", "genres")


def attacked(link: str) -> dict[str, Any]:
    mentions: dict[str, Any] = {key: [{"name": f"{key} name", "uri": link}] for key in MENTION_KEYS}
    return article_doc(
        body=f'<p>Текст <a href="{link}">ссылка</a>.</p>',
        rightsinfo={"linkedrights": link},
        associations=[
            {"name": "photo", "uri": "urn:x:photo", "type": "picture", "renditions": [{"name": "r", "href": link}]}
        ],
        **mentions,
    )


def published(document: dict[str, Any]) -> str:
    content = validate_document(document, default_language="ru").content
    record = ArticleRecord(
        article_id="a" + "b" * 24,
        partner_id="partner",
        uri=content.uri,
        revision=1,
        status=ArticleStatus.PUBLISHED,
        content_hash="0" * 64,
        archive_key="raw/x",
        headline=content.headline,
        language=content.language,
        published_at=NOW,
        updated_at=NOW,
        received_at=NOW,
        lead=content.lead,
        image_url=content.lead_image.url if content.lead_image else "",
    )
    return (render(article_snapshot(record, content)) + render(article_summary(record))).decode("utf-8")


@pytest.mark.parametrize("link", ISSUE_EXAMPLES)
def test_no_unsafe_link_or_identifier_reaches_a_snapshot(link: str) -> None:
    files = published(attacked(link))
    assert link not in files
    assert "href=" not in files  # the body's link lost its href; the text stays
    assert "ссылка" in files


@pytest.mark.parametrize(
    "identifier",
    ["medtop:20000763", "urn:newsml:tt.example:20261125:1", "http://cv.iptc.org/newscodes/mediatopic/20000569"],
)
def test_concept_ids_stay_as_identifier_text(identifier: str) -> None:
    files = published(article_doc(organisations=[{"name": "АО «Контур»", "uri": identifier}]))
    assert f'"uri":"{identifier}"' in files


def test_links_that_are_links_stay() -> None:
    link = "https://kontur-m.example/press/strizh-m?x=1#top"
    files = published(attacked(link))
    assert f'href=\\"{link}\\"' in files
    assert f'"info_url":"{link}"' in files
    # A picture is never published by the partner's URL: pending until ours is made (docs/media.md)
    assert f'"url":"{link}"' not in files and '"lead_image":{"status":"pending","url":""' in files
