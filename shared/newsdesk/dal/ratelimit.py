"""The per-partner request counters of :mod:`newsdesk.ratelimit`, in the single table.

One item per partner and window (``RATE#{partner}#{window start}`` / ``RATE``), counted with one
conditional UpdateItem per request: ``ADD count 1`` only while the count is below the limit. So a
request costs one write (1 WCU; a refused one too, DynamoDB bills failed conditions as writes) and no
read, the count never grows past the limit, and the item expires by TTL after its window.

All of one partner's requests in a window go to one item, i.e. one partition, which takes up to 1,000
writes a second; API Gateway's route throttles (template.yaml) keep every route far below that, and
the next window is another key. The items' inserts and updates reach the table's stream, where
both consumers' filters drop them (neither SK ``CURRENT`` nor ``SEEN#``), so they invoke nothing.
"""

from __future__ import annotations

from typing import TYPE_CHECKING

from botocore.exceptions import ClientError

from newsdesk.dal.clients import dynamodb_client
from newsdesk.dal.keys import RATE_SK, key, rate_pk
from newsdesk.ratelimit import RateWindow

if TYPE_CHECKING:
    from mypy_boto3_dynamodb import DynamoDBClient


class RateLimitStore:
    """Counts partners' requests per window (``newsdesk.ratelimit.RateCounter``)."""

    def __init__(self, table_name: str, client: DynamoDBClient | None = None) -> None:
        self._table = table_name
        self._client = client or dynamodb_client()

    def take(self, partner_id: str, window: RateWindow, limit: int) -> bool:
        """Count one request; False, counting nothing, when the window already holds ``limit``."""
        try:
            self._client.update_item(
                TableName=self._table,
                Key=key(rate_pk(partner_id, window.start), RATE_SK),
                UpdateExpression="ADD #count :one SET expiration = :expiration",
                ConditionExpression="attribute_not_exists(#count) OR #count < :limit",
                ExpressionAttributeNames={"#count": "count"},
                ExpressionAttributeValues={
                    ":one": {"N": "1"},
                    ":limit": {"N": str(limit)},
                    ":expiration": {"N": str(window.expiration)},
                },
            )
        except ClientError as error:
            if error.response.get("Error", {}).get("Code") == "ConditionalCheckFailedException":
                return False
            raise
        return True
