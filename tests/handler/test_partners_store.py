"""PartnerStore against the table built from template.yaml (moto)."""

from __future__ import annotations

import json
from typing import Any

import pytest

from newsdesk.dal.partners import PartnerStore
from newsdesk.partners import (
    ApiKeyNotFound,
    InvalidPartnerProfile,
    PartnerAlreadyExists,
    PartnerNotFound,
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


# --- No transactions: every crash point leaves nothing usable, and a retry converges ---------------


def _fail_call(stack: Any, operation: str, occurrence: int) -> Any:
    """A store whose ``occurrence``-th call of ``operation`` fails before it reaches DynamoDB."""
    from botocore.exceptions import ClientError

    client = stack.dynamodb
    seen = {"calls": 0}

    def fail(**_: Any) -> None:
        seen["calls"] += 1
        if seen["calls"] == occurrence:
            raise ClientError({"Error": {"Code": "ServiceUnavailable", "Message": "injected"}}, operation)

    client.meta.events.register(f"before-call.dynamodb.{operation}", fail)
    return PartnerStore(stack.table_name, client=client)


def _partner_items(stack: Any) -> list[dict[str, Any]]:
    return [item for item in scan_all(stack) if item["PK"]["S"].startswith(("PARTNER", "APIKEY#"))]


@pytest.mark.parametrize("occurrence", [1, 2, 3])
def test_a_crash_while_adding_a_partner_leaves_no_usable_key_and_the_retry_succeeds(
    stack: Any, occurrence: int
) -> None:
    # Given the lookup, key or directory write of add_partner fails (the operator sees an error, no secret)
    failing = _fail_call(stack, "PutItem", occurrence)
    with pytest.raises(Exception, match="injected"):
        failing.add_partner("Krasnaya Zvezda", "ru", "defence-industry")
    # Then no partner exists, so nobody can be authenticated as one
    store = PartnerStore(stack.table_name)
    assert store.get_partner("krasnaya-zvezda") is None
    # When the operator runs the command again
    partner, secret = store.add_partner("Krasnaya Zvezda", "ru", "defence-industry")
    # Then the partner exists once, with one key that resolves
    resolved = store.resolve(secret)
    assert resolved is not None and resolved.partner_id == partner.partner_id
    assert [key.key_id for key in store.list_keys(partner.partner_id)] == [resolved.key_id]


def test_a_clash_on_the_partner_id_removes_the_key_items_it_wrote(stack: Any, store: PartnerStore) -> None:
    store.add_partner("Oboronka Daily")
    before = _partner_items(stack)
    with pytest.raises(PartnerAlreadyExists):
        store.add_partner("Oboronka Daily")
    assert _partner_items(stack) == before


def test_a_crash_between_the_two_writes_of_a_revocation_is_finished_by_revoking_again(stack: Any) -> None:
    store = PartnerStore(stack.table_name)
    partner, secret = store.add_partner("Oboronka Daily")
    key_id = store.list_keys(partner.partner_id)[0].key_id
    # Given the lookup item is deleted but marking the key revoked fails
    failing = _fail_call(stack, "UpdateItem", 1)
    with pytest.raises(Exception, match="injected"):
        failing.revoke_key(partner.partner_id, key_id)
    # Then the key already stops working
    assert store.resolve(secret) is None
    # And revoking again completes the record
    revoked = store.revoke_key(partner.partner_id, key_id)
    assert revoked.revoked_at is not None and not store.list_keys(partner.partner_id)[0].active
