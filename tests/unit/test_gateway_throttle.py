"""The local gateway's route throttle: API Gateway's token bucket, driven by a fake clock."""

from __future__ import annotations

import pytest

from newsdesk_ops.gateway import TokenBucket
from newsdesk_ops.template import Throttle

pytestmark = pytest.mark.unit


def test_a_bucket_serves_its_burst_then_its_rate() -> None:
    # Given a route of 2 requests a second with a burst of 3, and a clock the test moves
    moment = [100.0]
    bucket = TokenBucket(Throttle(rate=2.0, burst=3), clock=lambda: moment[0])

    # Then 3 requests at once pass and the 4th is throttled
    assert [bucket.take() for _ in range(4)] == [True, True, True, False]

    # And half a second later one more passes (2 a second), then none
    moment[0] += 0.5
    assert [bucket.take(), bucket.take()] == [True, False]

    # And an idle minute refills the bucket to its burst, not beyond
    moment[0] += 60
    assert [bucket.take() for _ in range(4)] == [True, True, True, False]
