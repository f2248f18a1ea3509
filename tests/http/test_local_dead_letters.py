"""A stream batch that keeps failing on the local stack lands in its dead-letter queue, as in AWS.

The local poller gives up on a batch after its retries (newsdesk_ops.stream_poller.LOCAL_MAX_RETRIES);
the event source's ``DestinationConfig.OnFailure`` queue then gets Lambda's on-failure record (where
the batch was in the stream, not the records). ``newsdesk status`` counts it, and ``newsdesk
redrive`` reads that range of the stream again and hands it to the function once the failure is
gone. The stack runs its background workers like `make run`; the CLI finds it through its state file.
"""

from __future__ import annotations

import json
import time
import uuid
from collections.abc import Iterator
from typing import Any

import boto3
import pytest
from botocore.exceptions import ClientError

from newsdesk_ops.cli import LOCAL_FILE_ENV, main
from newsdesk_ops.local_stack import LocalStack
from tests.conftest import load_ninjs
from tests.http.conftest import LocalApi

pytestmark = pytest.mark.http

STACK_NAME = "newsdesk-deadletters"
POLL_TIMEOUT_SECONDS = 20.0
DEAD_LETTER_QUEUE = "PublishDeadLetterQueue"


@pytest.fixture(scope="module")
def running(tmp_path_factory: pytest.TempPathFactory) -> Iterator[tuple[LocalStack, LocalApi]]:
    state_file = tmp_path_factory.mktemp("dead-letter-stack") / "local.json"
    with LocalStack(state_file=state_file, stack_name=STACK_NAME) as stack:
        yield stack, LocalApi(stack.info, state_file)


def client(api: LocalApi, service: str) -> Any:
    return boto3.client(  # type: ignore[call-overload]
        service,
        region_name=api.info["region"],
        endpoint_url=api.info["aws_endpoint_url"],
        aws_access_key_id="testing",
        aws_secret_access_key="testing",
    )


def depth(sqs: Any, url: str) -> int:
    attributes = sqs.get_queue_attributes(
        QueueUrl=url, AttributeNames=["ApproximateNumberOfMessages", "ApproximateNumberOfMessagesNotVisible"]
    )["Attributes"]
    return sum(int(value) for value in attributes.values())


def article_page(api: LocalApi, article_id: str) -> dict[str, Any] | None:
    try:
        body = client(api, "s3").get_object(Bucket=api.info["snapshot_bucket"], Key=f"v1/articles/{article_id}.json")
    except ClientError:
        return None
    page: dict[str, Any] = json.loads(body["Body"].read())
    return page


def test_a_failing_batch_is_dead_lettered_counted_by_status_and_replayed_by_redrive(
    running: tuple[LocalStack, LocalApi], monkeypatch: pytest.MonkeyPatch, capsys: pytest.CaptureFixture[str]
) -> None:
    from publish.publisher import Publisher

    stack, api = running
    monkeypatch.setenv(LOCAL_FILE_ENV, str(api.state_file))
    sqs = client(api, "sqs")
    queue_url = stack.running.resources.queues[DEAD_LETTER_QUEUE]
    # The template's retention, not SQS's default of 4 days.
    retention = sqs.get_queue_attributes(QueueUrl=queue_url, AttributeNames=["MessageRetentionPeriod"])
    assert retention["Attributes"]["MessageRetentionPeriod"] == "1209600"

    # Given publish fails on every article
    def publish_is_down(*_args: Any, **_kwargs: Any) -> Any:
        raise RuntimeError("publish is down")

    monkeypatch.setattr(Publisher, "publish_article", publish_is_down)
    document = {**load_ninjs("ru_defence_industry.json"), "uri": f"urn:newsml:deadletters.example:{uuid.uuid4().hex}"}
    created = api.request("POST", "/v1/articles", json.dumps(document).encode("utf-8"), key=api.key)
    assert created.status == 201, created.body
    article_id = created.json()["id"]

    # When the poller has given up on the batch
    deadline = time.monotonic() + POLL_TIMEOUT_SECONDS
    while depth(sqs, queue_url) < 1:
        assert time.monotonic() < deadline, "no dead letter within the time limit"
        time.sleep(0.1)

    # Then the queue holds one on-failure record in Lambda's shape, naming the batch's place in the stream
    (message,) = sqs.receive_message(QueueUrl=queue_url, MaxNumberOfMessages=10, VisibilityTimeout=0)["Messages"]
    letter = json.loads(message["Body"])
    stream_arn = client(api, "dynamodb").describe_table(TableName=api.info["table_name"])["Table"]["LatestStreamArn"]
    assert letter["version"] == "1.0"
    assert letter["requestContext"]["condition"] == "RetryAttemptsExhausted"
    assert letter["requestContext"]["functionArn"].endswith(f":function:{STACK_NAME}-PublishFunction")
    assert letter["requestContext"]["approximateInvokeCount"] >= 2
    info = letter["DDBStreamBatchInfo"]
    assert info["streamArn"] == stream_arn
    assert info["batchSize"] >= 1
    assert int(info["startSequenceNumber"]) <= int(info["endSequenceNumber"])
    assert article_page(api, article_id) is None

    # And `newsdesk status` shows the queue's depth (alarms are still not emulated)
    assert main(["status"]) == 1
    out = capsys.readouterr().out
    assert f"{DEAD_LETTER_QUEUE} 1" in out, out
    assert "Alarms firing: not emulated" in out

    # When publish works again and the operator runs `newsdesk redrive`
    monkeypatch.undo()
    monkeypatch.setenv(LOCAL_FILE_ENV, str(api.state_file))
    code = main(["redrive"])
    out = capsys.readouterr().out

    # Then the records reach publish (the article's page is written) and the dead letter is gone
    assert code == 0, out
    assert "1 replayed" in out, out
    page = article_page(api, article_id)
    assert page is not None and page["headline"] == document["headlines"][0]["value"]
    assert depth(sqs, queue_url) == 0
