"""The local stack's process holds moto's data: keep it out of the garbage collector's full passes.

Every table item, stream record and S3 object of the local stack lives in one Python process, about
a million objects at 5,000 stored articles. CPython's full (generation 2) collection walks all of
them: 0.6 s with the interpreter lock held, once every few seconds under POSTs (15% of a measured
HTTP phase), and the pauses grow with the stack. Objects that survived a collection are moved into
the permanent generation (``gc.freeze``, as pre-fork servers do), so that later passes walk only
what came since. Reference counting still frees everything as before; a frozen object that later
becomes part of unreachable *cycle* stays until the stack stops (``gc.unfreeze``), and moto's items
and records form none.
"""

from __future__ import annotations

import gc
import logging
import threading
from collections.abc import Callable
from typing import TYPE_CHECKING

if TYPE_CHECKING:
    from newsdesk_ops.local_stack import RunningStack

log = logging.getLogger(__name__)

# How often what survived since the last pass is collected and frozen: each pass walks only that.
FREEZE_EVERY_SECONDS = 15.0


def freeze_survivors() -> int:
    """Collect (the objects not frozen yet), then freeze whatever survived; returns how many objects
    are frozen in all. Garbage is collected first, so none of it is kept."""
    gc.collect()
    gc.freeze()
    return gc.get_freeze_count()


def heap_keeper(stack: RunningStack) -> Callable[[], None]:
    """Worker: freezes the stack's data now (after a restore, most of it) and every
    FREEZE_EVERY_SECONDS; its stop unfreezes everything, for the process to go on without the stack."""
    del stack  # the heap is the process's, not the stack's
    log.debug("heap: %d objects frozen", freeze_survivors())
    stop_requested = threading.Event()

    def keep() -> None:
        while not stop_requested.wait(FREEZE_EVERY_SECONDS):
            freeze_survivors()

    thread = threading.Thread(target=keep, name="heap-keeper", daemon=True)
    thread.start()

    def stop() -> None:
        stop_requested.set()
        thread.join()
        gc.unfreeze()

    return stop
