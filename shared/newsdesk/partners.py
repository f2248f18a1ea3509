"""Partners and their API keys: the domain rules and the DynamoDB store.

A partner holds one or more API keys. A key is a long random secret that is shown to the
operator once and stored only as a hash; revoking a key deletes its lookup item, so a revoked
key can no longer be resolved. Item layout in the single table:

- directory: PK ``PARTNERS``, SK ``{partner_id}`` — the partner's profile
- key:       PK ``PARTNER#{partner_id}``, SK ``KEY#{key_id}`` — hash, role, created/revoked times
- lookup:    PK ``APIKEY#{sha256 hex}``, SK ``APIKEY`` — everything the authorizer needs, so that
  authenticating a request is a single GetItem

The profile fields copied onto lookup items (name, language, section) are written when a key is
created; code that ever changes a partner's profile must rewrite the lookups of its active keys.
"""

from __future__ import annotations

import hashlib
import re
import secrets
import unicodedata
from collections.abc import Iterator, Mapping
from datetime import UTC, datetime
from typing import TYPE_CHECKING, Any, Literal

from pydantic import BaseModel, ConfigDict, Field

from newsdesk.aws import dynamodb_client
from newsdesk.dynamo import from_item, to_item
from newsdesk.errors import NewsdeskError, NotFound

if TYPE_CHECKING:
    from mypy_boto3_dynamodb import DynamoDBClient
    from mypy_boto3_dynamodb.type_defs import TransactWriteItemTypeDef

Role = Literal["partner", "site"]
ROLES: tuple[Role, ...] = ("partner", "site")

SECRET_PREFIX = "nd_"
# token_urlsafe(32) yields 43 characters; the range leaves room to lengthen keys later while
# still refusing junk before it costs a DynamoDB read.
_SECRET_PATTERN = re.compile(r"nd_[A-Za-z0-9_-]{32,128}")
# Ids end up inside DynamoDB keys ("PARTNER#{id}") and S3 paths, so they never contain "#" or "/".
_SLUG_PATTERN = re.compile(r"[a-z0-9]+(?:-[a-z0-9]+)*")
_LANGUAGE_PATTERN = re.compile(r"[a-z]{2,3}(?:-[A-Za-z0-9]{2,8})*")
MAX_PARTNER_ID_LENGTH = 48

# Russian, Ukrainian and Belarusian letters in a plain practical romanization ("РИА Новости" ->
# "ria-novosti"); Latin letters with diacritics are handled by Unicode decomposition instead.
_TRANSLITERATION = str.maketrans(
    {
        "а": "a", "б": "b", "в": "v", "г": "g", "д": "d", "е": "e", "ё": "e", "ж": "zh",
        "з": "z", "и": "i", "й": "y", "к": "k", "л": "l", "м": "m", "н": "n", "о": "o",
        "п": "p", "р": "r", "с": "s", "т": "t", "у": "u", "ф": "f", "х": "kh", "ц": "ts",
        "ч": "ch", "ш": "sh", "щ": "shch", "ъ": "", "ы": "y", "ь": "", "э": "e", "ю": "yu",
        "я": "ya", "є": "ye", "і": "i", "ї": "yi", "ґ": "g", "ў": "u",
        # Latin letters that do not decompose into a base letter plus a mark.
        "ß": "ss", "ø": "o", "æ": "ae", "œ": "oe", "ł": "l", "đ": "d", "ð": "d", "þ": "th",
    }
)  # fmt: skip


class PartnerAlreadyExists(NewsdeskError):
    status, type_slug, title = 409, "partner-exists", "A partner with this id already exists"


class PartnerNotFound(NotFound):
    pass


class ApiKeyNotFound(NotFound):
    pass


class InvalidPartnerProfile(NewsdeskError):
    status, type_slug, title = 422, "invalid-partner", "Invalid partner profile"


class Partner(BaseModel):
    model_config = ConfigDict(frozen=True)

    partner_id: str
    name: str
    language: str = "ru"
    # Default section for the partner's articles; a slug, because it becomes a snapshot path.
    section: str = ""
    created_at: datetime


class ApiKey(BaseModel):
    """A key as the operator sees it: never the secret, never the hash."""

    model_config = ConfigDict(frozen=True)

    key_id: str
    partner_id: str
    role: Role
    created_at: datetime
    revoked_at: datetime | None = None

    @property
    def active(self) -> bool:
        return self.revoked_at is None


class Principal(BaseModel):
    """Who a request is authenticated as: the authorizer produces it, handlers decide with it."""

    model_config = ConfigDict(frozen=True)

    partner_id: str = Field(min_length=1)
    key_id: str = Field(min_length=1)
    role: Role
    language: str
    section: str
    name: str

    def to_authorizer_context(self) -> dict[str, str]:
        """The flat string map the Lambda authorizer returns as its ``context``."""
        return {
            "partner_id": self.partner_id,
            "key_id": self.key_id,
            "role": self.role,
            "language": self.language,
            "section": self.section,
            "partner_name": self.name,
        }

    @classmethod
    def from_authorizer_context(cls, context: Mapping[str, Any] | None) -> Principal | None:
        """Read back what the authorizer returned (``event.requestContext.authorizer.lambda``).

        None for an anonymous request (``{"anonymous": "true"}``) or anything unexpected.
        """
        if not context or context.get("anonymous") == "true":
            return None
        role = context.get("role")
        if role not in ROLES:
            return None
        try:
            return cls(
                partner_id=str(context.get("partner_id") or ""),
                key_id=str(context.get("key_id") or ""),
                role=role,
                language=str(context.get("language") or ""),
                section=str(context.get("section") or ""),
                name=str(context.get("partner_name") or ""),
            )
        except ValueError:
            return None


def principal_from_context(context: Mapping[str, Any] | None) -> Principal | None:
    """Who the authorizer identified, from ``requestContext.authorizer.lambda``; None if anonymous."""
    return Principal.from_authorizer_context(context)


# --- keys and ids ------------------------------------------------------------------------------


def generate_secret() -> str:
    """A new API key: 256 random bits, URL-safe, with a prefix that makes leaked keys greppable."""
    return SECRET_PREFIX + secrets.token_urlsafe(32)


def hash_secret(secret: str) -> str:
    """The stored form of a key.

    Plain SHA-256 is enough: the secrets are 256-bit random values, not passwords, so there is
    nothing to brute-force and a slow KDF would only slow every authenticated request.
    """
    return hashlib.sha256(secret.encode("utf-8")).hexdigest()


def looks_like_secret(candidate: str) -> bool:
    return _SECRET_PATTERN.fullmatch(candidate) is not None


def new_key_id() -> str:
    return "k_" + secrets.token_hex(5)


def slugify(name: str) -> str:
    """Lower-case ASCII letters, digits and hyphens from a name; may be empty (e.g. for CJK)."""
    text = unicodedata.normalize("NFKC", name).lower().translate(_TRANSLITERATION)
    ascii_text = unicodedata.normalize("NFKD", text).encode("ascii", "ignore").decode("ascii")
    slug = re.sub(r"[^a-z0-9]+", "-", ascii_text).strip("-")
    return slug[:MAX_PARTNER_ID_LENGTH].rstrip("-")


def derive_partner_id(name: str) -> str:
    """A partner id from its name, with a random one when nothing Latin can be derived."""
    return slugify(name) or f"partner-{secrets.token_hex(3)}"


def is_valid_partner_id(partner_id: str) -> bool:
    return len(partner_id) <= MAX_PARTNER_ID_LENGTH and _SLUG_PATTERN.fullmatch(partner_id) is not None


def _validate_profile(partner_id: str, name: str, language: str, section: str, role: str) -> None:
    if not name.strip():
        raise InvalidPartnerProfile("The partner name must not be empty.")
    if not is_valid_partner_id(partner_id):
        raise InvalidPartnerProfile(
            f"Partner id {partner_id!r} must be lower-case ASCII letters, digits and single hyphens "
            f"(at most {MAX_PARTNER_ID_LENGTH} characters)."
        )
    if _LANGUAGE_PATTERN.fullmatch(language) is None:
        raise InvalidPartnerProfile(f"Language {language!r} is not a language tag such as 'ru' or 'en'.")
    if section and _SLUG_PATTERN.fullmatch(section) is None:
        raise InvalidPartnerProfile(f"Section {section!r} must be a slug (lower-case ASCII letters, digits, hyphens).")
    if role not in ROLES:
        raise InvalidPartnerProfile(f"Role {role!r} is not one of {', '.join(ROLES)}.")


def _now() -> datetime:
    return datetime.now(UTC)


# --- store -------------------------------------------------------------------------------------

_DIRECTORY_PK = "PARTNERS"
_LOOKUP_SK = "APIKEY"


def _partner_pk(partner_id: str) -> str:
    return f"PARTNER#{partner_id}"


def _key_sk(key_id: str) -> str:
    return f"KEY#{key_id}"


def _lookup_pk(secret_hash: str) -> str:
    return f"APIKEY#{secret_hash}"


class PartnerStore:
    """Partners and keys in the single table, through the low-level client.

    (boto3's resource layer is avoided on purpose: creating it costs noticeably on a cold start.)
    """

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
            created_at=_now(),
        )
        _validate_profile(partner.partner_id, partner.name, partner.language, partner.section, role)
        key, secret = self._new_key(partner.partner_id, role, partner.created_at)
        directory_item = {
            "PK": _DIRECTORY_PK,
            "SK": partner.partner_id,
            "entity": "partner",
            **partner.model_dump(mode="json"),
        }
        items: list[TransactWriteItemTypeDef] = [
            self._put_new(directory_item),
            *self._key_writes(key, partner, hash_secret(secret)),
        ]
        try:
            self._client.transact_write_items(TransactItems=items)
        except self._client.exceptions.TransactionCanceledException as error:
            if _cancellation_codes(error)[:1] == ["ConditionalCheckFailed"]:
                raise PartnerAlreadyExists(
                    f"Partner id {partner.partner_id!r} is taken; pass another partner id (CLI: --id)."
                ) from error
            raise
        return partner, secret

    def add_key(self, partner_id: str, role: Role = "partner") -> tuple[ApiKey, str]:
        """Issue another key for an existing partner; returns the key and its secret."""
        if role not in ROLES:
            raise InvalidPartnerProfile(f"Role {role!r} is not one of {', '.join(ROLES)}.")
        partner = self.get_partner(partner_id)
        if partner is None:
            raise PartnerNotFound(f"No partner with id {partner_id!r}.")
        key, secret = self._new_key(partner_id, role, _now())
        self._client.transact_write_items(TransactItems=self._key_writes(key, partner, hash_secret(secret)))
        return key, secret

    def revoke_key(self, partner_id: str, key_id: str) -> ApiKey:
        """Revoke a key: its lookup item goes, so it stops resolving at once. Revoking twice is fine."""
        item = self._get(_partner_pk(partner_id), _key_sk(key_id), consistent=True)
        if item is None:
            raise ApiKeyNotFound(f"Partner {partner_id!r} has no key {key_id!r}.")
        key = ApiKey.model_validate(item)
        if not key.active:
            return key
        revoked_at = _now()
        try:
            self._client.transact_write_items(
                TransactItems=[
                    {
                        "Delete": {
                            "TableName": self._table,
                            "Key": self._key(_lookup_pk(item["secret_hash"]), _LOOKUP_SK),
                        }
                    },
                    {
                        "Update": {
                            "TableName": self._table,
                            "Key": self._key(_partner_pk(partner_id), _key_sk(key_id)),
                            "UpdateExpression": "SET revoked_at = :revoked_at",
                            "ConditionExpression": ("attribute_exists(PK) AND attribute_not_exists(revoked_at)"),
                            "ExpressionAttributeValues": {":revoked_at": {"S": revoked_at.isoformat()}},
                        }
                    },
                ]
            )
        except self._client.exceptions.TransactionCanceledException:
            # Someone revoked it at the same moment: report the state that won.
            current = self._get(_partner_pk(partner_id), _key_sk(key_id), consistent=True)
            if current is None or current.get("revoked_at") is None:
                raise
            return ApiKey.model_validate(current)
        return key.model_copy(update={"revoked_at": revoked_at})

    # reads

    def get_partner(self, partner_id: str) -> Partner | None:
        item = self._get(_DIRECTORY_PK, partner_id, consistent=True)
        return Partner.model_validate(item) if item else None

    def list_partners(self) -> list[Partner]:
        return [Partner.model_validate(item) for item in self._query(_DIRECTORY_PK)]

    def list_keys(self, partner_id: str) -> list[ApiKey]:
        """All keys of a partner, revoked ones included, oldest first."""
        keys = [ApiKey.model_validate(item) for item in self._query(_partner_pk(partner_id), "KEY#")]
        if not keys and self.get_partner(partner_id) is None:
            raise PartnerNotFound(f"No partner with id {partner_id!r}.")
        return sorted(keys, key=lambda key: key.created_at)

    def resolve(self, secret: str) -> Principal | None:
        """The principal a presented key authenticates, or None for an unknown or revoked key."""
        if not looks_like_secret(secret):
            return None
        # Eventually consistent: a key revoked in the last second may still work for that second.
        item = self._get(_lookup_pk(hash_secret(secret)), _LOOKUP_SK, consistent=False)
        return Principal.model_validate(item) if item else None

    # helpers

    def _new_key(self, partner_id: str, role: Role, created_at: datetime) -> tuple[ApiKey, str]:
        key = ApiKey(key_id=new_key_id(), partner_id=partner_id, role=role, created_at=created_at)
        return key, generate_secret()

    def _key_writes(self, key: ApiKey, partner: Partner, secret_hash: str) -> list[TransactWriteItemTypeDef]:
        key_item = {
            "PK": _partner_pk(key.partner_id),
            "SK": _key_sk(key.key_id),
            "entity": "api_key",
            "secret_hash": secret_hash,
            **key.model_dump(mode="json", exclude_none=True),
        }
        principal = Principal(
            partner_id=partner.partner_id,
            key_id=key.key_id,
            role=key.role,
            language=partner.language,
            section=partner.section,
            name=partner.name,
        )
        lookup_item = {
            "PK": _lookup_pk(secret_hash),
            "SK": _LOOKUP_SK,
            "entity": "api_key_lookup",
            **principal.model_dump(mode="json"),
        }
        return [self._put_new(key_item), self._put_new(lookup_item)]

    def _put_new(self, item: dict[str, Any]) -> TransactWriteItemTypeDef:
        return {
            "Put": {
                "TableName": self._table,
                "Item": to_item(item),
                "ConditionExpression": "attribute_not_exists(PK)",
            }
        }

    def _key(self, pk: str, sk: str) -> dict[str, Any]:
        return {"PK": {"S": pk}, "SK": {"S": sk}}

    def _get(self, pk: str, sk: str, *, consistent: bool) -> dict[str, Any] | None:
        response = self._client.get_item(TableName=self._table, Key=self._key(pk, sk), ConsistentRead=consistent)
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


def _cancellation_codes(error: Exception) -> list[str]:
    response: Mapping[str, Any] = getattr(error, "response", {})
    return [reason.get("Code", "") for reason in response.get("CancellationReasons", [])]
