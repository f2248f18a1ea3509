"""DynamoDB access for articles: the only module that reads or writes article items."""

from __future__ import annotations

from datetime import UTC, datetime
from typing import TYPE_CHECKING, Any

from botocore.exceptions import ClientError

from newsdesk.articles import ArticleRecord, RevisionRaced
from newsdesk.aws import dynamodb_client
from newsdesk.dynamo import from_item, to_item
from newsdesk.models import ArticleStatus

if TYPE_CHECKING:
    from mypy_boto3_dynamodb import DynamoDBClient
    from mypy_boto3_dynamodb.type_defs import PutTypeDef

CURRENT = "CURRENT"
LATEST_LIST = "LATEST"
EMBARGOED = "EMBARGOED"


def article_pk(article_id: str) -> str:
    return f"ARTICLE#{article_id}"


def revision_sk(revision: int) -> str:
    return f"REV#{revision:08d}"


def record_from_item(item: dict[str, Any]) -> ArticleRecord:
    return ArticleRecord.model_validate(from_item(item))


def sort_time(moment: datetime) -> str:
    """A fixed-width UTC form, so that index sort keys order by time."""
    return moment.astimezone(UTC).strftime("%Y-%m-%dT%H:%M:%SZ")


def index_attributes(record: ArticleRecord) -> dict[str, str]:
    """Keys of the sparse list and embargo indexes (template.yaml) for this state of the article."""
    if record.status is ArticleStatus.PUBLISHED:
        return {
            "latest_pk": LATEST_LIST,
            "section_pk": f"SECTION#{record.section}",
            "outlet_pk": f"OUTLET#{record.partner_id}",
            "list_sk": f"{sort_time(record.published_at)}#{record.article_id}",
        }
    if record.status is ArticleStatus.EMBARGOED and record.embargoed_until is not None:
        return {
            "embargo_pk": EMBARGOED,
            "embargo_sk": f"{sort_time(record.embargoed_until)}#{record.article_id}",
        }
    return {}


def _record_values(record: ArticleRecord) -> dict[str, Any]:
    values = record.model_dump(mode="json")
    values["warnings"] = values["warnings"] or None
    return {**values, **index_attributes(record)}


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
        current_put: PutTypeDef = {"TableName": self._table, "Item": current}
        if previous_revision is None:
            current_put["ConditionExpression"] = "attribute_not_exists(PK)"
        else:
            current_put["ConditionExpression"] = "revision = :previous"
            current_put["ExpressionAttributeValues"] = {":previous": {"N": str(previous_revision)}}
        try:
            self._client.transact_write_items(
                TransactItems=[
                    {"Put": current_put},
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
