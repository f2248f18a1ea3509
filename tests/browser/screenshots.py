"""Screenshots of the browser tests: written to tests/artifacts/screenshots/ (git-ignored) and
listed at the end of the run (tests/conftest.py calls :func:`report`, also under xdist, where
only the root conftest's hooks run in the controller: the list is read from disk)."""

from __future__ import annotations

import time
from pathlib import Path
from typing import Any

SCREENSHOTS = Path(__file__).resolve().parents[1] / "artifacts" / "screenshots"
_SESSION_STARTED = time.time()


def screenshot(page: Any, name: str, *, full_page: bool = True) -> Path:
    """Save a screenshot as tests/artifacts/screenshots/{name}.png and return its path."""
    SCREENSHOTS.mkdir(parents=True, exist_ok=True)
    path = SCREENSHOTS / f"{name}.png"
    page.screenshot(path=str(path), full_page=full_page)
    return path


def report(terminalreporter: Any) -> None:
    """List the screenshots this run wrote."""
    if not SCREENSHOTS.is_dir():
        return
    written = sorted(path for path in SCREENSHOTS.glob("*.png") if path.stat().st_mtime >= _SESSION_STARTED)
    if written:
        terminalreporter.section("reference site screenshots")
        for path in written:
            terminalreporter.write_line(str(path))
