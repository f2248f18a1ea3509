"""``v1/sections.json``: every section the site shows, with its titles and the path of its list.

The frontend builds its section navigation from this file alone. Every section listed here has a
list file from the first publish on (empty until a story enters it), so a link built from ``path``
never meets a 404.

Titles: ``config/sections.json`` holds one title per section, the Russian one the site shows. The
file publishes titles per language (``{"ru": "ОПК"}``) and says which languages it carries, so that a
second language can be added to the config later without changing the file's shape.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Literal

from newsdesk.sections import SectionMap
from newsdesk.snapshots.limits import SECTION_TITLE_CHARS, clip
from newsdesk.snapshots.models import SnapshotModel, described
from newsdesk.snapshots.paths import section_path

# The language of the titles in config/sections.json: the site's own.
TITLE_LANGUAGE = "ru"


@dataclass(frozen=True, kw_only=True)
class SectionEntry(SnapshotModel):
    slug: str
    titles: dict[str, str] = field(
        metadata=described("The section's title per language the site shows (language tag -> plain-text title)")
    )
    path: str = field(metadata=described("The section's list, newest first: v1/sections/{slug}.json"))


@dataclass(frozen=True, kw_only=True)
class SectionsSnapshot(SnapshotModel):
    """``v1/sections.json``: every section, in the order the site shows them."""

    schema_version: Literal["v1"] = "v1"
    kind: Literal["sections"] = "sections"
    languages: list[str] = field(metadata=described("The languages every entry's titles are given in"))
    sections: list[SectionEntry]


def sections_snapshot(mapping: SectionMap) -> SectionsSnapshot:
    """The index of the configured sections, in the config's order (the site's navigation order)."""
    return SectionsSnapshot(
        languages=[TITLE_LANGUAGE],
        sections=[
            SectionEntry(
                slug=slug,
                titles={TITLE_LANGUAGE: clip(title, SECTION_TITLE_CHARS)},
                path=section_path(slug),
            )
            for slug, title in mapping.sections.items()
        ],
    )
