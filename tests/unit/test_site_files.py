"""The reference site's files (site/): no HTML sink for data anywhere in its JavaScript, and every
page a phone can read, in Russian, under a policy that runs only the site's own scripts."""

from __future__ import annotations

import re
from pathlib import Path

import pytest

pytestmark = pytest.mark.unit

SITE = Path(__file__).resolve().parents[2] / "site"
# Ways a string becomes markup or code; the sanitized body goes through DOMParser (site/js/body.js).
SINKS = re.compile(r"\.innerHTML\b|\.outerHTML\b|insertAdjacentHTML|document\.write|\beval\(|new Function\(")
PAGES = ("index.html", "section.html", "article.html")


def test_no_script_turns_a_string_into_markup() -> None:
    scripts = sorted(SITE.glob("js/**/*.js"))
    assert len(scripts) >= 10
    offenders = [
        f"{path.relative_to(SITE)}: {match.group()}" for path in scripts for match in SINKS.finditer(path.read_text())
    ]
    assert offenders == []


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
