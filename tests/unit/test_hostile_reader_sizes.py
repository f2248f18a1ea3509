"""The article file's maximum with every picture ready (issue 9 review, hostile reader): the worst
case of tests/unit/test_file_sizes.py had no picture in its body and no media state, so neither the
`images` list nor the rewritten <img> tags (our src, srcset, width, height) were counted."""

from __future__ import annotations

from dataclasses import replace

import pytest

from newsdesk.pictures import JPEG, WEBP, ImageState, MediaState, Rendition, image_refs, rendition_path
from newsdesk.snapshots import article_snapshot, limits, render
from newsdesk.snapshots.images import ALT_CHARS
from tests.unit.test_file_sizes import content, record

pytestmark = pytest.mark.unit

WIDTHS = (320, 640, 1024)  # settings.media_widths' default
LONGEST_ID = "a" * 80


def test_the_largest_article_with_every_picture_ready_fits_its_maximum() -> None:
    # The body at its limit as JSON text, with more inline pictures than are published; an alt of
    # quotes is what escaping makes longest ("&quot;" in the body, "\"" in `images`).
    alt = "&quot;" * ALT_CHARS
    pictures = "".join(f'<img src="https://i.example/{number}" alt="{alt}">' for number in range(30))
    filler = limits.BODY_HTML_JSON_BYTES - len(pictures.replace('"', '\\"')) - 9
    worst = replace(content(), body_html=pictures + "<p>" + "a" * filler + "</p>")
    article = replace(record(), article_id=LONGEST_ID)
    images = {}
    for ref in image_refs(worst):
        renditions = tuple(
            Rendition(rendition_path(LONGEST_ID, ref.key, width, mimetype), width, 99_999, mimetype)
            for width in WIDTHS
            for mimetype in (JPEG, WEBP)
        )
        images[ref.key] = ImageState("ready", width=99_999, height=99_999, mimetype=JPEG, renditions=renditions)
    snapshot = article_snapshot(article, worst, MediaState(images))
    assert len(snapshot.images) == 20 and snapshot.lead_image is not None
    assert all(image.status == "ready" for image in [snapshot.lead_image, *snapshot.images])
    assert snapshot.body_html.count("srcset=") == 20
    size = len(render(snapshot))
    assert size <= limits.MAX_ARTICLE_BYTES, size
    print(f"largest article with every picture ready: {size:,} bytes")
