"""The media pipeline's library half: pictures per second and bytes stored per picture (issue 9).

``python -m bench.media [--quick]``. Generated photo-like JPEGs (smooth colour, a gradient and
grain: ``tests.support.image_server.photo``) are served by the loopback image server; each is
fetched with ``fetch_image`` (SSRF checks, pinned connection, size and time caps, sniffing) and
turned into renditions with ``make_renditions`` (JPEG and WebP at the default widths), one at a
time in this process, as one media function invocation handles them.

- Pictures: a typical agency web picture (1600x1067), a 3000x2000 camera picture, TT's print file
  size (4724x3149, the one the snapshot used to hot-link) and a PNG screenshot-like graphic.
- Time: each picture ``ROUNDS`` times, median per step; pictures per second = 1 / (fetch +
  renditions). No target: the figures inform (the closing note of issue 9 quotes them).
- Bytes: the original's size against the sum of its renditions (what the CDN bucket holds for it;
  the private media bucket keeps the original as well).
"""

from __future__ import annotations

import math
import os
import time
from collections.abc import Callable
from dataclasses import dataclass
from typing import Any

from bench.common import BenchResult, Table, main_of, median, ms
from newsdesk.media.fetch import FetchLimits, fetch_image
from newsdesk.media.renditions import ImageLimits, make_renditions
from tests.support.image_server import ImageServer, encode, photo, photo_jpeg

NAME = "media"
WIDTHS = (320, 640, 1024)  # the media_widths setting's default
ROUNDS = 7
QUICK_ROUNDS = 3


@dataclass(frozen=True)
class Picture:
    label: str
    path: str
    make: Callable[[], bytes]
    mimetype: str


PICTURES = (
    Picture("agency web picture 1600x1067 JPEG q85", "/web.jpg", lambda: photo_jpeg(1600, 1067, 1, 85), "image/jpeg"),
    Picture("camera picture 3000x2000 JPEG q90", "/camera.jpg", lambda: photo_jpeg(3000, 2000, 2, 90), "image/jpeg"),
    Picture("TT print file 4724x3149 JPEG q92", "/print.jpg", lambda: photo_jpeg(4724, 3149, 3, 92), "image/jpeg"),
    Picture(
        "graphic 1200x800 PNG", "/graphic.png", lambda: encode(photo(1200, 800, 4).quantize(64), "PNG"), "image/png"
    ),
)


def kib(size: float) -> str:
    return f"{size / 1024:,.0f}"


def measure(picture: Picture, server: ImageServer, rounds: int) -> dict[str, Any]:
    allowlist = frozenset({server.host_port})
    fetch_limits, image_limits = FetchLimits(), ImageLimits()
    fetch_seconds: list[float] = []
    render_seconds: list[float] = []
    render_cpu_seconds: list[float] = []
    outcome = None
    for _ in range(rounds):
        started = time.perf_counter()
        fetched = fetch_image(server.url(picture.path), allowlist=allowlist, limits=fetch_limits)
        fetched_at, cpu_before = time.perf_counter(), time.process_time()
        outcome = make_renditions(fetched.data, WIDTHS, image_limits)
        rendered_at, cpu_after = time.perf_counter(), time.process_time()
        fetch_seconds.append(fetched_at - started)
        render_seconds.append(rendered_at - fetched_at)
        render_cpu_seconds.append(cpu_after - cpu_before)
        assert fetched.mimetype == picture.mimetype
    assert outcome is not None
    original, renditions = outcome
    by_width: dict[int, dict[str, int]] = {}
    for rendition in renditions:
        by_width.setdefault(rendition.width, {})[rendition.ext] = len(rendition.data)
    fetch, render = median(fetch_seconds), median(render_seconds)
    return {
        "picture": picture.label,
        "width": original.width,
        "height": original.height,
        "original_bytes": len(fetched.data),
        "stored_bytes": sum(len(rendition.data) for rendition in renditions),
        "jpeg_bytes": sum(len(r.data) for r in renditions if r.ext == "jpg"),
        "webp_bytes": sum(len(r.data) for r in renditions if r.ext == "webp"),
        "renditions": {str(width): sizes for width, sizes in sorted(by_width.items())},
        "fetch_seconds": fetch,
        "renditions_seconds": render,
        "renditions_cpu_seconds": median(render_cpu_seconds),
        "pictures_per_second": 1 / (fetch + render),
    }


def run(quick: bool = False) -> BenchResult:
    rounds = QUICK_ROUNDS if quick else ROUNDS
    with ImageServer() as server:
        for picture in PICTURES:
            server.add(picture.path, picture.make(), picture.mimetype)
        measure(PICTURES[0], server, 1)  # warm-up: imports, Pillow's plugins, the first connection
        figures = [measure(picture, server, rounds) for picture in PICTURES]
    photos = [figure for figure in figures if figure["picture"] != PICTURES[-1].label]
    mean_rate = len(photos) / sum(f["fetch_seconds"] + f["renditions_seconds"] for f in photos)
    cpu_rate = len(photos) / sum(f["fetch_seconds"] + f["renditions_cpu_seconds"] for f in photos)
    load = os.getloadavg()[0] if hasattr(os, "getloadavg") else math.nan
    speed = Table(
        ["picture", "original KiB", "fetch ms", "renditions ms", "renditions CPU ms", "pictures/s"],
        [
            [f["picture"], kib(f["original_bytes"]), ms(f["fetch_seconds"]), ms(f["renditions_seconds"]),
             ms(f["renditions_cpu_seconds"]), f"{f['pictures_per_second']:.1f}"]
            for f in figures
        ],
    )  # fmt: skip
    stored = Table(
        ["picture", "original KiB", "stored KiB (all renditions)", "JPEG KiB", "WebP KiB", "stored / original"],
        [
            [f["picture"], kib(f["original_bytes"]), kib(f["stored_bytes"]), kib(f["jpeg_bytes"]),
             kib(f["webp_bytes"]), f"{f['stored_bytes'] / f['original_bytes']:.1%}"]
            for f in figures
        ],
    )  # fmt: skip
    widths = Table(
        ["picture", *(f"{width} JPEG / WebP KiB" for width in WIDTHS)],
        [
            [f["picture"], *(_pair(f["renditions"].get(str(width))) for width in WIDTHS)]
            for f in figures
        ],
    )  # fmt: skip
    return BenchResult(
        name=NAME,
        title="Media: pictures fetched from loopback and turned into renditions",
        verdicts=[],
        tables={
            f"Time per picture, one at a time (median of {rounds} rounds)": speed,
            f"Bytes stored per picture (widths {', '.join(map(str, WIDTHS))}; JPEG q82 progressive, WebP q80)": stored,
            "Rendition sizes by width": widths,
        },
        notes=[
            f"Photos (the three JPEGs) in sequence: {mean_rate:.1f} pictures/s by wall time; "
            f"{cpu_rate:.1f}/s counting the renditions' CPU time (1-minute load average {load:.1f} at the end: "
            "on a busy machine wall time exceeds CPU time).",
            "Fetch is from a loopback server: the network time of a real partner's server is not included.",
            "JPEG originals decode at 1/2-1/8 scale when the largest rendition allows (libjpeg draft mode).",
            "The private media bucket keeps each original as well (its size is the 'original KiB' column).",
        ],
        data={
            "widths": list(WIDTHS),
            "rounds": rounds,
            "photos_per_second": mean_rate,
            "photos_per_second_cpu": cpu_rate,
            "load_average": load,
            "pictures": figures,
        },
    )


def _pair(sizes: dict[str, int] | None) -> str:
    return "-" if not sizes else f"{kib(sizes['jpg'])} / {kib(sizes['webp'])}"


def main() -> None:
    main_of(run)


if __name__ == "__main__":
    main()
