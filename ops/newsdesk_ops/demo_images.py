"""Pictures for the demo newsroom, drawn with Pillow: one colour pair, one shape and a label each,
so every story's picture is recognisably its own (and a wrong picture on a page is easy to see);
and the loopback server a partner's picture host would be.

The tests have a richer picture server (tests/support/image_server.py: redirects, slow and lying
answers); the demo keeps its own few lines because ``python -m newsdesk_ops.local_stack`` must
work from any directory, where the tests package is not importable.
"""

from __future__ import annotations

import io
import math
import threading
from http import HTTPStatus
from http.server import BaseHTTPRequestHandler
from pathlib import Path
from typing import Any

from PIL import Image, ImageDraw, ImageFont

from newsdesk_ops.loopback import LoopbackServer

# Large enough that the media pipeline makes every configured width (320, 640, 1024) from it.
WIDTH, HEIGHT = 1280, 800
_FONT_FILES = (
    Path("/usr/share/fonts/truetype/dejavu/DejaVuSans-Bold.ttf"),  # Debian's fonts-dejavu-core: has Cyrillic
    Path("/usr/share/fonts/truetype/liberation/LiberationSans-Bold.ttf"),
)


def picture_jpeg(label: str, colours: tuple[str, str], shape: str, *, size: tuple[int, int] = (WIDTH, HEIGHT)) -> bytes:
    """A JPEG: a gradient between the two colours, a shape in the second one, the label below."""
    width, height = size
    top, bottom = (Image.new("RGB", size, colour) for colour in colours)
    mask = Image.linear_gradient("L").resize(size)
    image = Image.composite(bottom, top, mask)
    draw = ImageDraw.Draw(image)
    _draw_shape(draw, shape, width, height, colours)
    band = height // 6
    draw.rectangle((0, height - band, width, height), fill=(0, 0, 0))
    font = _font(band // 2)
    draw.text((width // 2, height - band // 2), label, fill=(255, 255, 255), font=font, anchor="mm")
    buffer = io.BytesIO()
    image.save(buffer, "JPEG", quality=85)
    return buffer.getvalue()


def _draw_shape(draw: ImageDraw.ImageDraw, shape: str, width: int, height: int, colours: tuple[str, str]) -> None:
    light, dark = "#ffffff", colours[0]
    cx, cy, r = width // 2, height * 2 // 5, min(width, height) // 4
    if shape == "circle":
        draw.ellipse((cx - r, cy - r, cx + r, cy + r), fill=light, outline=dark, width=12)
    elif shape == "triangle":
        draw.polygon([(cx, cy - r), (cx - r, cy + r), (cx + r, cy + r)], fill=light, outline=dark, width=12)
    elif shape == "stripes":
        for x in range(-height, width, 120):
            draw.line((x, 0, x + height, height), fill=light, width=36)
    elif shape == "grid":
        for x in range(60, width, 160):
            for y in range(60, height * 2 // 3, 160):
                draw.rectangle((x, y, x + 90, y + 90), fill=light)
    else:  # "wave"
        for offset in range(0, height * 2 // 3, 70):
            points = [(x, offset + 30 * math.sin(x / 80)) for x in range(0, width + 20, 20)]
            draw.line(points, fill=light, width=14)


def _font(size: int) -> ImageFont.FreeTypeFont | ImageFont.ImageFont:
    for path in _FONT_FILES:
        if path.exists():
            return ImageFont.truetype(str(path), size)
    return ImageFont.load_default(size=size)


class PictureServer:
    """JPEGs on 127.0.0.1 at paths given by ``add``; everything else is a 404."""

    def __init__(self) -> None:
        self._pictures: dict[str, bytes] = {}
        self._lock = threading.Lock()
        self._server = LoopbackServer("demo picture server")

    def start(self) -> None:
        self._server.start(("127.0.0.1", 0), _picture_handler(self))

    def stop(self) -> None:
        self._server.stop()

    @property
    def host_port(self) -> str:
        """``"127.0.0.1:PORT"``: the MediaFetchAllowlist entry that lets the media function fetch here."""
        host, port = self._server.address
        return f"{host}:{port}"

    def add(self, path: str, jpeg: bytes) -> str:
        with self._lock:
            self._pictures[path] = jpeg
        return f"http://{self.host_port}{path}"

    def get(self, path: str) -> bytes | None:
        with self._lock:
            return self._pictures.get(path)


def _picture_handler(server: PictureServer) -> type[BaseHTTPRequestHandler]:
    class PictureHandler(BaseHTTPRequestHandler):
        def do_GET(self) -> None:
            picture = server.get(self.path)
            self.send_response(HTTPStatus.OK if picture is not None else HTTPStatus.NOT_FOUND)
            body = picture if picture is not None else b"not found\n"
            self.send_header("Content-Type", "image/jpeg" if picture is not None else "text/plain")
            self.send_header("Content-Length", str(len(body)))
            self.end_headers()
            self.wfile.write(body)

        def log_message(self, format: str, *args: Any) -> None:
            return

    return PictureHandler
