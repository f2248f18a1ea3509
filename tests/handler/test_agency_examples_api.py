"""Issue 9, "Every agency's stories, no field lost", through the API: IPTC's own ninjs 2.x and 3.x
examples are accepted (201) with warnings naming what is not published, and the article file that
publish writes carries the agency fields.

Fixtures (https://github.com/iptc/newsinjson, MIT licence, Copyright IPTC), unchanged:
``ninjs3_tt_text_image.json`` = ``examples/3.1/tt_text_image_3.json`` (commit 146e2d2c),
``ninjs3_dpa_text.json`` = ``examples/3.0/dpa_text.json`` (commit 5a1e5cda),
``ninjs3_businesswire_composite.json`` = ``examples/3.0/businesswire-newsml-20130731006140.json``
(commit 0a63ad50); the 2.x ones are described in tests/unit/test_agency_examples.py.
"""

from __future__ import annotations

import json
from typing import Any

import pytest

from tests.conftest import Partner, Stack, load_ninjs, load_ninjs_bytes
from tests.handler.ninjs_builders import encode
from tests.handler.stream import TableStream
from tests.handler.test_ingest_api import post
from tests.handler.test_publish import Newsroom, article_file, snapshot_bucket  # noqa: F401 (fixture)

pytestmark = pytest.mark.handler

EXAMPLES = {
    "iptc_ntb_text.json": [
        "/ednote is a note for the receiving newsroom: kept with the article (GET), never published"
    ],
    "iptc_tt_text_image.json": ["/slugline is not published by Newsdesk; kept in the archive"],
    "iptc_composite_multimedia.json": ["/profile is not published by Newsdesk; kept in the archive"],
    "ninjs3_tt_text_image.json": ["/representationType is not published by Newsdesk; kept in the archive"],
    "ninjs3_dpa_text.json": ["/urgency is not published by Newsdesk; kept in the archive"],
    "ninjs3_businesswire_composite.json": [
        "/associations/0 is an association of type graphic: only pictures are published",
        "/associations/1 is an association of type video: only pictures are published",
    ],
}


@pytest.fixture
def room(stack: Stack, partner: Partner, snapshot_bucket: str, lambda_context: Any) -> Newsroom:  # noqa: F811
    stream = TableStream(stack.dynamodb, stack.table_name)
    return Newsroom(stack=stack, partner=partner, context=lambda_context, bucket=snapshot_bucket, stream=stream)


@pytest.mark.parametrize("name", sorted(EXAMPLES))
def test_iptc_examples_are_accepted_with_what_is_not_published_named(
    name: str, partner: Partner, lambda_context: Any
) -> None:
    # When
    status, _, body = post(partner, load_ninjs_bytes(name), lambda_context)

    # Then
    assert status == 201, body
    for warning in EXAMPLES[name]:
        assert warning in body["warnings"]


def test_a_ninjs_31_story_is_published_with_its_agency_fields(room: Newsroom) -> None:
    # Given TT's 3.1 example, whose rights expired in 2023 (it would be stored retracted): without
    # that date, and with a dateline place, an event and a source with a web address
    document = load_ninjs("ninjs3_tt_text_image.json")
    del document["expires"]
    document["located"] = "Stockholm"
    document["events"] = [{"name": "Aurora 23", "uri": "http://tt.se/event/aurora-23"}]
    document["infoSources"] = [{"name": "TT", "uri": "https://tt.se/"}]
    document["edNote"] = "Uppdaterad"

    # When
    accepted = room.post(encode(document))
    room.publish()
    page = room.json(article_file(accepted["id"]))

    # Then
    assert page["headline"] == "Militärövning i jätteformat hålls 2023"
    assert page["located"] == "Stockholm"
    assert page["events"] == [{"name": "Aurora 23", "uri": "http://tt.se/event/aurora-23"}]
    assert page["genres"] == [{"name": "Inrikes", "uri": "http://tt.se/spec/sector/1.0/INR"}]
    assert page["altids"] == [
        {"role": "originaltransmissionreference", "value": "a0f2d045-1058-46d1-9f9a-ad80ed1bc86f"}
    ]
    assert page["source_url"] == "https://tt.se/"
    assert page["sources"] == ["TT"]
    assert page["mentions"]["subjects"] == [
        {"name": "Krig, konflikter och oroligheter", "uri": "http://tt.se/spec/subref/1.0/16000000"}
    ]
    assert "Försvar TT" in page["body_html"] and "FörsvarTT" not in page["body_html"]
    # the editorial note is not in the public file, and the response said so
    assert "Uppdaterad" not in json.dumps(page, ensure_ascii=False)
    assert any(warning.startswith("/edNote ") for warning in accepted["warnings"])
