"""Alert rendering: escaping, links, snippets, limits, digests."""

from __future__ import annotations

from dataclasses import replace
from datetime import UTC, datetime, timedelta
from zoneinfo import ZoneInfo

import pytest

from bot.alert import format_published, render_alert
from bot.devtools.fakebotapi import utf16_len
from bot.models import Alert, AlertItem, Outlet, Span
from tests.alert.checks import validate

NOW = datetime(2026, 9, 3, 14, 30, tzinfo=UTC)


def item(
    title: str = "Title",
    link: str | None = "https://example.com/a",
    summary: str = "",
    feed: str = "Example News",
    published: datetime | None = NOW - timedelta(minutes=5),
    rules: tuple[str, ...] = ("Rule",),
    spans: tuple[Span, ...] = (),
) -> AlertItem:
    return AlertItem(feed, title, link, summary, published, rules, spans)


def alert(*items: AlertItem, kind: str = "alert") -> Alert:
    return Alert(id=1, chat_id=5, thread_id=None, items=items, kind=kind)


def render_one(it: AlertItem, **kwargs: object):  # type: ignore[no-untyped-def]
    messages = render_alert(alert(it), NOW, **kwargs)  # type: ignore[arg-type]
    assert len(messages) == 1
    (parsed,) = validate(messages)
    return messages[0], parsed


HOSTILE_TITLES = [
    "<script>alert(1)</script>",
    "a & b",
    "a &amp; b &lt;",
    '"><img src=x onerror=alert(1)>',
    "</b></a><b>",
    "javascript:alert(1)",
    "1 < 2 > 0",
    "&#60;b&#62;",
    "x\x00y\x07z",
    "emoji 😀 and flags 🇩🇪 and zwj 👨‍👩‍👧",
]


@pytest.mark.parametrize("title", HOSTILE_TITLES, ids=range(len(HOSTILE_TITLES)))
def test_hostile_titles_arrive_as_literal_text(title: str) -> None:
    it = item(title=title, summary=title, feed=title, rules=(title,))
    message, parsed = render_one(it)
    visible = " ".join(title.replace("\x00", " ").replace("\x07", " ").split())
    assert parsed.text.startswith(visible + "\n")
    assert f"Matched: {visible}" in parsed.text
    assert "<script" not in message.text and "<img" not in message.text
    assert message.plain_fallback.startswith(visible)


LINKS = [
    ("https", "https://example.com/a?b=1&c=2", "https://example.com/a?b=1&c=2"),
    ("http", "http://example.com", "http://example.com"),
    ("quote-breakout", 'https://e.com/"><img>', 'https://e.com/"><img>'),
    ("single-quote", "https://e.com/it's", "https://e.com/it's"),
    ("javascript", "javascript:alert(1)", None),
    ("data", "data:text/html,<script>alert(1)</script>", None),
    ("ftp", "ftp://example.com/file", None),
    ("no-host", "https://", None),
    ("relative", "/local/path", None),
    ("spaces", "https://e.com/a b", None),
    ("bad-port", "https://e.com:99999999/", None),
    ("none", None, None),
    ("idn", "https://bücher.example/x", "https://bücher.example/x"),
    ("too-long", "https://e.com/" + "a" * 5000, None),
]


@pytest.mark.parametrize(("link", "expected"), [c[1:] for c in LINKS], ids=[c[0] for c in LINKS])
def test_only_http_links_become_hrefs(link: str | None, expected: str | None) -> None:
    message, parsed = render_one(item(title="Story", link=link))
    links = [e for e in parsed.entities if e["type"] == "text_link"]
    if expected is None:
        assert links == [] and "href" not in message.text
        assert "javascript" not in message.plain_fallback
    else:
        assert links == [{"type": "text_link", "offset": 0, "length": 5, "url": expected}]
        assert expected in message.plain_fallback
    assert 'href="javascript' not in message.text


def test_href_is_attribute_escaped() -> None:
    message, _ = render_one(item(link='https://e.com/"><img>'))
    assert 'href="https://e.com/&quot;&gt;&lt;img&gt;"' in message.text


def test_layout_and_preview_flag() -> None:
    it = item(
        title="Quake hits city",
        summary="A strong quake hit the city on Monday.",
        rules=("Earthquakes", "Cities"),
        spans=(Span("title", 0, 5), Span("summary", 9, 14)),
    )
    message, parsed = render_one(it)
    assert parsed.text == (
        "Quake hits city\nExample News · 5 min ago\nMatched: Earthquakes, Cities\n\n"
        "A strong quake hit the city on Monday."
    )
    bolds = [
        parsed.text[e["offset"] : e["offset"] + e["length"]]
        for e in parsed.entities
        if e["type"] == "bold"
    ]
    assert bolds == ["Quake hits city", "Earthquakes, Cities", "quake"]
    assert message.disable_preview
    (with_preview,) = render_alert(alert(it), NOW, link_preview=True)
    assert not with_preview.disable_preview


def test_snippet_centres_on_a_late_match() -> None:
    summary = "filler words " * 400 + "THE NEEDLE here " + "tail words " * 400
    start = summary.index("NEEDLE")
    _, parsed = render_one(item(summary=summary, spans=(Span("summary", start, start + 6),)))
    snippet = parsed.text.split("\n\n", 1)[1]
    assert snippet.startswith("…") and snippet.endswith("…")
    assert "NEEDLE" in snippet and utf16_len(snippet) <= 700
    (needle,) = [e for e in parsed.entities if e["type"] == "bold" and e["length"] == 6]
    assert parsed.text[needle["offset"] : needle["offset"] + 6] == "NEEDLE"


def test_spans_out_of_range_or_empty_are_ignored() -> None:
    spans = (
        Span("summary", 50, 80),
        Span("summary", 3, 3),
        Span("summary", -5, 2),
        Span("bogus", 0, 4),
    )
    _, parsed = render_one(item(summary="abcdef", spans=spans))
    assert parsed.text.endswith("\n\nabcdef")
    bolds = [e for e in parsed.entities if e["type"] == "bold"]
    assert bolds[-1]["length"] == 2  # only "ab" from the clipped span


@pytest.mark.parametrize(
    "title",
    [
        "x" * 10_000,
        "&" * 10_000,
        "😀" * 10_000,
        "👨‍👩‍👧" * 3000,
        "🇩🇪" * 5000,
        "e\u0301" * 5000,
        "a" * 1023 + "😀" * 10,
    ],
    ids=["ascii", "ampersands", "astral", "zwj", "flags", "combining", "astral-at-cut"],
)
def test_huge_titles_are_cut_between_graphemes(title: str) -> None:
    it = item(
        title=title,
        summary=title,
        feed=title,
        rules=(title,) * 3,
        link="https://e.com/" + "&" * 2000,
    )
    _, parsed = render_one(it)
    first_line = parsed.text.split("\n", 1)[0]
    assert first_line.endswith("…")
    kept = first_line[:-1]
    assert title.startswith(kept)
    nxt = title[len(kept)]
    assert nxt not in "\u200d\u0301" and not (kept and kept[-1] == "\u200d")
    if title.startswith("🇩🇪"):
        assert len(kept) % 2 == 0


def test_render_fits_with_everything_at_maximum() -> None:
    huge = "<&>" * 20_000
    spans = tuple(Span("summary", i, i + 1) for i in range(0, 5000, 2))
    it = item(
        title=huge,
        summary=huge,
        feed=huge,
        rules=tuple(huge for _ in range(50)),
        spans=spans,
        link="https://e.com/?" + "&a" * 900,
    )
    render_one(it)


def test_blank_title_gets_a_placeholder() -> None:
    _, parsed = render_one(item(title="  ", summary="", rules=(), published=None))
    assert parsed.text == "(untitled)\nExample News"


@pytest.mark.parametrize(
    ("published", "tz", "expected"),
    [
        (NOW, None, "just now"),
        (NOW - timedelta(seconds=59), None, "just now"),
        (NOW - timedelta(minutes=12, seconds=30), None, "12 min ago"),
        (NOW - timedelta(minutes=60), None, "13:30 UTC, 3 Sep"),
        (datetime(2026, 9, 1, 9, 5, tzinfo=UTC), None, "09:05 UTC, 1 Sep"),
        (datetime(2025, 12, 31, 23, 0, tzinfo=UTC), None, "23:00 UTC, 31 Dec 2025"),
        (datetime(2026, 9, 1, 9, 5, tzinfo=UTC), ZoneInfo("Europe/Berlin"), "11:05 CEST, 1 Sep"),
        (NOW + timedelta(hours=2), None, "16:30 UTC, 3 Sep"),  # future: absolute, never negative
        (datetime(2026, 9, 1, 9, 5), None, "09:05 UTC, 1 Sep"),  # naive means UTC
        (None, None, ""),
    ],
    ids=["now", "59s", "12min", "1h", "days", "last-year", "berlin", "future", "naive", "none"],
)
def test_format_published(published: datetime | None, tz: ZoneInfo | None, expected: str) -> None:
    assert format_published(published, NOW, tz) == expected


# --------------------------------------------------------------------------- digests


def digest_lines(parsed_texts: list[str]) -> list[str]:
    lines = []
    for text in parsed_texts:
        _header, *rest = text.split("\n")
        lines += rest
    return lines


def test_digest_one_line_per_entry() -> None:
    items = [item(title=f"Story {i}", link=f"https://e.com/{i}", feed="Feed") for i in range(12)]
    messages = render_alert(alert(*items), NOW)
    (parsed,) = validate(messages)
    lines = parsed.text.split("\n")
    assert lines[0] == "12 new alerts"
    assert lines[1:] == [f"• Story {i} — Feed" for i in range(12)]
    links = [e["url"] for e in parsed.entities if e["type"] == "text_link"]
    assert links == [f"https://e.com/{i}" for i in range(12)]
    assert "https://e.com/3" in messages[0].plain_fallback
    assert all(m.disable_preview for m in messages)


@pytest.mark.parametrize("n", [2, 150, 500])
def test_big_digest_is_split_and_nothing_dropped(n: int) -> None:
    items = [
        item(
            title=f"Story {i} <&> " + "é😀" * (i % 90),
            link=f"https://e.com/{i}?q=" + "&" * (i % 300),
            feed=f"Feed {i % 7}",
        )
        for i in range(n)
    ]
    messages = render_alert(alert(*items, kind="digest"), NOW)
    parsed = validate(messages)
    total = len(messages)
    for number, p in enumerate(parsed, start=1):
        suffix = f" ({number}/{total})" if total > 1 else ""
        assert p.text.split("\n")[0] == f"Digest: {n} new alerts{suffix}"
    lines = digest_lines([p.text for p in parsed])
    assert len(lines) == n
    assert [line.split(" ", 3)[2] for line in lines] == [str(i) for i in range(n)]


def test_digest_split_does_not_depend_on_now() -> None:
    items = [
        item(title=f"S{i} " + "x" * 200, published=NOW - timedelta(minutes=i)) for i in range(200)
    ]
    first = render_alert(alert(*items), NOW)
    later = render_alert(alert(*items), NOW + timedelta(days=3))
    assert first == later and len(first) > 1


def test_digest_of_huge_titles() -> None:
    items = [item(title="&" * 10_000, link="https://e.com/" + "a" * 2000, feed="<" * 500)] * 40
    messages = render_alert(alert(*items), NOW)
    assert len(digest_lines([p.text for p in validate(messages)])) == 40


# ----------------------------------------------------------------------- stories: other outlets


def outlets(
    n: int, name: str = "Outlet {}", link: str = "https://o{}.example/s"
) -> tuple[Outlet, ...]:
    return tuple(Outlet(name.format(k), link.format(k)) for k in range(n))


def test_other_outlets_are_named_and_linked_in_order() -> None:
    it = replace(item(), also=outlets(3, "<b>Daily {} & Co</b>"))
    message, parsed = render_one(it)
    assert "Also reported by: <b>Daily 0 & Co</b>, <b>Daily 1 & Co</b>, <b>Daily 2 & Co</b>" in (
        parsed.text
    )
    assert '<a href="https://o1.example/s">&lt;b&gt;Daily 1 &amp; Co&lt;/b&gt;</a>' in message.text


def test_many_outlets_are_counted_not_listed() -> None:
    _, parsed = render_one(replace(item(), also=outlets(30)))
    assert "Also reported by: Outlet 0, Outlet 1," in parsed.text
    assert "Outlet 7, +22" in parsed.text and "Outlet 8" not in parsed.text


@pytest.mark.parametrize("count", [1, 8, 50])
def test_the_outlet_list_is_shortened_never_the_message_broken(count: int) -> None:
    """Everything at its maximum, outlets with long hostile names and links: still one
    message Telegram accepts, the title kept, the outlets shortened to fit."""
    long_name = "&<>" * 40 + " {}"
    long_link = "https://outlet.example/" + "a&b" * 600 + "/{}"
    it = item(
        title="Parade " + "ü😀" * 600,
        summary="x" * 5000,
        feed="F" * 500,
        rules=tuple("R" * 100 for _ in range(20)),
    )
    _, parsed = render_one(replace(it, also=outlets(count, long_name, long_link)))
    assert parsed.text.startswith("Parade ")
    assert "Also reported by: " in parsed.text or "other outlets" in parsed.text


def test_a_digest_line_counts_the_other_outlets() -> None:
    one = replace(item(title="One"), also=outlets(1))
    three = replace(item(title="Three", link="https://example.com/3"), also=outlets(3))
    lines = digest_lines([p.text for p in validate(render_alert(alert(one, three), NOW))])
    assert lines == ["• One — Example News (+1 outlet)", "• Three — Example News (+3 outlets)"]
