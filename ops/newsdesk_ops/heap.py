"""The local stack's process holds moto's data: keep it out of the garbage collector's full passes.

Every table item, stream record and S3 object of the local stack lives in one Python process, about
a million objects at 5,000 stored articles. CPython's full (generation 2) collection walks all of
them: 0.6 s with the interpreter lock held, once every few seconds under POSTs (15% of a measured
HTTP phase), and the pauses grow with the stack. Objects that survived a collection are moved into
the permanent generation (``gc.freeze``, as pre-fork servers do), so that later passes walk only
what came since.

Reference counting frees everything as before. What freezing delays is the collection of *cycles*
that were alive at a freeze and died later: moto's requests build one each (werkzeug's request and
its environ), so the requests in flight at a freeze would stay until the stack stops. Every
FULL_PASS_SECONDS everything is unfrozen, collected once (one full pause) and frozen again.

One process may run several stacks (the tests do): the keeper is shared, and the heap is unfrozen
when the last stack stops.
"""

from __future__ import annotations

import gc
import logging
import threading
import time
from collections.abc import Callable
from typing import TYPE_CHECKING

if TYPE_CHECKING:
    from newsdesk_ops.local_stack import RunningStack

log = logging.getLogger(__name__)

# How often what survived since the last pass is collected and frozen: each pass walks only that.
FREEZE_EVERY_SECONDS = 15.0
# How often everything is collected once more: what died after it was frozen goes then.
FULL_PASS_SECONDS = 300.0


def freeze_survivors() -> int:
    """Collect (the objects not frozen yet), then freeze whatever survived; returns how many objects
    are frozen in all. Garbage is collected first, so none of it is kept."""
    gc.collect()
    gc.freeze()
    return gc.get_freeze_count()


def full_pass() -> int:
    """Unfreeze, collect everything (cycles that died while frozen too), freeze again."""
    gc.unfreeze()
    return freeze_survivors()


class _Keeper:
    """The process's one keeper thread, shared by the stacks that run in it."""

    def __init__(self) -> None:
        self._lock = threading.Lock()
        self._stacks = 0
        self._stop_requested = threading.Event()
        self._thread: threading.Thread | None = None

    def start(self) -> None:
        with self._lock:
            self._stacks += 1
            if self._stacks > 1:
                return
            log.debug("heap: %d objects frozen", freeze_survivors())
            self._stop_requested = threading.Event()
            self._thread = threading.Thread(
                target=self._keep, args=(self._stop_requested,), name="heap-keeper", daemon=True
            )
            self._thread.start()

    def stop(self) -> None:
        with self._lock:
            self._stacks -= 1
            if self._stacks > 0:
                return
            thread, self._thread = self._thread, None
            self._stop_requested.set()
        if thread is not None:
            thread.join()
        gc.unfreeze()

    @staticmethod
    def _keep(stop_requested: threading.Event) -> None:
        last_full = time.monotonic()
        while not stop_requested.wait(FREEZE_EVERY_SECONDS):
            if time.monotonic() - last_full >= FULL_PASS_SECONDS:
                full_pass()
                last_full = time.monotonic()
            else:
                freeze_survivors()


_keeper = _Keeper()


def heap_keeper(stack: RunningStack) -> Callable[[], None]:
    """Worker: freezes the process's data now (after a restore, most of it) and every
    FREEZE_EVERY_SECONDS; the last running stack's stop unfreezes everything."""
    del stack  # the heap is the process's, not one stack's
    _keeper.start()
    stopped = threading.Event()

    def stop() -> None:
        if not stopped.is_set():
            stopped.set()
            _keeper.stop()

    return stop
