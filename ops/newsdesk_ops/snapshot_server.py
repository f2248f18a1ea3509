"""The local CloudFront in front of the snapshot bucket (:class:`SnapshotServer`): GET/HEAD of
``s3://{bucket}/{key}`` over HTTP with the object's own headers, 304 on a matching
``If-None-Match`` or ``If-Modified-Since``, and CORS so that a page on another local port can fetch
the files.
"""

from __future__ import annotations

import email.message
import email.utils
import json
import logging
from collections.abc import Mapping
from datetime import UTC, datetime
from http import HTTPStatus
from http.server import BaseHTTPRequestHandler
from typing import TYPE_CHECKING, Any
from urllib.parse import unquote, urlsplit

from botocore.exceptions import ClientError

from newsdesk_ops.loopback import LoopbackServer

if TYPE_CHECKING:
    pass

log = logging.getLogger(__name__)


# --------------------------------------------------------------------------------------------------
# Snapshot server (the local CloudFront)
# --------------------------------------------------------------------------------------------------

_NOT_FOUND_CODES = {"NoSuchKey", "404", "NotFound"}
_CORS_HEADERS = {
    # The snapshots are public; any local page may read them.
    "Access-Control-Allow-Origin": "*",
    "Access-Control-Expose-Headers": "ETag",
}


def etag_matches(if_none_match: str, etag: str) -> bool:
    """RFC 9110 weak comparison of If-None-Match against an entity tag ("*" matches any)."""
    if if_none_match.strip() == "*":
        return True
    wanted = etag.removeprefix("W/")
    return any(candidate.strip().removeprefix("W/") == wanted for candidate in if_none_match.split(","))


def _not_modified_since(if_modified_since: str | None, last_modified: datetime | None) -> bool:
    if not if_modified_since or last_modified is None:
        return False
    try:
        since = email.utils.parsedate_to_datetime(if_modified_since)
    except (TypeError, ValueError):
        return False
    if since.tzinfo is None:
        since = since.replace(tzinfo=UTC)
    return last_modified.replace(microsecond=0) <= since


class LoopbackService:
    """A local server on loopback: its base URL, started on a port, stopped. The snapshot server and
    the site server (newsdesk_ops.site) differ only in the request handler they serve with."""

    def __init__(self, name: str, host: str) -> None:
        self._host = host
        self._server = LoopbackServer(name)

    @property
    def url(self) -> str:
        """Base URL with a trailing slash."""
        host, port = self._server.address
        return f"http://{host}:{port}/"

    def start(self, port: int = 0) -> str:
        """Bind ``port`` (0: any free one), serve in a background thread, return the base URL."""
        self._server.start((self._host, port), self.request_handler())
        return self.url

    def stop(self) -> None:
        self._server.stop()

    def request_handler(self) -> type[BaseHTTPRequestHandler]:
        raise NotImplementedError


def snapshot_reply(
    found: Mapping[str, Any], request_headers: email.message.Message, *, with_body: bool
) -> tuple[HTTPStatus, dict[str, str], bytes, int]:
    """Status, headers, body and Content-Length of a GET/HEAD of an object ``fetch`` found, as
    CloudFront answers it: the headers publish set (ETag, Cache-Control, Content-Type) and
    Last-Modified, or 304 when If-None-Match (else If-Modified-Since) says the reader has it."""
    etag = str(found.get("ETag", ""))
    last_modified: datetime | None = found.get("LastModified")
    headers = {"ETag": etag}
    if found.get("CacheControl"):
        headers["Cache-Control"] = str(found["CacheControl"])
    if last_modified is not None:
        headers["Last-Modified"] = email.utils.format_datetime(last_modified.astimezone(UTC), usegmt=True)
    if_none_match = request_headers.get("If-None-Match")
    not_modified = (
        etag_matches(if_none_match, etag)
        if if_none_match is not None
        else _not_modified_since(request_headers.get("If-Modified-Since"), last_modified)
    )
    if not_modified:
        return HTTPStatus.NOT_MODIFIED, headers, b"", 0
    headers["Content-Type"] = str(found.get("ContentType") or "binary/octet-stream")
    body: bytes = found["Body"] if with_body else b""
    return HTTPStatus.OK, headers, body, int(found.get("ContentLength", len(body)))


class SnapshotServer(LoopbackService):
    """Serves one bucket's objects read-only over HTTP on loopback, the way CloudFront would."""

    def __init__(self, bucket: str, s3: Any, host: str = "127.0.0.1") -> None:
        super().__init__("local snapshot server", host)
        self.bucket = bucket
        self._s3 = s3

    def request_handler(self) -> type[BaseHTTPRequestHandler]:
        return _snapshot_request_handler(self)

    def fetch(self, key: str, *, with_body: bool) -> dict[str, Any] | None:
        """The object's metadata (and body), or None when the key does not exist."""
        try:
            if with_body:
                response: dict[str, Any] = self._s3.get_object(Bucket=self.bucket, Key=key)
                response["Body"] = response["Body"].read()
            else:
                response = self._s3.head_object(Bucket=self.bucket, Key=key)
        except ClientError as error:
            if error.response.get("Error", {}).get("Code") in _NOT_FOUND_CODES:
                return None
            raise
        return response


class ReadOnlyRequestHandler(BaseHTTPRequestHandler):
    """GET and HEAD on a local read-only server. A subclass answers ``_serve`` and names the headers
    every response carries (``extra_headers``)."""

    protocol_version = "HTTP/1.1"
    timeout = 60
    extra_headers: Mapping[str, str] = {}

    def do_GET(self) -> None:
        self._serve(with_body=True)

    def do_HEAD(self) -> None:
        self._serve(with_body=False)

    def _serve(self, *, with_body: bool) -> None:
        raise NotImplementedError

    def _reply(
        self, status: HTTPStatus, headers: dict[str, str], body: bytes, *, content_length: int | None = None
    ) -> None:
        """Send ``status`` and ``headers``; ``content_length`` is the GET's length on a HEAD (no body)."""
        self.send_response(status)
        for name, value in {**headers, **self.extra_headers}.items():
            self.send_header(name, value)
        if status not in (HTTPStatus.NO_CONTENT, HTTPStatus.NOT_MODIFIED):
            self.send_header("Content-Length", str(len(body) if content_length is None else content_length))
        self.end_headers()
        if body and self.command != "HEAD":
            self.wfile.write(body)
        log.debug("%s %s %s %d", self.version_string(), self.command, self.path, status)

    def log_message(self, format: str, *args: Any) -> None:
        return


def _snapshot_request_handler(server: SnapshotServer) -> type[BaseHTTPRequestHandler]:
    class SnapshotRequestHandler(ReadOnlyRequestHandler):
        extra_headers = _CORS_HEADERS

        def do_OPTIONS(self) -> None:
            # CORS preflight: only reads are allowed.
            self._reply(
                HTTPStatus.NO_CONTENT,
                {
                    "Access-Control-Allow-Methods": "GET, HEAD",
                    "Access-Control-Allow-Headers": self.headers.get("Access-Control-Request-Headers") or "*",
                    "Access-Control-Max-Age": "600",
                },
                b"",
            )

        def _serve(self, *, with_body: bool) -> None:
            key = unquote(urlsplit(self.path).path).lstrip("/")
            try:
                found = server.fetch(key, with_body=with_body) if key and not key.endswith("/") else None
            except Exception:
                log.exception("snapshots: reading s3://%s/%s failed", server.bucket, key)
                self._message(HTTPStatus.BAD_GATEWAY, "the snapshot bucket could not be read", with_body)
                return
            if found is None:
                self._message(HTTPStatus.NOT_FOUND, f"no snapshot at /{key}", with_body)
                return
            status, headers, body, length = snapshot_reply(found, self.headers, with_body=with_body)
            self._reply(status, headers, body, content_length=length)

        def _message(self, status: HTTPStatus, message: str, with_body: bool) -> None:
            body = json.dumps({"message": message}).encode("utf-8") + b"\n"
            self._reply(
                status,
                {"Content-Type": "application/json; charset=utf-8", "Cache-Control": "no-store"},
                body if with_body else b"",
                content_length=len(body),
            )

        def version_string(self) -> str:
            return "newsdesk-local-snapshots"

    return SnapshotRequestHandler
