"""The reference site's files (site/): no HTML sink for data anywhere in its JavaScript, and every
page a phone can read, in Russian, under a policy that runs only the site's own scripts."""

from __future__ import annotations

import re
from pathlib import Path

import pytest

pytestmark = pytest.mark.unit

SITE = Path(__file__).resolve().parents[2] / "site"
# Ways a string becomes markup or code; the sanitized body goes through DOMParser (site/js/body.js).
# Spelled as a property (`.innerHTML`), a key (`el("p", { innerHTML: x })`, `node["innerHTML"]`) or a
# method; navigation from data (`location.href = …`, `window.open`) and string timers are sinks too.
SINKS = re.compile(
    r"\b(?:innerHTML|outerHTML|srcdoc)\b|insertAdjacentHTML|createContextualFragment|\b(?:set|parse)HTMLUnsafe\b"
    r"|document\.write|\beval\(|\bFunction\(|\bset(?:Timeout|Interval)\(\s*[\"'`]"
    r"|\blocation\s*(?:\.\s*(?:href|assign|replace)\b|=[^=])|\bwindow\.open\(|javascript:"
)
PAGES = ("index.html", "section.html", "article.html")
# Comments (which may name the sinks they avoid): /* … */ blocks and " // " to the end of the line.
COMMENTS = re.compile(r"/\*.*?\*/|(?:^|\s)//\s.*$", re.DOTALL | re.MULTILINE)


def code(path: Path) -> str:
    return COMMENTS.sub("", path.read_text(encoding="utf-8"))


def test_no_script_turns_a_string_into_markup() -> None:
    scripts = sorted(SITE.glob("js/**/*.js"))
    assert len(scripts) >= 10
    offenders = [
        f"{path.relative_to(SITE)}: {match.group()}" for path in scripts for match in SINKS.finditer(code(path))
    ]
    assert offenders == []
    # DOMParser makes markup of a string: only the sanitized body may use it.
    parsers = [path.relative_to(SITE).as_posix() for path in scripts if "DOMParser" in path.read_text()]
    assert parsers == ["js/body.js"]


@pytest.mark.parametrize(
    "line",
    [
        "node.innerHTML = text;",
        'el("p", { innerHTML: article.lead });',
        'node["outerHTML"] = text;',
        "range.createContextualFragment(text);",
        "node.setHTMLUnsafe(text);",
        "document.writeln(text);",
        'el("iframe", { srcdoc: text });',
        "new Function(text)();",
        'setTimeout("go()", 10);',
        "location.href = query.get('next');",
        "location = url;",
        "window.open(url);",
        'el("a", { href: "javascript:void 0" });',
    ],
)
def test_the_sink_check_finds_every_spelling(line: str) -> None:
    assert SINKS.search(line) is not None


@pytest.mark.parametrize(
    "line", ["const url = new URL(value, location.origin);", 'new URLSearchParams(location.search).get("id");']
)
def test_the_sink_check_lets_reading_the_address_be(line: str) -> None:
    assert SINKS.search(line) is None


@pytest.mark.parametrize("page", PAGES)
def test_every_page_is_russian_fits_a_phone_and_runs_only_its_own_scripts(page: str) -> None:
    html = (SITE / page).read_text(encoding="utf-8")
    assert '<html lang="ru">' in html
    assert re.search(r'<meta name="viewport" content="width=device-width, initial-scale=1"\s*/?>', html)
    policy = re.search(r'http-equiv="Content-Security-Policy"\s+content="([^"]+)"', html)
    assert policy is not None
    assert "script-src 'self';" in policy.group(1) and "object-src 'none'" in policy.group(1)
    assert f'<script type="module" src="js/pages/{page.removesuffix(".html")}.js"></script>' in html
    assert re.search(r"<script(?![^>]*\bsrc=)", html) is None  # no inline script


def test_the_body_keeps_exactly_the_tags_the_sanitizer_allows() -> None:
    # site/js/body.js's second line of defence must not refuse what publish writes, nor keep more
    from newsdesk.sanitize import ALLOWED_ATTRIBUTES, ALLOWED_TAGS

    script = (SITE / "js" / "body.js").read_text(encoding="utf-8")
    tags = script[script.index("const KEPT_TAGS") : script.index("const KEPT_ATTRIBUTES")]
    assert set(re.findall(r'"([a-z0-9]+)"', tags)) == set(ALLOWED_TAGS)
    for tag, names in ALLOWED_ATTRIBUTES.items():
        kept = re.search(rf"\b{tag}: new Set\(\[([^\]]*)\]\)", script)
        assert kept is not None and names <= set(re.findall(r'"([a-z-]+)"', kept.group(1))), tag
