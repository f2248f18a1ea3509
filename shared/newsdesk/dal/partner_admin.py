"""Disabling, enabling and removing a partner (``newsdesk partners disable|enable|remove``).

The authorizer reads one item a request, the key's lookup item (:mod:`newsdesk.dal.partners`), so a
partner is disabled on those: each active key's lookup item gets ``disabled_at`` and stops resolving
(401, as an unknown key), while the key items and the partner stay, ready to be enabled again. The
directory item is marked first, so that no key issued meanwhile (``partners add-key`` refuses a
disabled partner) escapes; a crash part-way is finished by running the command again.

Removing deletes every key (lookup items first, so each stops working at once, then key items) and
then the partner's directory item. Its articles stay: they are the archive's and the site's.
"""

from __future__ import annotations

from collections.abc import Iterator
from datetime import datetime
from typing import TYPE_CHECKING, Any

from botocore.exceptions import ClientError

from newsdesk.dal import keys
from newsdesk.dal.clients import dynamodb_client
from newsdesk.partners import PartnerNotFound, now_utc

if TYPE_CHECKING:
    from mypy_boto3_dynamodb import DynamoDBClient

DISABLED_AT = "disabled_at"


class PartnerAdmin:
    def __init__(self, table_name: str, client: DynamoDBClient | None = None) -> None:
        self._table = table_name
        self._client = client or dynamodb_client()

    def disabled(self) -> dict[str, str]:
        """Partner id -> when it was disabled, for every disabled partner (one Query of the directory)."""
        return {
            item[keys.SK]["S"]: item[DISABLED_AT]["S"] for item in self._query(keys.DIRECTORY_PK) if DISABLED_AT in item
        }

    def set_disabled(self, partner_id: str, disabled: bool, *, now: datetime | None = None) -> int:
        """Disable (or enable) the partner's active keys; returns how many keys that concerns."""
        moment = (now or now_utc()).isoformat()
        directory = keys.key(keys.DIRECTORY_PK, partner_id)
        if disabled:
            self._update(directory, f"SET {DISABLED_AT} = if_not_exists({DISABLED_AT}, :at)", {":at": {"S": moment}})
        changed = 0
        for key_item in self._active_keys(partner_id):
            lookup = keys.key(keys.lookup_pk(key_item["secret_hash"]["S"]), keys.LOOKUP_SK)
            if disabled:
                done = self._update(lookup, f"SET {DISABLED_AT} = :at", {":at": {"S": moment}}, missing_ok=True)
            else:
                done = self._update(lookup, f"REMOVE {DISABLED_AT}", None, missing_ok=True)
            changed += done
        if not disabled:
            self._update(directory, f"REMOVE {DISABLED_AT}", None)
        return changed

    def remove(self, partner_id: str) -> int:
        """Delete the partner and all its keys; returns how many keys were deleted."""
        if (
            self._client.get_item(TableName=self._table, Key=keys.key(keys.DIRECTORY_PK, partner_id)).get("Item")
            is None
        ):
            raise PartnerNotFound(f"No partner with id {partner_id!r}.")
        removed = 0
        for key_item in list(self._query(keys.partner_pk(partner_id), "KEY#")):
            secret_hash = key_item["secret_hash"]["S"]
            self._client.delete_item(TableName=self._table, Key=keys.key(keys.lookup_pk(secret_hash), keys.LOOKUP_SK))
            self._client.delete_item(
                TableName=self._table, Key=keys.key(key_item[keys.PK]["S"], key_item[keys.SK]["S"])
            )
            removed += 1
        self._client.delete_item(TableName=self._table, Key=keys.key(keys.DIRECTORY_PK, partner_id))
        return removed

    def _active_keys(self, partner_id: str) -> Iterator[dict[str, Any]]:
        return (item for item in self._query(keys.partner_pk(partner_id), "KEY#") if "revoked_at" not in item)

    def _update(
        self, key: dict[str, Any], expression: str, values: dict[str, Any] | None, *, missing_ok: bool = False
    ) -> int:
        """One conditional UpdateItem of an existing item; 1 if done, 0 if the item is gone (``missing_ok``)."""
        options: dict[str, Any] = {"ExpressionAttributeValues": values} if values else {}
        try:
            self._client.update_item(
                TableName=self._table,
                Key=key,
                UpdateExpression=expression,
                ConditionExpression="attribute_exists(PK)",
                **options,
            )
        except ClientError as error:
            if error.response["Error"]["Code"] != "ConditionalCheckFailedException":
                raise
            if missing_ok:
                return 0  # a key revoked meanwhile: its lookup item is gone, nothing to disable
            raise PartnerNotFound(f"No partner with id {key[keys.SK]['S']!r}.") from error  # the directory item
        return 1

    def _query(self, pk: str, sk_prefix: str | None = None) -> Iterator[dict[str, Any]]:
        condition = "PK = :pk"
        values: dict[str, Any] = {":pk": {"S": pk}}
        if sk_prefix:
            condition += " AND begins_with(SK, :prefix)"
            values[":prefix"] = {"S": sk_prefix}
        for page in self._client.get_paginator("query").paginate(
            TableName=self._table,
            KeyConditionExpression=condition,
            ExpressionAttributeValues=values,
            ConsistentRead=True,
        ):
            yield from page.get("Items", [])
