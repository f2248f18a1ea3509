"""Issue 9, 'Images': the rules that make an article's pictures ours in its snapshot, without AWS."""

from __future__ import annotations

import json
from dataclasses import replace

import pytest

from newsdesk.models import ArticleContent, ArticleStatus, LeadImage
from newsdesk.pictures import (
    MAX_INLINE_IMAGES,
    ImageState,
    MediaState,
    Rendition,
    image_key,
    image_refs,
    lead_path,
    needs_fetch,
    rendition_path,
)
from newsdesk.sanitize import sanitize_html
from newsdesk.snapshots import article_snapshot, limits, render
from newsdesk.snapshots.images import ALT_CHARS, published_body
from publish.changes import state_order
from publish.media import file_order
from tests.unit.test_file_sizes import ARTICLE_ID, content, record, wide

pytestmark = pytest.mark.unit

LEAD = "https://img.agency.example/lead.jpg"
INLINE = "https://img.agency.example/chart.png?size=big&v=2"
# The widest set of renditions the template allows (MediaWidths: eight widths), JPEG and WebP each.
WIDTHS = (160, 320, 480, 640, 800, 1024, 1600, 2048)


def ready(url: str, article_id: str = "a1", widths: tuple[int, ...] = (320, 640, 1024)) -> ImageState:
    key = image_key(url)
    return ImageState(
        status="ready",
        source=url,
        width=2000,
        height=1000,
        mimetype="image/jpeg",
        renditions=tuple(
            Rendition(rendition_path(article_id, key, width, kind), width, width // 2, kind)
            for width in widths
            for kind in ("image/jpeg", "image/webp")
        ),
        revision=1,
    )


def story(body: str, lead: str | None = LEAD) -> ArticleContent:
    return ArticleContent(
        uri="urn:x:1",
        headline="Заголовок",
        body_html=sanitize_html(body),
        language="ru",
        lead_image=LeadImage(url=lead, caption="Подпись", credit="ТАСС", width=4724, height=3149) if lead else None,
    )


def test_the_lead_picture_comes_first_then_the_body_s_each_once_and_at_most_the_limit() -> None:
    imgs = "".join(f'<img src="https://img.agency.example/{index}.jpg">' for index in range(MAX_INLINE_IMAGES + 5))
    refs = image_refs(story(f'<p>x</p><img src="{LEAD}" alt="снова">{imgs}<img src="{INLINE}" alt="a">{imgs}'))
    assert refs[0].url == LEAD and refs[0].lead and refs[0].credit == "ТАСС"
    assert [ref.url for ref in refs[1:]] == [f"https://img.agency.example/{index}.jpg" for index in range(20)]
    assert refs[0].key == image_key(LEAD) == image_key(LEAD)[:16] and len(refs[0].key) == 16


def test_a_pending_picture_is_left_out_of_the_body_and_a_ready_one_points_at_our_copy() -> None:
    content = story(
        f'<p>до</p><figure><img src="{INLINE}" alt="Схема &quot;А&quot;"><figcaption>С</figcaption></figure>'
    )
    assert published_body(content, MediaState()) == "<p>до</p><figure><figcaption>С</figcaption></figure>"

    body = published_body(content, MediaState(images={image_key(INLINE): ready(INLINE)}, settled=1))

    key = image_key(INLINE)
    assert body == (
        f'<p>до</p><figure><img src="/v1/media/a1/{key}-640.jpg" srcset="/v1/media/a1/{key}-320.jpg 320w, '
        f'/v1/media/a1/{key}-640.jpg 640w, /v1/media/a1/{key}-1024.jpg 1024w" width="640" height="320" '
        'alt="Схема &quot;А&quot;" loading="lazy"><figcaption>С</figcaption></figure>'
    )
    assert "agency.example" not in body


def test_failed_pictures_and_pictures_without_a_source_never_reach_the_body() -> None:
    content = story(f'<img src="{INLINE}"><img src="javascript:alert(1)"><p>т</p>')
    failed = ImageState(status="failed", source=INLINE, reason="address", revision=1)
    assert published_body(content, MediaState(images={image_key(INLINE): failed}, settled=1)) == "<p>т</p>"


def test_the_page_says_pending_then_ready_and_never_shows_the_partner_s_url() -> None:
    content = story("<p>т</p>")
    article = record()
    pending = article_snapshot(article, content).lead_image
    assert pending is not None and (pending.status, pending.url, pending.renditions) == ("pending", "", [])
    assert (pending.width, pending.height, pending.caption) == (4724, 3149, "Подпись")

    copied = MediaState(images={image_key(LEAD): ready(LEAD)}, settled=1)
    shown = article_snapshot(article, content, copied).lead_image

    assert shown is not None and shown.status == "ready"
    assert shown.url == f"/v1/media/a1/{image_key(LEAD)}-640.jpg" == lead_path(image_refs(content), copied)
    assert [(r.width, r.type) for r in shown.renditions][:2] == [(320, "image/jpeg"), (320, "image/webp")]
    assert (shown.width, shown.height) == (2000, 1000)
    assert "agency.example" not in render(article_snapshot(article, content, copied)).decode()


def test_a_failed_picture_is_tried_again_only_by_a_later_revision() -> None:
    (ref,) = image_refs(story("<p>т</p>"))
    failed = MediaState(images={ref.key: ImageState(status="failed", reason="timeout", revision=2)}, settled=1)
    assert needs_fetch(ref, MediaState(), 2)
    assert not needs_fetch(ref, failed, 2)
    assert needs_fetch(ref, failed, 3)
    assert not needs_fetch(ref, MediaState(images={ref.key: ready(LEAD)}, settled=1), 9)


def test_an_article_file_s_order_puts_pictures_after_state_and_state_after_revision() -> None:
    first = replace(record(), revision=4, status=ArticleStatus.PUBLISHED, media_settled=0)
    with_pictures = replace(first, media_settled=3)
    retracted = replace(first, status=ArticleStatus.RETRACTED)
    next_revision = replace(first, revision=5)
    assert file_order(first) < file_order(with_pictures) < file_order(retracted) < file_order(next_revision)
    assert file_order(replace(with_pictures, media_settled=10**9)) < file_order(retracted)
    assert file_order(first) // 1_000_000 == state_order(first)


def test_the_largest_article_with_every_picture_ready_fits_its_maximum() -> None:
    # Given the largest article, whose body holds the most pictures (tiny tags, so that ours grow
    # the most) with alt text, every picture ready in the widest set of renditions
    base = content()
    tags = "".join(f'<img src="https://a.b/{index}" alt="{"&quot;" * 400}">' for index in range(MAX_INLINE_IMAGES))
    body = tags + "<p>" + "a" * (limits.BODY_HTML_JSON_BYTES - len(json.dumps(tags + "<p></p>"))) + "</p>"
    assert len(json.dumps(body)) == limits.BODY_HTML_JSON_BYTES
    largest = replace(base, body_html=body, lead_image=replace(base.lead_image, url=LEAD) if base.lead_image else None)
    refs = image_refs(largest)
    assert len(refs) == MAX_INLINE_IMAGES + 1
    media = MediaState(
        images={
            ref.key: replace(ready(ref.url, ARTICLE_ID, WIDTHS), mimetype=wide(limits.MIMETYPE_CHARS)) for ref in refs
        },
        settled=len(refs),
    )
    # When it is rendered, pictures rewritten and listed
    page = render(article_snapshot(replace(record(), image_path="/" + "p" * 2000), largest, media))
    # Then it fits the article maximum, alt text clipped
    parsed = json.loads(page)
    assert len(parsed["images"]) == MAX_INLINE_IMAGES and all(len(i["alt"]) == ALT_CHARS for i in parsed["images"])
    assert len(page) <= limits.MAX_ARTICLE_BYTES, len(page)
