"""The reference reader site on the local stack: ``site/`` and ``/v1/*`` on one loopback origin.

In production the site's static files and the snapshot bucket sit behind one CDN, so the pages
read ``/v1/latest.json`` from their own origin. Locally this server does the same: files under
``/v1/`` come from the snapshot bucket through :meth:`SnapshotServer.fetch` (the headers
publish set: Content-Type, Cache-Control, ETag), everything else from the ``site/`` folder.
The site is plain files (no build step), served as they are, revalidated on every load so an
edit shows at the next reload. ``/config.json`` tells the pages where to send readers' views
(``{"events_url": "{api_url}/v1/events"}``); a deployment puts the same file beside the pages.
"""

from __future__ import annotations

import hashlib
import json
import logging
import mimetypes
from http import HTTPStatus
from http.server import BaseHTTPRequestHandler
from pathlib import Path
from urllib.parse import unquote, urlsplit

from newsdesk_ops.snapshot_server import (
    LoopbackService,
    ReadOnlyRequestHandler,
    SnapshotServer,
    etag_matches,
    snapshot_reply,
)

log = logging.getLogger(__name__)

# The repository's site/ folder (ops/newsdesk_ops/site.py -> the repository root).
SITE_ROOT = Path(__file__).resolve().parents[2] / "site"
SNAPSHOTS_PREFIX = "/v1/"
# The port the site listens on; without it, the API's port + 2 (the snapshots have + 1).
SITE_PORT_ENV = "SITE_PORT"
CONFIG_PATH = "/config.json"

_CONTENT_TYPES = {
    ".html": "text/html; charset=utf-8",
    ".css": "text/css; charset=utf-8",
    ".js": "text/javascript; charset=utf-8",
    ".svg": "image/svg+xml",
    ".json": "application/json; charset=utf-8",
    ".png": "image/png",
    ".jpg": "image/jpeg",
    ".webp": "image/webp",
    ".ico": "image/x-icon",
    ".txt": "text/plain; charset=utf-8",
}
# Every response: the browser must take the declared type (no sniffing a JSON file into HTML).
_COMMON_HEADERS = {
    "X-Content-Type-Options": "nosniff",
    "Referrer-Policy": "strict-origin-when-cross-origin",
    # The pages' own <meta> policy cannot forbid framing; these headers do.
    "X-Frame-Options": "DENY",
    "Content-Security-Policy": "frame-ancestors 'none'",
}


class SiteServer(LoopbackService):
    """Serves ``root`` and, under /v1/, the snapshot bucket behind ``snapshots``, on loopback."""

    def __init__(
        self,
        snapshots: SnapshotServer,
        host: str = "127.0.0.1",
        root: Path = SITE_ROOT,
        *,
        api_url: str = "",
    ) -> None:
        """``api_url``: the API the pages send views to (``/config.json``); "" sends none."""
        super().__init__("local site server", host)
        self.snapshots = snapshots
        self.root = root.resolve()
        self.config = json.dumps({"events_url": f"{api_url}/v1/events" if api_url else ""}).encode("utf-8")

    def request_handler(self) -> type[BaseHTTPRequestHandler]:
        return _site_request_handler(self)

    def static_file(self, url_path: str) -> Path | None:
        """The file under ``root`` that ``url_path`` names ("/" is index.html), or None.

        Resolved and checked to stay inside ``root``, so "/../pyproject.toml" or a symlink out of
        the folder is a 404, not a file of the repository.
        """
        relative = url_path.lstrip("/") or "index.html"
        if relative.endswith("/"):
            relative += "index.html"
        try:
            candidate = (self.root / relative).resolve()
            if not candidate.is_relative_to(self.root) or not candidate.is_file():
                return None
        except (OSError, ValueError):  # e.g. an encoded NUL byte, or a name too long for the OS
            return None
        return candidate


def _site_request_handler(server: SiteServer) -> type[BaseHTTPRequestHandler]:
    class SiteRequestHandler(ReadOnlyRequestHandler):
        extra_headers = _COMMON_HEADERS

        def _serve(self, *, with_body: bool) -> None:
            path = unquote(urlsplit(self.path).path)
            if path.startswith(SNAPSHOTS_PREFIX):
                self._snapshot(path.lstrip("/"), with_body)
            elif path == CONFIG_PATH:
                self._file(server.config, "application/json; charset=utf-8", with_body)
            else:
                self._static(path, with_body)

        def _snapshot(self, key: str, with_body: bool) -> None:
            try:
                found = server.snapshots.fetch(key, with_body=with_body) if not key.endswith("/") else None
            except Exception:
                log.exception("site: reading s3://%s/%s failed", server.snapshots.bucket, key)
                self._text(HTTPStatus.BAD_GATEWAY, "the snapshot bucket could not be read", with_body)
                return
            if found is None:
                self._text(HTTPStatus.NOT_FOUND, f"no snapshot at /{key}", with_body)
                return
            # The same answer as the snapshot server's (the CDN's): one origin, the same headers.
            status, headers, body, length = snapshot_reply(found, self.headers, with_body=with_body)
            self._reply(status, headers, body, content_length=length)

        def _static(self, path: str, with_body: bool) -> None:
            file = server.static_file(path)
            if file is None:
                self._text(HTTPStatus.NOT_FOUND, f"no page at {path}", with_body)
                return
            content_type = _CONTENT_TYPES.get(file.suffix) or mimetypes.guess_type(file.name)[0]
            self._file(file.read_bytes(), content_type or "application/octet-stream", with_body)

        def _file(self, data: bytes, content_type: str, with_body: bool) -> None:
            headers = {
                "Content-Type": content_type,
                # Revalidate every time: a developer editing site/ sees the change at the next reload.
                "Cache-Control": "no-cache",
                "ETag": '"' + hashlib.sha256(data).hexdigest()[:32] + '"',
            }
            self._send(headers, data if with_body else b"", len(data))

        def _send(self, headers: dict[str, str], body: bytes, length: int) -> None:
            """200 with ``body``, or 304 when the request's If-None-Match names the same ETag."""
            if_none_match = self.headers.get("If-None-Match")
            if if_none_match is not None and headers.get("ETag") and etag_matches(if_none_match, headers["ETag"]):
                self._reply(HTTPStatus.NOT_MODIFIED, {k: v for k, v in headers.items() if k != "Content-Type"}, b"")
                return
            self._reply(HTTPStatus.OK, headers, body, content_length=length)

        def _text(self, status: HTTPStatus, message: str, with_body: bool) -> None:
            body = (message + "\n").encode("utf-8")
            headers = {"Content-Type": "text/plain; charset=utf-8", "Cache-Control": "no-store"}
            self._reply(status, headers, body if with_body else b"", content_length=len(body))

        def version_string(self) -> str:
            return "newsdesk-local-site"

    return SiteRequestHandler
