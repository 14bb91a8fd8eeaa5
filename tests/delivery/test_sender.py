"""The Sender end to end: outbox rows (written by ``store.entries.record``) -> real PTB ``Bot``
-> the fake Bot API over HTTP. Limits are asserted on the send times the fake recorded."""

from __future__ import annotations

import asyncio
import random
import time
from datetime import UTC, datetime

import pytest

from bot.delivery.sender import Sender
from bot.delivery.transport import TelegramTransport
from bot.devtools.fakebotapi import FakeBotAPI, utf16_len
from bot.models import Entry, FeedSpec, Match, Span
from bot.store import Routing, Store
from tests.delivery.conftest import Limits, entry, real_bot, running, seed, until

FAST = Limits(private_rate=10.0, group_per_minute=20, group_window=2.0)  # same shapes, faster


class LowRng(random.Random):
    """Backoff at the low end of its jitter range (deterministic, and short)."""

    def uniform(self, a: float, b: float) -> float:
        return a


async def states(store: Store) -> dict[str, int]:
    return await store.outbox.counts()


def sends(api: FakeBotAPI) -> list[tuple[int | str, float]]:
    return [(m.chat_id, m.at) for m in api.sent]


# ---------------------------------------------------------------------------- the happy path


HOSTILE = [
    entry("h1", title="<script>alert(1)</script> & </b> \"quoted\" 'single' <a href=x>"),
    entry("h2", title="Tags <b><i>unclosed", link="javascript:alert(1)"),
    entry("h3", title="AT&T &amp; &lt;b&gt; <<>>", link='https://x.example/?a=1&b=<2>"q"'),
    entry("h4", title="", link="https://x.example/empty", summary="<p>html & more</p>"),
    entry("h5", title="Emoji 🎉 " * 300, link="https://x.example/" + "a" * 3000),
]


async def test_hostile_titles_and_links_reach_the_chat_escaped(
    store: Store, api: FakeBotAPI
) -> None:
    assert await seed(store, {7: HOSTILE}) == 5
    async with running(store, api):
        await until(lambda: len(api.sent) == 5, what="five alerts")
        await until(lambda: states(store))
    assert await states(store) == {"sent": 5}
    texts = [m.plain_text for m in api.sent_to(7)]
    assert all(m.parse_mode == "HTML" for m in api.sent)  # the fake's strict parser took each
    assert '<script>alert(1)</script> & </b> "quoted"' in texts[0]
    assert "Tags <b><i>unclosed" in texts[1]
    assert "javascript:" not in "".join(m.text for m in api.sent)  # only http(s) links
    assert "AT&T &amp; &lt;b&gt; <<>>" in texts[2]
    assert all(utf16_len(t) <= 4096 for t in texts)


async def test_every_row_is_sent_once_and_marked_sent(store: Store, api: FakeBotAPI) -> None:
    chats = {c: 2 for c in range(1, 21)} | {-1001: 3}
    await seed(store, chats)
    async with running(store, api) as sender:
        await until(lambda: len(api.sent) == 43, what="43 alerts")
        await until(lambda: sender.stats.sent == 43)
    assert await states(store) == {"sent": 43}
    for chat, count in chats.items():
        assert len(api.sent_to(chat)) == count
    keys = [(m.chat_id, m.plain_text) for m in api.sent]
    assert len(set(keys)) == len(keys)


# ---------------------------------------------------------------------------- failures


@pytest.mark.parametrize("kind", ["403_blocked", "403_kicked", "chat_not_found"])
async def test_gone_chat_dies_alone(store: Store, api: FakeBotAPI, kind: str) -> None:
    gone = -1002 if kind == "403_kicked" else 5
    api.fail_next(kind=kind, chat_id=gone)
    await seed(store, {gone: 3, 6: 2, -1003: 2})
    async with running(store, api, limiter=FAST.limiter()):
        await until(lambda: len(api.sent) == 4, what="the other chats' alerts")
        await until(lambda: _has(store, "dead", 3))
    assert await states(store) == {"sent": 4, "dead": 3}
    assert api.sent_to(gone) == [] and len(api.calls_of("sendMessage")) == 5  # one try only
    prefs = await store.chats.get(gone)
    assert prefs is not None and not prefs.active
    assert [s.rule_id for s in await store.chats.subscriptions(gone)] == [f"r{gone}"]  # kept
    assert (
        await seed(store, {gone: [entry("later")]}, ensure=False) == 0
    )  # an inactive chat is owed nothing


async def _has(store: Store, state: str, count: int) -> bool:
    return (await store.outbox.counts()).get(state) == count


async def _are(store: Store, expected: dict[str, int]) -> bool:
    return await store.outbox.counts() == expected


async def test_blocked_chat_stops_its_later_rows_too(store: Store, api: FakeBotAPI) -> None:
    api.block_chat(8)
    await seed(store, {8: 30, 9: 1})
    async with running(store, api):
        await until(lambda: _has(store, "dead", 30), what="all of chat 8's rows dead")
        await until(lambda: len(api.sent_to(9)) == 1)
    assert len(api.calls_of("sendMessage")) == 2


async def test_migrated_group_moves_and_is_resent_there(store: Store, api: FakeBotAPI) -> None:
    api.fail_next(kind="migrate", chat_id=-42, migrate_to_chat_id=-10042)
    await seed(store, {-42: 3})
    async with running(store, api, limiter=FAST.limiter()):
        await until(lambda: len(api.sent_to(-10042)) == 3, what="three alerts in the new chat")
        await until(lambda: _has(store, "sent", 3))
    assert api.sent_to(-42) == []
    assert [s.rule_id for s in await store.chats.subscriptions(-10042)] == ["r-42"]
    assert await store.chats.subscriptions(-42) == []
    texts = [m.plain_text for m in api.sent_to(-10042)]
    assert [t.split("\n")[0] for t in texts] == ["Story c-42-0", "Story c-42-1", "Story c-42-2"]


async def test_server_errors_back_off_and_retry(store: Store, api: FakeBotAPI) -> None:
    api.fail_next(kind="5xx", chat_id=3, times=2)
    await seed(store, {3: 1, 4: 1})
    async with running(store, api, rng=LowRng()):
        await until(lambda: len(api.sent_to(3)) == 1, timeout=8, what="the retried alert")
    calls = [c.at for c in api.calls_of("sendMessage") if c.params["chat_id"] == 3]
    assert len(calls) == 3
    # attempt n waits at least half its ceiling: 2 * 2^(n-1) / 2
    assert calls[1] - calls[0] >= 1.0 - 0.05 and calls[2] - calls[1] >= 2.0 - 0.05
    assert len(api.sent_to(4)) == 1 and api.sent_to(4)[0].at < calls[1]  # never held up


async def test_unparsable_html_goes_out_as_plain_text(store: Store, api: FakeBotAPI) -> None:
    api.fail_next(kind="parse_entities", chat_id=3)
    await seed(store, {3: 1})
    async with running(store, api):
        await until(lambda: _has(store, "sent", 1))
    (sent,) = api.sent_to(3)
    assert sent.parse_mode is None and sent.plain_text.startswith("Story c3-0")


async def test_refused_alert_is_dead_and_the_chat_lives_on(store: Store, api: FakeBotAPI) -> None:
    api.fail_next(kind="400", chat_id=3, description="Bad Request: message is too long")
    await seed(store, {3: 2})
    async with running(store, api):
        await until(lambda: _are(store, {"sent": 1, "dead": 1}))
    prefs = await store.chats.get(3)
    assert prefs is not None and prefs.active


# ---------------------------------------------------------------------------- 429


async def test_429_holds_the_named_chat_for_exactly_retry_after(
    store: Store, api: FakeBotAPI
) -> None:
    api.fail_next(kind="429", chat_id=3, retry_after=1)
    await seed(store, {3: 3, 4: 3})
    async with running(store, api):
        await until(lambda: len(api.sent_to(3)) == 3, timeout=8, what="chat 3 after its hold")
        await until(lambda: len(api.sent_to(4)) == 3)
    (refused, *later) = [c.at for c in api.calls_of("sendMessage") if c.params["chat_id"] == 3]
    assert min(later) >= refused + 1.0  # nothing early
    assert min(later) < refused + 1.5  # and not much later
    assert api.sent_to(4)[0].at < refused + 0.5  # other chats never wait for it
    firsts = [m.plain_text.split("\n")[0] for m in api.sent_to(3)]
    assert firsts == ["Story c3-0", "Story c3-1", "Story c3-2"]  # the held alert stays first


async def test_429s_from_several_chats_hold_everything(store: Store, api: FakeBotAPI) -> None:
    api.fail_next(kind="429", chat_id=None, times=3, retry_after=1)
    await seed(store, {1: 1, 2: 1, 3: 1})
    async with running(store, api) as sender:
        await until(lambda: sender.stats.retried == 3, what="three 429s")
        third_429 = api.calls_of("sendMessage")[2].at
        await seed(store, {4: 1})  # a chat Telegram never named
        sender.wake()
        await until(lambda: len(api.sent) == 4, timeout=8, what="every chat after the hold")
    calls = api.calls_of("sendMessage")
    assert len(calls) == 7
    assert all(c.at >= third_429 + 1.0 for c in calls[3:])
    assert api.sent_to(4)[0].at < third_429 + 1.5


async def test_a_429_hold_survives_a_new_sender(store: Store, api: FakeBotAPI) -> None:
    """Issue 11: the sender that got a 429 stops (another instance takes the role); the new
    one reads the hold from the row put back and keeps it for the chat's other alerts too."""
    api.fail_next(kind="429", chat_id=3, retry_after=2)
    await seed(store, {3: 2})
    async with running(store, api) as first:
        await until(lambda: first.stats.retried == 1, what="the 429")
    refused = api.calls_of("sendMessage")[0].at
    assert len(api.sent) == 0  # the second alert waited behind the held first
    holds = await store.outbox.flood_holds(time.time())
    assert [chat for chat, _ in holds] == [3]
    async with real_bot(api) as bot:
        second = Sender(store, TelegramTransport(bot))
        second.seed_holds(holds, time.time())
        stop = asyncio.Event()
        task = asyncio.create_task(second.run(stop))
        try:
            await until(lambda: len(api.sent_to(3)) == 2, timeout=8, what="both after the hold")
        finally:
            stop.set()
            await asyncio.wait_for(task, timeout=10)
    assert min(m.at for m in api.sent_to(3)) >= refused + 2.0  # neither went out early


async def test_a_bot_wide_hold_survives_a_new_sender(store: Store, api: FakeBotAPI) -> None:
    """Issue 11: three chats refused at once hold every chat; the sender stops, and the new
    one keeps that hold for a chat Telegram never named (it would otherwise send at once)."""
    api.fail_next(kind="429", chat_id=None, times=3, retry_after=2)
    await seed(store, {1: 1, 2: 1, 3: 1})
    async with running(store, api) as first:
        await until(lambda: first.stats.retried == 3, what="three 429s")
    third_429 = api.calls_of("sendMessage")[2].at
    await seed(store, {4: 1})
    now = time.time()
    every_chat = await store.outbox.bot_wide_hold(now)
    assert every_chat is not None and every_chat >= third_429 + 1.5
    async with real_bot(api) as bot:
        second = Sender(store, TelegramTransport(bot))
        second.seed_holds(await store.outbox.flood_holds(now), now, every_chat)
        stop = asyncio.Event()
        task = asyncio.create_task(second.run(stop))
        try:
            await until(lambda: len(api.sent) == 4, timeout=10, what="every chat after the hold")
        finally:
            stop.set()
            await asyncio.wait_for(task, timeout=10)
    later = [c.at for c in api.calls_of("sendMessage")[3:]]
    assert min(later) >= third_429 + 2.0  # chat 4 too waited for the hold


# ---------------------------------------------------------------------------- limits, fairness


async def test_rate_limits_hold_on_recorded_send_times(store: Store, api: FakeBotAPI) -> None:
    # the group's window binds before its pacing would space 7 sends over 2 s (with 20 per
    # window and 25 alerts, the pacing alone met the window: a broken window check passed)
    limits = Limits(private_rate=10.0, group_per_minute=6, group_window=2.0)
    # 70 one-alert chats (the global window), a private burst, a group over its window
    chats: dict[int, int] = {c: 1 for c in range(100, 170)} | {7: 12, -1009: 8}
    total = await seed(store, chats)
    # The fake server shares this event loop, so the time it stamps on a request also carries
    # any stall of the loop; a 250 ms margin (default 40 ms) keeps the check about the
    # limiter, not about how busy the machine is.
    async with running(store, api, limiter=limits.limiter(jitter=0.25)):
        await until(lambda: len(api.sent) == total, timeout=25, what="every alert")
    times = sorted(t for _, t in sends(api))
    crowded = [times[i : i + 31] for i in range(len(times) - 30) if times[i + 30] - times[i] < 1]
    assert not crowded, [round(t - crowded[0][0], 4) for t in crowded[0]]
    assert limits.violations(sends(api)) == {"global": 0, "private": 0, "group": 0}
    group = sorted(m.at for m in api.sent_to(-1009))
    assert group[6] - group[0] >= limits.group_window  # the 7th waited for the window
    times = sorted(t for _, t in sends(api))
    assert times[-1] - times[0] >= 2.0  # 90 messages at 30/s need at least 3 windows


async def test_default_limits_on_a_private_burst(store: Store, api: FakeBotAPI) -> None:
    limits = Limits()
    await seed(store, {7: 5})
    async with running(store, api):
        await until(lambda: len(api.sent) == 5, timeout=6)
    times = sorted(m.at for m in api.sent_to(7))
    assert limits.violations(sends(api)) == {"global": 0, "private": 0, "group": 0}
    assert times[2] - times[0] < 0.3 and times[3] - times[0] >= 1.0  # burst of 3, then 1/s


async def test_a_burst_for_one_chat_does_not_delay_the_others(
    store: Store, api: FakeBotAPI
) -> None:
    await seed(store, {1: 200})
    start = time.monotonic()
    await seed(store, {c: 1 for c in (2, 3, 4, 5)})
    async with running(store, api):
        await until(lambda: all(api.sent_to(c) for c in (2, 3, 4, 5)), timeout=2, what="B..E")
        assert all(api.sent_to(c)[0].at - start < 2.0 for c in (2, 3, 4, 5))
        assert len(api.sent_to(1)) < 200  # A is still draining


# ---------------------------------------------------------------------------- leases, stop


async def test_a_crashed_senders_lease_runs_out_and_the_row_is_sent(
    store: Store, api: FakeBotAPI
) -> None:
    await seed(store, {3: 2})
    (first, _) = await store.outbox.due(time.time())
    assert await store.outbox.claim(first.id, time.time(), lease=1.0) is not None  # then "crash"
    async with running(store, api, lease=1.0):
        await until(lambda: len(api.sent_to(3)) == 2, timeout=5, what="the leased row")
    assert await states(store) == {"sent": 2}


async def test_stopping_gives_waiting_rows_back(store: Store, api: FakeBotAPI) -> None:
    await seed(store, {3: 1, 4: 1})
    async with running(store, api) as sender:
        sender.limiter.hold_all(time.time(), 60)  # as after a bot-wide 429
        sender.wake()
        await until(lambda: _has(store, "pending", 2))
    assert await states(store) == {"pending": 2} and api.sent == []


async def test_drain_sends_what_is_due_and_returns(store: Store, api: FakeBotAPI) -> None:
    await seed(store, {3: 2, 4: 1})
    async with real_bot(api) as bot:
        from bot.delivery.transport import TelegramTransport

        assert await Sender(store, TelegramTransport(bot)).drain(timeout=8)
    assert await states(store) == {"sent": 3}


# ---------------------------------------------------------------------------- digests, quiet hours


class Clock:
    """Wall time plus an offset the test moves forward (hours pass without sleeping)."""

    def __init__(self) -> None:
        self.offset = 0.0

    def __call__(self) -> float:
        return time.time() + self.offset


@pytest.mark.parametrize(
    ("prefs", "advance"),
    [({"digest": "hourly"}, 3600.0), ({"digest": "daily"}, 86400.0), ({"quiet": "QUIET"}, 7200.0)],
    ids=["hourly", "daily", "quiet-hours"],
)
async def test_held_alerts_go_out_as_one_digest(
    store: Store, api: FakeBotAPI, prefs: dict[str, str], advance: float
) -> None:
    clock = Clock()
    if prefs.get("quiet"):  # a quiet window around now (UTC), ending within two hours
        now = time.gmtime()
        prefs = {"quiet": f"{now.tm_hour:02d}:00-{(now.tm_hour + 1) % 24:02d}:59"}
    await seed(store, {3: 3, 4: 1})
    await store.chats.update(3, **prefs)
    async with running(store, api, clock=clock) as sender:
        await until(lambda: _are(store, {"held": 3, "sent": 1}), what="three held alerts")
        assert api.sent_to(3) == []
        clock.offset = advance
        sender.wake()
        await until(lambda: len(api.sent_to(3)) == 1, what="the digest")
        await until(lambda: _are(store, {"sent": 2}))
    (digest,) = api.sent_to(3)
    assert digest.plain_text.startswith("Digest: 3 new alerts")
    assert all(f"Story c3-{i}" in digest.plain_text for i in range(3))


async def test_a_long_digest_is_split_and_a_retry_resumes_after_the_sent_parts(
    store: Store, api: FakeBotAPI
) -> None:
    items = [entry(f"d{i}", title=f"Headline {i:03d} " + "word " * 40) for i in range(120)]
    await seed(store, {3: items}, flood_threshold=0)  # one flood row of 120 items
    api.fail_next(kind="5xx", chat_id=3)  # the first part fails once ...
    async with running(store, api, limiter=FAST.limiter(), rng=LowRng()) as sender:
        await until(lambda: _are(store, {"sent": 1}), timeout=8, what="the whole digest")
        assert sender.stats.messages == len(api.sent_to(3))
    parts = api.sent_to(3)
    total = len(parts)
    assert total >= 3
    assert [p.plain_text.split("\n")[0] for p in parts] == [
        f"120 new alerts ({n}/{total})" for n in range(1, total + 1)
    ]  # every part once, in order
    text = "\n".join(p.plain_text for p in parts)
    assert all(f"Headline {i:03d}" in text for i in range(120))
    assert all(utf16_len(p.plain_text) <= 4096 for p in parts)


async def test_a_retry_after_a_partial_send_skips_the_parts_sent(
    store: Store, api: FakeBotAPI
) -> None:
    items = [entry(f"d{i}", title=f"Headline {i:03d} " + "word " * 40) for i in range(120)]
    await seed(store, {3: items}, flood_threshold=0)
    async with running(store, api, limiter=FAST.limiter(), rng=LowRng()):
        await api.wait_for(lambda a: len(a.sent_to(3)) == 1)
        api.fail_next(kind="5xx", chat_id=3)  # a later part fails once
        await until(lambda: _are(store, {"sent": 1}), timeout=8, what="the whole digest")
    heads = [p.plain_text.split("\n")[0] for p in api.sent_to(3)]
    assert len(heads) == len(set(heads))  # no part twice


async def test_a_held_story_is_one_digest_line_with_its_outlet_count(
    store: Store, api: FakeBotAPI
) -> None:
    clock = Clock()
    await seed(store, {3: 2})
    await store.chats.update(3, digest="hourly")
    await store.feeds.sync_from_rules(
        [
            FeedSpec("f1", "http://feed.example/", name="Feed"),
            FeedSpec("f2", "http://other.example/", name="Other Outlet"),
        ],
        time.time(),
    )
    again = Entry(
        feed_id="f2",
        key="o-1",
        title="The same story, told by another outlet",
        link="https://news.example/c3-0",  # the same canonical link: the same story
        published=datetime.now(UTC),
    )
    recorded = await store.entries.record(
        "f2",
        [again],
        now=time.time(),
        alertable=lambda e: True,
        decide=lambda e: [Match("r3", (Span("title", 0, 1),))],
        routing=Routing({"r3": "Rule 3"}),
    )
    assert (recorded.alerts, recorded.edits) == (0, 1)  # owed: an update, not a message
    async with running(store, api, clock=clock) as sender:
        await until(lambda: _are(store, {"held": 2, "sent": 1}), what="held, the update moot")
        clock.offset = 3600.0
        sender.wake()
        await until(lambda: len(api.sent_to(3)) == 1, what="the digest")
    (digest,) = api.sent_to(3)
    assert digest.plain_text.startswith("Digest: 2 new alerts")
    assert "Story c3-0 — Feed (+1 outlet)" in digest.plain_text
    assert "told by another outlet" not in digest.plain_text
    assert api.edits == []
