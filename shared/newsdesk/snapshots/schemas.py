"""The JSON Schema (Draft 2020-12) of every kind of snapshot, generated from the models."""

from __future__ import annotations

import copy
from functools import cache
from typing import Any

from newsdesk.snapshots.models import (
    ArticleSnapshot,
    ListSnapshot,
    ManifestSnapshot,
    SnapshotModel,
    TombstoneSnapshot,
)
from newsdesk.snapshots.render import render_json, sha256_of
from newsdesk.snapshots.trending import CountersSnapshot, TrendingSnapshot

SNAPSHOT_KINDS: dict[str, type[SnapshotModel]] = {
    "article": ArticleSnapshot,
    "tombstone": TombstoneSnapshot,
    "list": ListSnapshot,
    "manifest": ManifestSnapshot,
    "trending": TrendingSnapshot,
    "counters": CountersSnapshot,
}


def json_schemas() -> dict[str, dict[str, Any]]:
    """The schema of every kind of snapshot (a copy: callers may change it)."""
    return copy.deepcopy(_json_schemas())


@cache
def _json_schemas() -> dict[str, dict[str, Any]]:
    schemas: dict[str, dict[str, Any]] = {}
    for kind, model in SNAPSHOT_KINDS.items():
        schema = model.model_json_schema(mode="serialization")
        schemas[kind] = {
            "$schema": "https://json-schema.org/draft/2020-12/schema",
            "$id": f"{kind}.json",
            **schema,
        }
    return schemas


@cache
def schema_fingerprint() -> str:
    """Changes whenever a snapshot model changes: part of the stamp that lets unchanged articles skip."""
    return sha256_of(render_json(_json_schemas()))
