"""The bytes of a snapshot file.

Determinism: :func:`render` gives the same bytes for the same model, and no snapshot field holds
a wall-clock time of publishing (``generated_at`` comes from the data), so a rebuild from the
table reproduces every byte.
"""

from __future__ import annotations

import hashlib
import json
from typing import Any

from pydantic import BaseModel


def render(model: BaseModel) -> bytes:
    """The file's bytes: compact UTF-8 JSON, non-ASCII as is, field order as declared, newline."""
    return render_json(model.model_dump(mode="json"))


def render_json(value: Any) -> bytes:
    """A plain JSON document (the schemas) in the same byte form as :func:`render`."""
    return (json.dumps(value, ensure_ascii=False, separators=(",", ":")) + "\n").encode("utf-8")


def sha256_of(body: bytes) -> str:
    return hashlib.sha256(body).hexdigest()
