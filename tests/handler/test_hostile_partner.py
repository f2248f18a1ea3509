"""A hostile or unlucky partner against the articles routes, after issue 8 was implemented: what
still broke. Each test reproduces one finding through the real handler against moto."""

from __future__ import annotations

from typing import Any

import pytest

from tests.conftest import Partner, Stack
from tests.handler.ninjs_builders import article_doc, encode
from tests.handler.test_ingest_api import archived_keys, current_item, on_article, post
from tests.unit.test_ninjs3 import ninjs3

pytestmark = pytest.mark.handler


def headline_of(partner: Partner, article_id: str, ctx: Any) -> str:
    status, _, body = on_article("GET", partner, article_id, ctx)
    assert status == 200, body
    return str(body["article"]["headline"])


# --- 3: versions move only forward, also within one second ---------------------------------------


@pytest.mark.attack(3)
def test_late_retry_of_an_older_subsecond_version_does_not_replace_the_newer(
    stack: Stack, partner: Partner, lambda_context: Any
) -> None:
    # Given a partner that labels its versions only by versioncreated, with fractions of a second
    first = article_doc("urn:x:subsecond", version=None, versioncreated="2026-11-25T08:00:00.100Z", headline="First")
    correction = article_doc(
        "urn:x:subsecond", version=None, versioncreated="2026-11-25T08:00:00.900Z", headline="Correction"
    )
    status, _, created = post(partner, encode(first), lambda_context)
    assert status == 201
    # When the correction follows and the first request's retry arrives late
    correction_status, _, _ = post(partner, encode(correction), lambda_context)
    retry_status, _, retried = post(partner, encode(first), lambda_context)
    # Then the older document never becomes a new revision over the newer one: the table keeps whole
    # seconds, so the two cannot be told apart once stored, and the later of them must not win by luck
    assert correction_status in (200, 409)
    assert retry_status == 409 or retried["replayed"] is True, retried
    expected = "Correction" if correction_status == 200 else "First"
    assert headline_of(partner, created["id"], lambda_context) == expected


# --- 6: a field that holds a story back is never an ignored unknown field ---------------------------


@pytest.mark.attack(6)
@pytest.mark.parametrize(
    ("name", "value"),
    [
        ("PubStatus", "withheld"),
        ("PUBSTATUS", "withheld"),
        ("pub_status", "withheld"),
        ("embargoed_until", "2099-01-01T00:00:00Z"),
        ("EmbargoedUntil", "2099-01-01T00:00:00Z"),
        ("Expires", "2000-01-01T00:00:00Z"),
    ],
)
def test_misspelt_holding_back_field_of_ninjs2_is_refused(
    stack: Stack, partner: Partner, lambda_context: Any, name: str, value: str
) -> None:
    # Given a 2.x document whose partner meant to hold the story back, with a spelling of its own
    document = article_doc("urn:x:held-back", **{name: value})
    # When it is posted
    status, _, body = post(partner, encode(document), lambda_context)
    # Then it is refused naming the field, not published with a warning
    assert status == 422, body
    assert f"/{name}" in [error["pointer"] for error in body["errors"]]
    assert archived_keys(stack) == []


@pytest.mark.attack(6)
@pytest.mark.parametrize(
    ("name", "value"),
    [("Pubstatus", "withheld"), ("PUBSTATUS", "withheld"), ("embargoed_until", "2099-01-01T00:00:00Z")],
)
def test_misspelt_holding_back_field_of_ninjs3_is_refused(
    stack: Stack, partner: Partner, lambda_context: Any, name: str, value: str
) -> None:
    document = ninjs3("urn:x:held-back-3", **{name: value})
    status, _, body = post(partner, encode(document), lambda_context)
    assert status == 422, body
    assert f"/{name}" in [error["pointer"] for error in body["errors"]]
    assert archived_keys(stack) == []


# --- 7: invisible characters -----------------------------------------------------------------------


INVISIBLE_FORMAT_CHARACTERS = [
    "\u2061",  # function application
    "\u2062",  # invisible times
    "\u2063",  # invisible separator
    "\u2064",  # invisible plus
    "\u206a",  # inhibit symmetric swapping (deprecated format character)
    "\u206f",  # nominal digit shapes (deprecated format character)
    "\ufff9",  # interlinear annotation anchor: renderers hide the annotation
    "\ufffb",  # interlinear annotation terminator
    "\u3164",  # Hangul filler: a blank letter, the usual "invisible name"
    "\uffa0",  # halfwidth Hangul filler
    "\U0001d173",  # musical symbol begin beam (format character)
    "\U0001bca0",  # shorthand format letter overlap
]


@pytest.mark.attack(7)
def test_invisible_format_characters_leave_the_headline(stack: Stack, partner: Partner, lambda_context: Any) -> None:
    hidden = "".join(INVISIBLE_FORMAT_CHARACTERS)
    status, _, body = post(
        partner, encode(article_doc("urn:x:invisible", headline=f"Танки{hidden} переданы")), lambda_context
    )
    assert status == 201, body
    assert body["headline"] == "Танки переданы"
    item = current_item(stack, body["id"])
    assert item is not None and item["headline"]["S"] == "Танки переданы"


@pytest.mark.attack(7)
@pytest.mark.parametrize(
    "character",
    [*INVISIBLE_FORMAT_CHARACTERS, "\u00ad", "\u034f", "\u115f", "\u17b4", "\ufe0f"],
    ids=lambda character: f"U+{ord(character):04X}",
)
def test_a_url_with_an_invisible_character_is_not_used(
    stack: Stack, partner: Partner, lambda_context: Any, character: str
) -> None:
    # Given an image and a rights URL that look like the agency's host but carry an invisible character
    url = f"https://agen{character}cy.example/pic.jpg"
    document = article_doc(
        "urn:x:invisible-url",
        rightsinfo={"linkedrights": url},
        associations=[
            {"name": "pic", "uri": "urn:x:pic", "type": "picture", "renditions": [{"name": "original", "href": url}]}
        ],
    )
    status, _, body = post(partner, encode(document), lambda_context)
    assert status == 201, body
    _, _, stored = on_article("GET", partner, body["id"], lambda_context)
    assert stored["article"]["lead_image"] is None
    assert stored["article"]["rights"]["info_url"] == ""


@pytest.mark.attack(7)
@pytest.mark.parametrize(
    "href",
    [
        "https://evil.example/a b",  # a space
        "https://\\evil.example/",  # a backslash: browsers read it as a slash, Python as part of the host
        "https://evil.example/" + "a" * 2100,  # over 2,048 bytes
        "https://evil.example:0/",  # no usable port
        "https://agen\u00adcy.example/",  # an invisible character
    ],
    ids=["space", "backslash", "long", "port-0", "soft-hyphen"],
)
def test_body_links_follow_the_documented_link_rules(
    stack: Stack, partner: Partner, lambda_context: Any, href: str
) -> None:
    # docs/api.md, "Links and identifiers": a link in body_html is held to the same rules as the image's
    body = f'<p>Читать <a href="{href}">здесь</a>.</p>'
    status, _, created = post(partner, encode(article_doc("urn:x:body-link", body=body)), lambda_context)
    assert status == 201, created
    _, _, stored = on_article("GET", partner, created["id"], lambda_context)
    assert "href" not in stored["article"]["body_html"], stored["article"]["body_html"]
