"""At least once, end to end: a send Telegram never answered is retried until it answers.

Real python-telegram-bot talks to the fake Bot API, whose ``sendMessage`` either hangs without
delivering (``hang``: a request lost on the way) or delivers and then hangs (``read_timeout``:
the answer is lost). Either way the client's read timeout fires and the alert may or may not
have arrived. Every alert must arrive; a copy beyond the first is allowed only for a genuine
timeout; a row is ``sent`` only with the message id of a copy Telegram answered for.
"""

from __future__ import annotations

import asyncio
import itertools
import random
from typing import Any

import pytest
import sqlalchemy as sa

from bot.delivery.sender import Sender
from bot.delivery.transport import TelegramTransport
from bot.devtools.fakebotapi import FakeBotAPI
from bot.store import Store
from bot.store.schema import outbox
from tests.delivery.conftest import Limits, entry, real_bot, running, seed, until

FAST = Limits(private_rate=10.0, group_per_minute=20, group_window=2.0)
QUICK = {"read_timeout": 0.3, "connection_pool_size": 8}  # the app uses 64 connections


class LowRng(random.Random):
    def uniform(self, a: float, b: float) -> float:
        return a


def quick(**kw: Any) -> dict[str, Any]:
    """Sender settings with short retries (backoff 0.1 s, 0.2 s, 0.4 s, ...)."""
    return {"limiter": FAST.limiter(), "rng": LowRng(), "retry_base": 0.2} | kw


async def rows(store: Store) -> list[Any]:
    async with store.engine.connect() as conn:
        query = sa.select(outbox).order_by(outbox.c.id)
        return list((await conn.execute(query)).all())


async def all_sent(store: Store, count: int) -> bool:
    return await store.outbox.counts() == {"sent": count}


def answered(api: FakeBotAPI, chat_id: int) -> list[int]:
    """Message ids of the copies in ``chat_id`` whose answer reached the bot."""
    return [m.message_id for m in api.sent_to(chat_id) if not m.maybe_delivered]


async def test_requests_lost_on_the_way_are_retried_until_telegram_answers(
    store: Store, api: FakeBotAPI
) -> None:
    """The issue's case: every send hangs twice; the old sender counted all 6 alerts as sent."""
    api.fail_next(kind="hang", times=12, delay=60)
    await seed(store, {3: 2, 4: 2, -1005: 2})
    async with running(store, api, request=QUICK, **quick()) as sender:
        await until(lambda: all_sent(store, 6), timeout=20, what="six alerts sent")
    assert len(api.calls_of("sendMessage")) == 18  # 12 lost + 6 answered
    assert sender.stats.maybe_sent == 12 and sender.stats.sent == 6
    for chat in (3, 4, -1005):
        texts = [m.plain_text.split("\n")[0] for m in api.sent_to(chat)]
        assert sorted(texts) == [f"Story c{chat}-0", f"Story c{chat}-1"]  # each exactly once
    for row in await rows(store):
        assert row.maybe_sent  # kept for visibility
        assert row.message_id in answered(api, row.chat_id)  # Telegram's answer, not a guess


@pytest.mark.parametrize("timeouts", [1, 2, 3, 5])
async def test_a_delivered_but_unanswered_send_is_retried_until_answered(
    store: Store, api: FakeBotAPI, timeouts: int
) -> None:
    api.fail_next(kind="read_timeout", chat_id=3, delay=60, times=timeouts)
    await seed(store, {3: 1, 4: 1})
    async with running(store, api, request=QUICK, **quick()) as sender:
        await until(lambda: all_sent(store, 2), timeout=20, what="both rows sent")
    copies = api.sent_to(3)
    assert len(copies) == timeouts + 1  # one duplicate per genuine timeout, no more
    assert [m.maybe_delivered for m in copies] == [True] * timeouts + [False]
    assert sender.stats.maybe_sent == timeouts
    (row3, row4) = await rows(store)
    assert row3.maybe_sent and row3.message_id == copies[-1].message_id
    assert not row4.maybe_sent and len(api.sent_to(4)) == 1


async def test_retries_back_off_exponentially(store: Store, api: FakeBotAPI) -> None:
    api.fail_next(kind="hang", chat_id=3, delay=60, times=4)
    await seed(store, {3: 1})
    async with running(store, api, request=QUICK, **quick()):
        await until(lambda: all_sent(store, 1), timeout=20)
    starts = [c.at for c in api.calls_of("sendMessage")]
    gaps = [b - a - 0.3 for a, b in itertools.pairwise(starts)]  # minus the timeout
    assert len(gaps) == 4
    # backoff 0.1, 0.2, 0.4, 0.8 s (the low end of each jitter range): never sooner
    assert all(g >= floor - 0.05 for g, floor in zip(gaps, [0.1, 0.2, 0.4, 0.8], strict=True))


async def test_a_digest_part_that_timed_out_is_resent_and_no_other_part_is(
    store: Store, api: FakeBotAPI
) -> None:
    items = [entry(f"d{i}", title=f"Headline {i:03d} " + "word " * 40) for i in range(120)]
    await seed(store, {3: items}, flood_threshold=0)  # one flood row, split into parts
    async with running(store, api, request=QUICK, **quick()):
        await api.wait_for(lambda a: len(a.sent_to(3)) == 1)
        api.fail_next(kind="read_timeout", chat_id=3, delay=60, times=2)  # part 2, twice
        await until(lambda: all_sent(store, 1), timeout=20, what="the whole digest")
    heads = [(p.plain_text.split("\n")[0], p.maybe_delivered) for p in api.sent_to(3)]
    total = len({h for h, _ in heads})
    assert total >= 3
    expected = [f"120 new alerts ({n}/{total})" for n in range(1, total + 1)]
    assert [h for h, maybe in heads if not maybe] == expected  # every part answered once
    assert [h for h, maybe in heads if maybe] == [expected[1]] * 2  # only part 2 repeated


async def test_a_plain_text_fallback_that_timed_out_is_retried(
    store: Store, api: FakeBotAPI
) -> None:
    api.fail_next(kind="parse_entities", chat_id=3)  # HTML refused: plain text next ...
    api.fail_next(kind="hang", chat_id=3, delay=60)  # ... which is lost on the way
    await seed(store, {3: 1})
    async with running(store, api, request=QUICK, **quick()) as sender:
        await until(lambda: all_sent(store, 1), timeout=20)
    (copy,) = api.sent_to(3)  # the retry starts over with HTML, which went through
    assert sender.stats.maybe_sent == 1 and len(api.calls_of("sendMessage")) == 3
    assert (await rows(store))[0].message_id == copy.message_id


# ---------------------------------------------------------------------------- hanging forever


async def test_a_send_that_never_returns_is_cut_by_the_read_timeout(
    store: Store, api: FakeBotAPI
) -> None:
    """Verify (not assume) that python-telegram-bot's read timeout ends a silent request, and
    that the other chats and the sender loop go on meanwhile."""
    api.fail_next(kind="hang", chat_id=3, delay=3600)  # no answer, connection kept open
    await seed(store, {3: 1, 4: 1, 5: 1, -1006: 1})
    request = {"read_timeout": 3.0, "connection_pool_size": 8}
    async with running(store, api, request=request, **quick()) as sender:
        await until(lambda: len(api.sent) == 3, what="the other chats")
        await seed(store, {7: 1})  # the loop still takes new work while chat 3 hangs
        sender.wake()
        await until(lambda: len(api.sent_to(7)) == 1, what="a later alert")
        assert sender.stats.maybe_sent == 0  # chat 3's request is still open meanwhile
        await until(lambda: all_sent(store, 5), timeout=10, what="chat 3 after the timeout")
    assert sender.stats.maybe_sent == 1 and len(api.sent_to(3)) == 1


async def test_a_send_without_any_client_timeout_is_cut_at_the_lease(
    store: Store, api: FakeBotAPI
) -> None:
    """With no read timeout at all (httpx would wait forever), the row is still never held past
    its lease: the sender abandons the request in time and retries it."""
    api.fail_next(kind="hang", chat_id=3, delay=3600)
    await seed(store, {3: 1, 4: 1})
    request = {"read_timeout": None, "connection_pool_size": 8}
    async with running(store, api, request=request, **quick(lease=2.0)) as sender:
        await until(lambda: len(api.sent_to(4)) == 1, what="the other chat")
        await until(lambda: sender.stats.maybe_sent == 1, timeout=5, what="the cut")
        await until(lambda: all_sent(store, 2), timeout=10, what="chat 3's retry")
    assert len(api.sent_to(3)) == 1 and len(api.calls_of("sendMessage")) == 3
    (row3, _) = await rows(store)
    assert row3.maybe_sent and row3.attempts == 2  # cut, written back, claimed once more


async def test_stopping_while_a_send_hangs_does_not_hang(store: Store, api: FakeBotAPI) -> None:
    api.fail_next(kind="hang", chat_id=3, delay=3600)
    await seed(store, {3: 1})
    async with real_bot(api, read_timeout=None, connection_pool_size=8) as bot:
        sender = Sender(store, TelegramTransport(bot), **quick(lease=2.0))
        stop = asyncio.Event()
        task = asyncio.create_task(sender.run(stop))
        await api.wait_for(lambda a: len(a.calls_of("sendMessage")) == 1)
        stop.set()
        try:
            await asyncio.wait_for(task, timeout=5)  # bounded by the lease, not by httpx
        finally:
            task.cancel()
    assert (await rows(store))[0].state == "pending"
