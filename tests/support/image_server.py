"""A loopback HTTP server of pictures, for the media tests, the benchmarks and the local demo.

``ImageServer()`` listens on 127.0.0.1, on a free port, in a daemon thread; every response is what
``add`` said for that path (body, Content-Type, status, extra headers, a delay before answering),
so tests can serve generated photos, redirects, oversized or slow bodies and lying content types::

    with ImageServer() as server:
        url = server.add("/lead.jpg", photo_jpeg(1200, 800), "image/jpeg")
        server.redirect("/old.jpg", "/lead.jpg")
        fetch_image(server.url("/old.jpg"), allowlist=frozenset({server.host_port}), limits=...)

Unknown paths answer 404. Requests are recorded (path, headers) in ``server.requests``;
``server.delivered(path)`` waits for the answer to a path to end and tells whether all of it was
written (False: the client hung up first). The picture makers below (``photo``, ``photo_jpeg``,
``png_bytes``, ...) are deterministic for a seed.
"""

from __future__ import annotations

import io
import random
import threading
from collections.abc import Mapping
from dataclasses import dataclass, field
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from types import TracebackType
from typing import Any

from PIL import Image


@dataclass(frozen=True)
class Route:
    body: bytes
    content_type: str
    status: int = 200
    headers: Mapping[str, str] = field(default_factory=dict)
    delay: float = 0.0
    # False: no Content-Length, the body ends when the connection closes (a streamed body).
    declare_length: bool = True
    # > 0: the whole response (status line and headers too) is sent 8 bytes at a time, this many
    # seconds apart: a server that drips bytes to hold its client.
    drip: float = 0.0


@dataclass(frozen=True)
class RecordedRequest:
    method: str
    path: str
    headers: dict[str, str]


class ImageServer:
    """Pictures on loopback; a context manager (or ``start()`` / ``stop()``)."""

    def __init__(self, host: str = "127.0.0.1") -> None:
        self._routes: dict[str, Route] = {}
        self._lock = threading.Lock()
        self._closing = threading.Event()
        self._answered = threading.Condition(self._lock)
        self._delivered: dict[str, bool] = {}
        self.requests: list[RecordedRequest] = []
        self._server = ThreadingHTTPServer((host, 0), _handler_for(self))
        self._server.daemon_threads = True
        self._thread: threading.Thread | None = None

    # -- lifecycle -------------------------------------------------------------------------------

    def start(self) -> ImageServer:
        if self._thread is None:
            self._thread = threading.Thread(target=self._server.serve_forever, name="image-server", daemon=True)
            self._thread.start()
        return self

    def stop(self) -> None:
        self._closing.set()  # releases responses still waiting out their delay
        if self._thread is not None:
            self._server.shutdown()
            self._thread.join()
            self._thread = None
        self._server.server_close()

    def __enter__(self) -> ImageServer:
        return self.start()

    def __exit__(self, kind: type[BaseException] | None, error: BaseException | None, tb: TracebackType | None) -> None:
        self.stop()

    # -- addresses -------------------------------------------------------------------------------

    @property
    def host(self) -> str:
        return str(self._server.server_address[0])

    @property
    def port(self) -> int:
        return int(self._server.server_address[1])

    @property
    def host_port(self) -> str:
        """``"127.0.0.1:PORT"``: the entry an allowlist needs to let a fetch reach this server."""
        return f"{self.host}:{self.port}"

    def url(self, path: str) -> str:
        return f"http://{self.host_port}{path}"

    # -- content ---------------------------------------------------------------------------------

    def add(
        self,
        path: str,
        body: bytes,
        content_type: str,
        status: int = 200,
        headers: Mapping[str, str] | None = None,
        delay: float = 0,
        *,
        declare_length: bool = True,
        drip: float = 0.0,
    ) -> str:
        """Serve ``body`` at ``path`` (exact, query included); returns its URL."""
        with self._lock:
            self._routes[path] = Route(body, content_type, status, dict(headers or {}), delay, declare_length, drip)
        return self.url(path)

    def redirect(self, path: str, location: str, status: int = 302) -> str:
        return self.add(path, b"", "text/plain", status, {"Location": location})

    def route(self, path: str) -> Route | None:
        with self._lock:
            return self._routes.get(path)

    def record(self, request: RecordedRequest) -> None:
        with self._lock:
            self.requests.append(request)

    def wait(self, seconds: float) -> None:
        self._closing.wait(seconds)

    def answered(self, path: str, complete: bool) -> None:
        with self._answered:
            self._delivered[path] = complete
            self._answered.notify_all()

    def delivered(self, path: str, timeout: float = 30.0) -> bool | None:
        """Whether the last answer to ``path`` was written whole; None if it has not ended in time."""
        with self._answered:
            self._answered.wait_for(lambda: path in self._delivered, timeout)
            return self._delivered.get(path)


def _handler_for(server: ImageServer) -> type[BaseHTTPRequestHandler]:
    class Handler(BaseHTTPRequestHandler):
        server_version = "ImageServer/1"

        def do_GET(self) -> None:
            self._answer(with_body=True)

        def do_HEAD(self) -> None:
            self._answer(with_body=False)

        def _answer(self, *, with_body: bool) -> None:
            server.record(RecordedRequest(self.command, self.path, dict(self.headers.items())))
            route = server.route(self.path)
            if route is None:
                route = Route(b"not found\n", "text/plain", 404)
            if route.delay:
                server.wait(route.delay)
            complete = False
            try:
                self.send_response(route.status)
                self.send_header("Content-Type", route.content_type)
                if route.declare_length:
                    self.send_header("Content-Length", str(len(route.body)))
                for name, value in route.headers.items():
                    self.send_header(name, value)
                self.send_header("Connection", "close")
                if route.drip:
                    # What send_header buffered (http.server keeps it in _headers_buffer), sent by hand.
                    head: list[bytes] = getattr(self, "_headers_buffer", [])
                    self._drip(b"".join(head) + b"\r\n" + (route.body if with_body else b""), route.drip)
                    head.clear()
                else:
                    self.end_headers()
                    if with_body:
                        self.wfile.write(route.body)
                complete = True
            except (BrokenPipeError, ConnectionResetError):
                pass  # the client gave up (a size cap or a timeout): that is what some tests want
            finally:
                server.answered(self.path, complete)
            self.close_connection = True

        def _drip(self, raw: bytes, seconds: float) -> None:
            for start in range(0, len(raw), 8):
                self.wfile.write(raw[start : start + 8])
                self.wfile.flush()
                server.wait(seconds)

        def log_message(self, format: str, *args: Any) -> None:
            pass

    return Handler


# --------------------------------------------------------------------------------------------------
# Pictures, generated (deterministic for a seed)
# --------------------------------------------------------------------------------------------------


def photo(width: int, height: int, seed: int = 0) -> Image.Image:
    """A photo-like RGB picture: smooth colour blobs, a light gradient and fine grain.

    Compresses like a real photograph (neither flat colour nor pure noise), so encoded sizes and
    timings resemble an agency picture's.
    """
    rng = random.Random(seed)
    blobs_size = (max(1, width // 48), max(1, height // 48))
    blobs = Image.frombytes("RGB", blobs_size, rng.randbytes(blobs_size[0] * blobs_size[1] * 3))
    picture = blobs.resize((width, height), Image.Resampling.BICUBIC)
    gradient = Image.linear_gradient("L").resize((width, height)).convert("RGB")
    picture = Image.blend(picture, gradient, 0.25)
    grain = Image.frombytes("L", (width, height), rng.randbytes(width * height)).convert("RGB")
    return Image.blend(picture, grain, 0.08)


def encode(image: Image.Image, format: str, **options: Any) -> bytes:
    buffer = io.BytesIO()
    image.save(buffer, format, **options)
    return buffer.getvalue()


def photo_jpeg(width: int, height: int, seed: int = 0, quality: int = 90, orientation: int | None = None) -> bytes:
    """A generated photo as JPEG; ``orientation`` sets the EXIF Orientation tag (1-8)."""
    image = photo(width, height, seed)
    if orientation is None:
        return encode(image, "JPEG", quality=quality)
    exif = Image.Exif()
    exif[0x0112] = orientation
    return encode(image, "JPEG", quality=quality, exif=exif.tobytes())


def png_bytes(width: int, height: int, seed: int = 0, mode: str = "RGB") -> bytes:
    return encode(photo(width, height, seed).convert(mode), "PNG")


def solid(width: int, height: int, colour: tuple[int, ...], mode: str = "RGB") -> Image.Image:
    return Image.new(mode, (width, height), colour)
