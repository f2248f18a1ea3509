"""Hostile review of issue 10's ``newsdesk submit``: what an answer that is not the API's own can make it do.

Each test reproduces a finding of the review: it fails while the finding stands.
"""

from __future__ import annotations

import threading
from collections.abc import Iterator
from http.server import BaseHTTPRequestHandler, HTTPServer
from pathlib import Path
from typing import ClassVar

import pytest

from newsdesk_ops.commands.submit import submit_files

pytestmark = pytest.mark.http


class Elsewhere(BaseHTTPRequestHandler):
    """Another host: records what reaches it."""

    seen: ClassVar[list[tuple[str, str | None]]] = []

    def do_request(self) -> None:
        Elsewhere.seen.append((self.command, self.headers.get("Authorization")))
        self.send_response(200)
        self.send_header("Content-Type", "application/json")
        self.send_header("Content-Length", "2")
        self.end_headers()
        self.wfile.write(b"{}")

    do_GET = do_POST = do_request

    def log_message(self, format: str, *args: object) -> None:
        return


def serve(handler: type[BaseHTTPRequestHandler]) -> tuple[HTTPServer, int]:
    server = HTTPServer(("127.0.0.1", 0), handler)
    threading.Thread(target=server.serve_forever, daemon=True).start()
    return server, server.server_address[1]


@pytest.fixture
def redirecting_api() -> Iterator[str]:
    """An "API" (a proxy, a captive portal, a wrong --api-url) that answers a POST with 302 to another host."""
    elsewhere, elsewhere_port = serve(Elsewhere)

    class Redirecting(BaseHTTPRequestHandler):
        def do_POST(self) -> None:
            self.rfile.read(int(self.headers.get("Content-Length") or 0))
            self.send_response(302)
            self.send_header("Location", f"http://localhost:{elsewhere_port}/collect")
            self.send_header("Content-Length", "0")
            self.end_headers()

        def log_message(self, format: str, *args: object) -> None:
            return

    api, api_port = serve(Redirecting)
    Elsewhere.seen = []
    yield f"http://127.0.0.1:{api_port}"
    for server in (api, elsewhere):
        server.shutdown()
        server.server_close()


def test_submit_does_not_follow_a_redirect_with_the_partners_key_nor_count_it_as_accepted(
    redirecting_api: str, tmp_path: Path
) -> None:
    article = tmp_path / "story.json"
    article.write_bytes(b'{"uri": "urn:example:1"}')

    report = submit_files([article], redirecting_api, "nd_live_SECRET")

    # The key goes to the API's host only, and a file that was not accepted is not reported as updated
    assert [authorization for _, authorization in Elsewhere.seen] == []
    assert (report.accepted, report.updated, report.replayed) == ([], [], [])
