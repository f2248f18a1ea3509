"""Hostile review of issue 10's fixes (b): ``newsdesk submit`` against an answer that is not well-formed HTTP.

Each test reproduces a finding of the review: it fails while the finding stands.
"""

from __future__ import annotations

import socket
import threading
from collections.abc import Iterator
from pathlib import Path

import pytest

from newsdesk_ops.commands.submit import submit_files

pytestmark = pytest.mark.http

ANSWERS = {
    # A body shorter than its Content-Length (a proxy that died mid-answer): http.client.IncompleteRead.
    "truncated body": b'HTTP/1.1 201 Created\r\nContent-Type: application/json\r\nContent-Length: 100\r\n\r\n{"id"',
    # Not HTTP at all (a wrong port): http.client.BadStatusLine.
    "no status line": b"SSH-2.0-OpenSSH_9.6\r\n",
}


@pytest.fixture(params=sorted(ANSWERS))
def broken_api(request: pytest.FixtureRequest) -> Iterator[str]:
    answer = ANSWERS[request.param]
    listener = socket.create_server(("127.0.0.1", 0))
    listener.settimeout(30)
    stop = threading.Event()

    def serve() -> None:
        while not stop.is_set():
            try:
                connection, _ = listener.accept()
            except OSError:
                return
            with connection:
                connection.settimeout(5)
                try:
                    connection.recv(65536)
                    connection.sendall(answer)
                except OSError:
                    pass

    thread = threading.Thread(target=serve, daemon=True)
    thread.start()
    yield f"http://127.0.0.1:{listener.getsockname()[1]}"
    stop.set()
    listener.close()


def test_submit_reports_a_broken_answer_as_a_refusal_and_goes_on_with_the_next_file(
    broken_api: str, tmp_path: Path
) -> None:
    files = []
    for number in (1, 2):
        path = tmp_path / f"story{number}.json"
        path.write_bytes(b'{"uri": "urn:example:%d"}' % number)
        files.append(path)

    report = submit_files(files, broken_api, "nd_live_SECRET")

    # Every file is accounted for, none as accepted, and no traceback ends the run
    assert sorted(report.refused) == sorted(str(path) for path in files)
    assert (report.accepted, report.updated, report.replayed) == ([], [], [])
