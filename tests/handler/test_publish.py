"""The publish function in-process: partner posts through ingest, the table's stream (read from moto)
drives the handler, and the snapshot bucket is checked byte for byte."""

from __future__ import annotations

import copy
import hashlib
import json
import re
from collections.abc import Iterator
from dataclasses import dataclass, field
from datetime import UTC, datetime, timedelta
from html.parser import HTMLParser
from typing import Any

import jsonschema_rs
import pytest
from lxml import etree

from newsdesk.dal import clients as aws
from newsdesk.dal.archive import Archive
from newsdesk.dal.articles import ArticleStore
from newsdesk.dal.snapshots import SnapshotStore
from newsdesk.sanitize import ALLOWED_TAGS
from newsdesk.settings import get_settings
from newsdesk.snapshots import json_schemas
from newsdesk.snapshots.paths import day_pages_folder
from publish.publisher import Publisher
from tests.conftest import Partner, Stack, forget_process_state, load_event, load_ninjs_bytes
from tests.fixtures.injections import MARKUP_ATTACKS, URL_ATTACKS
from tests.handler.ninjs_builders import article_doc, encode
from tests.handler.stream import TableStream
from tests.handler.test_ingest_api import on_article, post
from tests.support.aws_calls import AwsCalls

pytestmark = pytest.mark.handler

SNAPSHOT_BUCKET = "newsdesk-test-snapshotbucket"
JSON_UTF8 = "application/json; charset=utf-8"


# --- Fixtures ------------------------------------------------------------------------------------


def create_bucket(stack: Stack, name: str) -> str:
    region = stack.s3.meta.region_name
    stack.s3.create_bucket(Bucket=name, CreateBucketConfiguration={"LocationConstraint": region})
    return name


def forget_publish_state() -> None:
    from publish import app

    forget_process_state()
    app.publisher.cache_clear()


@pytest.fixture
def snapshot_bucket(stack: Stack, monkeypatch: pytest.MonkeyPatch) -> Iterator[str]:
    # The stack makes the bucket once template.yaml declares SnapshotBucket; until then the test does.
    # When the template has it for good, this line becomes: bucket = stack.environment["SNAPSHOT_BUCKET"]
    bucket = stack.environment.get("SNAPSHOT_BUCKET") or create_bucket(stack, SNAPSHOT_BUCKET)
    monkeypatch.setenv("SNAPSHOT_BUCKET", bucket)
    forget_publish_state()
    yield bucket
    forget_publish_state()


@dataclass
class Newsroom:
    """A partner posting through the API, and the publish function fed from the table's stream."""

    stack: Stack
    partner: Partner
    context: Any
    bucket: str
    stream: TableStream
    written: list[str] = field(default_factory=list)

    def post(self, doc: dict[str, Any] | bytes, partner: Partner | None = None) -> dict[str, Any]:
        raw = doc if isinstance(doc, bytes) else encode(doc)
        status, _, body = post(partner or self.partner, raw, self.context)
        assert status in (200, 201), body
        return dict(body)

    def retract(self, article_id: str) -> None:
        status, _, _ = on_article("DELETE", self.partner, article_id, self.context)
        assert status == 204

    def invoke(self, event: dict[str, Any]) -> dict[str, Any]:
        from publish.app import handler

        return dict(handler(event, self.context))

    def publish(self) -> dict[str, Any]:
        """Deliver everything new on the stream to the publish function, as one batch."""
        event = self.stream.read_event()
        assert event is not None, "nothing on the stream"
        return self.invoke(event)

    def timer(self, at: datetime) -> dict[str, Any]:
        event = copy.deepcopy(load_event("scheduled_event.json"))
        event["time"] = at.astimezone(UTC).strftime("%Y-%m-%dT%H:%M:%SZ")
        return self.invoke(event)

    def files(self, bucket: str | None = None) -> dict[str, bytes]:
        listing = self.stack.s3.list_objects_v2(Bucket=bucket or self.bucket)
        return {
            item["Key"]: self.stack.s3.get_object(Bucket=bucket or self.bucket, Key=item["Key"])["Body"].read()
            for item in listing.get("Contents", [])
        }

    def json(self, path: str) -> Any:
        return json.loads(self.stack.s3.get_object(Bucket=self.bucket, Key=path)["Body"].read())

    def exists(self, path: str) -> bool:
        return path in self.files()

    def watch_puts(self) -> None:
        """Record the key of every PutObject the functions make from now on."""

        def remember(params: dict[str, Any], **_: Any) -> None:
            if params.get("Bucket") == self.bucket:
                self.written.append(params["Key"])

        aws.s3_client().meta.events.register("provide-client-params.s3.PutObject", remember)


@pytest.fixture
def newsroom(stack: Stack, partner: Partner, snapshot_bucket: str, lambda_context: Any) -> Newsroom:
    stream = TableStream(stack.dynamodb, stack.table_name)
    return Newsroom(stack=stack, partner=partner, context=lambda_context, bucket=snapshot_bucket, stream=stream)


def article_file(article_id: str) -> str:
    return f"v1/articles/{article_id}.json"


def files_of_one_defence_story(article_id: str, partner_id: str) -> list[str]:
    """What one changed story of 2026-11-25 in defence-industry rewrites: its file, its three lists and
    their day pages, the feeds of the lists that have them, the news sitemap and the manifest."""
    return [
        article_file(article_id),
        "v1/latest.json",
        "v1/sections/defence-industry.json",
        f"v1/outlets/{partner_id}.json",
        "v1/latest/2026-11-25.json",
        "v1/sections/defence-industry/2026-11-25.json",
        f"v1/outlets/{partner_id}/2026-11-25.json",
        "v1/feeds/latest.xml",
        "v1/feeds/latest.atom",
        "v1/feeds/sections/defence-industry.xml",
        "v1/feeds/sections/defence-industry.atom",
        "v1/sitemap-news.xml",
        "v1/manifest.json",
    ]


def listed_ids(newsroom: Newsroom, path: str) -> list[str]:
    return [item["id"] for item in newsroom.json(path)["items"]]


# --- The article page and its lists --------------------------------------------------------------


def test_published_article_carries_the_page_and_enters_its_lists(newsroom: Newsroom) -> None:
    # Given a realistic Russian defence-industry story posted by a partner
    created = newsroom.post(load_ninjs_bytes("ru_defence_industry.json"))
    article_id = created["id"]
    # When the stream delivers the change to publish
    response = newsroom.publish()
    # Then the batch succeeded and the article page holds everything the site shows
    assert response == {"batchItemFailures": []}
    page = newsroom.json(article_file(article_id))
    assert page["kind"] == "article" and page["schema_version"] == "v1" and page["revision"] == 1
    assert page["headline"] == "НПО «Контур-М» начало серийный выпуск беспилотного комплекса «Стриж-М»"
    assert page["lead"].startswith("Нижегородское НПО «Контур-М» перешло")
    assert "<strong>Андрей Ковалёв</strong>" in page["body_html"]
    assert page["byline"] == "Ирина Белозёрова"
    assert page["outlet"] == {"id": newsroom.partner.partner_id, "name": "Oboronka Daily"}
    assert page["rights"] == {
        "holder": "ООО «Оборонные ведомости»",
        "notice": "Права на данный материал принадлежат ООО «Оборонные ведомости»",
        "usage_terms": "Материал размещён правообладателем в открытом доступе",
        "info_url": "https://oboronvedomosti.example/rights",
    }
    image = page["lead_image"]
    # Pending until the media function has copied it (tests/handler/test_media_pipeline.py): never
    # the partner's URL
    assert image["status"] == "pending" and image["url"] == "" and image["renditions"] == []
    assert (image["width"], image["height"]) == (1600, 1067)
    assert image["credit"] == "Источник: пресс-служба АО «НПО «Контур-М»"
    assert image["caption"].startswith("Беспилотный комплекс «Стриж-М»")
    mentions = page["mentions"]
    assert next(m["name"] for m in mentions["companies"]) == "АО «НПО «Контур-М»"
    assert [m["name"] for m in mentions["people"]] == ["Андрей Ковалёв"]
    assert {m["name"] for m in mentions["places"]} == {"Нижний Новгород", "Казань"}
    assert "Беспилотный комплекс «Стриж-М»" in [m["name"] for m in mentions["projects"]]
    assert page["section"] == {"slug": "defence-industry", "title": "ОПК"}
    assert page["language"] == "ru"
    assert page["published_at"] == "2026-11-25T03:40:00Z"
    assert page["updated_at"] == "2026-11-25T06:15:30Z"
    # And it is listed, newest first, in latest, its section and its outlet
    for path in (
        "v1/latest.json",
        "v1/sections/defence-industry.json",
        f"v1/outlets/{newsroom.partner.partner_id}.json",
    ):
        listing = newsroom.json(path)
        assert listing["items"][0]["id"] == article_id
        assert listing["items"][0]["headline"] == page["headline"]
        assert "body_html" not in listing["items"][0]


def test_files_are_utf8_json_with_the_headers_of_their_kind(newsroom: Newsroom) -> None:
    created = newsroom.post(article_doc())
    newsroom.publish()
    expected = {
        article_file(created["id"]): "public, max-age=300, stale-while-revalidate=600",
        "v1/latest.json": "public, max-age=60, stale-while-revalidate=60",
        "v1/manifest.json": "no-cache",
        "v1/schemas/article.json": "public, max-age=86400",
    }
    for path, cache_control in expected.items():
        head = newsroom.stack.s3.head_object(Bucket=newsroom.bucket, Key=path)
        assert head["ContentType"] == JSON_UTF8
        assert head["CacheControl"] == cache_control
    raw = newsroom.files()[article_file(created["id"])]
    # Non-ASCII is written as is, not as \\u escapes
    assert "Уралвагонзавод".encode() in raw and b"\\u04" not in raw


def test_manifest_lists_every_list_and_schema_with_its_hash(newsroom: Newsroom) -> None:
    newsroom.post(article_doc())
    newsroom.publish()
    files = newsroom.files()
    manifest = json.loads(files["v1/manifest.json"])
    listed = {entry["path"]: entry["sha256"] for entry in manifest["entries"] + manifest["schemas"]}
    # (day pages are not listed: the manifest stays bounded, the head lists lead to them)
    expected_paths = {
        path
        for path in files
        if not path.startswith("v1/articles/") and path != "v1/manifest.json" and day_pages_folder(path) is None
    }
    assert set(listed) == expected_paths
    for path, digest in listed.items():
        assert hashlib.sha256(files[path]).hexdigest() == digest
    # (empty section lists and v1/sections.json have no time of their own: null)
    times = [entry["generated_at"] for entry in manifest["entries"] if entry["generated_at"]]
    assert manifest["generated_at"] == max(times)


# --- Schemas -------------------------------------------------------------------------------------


def test_every_snapshot_validates_against_its_published_schema(newsroom: Newsroom) -> None:
    # Given stories in several languages, one of them retracted after publication
    ids = [
        newsroom.post(load_ninjs_bytes(name))["id"]
        for name in (
            "ru_defence_industry.json",
            "en_agency.json",
            "de_regional.json",
            "sv_tt.json",
            "plain_text_only.json",
            "uk_or_other_script.json",
            "with_unknown_fields.json",
        )
    ]
    newsroom.publish()
    newsroom.retract(ids[0])
    newsroom.publish()
    files = newsroom.files()
    # Then every file names its kind, and validates against the schema published for that kind
    schemas = {
        path.removeprefix("v1/schemas/").removesuffix(".json"): json.loads(body)
        for path, body in files.items()
        if path.startswith("v1/schemas/")
    }
    assert set(schemas) == {"article", "tombstone", "list", "manifest", "trending", "counters", "counts", "sections"}
    kinds_seen = set()
    for path, body in files.items():
        if path.startswith("v1/schemas/"):
            jsonschema_rs.meta.validate(json.loads(body))
            continue
        if not path.endswith(".json"):
            continue  # feeds and the news sitemap (XML): tests/handler/test_feeds.py
        document = json.loads(body)
        kinds_seen.add(document["kind"])
        errors = list(jsonschema_rs.Draft202012Validator(schemas[document["kind"]]).iter_errors(document))
        assert errors == [], (path, [error.message for error in errors])
    assert kinds_seen == {"article", "tombstone", "list", "manifest", "sections"}


# --- Retraction, withholding, embargo ------------------------------------------------------------


def test_retraction_leaves_every_list_and_leaves_a_tombstone_in_the_same_run(newsroom: Newsroom) -> None:
    # Given two published stories of one partner
    kept = newsroom.post(article_doc("urn:x:kept", headline="Остаётся в ленте"))["id"]
    retracted = newsroom.post(article_doc("urn:x:gone", headline="Будет отозвана"))["id"]
    newsroom.publish()
    assert set(listed_ids(newsroom, "v1/latest.json")) == {kept, retracted}
    # When the partner retracts one and the stream delivers it
    newsroom.retract(retracted)
    newsroom.publish()
    # Then its file is a small tombstone and no list holds it any more
    tombstone = newsroom.json(article_file(retracted))
    assert tombstone == {
        "schema_version": "v1",
        "kind": "tombstone",
        "id": retracted,
        "status": "retracted",
        "revision": 2,
        "updated_at": tombstone["updated_at"],
        "reason": "deleted",
        "note": None,
    }
    for path in (
        "v1/latest.json",
        "v1/sections/defence-industry.json",
        f"v1/outlets/{newsroom.partner.partner_id}.json",
    ):
        assert listed_ids(newsroom, path) == [kept]


def test_withheld_update_replaces_the_page_and_a_withheld_new_story_is_never_written(
    newsroom: Newsroom,
) -> None:
    # Given a published story
    article_id = newsroom.post(article_doc("urn:x:withheld-later"))["id"]
    newsroom.publish()
    # When the partner withholds it with a newer version, and sends another story withheld from the start
    newsroom.post(article_doc("urn:x:withheld-later", version="2", pubstatus="withheld"))
    never = newsroom.post(article_doc("urn:x:never", pubstatus="withheld"))["id"]
    newsroom.publish()
    # Then the page became a tombstone, the lists are empty, and the other story has no file at all
    assert newsroom.json(article_file(article_id))["status"] == "withheld"
    assert listed_ids(newsroom, "v1/latest.json") == []
    assert not newsroom.exists(article_file(never))


def test_embargoed_story_is_published_by_the_timer_once_its_time_has_come(newsroom: Newsroom) -> None:
    # Given a story under embargo for another hour
    embargo = (datetime.now(UTC) + timedelta(hours=1)).replace(microsecond=0)
    created = newsroom.post(article_doc("urn:x:embargo", embargoed=embargo.strftime("%Y-%m-%dT%H:%M:%SZ")))
    assert created["status"] == "embargoed"
    newsroom.publish()
    assert not newsroom.exists(article_file(created["id"]))
    assert not newsroom.exists("v1/latest.json")
    # When the timer runs before the embargo ends, nothing is released
    assert newsroom.timer(embargo - timedelta(minutes=1)) == {"released": 0, "expired": 0}
    assert newsroom.stream.read_event() is None
    # When it runs after, the story is released, and the stream publishes it
    assert newsroom.timer(embargo + timedelta(minutes=1)) == {"released": 1, "expired": 0}
    assert newsroom.publish() == {"batchItemFailures": []}
    page = newsroom.json(article_file(created["id"]))
    assert page["kind"] == "article"
    # listed from its embargo time, not from when it was written
    assert page["published_at"] == embargo.strftime("%Y-%m-%dT%H:%M:%SZ")
    assert listed_ids(newsroom, "v1/latest.json") == [created["id"]]
    # And running the timer again releases nothing twice
    assert newsroom.timer(embargo + timedelta(minutes=2)) == {"released": 0, "expired": 0}


def test_release_loses_quietly_to_a_newer_revision(newsroom: Newsroom) -> None:
    # Given an embargoed story the timer has read
    embargo = (datetime.now(UTC) + timedelta(hours=1)).replace(microsecond=0)
    stamp = embargo.strftime("%Y-%m-%dT%H:%M:%SZ")
    article_id = newsroom.post(article_doc("urn:x:race", embargoed=stamp))["id"]
    store = ArticleStore(newsroom.stack.table_name)
    seen_by_timer = store.get(article_id)
    assert seen_by_timer is not None
    # When the partner withholds it before the release is written
    newsroom.post(article_doc("urn:x:race", version="2", embargoed=stamp, pubstatus="withheld"))
    # Then the release does nothing, and says so without an error
    assert store.release_embargo(seen_by_timer) is False
    current = store.get(article_id)
    assert current is not None and current.status.value == "withheld"


# --- Stream batches ------------------------------------------------------------------------------


def test_a_poisoned_record_fails_alone(newsroom: Newsroom) -> None:
    # Given a batch of two new stories, one of whose stream images is corrupt
    good = newsroom.post(article_doc("urn:x:good", headline="Хорошая новость"))["id"]
    bad = newsroom.post(article_doc("urn:x:bad", headline="Испорченная запись"))["id"]
    event = newsroom.stream.read_event()
    assert event is not None
    poisoned = next(
        r
        for r in event["Records"]
        if r["dynamodb"]["Keys"]["PK"]["S"] == f"ARTICLE#{bad}" and r["dynamodb"]["Keys"]["SK"]["S"] == "CURRENT"
    )
    poisoned["dynamodb"]["NewImage"]["revision"] = {"S": "not a number"}
    # When publish processes the batch
    response = newsroom.invoke(event)
    # Then only the bad record is reported, and the good story is published
    assert response == {"batchItemFailures": [{"itemIdentifier": poisoned["dynamodb"]["SequenceNumber"]}]}
    assert newsroom.json(article_file(good))["headline"] == "Хорошая новость"
    assert not newsroom.exists(article_file(bad))
    assert good in listed_ids(newsroom, "v1/latest.json")


def test_a_record_whose_normalized_article_is_missing_fails_alone(newsroom: Newsroom) -> None:
    good = newsroom.post(article_doc("urn:x:good"))["id"]
    lost = newsroom.post(article_doc("urn:x:lost"))
    newsroom.stack.s3.delete_object(Bucket=newsroom.stack.archive_bucket, Key=_normalized_key(newsroom, lost["id"]))
    event = newsroom.stream.read_event()
    assert event is not None
    response = newsroom.invoke(event)
    failed = [failure["itemIdentifier"] for failure in response["batchItemFailures"]]
    lost_record = next(
        r
        for r in event["Records"]
        if r["dynamodb"]["Keys"] == {"PK": {"S": f"ARTICLE#{lost['id']}"}, "SK": {"S": "CURRENT"}}
    )
    assert failed == [lost_record["dynamodb"]["SequenceNumber"]]
    assert newsroom.exists(article_file(good))


def _normalized_key(newsroom: Newsroom, article_id: str) -> str:
    record = ArticleStore(newsroom.stack.table_name).get(article_id)
    assert record is not None
    return record.normalized_key


def test_canonical_batch_skips_items_that_are_not_articles(newsroom: Newsroom, monkeypatch: pytest.MonkeyPatch) -> None:
    from publish import app

    # Given the canonical batch: a retraction of a story never published here, its history item, TRENDING
    trending: list[str] = []
    monkeypatch.setattr(
        app,
        "handle_trending_change",
        lambda record: trending.append(record.dynamodb.sequence_number if record.dynamodb else None),
    )
    # When publish processes it
    response = newsroom.invoke(load_event("dynamodb_stream_batch.json"))
    # Then nothing failed, the TRENDING record reached its hook, the history item was skipped,
    # and the never-published story got no file while the lists it left were written without it
    assert response == {"batchItemFailures": []}
    assert trending == ["4200000000000000000003"]
    files = newsroom.files()
    assert not any(path.startswith("v1/articles/") for path in files)
    assert json.loads(files["v1/latest.json"])["items"] == []
    assert "v1/outlets/oboronka-daily.json" in files


def test_unknown_events_are_ignored(newsroom: Newsroom) -> None:
    assert newsroom.invoke({"detail-type": "Something Else", "source": "aws.s3"}) == {"ignored": True}
    assert newsroom.files() == {}


# --- Incremental and deterministic ---------------------------------------------------------------


def test_a_change_rewrites_its_file_its_lists_and_the_manifest_only(newsroom: Newsroom, make_partner: Any) -> None:
    # Given stories of two partners in different sections
    other = make_partner(name="Aviaport Weekly", section="aviation")
    changed = newsroom.post(article_doc("urn:x:changed", headline="Первая версия"))["id"]
    untouched = newsroom.post(article_doc("urn:x:still"))["id"]
    elsewhere = newsroom.post(article_doc("urn:y:plane", headline="Самолёт"), partner=other)["id"]
    newsroom.publish()
    newsroom.watch_puts()
    # When one story gets a new headline
    newsroom.post(article_doc("urn:x:changed", version="2", headline="Вторая версия"))
    assert newsroom.publish() == {"batchItemFailures": []}
    # Then exactly its file, the three lists it is in, their day pages of its day, the feeds of the
    # lists that have feeds (and the news sitemap, beside latest), and the manifest were written
    assert sorted(newsroom.written) == sorted(files_of_one_defence_story(changed, newsroom.partner.partner_id))
    assert newsroom.json(article_file(changed))["headline"] == "Вторая версия"
    assert newsroom.json(article_file(untouched))["revision"] == 1
    assert elsewhere in listed_ids(newsroom, "v1/sections/aviation.json")


def test_same_state_gives_the_same_bytes_and_no_puts(newsroom: Newsroom, make_partner: Any) -> None:
    # Given a published newsroom with updates, a retraction and two partners
    other = make_partner(name="Aviaport Weekly", section="aviation")
    first = newsroom.post(load_ninjs_bytes("ru_defence_industry.json"))["id"]
    newsroom.post(load_ninjs_bytes("en_agency.json"), partner=other)
    newsroom.post(article_doc("urn:x:to-retract"))
    newsroom.publish()
    newsroom.post(article_doc("urn:x:to-retract", version="2", headline="Обновлено"))
    newsroom.retract(first)
    event = newsroom.stream.read_event()
    assert event is not None
    newsroom.invoke(event)
    before = newsroom.files()
    calls = AwsCalls().watch(aws.s3_client())
    # When the same batch is delivered again, and a full rebuild runs on the same state
    assert newsroom.invoke(event) == {"batchItemFailures": []}
    from publish.app import publisher

    report = publisher().rebuild_all()
    # Then no file was written, no article was read back from the archive, and every byte is the same
    assert calls.s3_puts == [] and calls.archive_reads() == []
    assert report.files_written == 0 and report.files_unchanged > 0 and report.articles == 3
    assert newsroom.files() == before
    # And a forced rebuild into a fresh bucket from the same table writes identical bytes
    fresh = create_bucket(newsroom.stack, "newsdesk-test-rebuilt")
    settings = get_settings()
    rebuilt = Publisher(
        articles=ArticleStore(settings.table_name),
        archive=Archive(settings.archive_bucket),
        snapshots=SnapshotStore(fresh, settings.table_name),
        settings=settings,
    )
    progress: list[tuple[int, int]] = []
    calls.reset()
    rebuild_report = rebuilt.rebuild_all(lambda done, total: progress.append((done, total)), force=True)
    assert newsroom.files(fresh) == before
    assert len(calls.s3_puts) == len(before) and rebuild_report.failed == []
    assert progress[-1] == (3, 3)


LIST_PATHS = ["v1/latest.json", "v1/sections/defence-industry.json", "v1/outlets/oboronka-daily.json"]


def test_a_batch_reads_only_what_it_publishes(newsroom: Newsroom) -> None:
    # Given many published stories
    for number in range(12):
        newsroom.post(article_doc(f"urn:x:many-{number}", versioncreated=f"2026-11-25T08:{number:02d}:00Z"))
    newsroom.publish()
    from publish.app import publisher

    # When one more story arrives
    newsroom.post(article_doc("urn:x:one-more", versioncreated="2026-11-25T09:00:00Z"))
    event = newsroom.stream.read_event()
    assert event is not None
    publisher()  # built before counting: the settings and clients of a warm function
    calls = AwsCalls().watch(aws.s3_client(), aws.dynamodb_client())
    assert newsroom.invoke(event) == {"batchItemFailures": []}
    # Then one file, three lists, their three day pages, four feeds, the sitemap and the manifest were
    # written, reading the one normalized article (and each list and day page as published, to keep
    # the members a lagging index may not show yet; the lists the feeds and the sitemap show)
    assert len(calls.s3_puts) == 13 and len(calls.archive_reads()) == 1
    day_pages = [path.replace(".json", "/2026-11-25.json") for path in LIST_PATHS]
    feed_reads = 2 * ["v1/latest.json", "v1/sections/defence-industry.json"] + ["v1/latest.json"]
    assert sorted(calls.s3_gets) == sorted([*calls.archive_reads(), *LIST_PATHS, *day_pages, *feed_reads])
    # Reads: three list queries (the 13 stories each holds), the 13 members of each list read again
    # from the table (an index may lag behind a retraction, a redelivered batch behind the table), and
    # the shared hash records (10 lists: latest, the outlet and the 8 configured sections, each written
    # since the first publish; the schemas, sections.json, the manifest, 18 feeds and the sitemap); a
    # new story has no hash record yet. Per day page: its hash record (before the writes, and again
    # after them: publish/pages.py, _check_unchanged), the day's 13 stories from the index and again
    # from the table, and the two neighbouring days (none: the index scans nothing, and the new story,
    # on this day, cannot change them, so it is not read again for them). Nothing grows with the archive.
    shared_records = 10 + len(json_schemas()) + 2 + 19
    assert calls.items_read == 3 * 13 + 3 * 13 + shared_records + 3 * (2 + 13 + 13)


# --- Injection -----------------------------------------------------------------------------------

TEXT_ATTACKS = MARKUP_ATTACKS
_TAG_START = re.compile(r"<[A-Za-z!/?]")
_DANGEROUS_TAG = re.compile(
    r"<\s*/?\s*(script|img|svg|iframe|object|embed|style|link|meta|base|form|math|details|noscript)\b",
    re.IGNORECASE,
)
URL_FIELDS = {("lead_image", "url"), ("rights", "info_url")}
FEED_ELEMENTS = {
    *("rss", "channel", "title", "link", "description", "docs", "generator", "lastBuildDate", "item", "guid"),
    *("pubDate", "feed", "id", "subtitle", "updated", "entry", "published", "summary", "content"),
    *("urlset", "url", "loc", "news", "publication", "name", "language", "publication_date"),
}


def attacked_doc(number: int, attack: str, url_attack: str) -> dict[str, Any]:
    """A ninjs document carrying ``attack`` in every text field and ``url_attack`` in every URL field."""
    text = f"{attack} №{number}"
    return article_doc(
        f"urn:x:attack-{number}",
        headline=text,
        body=f"{attack}<p>Текст {number}</p>",
        by=text,
        descriptions=[{"role": "summary", "value": text}],
        copyrightholder=text,
        copyrightnotice=text,
        usageterms=text,
        rightsinfo={"linkedrights": url_attack},
        infosources=[{"name": text, "uri": url_attack}],
        organisations=[{"name": text, "uri": url_attack}],
        people=[{"name": text, "uri": url_attack}],
        places=[{"name": text, "uri": url_attack}],
        objects=[{"name": text, "uri": url_attack}],
        subjects=[{"name": text, "uri": url_attack}],
        genres=[{"name": text}],
        associations=[
            {
                "name": "featureimage",
                "uri": f"urn:x:attack-{number}:picture",
                "type": "picture",
                "descriptions": [{"role": "caption", "value": text}],
                "by": text,
                "renditions": [
                    {"name": "baseImage", "href": url_attack, "width": 10, "height": 10},
                    {"name": "preview", "href": "https://cdn.example/ok.jpg", "contenttype": text},
                ],
            }
        ],
    )


class _BodyAudit(HTMLParser):
    def __init__(self) -> None:
        super().__init__(convert_charrefs=True)
        self.problems: list[str] = []

    def handle_starttag(self, tag: str, attrs: list[tuple[str, str | None]]) -> None:
        if tag not in ALLOWED_TAGS:
            self.problems.append(f"tag {tag}")
        for name, value in attrs:
            if name.startswith("on") or name == "style":
                self.problems.append(f"attribute {name}")
            if name == "href" and not re.match(r"(https?:|mailto:)", (value or "").strip(), re.IGNORECASE):
                self.problems.append(f"href {value}")


def audit_strings(value: Any, where: tuple[str, ...] = ()) -> Iterator[str]:
    """Every rule a snapshot's strings must follow, as problems found."""
    if isinstance(value, dict):
        for key, item in value.items():
            yield from audit_strings(item, (*where, key))
    elif isinstance(value, list):
        for item in value:
            yield from audit_strings(item, where)
    elif isinstance(value, str):
        if where[-1:] == ("body_html",):
            audit = _BodyAudit()
            audit.feed(value)
            yield from (f"{'/'.join(where)}: {problem}" for problem in audit.problems)
        elif where[-2:] in URL_FIELDS:
            if value and not re.fullmatch(r"https?://[^\s<>\"'`]+", value):
                yield f"{'/'.join(where)}: unsafe URL {value!r}"
        elif _TAG_START.search(value):
            yield f"{'/'.join(where)}: markup in plain text {value!r}"
        if re.search("[\u202a-\u202e\u2066-\u2069\x00-\x08\x0b\x0c\x0e-\x1f]", value):
            yield f"{'/'.join(where)}: control or bidi character"


def test_no_injection_from_any_text_field_reaches_a_snapshot(newsroom: Newsroom) -> None:
    # Given a document per attack string, carrying it in every text field (and URL attacks in URL fields)
    accepted = 0
    for number, attack in enumerate(TEXT_ATTACKS):
        doc = attacked_doc(number, attack, URL_ATTACKS[number % len(URL_ATTACKS)])
        status, _, _ = post(newsroom.partner, encode(doc), newsroom.context)
        assert status in (201, 422)
        accepted += status == 201
    assert accepted >= len(TEXT_ATTACKS) - 2
    # When they are all published
    assert newsroom.publish() == {"batchItemFailures": []}
    files = newsroom.files()
    assert sum(path.startswith("v1/articles/") for path in files) == accepted
    # Then no snapshot byte sequence can form a dangerous tag, and every string obeys its field's rule:
    # body_html is allowlisted HTML, URL fields are http(s) URLs, everything else is text without markup
    problems: list[str] = []
    for path, body in files.items():
        if path.startswith("v1/schemas/"):
            continue
        if not path.endswith(".json"):
            # Feeds and the sitemap: only their own elements, and text that is plain text once parsed
            tree = etree.fromstring(body)
            assert {etree.QName(element).localname for element in tree.iter()} <= FEED_ELEMENTS, path
            texts = [element.text for element in tree.iter() if element.text and not element.text.startswith("/")]
            problems.extend(f"{path}: {problem}" for problem in audit_strings({"text": texts}))
            continue
        assert not _DANGEROUS_TAG.search(body.decode("utf-8")), path
        problems.extend(f"{path}: {problem}" for problem in audit_strings(json.loads(body)))
    assert problems == []


def test_audit_catches_what_it_is_meant_to_catch() -> None:
    # The injection test is only as good as its audit: it must flag each kind of leak.
    leaks = {
        "body_html": '<p onclick="x()">a</p><script>1</script><a href="javascript:x">b</a>',
        "headline": "<b>bold</b>",
        "lead_image": {"url": "javascript:alert(1)"},
        "byline": "\u202eevil",
    }
    found = list(audit_strings(leaks))
    assert len(found) == 6, found


def test_rebuild_reports_an_article_it_cannot_publish_and_publishes_the_rest(newsroom: Newsroom) -> None:
    # Given two stories in the table, one of whose normalized articles is gone, and nothing published yet
    kept = newsroom.post(article_doc("urn:x:kept"))["id"]
    lost = newsroom.post(article_doc("urn:x:lost"))["id"]
    newsroom.stack.s3.delete_object(Bucket=newsroom.stack.archive_bucket, Key=_normalized_key(newsroom, lost))
    from publish.app import publisher

    # When the operator rebuilds everything
    report = publisher().rebuild_all()
    # Then the lost one is reported, the other is published, and the lists and manifest are written
    assert report.failed == [lost]
    assert report.articles == 2 and report.lists == 3
    assert newsroom.exists(article_file(kept)) and not newsroom.exists(article_file(lost))
    assert newsroom.exists("v1/manifest.json")


# --- Trending ------------------------------------------------------------------------------------


def stored_rankings(article_id: str, headline: str, comments: int) -> Any:
    """The TRENDING item the trending function stores when one story has ``comments`` comments."""
    from newsdesk.dal.engagement import StoredTrending
    from newsdesk.trending import ArticleActivity, ListedArticle, build_trending

    story = ListedArticle(
        article_id=article_id,
        headline=headline,
        published_at=datetime(2026, 11, 25, 8, tzinfo=UTC),
        section="defence-industry",
    )
    rankings = build_trending(
        {article_id: ArticleActivity(article_id, "defence-industry", views=0, read_score=0.0, comments=comments)},
        lambda ids: {article_id: story} if article_id in ids else {},
        now=datetime(2026, 11, 25, 12, tzinfo=UTC),
        list_length=10,
        min_count=3,
        window_hours=48,
        half_life_minutes=360,
    )
    return StoredTrending.of(rankings)


def test_trending_item_becomes_trending_and_counters_files_listed_in_the_manifest(newsroom: Newsroom) -> None:
    from newsdesk.dal.engagement import CounterStore

    # Given a published story and rankings stored by the trending function
    story = newsroom.post(article_doc())
    newsroom.publish()
    stored = stored_rankings(story["id"], story["headline"], 12)
    CounterStore(newsroom.stack.table_name).put_trending(stored)
    # When the stream delivers the TRENDING item to publish
    newsroom.watch_puts()
    newsroom.publish()
    # Then the files are exactly the ones the item holds, byte for byte
    files = newsroom.files()
    assert files["v1/trending.json"] == stored.trending.encode()
    assert files["v1/counters.json"] == stored.counters.encode()
    # And the sidebar and the counters are published, valid against their schemas, in the manifest
    trending = newsroom.json("v1/trending.json")
    counters = newsroom.json("v1/counters.json")
    assert trending["most_discussed"][0]["id"] == story["id"] and trending["most_discussed"][0]["count"] == 12
    assert trending["most_discussed"][0]["path"] == f"/v1/articles/{story['id']}.json"
    assert counters["articles"][story["id"]] == {"views": 0, "comments": 12}
    for document in (trending, counters):
        schema = newsroom.json(f"v1/schemas/{document['kind']}.json")
        assert list(jsonschema_rs.Draft202012Validator(schema).iter_errors(document)) == []
    manifest_paths = {entry["path"] for entry in newsroom.json("v1/manifest.json")["entries"]}
    assert {"v1/trending.json", "v1/counters.json"} <= manifest_paths
    assert sorted(newsroom.written) == ["v1/counters.json", "v1/manifest.json", "v1/trending.json"]
    # And the same rankings stored again write nothing
    newsroom.written.clear()
    CounterStore(newsroom.stack.table_name).put_trending(stored_rankings(story["id"], story["headline"], 12))
    newsroom.publish()
    assert newsroom.written == []
