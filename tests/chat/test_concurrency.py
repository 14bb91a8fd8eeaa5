"""Commands of different chats run concurrently, each chat's in order; a slow /addfeed holds up
nobody; a token rejected for a while does not end the update loop (issue #9, items 4 and 7)."""

from __future__ import annotations

import asyncio
from collections.abc import Iterator
from datetime import UTC, datetime

import pytest
import telegram
from telegram import Chat, Message, Update

from bot.chat.ordering import ChatOrderedProcessor, chat_key
from bot.chat.services import Status
from bot.chat.updates import LinkChange, LinkState, UpdatePoller
from tests.chat.conftest import OPERATOR, STATUS, USER, Harness
from tests.waiting import wait_until

GATE: list[asyncio.Event] = []  # a fresh event per test (an event binds to its first loop)


@pytest.fixture(autouse=True)
def _fresh_gate() -> Iterator[None]:
    GATE[:] = [asyncio.Event()]
    yield
    GATE[0].set()


async def _slow_status() -> Status:
    await GATE[0].wait()
    return STATUS


async def _slow_add_feed(url: str, interval: float | None, user_id: int) -> str:
    await GATE[0].wait()
    return "slow-feed"


@pytest.mark.parametrize("service_overrides", [{"status": _slow_status}], ids=["slow-status"])
async def test_a_slow_command_holds_up_only_its_own_chat(bot: Harness) -> None:
    bot.api.push_message(OPERATOR, "/status")
    await wait_until(lambda: len(bot.api.calls_of("getUpdates")) >= 2, what="status picked up")
    bot.api.push_message(OPERATOR, "/help")  # same chat: must wait for /status, in order
    reply = await bot.send(USER, "/help")  # another chat: answered while /status hangs
    assert "Commands" in reply.plain_text
    assert bot.api.sent_to(OPERATOR) == []
    GATE[0].set()
    await bot.api.wait_for(lambda api: len(api.sent_to(OPERATOR)) == 2)
    first, second = bot.api.sent_to(OPERATOR)
    assert first.plain_text.startswith("Up 1h02m")
    assert "Commands" in second.plain_text


@pytest.mark.parametrize("service_overrides", [{"add_feed": _slow_add_feed}], ids=["slow-add-feed"])
async def test_a_slow_addfeed_answers_at_once_and_replies_when_done(bot: Harness) -> None:
    checking = await bot.send(OPERATOR, "/addfeed https://slow.example/feed.xml")
    assert checking.plain_text.startswith("Checking https://slow.example/feed.xml")
    help_reply = await bot.send(OPERATOR, "/help")  # the same chat is not held up either
    assert "Commands" in help_reply.plain_text
    GATE[0].set()
    await bot.api.wait_for(lambda api: len(api.sent_to(OPERATOR)) == 3)
    assert bot.api.sent_to(OPERATOR)[-1].plain_text == (
        "Feed slow-feed added. /feeds shows its health."
    )


async def test_updates_keep_flowing_after_the_token_was_rejected_for_a_while(
    bot: Harness,
) -> None:
    """python-telegram-bot's Updater aborts its loop for good on one InvalidToken."""
    assert "Commands" in (await bot.send(USER, "/help")).plain_text
    bot.api.reject_token = True
    await bot.api.wait_for(lambda api: len(api.calls_of("getUpdates")) >= 1)
    await bot.api.wait_for(lambda api: len(api.rejected) >= 3, timeout=15)
    bot.api.reject_token = False
    reply = await bot.send(USER, "/help")
    assert "Commands" in reply.plain_text


async def test_the_poller_reports_each_change_of_state_once(bot: Harness) -> None:
    """A second poller on the same fake (the fixture's gets its share of 401s too)."""
    changes: list[LinkChange] = []

    async def record(change: LinkChange) -> None:
        changes.append(change)

    queue: asyncio.Queue[object] = asyncio.Queue()
    # its own Bot: two long polls through one Bot share its single getUpdates connection, and
    # the one waiting for it would see "pool timeout" (unreachable), not the token's state
    own = telegram.Bot(bot.app.bot.token, base_url=f"{bot.api.url}/bot")
    bot.api.one_consumer = False  # two consumers on purpose: no 409s between them here
    async with own:
        poller = UpdatePoller(own, queue.put, on_change=record, long_poll=1, cap=0.2)
        stop = asyncio.Event()
        task = asyncio.create_task(poller.run(stop))
        try:
            bot.api.reject_token = True
            await bot.api.wait_for(lambda api: len(api.rejected) >= 6, timeout=15)
            bot.api.reject_token = False
            await wait_until(lambda: poller.state == LinkState.UP, what="the poller is up again")
        finally:
            stop.set()
            await task
    assert [(c.old, c.new) for c in changes] == [
        (LinkState.UP, LinkState.TOKEN_REJECTED),
        (LinkState.TOKEN_REJECTED, LinkState.UP),
    ]


async def test_a_flood_of_commands_from_one_chat_is_bounded() -> None:
    processor = ChatOrderedProcessor(max_running=2, max_queued=3)
    gate = asyncio.Event()
    done: list[int] = []

    async def work(n: int) -> None:
        await gate.wait()
        done.append(n)

    chat = Chat(7, "private")
    update = Update(1, message=Message(1, datetime.now(UTC), chat))
    assert chat_key(update) == 7
    for n in range(10):  # queued without yielding: the worker has not taken any yet
        await processor.do_process_update(update, work(n))
    gate.set()
    await processor.drain(timeout=5)
    assert done == [0, 1, 2]
    assert processor.dropped == 7


async def test_stopping_during_a_long_poll_sends_no_second_get_updates() -> None:
    """The long poll abandoned at a stop had already confirmed the updates before it; asking
    again (timeout=0) while the Bot API still holds it open was a 409 Conflict, and the
    instance taking over then met another (tests/e2e/test_instances.py saw two)."""
    from bot.devtools.fakebotapi import FakeBotAPI

    async with FakeBotAPI(token="123456:TEST-token") as api:
        api.one_consumer = True
        async with telegram.Bot("123456:TEST-token", base_url=f"{api.url}/bot") as own:
            queue: asyncio.Queue[object] = asyncio.Queue()
            poller = UpdatePoller(own, queue.put, long_poll=5, cap=0.2)
            stop = asyncio.Event()
            task = asyncio.create_task(poller.run(stop))
            api.push_message(USER, "/help", from_user_id=USER)
            await wait_until(lambda: poller.received == 1, what="the update")
            # the next long poll, with the new offset, has been open well over a second
            loop = asyncio.get_running_loop()
            since = loop.time()
            await wait_until(
                lambda: loop.time() - since > 1.5 and len(api.calls_of("getUpdates")) >= 2,
                what="a long poll open for a while",
            )
            stop.set()
            await task
        confirms = [c for c in api.calls_of("getUpdates") if c.params.get("timeout") in (0, "0")]
        assert confirms == [] and api.update_conflicts == 0
        # and the update is not delivered again to whoever polls next
        async with telegram.Bot("123456:TEST-token", base_url=f"{api.url}/bot") as successor:
            assert await successor.get_updates(timeout=0) == ()
