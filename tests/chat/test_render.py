"""Reply texts: escaping, highlighting, carets, splitting."""

from __future__ import annotations

import pytest

from bot.chat import render
from bot.chat.commands import BY_NAME
from bot.errors import QueryError
from bot.models import FeedSpec, FeedState, Span
from tests.fakebotapi import check_message_text


def test_highlight_escapes_and_merges_overlaps() -> None:
    text = "A <b> & B breach"
    spans = (Span("title", 2, 5), Span("title", 4, 7), Span("summary", 0, 1), Span("title", 10, 16))
    out = render.highlight(text, spans)
    assert out == "A <b>&lt;b&gt; &amp;</b> B <b>breach</b>"
    assert check_message_text(out, "HTML").text == text


@pytest.mark.parametrize(
    ("query", "pos", "line", "mark"),
    [
        ("a AND", 5, "a AND", "     ^"),
        ("x\nfoo (", 6, "foo (", "    ^"),
        ("w " * 100, 100, "…" + ("w " * 100)[60:140] + "…", " " * 41 + "^"),
    ],
    ids=["end", "second-line", "windowed"],
)
def test_caret(query: str, pos: int, line: str, mark: str) -> None:
    assert render.caret(query, pos) == (line, mark)


def test_query_error_is_valid_html_with_the_position() -> None:
    text = render.query_error("<b> AND (", QueryError("unclosed (", 8))
    parsed = check_message_text(text, "HTML")
    assert "column 9" in parsed.text
    assert "<b> AND (\n        ^" in parsed.text


def test_split_message_respects_utf16_limit() -> None:
    lines = ["😀" * 1500] * 5  # 3000 UTF-16 units each
    chunks = render.split_message(lines)
    assert len(chunks) == 5
    assert all(render.utf16_len(c) <= 4096 for c in chunks)
    assert all(render.utf16_len(c) <= 4096 for c in render.split_message(["x" * 10_000]))


def test_usage_has_usage_and_example() -> None:
    from bot.chat.commands import UsageError

    text = render.usage(UsageError("watch", "the query <is> missing."))
    plain = check_message_text(text, "HTML").text
    assert "Usage: /watch QUERY" in plain and BY_NAME["watch"].example in plain
    assert "<is>" in plain


def test_help_is_valid_html_for_everyone_and_operators() -> None:
    for operator in (False, True):
        plain = check_message_text(render.help_text(operator), "HTML").text
        assert ("/addfeed" in plain) is operator
        assert "/watch QUERY" in plain


def test_feeds_text_escapes_feed_strings() -> None:
    state = FeedState(
        spec=FeedSpec("ex", "https://e.com", name="Ex <1> & co"),
        last_attempt=900.0,
        last_success=400.0,
        failures=2,
        last_error="HTTP 500 <oops>",
        next_poll=1300.0,
        polls=4,
        not_modified=1,
    )
    (text,) = render.feeds_text([state], now=1000.0)
    plain = check_message_text(text, "HTML").text
    assert "Ex <1> & co" in plain and "HTTP 500 <oops>" in plain
    assert "last attempt 1m40s ago, success 10m ago, new entry never" in plain
    assert "failures 2, next poll in 5m, 304 ratio 25%" in plain
