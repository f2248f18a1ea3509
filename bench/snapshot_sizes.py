"""What the frontend downloads: snapshot sizes for the same articles, with pictures copied or not.

Issue 9 asks for "the snapshot sizes before and after" the media pipeline. The same set of
articles is posted on moto in this process (``bench.support.stack``): the IPTC and agency
examples of ``tests/fixtures/ninjs`` plus generated Russian articles, each with a lead picture
whose renditions point at a loopback picture server (3000×2000 JPEGs drawn here). The table's
stream is delivered to every function that follows it (publish and, where the template has it, the
media function, which may fetch from that server: ``MEDIA_FETCH_ALLOWLIST``), and then every file
under ``v1/`` is measured: article pages, lists, and the published renditions.

Run it on an older tree to get the "before" column (``--results-dir bench/results/before``).
"""

from __future__ import annotations

import io
import json
import os
import threading
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from statistics import mean
from typing import Any

from bench.common import REPOSITORY, BenchResult, Table, main_of
from bench.support.articles import article_document, encode
from bench.support.stack import local_stack

NAME = "snapshot_sizes"
FIXTURES = REPOSITORY / "tests" / "fixtures" / "ninjs"
GENERATED = 20
QUICK_GENERATED = 5
PICTURE_SIZE = (3000, 2000)


class PictureServer:
    """Loopback HTTP server of generated JPEGs: /pictures/{n}.jpg, drawn on first request."""

    def __init__(self) -> None:
        self._cache: dict[str, bytes] = {}
        self._lock = threading.Lock()
        server = self

        class Handler(BaseHTTPRequestHandler):
            def do_GET(self) -> None:
                body = server.picture(self.path)
                self.send_response(200)
                self.send_header("Content-Type", "image/jpeg")
                self.send_header("Content-Length", str(len(body)))
                self.end_headers()
                self.wfile.write(body)

            def log_message(self, format: str, *args: Any) -> None:
                return

        self._http = ThreadingHTTPServer(("127.0.0.1", 0), Handler)
        self.host_port = f"127.0.0.1:{self._http.server_address[1]}"
        threading.Thread(target=self._http.serve_forever, daemon=True).start()

    def url(self, number: int) -> str:
        return f"http://{self.host_port}/pictures/{number}.jpg"

    def picture(self, path: str) -> bytes:
        with self._lock:
            if path not in self._cache:
                self._cache[path] = _draw(sum(map(ord, path)))
            return self._cache[path]

    def close(self) -> None:
        self._http.shutdown()
        self._http.server_close()


def _draw(seed: int) -> bytes:
    # Imported here: the "before" tree may not have Pillow, and it never fetches a picture.
    from PIL import Image, ImageDraw

    width, height = PICTURE_SIZE
    image = Image.new("RGB", PICTURE_SIZE, (seed % 200, (seed * 7) % 200, (seed * 13) % 200))
    draw = ImageDraw.Draw(image)
    for band in range(0, width, 40):  # detail, so JPEG sizes resemble a photo more than a flat fill
        shade = (band * 255 // width + seed) % 255
        draw.rectangle((band, 0, band + 19, height), fill=(shade, 255 - shade, (shade * 3) % 255))
    for step in range(60):
        x, y = (seed * 31 + step * 97) % width, (seed * 17 + step * 53) % height
        draw.ellipse((x, y, x + 180, y + 120), outline=(255, 255, 255), width=6)
    output = io.BytesIO()
    image.save(output, "JPEG", quality=90)
    return output.getvalue()


def _with_picture(document: dict[str, Any], url: str, number: int) -> dict[str, Any]:
    """The document with its pictures' renditions pointing at the loopback server."""
    picture = {
        "type": "picture",
        "uri": f"urn:bench:picture:{number}",
        "headlines": [{"value": "Сборочный цех предприятия"}],
        "descriptions": [{"role": "caption", "value": "Сборочный цех предприятия. Фото пресс-службы"}],
        "by": "Пресс-служба предприятия",
        "renditions": [{"name": "original", "href": url, "contenttype": "image/jpeg", "width": 3000, "height": 2000}],
    }
    associations = document.get("associations")
    if not isinstance(associations, list):  # ninjs 2.x: an array of named associations
        document["associations"] = associations = []
    pictures = [value for value in associations if isinstance(value, dict) and value.get("type") == "picture"]
    for value in pictures:
        for rendition in value.get("renditions") or []:
            if isinstance(rendition, dict) and "href" in rendition:
                rendition["href"] = url
    if not pictures:
        associations.append({"name": "featureimage", **picture})
    return document


def _documents(server: PictureServer, generated: int) -> list[bytes]:
    documents: list[bytes] = []
    number = 0
    # The ninjs 2.x examples only: the same set of articles as the "before" column was measured with.
    for path in sorted(FIXTURES.glob("*.json")):
        if path.name.startswith("ninjs3_"):
            continue
        document = json.loads(path.read_text(encoding="utf-8"))
        number += 1
        documents.append(encode(_with_picture(document, server.url(number), number)))
    for index in range(generated):
        number += 1
        document = article_document(index, f"urn:newsml:bench.example:sizes:{index}")
        documents.append(encode(_with_picture(document, server.url(number), number)))
    return documents


def _sizes(stack: Any) -> dict[str, list[int]]:
    sizes: dict[str, list[int]] = {"article": [], "list": [], "media": [], "other": []}
    paginator = stack.s3.get_paginator("list_objects_v2")
    for page in paginator.paginate(Bucket=stack.snapshot_bucket, Prefix="v1/"):
        for item in page.get("Contents", []):
            key, size = item["Key"], item["Size"]
            if key.startswith("v1/articles/"):
                sizes["article"].append(size)
            elif key.startswith("v1/media/"):
                sizes["media"].append(size)
            elif key == "v1/latest.json" or key.startswith(("v1/sections/", "v1/outlets/", "v1/latest/")):
                sizes["list"].append(size)
            else:
                sizes["other"].append(size)
    return sizes


def _row(label: str, sizes: list[int]) -> list[str]:
    average = f"{mean(sizes):,.0f}" if sizes else "-"
    return [label, str(len(sizes)), average, f"{max(sizes, default=0):,}"]


def run(quick: bool = False) -> BenchResult:
    server = PictureServer()
    refused: list[str] = []
    try:
        with local_stack() as stack:
            os.environ["MEDIA_FETCH_ALLOWLIST"] = server.host_port
            key = stack.add_partner("Оборонные ведомости", "oborona", section="defence-industry")
            headers = {"authorization": f"Bearer {key}", "content-type": "application/json; charset=utf-8"}
            documents = _documents(server, QUICK_GENERATED if quick else GENERATED)
            for body in documents:
                response = stack.request("POST", "/v1/articles", body=body, headers=headers)
                if response.status not in (200, 201):
                    refused.append(f"{response.status}: {response.json().get('errors', response.body[:300])}")
            for _ in range(3):  # the media function's records lead to another publish
                if not stack.pump():
                    break
            sizes = _sizes(stack)
            latest = stack.s3.get_object(Bucket=stack.snapshot_bucket, Key="v1/latest.json")["Body"].read()
    finally:
        server.close()
    articles, media = sizes["article"], sizes["media"]
    rows = [
        _row("article files", articles),
        _row("v1/latest.json", [len(latest)]),
        _row("list files", sizes["list"]),
        _row("renditions (v1/media)", media),
    ]
    return BenchResult(
        name=NAME,
        title="Snapshot sizes for the same articles (bytes)",
        verdicts=[],
        tables={"files under v1/": Table(["files", "count", "mean bytes", "largest bytes"], rows)},
        notes=[
            f"{len(documents)} articles posted ({len(refused)} refused), "
            "each with a 3000×2000 lead picture on a loopback server",
            *refused[:5],
        ],
        data={
            "articles_posted": len(documents),
            "refused": refused,
            "sizes": sizes,
            "latest_bytes": len(latest),
            "media_bytes_total": sum(media),
        },
    )


def main() -> None:
    main_of(run)


if __name__ == "__main__":
    main()
