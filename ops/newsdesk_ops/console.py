"""What the operator sees besides plain lines: progress of long work."""

from __future__ import annotations

import contextlib
import sys
import time
from collections.abc import Callable, Iterator

ProgressCallback = Callable[[int, int], None]


@contextlib.contextmanager
def progress_bar(unit: str) -> Iterator[ProgressCallback]:
    """A ``progress(done, total)`` callback: a tqdm bar when tqdm is installed, else a counter on stderr."""
    try:
        from tqdm import tqdm
    except ImportError:
        tqdm = None
    if tqdm is not None:
        bar = tqdm(unit=f" {unit}", file=sys.stderr, dynamic_ncols=True)

        def advance_bar(done: int, total: int) -> None:
            if bar.total != total:
                bar.total = total
            bar.update(done - bar.n)

        try:
            yield advance_bar
        finally:
            bar.close()
        return

    last_shown = [0.0]

    def count(done: int, total: int) -> None:
        now = time.monotonic()
        # At most a few lines a second, and always the last one.
        if done == total or now - last_shown[0] >= 0.5:
            last_shown[0] = now
            end = "\n" if done == total else ""
            print(f"\r{done}/{total} {unit}", end=end, file=sys.stderr, flush=True)

    yield count
