"""The canonical hash of a document, so that byte-different but equivalent documents match."""

from __future__ import annotations

import hashlib
import json
import unicodedata


def canonical_hash(document: object) -> str:
    """SHA-256 (hex) of the document in canonical JSON, so byte-different but equivalent documents match.

    Canonical means: keys sorted, no insignificant whitespace, non-ASCII as is, every string NFC.
    """
    return _sha256_hex(_canonical_json(_nfc_everywhere(document)))


def canonical_hash_of_json(document: dict[str, object]) -> str:
    """:func:`canonical_hash` of a document known to hold only JSON values (string keys included).

    Usually every string is NFC already, and one check of the serialized text shows it: if the text
    is NFC, so is every string in it, since the quotes around a string never combine with anything
    and the characters JSON escapes (quote, backslash, controls) never take part in a composition.
    Normalizing each string would then change nothing, so the text is already the canonical one.
    """
    text = _canonical_json(document)
    if unicodedata.is_normalized("NFC", text):
        return _sha256_hex(text)
    # Some string needs normalizing, or an escape's letter combines with a mark after it (a newline,
    # written backslash-n, then U+0303): normalize string by string, as canonical_hash does.
    return canonical_hash(document)


def _canonical_json(value: object) -> str:
    return json.dumps(value, sort_keys=True, ensure_ascii=False, separators=(",", ":"), allow_nan=False)


def _sha256_hex(text: str) -> str:
    return hashlib.sha256(text.encode("utf-8")).hexdigest()


def _nfc_everywhere(value: object) -> object:
    if isinstance(value, str):
        return unicodedata.normalize("NFC", value)
    if isinstance(value, dict):
        return {unicodedata.normalize("NFC", str(key)): _nfc_everywhere(item) for key, item in value.items()}
    if isinstance(value, list):
        return [_nfc_everywhere(item) for item in value]
    return value
