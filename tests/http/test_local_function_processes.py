"""The local stack's stream and timer functions run in worker processes (issue 10, "It gets slower as it
fills": one process and its one core ran the gateway, moto and every function; newsdesk_ops.function_processes).
"""

from __future__ import annotations

import json
import time
import uuid
from typing import Any

import boto3
import pytest

from newsdesk_ops.function_processes import FunctionFailed, FunctionProcesses
from newsdesk_ops.local_stack import LocalStack
from newsdesk_ops.template import load_template
from publish.publisher import Publisher
from tests.conftest import load_ninjs
from tests.http.conftest import http_request

pytestmark = pytest.mark.http


def _post(info: dict[str, str]) -> str:
    document = {**load_ninjs("ru_defence_industry.json"), "uri": f"urn:newsml:processes.example:{uuid.uuid4().hex}"}
    headers = {"Authorization": f"Bearer {info['partner_key']}", "Content-Type": "application/json"}
    response = http_request(info["api_url"], "POST", "/v1/articles", json.dumps(document).encode(), headers)
    assert response.status == 201, response.body[:300]
    return str(json.loads(response.body)["id"])


def _article_file(s3: Any, bucket: str, article_id: str, seconds: float = 30.0) -> dict[str, Any] | None:
    deadline = time.monotonic() + seconds
    while time.monotonic() < deadline:
        try:
            return dict(json.loads(s3.get_object(Bucket=bucket, Key=f"v1/articles/{article_id}.json")["Body"].read()))
        except s3.exceptions.NoSuchKey:
            time.sleep(0.2)
    return None


def test_the_stream_functions_run_outside_the_gateways_process(monkeypatch: pytest.MonkeyPatch) -> None:
    # Given publishing broken in this process (where the gateway, moto and the API's functions run)
    def broken(*_: Any, **__: Any) -> None:
        raise RuntimeError("publish ran in the gateway's process")

    monkeypatch.setattr(Publisher, "publish_article", broken)
    # When a story is posted to a local stack whose stream functions run in a worker process
    with LocalStack(state_file=None, function_processes=1) as stack:
        info = stack.info
        article_id = _post(info)
        s3 = boto3.client("s3", region_name=info["region"], endpoint_url=info["aws_endpoint_url"])
        published = _article_file(s3, info["snapshot_bucket"], article_id)
    # Then the worker published it, against the stack's own moto and bucket
    assert published is not None, "the story was never published"
    assert published["id"] == article_id


def test_an_invocation_that_fails_in_a_worker_is_an_error_here_with_its_cause() -> None:
    # Given a worker process for the template's functions
    processes = FunctionProcesses(
        load_template(), stack_name="newsdesk-local", region="eu-west-1", environment={}, processes=1
    )
    try:
        # When a function the template does not have is invoked
        with pytest.raises(FunctionFailed) as failed:
            processes.invoke("NoSuchFunction", {})
    finally:
        processes.close()
    # Then the caller gets the function error, with what the worker saw
    assert "NoSuchFunction" in str(failed.value) and "KeyError" in str(failed.value)
