"""The per-partner rate limit of the articles routes: the rule (the counter is :mod:`newsdesk.dal.ratelimit`).

A partner may make ``limit`` requests in each fixed window of ``window_seconds``; windows are aligned
to the epoch, so with the default minute every window starts at :00. The request that would go over
the limit is refused with 429 and ``Retry-After``: the whole seconds until the next window starts,
when the partner has its full allowance again. Refused requests do not count, so a partner that
waits as told is served, however hard it pushed before.

A fixed window, not a token bucket: one counter per partner and window is one conditional DynamoDB
update per request and nothing to read first. The price is the edge of a window, where a partner can
make up to twice its limit within a short span (the end of one window and the start of the next); API
Gateway's route throttles (template.yaml) bound the API as a whole regardless.

Per-partner overrides come from the setting ``PARTNER_RATE_LIMIT_OVERRIDES`` (``"dpa=1200,tt=0"``);
a limit of 0 means no limit, and then nothing is counted.
"""

from __future__ import annotations

import math
import re
from dataclasses import dataclass
from typing import Protocol

from newsdesk.errors import NewsdeskError

# A window's counter item lives this long after the window ends (DynamoDB's TTL deletes it some time
# later still); nothing reads it once its window has passed, the key names the window.
EXPIRY_GRACE_SECONDS = 60
_OVERRIDE = re.compile(r"([a-z0-9]+(?:-[a-z0-9]+)*)=([0-9]{1,9})")


class RateLimited(NewsdeskError):
    status, type_slug, title = 429, "rate-limited", "Too many requests"

    def __init__(self, detail: str, retry_after: int) -> None:
        super().__init__(detail)
        self.retry_after = retry_after


@dataclass(frozen=True, slots=True)
class RateWindow:
    """One fixed window: from ``start`` (epoch seconds) for ``seconds``."""

    start: int
    seconds: int

    @property
    def end(self) -> int:
        return self.start + self.seconds

    @property
    def expiration(self) -> int:
        """The TTL of the window's counter item (epoch seconds)."""
        return self.end + EXPIRY_GRACE_SECONDS

    def retry_after(self, now: float) -> int:
        """Whole seconds from ``now`` until the next window; at least 1 (HTTP's Retry-After is an integer)."""
        return max(1, math.ceil(self.end - now))


def window_at(now: float, seconds: int) -> RateWindow:
    """The window of length ``seconds`` that holds the moment ``now`` (epoch seconds)."""
    return RateWindow(start=int(now // seconds) * seconds, seconds=seconds)


def parse_overrides(text: str) -> dict[str, int]:
    """``"dpa=1200, regional-gazette=60"`` -> ``{"dpa": 1200, "regional-gazette": 60}``.

    A malformed value is a deployment mistake (the template's AllowedPattern refuses it too): ValueError.
    """
    overrides: dict[str, int] = {}
    for part in text.split(","):
        part = part.strip()
        if not part:
            continue
        match = _OVERRIDE.fullmatch(part)
        if match is None or match.group(1) in overrides:
            raise ValueError(f"PARTNER_RATE_LIMIT_OVERRIDES: {part!r} is not 'partner-id=limit' (or repeats one)")
        overrides[match.group(1)] = int(match.group(2))
    if text.strip() and not overrides:
        raise ValueError(f"PARTNER_RATE_LIMIT_OVERRIDES: {text!r} names no partner")
    return overrides


@dataclass(frozen=True, slots=True)
class RatePolicy:
    """How many requests each partner may make per window."""

    limit: int
    window_seconds: int = 60
    # (partner id, limit) pairs: a tuple keeps the policy hashable, so it can be cached per settings.
    overrides: tuple[tuple[str, int], ...] = ()

    def __post_init__(self) -> None:
        if self.window_seconds < 1:
            raise ValueError(f"a rate window is at least 1 second, not {self.window_seconds}")

    @classmethod
    def from_settings(cls, limit: int, window_seconds: int, overrides: str) -> RatePolicy:
        return cls(limit, window_seconds, tuple(sorted(parse_overrides(overrides).items())))

    def limit_for(self, partner_id: str) -> int:
        """The partner's limit per window; 0: no limit."""
        for partner, limit in self.overrides:
            if partner == partner_id:
                return limit
        return self.limit


class RateCounter(Protocol):
    def take(self, partner_id: str, window: RateWindow, limit: int) -> bool:
        """Count one request of the partner in the window; False (and nothing counted) when the window
        already holds ``limit``."""
        ...


def admit(counter: RateCounter, policy: RatePolicy, partner_id: str, now: float) -> None:
    """Let one request of the partner through, or raise RateLimited with the seconds to wait."""
    limit = policy.limit_for(partner_id)
    if limit <= 0:
        return
    window = window_at(now, policy.window_seconds)
    if not counter.take(partner_id, window, limit):
        raise RateLimited(
            f"This key's partner made {limit} requests per {policy.window_seconds} seconds already; "
            f"retry after {window.retry_after(now)} seconds.",
            retry_after=window.retry_after(now),
        )
