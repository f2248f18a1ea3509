"""Cutting text to a length, the one way ingest (leads) and publish (snapshot fields) both do it."""

from __future__ import annotations


def clip(text: str, limit: int) -> str:
    """At most ``limit`` characters: cut at a word boundary with an ellipsis when it had to be cut."""
    if len(text) <= limit:
        return text
    cut = text[: limit - 1]
    boundary = cut.rfind(" ")
    if boundary >= limit // 2:
        cut = cut[:boundary]
    return cut.rstrip(" ,;:-–—") + "…"
