from __future__ import annotations

import pytest
from hypothesis import given
from hypothesis import strategies as st

from bot.alert.limits import cut_utf16, sanitize, truncate, utf16_len


@pytest.mark.parametrize(
    ("text", "limit", "expected"),
    [
        ("abc", 5, "abc"),
        ("abcdef", 3, "abc"),
        ("a😀b", 2, "a"),  # the emoji needs 2 units: not split
        ("a😀b", 3, "a😀"),
        ("e\u0301e\u0301", 3, "e\u0301"),  # combining accent stays with its letter
        ("👨\u200d👩\u200d👧x", 5, ""),  # ZWJ family is one grapheme (8 units)
        ("🇩🇪🇫🇷", 6, "🇩🇪"),  # never half a flag
        ("❤\ufe0fx", 1, ""),
        ("abc", 0, ""),
    ],
    ids=["fits", "ascii", "astral-no-room", "astral", "combining", "zwj", "flags", "vs16", "zero"],
)
def test_cut_utf16(text: str, limit: int, expected: str) -> None:
    assert cut_utf16(text, limit) == expected


def test_truncate_prefers_a_word_boundary() -> None:
    assert truncate("hello world again", 14) == "hello world…"
    assert truncate("short", 10) == "short"
    assert utf16_len(truncate("😀" * 100, 11)) <= 11


def test_sanitize_keeps_indices() -> None:
    text = "a\x00b\ud800c\nd\te"
    assert sanitize(text) == "a b\ufffdc\nd\te"


@given(st.text(), st.integers(0, 50))
def test_cut_is_a_prefix_within_the_limit(text: str, limit: int) -> None:
    cut = cut_utf16(text, limit)
    assert text.startswith(cut) and utf16_len(cut) <= limit
    assert utf16_len(truncate(text, max(limit, 1))) <= max(limit, 1)
