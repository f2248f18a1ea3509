"""Entry point of the media function: the table's stream, filtered to articles' CURRENT items.

Each record names an article; :class:`media.service.MediaService` brings its pictures in line with
the article's current state (copies them while it is published, takes them down otherwise). A record
that fails (an AWS error; a refused picture is not a failure) is reported in ``batchItemFailures``,
and so is every record after it: Lambda delivers the batch again from that record, in order.
"""

from __future__ import annotations

from functools import cache
from typing import Any

from aws_lambda_powertools.metrics import MetricUnit
from aws_lambda_powertools.utilities.batch import BatchProcessor, EventType, process_partial_response
from aws_lambda_powertools.utilities.data_classes.dynamo_db_stream_event import DynamoDBRecord
from aws_lambda_powertools.utilities.typing import LambdaContext

from media.service import MediaReport, MediaService
from newsdesk.dal.keys import CURRENT, PK, SK, article_id_of
from newsdesk.observability import lambda_entry, logger, metrics
from newsdesk.settings import get_settings

processor = BatchProcessor(event_type=EventType.DynamoDBStreams, raise_on_entire_batch_failure=False)


@cache
def media_service() -> MediaService:
    return MediaService.from_settings(get_settings())


class EarlierRecordFailed(Exception):
    """A record after a failed one is not handled now: the stream delivers it again, after that one."""


def handle_stream_batch(event: dict[str, Any], context: LambdaContext) -> dict[str, Any]:
    reports: list[MediaReport] = []
    failed: list[str] = []

    def handle_record(record: DynamoDBRecord) -> None:
        if failed:
            raise EarlierRecordFailed(failed[0])
        stream = record.dynamodb
        keys = stream.keys if stream else {}
        article_id = article_id_of(str(keys.get(PK, "")))
        if article_id is None or str(keys.get(SK, "")) != CURRENT:
            return  # the filter lets nothing else through; the code checks again
        try:
            reports.append(media_service().handle(article_id))
        except Exception:
            failed.append(str(stream.sequence_number if stream else ""))
            raise

    response = process_partial_response(event=event, record_handler=handle_record, processor=processor, context=context)
    failures = len(response.get("batchItemFailures", []))
    metrics.add_metric(name="PicturesFetched", unit=MetricUnit.Count, value=sum(r.fetched for r in reports))
    metrics.add_metric(name="PicturesFailed", unit=MetricUnit.Count, value=sum(len(r.failed) for r in reports))
    metrics.add_metric(name="PictureObjectsDeleted", unit=MetricUnit.Count, value=sum(r.deleted for r in reports))
    if failures:
        metrics.add_metric(name="MediaRecordsFailed", unit=MetricUnit.Count, value=failures)
    logger.info("media batch handled", extra={"articles": len(reports), "failed": failures})
    return dict(response)


@lambda_entry()
def handler(event: dict[str, Any], context: LambdaContext) -> dict[str, Any]:
    records = event.get("Records")
    if isinstance(records, list) and records:
        return handle_stream_batch(event, context)
    logger.warning("event ignored: not a table stream batch", extra={"keys": sorted(event)})
    return {"ignored": True}
