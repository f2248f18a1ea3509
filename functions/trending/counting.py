"""Entry point of the view counter function: new dedupe records on the table's stream become views.

``POST /v1/events`` writes one dedupe record (``SEEN#{article}#{hour}``) per new visit and nothing
else for views. Each insert of such a record reaches this function through the table's stream
(template.yaml: ViewCounterFunction, filtered to inserts of ``SEEN#`` items, up to 1,000 records
per batch, gathered over a batching window). A batch becomes ONE counter update (``ADD views``) per
distinct (article, hour), however many requests its visits came in: writes grow with the articles
read in a batching window, not with the views (docs/engagement.md, "Counting views from the stream").

- Only inserts count. A dedupe record's TTL deletion (REMOVE) and a rewrite of an existing record
  (MODIFY: two requests racing for the same visit) are skipped here too, not only by the filter.
- A record that is not a dedupe record, or one that cannot be read, is skipped (counted in the log
  line and the ViewRecordsSkipped metric): no retry would make it countable.
- Partial batch response: updates are applied in stream order of their first record; when one
  fails, the rest are not tried, and the records of every update not applied are reported in
  ``batchItemFailures``, so Lambda resumes from the earliest of them. Records after that point whose
  update had been applied are delivered again, and are not counted again: each counter item keeps
  the highest stream sequence number it counted and adds only records past it
  (``CounterStore.add_views``). Views are lost only when a batch still fails after the template's
  retries (its position then goes to the view counter's dead-letter queue).

Powertools' BatchProcessor handles records one by one; counting adds records up before writing,
so the partial response is built here.
"""

from __future__ import annotations

from collections.abc import Iterable, Sequence
from dataclasses import asdict, dataclass
from typing import Any, Protocol

from aws_lambda_powertools.metrics import MetricUnit
from aws_lambda_powertools.utilities.data_classes.dynamo_db_stream_event import (
    DynamoDBRecord,
    DynamoDBRecordEventName,
    DynamoDBStreamEvent,
)
from aws_lambda_powertools.utilities.typing import LambdaContext

from newsdesk.dal.engagement import CounterStore
from newsdesk.dal.keys import PK, article_and_hour_of_seen_pk
from newsdesk.engagement import NewVisit, ViewIncrement, counter_updates
from newsdesk.observability import lambda_entry, logger, metrics
from newsdesk.settings import get_settings


class ViewCounterWriter(Protocol):
    def add_views(self, increments: Sequence[ViewIncrement]) -> None: ...


@dataclass(frozen=True)
class CountingReport:
    """What one stream batch did: views counted, counter updates written, records skipped or failed."""

    records: int
    views: int
    counter_updates: int
    skipped: int
    failed_records: int


def new_visit_of(record: DynamoDBRecord) -> NewVisit | None:
    """The new visit a stream record reports, or None when it is not the insert of a dedupe record.

    Article, hour and section come from the record's new image; the article and hour can also be
    read from the partition key, which every stream record carries.
    """
    try:
        change = record.dynamodb
        if record.event_name is not DynamoDBRecordEventName.INSERT or change is None:
            return None
        pk = str((change.keys or {}).get(PK, ""))
        image = change.new_image or {}
    except (KeyError, TypeError, ValueError, AttributeError):
        return None  # an image that is not DynamoDB JSON: no retry would make it countable
    from_key = article_and_hour_of_seen_pk(pk)
    sequence_number = str(change.sequence_number or "")
    if from_key is None or not sequence_number.isdigit():
        return None
    article_id, hour = from_key
    return NewVisit(
        article_id=str(image.get("article_id", article_id)),
        hour=str(image.get("hour", hour)),
        section=str(image.get("section", "")),
        sequence_number=sequence_number,
    )


def count_views(records: Iterable[DynamoDBRecord], counters: ViewCounterWriter) -> tuple[CountingReport, list[str]]:
    """Count one stream batch; returns the report and the sequence numbers to report as failed."""
    records = list(records)
    visits = [visit for visit in map(new_visit_of, records) if visit is not None]
    updates = counter_updates(visits)
    applied = 0
    failed: list[str] = []
    for index, update in enumerate(updates):
        try:
            counters.add_views([update.increment])
        except Exception:
            logger.exception(
                "counter update failed; the batch resumes from its records",
                extra={"article_id": update.increment.article_id, "hour": update.increment.hour},
            )
            failed = sorted((number for pending in updates[index:] for number in pending.sequence_numbers), key=int)
            break
        applied += 1
    report = CountingReport(
        records=len(records),
        views=sum(update.increment.views for update in updates[:applied]),
        counter_updates=applied,
        skipped=len(records) - len(visits),
        failed_records=len(failed),
    )
    return report, failed


@lambda_entry()
def handler(event: dict[str, Any], context: LambdaContext) -> dict[str, Any]:
    records = event.get("Records") if isinstance(event, dict) else None
    if not isinstance(records, list):
        logger.warning("event ignored: not a table stream batch", extra={"keys": sorted(event or {})})
        return {"batchItemFailures": []}
    # The store is cheap to make: the DynamoDB client behind it is cached per process.
    stream = DynamoDBStreamEvent(event)
    report, failed = count_views(stream.records, CounterStore(get_settings().table_name))
    logger.info("views counted", extra=asdict(report))
    metrics.add_metric(name="ViewsCounted", unit=MetricUnit.Count, value=report.views)
    metrics.add_metric(name="ViewCounterUpdates", unit=MetricUnit.Count, value=report.counter_updates)
    if report.skipped:
        metrics.add_metric(name="ViewRecordsSkipped", unit=MetricUnit.Count, value=report.skipped)
    if failed:
        metrics.add_metric(name="ViewRecordsFailed", unit=MetricUnit.Count, value=len(failed))
    return {"batchItemFailures": [{"itemIdentifier": number} for number in failed]}
