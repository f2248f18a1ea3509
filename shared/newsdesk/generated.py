"""Committed files generated from code (the OpenAPI document, the snapshot schemas, the layer's
requirements): write them, or with ``--check`` only say which are stale. Build tooling, never imported
by a handler."""

from __future__ import annotations

import sys
from collections.abc import Mapping
from pathlib import Path


def write_or_check(wanted: Mapping[Path, str], *, check: bool, make_target: str) -> int:
    """Write each file whose text differs from ``wanted`` (0), or with ``check`` name them (1 if any)."""
    stale = {
        path: text
        for path, text in wanted.items()
        if (path.read_text(encoding="utf-8") if path.exists() else None) != text
    }
    if check:
        for path in stale:
            print(f"{path} is stale: run `make {make_target}`", file=sys.stderr)
        return 1 if stale else 0
    for path, text in stale.items():
        path.write_text(text, encoding="utf-8")
        print(f"wrote {path}")
    return 0
