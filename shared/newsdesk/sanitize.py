"""Turning partner markup into what the website may show: allowlisted HTML and plain text.

Everything here is deterministic (same input, same output) and returns Unicode NFC, so that
re-deriving an article from its archived bytes gives byte-identical snapshots.
"""

from __future__ import annotations

import html
import re
import unicodedata
from functools import cache
from urllib.parse import urlsplit

import nh3

ALLOWED_TAGS = frozenset(
    {
        "p", "br", "strong", "b", "em", "i", "u", "s", "sub", "sup", "blockquote", "q", "cite",
        "ul", "ol", "li", "h2", "h3", "h4", "a", "figure", "figcaption",
        "table", "thead", "tbody", "tr", "th", "td", "code", "pre", "hr", "img",
    }
)  # fmt: skip
# An inline picture keeps its source (an absolute http(s) URL, or the <img> keeps none) and its alt
# text: the media function copies it, and publish points the <img> at our copy or leaves it out
# until the copy is ready (docs/media.md); the partner's URL never reaches a published body.
ALLOWED_ATTRIBUTES: dict[str, set[str]] = {"a": {"href", "title"}, "img": {"src", "alt"}}
ALLOWED_URL_SCHEMES = frozenset({"http", "https", "mailto"})
LINK_REL = "noopener noreferrer nofollow"
# Tags whose content is dropped with them: their text is code or embedded media, never prose.
DROPPED_WITH_CONTENT = frozenset(
    {
        "script", "style", "iframe", "object", "embed", "noscript", "template",
        "applet", "frame", "frameset", "noembed", "noframes", "title", "head",
    }
)  # fmt: skip

# Control characters, explicit bidi embeddings/overrides/isolates and marks (LRM, RLM, ALM),
# zero-width space, word joiner, the invisible mathematical operators (U+2061-2064), the deprecated
# format characters (U+206A-206F), BOM, the Mongolian vowel separator, the interlinear annotation
# characters (U+FFF9-FFFB, which make renderers hide text), the blank Hangul fillers (U+3164, U+FFA0),
# the shorthand and musical format controls and Unicode tag characters: they never belong in
# published text and are known ways to make text display differently from what it is, or to hide
# text in it. ZWNJ and ZWJ (U+200C, U+200D) stay: Persian and Indic scripts and emoji sequences need
# them; so do the soft hyphen and variation selectors (typography, emoji and CJK variants).
_INVISIBLE_TRICK_RANGES = (
    "\x00-\x08\x0b\x0c\x0e-\x1f\x7f-\x9f\u061c\u180e\u200b\u200e\u200f\u202a-\u202e"
    "\u2060-\u2064\u2066-\u206f\u3164\ufeff\uffa0\ufff9-\ufffb"
    "\U0001bca0-\U0001bca3\U0001d173-\U0001d17a\U000e0000-\U000e007f"
)
_INVISIBLE_TRICKS = re.compile(f"[{_INVISIBLE_TRICK_RANGES}]")
# A character plain text keeps and that is not whitespace: what makes plain text non-empty.
_VISIBLE = re.compile(rf"[^\s{_INVISIBLE_TRICK_RANGES}]")
# Runs of whitespace that collapsing changes: every run but a lone ordinary space (most of them).
_WHITESPACE_TO_COLLAPSE = re.compile(r"\s{2,}|[^\S ]")
# No-break spaces carry meaning in typography (e.g. "5\u00a0млрд"), so a run made only of them
# is kept as one instead of being flattened to an ordinary space.
_NO_BREAK_SPACES = frozenset("\u00a0\u202f")
# What would start a tag if the text were ever pasted into HTML unescaped.
_TAG_START = re.compile(r"<(?=[A-Za-z/!?])")
_PLAIN_TEXT_PASSES = 5
# Elements that start a new line on the page: stripping their tags must leave a space, or the
# words on either side run together ("…2023Försvar", "абзац.Вторая" from "абзац.<br>Вторая").
BLOCK_TAGS = frozenset(
    {
        "address", "article", "aside", "blockquote", "body", "br", "caption", "center", "dd", "details",
        "dialog", "div", "dl", "dt", "fieldset", "figcaption", "figure", "footer", "form", "h1", "h2",
        "h3", "h4", "h5", "h6", "header", "hgroup", "hr", "html", "legend", "li", "main", "nav", "ol",
        "option", "p", "pre", "section", "summary", "table", "tbody", "td", "tfoot", "th", "thead",
        "tr", "ul",
    }
)  # fmt: skip
_BLOCK_TAG_START = re.compile(
    "<(?=/?(?:" + "|".join(sorted(BLOCK_TAGS, key=len, reverse=True)) + r")[\s/>])", re.IGNORECASE
)
# In the body only the block tags the allowlist drops need one (the kept ones still break the line).
_DROPPED_BLOCK_TAG_START = re.compile(
    "<(?=/?(?:" + "|".join(sorted(BLOCK_TAGS - ALLOWED_TAGS - {"h1"}, key=len, reverse=True)) + r")[\s/>])",
    re.IGNORECASE,
)
# An element the allowlist drops closing right where another opens ("</span><span"): TT's
# <span class="vignette">Försvar</span><span class="source">TT</span> is two fields that its own
# stylesheet sets apart, and stripped of both tags they would read "FörsvarTT". Allowlisted inline
# tags are kept as written (<b>З</b>аголовок is one word).
_ADJACENT_ELEMENTS = re.compile(r"</([A-Za-z][A-Za-z0-9]*)\s*>(?=<([A-Za-z][A-Za-z0-9]*)[\s/>])")
# Block tags get their own break (_DROPPED_BLOCK_TAG_START, _BLOCK_TAG_START); h1 becomes h2.
_KEPT_OR_BLOCK = ALLOWED_TAGS | BLOCK_TAGS
# The page's one h1 is the article's headline: a partner's h1 becomes a section heading (h2).
_FIRST_LEVEL_HEADING = re.compile(r"<(/?)h1(?=[\s/>])", re.IGNORECASE)
# Longer links are not used: browsers and CDNs count a URL's bytes (percent-encoded, non-ASCII takes
# several), and the lead image's is stored on the record and repeated in every list entry.
MAX_LINK_BYTES = 2048
# Whitespace, quotes, angle brackets, backslash and the other characters RFC 3986 never allows; control characters.
_NOT_IN_LINKS = re.compile("[\\s<>\"'`\\\\{}|^\x00-\x1f\x7f-\x9f]")
# What shows nothing besides the format characters (category Cf, checked apart): blank letters
# (Hangul fillers, Khmer inherent vowels), the combining grapheme joiner and variation selectors.
_BLANK_IN_LINKS = re.compile(
    "[\u034f\u115f\u1160\u17b4\u17b5\u180b-\u180f\u3164\ufe00-\ufe0f\uffa0\U000e0100-\U000e01ef]"
)


def _apart(match: re.Match[str]) -> str:
    closed, opened = match.group(1).lower(), match.group(2).lower()
    apart = closed not in _KEPT_OR_BLOCK and opened not in _KEPT_OR_BLOCK
    return match.group(0) + " " if apart else match.group(0)


def _adjacent_elements_apart(text: str) -> str:
    """A space between an element the allowlist drops and a dropped one right after it (_ADJACENT_ELEMENTS)."""
    return _ADJACENT_ELEMENTS.sub(_apart, text) if "</" in text else text


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
        attribute_filter=_published_link,
    )


def is_published_link(candidate: str) -> bool:
    """Whether a URL is a link we publish (docs/api.md, "Links and identifiers"): an absolute http(s)
    URL with a host, a usable port and no credentials (``https://bank.example@evil.example`` shows one
    host and goes to another; ``https:evil`` has no host), at most MAX_LINK_BYTES, without spaces,
    quotes, angle brackets, backslashes (``https://\\evil`` is read differently by browsers and by
    Python), control or invisible characters."""
    if not candidate or len(candidate.encode("utf-8", "surrogatepass")) > MAX_LINK_BYTES:
        return False
    if _NOT_IN_LINKS.search(candidate):
        return False
    if not candidate.isascii() and (
        _BLANK_IN_LINKS.search(candidate) or any(unicodedata.category(character) == "Cf" for character in candidate)
    ):
        return False
    try:
        parts = urlsplit(candidate)
        port_is_valid = parts.port is None or parts.port > 0
    except ValueError:
        return False
    return (
        parts.scheme.lower() in ("http", "https") and bool(parts.hostname) and port_is_valid and "@" not in parts.netloc
    )


def _published_link(tag: str, attribute: str, value: str) -> str | None:
    """An ``href`` stays only as a link we publish (:func:`is_published_link`), or a mailto: (the
    scheme allowlist already holds); an ``img``'s ``src`` only as a link we publish."""
    if attribute not in ("href", "src"):
        return value
    candidate = value.strip()
    if attribute == "href" and candidate[:7].lower() == "mailto:":
        return value
    return value if is_published_link(candidate) else None


@cache
def _text_cleaner() -> nh3.Cleaner:
    return nh3.Cleaner(tags=set(), clean_content_tags=set(DROPPED_WITH_CONTENT), attributes={})


def sanitize_html(html_text: str) -> str:
    """Partner HTML reduced to the allowlist: safe tags, http/https/mailto links, no scripts or styles.

    Links get ``rel="noopener noreferrer nofollow"``; the output is Unicode NFC.
    """
    # The rewrites run before the cleaner, which parses their output like any other partner markup.
    marked = _FIRST_LEVEL_HEADING.sub(
        r"<\1h2", _DROPPED_BLOCK_TAG_START.sub("\n<", _adjacent_elements_apart(html_text))
    )
    cleaned = _html_cleaner().clean(_without_invisible_tricks(_nfc(marked)))
    return _nfc(cleaned).strip()


def _one_space(run: re.Match[str]) -> str:
    found = run.group(0)
    return found[0] if set(found) <= _NO_BREAK_SPACES else " "


def _collapse_whitespace(text: str) -> str:
    """Each run of whitespace as one space (one no-break space if the run is only those), trimmed."""
    if "\u00a0" in text or "\u202f" in text:  # either of _NO_BREAK_SPACES (two substring tests are fastest)
        return _WHITESPACE_TO_COLLAPSE.sub(_one_space, text).strip()
    # Every run becomes one ordinary space: str.split() splits at exactly the characters \s matches.
    return " ".join(text.split())


def _nothing_to_clean(text: str) -> bool:
    """True when a cleaning pass could change nothing but line breaks (CR LF and CR become LF, which
    whitespace collapsing treats alike): no tag or entity can start without ``<`` or ``&``, and the
    HTML parser's one other change to text is dropping a byte order mark at the very start."""
    return "<" not in text and "&" not in text and not text.startswith("\ufeff")


def _without_markup(text: str) -> str:
    """Tags stripped and entities decoded, repeatedly, until nothing is left that a pass would change."""
    for _ in range(_PLAIN_TEXT_PASSES):
        if _nothing_to_clean(text):
            break
        decoded = html.unescape(_text_cleaner().clean(_BLOCK_TAG_START.sub(" <", _adjacent_elements_apart(text))))
        if decoded == text:
            break
        text = decoded
    else:
        # Still changing after several passes: only deliberately nested encodings get here.
        text = _TAG_START.sub("", text)
    return text


def plain_text(value: str) -> str:
    """A headline, caption or name as plain text: no tags, entities decoded, whitespace collapsed, NFC.

    Tag stripping and entity decoding repeat until nothing changes, so entity-encoded markup
    (``&lt;script&gt;``, even double-encoded) cannot come back as a tag.
    """
    text = _without_invisible_tricks(_nfc(value))
    if not _nothing_to_clean(text):
        # Decoded entities can spell the invisible characters again.
        text = _without_invisible_tricks(_without_markup(text))
    return _nfc(_collapse_whitespace(text))


def has_text(value: str) -> bool:
    """Whether :func:`plain_text` of the value is non-empty, without building it (bodies are long)."""
    return _VISIBLE.search(_without_markup(_without_invisible_tricks(_nfc(value)))) is not None


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
