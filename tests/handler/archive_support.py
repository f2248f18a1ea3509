"""Ingest and the archive driven directly against moto, for the tests of rebuilds, takedowns and commits."""

from __future__ import annotations

import json
from typing import Any

from ingest.service import IngestService
from newsdesk.dal.archive import Archive
from newsdesk.dal.articles import ArticleStore
from newsdesk_ops.target import Target


def articles(target: Target) -> ArticleStore:
    return ArticleStore(target.table_name, client=target.dynamodb_client())


def service(target: Target, store: ArticleStore | None = None, archive: Archive | None = None) -> IngestService:
    return IngestService(
        store=store or articles(target), archive=archive or Archive(target.archive_bucket, client=target.s3_client())
    )


def raw(document: dict[str, Any]) -> bytes:
    return json.dumps(document, ensure_ascii=False).encode("utf-8")


def delete_article_items(target: Target) -> None:
    """The table loses every article item (what `rebuild --from-archive` is for)."""
    client = target.dynamodb_client()
    for page in client.get_paginator("scan").paginate(TableName=target.table_name):
        for item in page["Items"]:
            if item["PK"]["S"].startswith("ARTICLE#"):
                client.delete_item(TableName=target.table_name, Key={"PK": item["PK"], "SK": item["SK"]})
