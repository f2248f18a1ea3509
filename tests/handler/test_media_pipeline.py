"""Issue 9, 'Images': pictures are ours. A story's lead picture (TT-style association with renditions)
and an inline <img> are fetched by the media function from the table's stream, kept privately, and
published as renditions under v1/media/; the article file shows them pending, then ready; a retraction
takes them down. Pictures come from a loopback server that the fetch allowlist names.
"""

from __future__ import annotations

import hashlib
import io
import json
import re
from collections.abc import Iterator
from datetime import UTC, datetime, timedelta
from typing import Any

import pytest
from PIL import Image

from newsdesk.dal.articles import ArticleStore
from newsdesk.settings import get_settings
from newsdesk_ops.template import physical_name
from publish.changes import ArticleChange
from tests.conftest import STACK_NAME
from tests.handler.ninjs_builders import article_doc
from tests.handler.stream import filtered_for, lambda_event
from tests.handler.test_publish import (  # noqa: F401  (fixtures)
    Newsroom,
    article_file,
    newsroom,
    snapshot_bucket,
)
from tests.support.image_server import ImageServer, photo_jpeg, png_bytes

pytestmark = pytest.mark.handler

MEDIA_BUCKET = physical_name(STACK_NAME, "MediaBucket")
IMMUTABLE = "public, max-age=31536000, immutable"


@pytest.fixture(scope="module")
def pictures() -> Iterator[ImageServer]:
    with ImageServer() as server:
        server.add("/tt/a001_NormalHires.jpg", photo_jpeg(1600, 1000, seed=1), "image/jpeg")
        server.add("/tt/a001_NormalThumbnail.jpg", photo_jpeg(160, 100, seed=1), "image/jpeg")
        server.add("/inline/chart.png", png_bytes(800, 600, seed=2), "image/png")
        yield server


@pytest.fixture
def media_room(
    newsroom: Newsroom,  # noqa: F811 (fixture)
    pictures: ImageServer,
    monkeypatch: pytest.MonkeyPatch,
) -> Newsroom:
    monkeypatch.setenv("MEDIA_BUCKET", MEDIA_BUCKET)
    monkeypatch.setenv("MEDIA_FETCH_ALLOWLIST", pictures.host_port)
    get_settings.cache_clear()
    from media import app as media_app

    media_app.media_service.cache_clear()
    return newsroom


def key_of(url: str) -> str:
    return hashlib.sha256(url.encode("utf-8")).hexdigest()[:16]


def story(server: ImageServer, uri: str = "urn:tt:media-1", *, lead: str | None = None, **extra: Any) -> dict[str, Any]:
    lead_url = lead or server.url("/tt/a001_NormalHires.jpg")
    body = (
        "<p>Первый абзац о поставке.</p>"
        f'<figure><img src="{server.url("/inline/chart.png")}" alt="Схема поставок" onerror="alert(1)">'
        "<figcaption>Схема</figcaption></figure><p>Второй абзац.</p>"
    )
    return article_doc(
        uri,
        body=body,
        associations=[
            {
                "name": "a001",
                "uri": "http://tt.se/media/image/sdlk2sirkPaauM",
                "type": "picture",
                "by": "Karl Melander/TT",
                "descriptions": [{"value": "Учения «Аврора»"}],
                "renditions": [
                    {"name": "r00", "contenttype": "image/jpeg", "href": lead_url, "width": 4724, "height": 3149},
                    {
                        "name": "r02",
                        "contenttype": "image/jpeg",
                        "href": server.url("/tt/a001_NormalThumbnail.jpg"),
                        "width": 160,
                        "height": 100,
                    },
                ],
            }
        ],
        **extra,
    )


class Pipeline:
    """The stream handed to publish and to the media function, each through its own filter."""

    def __init__(self, room: Newsroom) -> None:
        self.room = room
        self.pending: list[dict[str, Any]] = []

    def read(self) -> list[dict[str, Any]]:
        records = self.room.stream.read_records()
        self.pending.extend(records)
        return records

    def publish(self, records: list[dict[str, Any]]) -> dict[str, Any]:
        chosen = filtered_for("PublishFunction", records)
        return self.room.invoke(lambda_event(chosen)) if chosen else {"batchItemFailures": []}

    def media(self, records: list[dict[str, Any]]) -> dict[str, Any]:
        from media.app import handler

        chosen = filtered_for("MediaFunction", records)
        return dict(handler(lambda_event(chosen), self.room.context)) if chosen else {"batchItemFailures": []}

    def settle(self) -> None:
        """Publish and fetch what is new, then publish what the media function changed, until quiet."""
        for _ in range(5):
            records = self.read()
            if not records:
                return
            assert self.publish(records) == {"batchItemFailures": []}
            assert self.media(records) == {"batchItemFailures": []}
        raise AssertionError("the stream did not settle")


def objects(room: Newsroom, bucket: str, prefix: str) -> dict[str, dict[str, Any]]:
    listing = room.stack.s3.list_objects_v2(Bucket=bucket, Prefix=prefix)
    return {
        item["Key"]: room.stack.s3.head_object(Bucket=bucket, Key=item["Key"]) for item in listing.get("Contents", [])
    }


def picture(room: Newsroom, key: str) -> Image.Image:
    body = room.stack.s3.get_object(Bucket=room.bucket, Key=key)["Body"].read()
    return Image.open(io.BytesIO(body))


def test_pictures_are_pending_then_ours(media_room: Newsroom, pictures: ImageServer) -> None:
    flow = Pipeline(media_room)
    lead_url = pictures.url("/tt/a001_NormalHires.jpg")
    inline_url = pictures.url("/inline/chart.png")
    # Given a story with a lead picture and an inline one, published before any picture is fetched
    article_id = media_room.post(story(pictures))["id"]
    records = flow.read()
    assert flow.publish(records) == {"batchItemFailures": []}
    page = media_room.json(article_file(article_id))
    lead = page["lead_image"]
    assert lead["status"] == "pending" and lead["url"] == "" and lead["renditions"] == []
    assert lead["caption"] == "Учения «Аврора»" and lead["credit"] == "Karl Melander/TT"
    assert [image["status"] for image in page["images"]] == ["pending"]
    assert "<img" not in page["body_html"] and "<figcaption>Схема</figcaption>" in page["body_html"]
    assert media_room.json("v1/latest.json")["items"][0]["image_url"] is None

    # When the media function takes the same records, then publish the change it made
    assert flow.media(records) == {"batchItemFailures": []}
    flow.settle()

    # Then the renditions are in the snapshot bucket, immutable, with their types and sizes
    lead_key, inline_key = key_of(lead_url), key_of(inline_url)
    published = objects(media_room, media_room.bucket, f"v1/media/{article_id}/")
    assert sorted(published) == sorted(
        f"v1/media/{article_id}/{key}-{width}.{ext}"
        for key, widths in ((lead_key, (320, 640, 1024)), (inline_key, (320, 640)))
        for width in widths
        for ext in ("jpg", "webp")
    )
    for path, head in published.items():
        assert head["CacheControl"] == IMMUTABLE
        assert head["ContentType"] == ("image/jpeg" if path.endswith(".jpg") else "image/webp")
    assert picture(media_room, f"v1/media/{article_id}/{lead_key}-640.jpg").size == (640, 400)
    assert picture(media_room, f"v1/media/{article_id}/{lead_key}-1024.webp").format == "WEBP"
    assert picture(media_room, f"v1/media/{article_id}/{inline_key}-320.jpg").size == (320, 240)
    # and the originals are kept privately, byte for byte
    originals = objects(media_room, MEDIA_BUCKET, f"originals/{article_id}/")
    assert len(originals) == 2
    # and the page shows our renditions, srcset-ready, the body's picture pointing at our copies
    page = media_room.json(article_file(article_id))
    lead = page["lead_image"]
    assert lead["status"] == "ready"
    assert lead["url"] == f"/v1/media/{article_id}/{lead_key}-640.jpg"
    assert (lead["width"], lead["height"], lead["mimetype"]) == (1600, 1000, "image/jpeg")
    assert {"url": f"/v1/media/{article_id}/{lead_key}-1024.webp", "width": 1024, "height": 640,
            "type": "image/webp"} in lead["renditions"]  # fmt: skip
    assert len(lead["renditions"]) == 6
    (inline,) = page["images"]
    assert inline["status"] == "ready" and inline["alt"] == "Схема поставок"
    img = re.search(r"<img [^>]*>", page["body_html"])
    assert img is not None
    assert f'src="/v1/media/{article_id}/{inline_key}-640.jpg"' in img.group(0)
    assert f"/v1/media/{article_id}/{inline_key}-320.jpg 320w" in img.group(0)
    assert 'alt="Схема поставок"' in img.group(0) and "onerror" not in img.group(0)
    assert media_room.json("v1/latest.json")["items"][0]["image_url"] == lead["url"]
    # and the partner's picture URLs reach no snapshot
    for path, body in media_room.files().items():
        if path.endswith(".json"):
            assert pictures.host_port not in body.decode("utf-8"), path


def test_a_picture_at_a_private_address_is_refused_and_the_story_still_published(
    media_room: Newsroom, pictures: ImageServer
) -> None:
    flow = Pipeline(media_room)
    with ImageServer() as elsewhere:  # loopback, but not on the allowlist: a private address
        secret = elsewhere.add("/secret.jpg", photo_jpeg(800, 600), "image/jpeg")
        # Given a story whose lead picture points at a private address
        article_id = media_room.post(story(pictures, "urn:tt:media-private", lead=secret))["id"]
        # When it is published and the media function runs
        flow.settle()
        # Then nothing asked that address, and the story is published without the picture
        assert elsewhere.requests == []
    page = media_room.json(article_file(article_id))
    assert page["kind"] == "article"
    assert page["lead_image"]["status"] == "failed" and page["lead_image"]["renditions"] == []
    assert media_room.json("v1/latest.json")["items"][0]["image_url"] is None
    # and its media item says why; the inline picture was fetched anyway
    item = media_item(media_room, article_id)
    assert item[f"img_{key_of(secret)}"]["M"]["status"]["S"] == "failed"
    assert item[f"img_{key_of(secret)}"]["M"]["reason"]["S"]
    assert page["images"][0]["status"] == "ready"


def media_item(room: Newsroom, article_id: str) -> dict[str, Any]:
    item = room.stack.dynamodb.get_item(
        TableName=room.stack.table_name, Key={"PK": {"S": f"ARTICLE#{article_id}"}, "SK": {"S": "MEDIA"}}
    ).get("Item")
    assert item is not None
    return dict(item)


def test_a_redelivered_batch_fetches_nothing_again(media_room: Newsroom, pictures: ImageServer) -> None:
    flow = Pipeline(media_room)
    article_id = media_room.post(story(pictures, "urn:tt:media-again"))["id"]
    records = flow.read()
    assert flow.media(records) == {"batchItemFailures": []}
    fetched = len(pictures.requests)
    settled = media_item(media_room, article_id)["settled"]
    # When Lambda delivers the same batch again (and a new version with the same pictures arrives)
    assert flow.media(records) == {"batchItemFailures": []}
    media_room.post(story(pictures, "urn:tt:media-again", version="2", versioncreated="2026-11-25T09:00:00Z"))
    flow.settle()
    # Then no picture was fetched again, and the media item counts each picture once
    assert len(pictures.requests) == fetched
    assert media_item(media_room, article_id)["settled"] == settled
    assert media_room.json(article_file(article_id))["lead_image"]["status"] == "ready"


def test_a_pending_render_never_replaces_a_ready_one(media_room: Newsroom, pictures: ImageServer) -> None:
    flow = Pipeline(media_room)
    article_id = media_room.post(story(pictures, "urn:tt:media-race"))["id"]
    records = flow.read()
    before_pictures = ArticleStore(media_room.stack.table_name).get(article_id)
    assert flow.publish(records) == {"batchItemFailures": []}
    assert flow.media(records) == {"batchItemFailures": []}
    flow.settle()
    ready = media_room.json(article_file(article_id))
    assert ready["lead_image"]["status"] == "ready"
    # When a stale writer (publish --all that read the record before the pictures were in) renders
    # the same revision without them
    from publish.app import publisher

    assert before_pictures is not None
    publisher().media = None  # it also read no media item: its pictures are all pending
    publisher().publish_article(ArticleChange(old=None, new=before_pictures), force=False)
    # Then the ready page stays
    assert media_room.json(article_file(article_id)) == ready


def test_a_retraction_takes_the_pictures_down(media_room: Newsroom, pictures: ImageServer) -> None:
    flow = Pipeline(media_room)
    article_id = media_room.post(story(pictures, "urn:tt:media-gone"))["id"]
    flow.settle()
    assert objects(media_room, media_room.bucket, f"v1/media/{article_id}/")
    assert objects(media_room, MEDIA_BUCKET, f"originals/{article_id}/")
    # When the partner retracts the story
    media_room.retract(article_id)
    flow.settle()
    # Then its renditions, its originals and its media item are gone, and the page is a tombstone
    assert objects(media_room, media_room.bucket, f"v1/media/{article_id}/") == {}
    assert objects(media_room, MEDIA_BUCKET, f"originals/{article_id}/") == {}
    assert "Item" not in media_room.stack.dynamodb.get_item(
        TableName=media_room.stack.table_name, Key={"PK": {"S": f"ARTICLE#{article_id}"}, "SK": {"S": "MEDIA"}}
    )
    assert json.loads(json.dumps(media_room.json(article_file(article_id))))["kind"] == "tombstone"


def test_an_expired_story_takes_its_pictures_down(media_room: Newsroom, pictures: ImageServer) -> None:
    # Given a published story with its pictures copied, whose rights expire in an hour
    expires = (datetime.now(UTC) + timedelta(hours=1)).replace(microsecond=0)
    flow = Pipeline(media_room)
    doc = story(pictures, "urn:tt:media-expires", expires=expires.strftime("%Y-%m-%dT%H:%M:%SZ"))
    article_id = media_room.post(doc)["id"]
    flow.settle()
    assert objects(media_room, media_room.bucket, f"v1/media/{article_id}/")
    # When the timer takes it down at its expiry time
    media_room.timer(expires + timedelta(minutes=1))
    flow.settle()
    # Then its renditions and originals go with it, as for a retraction
    assert media_room.json(article_file(article_id))["reason"] == "expired"
    assert objects(media_room, media_room.bucket, f"v1/media/{article_id}/") == {}
    assert objects(media_room, MEDIA_BUCKET, f"originals/{article_id}/") == {}


# --- The resources (template.yaml is what the local stack and the deploy both build) ---------------


def test_the_media_function_reads_article_states_from_the_stream_with_least_privilege() -> None:
    from newsdesk_ops.event_filters import passes_filters
    from newsdesk_ops.template import load_template, stream_sources

    template = load_template()
    resources = template["Resources"]
    function = resources["MediaFunction"]["Properties"]
    assert function["Handler"] == "media.app.handler" and function["CodeUri"] == "functions/"
    assert function["LoggingConfig"] == {"LogGroup": {"Ref": "MediaLogGroup"}}
    variables = function["Environment"]["Variables"]
    assert variables["MEDIA_BUCKET"] == {"Ref": "MediaBucket"}
    assert template["Parameters"]["MediaFetchAllowlist"]["Default"] == ""
    # The local stack polls the stream for it, through the same filter as Lambda
    (source,) = [source for source in stream_sources(template) if source.function_logical_id == "MediaFunction"]
    assert source.report_batch_item_failures and source.bisect_on_error

    def record(pk: str, sk: str) -> dict[str, Any]:
        return {"eventName": "MODIFY", "dynamodb": {"Keys": {"PK": {"S": pk}, "SK": {"S": sk}}}}

    assert passes_filters(source.filter_patterns, record("ARTICLE#a1", "CURRENT"))
    for other in (record("ARTICLE#a1", "MEDIA"), record("ARTICLE#a1", "SNAPSHOT"), record("TRENDING", "CURRENT")):
        assert not passes_filters(source.filter_patterns, other)
    # Writes only its own prefixes of the two buckets; table items only of articles
    statements = {statement["Sid"]: statement for statement in function["Policies"][0]["Statement"]}
    assert statements["KeepOriginals"]["Resource"] == {"Fn::Sub": "${MediaBucket.Arn}/originals/*"}
    assert statements["PublishRenditions"]["Resource"] == {"Fn::Sub": "${SnapshotBucket.Arn}/v1/media/*"}
    assert statements["ArticleAndMediaItems"]["Condition"]["ForAllValues:StringLike"]["dynamodb:LeadingKeys"] == [
        "ARTICLE#*"
    ]
    assert not any(action == "*" or action.endswith(":*") for s in statements.values() for action in s["Action"])
    # And the originals' bucket is private and encrypted like the archive
    bucket = resources["MediaBucket"]["Properties"]
    assert (
        bucket["PublicAccessBlockConfiguration"]
        == resources["ArchiveBucket"]["Properties"]["PublicAccessBlockConfiguration"]
    )
    assert bucket["BucketEncryption"] == resources["ArchiveBucket"]["Properties"]["BucketEncryption"]
