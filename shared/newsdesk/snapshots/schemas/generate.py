"""The snapshot schemas generated from the models with pydantic: development time only.

Nothing at runtime imports this module (publish reads the committed files, :mod:`.`).
"""

from __future__ import annotations

import json
from typing import Any

from pydantic import TypeAdapter

from newsdesk.snapshots.schemas import SNAPSHOT_KINDS, schema_file

DRAFT_2020_12 = "https://json-schema.org/draft/2020-12/schema"


def generated_schemas() -> dict[str, dict[str, Any]]:
    """Every kind's schema as the models define it: what is written, hence what readers get."""
    schemas: dict[str, dict[str, Any]] = {}
    for kind, model in SNAPSHOT_KINDS.items():
        schema = TypeAdapter(model).json_schema(mode="serialization")
        schemas[kind] = {"$schema": DRAFT_2020_12, "$id": f"{kind}.json", **schema}
    return schemas


def schema_text(schema: dict[str, Any]) -> str:
    """A committed file's exact text: the generated order, UTF-8 as is, one trailing newline."""
    return json.dumps(schema, ensure_ascii=False, indent=2) + "\n"


def stale_files() -> dict[str, str]:
    """The files that differ from what the models generate, with the text they should have."""
    stale: dict[str, str] = {}
    for kind, schema in generated_schemas().items():
        path = schema_file(kind)
        text = schema_text(schema)
        if not path.exists() or path.read_text(encoding="utf-8") != text:
            stale[kind] = text
    return stale
