"""The hash records of published snapshots: what one says about a file, and where it is kept.

Design and the store that reads and writes them: :mod:`newsdesk.dal.snapshots`. Article files' records
sit on the article's partition (``SNAPSHOT``), day pages' in a partition per list (``PAGES#...``), every
other file's in the shared ``SNAPSHOTS`` partition.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime
from typing import Any

from newsdesk.dal.items import from_item
from newsdesk.dal.keys import ARTICLE_FILE_SK, SHARED_FILES_PK, article_pk, day_pages_pk
from newsdesk.snapshots import PREFIX
from newsdesk.snapshots.paths import day_pages_folder

_ARTICLE_FILE = f"{PREFIX}articles/"


@dataclass(frozen=True)
class PublishedFile:
    """What the hash record (or the object's own metadata) says about a file in the bucket.

    ``etag`` is empty for a record written before writes were conditional: the writer then asks
    the bucket first. ``generation`` counts the PUTs of the file; ``state_order`` (article files)
    is :func:`publish.changes.state_order` of the state rendered.
    """

    path: str
    sha256: str
    generated_at: datetime | None = None
    source: str = ""
    etag: str = ""
    generation: int = 0
    state_order: int | None = None
    # False while a writer may have PUT since the record was written (it marks the record before
    # its PUT and rewrites it after): the hash then says nothing about the bucket.
    confirmed: bool = True


def record_key(path: str) -> dict[str, Any]:
    if path.startswith(_ARTICLE_FILE):
        article_id = path.removeprefix(_ARTICLE_FILE).removesuffix(".json")
        return {"PK": {"S": article_pk(article_id)}, "SK": {"S": ARTICLE_FILE_SK}}
    if (folder := day_pages_folder(path)) is not None:
        return {"PK": {"S": day_pages_pk(folder)}, "SK": {"S": path}}
    return {"PK": {"S": SHARED_FILES_PK}, "SK": {"S": path}}


def time_of(text: Any) -> datetime | None:
    return datetime.fromisoformat(text) if isinstance(text, str) and text else None


def int_of(value: Any) -> int | None:
    try:
        return int(value) if value is not None and value != "" else None
    except (TypeError, ValueError):
        return None


def published_file_of(item: dict[str, Any]) -> PublishedFile:
    values = from_item(item)
    return PublishedFile(
        path=values.get("path") or values["SK"],
        sha256=values["sha256"],
        generated_at=time_of(values.get("generated_at")),
        source=values.get("source") or "",
        etag=values.get("etag") or "",
        generation=int_of(values.get("generation")) or 0,
        state_order=int_of(values.get("state_order")),
        confirmed=not values.get("pending"),
    )
