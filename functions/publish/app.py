"""Entry point of the publish function: the table's stream and the timer (embargoes, expiry).

Event shapes (anything else is logged and ignored):

- DynamoDB stream batch ``{"Records": [{"eventSource": "aws:dynamodb", "dynamodb": {...}}]}``:
  each CURRENT article record publishes its article file on its own (a poisoned record is
  reported in ``batchItemFailures`` and the rest succeed); then the lists the batch's good
  records touch and the manifest are written once. Other items are skipped; the TRENDING item
  goes to :func:`handle_trending_change`.
- EventBridge schedule ``{"source": "aws.events", "detail-type": "Scheduled Event", "time": ...}``:
  retracts the articles whose ``expires`` time has passed, then releases the embargoes due at the
  event's time (the stream then publishes those changes), then writes the counts files of the
  articles whose views or comments changed (:mod:`publish.counts`).
"""

from __future__ import annotations

from dataclasses import asdict
from datetime import UTC, datetime
from functools import cache
from typing import Any

from aws_lambda_powertools.metrics import MetricUnit
from aws_lambda_powertools.utilities.batch import BatchProcessor, EventType, process_partial_response
from aws_lambda_powertools.utilities.data_classes.dynamo_db_stream_event import DynamoDBRecord
from aws_lambda_powertools.utilities.typing import LambdaContext

from newsdesk.dal.engagement import stored_trending
from newsdesk.dal.keys import ARTICLE_PREFIX, CURRENT, PK, SK, TRENDING_PK
from newsdesk.observability import lambda_entry, logger, metrics
from newsdesk.settings import get_settings
from publish.changes import ArticleChange
from publish.counts import counts_store, follow_publication, publish_changed_counts
from publish.publisher import Publisher
from publish.timer import release_due_embargoes, take_down_expired

# Every record failed is a partial response like any other (Lambda resumes from the first), not
# an error: the records after a failed one are reported, not tried (handle_stream_batch).
processor = BatchProcessor(event_type=EventType.DynamoDBStreams, raise_on_entire_batch_failure=False)


@cache
def publisher() -> Publisher:
    return Publisher.from_settings(get_settings())


def is_stream_batch(event: dict[str, Any]) -> bool:
    records = event.get("Records")
    return (
        isinstance(records, list)
        and bool(records)
        and all(isinstance(record, dict) and record.get("eventSource") == "aws:dynamodb" for record in records)
    )


def is_scheduled_event(event: dict[str, Any]) -> bool:
    return event.get("source") == "aws.events" and event.get("detail-type") == "Scheduled Event"


def handle_trending_change(record: DynamoDBRecord) -> None:
    """The trending function stored new rankings: render v1/trending.json and v1/counters.json."""
    stored = stored_trending(record.dynamodb.new_image if record.dynamodb else {})
    if stored is None:
        # Removed, or written before the item held the files: the last published rankings stay
        # until the next trending run writes the item again.
        return
    publisher().publish_trending(stored.rankings())
    logger.info("trending published", extra={"generated_at": stored.generated_at})


class EarlierRecordFailed(Exception):
    """A record after a failed one is not published: the stream delivers it again, after that one."""


def handle_stream_batch(event: dict[str, Any], context: LambdaContext) -> dict[str, Any]:
    changes: list[ArticleChange] = []
    failed: list[str] = []

    def handle_record(record: DynamoDBRecord) -> None:
        # The stream is ordered, and Lambda resumes from the first failed record: publishing the
        # records after it now would publish states ahead of one that is not (lists and rankings of
        # a partial batch); they are published when the batch is delivered again from that record.
        if failed:
            raise EarlierRecordFailed(failed[0])
        try:
            handle_one(record)
        except Exception:
            failed.append(str(record.dynamodb.sequence_number if record.dynamodb else ""))
            raise

    def handle_one(record: DynamoDBRecord) -> None:
        stream = record.dynamodb
        keys = stream.keys if stream else {}
        pk, sk = str(keys.get(PK, "")), str(keys.get(SK, ""))
        if pk.startswith(ARTICLE_PREFIX) and sk == CURRENT and stream is not None:
            change = ArticleChange.from_images(stream.old_image or None, stream.new_image or None)
            publisher().publish_article(change)
            changes.append(change)
        elif pk == TRENDING_PK:
            handle_trending_change(record)
        # Anything else (revision history, snapshot hash records, partners) is not published.

    response = process_partial_response(event=event, record_handler=handle_record, processor=processor, context=context)
    failures = len(response.get("batchItemFailures", []))
    # Lists once per batch; a failure here fails the whole batch, which the stream then retries.
    lists = publisher().publish_lists(changes)
    # Retracted, withheld or expired stories leave trending.json and counters.json in this same run.
    publisher().withdraw_from_rankings(changes)
    # ... and lose their counts files; a story published again gets its file back (publish/counts.py).
    follow_publication(counts_store(get_settings()), changes, datetime.now(UTC))
    logger.info("stream batch published", extra={"articles": len(changes), "lists": lists, "failed": failures})
    metrics.add_metric(name="ArticlesPublished", unit=MetricUnit.Count, value=len(changes))
    if failures:
        metrics.add_metric(name="StreamRecordsFailed", unit=MetricUnit.Count, value=failures)
    return dict(response)


def handle_schedule(event: dict[str, Any]) -> dict[str, Any]:
    now = _event_time(event)
    # Expiry first: a story whose rights ended while it waited for its embargo is never released.
    articles = publisher().articles
    expired = take_down_expired(articles, now)
    released = release_due_embargoes(articles, now)
    counts = publish_changed_counts(counts_store(get_settings()), articles)
    logger.info("timer ran", extra={"released": released, "expired": expired, "now": now.isoformat()})
    logger.info("counts files", extra=asdict(counts))
    metrics.add_metric(name="EmbargoesReleased", unit=MetricUnit.Count, value=released)
    metrics.add_metric(name="ExpiredRetracted", unit=MetricUnit.Count, value=expired)
    return {"released": released, "expired": expired}


def _event_time(event: dict[str, Any]) -> datetime:
    """The scheduled time of the event: never later than now, so nothing is released early."""
    try:
        moment = datetime.fromisoformat(str(event["time"]).replace("Z", "+00:00"))
    except (KeyError, ValueError):
        return datetime.now(UTC)
    return moment if moment.tzinfo else moment.replace(tzinfo=UTC)


@lambda_entry()
def handler(event: dict[str, Any], context: LambdaContext) -> dict[str, Any]:
    if is_stream_batch(event):
        return handle_stream_batch(event, context)
    if is_scheduled_event(event):
        return handle_schedule(event)
    logger.warning("event ignored: neither a table stream batch nor the embargo timer", extra={"keys": sorted(event)})
    return {"ignored": True}
