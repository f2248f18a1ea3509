"""Which site section an article belongs to, from the section map in config/sections.json."""

from __future__ import annotations

import json
from dataclasses import dataclass
from functools import cache
from importlib import resources


@dataclass(frozen=True, slots=True)
class SectionMap:
    default_section: str
    sections: dict[str, str]  # slug -> title shown on the site
    hints: dict[str, str]  # lower-cased subject/genre uri or name -> section slug


@cache
def section_map() -> SectionMap:
    text = resources.files("newsdesk").joinpath("config/sections.json").read_text(encoding="utf-8")
    values = json.loads(text)
    return SectionMap(
        default_section=str(values["default_section"]),
        sections=dict(values["sections"]),
        hints=dict(values["hints"]),
    )


def section_for(hints: list[str], partner_section: str = "") -> str:
    """The first hint the map knows wins; else the partner's default section; else the site default."""
    mapping = section_map()
    for hint in hints:
        slug = mapping.hints.get(hint.lower())
        if slug:
            return slug
    if partner_section in mapping.sections:
        return partner_section
    return mapping.default_section
