"""Partners and their API keys in the single table (keys in :mod:`newsdesk.dal.keys`).

No transactions: each operation writes plain conditional items in an order where the last write
is the one that makes the change real, so a crash part-way leaves only items nobody can use.

- ``add_partner``: the key's lookup item, then the key item, then the directory item (the commit:
  only then is the secret shown). A clash or a failed call on the directory item removes the two
  key items again, unless the directory item turns out to be this very partner (a lost response,
  or the SDK's retry of a call that had landed): then the partner was created. A process that dies
  before the directory item leaves a key item and a lookup for a secret that was never shown to
  anyone (unusable; ``partners revoke-key`` removes it from the listing).
- ``add_key``: the lookup item, then the key item (the secret is shown after both).
- ``revoke_key``: the lookup item goes first (the key stops working at once), then the key item
  is marked revoked. A crash in between is finished by revoking again.

The profile fields copied onto lookup items (name, language, section) are written when a key is
created; code that ever changes a partner's profile must rewrite the lookups of its active keys.
(boto3's resource layer is avoided on purpose: creating it costs noticeably on a cold start.)
"""

from __future__ import annotations

from collections.abc import Iterator
from dataclasses import asdict, replace
from datetime import datetime
from typing import TYPE_CHECKING, Any

from botocore.exceptions import ClientError

from newsdesk.dal import keys
from newsdesk.dal.clients import dynamodb_client
from newsdesk.dal.items import from_item, to_item
from newsdesk.partners import (
    ROLES,
    ApiKey,
    ApiKeyNotFound,
    InvalidPartnerProfile,
    Partner,
    PartnerAlreadyExists,
    PartnerNotFound,
    Principal,
    Role,
    api_key_from_values,
    derive_partner_id,
    generate_secret,
    hash_secret,
    looks_like_secret,
    new_key_id,
    now_utc,
    partner_from_values,
    principal_from_values,
    validate_profile,
)

if TYPE_CHECKING:
    from mypy_boto3_dynamodb import DynamoDBClient


def _json(values: dict[str, Any]) -> dict[str, Any]:
    return {name: value.isoformat() if isinstance(value, datetime) else value for name, value in values.items()}


class PartnerStore:
    """Partners and keys in the single table, through the low-level client."""

    def __init__(self, table_name: str, client: DynamoDBClient | None = None) -> None:
        self._table = table_name
        self._client = client or dynamodb_client()

    # writes

    def add_partner(
        self,
        name: str,
        language: str = "ru",
        section: str = "",
        role: Role = "partner",
        *,
        partner_id: str | None = None,
    ) -> tuple[Partner, str]:
        """Create a partner with its first key (of ``role``); returns the partner and the secret.

        The id is derived from the name unless given; an id already taken raises
        PartnerAlreadyExists rather than overwriting anything.
        """
        name = name.strip()
        partner = Partner(
            partner_id=partner_id or derive_partner_id(name),
            name=name,
            language=language,
            section=section,
            created_at=now_utc(),
        )
        validate_profile(partner.partner_id, partner.name, partner.language, partner.section, role)
        key, secret = self._new_key(partner.partner_id, role, partner.created_at)
        written = self._write_key(key, partner, hash_secret(secret))
        directory_item = {keys.PK: keys.DIRECTORY_PK, keys.SK: partner.partner_id, "entity": "partner"}
        try:
            created = self._put_new({**directory_item, **_json(asdict(partner))})
        except Exception:
            # The write may have landed and only its response been lost: then the partner is ours.
            if self.get_partner(partner.partner_id) == partner:
                return partner, secret
            self._forget(written)
            raise
        # A condition failure can be our own earlier attempt (the SDK retries a timed-out call).
        if not created and self.get_partner(partner.partner_id) != partner:
            self._forget(written)
            raise PartnerAlreadyExists(
                f"Partner id {partner.partner_id!r} is taken; pass another partner id (CLI: --id)."
            )
        return partner, secret

    def add_key(self, partner_id: str, role: Role = "partner") -> tuple[ApiKey, str]:
        """Issue another key for an existing partner; returns the key and its secret."""
        if role not in ROLES:
            raise InvalidPartnerProfile(f"Role {role!r} is not one of {', '.join(ROLES)}.")
        directory = self._get(keys.DIRECTORY_PK, partner_id, consistent=True)
        if directory is None:
            raise PartnerNotFound(f"No partner with id {partner_id!r}.")
        if directory.get("disabled_at"):
            raise InvalidPartnerProfile(f"Partner {partner_id!r} is disabled; enable it first.")
        partner = partner_from_values(directory)
        key, secret = self._new_key(partner_id, role, now_utc())
        self._write_key(key, partner, hash_secret(secret))
        return key, secret

    def revoke_key(self, partner_id: str, key_id: str) -> ApiKey:
        """Revoke a key: its lookup item goes, so it stops resolving at once. Revoking twice is fine."""
        item = self._get(keys.partner_pk(partner_id), keys.key_sk(key_id), consistent=True)
        if item is None:
            raise ApiKeyNotFound(f"Partner {partner_id!r} has no key {key_id!r}.")
        key = api_key_from_values(item)
        if not key.active:
            return key
        self._client.delete_item(
            TableName=self._table, Key=keys.key(keys.lookup_pk(item["secret_hash"]), keys.LOOKUP_SK)
        )
        revoked_at = now_utc()
        try:
            self._client.update_item(
                TableName=self._table,
                Key=keys.key(keys.partner_pk(partner_id), keys.key_sk(key_id)),
                UpdateExpression="SET revoked_at = :revoked_at",
                ConditionExpression="attribute_exists(PK) AND attribute_not_exists(revoked_at)",
                ExpressionAttributeValues={":revoked_at": {"S": revoked_at.isoformat()}},
            )
        except ClientError as error:
            if error.response["Error"]["Code"] != "ConditionalCheckFailedException":
                raise
            # Someone revoked it at the same moment: report the state that won.
            current = self._get(keys.partner_pk(partner_id), keys.key_sk(key_id), consistent=True)
            if current is None or current.get("revoked_at") is None:
                raise
            return api_key_from_values(current)
        return replace(key, revoked_at=revoked_at)

    # reads

    def get_partner(self, partner_id: str) -> Partner | None:
        item = self._get(keys.DIRECTORY_PK, partner_id, consistent=True)
        return partner_from_values(item) if item else None

    def list_partners(self) -> list[Partner]:
        return [partner_from_values(item) for item in self._query(keys.DIRECTORY_PK)]

    def list_keys(self, partner_id: str) -> list[ApiKey]:
        """All keys of a partner, revoked ones included, oldest first."""
        found = [api_key_from_values(item) for item in self._query(keys.partner_pk(partner_id), "KEY#")]
        if not found and self.get_partner(partner_id) is None:
            raise PartnerNotFound(f"No partner with id {partner_id!r}.")
        return sorted(found, key=lambda key: key.created_at)

    def resolve(self, secret: str) -> Principal | None:
        """The principal a presented key authenticates, or None for an unknown or revoked key."""
        if not looks_like_secret(secret):
            return None
        # Eventually consistent: a key revoked in the last second may still work for that second.
        item = self._get(keys.lookup_pk(hash_secret(secret)), keys.LOOKUP_SK, consistent=False)
        # A disabled partner's keys (newsdesk.dal.partner_admin) resolve to no one until enabled.
        return principal_from_values(item) if item and not item.get("disabled_at") else None

    # helpers

    def _new_key(self, partner_id: str, role: Role, created_at: datetime) -> tuple[ApiKey, str]:
        key = ApiKey(key_id=new_key_id(), partner_id=partner_id, role=role, created_at=created_at)
        return key, generate_secret()

    def _write_key(self, key: ApiKey, partner: Partner, secret_hash: str) -> list[tuple[str, str]]:
        """The lookup item, then the key item; returns their keys. Both ids are fresh random values."""
        principal = Principal(
            partner_id=partner.partner_id,
            key_id=key.key_id,
            role=key.role,
            language=partner.language,
            section=partner.section,
            name=partner.name,
        )
        lookup = (keys.lookup_pk(secret_hash), keys.LOOKUP_SK)
        key_item = (keys.partner_pk(key.partner_id), keys.key_sk(key.key_id))
        key_values = {name: value for name, value in _json(asdict(key)).items() if value is not None}
        written: list[tuple[str, str]] = []
        for (pk, sk), values in (
            (lookup, {"entity": "api_key_lookup", **asdict(principal)}),
            (key_item, {"entity": "api_key", "secret_hash": secret_hash, **key_values}),
        ):
            if not self._put_new({keys.PK: pk, keys.SK: sk, **values}):
                raise RuntimeError(f"a new random key id collided with an existing item {pk}/{sk}")
            written.append((pk, sk))
        return written

    def _forget(self, written: list[tuple[str, str]]) -> None:
        """Remove the key items of a partner that was not created (their secret was never shown)."""
        for pk, sk in written:
            self._client.delete_item(TableName=self._table, Key=keys.key(pk, sk))

    def _put_new(self, item: dict[str, Any]) -> bool:
        """PutItem on condition that the item does not exist yet; False when it does."""
        try:
            self._client.put_item(
                TableName=self._table, Item=to_item(item), ConditionExpression="attribute_not_exists(PK)"
            )
        except ClientError as error:
            if error.response["Error"]["Code"] == "ConditionalCheckFailedException":
                return False
            raise
        return True

    def _get(self, pk: str, sk: str, *, consistent: bool) -> dict[str, Any] | None:
        response = self._client.get_item(TableName=self._table, Key=keys.key(pk, sk), ConsistentRead=consistent)
        item = response.get("Item")
        return from_item(item) if item else None

    def _query(self, pk: str, sk_prefix: str | None = None) -> Iterator[dict[str, Any]]:
        condition = "PK = :pk"
        values: dict[str, Any] = {":pk": {"S": pk}}
        if sk_prefix:
            condition += " AND begins_with(SK, :prefix)"
            values[":prefix"] = {"S": sk_prefix}
        paginator = self._client.get_paginator("query")
        for page in paginator.paginate(
            TableName=self._table, KeyConditionExpression=condition, ExpressionAttributeValues=values
        ):
            for item in page.get("Items", []):
                yield from_item(item)
