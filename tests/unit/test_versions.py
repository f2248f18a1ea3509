"""Ordering an incoming version of a story against the stored one."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta, timezone

import pytest

from newsdesk.versions import VersionOrder, compare_versions

pytestmark = pytest.mark.unit

EARLY = datetime(2026, 11, 25, 8, 0, tzinfo=UTC)
LATE = datetime(2026, 11, 25, 9, 30, tzinfo=UTC)
NEWER, EQUAL, OLDER, UNKNOWN = VersionOrder.NEWER, VersionOrder.EQUAL, VersionOrder.OLDER, VersionOrder.UNKNOWN


@pytest.mark.parametrize(
    ("incoming_version", "incoming_created", "stored_version", "stored_created", "expected"),
    [
        pytest.param("3", None, "2", None, NEWER, id="higher-number"),
        pytest.param("2", None, "3", None, OLDER, id="lower-number"),
        pytest.param("10", None, "9", None, NEWER, id="numbers-not-strings"),
        pytest.param("03", None, "3", None, EQUAL, id="leading-zero-same-number"),
        pytest.param("3", EARLY, "2", LATE, NEWER, id="number-decides-before-time"),
        pytest.param("2", LATE, "3", EARLY, OLDER, id="number-decides-before-time-older"),
        pytest.param("3", LATE, "3", EARLY, NEWER, id="same-number-later-time"),
        pytest.param("3", EARLY, "3", LATE, OLDER, id="same-number-earlier-time"),
        pytest.param("3", LATE, "3", LATE, EQUAL, id="same-number-same-time"),
        pytest.param("3", None, "3", LATE, EQUAL, id="same-number-time-one-side"),
        pytest.param(None, LATE, None, EARLY, NEWER, id="time-only-newer"),
        pytest.param(None, EARLY, None, LATE, OLDER, id="time-only-older"),
        pytest.param(None, LATE, None, LATE, EQUAL, id="time-only-equal"),
        pytest.param("3", None, None, LATE, UNKNOWN, id="nothing-on-both-sides"),
        pytest.param(None, None, None, None, UNKNOWN, id="nothing-at-all"),
        pytest.param("", None, "", None, UNKNOWN, id="empty-versions-are-absent"),
        pytest.param("v2", None, "v2", None, EQUAL, id="same-label"),
        pytest.param("v3", None, "v2", None, UNKNOWN, id="different-labels-nothing-else"),
        pytest.param("v3", LATE, "v2", EARLY, NEWER, id="different-labels-time-decides"),
        pytest.param("b", EARLY, "a", LATE, OLDER, id="different-labels-time-decides-older"),
        pytest.param("v3", LATE, "v2", LATE, UNKNOWN, id="different-labels-same-time"),
        pytest.param("v2", LATE, "v2", EARLY, NEWER, id="same-label-later-time"),
        pytest.param("3", LATE, "v3", EARLY, NEWER, id="numeric-against-label-uses-time"),
        pytest.param("３", None, "2", None, UNKNOWN, id="fullwidth-digit-is-a-label"),
        pytest.param(" 4 ", None, "3", None, NEWER, id="surrounding-space-ignored"),
    ],
)
def test_compare_versions(
    incoming_version: str | None,
    incoming_created: datetime | None,
    stored_version: str | None,
    stored_created: datetime | None,
    expected: VersionOrder,
) -> None:
    # When
    order = compare_versions(incoming_version, incoming_created, stored_version, stored_created)

    # Then
    assert order is expected


def test_the_same_instant_in_different_offsets_is_equal() -> None:
    # Given
    moscow = LATE.astimezone(timezone(timedelta(hours=3)))

    # When
    order = compare_versions(None, moscow, None, LATE)

    # Then
    assert order is EQUAL


def test_naive_times_are_taken_as_utc() -> None:
    # Given
    naive_later = datetime(2026, 11, 25, 9, 31)

    # When
    order = compare_versions(None, naive_later, None, LATE)

    # Then
    assert order is NEWER


def test_order_values_are_stable_strings() -> None:
    # Then: these strings may end up in logs and metrics dimensions
    assert [order.value for order in VersionOrder] == ["newer", "equal", "older", "unknown"]
