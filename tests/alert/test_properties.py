"""Property: whatever a feed sends, every rendered message is valid Telegram HTML that fits."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta

from hypothesis import given, settings
from hypothesis import strategies as st

from bot.alert import render_alert
from bot.models import Alert, AlertItem, Span
from tests.alert.checks import validate

NOW = datetime(2026, 9, 3, 14, 30, tzinfo=UTC)

# Text biased towards what breaks HTML and length accounting.
_PIECES = [
    *"<>&\"'; /=:#\n\t ",
    "&amp;",
    "&lt;",
    "😀",
    "🇩🇪",
    "\u200d",
    "\u0301",
    "<b>",
    "</a>",
    "javascript:",
    "\x00",
    "\ufffd",
]
nasty = (
    st.lists(st.one_of(st.sampled_from(_PIECES), st.characters(codec="utf-8")), max_size=300)
    .map("".join)
    .flatmap(lambda s: st.sampled_from([s, s * 20]))
)  # sometimes very long
links = st.one_of(
    st.none(),
    st.text(max_size=60),
    st.builds(lambda path: f"https://example.com/{path}", st.text(max_size=200)),
    st.sampled_from(["javascript:alert(1)", "http://x.org/?a=1&b=2", 'https://e.com/"><img>']),
)


@st.composite
def items(draw: st.DrawFn) -> AlertItem:
    title = draw(nasty)
    summary = draw(nasty)
    spans = draw(
        st.lists(
            st.builds(
                Span,
                st.sampled_from(["title", "summary"]),
                st.integers(-5, len(summary) + 5),
                st.integers(-5, len(summary) + 5),
            ),
            max_size=8,
        )
    )
    return AlertItem(
        feed_name=draw(nasty),
        title=title,
        link=draw(links),
        summary=summary,
        published=draw(st.none() | st.just(NOW - timedelta(minutes=3))),
        rule_titles=tuple(draw(st.lists(nasty, max_size=3))),
        spans=tuple(spans),
    )


@settings(max_examples=150, deadline=None)
@given(it=items())
def test_any_item_renders_to_valid_messages(it: AlertItem) -> None:
    messages = render_alert(Alert(1, 5, None, (it,)), NOW)
    assert len(messages) == 1
    validate(messages)


@settings(max_examples=40, deadline=None)
@given(its=st.lists(items(), min_size=2, max_size=30))
def test_any_digest_renders_to_valid_messages_and_keeps_every_item(its: list[AlertItem]) -> None:
    messages = render_alert(Alert(1, 5, None, tuple(its)), NOW)
    parsed = validate(messages)
    lines = sum(p.text.count("\n• ") for p in parsed)
    assert lines == len(its)
