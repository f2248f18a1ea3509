"""Sanitizing partner HTML, turning markup into plain text, and plain text into paragraphs."""

from __future__ import annotations

import unicodedata

import pytest

from newsdesk.sanitize import ALLOWED_TAGS, paragraphs_from_text, plain_text, sanitize_html

pytestmark = pytest.mark.unit

NFD_E_ACUTE = "e\u0301"
NFC_E_ACUTE = "\u00e9"


# --- sanitize_html ------------------------------------------------------------------------------


# Links, void elements and table parts only make sense in context; they are covered below.
CONTEXT_FREE_TAGS = sorted(ALLOWED_TAGS - {"a", "br", "hr", "img", "li", "table", "thead", "tbody", "tr", "th", "td"})


@pytest.mark.parametrize("tag", CONTEXT_FREE_TAGS)
def test_allowlisted_tags_are_kept(tag: str) -> None:
    # Given
    html = f"<{tag}>Текст</{tag}>"

    # When
    cleaned = sanitize_html(html)

    # Then
    assert cleaned == html


def test_lists_tables_and_void_elements_keep_their_structure() -> None:
    # Given
    html = (
        "<ul><li>один</li></ul><ol><li>два</li></ol><hr><p>a<br>b</p>"
        "<table><thead><tr><th>Год</th></tr></thead><tbody><tr><td>2026</td></tr></tbody></table>"
    )

    # When
    cleaned = sanitize_html(html)

    # Then
    assert cleaned == html


def test_tags_outside_the_allowlist_are_dropped_but_their_text_stays() -> None:
    # Given
    html = '<div class="lead"><span>Важно:</span> <h1>Заголовок</h1><font color="red">текст</font></div>'

    # When
    cleaned = sanitize_html(html)

    # Then: the h1 stays as a section heading (issue 9), the other tags go
    assert cleaned == "Важно: <h2>Заголовок</h2>текст"


@pytest.mark.parametrize(
    "dangerous",
    [
        "<script>alert(1)</script>",
        "<style>p { color: red }</style>",
        '<iframe src="https://evil.example">fallback text</iframe>',
        '<object data="x.swf">fallback text</object>',
        '<embed src="x.swf">',
        "<noscript>fallback text</noscript>",
    ],
)
def test_script_style_and_embedded_content_are_removed_with_their_content(dangerous: str) -> None:
    # When
    cleaned = sanitize_html(f"<p>до</p>{dangerous}<p>после</p>")

    # Then
    assert cleaned == "<p>до</p><p>после</p>"


def test_event_handlers_style_and_other_attributes_are_removed() -> None:
    # Given
    html = '<p style="color:red" onclick="alert(1)" class="x" id="y">текст</p><strong onmouseover="x()">ж</strong>'

    # When
    cleaned = sanitize_html(html)

    # Then
    assert cleaned == "<p>текст</p><strong>ж</strong>"


def test_links_keep_href_and_title_and_get_a_safe_rel() -> None:
    # Given
    html = '<a href="https://example.org/a?b=1&amp;c=2" title="Сайт" target="_blank" rel="opener">ссылка</a>'

    # When
    cleaned = sanitize_html(html)

    # Then
    assert cleaned == (
        '<a href="https://example.org/a?b=1&amp;c=2" title="Сайт" rel="noopener noreferrer nofollow">ссылка</a>'
    )


@pytest.mark.parametrize("href", ["http://example.org/", "https://example.org/x", "mailto:desk@example.org"])
def test_http_https_and_mailto_links_survive(href: str) -> None:
    # When
    cleaned = sanitize_html(f'<a href="{href}">x</a>')

    # Then
    assert f'href="{href}"' in cleaned


@pytest.mark.parametrize(
    "href",
    [
        "javascript:alert(1)",
        "JavaScript:alert(1)",
        "jav&#x09;ascript:alert(1)",
        "&#106;avascript:alert(1)",
        "vbscript:msgbox(1)",
        "data:text/html;base64,PHNjcmlwdD4=",
        "ftp://example.org/file",
        "/relative/path",
        "//evil.example/protocol-relative",
    ],
)
def test_other_link_targets_are_removed(href: str) -> None:
    # When
    cleaned = sanitize_html(f'<a href="{href}">x</a>')

    # Then
    assert cleaned == '<a rel="noopener noreferrer nofollow">x</a>'


def test_inline_images_keep_only_an_http_source_and_alt_text() -> None:
    # Issue 9, 'Images': the body keeps its pictures (publish points them at our copies, docs/media.md)
    # When
    cleaned = sanitize_html(
        '<p>до<img src="https://example.org/a.jpg" alt="Танк" onerror="alert(1)" width="9">после</p>'
        '<img src="javascript:alert(1)"><img src="/relative.jpg"><img src="data:image/png;base64,AA==">'
    )

    # Then
    assert cleaned == '<p>до<img src="https://example.org/a.jpg" alt="Танк">после</p><img><img><img>'


def test_comments_are_removed() -> None:
    # When
    cleaned = sanitize_html("<p>a<!-- внутренняя заметка --></p>")

    # Then
    assert cleaned == "<p>a</p>"


def test_output_is_nfc() -> None:
    # When
    cleaned = sanitize_html(f"<p>caf{NFD_E_ACUTE} Ё\u0308</p>".replace("Ё\u0308", "\u0415\u0308"))

    # Then
    assert cleaned == f"<p>caf{NFC_E_ACUTE} Ё</p>"
    assert unicodedata.is_normalized("NFC", cleaned)


def test_sanitizing_twice_changes_nothing_more() -> None:
    # Given
    html = '<div><p onclick="x">a &amp; b<br/><a href="https://e.example">l</a></p><script>x</script></div>'

    # When
    once = sanitize_html(html)

    # Then
    assert sanitize_html(once) == once


# --- plain_text ---------------------------------------------------------------------------------


def test_plain_text_strips_tags_and_decodes_entities() -> None:
    # When
    text = plain_text("<b>«Стриж-М»</b> &amp; <i>Ко</i> &mdash; &#1040;&#x411;")

    # Then
    assert text == "«Стриж-М» & Ко — АБ"


def test_plain_text_drops_script_and_style_content() -> None:
    # When
    text = plain_text("до<script>alert(1)</script><style>p{}</style> после")

    # Then
    assert text == "до после"


def test_plain_text_collapses_whitespace_but_keeps_no_break_spaces() -> None:
    # When
    text = plain_text("  5\u00a0млрд\n\n рублей \t за\u00a0\u00a0год  ")

    # Then
    assert text == "5\u00a0млрд рублей за\u00a0год"


@pytest.mark.parametrize(
    "encoded",
    [
        "&lt;script&gt;alert(1)&lt;/script&gt;",
        "&amp;lt;script&amp;gt;alert(1)&amp;lt;/script&amp;gt;",
        "&#60;img src=x onerror=alert(1)&#62;",
    ],
)
def test_entity_encoded_markup_does_not_come_back_as_a_tag(encoded: str) -> None:
    # When
    text = plain_text(f"Новость {encoded}")

    # Then
    assert "<" not in text
    assert text.startswith("Новость")


def test_plain_text_keeps_a_lone_less_than_sign() -> None:
    # When
    text = plain_text("a < b &amp; c > d")

    # Then
    assert text == "a < b & c > d"


def test_plain_text_removes_controls_and_bidi_overrides() -> None:
    # When
    text = plain_text("abc\u202egnp.exe\u0007 \u2066x\u2069")

    # Then
    assert text == "abcgnp.exe x"


def test_plain_text_is_nfc() -> None:
    # When
    text = plain_text(f"caf{NFD_E_ACUTE}")

    # Then
    assert text == f"caf{NFC_E_ACUTE}"


# --- paragraphs_from_text -----------------------------------------------------------------------


def test_blank_lines_separate_paragraphs_and_single_newlines_become_breaks() -> None:
    # Given
    text = "Первый абзац,\nвторая строка.\n\n\nВторой абзац."

    # When
    html = paragraphs_from_text(text)

    # Then
    assert html == "<p>Первый абзац,<br>вторая строка.</p><p>Второй абзац.</p>"


def test_windows_newlines_and_whitespace_only_lines_count_as_separators() -> None:
    # When
    html = paragraphs_from_text("  один  \r\n   \r\nдва\rтри\n")

    # Then
    assert html == "<p>один</p><p>два<br>три</p>"


def test_text_that_looks_like_markup_is_escaped() -> None:
    # When
    html = paragraphs_from_text('<script>alert("x")</script> & <b>')

    # Then
    assert html == '<p>&lt;script&gt;alert("x")&lt;/script&gt; &amp; &lt;b&gt;</p>'


def test_empty_text_gives_no_paragraphs() -> None:
    # When / Then
    assert paragraphs_from_text(" \n\n \n") == ""


def test_paragraphs_are_nfc() -> None:
    # When
    html = paragraphs_from_text(f"caf{NFD_E_ACUTE}")

    # Then
    assert html == f"<p>caf{NFC_E_ACUTE}</p>"


# --- block boundaries (issue 9) -----------------------------------------------------------------


@pytest.mark.parametrize(
    ("markup", "expected"),
    [
        ("абзац.<br>Вторая", "абзац. Вторая"),
        ("абзац.<br/>Вторая", "абзац. Вторая"),
        ("<p>Один.</p><p>Два.</p>", "Один. Два."),
        ("<div>Один</div><div>Два</div>", "Один Два"),
        ("<ul><li>Один</li><li>Два</li></ul>", "Один Два"),
        ("<h1>Заголовок</h1>Текст", "Заголовок Текст"),
        ("<blockquote>Цитата</blockquote>Текст", "Цитата Текст"),
        ("<table><tr><td>A</td><td>B</td></tr><tr><td>C</td></tr></table>", "A B C"),
        ("&lt;p&gt;Один&lt;/p&gt;&lt;p&gt;Два&lt;/p&gt;", "Один Два"),
    ],
)
def test_plain_text_turns_block_boundaries_into_spaces(markup: str, expected: str) -> None:
    # When / Then
    assert plain_text(markup) == expected


def test_plain_text_keeps_inline_markup_inside_words() -> None:
    # When / Then
    assert plain_text("<b>Стриж</b>-<i>М</i> и<span>дут</span>") == "Стриж-М идут"


def test_dropped_block_tags_leave_a_boundary_in_the_body() -> None:
    # When
    cleaned = sanitize_html("<section><div>Försvar</div><div>TT</div></section><p>Text.</p>")

    # Then
    assert "FörsvarTT" not in cleaned
    assert cleaned.endswith("<p>Text.</p>")


def test_a_first_level_heading_in_the_body_becomes_a_second_level_one() -> None:
    # When / Then: the page's h1 is the article's headline
    assert sanitize_html("<h1>Раздел</h1><p>Текст.</p>") == "<h2>Раздел</h2><p>Текст.</p>"
