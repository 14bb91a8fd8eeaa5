"""Reply texts: escaping, highlighting, carets, splitting."""

from __future__ import annotations

from collections.abc import Callable

import pytest
from hypothesis import given
from hypothesis import strategies as st

from bot.chat import render
from bot.chat.commands import BY_NAME
from bot.chat.services import InstancesStatus, Status
from bot.devtools.fakebotapi import check_message_text
from bot.errors import QueryError
from bot.models import FeedSpec, FeedState, Problem, Span


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
    text = render.query_error("<b> AND (", QueryError("unclosed (", 8).problem)
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


# --------------------------------------------------------------------------- long replies


def _bold_text(chunks: list[str]) -> str:
    """The bold characters Telegram would show across ``chunks``, blanks removed."""
    out = []
    for chunk in chunks:
        parsed = check_message_text(chunk, "HTML")
        units = parsed.text.encode("utf-16-le")
        for entity in parsed.entities:
            if entity["type"] == "bold":
                start, end = 2 * entity["offset"], 2 * (entity["offset"] + entity["length"])
                out.append(units[start:end].decode("utf-16-le"))
    return "".join("".join(out).split())


def _shown(chunks: list[str]) -> str:
    return "".join("".join(check_message_text(c, "HTML").text for c in chunks).split())


def test_a_4000_character_test_splits_between_tags() -> None:
    from bot.chat.trial import Hit, HitKind

    text = ("Bank <b>hit</b> & data breach 😀 at A&amp;B; " * 100)[:4000]
    spans = tuple(Span("title", i, i + 9) for i in range(0, 4000, 23))  # some straddle splits
    chunks = render.test_result(text, [Hit(HitKind.WATCH, "bank", "1", spans)])
    assert len(chunks) >= 2
    for chunk in chunks:  # Telegram would accept each one
        assert check_message_text(chunk, "HTML").utf16_len <= render.MAX_UTF16
        assert render.utf16_len(chunk) <= render.MAX_UTF16
    assert "".join(text.split()) in _shown(chunks)
    highlighted = "".join(text[s.start : s.end] for s in spans)
    assert _bold_text(chunks) == "".join(highlighted.split())


_PIECES = [*"ab <>&\"';/\n", "\u00e9", "😀", "e\u0301", "&amp;", "\u2028"]
_TEXT = st.lists(st.sampled_from(_PIECES), max_size=300).map("".join)


@given(
    text=_TEXT.filter(str.strip),
    cuts=st.lists(st.tuples(st.integers(0, 400), st.integers(1, 30)), max_size=12),
    limit=st.integers(40, 400),
)
def test_any_highlighted_text_splits_into_valid_messages(
    text: str, cuts: list[tuple[int, int]], limit: int
) -> None:
    spans = [Span("title", start, start + length) for start, length in cuts]
    chunks = render.split_message(["head", render.highlight(text, spans), "tail"], limit)
    for chunk in chunks:
        assert render.utf16_len(chunk) <= limit
        check_message_text(chunk, "HTML")  # balanced, no cut tag or entity, not empty
    assert _shown(chunks) == "".join(f"head{text}tail".split())
    marked = [False] * len(text)
    for span in spans:
        for i in range(max(0, span.start), min(len(text), span.end)):
            marked[i] = True
    expected = "".join(c for c, m in zip(text, marked, strict=True) if m)
    assert _bold_text(chunks) == "".join(expected.split())


def test_test_answers_in_a_few_messages_however_many_hits() -> None:
    from bot.chat.trial import Hit, HitKind

    text = "outage " * 570  # 3,990 characters
    hits = [Hit(HitKind.RULE, f"Rule {n}", f"r{n}", (Span("title", 0, 6),)) for n in range(30)]
    chunks = render.test_result(text, hits)
    assert len(chunks) <= render.TEST_MESSAGES
    shown = [check_message_text(c, "HTML").text for c in chunks]
    assert shown[0].startswith("30 matches:")
    assert "more; /test a shorter text to see them all." in shown[-1]


LONG = "Mars/" + "<x&y>" * 1000


@pytest.mark.parametrize(
    "reply",
    [
        lambda: render.no_rule(LONG),
        lambda: render.unsubscribed(LONG, None, removed=False),
        lambda: render.unknown_command(LONG),
        lambda: render.watch_added(1, LONG),
        lambda: render.watch_removed(1, LONG),
        lambda: render.timezone_set(LONG),
        lambda: render.feed_removed(LONG, removed=False),
        lambda: render.feed_refused(f"cannot fetch {LONG}"),
        lambda: render.query_error(LONG, Problem(f"unknown entity '@{LONG}'", offset=3000)),
        lambda: render.test_result(LONG, [])[0],
    ],
    ids=[
        "no-rule",
        "unsubscribed",
        "unknown-command",
        "watch-added",
        "watch-removed",
        "timezone-set",
        "feed-removed",
        "feed-refused",
        "query-error",
        "test-nothing",
    ],
)
def test_replies_quote_only_an_excerpt_of_user_input(reply: Callable[[], str]) -> None:
    text = reply()
    shown = check_message_text(text, "HTML").text
    assert len(shown) < 400
    assert "<x&y>" * 40 not in shown


def test_the_rules_list_with_its_more_rules_note_always_fits_one_message() -> None:
    """The note used to be appended to a chunk that could already be full."""
    from bot.chat.handlers import ChatHandlers
    from bot.chat.services import ChatServices, RulesView
    from bot.devtools.fakebotapi import check_message_text
    from bot.match import compile_rules
    from bot.models import RuleSpec

    ruleset = compile_rules([RuleSpec("r0", "x")], {})  # not matched here
    for width in range(1, 300):
        view = RulesView(
            rules=tuple(RuleSpec(f"r{i}", "x", title="t" * width) for i in range(200)),
            entities={},
            ruleset=ruleset,
        )
        handlers = ChatHandlers(
            ChatServices(store=None, settings=None, rules=lambda v=view: v, watches_changed=None)  # type: ignore[arg-type]
        )
        text, _ = handlers._rules_message(view, set(), True)
        assert text.endswith("…more rules: use /subscribe RULE_ID")
        check_message_text(text, "HTML")  # raises if Telegram would refuse it
        assert render.utf16_len(text) <= 4096  # the HTML source too, as everywhere in replies


@pytest.mark.parametrize(
    ("instances", "line"),
    [
        (None, None),
        (
            InstancesStatus(live=3, held=("sender", "updates"), polled=42),
            "Instances: 3 live; this one holds: sender, updates; polled 42 feeds in the last"
            " minute",
        ),
        (
            InstancesStatus(live=1, held=(), polled=0),
            "Instances: 1 live; this one holds: none; polled 0 feeds in the last minute",
        ),
    ],
    ids=["one-instance", "holds-both-roles", "holds-none"],
)
def test_status_text(instances: InstancesStatus | None, line: str | None) -> None:
    status = Status(
        uptime=59.9,
        rules=0,
        watches=0,
        feeds=0,
        failing=0,
        outbox={},
        sent=0,
        retried=0,
        instances=instances,
    )
    (text,) = render.status_text(status)
    check_message_text(text, "HTML")
    lines = text.split("\n")
    assert lines[:5] == [
        "Up 0h00m",
        "Rules: 0; watches: 0",
        "Feeds: 0 (0 failing)",
        "Outbox: empty",
        "Sent this run: 0; retried: 0",
    ]
    assert lines[5:] == ([line] if line else [])
