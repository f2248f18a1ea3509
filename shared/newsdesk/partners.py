"""Partners and their API keys: the domain rules (the store is :mod:`newsdesk.dal.partners`).

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
from collections.abc import Mapping
from dataclasses import dataclass
from datetime import UTC, datetime
from typing import Any, Literal, cast

from newsdesk.errors import NewsdeskError, NotFound

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


@dataclass(frozen=True, slots=True, kw_only=True)
class Partner:
    partner_id: str
    name: str
    language: str = "ru"
    # Default section for the partner's articles; a slug, because it becomes a snapshot path.
    section: str = ""
    created_at: datetime


@dataclass(frozen=True, slots=True, kw_only=True)
class ApiKey:
    """A key as the operator sees it: never the secret, never the hash."""

    key_id: str
    partner_id: str
    role: Role
    created_at: datetime
    revoked_at: datetime | None = None

    @property
    def active(self) -> bool:
        return self.revoked_at is None


@dataclass(frozen=True, slots=True, kw_only=True)
class Principal:
    """Who a request is authenticated as: the authorizer produces it, handlers decide with it."""

    partner_id: str
    key_id: str
    role: Role
    language: str
    section: str
    name: str

    def __post_init__(self) -> None:
        if not self.partner_id or not self.key_id:
            raise ValueError("a principal needs a partner id and a key id")
        if self.role not in ROLES:
            raise ValueError(f"unknown role {self.role!r}")

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
                role=cast(Role, role),
                language=str(context.get("language") or ""),
                section=str(context.get("section") or ""),
                name=str(context.get("partner_name") or ""),
            )
        except ValueError:
            return None


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


def validate_profile(partner_id: str, name: str, language: str, section: str, role: str) -> None:
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


def now_utc() -> datetime:
    return datetime.now(UTC)


def _time(value: object) -> datetime:
    moment = value if isinstance(value, datetime) else datetime.fromisoformat(str(value))
    return moment if moment.tzinfo else moment.replace(tzinfo=UTC)


def partner_from_values(values: Mapping[str, Any]) -> Partner:
    return Partner(
        partner_id=str(values["partner_id"]),
        name=str(values["name"]),
        language=str(values.get("language", "ru")),
        section=str(values.get("section", "")),
        created_at=_time(values["created_at"]),
    )


def api_key_from_values(values: Mapping[str, Any]) -> ApiKey:
    revoked_at = values.get("revoked_at")
    return ApiKey(
        key_id=str(values["key_id"]),
        partner_id=str(values["partner_id"]),
        role=cast(Role, values["role"]),
        created_at=_time(values["created_at"]),
        revoked_at=_time(revoked_at) if revoked_at else None,
    )


def principal_from_values(values: Mapping[str, Any]) -> Principal:
    return Principal(
        partner_id=str(values["partner_id"]),
        key_id=str(values["key_id"]),
        role=cast(Role, values["role"]),
        language=str(values.get("language", "")),
        section=str(values.get("section", "")),
        name=str(values.get("name", "")),
    )
