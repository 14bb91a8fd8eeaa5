"""The HTML validator: what Telegram accepts, refuses, and makes of it."""

from __future__ import annotations

import pytest

from bot.devtools.fakebotapi import EntityParseError, check_message_text, parse_html, utf16_len

ACCEPT = [
    ("plain", "hello", "hello", []),
    ("bold-variants", "<b>a</b><strong>b</strong>", "ab", [("bold", 0, 1), ("bold", 1, 1)]),
    (
        "italic-underline-strike",
        "<i>a</i><em>b</em><u>c</u><ins>d</ins><s>e</s><strike>f</strike><del>g</del>",
        "abcdefg",
        [
            ("italic", 0, 1),
            ("italic", 1, 1),
            ("underline", 2, 1),
            ("underline", 3, 1),
            ("strikethrough", 4, 1),
            ("strikethrough", 5, 1),
            ("strikethrough", 6, 1),
        ],
    ),
    (
        "spoilers",
        '<span class="tg-spoiler">a</span><tg-spoiler>b</tg-spoiler>',
        "ab",
        [("spoiler", 0, 1), ("spoiler", 1, 1)],
    ),
    ("link", '<a href="https://x.org/?a=1&amp;b=&quot;2&quot;">t</a>', "t", [("text_link", 0, 1)]),
    ("link-single-quotes", "<a href='http://x.org'>t</a>", "t", [("text_link", 0, 1)]),
    ("javascript-link-dropped", '<a href="javascript:alert(1)">t</a>', "t", []),
    (
        "code-pre",
        '<code>x</code><pre><code class="language-python">y</code></pre>',
        "xy",
        [("code", 0, 1), ("pre", 1, 1)],
    ),
    (
        "blockquote",
        "<blockquote>q</blockquote><blockquote expandable>r</blockquote>",
        "qr",
        [("blockquote", 0, 1), ("expandable_blockquote", 1, 1)],
    ),
    (
        "tg-emoji",
        '<tg-emoji emoji-id="5368324170671202286">👍</tg-emoji>',
        "👍",
        [("custom_emoji", 0, 2)],
    ),
    ("nested", "<b>a<i>b</i></b>", "ab", [("bold", 0, 2), ("italic", 1, 1)]),
    ("entities", "&lt;script&gt; &amp; &quot;x&quot; &#60; &#x3e;", '<script> & "x" < >', []),
    ("uppercase-tags", "<B>x</B>", "x", [("bold", 0, 1)]),
    ("astral-offsets", "😀<b>x</b>", "😀x", [("bold", 2, 1)]),
    ("empty-entity-dropped", "a<b></b>", "a", []),
    ("end-tag-without-name", "<b>x</>", "x", [("bold", 0, 1)]),
]

REJECT = [
    ("script", "<script>alert(1)</script>", 'Unsupported start tag "script" at byte offset 0'),
    ("img", 'x"><img src=x>', "Character"),  # the raw ">" comes first in strict mode
    ("img-lenient-order", "<img src=x>", 'Unsupported start tag "img" at byte offset 0'),
    ("offset-in-bytes", "é<p>", 'Unsupported start tag "p" at byte offset 2'),
    ("unclosed", "<b>x", 'Can\'t find end tag corresponding to start tag "b"'),
    ("misnested", "<b><i>x</b></i>", 'expected "</i>", found "</b>"'),
    ("unexpected-end", "x</b>", "Unexpected end tag at byte offset 1"),
    ("raw-lt", "1 < 2", 'Unsupported start tag "" at byte offset 2'),
    ("raw-amp", "a & b", 'Character "&"'),
    ("unknown-named-entity", "&nbsp;", 'Character "&"'),
    ("raw-gt", "a > b", 'Character ">"'),
    ("span-without-class", "<span>x</span>", 'Tag "span" must have class "tg-spoiler"'),
    ("unclosed-start-tag", "<b", "Unclosed start tag"),
    ("attr-without-value", "<a href>x</a>", "Expected equal sign"),
]


@pytest.mark.parametrize(
    ("html", "text", "entities"), [c[1:] for c in ACCEPT], ids=[c[0] for c in ACCEPT]
)
def test_accepts(html: str, text: str, entities: list[tuple[str, int, int]]) -> None:
    parsed = parse_html(html)
    assert parsed.text == text
    assert [(e["type"], e["offset"], e["length"]) for e in parsed.entities] == entities


@pytest.mark.parametrize(("html", "error"), [c[1:] for c in REJECT], ids=[c[0] for c in REJECT])
def test_rejects(html: str, error: str) -> None:
    with pytest.raises(EntityParseError) as info:
        parse_html(html)
    assert error in str(info.value)


def test_lenient_mode_passes_raw_gt_and_amp_like_telegram() -> None:
    assert parse_html("a > b & c &nbsp;", strict=False).text == "a > b & c &nbsp;"


@pytest.mark.parametrize(
    ("href", "linked"),
    [
        ("https://example.com", True),
        ("http://user@example.com:8080/p?q#f", True),
        ("tg://user?id=5", True),
        ("http://localhost:3000/x", False),
        ("javascript:alert(1)", False),
        ("ftp://example.com", False),
        ("/relative", False),
    ],
)
def test_link_targets(href: str, linked: bool) -> None:
    parsed = parse_html(f'<a href="{href}">t</a>')
    assert parsed.text == "t" and bool(parsed.entities) is linked


def test_entities_past_100_are_counted_as_ignored() -> None:
    assert parse_html("<b>x</b> " * 101).dropped == 1
    assert parse_html("<b>x</b> " * 100).dropped == 0


def test_link_entity_carries_decoded_url() -> None:
    (entity,) = parse_html('<a href="https://x.org/?a=1&amp;b=2">t</a>').entities
    assert entity["url"] == "https://x.org/?a=1&b=2"


def test_pre_language() -> None:
    (entity,) = parse_html('<pre><code class="language-python">y</code></pre>').entities
    assert entity == {"type": "pre", "offset": 0, "length": 1, "language": "python"}


@pytest.mark.parametrize(
    ("text", "parse_mode", "error"),
    [
        ("x" * 4096, None, None),
        ("x" * 4097, None, "Bad Request: message is too long"),
        ("😀" * 2048, None, None),
        ("😀" * 2048 + "x", None, "Bad Request: message is too long"),
        ("  x  ", None, None),
        (" " + "x" * 4096 + "\n", None, None),  # trimmed before counting
        ("<b> </b>", "HTML", "Bad Request: message text is empty"),
        ("<b>x", "HTML", "Bad Request: can't parse entities: Can't find end tag"),
        ("\ud800", None, "Bad Request: strings must be encoded in UTF-8"),
    ],
    ids=[
        "4096",
        "4097",
        "2048-astral",
        "astral-plus-one",
        "trim",
        "trim-before-count",
        "blank-html",
        "bad-html",
        "lone-surrogate",
    ],
)
def test_check_message_text(text: str, parse_mode: str | None, error: str | None) -> None:
    if error is None:
        assert utf16_len(check_message_text(text, parse_mode).text) <= 4096
    else:
        with pytest.raises(ValueError, match="^" + error.replace("(", r"\(")):
            check_message_text(text, parse_mode)


def test_trim_shifts_entities() -> None:
    parsed = check_message_text("  <b>x</b> ", "HTML")
    assert parsed.text == "x" and parsed.entities == ({"type": "bold", "offset": 0, "length": 1},)
