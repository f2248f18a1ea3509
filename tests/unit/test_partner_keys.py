"""Partner keys and ids: generation, hashing, slugs, and the authorizer context round trip."""

from __future__ import annotations

import hashlib
import re

import pytest

from newsdesk.partners import (
    Principal,
    derive_partner_id,
    generate_secret,
    hash_secret,
    is_valid_partner_id,
    looks_like_secret,
    new_key_id,
    slugify,
)

pytestmark = pytest.mark.unit


def test_secret_is_prefixed_url_safe_and_long() -> None:
    # When
    secret = generate_secret()

    # Then: 32 random bytes in URL-safe base64 without padding are 43 characters
    assert re.fullmatch(r"nd_[A-Za-z0-9_-]{43}", secret)
    assert looks_like_secret(secret)


def test_secrets_do_not_repeat() -> None:
    # When
    secrets = {generate_secret() for _ in range(200)}

    # Then
    assert len(secrets) == 200


def test_hash_is_sha256_hex_of_the_secret() -> None:
    # Given
    secret = generate_secret()

    # When
    digest = hash_secret(secret)

    # Then
    assert digest == hashlib.sha256(secret.encode()).hexdigest()
    assert re.fullmatch(r"[0-9a-f]{64}", digest)
    assert secret not in digest


@pytest.mark.parametrize(
    "candidate",
    [
        "",
        "nd_",
        "nd_short",
        "Bearer nd_" + "a" * 43,
        "xx_" + "a" * 43,
        "nd_" + "a" * 42 + "!",
        "nd_" + "a" * 200,
    ],
)
def test_junk_does_not_look_like_a_secret(candidate: str) -> None:
    assert not looks_like_secret(candidate)


def test_key_id_is_short_and_random() -> None:
    # When
    key_ids = {new_key_id() for _ in range(50)}

    # Then
    assert all(re.fullmatch(r"k_[0-9a-f]{10}", key_id) for key_id in key_ids)
    assert len(key_ids) == 50


@pytest.mark.parametrize(
    ("name", "slug"),
    [
        ("РИА Новости", "ria-novosti"),
        ("ТАСС", "tass"),
        ("Военно-промышленный курьер", "voenno-promyshlennyy-kurer"),
        ("Interfax-Ukraine", "interfax-ukraine"),
        ("Göteborgs-Posten", "goteborgs-posten"),
        ("Süddeutsche Zeitung", "suddeutsche-zeitung"),
        ("Straßenbahn & Co.", "strassenbahn-co"),
        ("Aftenposten Ø", "aftenposten-o"),
        ("  Defense News (US)  ", "defense-news-us"),
        ("Укрінформ", "ukrinform"),
    ],
)
def test_slug_transliterates_and_simplifies(name: str, slug: str) -> None:
    assert slugify(name) == slug
    assert is_valid_partner_id(slug)


def test_slug_is_bounded_and_never_ends_with_a_hyphen() -> None:
    # Given: a name whose 48th character falls right after a word
    name = "a" * 47 + " tail of a very long outlet name"

    # When
    slug = slugify(name)

    # Then
    assert slug == "a" * 47
    assert is_valid_partner_id(slug)


def test_name_without_latin_or_cyrillic_letters_gets_a_random_id() -> None:
    # When
    first, second = derive_partner_id("新华社"), derive_partner_id("新华社")

    # Then
    assert re.fullmatch(r"partner-[0-9a-f]{6}", first)
    assert first != second


@pytest.mark.parametrize("partner_id", ["", "Upper", "a--b", "-a", "a-", "a#b", "a/b", "x" * 49])
def test_invalid_partner_ids_are_refused(partner_id: str) -> None:
    assert not is_valid_partner_id(partner_id)


def test_principal_survives_the_authorizer_context() -> None:
    # Given
    principal = Principal(
        partner_id="ria-novosti",
        key_id="k_0123456789",
        role="partner",
        language="ru",
        section="defence-industry",
        name="РИА Новости",
    )

    # When
    context = principal.to_authorizer_context()

    # Then: flat strings only, as API Gateway requires, and the same principal back
    assert set(context) == {"partner_id", "key_id", "role", "language", "section", "partner_name"}
    assert all(isinstance(value, str) for value in context.values())
    assert Principal.from_authorizer_context(context) == principal


@pytest.mark.parametrize(
    "context",
    [
        None,
        {},
        {"anonymous": "true"},
        {"anonymous": "true", "auth_unavailable": "true"},
        {
            "partner_id": "x",
            "key_id": "k_1",
            "role": "admin",
            "language": "ru",
            "section": "",
            "partner_name": "X",
        },
        {
            "partner_id": "",
            "key_id": "k_1",
            "role": "partner",
            "language": "ru",
            "section": "",
            "partner_name": "X",
        },
    ],
)
def test_anonymous_or_unexpected_context_is_no_principal(context: dict[str, str] | None) -> None:
    assert Principal.from_authorizer_context(context) is None
