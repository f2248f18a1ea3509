"""The one deadline of a picture fetch (``newsdesk.media.fetch``): every read waits at most what is
left of it, a watchdog cuts the socket when it passes, and the name lookup is waited for only that long.
"""

from __future__ import annotations

import contextlib
import http.client
import socket
import threading
import time
from collections.abc import Callable, Sequence
from typing import Any

from newsdesk.media import MediaRefused

Resolve = Callable[..., Sequence[tuple[Any, ...]]]


class Deadline:
    """The end of one fetch, redirects included (``FetchLimits.total_seconds``)."""

    def __init__(self, seconds: float) -> None:
        self.at = time.monotonic() + seconds
        self.seconds = seconds
        self.expired = False

    def remaining(self) -> float:
        left = self.at - time.monotonic()
        if left <= 0 or self.expired:
            self.expired = True
            raise MediaRefused("timeout", f"not fetched within {self.seconds:g} s")
        return left

    def watch(self, connection: http.client.HTTPConnection) -> threading.Timer:
        """Cut the connection's socket at the deadline, whatever read is blocked on it."""

        def cut() -> None:
            self.expired = True
            sock = connection.sock
            if sock is not None:
                with contextlib.suppress(OSError):  # already closed: nothing left to cut
                    sock.shutdown(socket.SHUT_RDWR)

        timer = threading.Timer(self.remaining(), cut)
        timer.daemon = True
        timer.start()
        return timer


def resolve_within(resolve: Resolve, deadline: Deadline) -> Resolve:
    """``resolve`` in a thread waited for at most what is left of the deadline: the partner's own name
    server may take the resolver's timeouts (glibc: 5 s a try, twice) at every redirect hop. A lookup
    left behind ends by itself at those timeouts; its answer is not used."""

    def bounded(*args: Any, **kwargs: Any) -> Sequence[tuple[Any, ...]]:
        outcome: list[Sequence[tuple[Any, ...]] | BaseException] = []

        def lookup() -> None:
            try:
                outcome.append(resolve(*args, **kwargs))
            except BaseException as error:  # handed to the waiting thread, which raises it
                outcome.append(error)

        thread = threading.Thread(target=lookup, daemon=True)
        thread.start()
        thread.join(deadline.remaining())
        if not outcome:
            deadline.expired = True
            deadline.remaining()  # raises: the name did not resolve in time
        if isinstance(outcome[0], BaseException):
            raise outcome[0]
        return outcome[0]

    return bounded
