"""/search and the /watch count over the kept history (issue 13, item 6), through real
python-telegram-bot and the fake Bot API, with hostile titles."""

from __future__ import annotations

from datetime import UTC, datetime

from bot.models import Entry, FeedSpec, Match
from bot.store import Routing
from tests.chat.conftest import NOW, USER, Harness

DAY = 86400.0
HOSTILE = '<script>alert("x")</script> outage at AT&T </a><b>'


async def stored(
    bot: Harness, feed: str, entries: list[tuple[str, str, str | None, float]]
) -> None:
    """Record ``(key, title, link, days ago)`` as first seen then (alerting nobody)."""
    await bot.store.feeds.sync_from_rules(
        [FeedSpec(feed, f"http://{feed}.example/")], NOW - 60 * DAY
    )
    for key, title, link, ago in entries:
        at = NOW - ago * DAY
        await bot.store.entries.record(
            feed,
            [Entry(feed, key, title, link, "", datetime.fromtimestamp(at, UTC))],
            now=at,
            alertable=lambda e: False,
            decide=lambda e: [Match("none")],
            routing=Routing(),
        )


async def test_search_shows_the_latest_ten_newest_first(bot: Harness) -> None:
    await stored(
        bot,
        "wire",
        [
            (f"k{n}", f"Network outage number {n}", f"https://wire.example/{n}", 20 - n)
            for n in range(14)
        ]
        + [("other", "Parade in Beijing", None, 1)],
    )
    reply = await bot.send(USER, "/search outage")
    lines = reply.plain_text.splitlines()
    assert lines[0] == "Latest 10 matches for outage"
    titles = [line.split(" — ")[0].removeprefix("• ") for line in lines[1:]]
    assert titles == [f"Network outage number {n}" for n in range(13, 3, -1)]
    assert "— wire, " in lines[1] and "UTC" in lines[1]
    links = [e["url"] for e in reply.entities if e["type"] == "text_link"]
    assert links[0] == "https://wire.example/13" and len(links) == 10


async def test_search_uses_the_full_query_language(bot: Harness) -> None:
    await stored(
        bot,
        "wire",
        [
            ("a", "Acme Corp reports a data breach", None, 2),
            ("b", "ACME outage in Berlin", None, 3),
            ("c", "Data breach at a bank", None, 4),
        ],
    )
    reply = await bot.send(USER, '/search @acme AND NOT "data breach"')
    assert "ACME outage in Berlin" in reply.plain_text
    assert "Acme Corp reports" not in reply.plain_text and "bank" not in reply.plain_text
    reply = await bot.send(USER, "/search volcano")
    assert reply.plain_text == "No kept entry matches volcano."
    reply = await bot.send(USER, "/search outage AND (")
    assert "column" in reply.plain_text and "/search QUERY" in reply.plain_text
    reply = await bot.send(USER, "/search")
    assert "query is missing" in reply.plain_text


async def test_search_keeps_hostile_titles_and_links_inert(bot: Harness) -> None:
    await stored(
        bot,
        "evil<feed>",
        [
            ("x", HOSTILE, "javascript:alert(1)", 1),
            ("y", "outage\x00\x1b[31m red \u202e", 'https://ok.example/?a=1&b="2"', 2),
        ],
    )
    reply = await bot.send(USER, "/search outage")
    assert HOSTILE.strip() in reply.plain_text
    assert "&lt;script&gt;" in reply.text and "AT&amp;T" in reply.text
    assert "<script>" not in reply.text
    links = [e["url"] for e in reply.entities if e["type"] == "text_link"]
    assert links == ['https://ok.example/?a=1&b="2"']  # javascript: is never a link
    assert "\x00" not in reply.plain_text and "\x1b" not in reply.plain_text
    assert "evil<feed>" in reply.plain_text


async def test_watch_reply_counts_the_last_seven_days(bot: Harness) -> None:
    await stored(
        bot,
        "wire",
        [
            ("a", "Cloud outage in Frankfurt", None, 1),
            ("b", "Outage at a bank", None, 6),
            ("c", "Old outage", None, 9),  # before the seven days
            ("d", "Parade", None, 2),
        ],
    )
    reply = await bot.send(USER, "/watch outage")
    assert reply.plain_text.splitlines() == [
        "Watch 1 added: outage",
        "Remove it with /unwatch 1.",
        "In the last 7 days it would have matched 2 entries.",
    ]
    reply = await bot.send(USER, "/watch volcano")
    assert reply.plain_text.endswith("it would have matched 0 entries.")
