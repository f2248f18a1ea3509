"""An HTTP server on a background thread: what the local gateway and snapshot server run on."""

from __future__ import annotations

import threading
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer


class _Server(ThreadingHTTPServer):
    # socketserver's default backlog is 5: with more clients connecting at once than that, the
    # kernel drops their SYNs, and each retries a second later (or is reset). Many local clients
    # (a load, a browser opening a page) connect at once.
    request_queue_size = 128
    daemon_threads = True


class LoopbackServer:
    def __init__(self, name: str) -> None:
        self._name = name
        self._server: ThreadingHTTPServer | None = None
        self._thread: threading.Thread | None = None

    @property
    def running(self) -> bool:
        return self._server is not None

    @property
    def address(self) -> tuple[str, int]:
        if self._server is None:
            raise RuntimeError(f"the {self._name} is not running")
        host, port = self._server.server_address[:2]
        return str(host), int(port)

    def start(self, address: tuple[str, int], handler: type[BaseHTTPRequestHandler]) -> None:
        """Bind and serve in a daemon thread; returns once requests are accepted. Idempotent."""
        if self._server is not None:
            return
        server = _Server(address, handler)
        self._server = server
        self._thread = threading.Thread(target=server.serve_forever, name=self._name, daemon=True)
        self._thread.start()

    def stop(self) -> None:
        if self._server is None:
            return
        self._server.shutdown()
        self._server.server_close()
        if self._thread is not None:
            self._thread.join()
        self._server = None
        self._thread = None
