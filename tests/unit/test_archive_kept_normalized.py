"""A warm function keeps the normalized articles it read (newsdesk.dal.archive): publish and media read a
story's twice in a row (its first state, then again once media recorded its pictures), one GET each."""

from __future__ import annotations

import io
import json
from typing import Any

from newsdesk.dal import archive as archive_module
from newsdesk.dal.archive import Archive


class CountingS3:
    def __init__(self) -> None:
        self.gets: list[str] = []

    def get_object(self, *, Bucket: str, Key: str) -> dict[str, Any]:
        self.gets.append(Key)
        return {"Body": io.BytesIO(json.dumps({"key": Key, "headline": "Заголовок"}).encode())}


def test_a_normalized_article_read_twice_is_fetched_once_and_each_reader_gets_its_own_copy() -> None:
    s3 = CountingS3()
    archive = Archive("archive", client=s3)  # type: ignore[arg-type]
    first = archive.get_normalized("normalized/p/a/00000001-abc.json")
    first["headline"] = "changed by a reader"
    second = archive.get_normalized("normalized/p/a/00000001-abc.json")
    assert s3.gets == ["normalized/p/a/00000001-abc.json"]
    assert second == {"key": "normalized/p/a/00000001-abc.json", "headline": "Заголовок"}


def test_only_the_most_recently_read_articles_are_kept(monkeypatch: Any) -> None:
    monkeypatch.setattr(archive_module, "KEPT_NORMALIZED", 2)
    s3 = CountingS3()
    archive = Archive("archive", client=s3)  # type: ignore[arg-type]
    for key in ("a", "b", "a", "c", "b", "a"):
        archive.get_normalized(key)
    # a, b fetched; a kept; c pushes out b; b fetched again (pushes out a); a fetched again
    assert s3.gets == ["a", "b", "c", "b", "a"]
