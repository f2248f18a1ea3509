"""The per-partner rate limit, applied to the articles routes once the partner is known.

The rule is newsdesk.ratelimit, the counter newsdesk.dal.ratelimit; this module wires them to the
function's settings and decides what a failing counter means: the request goes through. The limit
protects capacity (API Gateway's throttles still bound the API), and refusing good requests because
the counter could not be written would turn a DynamoDB hiccup into an outage for partners.
"""

from __future__ import annotations

import time
from functools import cache

from aws_lambda_powertools.metrics import MetricUnit
from botocore.exceptions import BotoCoreError, ClientError

from newsdesk.dal.ratelimit import RateLimitStore
from newsdesk.observability import logger, metrics
from newsdesk.ratelimit import RateLimited, RatePolicy, admit
from newsdesk.settings import Settings, get_settings


def now() -> float:
    """The clock of the limit (epoch seconds); tests replace it."""
    return time.time()


@cache
def _policy(settings: Settings) -> RatePolicy:
    # Keyed by the (frozen) settings, so a process whose settings are re-read gets the new policy.
    return RatePolicy.from_settings(
        settings.partner_rate_limit, settings.partner_rate_window_seconds, settings.partner_rate_limit_overrides
    )


def enforce_partner_rate(partner_id: str) -> None:
    """Count this request of the partner; raise RateLimited (429) when it is over its limit."""
    settings = get_settings()
    try:
        admit(RateLimitStore(settings.table_name), _policy(settings), partner_id, now())
    except RateLimited:
        metrics.add_metric(name="PartnerRequestsThrottled", unit=MetricUnit.Count, value=1)
        raise
    except (ClientError, BotoCoreError):
        logger.warning("rate limit counter unavailable; request let through", exc_info=True)
        metrics.add_metric(name="RateLimitCounterFailures", unit=MetricUnit.Count, value=1)
