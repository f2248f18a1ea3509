"""The agency fields of a ninjs document (issue 9, "Every agency's stories, no field lost"), and the
warnings that say what of a document Newsdesk does not publish.

Every top-level field of ninjs 2.2, 3.0 and 3.1 either reaches the article (its snapshot, or for
the few that only steer how a story is handled, the stored article of ``GET``) or produces a
warning in the response: :data:`FIELD_USE` says which, and tests/unit/test_ninjs_field_coverage.py
walks the IPTC schemas to hold the code to it. Within the fields that are published, what is left
out (an entry without a name, entries over what a page shows, a source link that is not a link, an
association that is not a picture) is reported too.

This module reads the document under the 2.x names (``v3`` renames a 3.x one); each warning is a
JSON pointer and a text, and the caller shows the pointer in the names the partner sent.
"""

from __future__ import annotations

from dataclasses import dataclass, field

from newsdesk.models import AltId, Mention
from newsdesk.ninjs.fields import JSONObject, http_url, identifier, objects_in, plain_of, text_of, unique
from newsdesk.ninjs.limits import (
    SHOWN_ALTID_CHARS,
    SHOWN_ALTIDS,
    SHOWN_EVENTS,
    SHOWN_GENRES,
    SHOWN_MENTIONS_PER_GROUP,
    SHOWN_SOURCES,
)
from newsdesk.ninjs.report import pointer_to

# How Newsdesk uses each top-level ninjs field (lower-cased 2.x names; 3.x names fold onto them:
# altIds, infoSources, ..., and embargoedUntil is embargoed). "snapshot": shown on the article page;
# "handling": decides the story's identity, revision, state or section and is kept with the stored
# article; "warning": not published, kept in the archive, and named in the response's warnings.
FIELD_USE: dict[str, str] = {
    "uri": "handling",
    "type": "handling",
    "standard": "handling",
    "version": "handling",
    "versioncreated": "handling",
    "firstcreated": "handling",
    "pubstatus": "handling",
    "embargoed": "handling",
    "expires": "handling",
    "language": "snapshot",
    "headlines": "snapshot",
    "bodies": "snapshot",
    "descriptions": "snapshot",
    "by": "snapshot",
    "copyrightholder": "snapshot",
    "copyrightnotice": "snapshot",
    "usageterms": "snapshot",
    "rightsinfo": "snapshot",
    "associations": "snapshot",
    "infosources": "snapshot",
    "organisations": "snapshot",
    "people": "snapshot",
    "places": "snapshot",
    "objects": "snapshot",
    "subjects": "snapshot",
    "genres": "snapshot",
    "events": "snapshot",
    "located": "snapshot",
    "altids": "snapshot",
    # For the receiving newsroom (IPTC: "not intended to be published"): stored with the article
    # (GET shows it), never in a public snapshot, and the response says so.
    "ednote": "warning",
    "slugline": "warning",
    "urgency": "warning",
    "profile": "warning",
    "title": "warning",
    "representationtype": "warning",
    "contentcreated": "warning",
    "digitalsourcetype": "warning",
    "trustindicators": "warning",
    "renditions": "warning",
    # ninjs 3.x only; newsdesk.ninjs.v3 reports them (NOT_READ_YET).
    "eventdetails": "warning",
    "plannedcoverage": "warning",
}
# The 3.x name whose lower case is not its 2.x name.
FOLDED_NAMES = {"embargoeduntil": "embargoed"}
# Reported by newsdesk.ninjs.v3 already.
_REPORTED_BY_V3 = frozenset({"eventdetails", "plannedcoverage"})
_NOT_PUBLISHED = frozenset(name for name, use in FIELD_USE.items() if use == "warning") - {"ednote"} - _REPORTED_BY_V3
# Mention groups, by field, with how many entries a page shows.
_GROUPS = {
    "organisations": SHOWN_MENTIONS_PER_GROUP,
    "people": SHOWN_MENTIONS_PER_GROUP,
    "places": SHOWN_MENTIONS_PER_GROUP,
    "objects": SHOWN_MENTIONS_PER_GROUP,
    "subjects": SHOWN_MENTIONS_PER_GROUP,
    "events": SHOWN_EVENTS,
    "genres": SHOWN_GENRES,
}
# contactinfo entries whose value is the party's web address.
_WEB_CONTACT_TYPES = frozenset({"web", "url", "website", "homepage", "link"})

Warning = tuple[str, str]  # (JSON pointer in 2.x names, what happened)


@dataclass
class AgencyFields:
    located: str = ""
    events: list[Mention] = field(default_factory=list)
    genres: list[Mention] = field(default_factory=list)
    altids: list[AltId] = field(default_factory=list)
    source_url: str = ""
    ednote: str = ""
    warnings: list[Warning] = field(default_factory=list)


def mentions_of(document: JSONObject, key: str) -> list[Mention]:
    """The distinct (name, uri) entries of a mention group, in order; entries without a name are skipped."""
    found: dict[tuple[str, str], Mention] = {}
    for _, entry in objects_in(document, key):
        name = plain_of(entry, "name")
        if name:
            mention = Mention(name=name, uri=identifier(text_of(entry, "uri")))
            found.setdefault((mention.name, mention.uri), mention)
    return list(found.values())


def agency_fields(document: JSONObject) -> AgencyFields:
    """located, events, genres, altids, the source's link and the editorial note, with the warnings
    for every part of the document that no page shows."""
    read = AgencyFields(
        located=plain_of(document, "located"),
        events=mentions_of(document, "events"),
        genres=mentions_of(document, "genres"),
        altids=_altids(document),
        ednote=plain_of(document, "ednote"),
    )
    read.source_url = _source_url(document, read.warnings)
    read.warnings.extend(_not_published(document))
    read.warnings.extend(_group_warnings(document))
    read.warnings.extend(_altid_warnings(document, len(read.altids)))
    read.warnings.extend(_association_warnings(document))
    return read


def _altids(document: JSONObject) -> list[AltId]:
    found = [
        AltId(role=plain_of(entry, "role"), value=value)
        for _, entry in objects_in(document, "altids")
        if (value := plain_of(entry, "value")) and len(value) <= SHOWN_ALTID_CHARS
    ]
    return list(dict.fromkeys(found))


def _source_url(document: JSONObject, warnings: list[Warning]) -> str:
    """The first http(s) link of the sources: an ``infosources`` uri, else a web address among its
    ``contactinfo``. Every other link-like value of a source is reported, not published."""
    chosen = ""
    for index, source in objects_in(document, "infosources"):
        candidates = [(pointer_to("infosources", index, "uri"), text_of(source, "uri"))]
        for contact_index, contact in objects_in(source, "contactinfo"):
            value = text_of(contact, "value")
            kind = (text_of(contact, "type") or "").strip().lower()
            if value is not None and (kind in _WEB_CONTACT_TYPES or value.strip().lower().startswith("http")):
                candidates.append((pointer_to("infosources", index, "contactinfo", contact_index, "value"), value))
        for pointer, value in candidates:
            if value is None or not value.strip():
                continue
            link = http_url(value)
            if not link:
                warnings.append((pointer, "is not an http(s) link we publish; not shown"))
            elif not chosen:
                chosen = link
            elif link != chosen:
                warnings.append((pointer, "is not shown: an article shows the first source's link only"))
    return chosen


def _not_published(document: JSONObject) -> list[Warning]:
    found = [
        (pointer_to(name), "is not published by Newsdesk; kept in the archive")
        for name in document
        if name.lower() in _NOT_PUBLISHED
    ]
    if plain_of(document, "ednote"):
        found.append(
            (pointer_to("ednote"), "is a note for the receiving newsroom: kept with the article (GET), never published")
        )
    return found


def _group_warnings(document: JSONObject) -> list[Warning]:
    found: list[Warning] = []
    for key, shown in _GROUPS.items():
        nameless = [index for index, entry in objects_in(document, key) if not plain_of(entry, "name")]
        if nameless:
            first = pointer_to(key, nameless[0])
            more = f" (and {len(nameless) - 1} more)" if len(nameless) > 1 else ""
            found.append((first, f"has no name, so no page shows it{more}"))
        if len(mentions_of(document, key)) > shown:
            found.append(
                (pointer_to(key), f"has more distinct entries than a page shows: only the first {shown} are published")
            )
    sources = unique([plain_of(source, "name") for _, source in objects_in(document, "infosources")])
    if len(sources) > SHOWN_SOURCES:
        found.append((pointer_to("infosources"), f"only the first {SHOWN_SOURCES} sources' names are published"))
    return found


def _altid_warnings(document: JSONObject, kept: int) -> list[Warning]:
    found: list[Warning] = []
    for index, entry in objects_in(document, "altids"):
        value = plain_of(entry, "value")
        if len(value) > SHOWN_ALTID_CHARS:
            found.append(
                (pointer_to("altids", index, "value"), f"is over {SHOWN_ALTID_CHARS} characters; not published")
            )
    if kept > SHOWN_ALTIDS:
        found.append((pointer_to("altids"), f"only the first {SHOWN_ALTIDS} are published"))
    return found


def _association_warnings(document: JSONObject) -> list[Warning]:
    """Associations that are not pictures (video, audio, graphic, text...) are not published."""
    found: list[Warning] = []
    for index, association in objects_in(document, "associations"):
        kind = (text_of(association, "type") or "").strip().lower()
        if kind != "picture":
            shown = f"of type {kind[:40]}" if kind else "without a type"
            found.append((pointer_to("associations", index), f"is an association {shown}: only pictures are published"))
    return found
