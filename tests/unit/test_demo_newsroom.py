"""The demo newsroom of `make run` (newsdesk_ops.demo): its stories are what the API accepts, without
a warning, and fill every section of the site in both languages; its pictures are told apart."""

from __future__ import annotations

from datetime import UTC, datetime

import pytest

from newsdesk.ninjs import validate_document
from newsdesk.sections import section_for, section_map
from newsdesk_ops.demo import demo_enabled, ninjs_for
from newsdesk_ops.demo_images import picture_jpeg
from newsdesk_ops.demo_stories import OUTLETS, STORIES

pytestmark = pytest.mark.unit

NOW = datetime(2026, 11, 30, 9, 0, tzinfo=UTC)
OUTLET = {outlet.key: outlet for outlet in OUTLETS}


def test_every_story_is_accepted_without_warnings_and_every_section_gets_some() -> None:
    sections = set()
    for story in STORIES:
        document = ninjs_for(
            story,
            OUTLET[story.outlet],
            now=NOW,
            lead_url="http://127.0.0.1:9/lead.jpg" if story.picture else "",
            inline_url="http://127.0.0.1:9/inline.jpg" if story.inline_picture else "",
        )
        validated = validate_document(document, default_language=OUTLET[story.outlet].language)
        assert validated.warnings == [], story.slug
        assert validated.content.headline == story.headline
        sections.add(section_for(validated.content.section_hints, OUTLET[story.outlet].section))
    assert sections == set(section_map().sections)
    assert {story.language for story in STORIES} == {"ru", "en"}
    assert len(STORIES) >= 25
    assert any(story.inline_picture for story in STORIES)
    assert len({story.slug for story in STORIES}) == len(STORIES)


def test_pictures_differ_by_story() -> None:
    pictures = [story.picture for story in STORIES if story.picture]
    assert len({(p.colours, p.shape, p.label) for p in pictures}) == len(pictures)
    first, second = pictures[:2]
    one = picture_jpeg(first.label, first.colours, first.shape, size=(320, 200))
    other = picture_jpeg(second.label, second.colours, second.shape, size=(320, 200))
    assert one.startswith(b"\xff\xd8") and one != other


@pytest.mark.parametrize(
    ("value", "enabled"), [(None, True), ("", True), ("0", True), ("1", False), ("yes", False), ("true", False)]
)
def test_newsdesk_no_demo_skips_the_demo(value: str | None, enabled: bool) -> None:
    assert demo_enabled({} if value is None else {"NEWSDESK_NO_DEMO": value}) is enabled
