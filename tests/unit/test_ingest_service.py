"""Ingest's rules (ordering, replay, retraction, races) against in-memory stores: no AWS, no moto."""

from __future__ import annotations

from dataclasses import replace
from datetime import UTC, datetime
from typing import Any

import pytest

from ingest.service import IngestOutcome, IngestService
from newsdesk.articles import ArticleRecord, RevisionRaced
from newsdesk.errors import NotFound, PreconditionFailed, ValidationFailed, VersionConflict
from newsdesk.models import ArticleStatus, content_from_json
from newsdesk.partners import Principal
from tests.handler.ninjs_builders import article_doc, encode
from tests.support.fakes import FakeArchive, FakeArticleStore

pytestmark = pytest.mark.unit

NOW = datetime(2026, 11, 25, 10, 0, tzinfo=UTC)
OBORONKA = Principal(
    partner_id="oboronka-daily",
    key_id="k_1",
    role="partner",
    language="ru",
    section="defence-industry",
    name="Oboronka",
)
AVIAPORT = replace(OBORONKA, partner_id="aviaport", key_id="k_2", name="Aviaport")


@pytest.fixture
def store() -> FakeArticleStore:
    return FakeArticleStore()


@pytest.fixture
def archive() -> FakeArchive:
    return FakeArchive()


@pytest.fixture
def service(store: FakeArticleStore, archive: FakeArchive) -> IngestService:
    return IngestService(store=store, archive=archive)


def submit(
    service: IngestService, doc: dict[str, Any], *, replace_id: str | None = None, if_match: int | None = None
) -> IngestOutcome:
    return service.submit(encode(doc), OBORONKA, request_id="r", now=NOW, replace_id=replace_id, if_match=if_match)


def test_a_new_story_stores_raw_bytes_and_the_normalized_article_it_points_at(
    service: IngestService, archive: FakeArchive
) -> None:
    outcome = submit(service, article_doc())
    record = outcome.record
    assert outcome.created and record.revision == 1 and record.status is ArticleStatus.PUBLISHED
    assert archive.objects[record.archive_key] == encode(article_doc())
    stored = content_from_json(archive.get_normalized(record.normalized_key))
    assert stored.headline == record.headline and stored.body_html.startswith("<p>Первый абзац")


def test_the_same_content_again_is_a_replay_with_nothing_written(
    service: IngestService, store: FakeArticleStore, archive: FakeArchive
) -> None:
    first = submit(service, article_doc())
    written = dict(archive.objects)
    again = service.submit(encode(article_doc(), indent=2), OBORONKA, request_id="r2", now=NOW)
    assert again.replayed and not again.created and again.record == first.record
    assert archive.objects == written and len(store.history) == 1


def test_a_newer_version_is_the_next_revision_and_keeps_its_first_publication_time(service: IngestService) -> None:
    first = submit(service, article_doc())
    second = submit(service, article_doc(version="2", versioncreated="2026-11-25T09:00:00Z", headline="Новое"))
    assert second.record.revision == 2 and second.record.headline == "Новое"
    assert second.record.published_at == first.record.published_at


@pytest.mark.parametrize(
    ("version", "versioncreated"),
    [("1", "2026-11-25T07:00:00Z"), ("0", "2026-11-25T08:00:00Z")],
)
def test_an_older_version_is_refused_and_changes_nothing(
    service: IngestService, store: FakeArticleStore, version: str, versioncreated: str
) -> None:
    submit(service, article_doc(version="1", versioncreated="2026-11-25T08:00:00Z"))
    before = dict(store.current)
    with pytest.raises(VersionConflict):
        submit(service, article_doc(version=version, versioncreated=versioncreated, headline="Старое"))
    assert store.current == before


def test_the_same_version_with_other_content_needs_a_put(service: IngestService) -> None:
    created = submit(service, article_doc())
    with pytest.raises(VersionConflict):
        submit(service, article_doc(headline="Правка"))
    replaced = submit(service, article_doc(headline="Правка"), replace_id=created.record.article_id, if_match=1)
    assert replaced.record.revision == 2 and replaced.record.headline == "Правка"


def test_a_put_with_a_stale_tag_or_for_another_story_is_refused(service: IngestService) -> None:
    created = submit(service, article_doc()).record
    with pytest.raises(PreconditionFailed):
        submit(service, article_doc(version="2"), replace_id=created.article_id, if_match=7)
    with pytest.raises(ValidationFailed):
        submit(service, article_doc("urn:other"), replace_id=created.article_id, if_match=1)


def test_another_partners_story_is_not_found(service: IngestService) -> None:
    created = submit(service, article_doc()).record
    with pytest.raises(NotFound):
        service.owned(created.article_id, AVIAPORT)
    with pytest.raises(NotFound):
        service.retract(created.article_id, AVIAPORT, request_id="r", now=NOW)


def test_retracting_twice_makes_one_tombstone_revision(service: IngestService, store: FakeArticleStore) -> None:
    created = submit(service, article_doc()).record
    service.retract(created.article_id, OBORONKA, request_id="r", now=NOW)
    service.retract(created.article_id, OBORONKA, request_id="r", now=NOW)
    current = store.get(created.article_id)
    assert current is not None and current.status is ArticleStatus.RETRACTED and current.revision == 2


def test_losing_a_race_rereads_and_becomes_the_next_revision(service: IngestService, store: FakeArticleStore) -> None:
    # Given another writer advances the story between our read and our write
    first = submit(service, article_doc()).record
    rival = replace(first, revision=2, content_hash="rival", headline="Чужая правка")
    store.lose_next_race_to = rival
    # When our newer version is written
    ours = submit(service, article_doc(version="3", versioncreated="2026-11-25T09:30:00Z", headline="Наша"))
    # Then we re-read, find revision 2 and take revision 3; the attempt at 2 stays as history only
    assert ours.record.revision == 3 and store.current[first.article_id].headline == "Наша"
    assert sorted(revision for (_, revision, _) in store.history) == [1, 2, 3]


def test_a_store_that_keeps_racing_ends_in_a_conflict_not_a_loop(store: FakeArticleStore, archive: FakeArchive) -> None:
    class AlwaysRaced(FakeArticleStore):
        def put_revision(self, record: ArticleRecord, **_: Any) -> ArticleRecord:
            raise RevisionRaced(record.article_id)

    with pytest.raises(VersionConflict):
        submit(IngestService(store=AlwaysRaced(), archive=archive), article_doc())


def test_record_fields_lists_show_are_plain_text_before_they_are_stored(service: IngestService) -> None:
    """Publish renders record fields as they are stored, so markup must never get that far."""
    marked_up = replace(OBORONKA, name="<i>Oboronka</i> Daily")
    doc = article_doc(headline="<b>Жирный</b> заголовок", descriptions=[{"role": "summary", "value": "<em>Лид</em>"}])
    record = service.submit(encode(doc), marked_up, request_id="r", now=NOW).record
    assert (record.headline, record.lead, record.outlet) == ("Жирный заголовок", "Лид", "Oboronka Daily")


# --- Versions move only forward (issue 8, "What broke" 3 and 4) -----------------------------------


@pytest.mark.parametrize(
    "unordered", [{"version": None, "versioncreated": None}, {"version": "abc", "versioncreated": None}]
)
@pytest.mark.attack(3)
def test_a_document_that_cannot_be_ordered_is_refused_so_an_older_one_cannot_follow_it(
    service: IngestService, store: FakeArticleStore, unordered: dict[str, Any]
) -> None:
    # Given version 5 is stored
    five = submit(service, article_doc(version="5", versioncreated="2026-11-25T09:00:00Z", headline="Пятая"))
    # When the same story comes without version information (or with a label that says nothing about order)
    with pytest.raises(VersionConflict, match="cannot be ordered"):
        submit(service, article_doc(headline="Без версии", **unordered))
    # And then version 4
    with pytest.raises(VersionConflict):
        submit(service, article_doc(version="4", versioncreated="2026-11-25T08:30:00Z", headline="Четвёртая"))
    # Then the story is still at version 5
    current = store.get(five.record.article_id)
    assert current is not None and current.version == "5" and current.headline == "Пятая"


@pytest.mark.attack(3)
def test_a_put_states_the_replacement_so_an_unordered_document_is_accepted(service: IngestService) -> None:
    created = submit(service, article_doc(version="5")).record
    replaced = submit(service, article_doc(version="abc", headline="Замена"), replace_id=created.article_id, if_match=1)
    assert replaced.record.revision == 2 and replaced.record.version == "abc"


@pytest.mark.attack(4)
def test_a_put_retried_after_its_response_was_lost_is_a_replay(service: IngestService) -> None:
    # Given a PUT that was written (revision 2) but whose answer the partner never saw
    created = submit(service, article_doc()).record
    put = article_doc(version="2", headline="Замена")
    first = submit(service, put, replace_id=created.article_id, if_match=1)
    # When the partner retries it with the same If-Match
    again = submit(service, put, replace_id=created.article_id, if_match=1)
    # Then it is the replay it is: same revision, nothing written, no 412
    assert again.replayed and again.record == first.record and again.record.revision == 2
