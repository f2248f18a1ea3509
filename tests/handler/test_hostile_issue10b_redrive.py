"""Hostile review of issue 10's fixes (b): dead letters that make redrive invoke a stack function with
an event of the sender's choosing (anyone allowed sqs:SendMessage on a dead-letter queue writes them)."""

from __future__ import annotations

import json
from typing import Any

import pytest

from tests.handler.redrive_support import drain

pytestmark = pytest.mark.handler

INGEST = "newsdesk-IngestFunction-X"
AUTHORIZER = "newsdesk-AuthorizerFunction-X"
PUBLISH = "newsdesk-PublishFunction-X"
TRENDING = "newsdesk-TrendingFunction-X"
# As `newsdesk redrive` builds them: every function of the stack, stream consumers with their filters.
STACK_FUNCTIONS: dict[str, Any] = {
    INGEST: (),
    AUTHORIZER: (),
    PUBLISH: ({"dynamodb": {"Keys": {"SK": {"S": ["CURRENT"]}}}},),
    TRENDING: (),
}


def test_redrive_does_not_invoke_ingest_with_an_api_event_of_the_senders_choosing(stack: Any) -> None:
    # Given: a letter naming the ingest function; its event carries an authorizer context naming any
    # partner (what API Gateway's authorizer would have vouched for) and a document to publish
    event = {
        "version": "2.0",
        "routeKey": "POST /v1/articles",
        "rawPath": "/v1/articles",
        "headers": {"content-type": "application/json"},
        "requestContext": {
            "http": {"method": "POST", "path": "/v1/articles"},
            "authorizer": {"lambda": {"partner_id": "oboronka-daily", "key_id": "k_x", "role": "partner"}},
        },
        "body": json.dumps({"uri": "urn:forged:1", "headline": "Forged", "body_html": "<p>x</p>"}),
    }
    letter = {"requestContext": {"functionArn": f"arn:aws:lambda:eu-west-1:123456789012:function:{INGEST}"}}
    report, invoked = drain("ScheduleDeadLetterQueue", [letter | {"requestPayload": event}], STACK_FUNCTIONS)

    # Then: ingest never fails asynchronously into a dead-letter queue; nothing is invoked
    assert invoked == []
    assert report.failed == 1


def test_redrive_does_not_invoke_a_stream_consumer_with_stream_records_the_letter_carries(stack: Any) -> None:
    # Given: a letter naming publish whose requestPayload holds a forged stream record (a NewImage saying
    # a taken-down story is published): publish renders NewImage as it is
    forged = {
        "Records": [
            {
                "eventSource": "aws:dynamodb",
                "eventName": "MODIFY",
                "dynamodb": {
                    "Keys": {"PK": {"S": "ARTICLE#aaaaaaaaaaaaaaaaaaaaaaaaa"}, "SK": {"S": "CURRENT"}},
                    "NewImage": {"status": {"S": "published"}},
                    "SequenceNumber": "1",
                },
            }
        ]
    }
    letter = {
        "requestContext": {"functionArn": f"arn:aws:lambda:eu-west-1:123456789012:function:{PUBLISH}"},
        "requestPayload": forged,
    }
    report, invoked = drain("PublishDeadLetterQueue", [letter], STACK_FUNCTIONS)

    # Then: publish's letters are replayed from the stream (DDBStreamBatchInfo) only
    assert invoked == []
    assert report.failed == 1


@pytest.mark.parametrize(
    ("stream_arn", "shard_id", "sequence"),
    [
        # Short shard id and sequence numbers: botocore refuses them before any request.
        ("not-an-arn", "shardId-1", "1"),
    ],
)
def test_a_letter_with_stream_positions_botocore_refuses_is_reported_and_the_redrive_goes_on(
    stack: Any, stream_arn: str, shard_id: str, sequence: str
) -> None:
    # Given: a letter naming publish with stream positions of a stream that is not the stack's, then a
    # good timer letter behind it in the same queue
    arn = f"arn:aws:lambda:eu-west-1:123456789012:function:{PUBLISH}"
    bad = {
        "requestContext": {"functionArn": arn},
        "DDBStreamBatchInfo": {
            "streamArn": stream_arn,
            "shardId": shard_id,
            "startSequenceNumber": sequence,
            "endSequenceNumber": sequence,
        },
    }
    good = {
        "requestContext": {"functionArn": arn},
        "requestPayload": {"source": "aws.events", "detail-type": "Scheduled Event"},
    }

    # When
    report, _invoked = drain("PublishDeadLetterQueue", [bad, good], STACK_FUNCTIONS)

    # Then: no traceback; the bad one counted, the good one replayed
    assert (report.replayed, report.failed + report.unreadable) == (1, 1)


def test_redrive_replays_a_timer_event_eventbridge_could_not_deliver(stack: Any) -> None:
    # Given: the EmbargoTimer's DeadLetterConfig (template.yaml) puts what EventBridge could not deliver
    # into ScheduleDeadLetterQueue as the event itself, the target in the message's attributes (no
    # Lambda on-failure record: Lambda never ran)
    event = {
        "version": "0",
        "id": "53dc4d37-cffa-4f76-80c9-8b7d4a4d2eaa",
        "detail-type": "Scheduled Event",
        "source": "aws.events",
        "account": "123456789012",
        "time": "2026-11-30T12:00:00Z",
        "region": "eu-west-1",
        "resources": ["arn:aws:events:eu-west-1:123456789012:rule/newsdesk-EmbargoTimer"],
        "detail": {},
    }
    target = f"arn:aws:lambda:eu-west-1:123456789012:function:{PUBLISH}"
    attributes = {
        "RULE_ARN": {"DataType": "String", "StringValue": event["resources"][0]},
        "TARGET_ARN": {"DataType": "String", "StringValue": target},
        "ERROR_CODE": {"DataType": "String", "StringValue": "SDK_CLIENT_ERROR"},
    }

    # When
    report, invoked = drain("ScheduleDeadLetterQueue", [(event, attributes)], STACK_FUNCTIONS)

    # Then: the timer's function runs again and the letter is gone (it was left, "not a Lambda failure
    # record", and every later redrive exited 1 on it)
    assert (invoked, report.replayed, report.failed) == ([PUBLISH], 1, 0)
