"""Small ninjs documents built in code, for tests that vary one field at a time."""

from __future__ import annotations

import json
from typing import Any


def article_doc(
    uri: str = "urn:newsml:oboronka.example:20261125:tank-order",
    *,
    version: str | None = "1",
    versioncreated: str | None = "2026-11-25T08:00:00Z",
    headline: str = "Уралвагонзавод передал войскам новую партию танков",
    body: str = "<p>Первый абзац о поставке.</p><p>Второй абзац с подробностями.</p>",
    **extra: Any,
) -> dict[str, Any]:
    doc: dict[str, Any] = {
        "uri": uri,
        "type": "text",
        "language": "ru",
        "headlines": [{"role": "main", "value": headline}],
        "bodies": [{"role": "main", "contenttype": "text/html", "value": body}],
    }
    if version is not None:
        doc["version"] = version
    if versioncreated is not None:
        doc["versioncreated"] = versioncreated
    doc.update(extra)
    return doc


def encode(doc: dict[str, Any], *, indent: int | None = None) -> bytes:
    return json.dumps(doc, ensure_ascii=False, indent=indent).encode("utf-8")
