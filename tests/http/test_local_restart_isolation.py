"""A local stack started again in the same process starts empty, unless it restores its state.

moto's state outlives a stopped stack in the process that ran it. The tests start one stack per
module, so a stack began with the articles of the module before it (the short load test then
found 20 articles in the table that it never sent).
"""

from __future__ import annotations

import boto3
import pytest

from newsdesk_ops.local_stack import LocalStack
from tests.http.test_local_state import post

pytestmark = pytest.mark.http


def current_articles(info: dict[str, str]) -> int:
    dynamodb = boto3.client("dynamodb", region_name=info["region"], endpoint_url=info["aws_endpoint_url"])
    items = dynamodb.scan(
        TableName=info["table_name"],
        FilterExpression="begins_with(PK, :article) AND SK = :current",
        ExpressionAttributeValues={":article": {"S": "ARTICLE#"}, ":current": {"S": "CURRENT"}},
    )["Items"]
    return len(items)


def archived_objects(info: dict[str, str]) -> int:
    s3 = boto3.client("s3", region_name=info["region"], endpoint_url=info["aws_endpoint_url"])
    return int(s3.list_objects_v2(Bucket=info["archive_bucket"]).get("KeyCount", 0))


def test_a_stack_started_again_in_the_same_process_begins_empty() -> None:
    # Given a stack that accepted an article and was stopped
    with LocalStack(state_file=None) as stack:
        post(stack.info, stack.info["partner_key"])
        assert current_articles(stack.info) == 1
    # When another stack of the same name starts in this process (no state directory)
    with LocalStack(state_file=None) as stack:
        # Then its table and buckets hold nothing of the first one's
        assert current_articles(stack.info) == 0
        assert archived_objects(stack.info) == 0
