"""Flood control end to end: real python-telegram-bot, the fake Bot API answering 429 with a
retry_after of a day. One chat's 429 holds that chat only, for the whole day; 429s from three
chats within a second hold every chat, but only for the cap, then one probe goes first."""

from __future__ import annotations

import time

import pytest

from bot.devtools.fakebotapi import FakeBotAPI
from bot.store import Store
from tests.delivery.conftest import Limits, entry, running, seed, until

DAY = 86400
CAP = 1.0  # the test's bot-wide cap (the default is 300 s)
SLOW = 0.5  # seconds the accepted probe waits for its answer (well within the read timeout)
FAST = Limits(private_rate=10.0, group_per_minute=20, group_window=2.0)


class Admins:
    def __init__(self, fail: bool = False) -> None:
        self.notices: list[str] = []
        self.fail = fail

    async def __call__(self, text: str) -> None:
        self.notices.append(text)
        if self.fail:
            raise RuntimeError("Telegram refused the notice too")


@pytest.mark.parametrize("admins", ["callback", "failing-callback", "log"])
async def test_429s_across_chats_hold_every_chat_for_the_cap_then_probe(
    store: Store, api: FakeBotAPI, admins: str, caplog: pytest.LogCaptureFixture
) -> None:
    told = Admins(fail=admins == "failing-callback")
    notify = None if admins == "log" else told
    api.fail_next(kind="429", times=3, retry_after=DAY)
    await seed(store, {1: 1, 2: 1, -1003: 1})
    limiter = FAST.limiter(bot_wide_cap=CAP)
    async with running(store, api, limiter=limiter, notify_admins=notify) as sender:
        await until(lambda: sender.stats.retried == 3, what="three 429s")
        api.fail_next(kind="429", retry_after=DAY)  # the first probe is refused too
        api.fail_next(kind="read_timeout", delay=SLOW)  # the second is accepted, slowly
        await seed(store, {4: 1})  # a chat Telegram never named
        sender.wake()
        await until(lambda: len(api.sent) == 4, timeout=10, what="every chat after the hold")
        await until(lambda: sender.limiter.flood is None, what="the hold lifted")
    calls = [c.at for c in api.calls_of("sendMessage")]
    assert len(calls) == 3 + 2 + 3  # refused, two probes, the other three
    assert calls[3] >= max(calls[:3]) + CAP  # nothing during the hold: not a day, the cap
    assert calls[4] >= calls[3] + CAP  # the refused probe: held again, capped again
    assert min(calls[5:]) >= calls[4] + SLOW  # the others only once the probe was answered
    assert sorted(len(api.sent_to(c)) for c in (1, 2, -1003, 4)) == [1, 1, 1, 1]
    assert sender.stats.flood_holds == 1
    warned = [r.getMessage() for r in caplog.records if "admin notice" in r.getMessage()]
    assert len(warned) == 2  # logged whether or not there is a callback
    if notify is not None:
        start, end = told.notices
        assert "86400 s (24 h)" in start and f"capped at {CAP:.1f} s" in start
        assert "over" in end and "86400 s" in end and "refused with 429: 4" in end


async def test_one_chats_day_long_429_holds_that_chat_only(store: Store, api: FakeBotAPI) -> None:
    api.fail_next(kind="429", chat_id=3, retry_after=DAY)
    await seed(store, {3: 2, 4: 1, -1005: 1})
    told = Admins()
    start = time.time()
    async with running(store, api, limiter=FAST.limiter(), notify_admins=told) as sender:
        await until(lambda: len(api.sent) == 2, what="the other chats")
        later = {4: [entry("later-4")], 6: [entry("later-6")]}
        assert await seed(store, later) == 2  # later alerts for other chats go out too
        sender.wake()
        await until(lambda: len(api.sent) == 4, what="later alerts")
        assert sender.limiter.delay(3, time.time()) > DAY - 60  # Telegram's rule for chat 3
    assert api.sent_to(3) == [] and len(api.calls_of("sendMessage")) == 5  # one try for 3
    assert told.notices == [] and sender.stats.flood_holds == 0
    # the refused row is due again in the store within the cap (never a day ahead, so that a
    # hold lifted early strands nothing); the chat's other row was never tried; the limiter
    # holds both back for the whole day
    assert len(await store.outbox.due(time.time())) == 1
    assert len(await store.outbox.due(start + 301)) == 2
