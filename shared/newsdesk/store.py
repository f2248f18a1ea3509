"""DynamoDB access for articles: the only module that reads or writes article items."""

from __future__ import annotations

from collections.abc import Iterator
from dataclasses import dataclass
from datetime import datetime
from typing import TYPE_CHECKING, Any

from botocore.exceptions import ClientError

from newsdesk.articles import ArticleRecord, RevisionRaced, utc_text
from newsdesk.aws import dynamodb_client
from newsdesk.dynamo import from_item, to_item
from newsdesk.models import ArticleStatus

if TYPE_CHECKING:
    from mypy_boto3_dynamodb import DynamoDBClient
    from mypy_boto3_dynamodb.type_defs import PutTypeDef

CURRENT = "CURRENT"
LATEST_LIST = "LATEST"
EMBARGOED = "EMBARGOED"

# Sparse indexes of template.yaml and the partition key attribute of each list index.
LATEST_INDEX = "LatestIndex"
SECTION_INDEX = "SectionIndex"
OUTLET_INDEX = "OutletIndex"
EMBARGO_INDEX = "EmbargoIndex"
LIST_INDEX_KEYS = {LATEST_INDEX: "latest_pk", SECTION_INDEX: "section_pk", OUTLET_INDEX: "outlet_pk"}


@dataclass
class ReadCounter:
    """DynamoDB items read (as billed: scanned, not returned), so benches can report reads per update."""

    items: int = 0

    def add(self, count: int) -> None:
        self.items += count


def article_pk(article_id: str) -> str:
    return f"ARTICLE#{article_id}"


def revision_sk(revision: int) -> str:
    return f"REV#{revision:08d}"


def record_from_item(item: dict[str, Any]) -> ArticleRecord:
    return ArticleRecord.model_validate(from_item(item))


def sort_time(moment: datetime) -> str:
    """A fixed-width UTC form, so that index sort keys order by time."""
    return utc_text(moment)


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
    def __init__(self, table_name: str, client: DynamoDBClient | None = None, reads: ReadCounter | None = None) -> None:
        self._table = table_name
        self._client = client or dynamodb_client()
        self.reads = reads or ReadCounter()

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

    # --- Publish: lists, embargoes, full scans ------------------------------------------------------

    def newest(self, index_name: str, pk_value: str, limit: int) -> list[ArticleRecord]:
        """The newest ``limit`` published articles of one list (a sparse index), newest first.

        Indexes are eventually consistent: callers overlay the changes they know about.
        """
        response = self._client.query(
            TableName=self._table,
            IndexName=index_name,
            KeyConditionExpression="#pk = :pk",
            ExpressionAttributeNames={"#pk": LIST_INDEX_KEYS[index_name]},
            ExpressionAttributeValues={":pk": {"S": pk_value}},
            ScanIndexForward=False,
            Limit=limit,
        )
        self.reads.add(response.get("ScannedCount", 0))
        return [record_from_item(item) for item in response.get("Items", [])]

    def due_embargoes(self, now: datetime) -> list[str]:
        """Ids of embargoed articles whose embargo has passed at ``now``, earliest first."""
        pages = self._client.get_paginator("query").paginate(
            TableName=self._table,
            IndexName=EMBARGO_INDEX,
            KeyConditionExpression="embargo_pk = :pk AND embargo_sk <= :until",
            # "~" sorts after every article id, so an embargo ending exactly at ``now`` is due.
            ExpressionAttributeValues={
                ":pk": {"S": EMBARGOED},
                ":until": {"S": f"{sort_time(now)}#~"},
            },
        )
        due: list[str] = []
        for page in pages:
            self.reads.add(page.get("ScannedCount", 0))
            due.extend(item["PK"]["S"].removeprefix("ARTICLE#") for item in page.get("Items", []))
        return due

    def release_embargo(self, record: ArticleRecord) -> bool:
        """Publish an embargoed article whose time has come; the table's stream then publishes it.

        Conditional on the article being unchanged (same revision, still embargoed): a partner's
        newer revision or another timer run wins, and that is not an error (returns False). The
        article is listed from its embargo time, not from when it was first written.
        """
        published_at = max(record.published_at, record.embargoed_until or record.published_at)
        released = record.model_copy(update={"status": ArticleStatus.PUBLISHED, "published_at": published_at})
        list_keys = index_attributes(released)
        values = {f":{name}": {"S": value} for name, value in list_keys.items()}
        assignments = ", ".join(f"{name} = :{name}" for name in list_keys)
        try:
            self._client.update_item(
                TableName=self._table,
                Key={"PK": {"S": article_pk(record.article_id)}, "SK": {"S": CURRENT}},
                UpdateExpression=(
                    f"SET #status = :published, published_at = :published_at, {assignments} "
                    "REMOVE embargo_pk, embargo_sk"
                ),
                ConditionExpression="revision = :revision AND #status = :embargoed",
                ExpressionAttributeNames={"#status": "status"},
                ExpressionAttributeValues={
                    ":published": {"S": ArticleStatus.PUBLISHED.value},
                    ":embargoed": {"S": ArticleStatus.EMBARGOED.value},
                    ":revision": {"N": str(record.revision)},
                    ":published_at": {"S": released.model_dump(mode="json")["published_at"]},
                    **values,
                },
            )
        except ClientError as error:
            if error.response["Error"]["Code"] == "ConditionalCheckFailedException":
                return False
            raise
        return True

    def scan_current(self, page_size: int = 100) -> Iterator[ArticleRecord]:
        """Every article's current state (full rebuilds only: this reads the whole table)."""
        pages = self._client.get_paginator("scan").paginate(
            TableName=self._table,
            FilterExpression="SK = :current AND begins_with(PK, :article)",
            ExpressionAttributeValues={":current": {"S": CURRENT}, ":article": {"S": "ARTICLE#"}},
            PaginationConfig={"PageSize": page_size},
        )
        for page in pages:
            self.reads.add(page.get("ScannedCount", 0))
            for item in page.get("Items", []):
                yield record_from_item(item)
