"""Our profile of ninjs: what Newsdesk requires beyond the schema, and the normalized article.

:class:`Normalizer` reads a document that has passed the hygiene check but maybe not the schema,
so every accessor checks types; problems are collected, never raised.
"""

from __future__ import annotations

import re
import unicodedata
from dataclasses import dataclass, field
from datetime import datetime

from newsdesk.errors import FieldError
from newsdesk.models import ArticleContent, LeadImage, Mention, Mentions, PubStatus, Rights
from newsdesk.ninjs.agency import agency_fields, mentions_of
from newsdesk.ninjs.fields import (
    JSONObject,
    dimension,
    http_url,
    identifier,
    json_text_bytes,
    media_type,
    objects_in,
    parse_date_time,
    plain_of,
    role_of,
    shorten,
    text_of,
    unique,
)
from newsdesk.ninjs.limits import MAX_BODY_HTML_JSON_BYTES
from newsdesk.ninjs.report import pointer_to
from newsdesk.sanitize import has_text, paragraphs_from_text, plain_text, sanitize_html

MAX_URI_LENGTH = 1024
# Limits of what the article's record (a DynamoDB item, 400 KB at most) and its list entries carry,
# checked here, before anything is written (docs/api.md, "Limits"); the body has the request's 1 MiB.
MAX_HEADLINE_CHARS = 1000
MAX_VERSION_CHARS = 100
MAX_LANGUAGE_CHARS = 35
MAIN_HEADLINE_ROLE = "main"
SUBHEADLINE_ROLES = frozenset({"sub", "subhead", "subheadline", "subtitle"})
LEAD_DESCRIPTION_ROLES = frozenset({"summary", "abstract", "lead"})
CAPTION_DESCRIPTION_ROLES = frozenset({"caption", "description", "summary"})
PREFERRED_RENDITION_NAMES = ("baseimage", "original")
MAIN_BODY_ROLES = frozenset({"", "main", "body", "full"})
HTML_CONTENT_TYPES = frozenset({"text/html", "application/xhtml+xml"})
PLAIN_CONTENT_TYPE = "text/plain"
# "composite" is text with pictures (IPTC's own examples): read as the text story it carries.
ACCEPTED_TYPES = frozenset({"text", "composite"})
# A brief (NTB) carries its whole text as a description of this role and no body.
TEXT_DESCRIPTION_ROLE = "text"

_LANGUAGE_TAG = re.compile(r"[A-Za-z]{2,3}(?:-[A-Za-z0-9]{1,8})*")
# \s matches exactly the characters str.isspace() accepts; Cc is U+0000-001F and U+007F-009F.
_SPACE_OR_CONTROL = re.compile("[\\s\x00-\x1f\x7f-\x9f]")
_PUBSTATUS_BY_VALUE = {status.value: status for status in PubStatus}
_FIRST_PARAGRAPH = re.compile(r"<p>(.*?)</p>", re.DOTALL)
_MARKUP = re.compile(r"<[A-Za-z!/]")
# The sanitized body's first element, when it is a heading or a paragraph (the cleaner leaves
# these without attributes, and never nests one in another of its kind).
_FIRST_ELEMENT = re.compile(r"\s*<(h2|h3|h4|p)>(.*?)</\1>", re.DOTALL)


@dataclass
class Normalizer:
    """Applies our profile to a document whose shape may still be wrong anywhere: every accessor
    checks types, and problems are collected in ``errors`` instead of raised."""

    document: JSONObject
    default_language: str
    errors: list[FieldError] = field(default_factory=list)
    warnings: list[str] = field(default_factory=list)
    # (pointer, text) pairs from newsdesk.ninjs.agency: the caller shows the pointer as the partner sent it.
    agency_warnings: list[tuple[str, str]] = field(default_factory=list)

    def fail(self, pointer: str, message: str) -> None:
        self.errors.append(FieldError(pointer=pointer, message=message))

    def article(self) -> ArticleContent | None:
        uri = self.uri()
        self.item_type()
        pubstatus = self.pubstatus()
        language = self.language()
        headline, subheadline = self.headlines()
        body_html = self.body(headline)
        dates = {name: self.date_time(name) for name in ("versioncreated", "firstcreated", "embargoed", "expires")}
        if self.errors or uri is None or headline is None or body_html is None:
            return None
        agency = agency_fields(self.document)
        self.agency_warnings = agency.warnings
        return ArticleContent(
            uri=uri,
            headline=headline,
            subheadline=subheadline,
            lead=self.lead(body_html),
            body_html=body_html,
            byline=plain_of(self.document, "by"),
            language=language,
            pubstatus=pubstatus,
            version=self.version(),
            versioncreated=dates["versioncreated"],
            firstcreated=dates["firstcreated"],
            embargoed=dates["embargoed"],
            expires=dates["expires"],
            sources=unique([plain_of(source, "name") for _, source in objects_in(self.document, "infosources")]),
            rights=self.rights(),
            lead_image=self.lead_image(),
            mentions=self.mentions(),
            section_hints=self.section_hints(),
            located=agency.located,
            events=agency.events,
            genres=agency.genres,
            altids=agency.altids,
            source_url=agency.source_url,
            ednote=agency.ednote,
        )

    def uri(self) -> str | None:
        value = self.document.get("uri")
        if "uri" not in self.document:
            self.fail("/uri", "is required: the partner's stable id for this story")
            return None
        if not isinstance(value, str) or not value.strip():
            self.fail("/uri", "must be a non-empty string: the partner's stable id for this story")
            return None
        uri = unicodedata.normalize("NFC", value.strip())
        if len(uri) > MAX_URI_LENGTH:
            self.fail("/uri", f"must be at most {MAX_URI_LENGTH} characters")
            return None
        if _SPACE_OR_CONTROL.search(uri):
            self.fail("/uri", "must not contain spaces or control characters")
            return None
        return uri

    def item_type(self) -> None:
        if "type" not in self.document:
            return
        value = self.document["type"]
        # A JSON object or array is not hashable: test the type before the set.
        if not isinstance(value, str) or value not in ACCEPTED_TYPES:
            shown = f'"{value[:40]}"' if isinstance(value, str) else "a non-string value"
            self.fail(
                "/type",
                'Newsdesk accepts only text items: type must be "text", "composite" (text with pictures) '
                f"or absent, and this one is {shown}",
            )

    def pubstatus(self) -> PubStatus:
        value = self.document.get("pubstatus", PubStatus.USABLE.value)
        status = _PUBSTATUS_BY_VALUE.get(value) if isinstance(value, str) else None
        if status is not None:
            return status
        self.fail("/pubstatus", "must be one of: " + ", ".join(status.value for status in PubStatus))
        return PubStatus.USABLE

    def language(self) -> str:
        if "language" not in self.document:
            return self.default_language
        value = self.document["language"]
        if not isinstance(value, str):
            self.fail("/language", "must be a BCP 47 language tag such as ru or en-GB")
            return self.default_language
        tag = value.strip().replace("_", "-")
        if not tag:
            return self.default_language
        if len(tag) > MAX_LANGUAGE_CHARS or not _LANGUAGE_TAG.fullmatch(tag):
            self.fail("/language", "must be a BCP 47 language tag such as ru or en-GB")
        return tag

    def headlines(self) -> tuple[str | None, str]:
        entries = objects_in(self.document, "headlines")
        if not entries:
            hint = " (ninjs 1.x 'headline' is not read)" if "headline" in self.document else ""
            self.fail(
                "/headlines",
                f'a main headline is required: headlines[] with role "main" or a first entry{hint}',
            )
            return None, ""
        main_index, main = next(
            ((index, entry) for index, entry in entries if role_of(entry) == MAIN_HEADLINE_ROLE), entries[0]
        )
        headline = plain_of(main, "value")
        if not headline:
            if isinstance(main.get("value"), str):
                self.fail(pointer_to("headlines", main_index, "value"), "the main headline is empty without markup")
            return None, ""
        if len(headline) > MAX_HEADLINE_CHARS:
            self.fail(
                pointer_to("headlines", main_index, "value"),
                f"the main headline must be at most {MAX_HEADLINE_CHARS:,} characters without markup "
                f"(it has {len(headline):,})",
            )
            return None, ""
        subheadline = next(
            (
                text
                for index, entry in entries
                if index != main_index and role_of(entry) in SUBHEADLINE_ROLES
                if (text := plain_of(entry, "value"))
            ),
            "",
        )
        # A subheadline is shown, not stored on the record: a long one is shortened, not refused.
        return headline, shorten(subheadline, MAX_HEADLINE_CHARS)

    def body(self, headline: str | None) -> str | None:
        candidates: list[tuple[tuple[int, int, int], bool, str]] = []
        for index, entry in objects_in(self.document, "bodies"):
            value = text_of(entry, "value")
            kind_and_markup = _text_kind(entry, value)
            if value is None or kind_and_markup is None:
                continue
            kind, is_html = kind_and_markup
            role_rank = 0 if role_of(entry) in MAIN_BODY_ROLES else 1
            candidates.append(((kind, role_rank, index), is_html, value))
        field_name = "bodies"
        if not candidates:
            # No body: a brief's text is its description of role "text" (the first usable one).
            for index, entry in objects_in(self.document, "descriptions"):
                value = text_of(entry, "value")
                kind_and_markup = _text_kind(entry, value)
                if role_of(entry) == TEXT_DESCRIPTION_ROLE and value is not None and kind_and_markup is not None:
                    candidates.append(((0, 0, index), kind_and_markup[1], value))
                    field_name = "descriptions"
                    break
        if not candidates:
            hint = (
                " (ninjs 1.x 'body_html'/'body_text' are not read)"
                if {"body_html", "body_text"} & set(self.document)
                else ""
            )
            self.fail("/bodies", f"a body is required: bodies[] with contenttype text/html or text/plain{hint}")
            return None
        (_, _, index), is_html, value = min(candidates, key=lambda candidate: candidate[0])
        body_html = sanitize_html(value if is_html else paragraphs_from_text(value))
        if not has_text(body_html):
            self.fail(
                pointer_to(field_name, index, "value"),
                "the body is empty once unsafe or unsupported markup is removed",
            )
            return None
        if (size := json_text_bytes(body_html)) > MAX_BODY_HTML_JSON_BYTES:
            self.fail(
                pointer_to(field_name, index, "value"),
                f"the sanitized body must be at most {MAX_BODY_HTML_JSON_BYTES:,} bytes as JSON text (it has {size:,})",
            )
            return None
        return _without_repeated_headline(body_html, headline)

    def date_time(self, name: str) -> datetime | None:
        value = text_of(self.document, name)
        if value is None:
            return None
        parsed = parse_date_time(value)
        if parsed is None:
            self.fail(pointer_to(name), "must be an RFC 3339 date-time such as 2024-05-01T09:30:00+03:00")
        return parsed

    def version(self) -> str | None:
        version = plain_of(self.document, "version") or None
        if version is not None and len(version) > MAX_VERSION_CHARS:
            self.fail("/version", f"must be at most {MAX_VERSION_CHARS} characters (it has {len(version):,})")
            return None
        return version

    def lead(self, body_html: str) -> str:
        for _, description in objects_in(self.document, "descriptions"):
            if role_of(description) in LEAD_DESCRIPTION_ROLES and (text := plain_of(description, "value")):
                return shorten(text)
        for paragraph in _FIRST_PARAGRAPH.findall(body_html):
            if text := plain_text(paragraph):
                return shorten(text)
        return shorten(plain_text(body_html))

    def rights(self) -> Rights:
        rightsinfo = self.document.get("rightsinfo")
        return Rights(
            holder=plain_of(self.document, "copyrightholder"),
            notice=plain_of(self.document, "copyrightnotice"),
            usage_terms=plain_of(self.document, "usageterms"),
            info_url=http_url(text_of(rightsinfo, "linkedrights")),
        )

    def lead_image(self) -> LeadImage | None:
        for index, association in objects_in(self.document, "associations"):
            if (text_of(association, "type") or "").strip().lower() != "picture":
                continue
            image = self.image_from(association)
            if image is None:
                self.warnings.append(
                    f"picture {pointer_to('associations', index)} has no http(s) rendition; no lead image"
                )
            return image
        return None

    def image_from(self, association: JSONObject) -> LeadImage | None:
        usable = [
            (rendition, url)
            for _, rendition in objects_in(association, "renditions")
            if (url := http_url(text_of(rendition, "href")))
        ]
        if not usable:
            return None

        def preference(candidate: tuple[JSONObject, str]) -> tuple[int, int]:
            name = (text_of(candidate[0], "name") or "").strip().lower()
            named = PREFERRED_RENDITION_NAMES.index(name) if name in PREFERRED_RENDITION_NAMES else 2
            return named, -(dimension(candidate[0].get("width")) or 0)

        rendition, url = min(usable, key=preference)
        captions = objects_in(association, "descriptions")
        caption = next(
            (
                text
                for _, description in captions
                if role_of(description) in CAPTION_DESCRIPTION_ROLES
                if (text := plain_of(description, "value"))
            ),
            "",
        ) or next((text for _, description in captions if (text := plain_of(description, "value"))), "")
        if not caption:
            headlines = objects_in(association, "headlines")
            caption = next((text for _, headline in headlines if (text := plain_of(headline, "value"))), "")
        return LeadImage(
            url=url,
            caption=caption,
            credit=plain_of(association, "by") or plain_of(association, "copyrightholder"),
            width=dimension(rendition.get("width")),
            height=dimension(rendition.get("height")),
            mimetype=plain_of(rendition, "contenttype"),
        )

    def mentions_in(self, key: str) -> list[Mention]:
        return mentions_of(self.document, key)

    def mentions(self) -> Mentions:
        return Mentions(
            companies=self.mentions_in("organisations"),
            people=self.mentions_in("people"),
            places=self.mentions_in("places"),
            # Products and programmes (aircraft, ships, contracts) are "objects" in ninjs.
            projects=self.mentions_in("objects"),
            subjects=self.mentions_in("subjects"),
        )

    def section_hints(self) -> list[str]:
        hints: list[str] = []
        for key in ("subjects", "genres"):
            for _, entry in objects_in(self.document, key):
                hints.append(identifier(text_of(entry, "uri")).lower())
                hints.append(plain_of(entry, "name").lower())
        return unique(hints)


def _text_kind(entry: JSONObject, value: str | None) -> tuple[int, bool] | None:
    """How a body (or text description) is read: its rank (HTML first, then plain text, then no
    content type) and whether it is HTML; None for a content type that is neither."""
    if value is None:
        return None
    content_type = media_type(text_of(entry, "contenttype"))
    if content_type in HTML_CONTENT_TYPES:
        return 0, True
    if content_type == PLAIN_CONTENT_TYPE:
        return 1, False
    if not content_type:
        # No content type: "up to the provider", so judge by whether it carries markup.
        return 2, bool(_MARKUP.search(value))
    return None


def _without_repeated_headline(body_html: str, headline: str | None) -> str:
    """The body without a first heading or paragraph that only repeats the headline (TT's HTML opens
    with it), which the page would otherwise show twice; a body that is nothing else stays whole."""
    first = _FIRST_ELEMENT.match(body_html)
    if first is None or headline is None or plain_text(first.group(2)).casefold() != headline.casefold():
        return body_html
    rest = body_html[first.end() :].strip()
    return rest if has_text(rest) else body_html
