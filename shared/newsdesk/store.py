"""DynamoDB access for articles: the only module that reads or writes article items."""

from __future__ import annotations

from typing import TYPE_CHECKING, Any

from botocore.exceptions import ClientError

from newsdesk.articles import ArticleRecord, RevisionRaced
from newsdesk.aws import dynamodb_client
from newsdesk.dynamo import from_item, to_item

if TYPE_CHECKING:
    from mypy_boto3_dynamodb import DynamoDBClient

CURRENT = "CURRENT"


def article_pk(article_id: str) -> str:
    return f"ARTICLE#{article_id}"


def revision_sk(revision: int) -> str:
    return f"REV#{revision:08d}"


def record_from_item(item: dict[str, Any]) -> ArticleRecord:
    return ArticleRecord.model_validate(from_item(item))


def _record_values(record: ArticleRecord) -> dict[str, Any]:
    values = record.model_dump(mode="json")
    values["warnings"] = values["warnings"] or None
    return values


class ArticleStore:
    def __init__(self, table_name: str, client: DynamoDBClient | None = None) -> None:
        self._table = table_name
        self._client = client or dynamodb_client()

    def get(self, article_id: str) -> ArticleRecord | None:
        response = self._client.get_item(
            TableName=self._table,
            Key={"PK": {"S": article_pk(article_id)}, "SK": {"S": CURRENT}},
            ConsistentRead=True,
        )
        item = response.get("Item")
        return record_from_item(item) if item else None

    def put_revision(
        self, record: ArticleRecord, *, previous_revision: int | None, action: str, request_id: str
    ) -> None:
        """Write the new current state and its history entry in one transaction.

        The condition on the previous revision makes concurrent writers serialize: the loser gets
        ``RevisionRaced`` and re-reads. The history item is keyed by revision, so a retried
        transaction cannot add it twice.
        """
        pk = article_pk(record.article_id)
        values = _record_values(record)
        current = to_item({"PK": pk, "SK": CURRENT, "kind": "article", **values})
        history = to_item(
            {
                "PK": pk,
                "SK": revision_sk(record.revision),
                "kind": "revision",
                "action": action,
                "request_id": request_id,
                "revision": record.revision,
                "status": values["status"],
                "archive_key": record.archive_key,
                "content_hash": record.content_hash,
                "received_at": values["received_at"],
            }
        )
        if previous_revision is None:
            condition: dict[str, Any] = {"ConditionExpression": "attribute_not_exists(PK)"}
        else:
            condition = {
                "ConditionExpression": "revision = :previous",
                "ExpressionAttributeValues": {":previous": {"N": str(previous_revision)}},
            }
        try:
            self._client.transact_write_items(
                TransactItems=[
                    {"Put": {"TableName": self._table, "Item": current, **condition}},
                    {
                        "Put": {
                            "TableName": self._table,
                            "Item": history,
                            "ConditionExpression": "attribute_not_exists(PK)",
                        }
                    },
                ]
            )
        except ClientError as error:
            if error.response["Error"]["Code"] == "TransactionCanceledException":
                raise RevisionRaced(record.article_id) from error
            raise

    def revisions(self, article_id: str) -> list[dict[str, Any]]:
        """The article's history, oldest first (operators and tests)."""
        pages = self._client.get_paginator("query").paginate(
            TableName=self._table,
            KeyConditionExpression="PK = :pk AND begins_with(SK, :rev)",
            ExpressionAttributeValues={":pk": {"S": article_pk(article_id)}, ":rev": {"S": "REV#"}},
        )
        return [from_item(item) for page in pages for item in page.get("Items", [])]
