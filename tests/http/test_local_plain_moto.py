"""With moto as it comes (NEWSDESK_LOCAL_PLAIN_MOTO=1) a cancelled transaction no longer stops publishing.

Plain moto puts a copy of the table in the table's place when it cancels a transaction; the stream
poller kept reading the old table, so nothing was published or counted until a restart. The stack
runs in a child process: ``newsdesk_ops.emulator``'s patches, once applied in a test process,
stay applied, and this is about moto without them.
"""

from __future__ import annotations

import json
import os
import subprocess
import sys
from pathlib import Path

import pytest

pytestmark = pytest.mark.http

ROOT = Path(__file__).resolve().parents[2]

SCRIPT = r"""
import json, logging, sys, time, uuid, urllib.request
import boto3
from botocore.exceptions import ClientError
from newsdesk_ops.local_stack import LocalStack
from tests.conftest import load_ninjs

messages = []
class Keep(logging.Handler):
    def emit(self, record):
        messages.append(record.getMessage())
logging.getLogger("newsdesk_ops.stream_poller").addHandler(Keep(logging.WARNING))

def post(info):
    document = {**load_ninjs("ru_defence_industry.json"), "uri": f"urn:newsml:plain-moto.example:{uuid.uuid4().hex}"}
    request = urllib.request.Request(
        info["api_url"] + "/v1/articles", data=json.dumps(document).encode(), method="POST",
        headers={"Authorization": "Bearer " + info["partner_key"], "Content-Type": "application/json"})
    return json.loads(urllib.request.urlopen(request, timeout=30).read())["id"]

def published(info, article_id, seconds=15.0):
    deadline = time.monotonic() + seconds
    while time.monotonic() < deadline:
        try:
            urllib.request.urlopen(info["snapshots_url"] + f"v1/articles/{article_id}.json", timeout=5)
            return True
        except Exception:
            time.sleep(0.1)
    return False

with LocalStack(state_file=None) as stack:
    info = stack.info
    before = published(info, post(info))
    dynamodb = boto3.client("dynamodb", region_name=info["region"], endpoint_url=info["aws_endpoint_url"])
    code = ""
    try:
        dynamodb.transact_write_items(TransactItems=[{"Put": {
            "TableName": info["table_name"], "Item": {"PK": {"S": "NONE"}, "SK": {"S": "NONE"}},
            "ConditionExpression": "attribute_exists(PK)"}}])
    except ClientError as error:
        code = error.response["Error"]["Code"]
    after = published(info, post(info))
print(json.dumps({"before": before, "cancelled": code, "after": after, "log": messages}))
"""


def test_a_cancelled_transaction_on_plain_moto_leaves_publishing_running(tmp_path: Path) -> None:
    # Given the local stack on plain moto, publishing
    environment = {
        **os.environ,
        "NEWSDESK_LOCAL_PLAIN_MOTO": "1",
        "NEWSDESK_LOCAL_TIMER_SECONDS": "1",
        "PYTHONPATH": str(ROOT),
    }
    # When a transaction is cancelled, and then an article is posted
    finished = subprocess.run(
        [sys.executable, "-c", SCRIPT], cwd=tmp_path, env=environment, capture_output=True, text=True, timeout=120
    )
    assert finished.returncode == 0, finished.stderr[-4000:]
    result = json.loads(finished.stdout.strip().splitlines()[-1])
    # Then that article is published too, and the log says the poller followed the new table
    assert result["before"] is True
    assert result["cancelled"] == "TransactionCanceledException"
    assert result["after"] is True
    assert any("replaced" in message for message in result["log"]), result["log"]
