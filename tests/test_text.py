"""HTML reduction and cleaning: what every stage sees of feed text."""

from __future__ import annotations

import pytest
from hypothesis import given
from hypothesis import strategies as st

from bot.text import clean_text, html_to_text

CASES = [
    (
        "block tags become line breaks",
        "<p>Hello <b>world</b></p><p>Two&nbsp;&amp; three</p>",
        "Hello world\nTwo & three",
    ),
    ("script bodies vanish", "a<script>alert('<p>')</script>b", "a b"),
    ("style bodies vanish", "<style>p{color:red}</style>Text", "Text"),
    ("comments vanish", "x<!-- hidden -->y", "x y"),
    ("quoted > inside an attribute", '<a title="a>b" href="x">link</a> tail', "link tail"),
    ("plain comparisons stay", "1 < 2 and 3 > 2", "1 < 2 and 3 > 2"),
    ("entities decoded", "AT&amp;T &copy; &#8217; &#x2014;", "AT&T © ’ —"),
    ("table cells separate", "<td>a</td><td>b</td>", "a\nb"),
    ("unclosed tag is text", "unclosed <b attr='x", "unclosed <b attr='x"),
    ("control characters dropped", "a\x00b\x07c\x1bd", "abcd"),
    ("lone surrogates dropped", "a\ud800b", "ab"),
    ("runs of spaces folded", "a \t\u00a0\u2003 b", "a b"),
    ("empty", "", ""),
]


@pytest.mark.parametrize(("html", "text"), [c[1:] for c in CASES], ids=[c[0] for c in CASES])
def test_html_to_text(html: str, text: str) -> None:
    assert html_to_text(html) == text


def test_limit_cuts_with_an_ellipsis() -> None:
    assert html_to_text("<p>" + "word " * 100 + "</p>", limit=20) == "word word word word…"
    assert len(clean_text("x" * 100, limit=10)) == 10


def test_huge_hostile_html_is_bounded() -> None:
    hostile = "<script>" * 50_000 + "<a title='" * 50_000
    assert len(html_to_text(hostile, limit=100)) <= 100


@given(st.text())
def test_output_is_always_clean(value: str) -> None:
    out = html_to_text(value, limit=500)
    assert len(out) <= 500
    out.encode("utf-8")  # raises on lone surrogates
    assert not any(ord(c) < 32 and c != "\n" for c in out)
    assert clean_text(out) == out
