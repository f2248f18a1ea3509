"""Ordering two versions of the same story, as partners label them (ninjs ``version`` and
``versioncreated``), to tell an update from a replay or a late, older copy."""

from __future__ import annotations

import re
from datetime import UTC, datetime
from enum import StrEnum

_NUMERIC_VERSION = re.compile(r"[0-9]+")


class VersionOrder(StrEnum):
    """How the incoming document relates to the stored one."""

    NEWER = "newer"
    EQUAL = "equal"
    OLDER = "older"
    UNKNOWN = "unknown"


def compare_versions(
    incoming_version: str | None,
    incoming_created: datetime | None,
    stored_version: str | None,
    stored_created: datetime | None,
) -> VersionOrder:
    """Compare by ``version`` when both are numbers, then by ``versioncreated``.

    EQUAL means every part present on both sides was equal; UNKNOWN means nothing comparable was
    present on both sides, or the only evidence was two different non-numeric version labels
    (different labels are not the same version, but neither is known to be the later one).
    """
    incoming_label, stored_label = _label(incoming_version), _label(stored_version)
    labels_differ = False
    equal_parts = 0
    if incoming_label is not None and stored_label is not None:
        if _NUMERIC_VERSION.fullmatch(incoming_label) and _NUMERIC_VERSION.fullmatch(stored_label):
            incoming_number, stored_number = int(incoming_label), int(stored_label)
            if incoming_number != stored_number:
                return VersionOrder.NEWER if incoming_number > stored_number else VersionOrder.OLDER
            equal_parts += 1
        elif incoming_label == stored_label:
            equal_parts += 1
        else:
            labels_differ = True
    if incoming_created is not None and stored_created is not None:
        incoming_instant, stored_instant = _aware(incoming_created), _aware(stored_created)
        if incoming_instant != stored_instant:
            return VersionOrder.NEWER if incoming_instant > stored_instant else VersionOrder.OLDER
        equal_parts += 1
    if equal_parts and not labels_differ:
        return VersionOrder.EQUAL
    return VersionOrder.UNKNOWN


def _label(version: str | None) -> str | None:
    if version is None:
        return None
    return version.strip() or None


def _aware(moment: datetime) -> datetime:
    # ninjs times without an offset are taken as UTC, as everywhere else in Newsdesk.
    return moment if moment.tzinfo is not None else moment.replace(tzinfo=UTC)
