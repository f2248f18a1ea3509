"""The per-partner rate limit of the articles routes: fixed windows, Retry-After, overrides."""

from __future__ import annotations

import pytest

from newsdesk.ratelimit import (
    RateLimited,
    RatePolicy,
    RateWindow,
    admit,
    parse_overrides,
    window_at,
)

pytestmark = pytest.mark.unit

# 2026-11-25T08:00:00Z, a window start for any window length that divides a day.
EIGHT = 1_795_593_600.0


class FakeCounter:
    """The store's rule in memory: count a request unless the window already holds ``limit``."""

    def __init__(self) -> None:
        self.counts: dict[tuple[str, int], int] = {}
        self.calls = 0

    def take(self, partner_id: str, window: RateWindow, limit: int) -> bool:
        self.calls += 1
        count = self.counts.get((partner_id, window.start), 0)
        if count >= limit:
            return False
        self.counts[(partner_id, window.start)] = count + 1
        return True


def test_windows_are_aligned_and_retry_after_counts_whole_seconds_to_the_next() -> None:
    # Given a request 17.2 seconds into a minute
    window = window_at(EIGHT + 17.2, 60)

    # Then its window is that minute, and a refused request may come back 43 seconds later
    assert (window.start, window.end) == (int(EIGHT), int(EIGHT) + 60)
    assert window.retry_after(EIGHT + 17.2) == 43
    # At the very start the whole window is ahead; just before the end, at least one second
    assert window_at(EIGHT, 60).retry_after(EIGHT) == 60
    assert window.retry_after(EIGHT + 59.7) == 1
    # The item outlives its window (TTL is lazy; the key names the window anyway)
    assert window.expiration > window.end


def test_a_partner_over_its_limit_is_refused_until_the_next_window_and_others_are_not() -> None:
    # Given a limit of 3 requests a minute
    counter, policy = FakeCounter(), RatePolicy(limit=3, window_seconds=60)
    now = EIGHT + 10.5

    # When partner A makes 3 requests, then a fourth
    for _ in range(3):
        admit(counter, policy, "partner-a", now)
    with pytest.raises(RateLimited) as refused:
        admit(counter, policy, "partner-a", now)

    # Then the fourth is a 429 that says when to come back
    assert refused.value.status == 429
    assert refused.value.type_slug == "rate-limited"
    assert refused.value.retry_after == 50
    assert "3 requests per 60 seconds" in refused.value.detail

    # And partner B, at the same moment, is not affected
    admit(counter, policy, "partner-b", now)

    # And partner A is admitted again in the next window
    admit(counter, policy, "partner-a", EIGHT + 60)


def test_overrides_replace_the_limit_for_one_partner_and_zero_means_no_limit() -> None:
    # Given a default of 1 a minute, 2 for "dpa", no limit at all for "tt"
    counter = FakeCounter()
    policy = RatePolicy.from_settings(1, 60, "dpa=2,tt=0")

    # Then "dpa" gets two, "tt" any number without a counter write, the others one
    assert [policy.limit_for(partner) for partner in ("dpa", "tt", "ntb")] == [2, 0, 1]
    admit(counter, policy, "dpa", EIGHT)
    admit(counter, policy, "dpa", EIGHT)
    with pytest.raises(RateLimited):
        admit(counter, policy, "dpa", EIGHT)
    calls = counter.calls
    for _ in range(5):
        admit(counter, policy, "tt", EIGHT)
    assert counter.calls == calls


def test_a_policy_without_a_limit_admits_everything_without_counting() -> None:
    counter = FakeCounter()
    for _ in range(10):
        admit(counter, RatePolicy(limit=0, window_seconds=60), "partner-a", EIGHT)
    assert counter.calls == 0


@pytest.mark.parametrize(
    ("text", "expected"),
    [
        pytest.param("", {}, id="empty"),
        pytest.param("dpa=1200", {"dpa": 1200}, id="one"),
        pytest.param(" dpa=1200 , regional-gazette=60 ", {"dpa": 1200, "regional-gazette": 60}, id="spaces"),
    ],
)
def test_overrides_are_read_from_the_setting(text: str, expected: dict[str, int]) -> None:
    assert parse_overrides(text) == expected


@pytest.mark.parametrize("text", ["dpa", "dpa=", "dpa=-1", "=5", "dpa=1x", "DPA=5", "dpa=1,dpa=2"])
def test_malformed_overrides_are_a_deployment_mistake(text: str) -> None:
    with pytest.raises(ValueError, match="PARTNER_RATE_LIMIT_OVERRIDES"):
        parse_overrides(text)


def test_a_window_length_below_one_second_is_refused() -> None:
    with pytest.raises(ValueError):
        RatePolicy(limit=1, window_seconds=0)
