"""Hostile review of issue 7 (normalized article, dataclass models, no transactions): rule-level reproductions.

Each test either reproduced a problem found in review (fixed since) or is an attack that held, kept as
a regression test. The end-to-end effects of the same problems are in
tests/handler/test_review_findings.py.
"""

from __future__ import annotations

import json
from dataclasses import replace
from datetime import UTC, datetime, timedelta, timezone
from typing import Any

import pytest

from ingest.service import IngestService, build_record, parse_json
from newsdesk.articles import ArticleRecord, record_from_json, record_to_json
from newsdesk.errors import MalformedRequest, NewsdeskError, ValidationFailed
from newsdesk.models import ArticleStatus, content_bytes, content_from_json, content_to_json
from newsdesk.ninjs import validate_document
from tests.handler.ninjs_builders import article_doc, encode
from tests.support.fakes import FakeArchive, FakeArticleStore
from tests.unit.test_ingest_service import NOW, OBORONKA

pytestmark = pytest.mark.unit

PARTNER = OBORONKA


def record(**changes: Any) -> ArticleRecord:
    base = ArticleRecord(
        article_id="aexample",
        partner_id="oboronka-daily",
        uri="urn:x",
        revision=1,
        status=ArticleStatus.PUBLISHED,
        content_hash="0" * 64,
        archive_key="raw/k.json",
        normalized_key="normalized/k.json",
        headline="H",
        language="ru",
        published_at=NOW,
        updated_at=NOW,
        received_at=NOW,
    )
    return replace(base, **changes)


# --- Findings ------------------------------------------------------------------------------------


@pytest.mark.parametrize("year", [1, 999])
def test_a_record_dated_before_year_1000_reads_back(year: int) -> None:
    """utc_text() spells year 999 as "999-…" (strftime does not pad %Y on glibc) and parse_utc() refuses
    that, so a record the partner's own firstcreated/versioncreated dated there cannot be read again:
    every GET, POST, PUT, DELETE of the story, every list it heads and publish --all fail with a 500.
    The pydantic model before issue 7 wrote "0999-…" and read it back."""
    ancient = datetime(year, 5, 1, tzinfo=UTC)
    stored = record(published_at=ancient, versioncreated=ancient, updated_at=ancient)
    assert record_from_json(record_to_json(stored)) == stored


@pytest.mark.parametrize("moment", ["0001-01-01T00:00:00+05:00", "9999-12-31T23:59:59-05:00"])
def test_an_offset_that_leaves_the_datetime_range_is_a_validation_error(moment: str) -> None:
    """parse_date_time() converts to UTC with astimezone(), which raises OverflowError (not ValueError)
    at the ends of the range: validate_document lets it escape, POST answers 500. (Also before issue 7.)"""
    with pytest.raises(ValidationFailed) as refused:
        validate_document(article_doc(versioncreated=moment), default_language="ru")
    assert [error.pointer for error in refused.value.errors] == ["/versioncreated"]


def test_an_integer_longer_than_pythons_digit_limit_is_a_client_error() -> None:
    """json.loads raises a plain ValueError (not JSONDecodeError) for an integer of more than 4300
    digits, and parse_json does not catch it: POST /v1/articles and POST /v1/events answer 500 to a
    ~4 KB body. (Also before issue 7.)"""
    raw = encode(article_doc())[:-1] + b', "x": ' + b"1" * 5000 + b"}"
    with pytest.raises(NewsdeskError) as refused:
        parse_json(raw)
    assert refused.value.status in (400, 413, 422)


def test_a_partner_cannot_date_a_story_into_the_future() -> None:
    """published_at comes from the partner's firstcreated unchecked: a story "first created" in 2999 sorts
    first in latest.json, its section and its outlet until then (list_sk is the published time), pushing
    everyone else's stories down. (Also before issue 7.)"""
    validated = validate_document(
        article_doc(firstcreated="2999-01-01T00:00:00Z", versioncreated="2999-01-01T00:00:00Z"), default_language="ru"
    )
    stored = build_record(validated, PARTNER, "aexample", None, NOW, raw_digest="0" * 64, normalized_digest="1" * 64)
    assert stored.published_at <= NOW


# --- Attacks that held -----------------------------------------------------------------------------


@pytest.mark.parametrize(
    "extra",
    [
        {"versioncreated": "2026-11-25T11:00:00.123456+03:00"},
        {"firstcreated": "0999-05-01T00:00:00Z"},
        {"embargoed": "9999-12-31T23:59:59Z"},
        {"versioncreated": "2026-11-25 08:00z"},
        {"by": "Анна 🚀 Ка\u0301рпова", "headlines": [{"role": "main", "value": "e\u0301 <b>жирный</b> 𝔘"}]},
        {
            "associations": [
                {
                    "name": "photo",
                    "uri": "urn:x:photo",
                    "type": "picture",
                    "renditions": [{"name": "r", "href": "https://cdn.example/p.jpg", "width": 1e5, "height": 12.6}],
                    "by": "Фото: ТАСС",
                }
            ]
        },
        {"organisations": [{"name": "АО «УВЗ»", "uri": "javascript:alert(1)"}, {"name": "ОАК"}]},
    ],
)
def test_the_stored_normalized_article_round_trips(extra: dict[str, Any]) -> None:
    """What GET returns and publish renders is content_from_json(json.loads(content_bytes(c))): it must be c."""
    content = validate_document(article_doc(**extra), default_language="ru").content
    stored = json.loads(content_bytes(content))
    assert content_from_json(stored) == content
    assert stored == content_to_json(content)
    # Times are stored in UTC, spelled with Z, whatever offset the partner used.
    for name in ("versioncreated", "firstcreated", "embargoed"):
        assert stored[name] is None or stored[name].endswith("Z")


def test_offsets_and_fractions_become_utc_in_the_record() -> None:
    moment = datetime(2026, 11, 25, 11, 0, 0, 123456, tzinfo=timezone(timedelta(hours=3)))
    stored = record(versioncreated=moment, updated_at=moment)
    values = record_to_json(stored)
    assert values["versioncreated"] == "2026-11-25T08:00:00Z"
    # Whole seconds in the record (as the API and snapshots spell times): the fraction is dropped on purpose.
    assert record_from_json(values).versioncreated == moment.replace(microsecond=0)


@pytest.mark.parametrize(
    "raw",
    [
        b'{"uri": "u", "headlines": [{"value": NaN}]}',
        b'{"uri": "u", "x": Infinity}',
        b'{"uri": "\\ud800", "headlines": [{"value": "h"}]}',
        b'{"\\udc00": 1, "uri": "u"}',
        b'{"uri": "u", "x": 1e400}',
    ],
)
def test_values_json_cannot_carry_safely_are_refused_before_anything_is_stored(raw: bytes) -> None:
    store, archive = FakeArticleStore(), FakeArchive()
    with pytest.raises(NewsdeskError) as refused:
        IngestService(store=store, archive=archive).submit(raw, PARTNER, request_id="r", now=NOW)
    assert refused.value.status in (400, 422)
    assert archive.objects == {} and store.current == {}


def test_a_retry_adopts_the_revision_item_the_first_attempt_wrote() -> None:
    """A crash between the revision item and CURRENT: the retry (later clock) completes the first attempt's record."""
    store, archive = FakeArticleStore(), FakeArchive()
    service = IngestService(store=store, archive=archive)
    raw = encode(article_doc())
    first = service.submit(raw, PARTNER, request_id="a", now=NOW).record
    # Forget CURRENT as if the first attempt had crashed before it; its revision item stays.
    store.current.clear()
    retried = service.submit(raw, PARTNER, request_id="b", now=NOW + timedelta(minutes=5))
    assert retried.record == first and store.current[first.article_id] == first


def test_parse_json_refuses_deep_nesting_as_a_client_error() -> None:
    with pytest.raises(MalformedRequest):
        parse_json(b"[" * 100_000 + b"]" * 100_000)
