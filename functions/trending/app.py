"""Entry point of the trending function: an EventBridge schedule (or a direct invoke) runs it.

The run's time is the scheduled event's ``time`` when there is one, so that a delayed or retried
invocation ranks as of the moment it was meant for; otherwise it is now.
"""

from __future__ import annotations

from dataclasses import asdict
from datetime import UTC, datetime
from typing import Any

from aws_lambda_powertools.metrics import MetricUnit
from aws_lambda_powertools.utilities.typing import LambdaContext

from newsdesk.observability import lambda_entry, logger, metrics
from trending.service import run_trending


def run_time(event: dict[str, Any]) -> datetime:
    scheduled = event.get("time") if isinstance(event, dict) else None
    if isinstance(scheduled, str):
        try:
            moment = datetime.fromisoformat(scheduled.replace("Z", "+00:00"))
        except ValueError:
            logger.warning("unreadable event time; ranking as of now", extra={"time": scheduled})
        else:
            return moment if moment.tzinfo else moment.replace(tzinfo=UTC)
    return datetime.now(UTC)


@lambda_entry()
def handler(event: dict[str, Any], context: LambdaContext) -> dict[str, Any]:
    report = run_trending(run_time(event))
    logger.info("trending run", extra=asdict(report))
    metrics.add_metric(name="TrendingCandidates", unit=MetricUnit.Count, value=report.candidates)
    metrics.add_metric(name="TrendingWritten", unit=MetricUnit.Count, value=int(report.written))
    return asdict(report)
