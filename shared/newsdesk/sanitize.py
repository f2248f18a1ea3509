"""Turning partner markup into what the website may show: allowlisted HTML and plain text.

Everything here is deterministic (same input, same output) and returns Unicode NFC, so that
re-deriving an article from its archived bytes gives byte-identical snapshots.
"""

from __future__ import annotations

import html
import re
import unicodedata
from functools import cache

import nh3

ALLOWED_TAGS = frozenset(
    {
        "p", "br", "strong", "b", "em", "i", "u", "s", "sub", "sup", "blockquote", "q", "cite",
        "ul", "ol", "li", "h2", "h3", "h4", "a", "figure", "figcaption",
        "table", "thead", "tbody", "tr", "th", "td", "code", "pre", "hr",
    }
)  # fmt: skip
ALLOWED_ATTRIBUTES: dict[str, set[str]] = {"a": {"href", "title"}}
ALLOWED_URL_SCHEMES = frozenset({"http", "https", "mailto"})
LINK_REL = "noopener noreferrer nofollow"
# Tags whose content is dropped with them: their text is code or embedded media, never prose.
DROPPED_WITH_CONTENT = frozenset(
    {
        "script", "style", "iframe", "object", "embed", "noscript", "template",
        "applet", "frame", "frameset", "noembed", "noframes", "title", "head",
    }
)  # fmt: skip

# Control characters and explicit bidi embeddings/overrides/isolates: they never belong in
# published text and are a known way to make text display differently from what it is.
_INVISIBLE_TRICKS = re.compile("[\x00-\x08\x0b\x0c\x0e-\x1f\x7f-\x9f\u202a-\u202e\u2066-\u2069]")
_WHITESPACE_RUN = re.compile(r"\s+")
# No-break spaces carry meaning in typography (e.g. "5\u00a0млрд"), so a run made only of them
# is kept as one instead of being flattened to an ordinary space.
_NO_BREAK_SPACES = frozenset("\u00a0\u202f")
# What would start a tag if the text were ever pasted into HTML unescaped.
_TAG_START = re.compile(r"<(?=[A-Za-z/!?])")
_PLAIN_TEXT_PASSES = 5


def _nfc(text: str) -> str:
    return unicodedata.normalize("NFC", text)


def _without_invisible_tricks(text: str) -> str:
    return _INVISIBLE_TRICKS.sub("", text)


@cache
def _html_cleaner() -> nh3.Cleaner:
    return nh3.Cleaner(
        tags=set(ALLOWED_TAGS),
        clean_content_tags=set(DROPPED_WITH_CONTENT),
        attributes={tag: set(names) for tag, names in ALLOWED_ATTRIBUTES.items()},
        url_schemes=set(ALLOWED_URL_SCHEMES),
        # A link relative to the partner's own site would point nowhere (or somewhere else) on ours.
        url_relative="deny",
        link_rel=LINK_REL,
        strip_comments=True,
    )


@cache
def _text_cleaner() -> nh3.Cleaner:
    return nh3.Cleaner(tags=set(), clean_content_tags=set(DROPPED_WITH_CONTENT), attributes={})


def sanitize_html(html_text: str) -> str:
    """Partner HTML reduced to the allowlist: safe tags, http/https/mailto links, no scripts or styles.

    Links get ``rel="noopener noreferrer nofollow"``; the output is Unicode NFC.
    """
    cleaned = _html_cleaner().clean(_without_invisible_tricks(_nfc(html_text)))
    return _nfc(cleaned).strip()


def _collapse_whitespace(text: str) -> str:
    def one_space(run: re.Match[str]) -> str:
        found = run.group(0)
        return found[0] if set(found) <= _NO_BREAK_SPACES else " "

    return _WHITESPACE_RUN.sub(one_space, text).strip()


def plain_text(value: str) -> str:
    """A headline, caption or name as plain text: no tags, entities decoded, whitespace collapsed, NFC.

    Tag stripping and entity decoding repeat until nothing changes, so entity-encoded markup
    (``&lt;script&gt;``, even double-encoded) cannot come back as a tag.
    """
    text = _without_invisible_tricks(_nfc(value))
    for _ in range(_PLAIN_TEXT_PASSES):
        decoded = html.unescape(_text_cleaner().clean(text))
        if decoded == text:
            break
        text = decoded
    else:
        # Still changing after several passes: only deliberately nested encodings get here.
        text = _TAG_START.sub("", text)
    return _nfc(_collapse_whitespace(_without_invisible_tricks(text)))


def paragraphs_from_text(text: str) -> str:
    """A text/plain body as HTML: one ``<p>`` per blank-line-separated paragraph, ``<br>`` for line breaks."""
    lines = _without_invisible_tricks(_nfc(text)).replace("\r\n", "\n").replace("\r", "\n").split("\n")
    paragraphs: list[list[str]] = []
    current: list[str] = []
    for line in lines:
        stripped = _collapse_whitespace(line)
        if stripped:
            current.append(html.escape(stripped, quote=False))
        elif current:
            paragraphs.append(current)
            current = []
    if current:
        paragraphs.append(current)
    return _nfc("".join("<p>" + "<br>".join(paragraph) + "</p>" for paragraph in paragraphs))
