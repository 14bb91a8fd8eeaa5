"""The Bot API unreachable, or rejecting the token, for a while (issue #9, item 6): nothing is
lost, every chat waits behind one probe at a time (not one retry per alert), and everything
goes out as soon as the Bot API answers again."""

from __future__ import annotations

import asyncio
from collections.abc import AsyncIterator
from contextlib import asynccontextmanager

from bot.delivery.sender import Sender
from bot.delivery.transport import TelegramTransport
from bot.devtools.fakebotapi import FakeBotAPI
from bot.store import Store
from tests.delivery.conftest import real_bot, seed, until
from tests.delivery.test_maybe_sent import QUICK, all_sent, quick

CHATS = {chat: 1 for chat in range(3, 23)}  # 20 private chats, one alert each


@asynccontextmanager
async def refused(store: Store, api: FakeBotAPI, base: float, cap: float) -> AsyncIterator[Sender]:
    """A sender whose bot was accepted at start, then refused (a token revoked mid-run)."""
    async with real_bot(api, **QUICK) as bot:
        api.reject_token = True
        sender = Sender(store, TelegramTransport(bot), **quick())
        sender.probe_base, sender.probe_cap = base, cap
        stop = asyncio.Event()
        task = asyncio.create_task(sender.run(stop))
        try:
            yield sender
        finally:
            stop.set()
            await asyncio.wait_for(task, timeout=10)


async def test_a_rejected_token_holds_every_chat_behind_one_probe(
    store: Store, api: FakeBotAPI
) -> None:
    await seed(store, CHATS)
    async with refused(store, api, 0.2, 0.4):
        await api.wait_for(lambda a: len(a.rejected) >= 4, timeout=10)
        await asyncio.sleep(0)
        rejected = len(api.rejected)
        # a few concurrent first sends, then one probe at a time: not 20 chats retrying each
        assert rejected < 20 + 12, rejected
        api.reject_token = False
        await until(lambda: all_sent(store, len(CHATS)), timeout=10, what="every alert")
    assert sorted({int(m.chat_id) for m in api.sent}) == sorted(CHATS)
    assert len(api.sent) == len(CHATS)  # nothing was sent while refused: no duplicates


async def test_probes_back_off_while_the_api_stays_away(store: Store, api: FakeBotAPI) -> None:
    await seed(store, {3: 1})
    async with refused(store, api, 0.1, 0.8):
        await api.wait_for(lambda a: len(a.rejected) >= 5, timeout=10)
        api.reject_token = False
        await until(lambda: all_sent(store, 1), timeout=10)
    gaps = [b.at - a.at for a, b in zip(api.rejected, api.rejected[1:], strict=False)]
    assert gaps[-1] >= 0.4 - 0.05  # 0.1, 0.2, 0.4, 0.8 (capped) with jitter's low end
