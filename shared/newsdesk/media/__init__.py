"""Partners' pictures made ours: fetched safely (``fetch``), turned into web renditions (``renditions``).

Both modules are pure (no AWS); the media function stores and publishes what they return.
"""

from __future__ import annotations


class MediaRefused(Exception):
    """A picture we will not fetch or render. ``reason`` is one short machine word for logs and
    the snapshot's "failed" status (e.g. ``address``, ``too_large``, ``not_image``, ``pixels``,
    ``corrupt``); ``message`` says what exactly, for people."""

    def __init__(self, reason: str, message: str = "") -> None:
        super().__init__(f"{reason}: {message}" if message else reason)
        self.reason = reason
        self.message = message
