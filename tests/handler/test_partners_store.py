"""PartnerStore against the table built from template.yaml (moto)."""

from __future__ import annotations

import json
from typing import Any

import pytest

from newsdesk.partners import (
    ApiKeyNotFound,
    InvalidPartnerProfile,
    PartnerAlreadyExists,
    PartnerNotFound,
    PartnerStore,
    hash_secret,
)

pytestmark = pytest.mark.handler


@pytest.fixture
def store(stack: Any) -> PartnerStore:
    return PartnerStore(stack.table_name)


def scan_all(stack: Any) -> list[dict[str, Any]]:
    paginator = stack.dynamodb.get_paginator("scan")
    return [item for page in paginator.paginate(TableName=stack.table_name) for item in page["Items"]]


def test_added_partner_resolves_with_its_first_key(store: PartnerStore) -> None:
    # When
    partner, secret = store.add_partner("РИА Новости", language="ru", section="defence-industry")

    # Then
    principal = store.resolve(secret)
    assert partner.partner_id == "ria-novosti"
    assert principal is not None
    assert principal.partner_id == "ria-novosti"
    assert principal.role == "partner"
    assert (principal.language, principal.section, principal.name) == (
        "ru",
        "defence-industry",
        "РИА Новости",
    )
    assert [key.key_id for key in store.list_keys("ria-novosti")] == [principal.key_id]


def test_secret_is_never_stored(stack: Any, store: PartnerStore) -> None:
    # Given
    _, first = store.add_partner("Defense News", language="en")
    _, second = store.add_key("defense-news")

    # When
    stored = json.dumps(scan_all(stack), ensure_ascii=False)

    # Then: only hashes are kept
    assert first not in stored and first[3:] not in stored
    assert second not in stored and second[3:] not in stored
    assert hash_secret(first) in stored


def test_lookup_item_carries_what_the_authorizer_needs(stack: Any, store: PartnerStore) -> None:
    # Given
    _, secret = store.add_partner("Oboronka", section="aviation")

    # When
    item = stack.dynamodb.get_item(
        TableName=stack.table_name, Key={"PK": {"S": f"APIKEY#{hash_secret(secret)}"}, "SK": {"S": "APIKEY"}}
    )["Item"]

    # Then
    strings = {name: value["S"] for name, value in item.items() if "S" in value}
    assert (
        strings.items()
        >= {
            "partner_id": "oboronka",
            "role": "partner",
            "language": "ru",
            "section": "aviation",
            "name": "Oboronka",
        }.items()
    )


def test_taken_partner_id_is_refused_and_nothing_is_overwritten(store: PartnerStore) -> None:
    # Given
    _, secret = store.add_partner("TASS", language="ru")

    # When
    with pytest.raises(PartnerAlreadyExists, match="tass"):
        store.add_partner("Tass", language="en")

    # Then
    partners = store.list_partners()
    assert [(p.partner_id, p.name, p.language) for p in partners] == [("tass", "TASS", "ru")]
    assert len(store.list_keys("tass")) == 1
    assert store.resolve(secret) is not None


def test_explicit_partner_id_sidesteps_a_taken_slug(store: PartnerStore) -> None:
    # Given
    store.add_partner("TASS")

    # When
    partner, secret = store.add_partner("TASS English", language="en", partner_id="tass-en")

    # Then
    principal = store.resolve(secret)
    assert partner.partner_id == "tass-en"
    assert principal is not None and principal.language == "en"


@pytest.mark.parametrize(
    ("name", "options"),
    [
        ("   ", {}),
        ("Good Name", {"partner_id": "Bad#Id"}),
        ("Good Name", {"language": "Russian"}),
        ("Good Name", {"section": "Авиация"}),
        ("Good Name", {"role": "admin"}),
    ],
)
def test_invalid_profiles_are_refused(store: PartnerStore, name: str, options: dict[str, Any]) -> None:
    with pytest.raises(InvalidPartnerProfile):
        store.add_partner(name, **options)
    assert store.list_partners() == []


def test_several_keys_per_partner_each_resolve(store: PartnerStore) -> None:
    # Given
    store.add_partner("Interfax")

    # When
    key, secret = store.add_key("interfax")

    # Then
    principal = store.resolve(secret)
    assert principal is not None and principal.key_id == key.key_id
    assert len(store.list_keys("interfax")) == 2


def test_revoked_key_no_longer_resolves_and_others_still_do(store: PartnerStore) -> None:
    # Given
    _, first = store.add_partner("Interfax")
    second_key, second = store.add_key("interfax")

    # When
    revoked = store.revoke_key("interfax", second_key.key_id)

    # Then
    assert revoked.revoked_at is not None
    assert store.resolve(second) is None
    assert store.resolve(first) is not None
    keys = {key.key_id: key for key in store.list_keys("interfax")}
    assert keys[second_key.key_id].revoked_at == revoked.revoked_at
    assert sum(key.active for key in keys.values()) == 1


def test_revoking_twice_changes_nothing(store: PartnerStore) -> None:
    # Given
    store.add_partner("Interfax")
    key = store.list_keys("interfax")[0]
    first = store.revoke_key("interfax", key.key_id)

    # When
    second = store.revoke_key("interfax", key.key_id)

    # Then
    assert second == first


def test_unknown_partner_and_key_are_reported(store: PartnerStore) -> None:
    # Given
    store.add_partner("Interfax")

    # Then
    with pytest.raises(PartnerNotFound):
        store.add_key("nobody")
    with pytest.raises(PartnerNotFound):
        store.list_keys("nobody")
    with pytest.raises(ApiKeyNotFound):
        store.revoke_key("interfax", "k_0000000000")


def test_site_role_applies_to_the_first_key(store: PartnerStore) -> None:
    # When
    _, secret = store.add_partner("Website comments", language="ru", role="site")

    # Then
    principal = store.resolve(secret)
    assert principal is not None and principal.role == "site"
    assert [key.role for key in store.list_keys("website-comments")] == ["site"]


def test_unknown_and_malformed_secrets_resolve_to_none(store: PartnerStore) -> None:
    # Given
    _, secret = store.add_partner("Interfax")

    # Then
    assert store.resolve(secret[:-1] + ("A" if secret[-1] != "A" else "B")) is None
    assert store.resolve("") is None
    assert store.resolve("not a key") is None


def test_partners_are_listed_with_their_profiles(store: PartnerStore) -> None:
    # Given
    store.add_partner("Zvezda", section="army")
    store.add_partner("Aftenposten", language="nb")

    # When
    partners = store.list_partners()

    # Then
    assert [(p.partner_id, p.language, p.section) for p in partners] == [
        ("aftenposten", "nb", ""),
        ("zvezda", "ru", "army"),
    ]
