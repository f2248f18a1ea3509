"""Which ninjs a document is (2.x or 3.x), and reading a 3.x document with the one profile.

ninjs 3.0 renamed the fields to camelCase (``pubStatus``, ``versionCreated``, ``embargoedUntil``,
``contentType``, ...). Read as 2.2, a 3.x document's ``pubStatus: "withheld"`` was an unknown field
and the story went live (issue 8). So the version is decided first, from ``standard.version``, then
``standard.schema`` or ``$schema``, then the field names; the document is checked against its own
schema; and a 3.x document reaches the profile (:mod:`.normalize`) under the 2.x names it reads,
with every pointer it reports translated back to the names the partner sent.

Fields that decide whether a story may be shown are never skipped as "unknown": a 2.x document
carrying the 3.x ``pubStatus`` or ``embargoedUntil`` (or the reverse) is refused, not guessed.
"""

from __future__ import annotations

import re
import unicodedata
from dataclasses import dataclass, field

from newsdesk.errors import FieldError
from newsdesk.ninjs.fields import JSONObject, text_of
from newsdesk.ninjs.report import pointer_to

V2 = "2.2"
V3_0 = "3.0"
V3_1 = "3.1"

# The 3.x names the profile reads, and their 2.x spelling (every level of the document: contentType
# is a field of headlines, bodies, descriptions and renditions; linkedRights of rightsInfo).
V3_TO_V2_NAMES = {
    "pubStatus": "pubstatus",
    "versionCreated": "versioncreated",
    "firstCreated": "firstcreated",
    "embargoedUntil": "embargoed",
    "copyrightHolder": "copyrightholder",
    "copyrightNotice": "copyrightnotice",
    "usageTerms": "usageterms",
    "rightsInfo": "rightsinfo",
    "linkedRights": "linkedrights",
    "infoSources": "infosources",
    "contentType": "contenttype",
    "contactInfo": "contactinfo",
    "altIds": "altids",
    "edNote": "ednote",
}
_V2_TO_V3_NAMES = {v2: v3 for v3, v2 in V3_TO_V2_NAMES.items()}
# Top-level names only one major version has: with no stated version, these tell which it is.
V3_ONLY_NAMES = frozenset(
    {
        *(name for name in V3_TO_V2_NAMES if name not in ("linkedRights", "contentType", "contactInfo")),
        "contentCreated",
        "representationType",
        "trustIndicators",
        "digitalSourceType",
        "eventDetails",
        "plannedCoverage",
    }
)
# Fields that hold a story back, in each spelling: never an ignorable unknown field in the other version.
HOLDING_BACK = {"pubStatus": "pubstatus", "embargoedUntil": "embargoed"}
# The same fields as a partner may misspell them ("PubStatus", "embargoed_until", "pubStatus " from a
# template, "Expires", "embargo"): a name folded to its letters and digits (NFKC, case-folded, so
# spaces, dots, "_", "-", zero-width and fullwidth characters go) that is one of these is refused
# rather than kept as an unknown field, since the partner meant to hold the story back (the exact
# names of the other version have their own message).
_HOLDING_BACK_FOLDED = frozenset({"pubstatus", "embargoed", "embargoeduntil", "embargo", "expires"})
_HOLDING_BACK_NAMES = {
    V2: frozenset({"pubstatus", "embargoed", "expires"}),
    V3_1: frozenset({*HOLDING_BACK, "expires"}),
}
# 3.x fields with no 2.x counterpart that Newsdesk does not read yet (kept in the archive, reported).
NOT_READ_YET = ("eventDetails", "plannedCoverage")
# Values that are not ninjs (places[].geoJSON is GeoJSON): copied, never renamed.
_NOT_NINJS = frozenset({"geoJSON"})

_VERSION = re.compile(r"\s*(\d+)(?:\.(\d+))?(?:\.\d+)*\s*")
_SCHEMA_VERSION = re.compile(r"ninjs-schema_(\d+)\.(\d+)")
ACCEPTED = "ninjs 2.x, 3.0 and 3.1"


@dataclass
class Reading:
    """How to read one document: the schema to check it against and the document the profile reads."""

    schema: str
    document: JSONObject
    errors: list[FieldError] = field(default_factory=list)
    warnings: list[str] = field(default_factory=list)

    @property
    def is_v3(self) -> bool:
        return self.schema != V2

    def as_sent(self, errors: list[FieldError]) -> list[FieldError]:
        """The profile's errors with pointers in the partner's names (3.x names for a 3.x document)."""
        if not self.is_v3:
            return errors
        return [FieldError(pointer=sent_pointer(error.pointer), message=error.message) for error in errors]


def sent_pointer(pointer: str) -> str:
    """A pointer into the renamed document, in the names of the 3.x document it came from."""
    if not pointer:
        return pointer
    return "/".join(_V2_TO_V3_NAMES.get(part, part) for part in pointer.split("/"))


def reading_of(document: JSONObject) -> Reading:
    """Decide the document's ninjs version and prepare it for the profile."""
    errors: list[FieldError] = []
    warnings: list[str] = []
    schema = _stated_schema(document, errors, warnings)
    if schema is None:
        names = document.keys()
        # No version stated: 3.x field names (and none of the 2.x ones the profile reads) say 3.x.
        says_v3 = bool(V3_ONLY_NAMES & names) and not (set(_V2_TO_V3_NAMES) & names)
        schema = V3_1 if says_v3 else V2
    errors.extend(_misspelt_holding_back(document, schema))
    if schema == V2:
        for v3_name, v2_name in HOLDING_BACK.items():
            if v3_name in document:
                errors.append(
                    FieldError(
                        pointer=pointer_to(v3_name),
                        message=f"is the ninjs 3.x name of '{v2_name}', and this document is read as ninjs 2.x; "
                        f"send '{v2_name}', or state standard.version 3.1 for a 3.x document",
                    )
                )
        return Reading(schema=V2, document=document, errors=errors, warnings=warnings)
    for v3_name, v2_name in HOLDING_BACK.items():
        if v2_name in document:
            errors.append(
                FieldError(
                    pointer=pointer_to(v2_name),
                    message=f"is the ninjs 2.x name of '{v3_name}', and this document is ninjs 3.x; send '{v3_name}'",
                )
            )
    warnings.extend(
        f"ninjs 3.x field {pointer_to(name)} is not read by Newsdesk yet; kept in the archive"
        for name in NOT_READ_YET
        if name in document
    )
    return Reading(schema=schema, document=_renamed_object(document), errors=errors, warnings=warnings)


def _misspelt_holding_back(document: JSONObject, schema: str) -> list[FieldError]:
    """Top-level names that fold to a field holding a story back but are spelt as neither version does."""
    expected = _HOLDING_BACK_NAMES[V2 if schema == V2 else V3_1]
    other_version = frozenset({*HOLDING_BACK, *HOLDING_BACK.values()}) - expected  # reported by reading_of
    return [
        FieldError(
            pointer=pointer_to(name),
            message="looks like a field that holds the story back, spelt as ninjs does not spell it; send "
            + ", ".join(f"'{spelling}'" for spelling in sorted(expected)),
        )
        for name in document
        if name not in expected and name not in other_version and _folded(name) in _HOLDING_BACK_FOLDED
    ]


def _folded(name: str) -> str:
    return "".join(character for character in unicodedata.normalize("NFKC", name).casefold() if character.isalnum())


def _stated_schema(document: JSONObject, errors: list[FieldError], warnings: list[str]) -> str | None:
    """The schema the document states by ``standard.version``, ``standard.schema`` or ``$schema``."""
    standard = document.get("standard")
    stated: list[tuple[str, str, tuple[int, int]]] = []  # (pointer, text, (major, minor))
    version = text_of(standard, "version")
    if version is not None:
        match = _VERSION.fullmatch(version)
        if match is not None:
            stated.append(("/standard/version", version, (int(match[1]), int(match[2] or 0))))
    for pointer, uri in (("/standard/schema", text_of(standard, "schema")), ("/$schema", text_of(document, "$schema"))):
        found = _SCHEMA_VERSION.search(uri) if uri is not None else None
        if found is not None:
            stated.append((pointer, uri or "", (int(found[1]), int(found[2]))))
    if not stated:
        return None
    pointer, text, (major, minor) = stated[0]
    if major not in (1, 2, 3):
        errors.append(
            FieldError(pointer=pointer, message=f"Newsdesk reads {ACCEPTED}; this document states '{text[:40]}'")
        )
        return V2
    family = 3 if major == 3 else 2
    for other_pointer, _, (other_major, _) in stated[1:]:
        if (3 if other_major == 3 else 2) != family:
            errors.append(
                FieldError(pointer=other_pointer, message=f"states another ninjs version than {pointer} does")
            )
    if family == 2:
        return V2
    if minor == 0:
        return V3_0
    if minor > 1:
        warnings.append(f"ninjs 3.{minor} is read as ninjs 3.1: fields 3.1 does not have are not read")
    return V3_1


def _renamed_object(value: JSONObject) -> JSONObject:
    """An object under the 2.x names the profile reads; 2.x spellings it carried are dropped, so
    that only the 3.x field is ever read (the schema check reports them as unknown fields)."""
    return {
        V3_TO_V2_NAMES.get(name, name): item if name in _NOT_NINJS else _renamed(item)
        for name, item in value.items()
        if name not in _V2_TO_V3_NAMES
    }


def _renamed(value: object) -> object:
    if isinstance(value, list):
        return [_renamed(item) for item in value]
    return _renamed_object(value) if isinstance(value, dict) else value
