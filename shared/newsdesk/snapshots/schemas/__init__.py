"""The JSON Schema (Draft 2020-12) of every kind of snapshot, as published beside the files.

The schemas are generated from the snapshot models with pydantic at development time
(:mod:`.generate`; ``python -m newsdesk.snapshots.schemas``, ``make schemas``) and committed here as
``{kind}.json``; publish reads those files and never imports pydantic. A test fails while a
committed file differs from what the models generate.
"""

from __future__ import annotations

import copy
import json
from functools import cache
from pathlib import Path
from typing import Any

from newsdesk.snapshots.counts import CountsSnapshot
from newsdesk.snapshots.models import (
    ArticleSnapshot,
    ListSnapshot,
    ManifestSnapshot,
    SnapshotModel,
    TombstoneSnapshot,
)
from newsdesk.snapshots.render import render_json, sha256_of
from newsdesk.snapshots.sections import SectionsSnapshot
from newsdesk.snapshots.trending import CountersSnapshot, TrendingSnapshot

SCHEMA_DIRECTORY = Path(__file__).parent

SNAPSHOT_KINDS: dict[str, type[SnapshotModel]] = {
    "article": ArticleSnapshot,
    "tombstone": TombstoneSnapshot,
    "list": ListSnapshot,
    "manifest": ManifestSnapshot,
    "trending": TrendingSnapshot,
    "counters": CountersSnapshot,
    "counts": CountsSnapshot,
    "sections": SectionsSnapshot,
}


def schema_file(kind: str) -> Path:
    return SCHEMA_DIRECTORY / f"{kind}.json"


def json_schemas() -> dict[str, dict[str, Any]]:
    """The schema of every kind of snapshot (a copy: callers may change it)."""
    return copy.deepcopy(_json_schemas())


@cache
def _json_schemas() -> dict[str, dict[str, Any]]:
    return {kind: json.loads(schema_file(kind).read_text(encoding="utf-8")) for kind in SNAPSHOT_KINDS}


@cache
def schema_fingerprint() -> str:
    """Changes whenever a snapshot model changes: part of the stamp that lets unchanged articles skip."""
    return sha256_of(render_json(_json_schemas()))
