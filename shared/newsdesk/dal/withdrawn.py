"""Articles recently taken out of publication, so that no published ranking shows them.

When publish writes an article's tombstone it records the article here (PK ``WITHDRAWN``, SK the
article id, removed by TTL once no trending window can hold it any more); whenever it writes
``v1/trending.json`` and ``v1/counters.json`` it leaves these articles out. That covers rankings
the trending function computed before it saw the retraction, including ones it stores afterwards.
An article published again (a newer version) leaves the partition.
"""

from __future__ import annotations

from collections.abc import Iterable
from datetime import datetime, timedelta
from typing import TYPE_CHECKING

from newsdesk.dal.clients import dynamodb_client
from newsdesk.dal.keys import SK, WITHDRAWN_PK, key

if TYPE_CHECKING:
    from mypy_boto3_dynamodb import DynamoDBClient

# Longer than any trending window (48 h by default): by then no ranking can hold the article.
KEEP_FOR = timedelta(days=7)


class WithdrawnStore:
    def __init__(self, table_name: str, client: DynamoDBClient | None = None) -> None:
        self._table = table_name
        self._client = client or dynamodb_client()

    def withdraw(self, article_ids: Iterable[str], now: datetime) -> None:
        expiration = str(int((now + KEEP_FOR).timestamp()))
        for article_id in article_ids:
            self._client.put_item(
                TableName=self._table,
                Item={**key(WITHDRAWN_PK, article_id), "kind": {"S": "withdrawn"}, "expiration": {"N": expiration}},
            )

    def restore(self, article_ids: Iterable[str]) -> None:
        for article_id in article_ids:
            self._client.delete_item(TableName=self._table, Key=key(WITHDRAWN_PK, article_id))

    def recent(self) -> set[str]:
        """Every article withdrawn within the last week (one Query; keys only)."""
        pages = self._client.get_paginator("query").paginate(
            TableName=self._table,
            KeyConditionExpression="PK = :pk",
            ExpressionAttributeValues={":pk": {"S": WITHDRAWN_PK}},
            ProjectionExpression=SK,
            ConsistentRead=True,
        )
        return {item[SK]["S"] for page in pages for item in page.get("Items", [])}
