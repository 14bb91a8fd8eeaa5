"""TelegramTransport over HTTP to the fake Bot API: every Telegram failure becomes one of
newsbot's delivery errors, and the sender never sees a python-telegram-bot exception."""

from __future__ import annotations

import asyncio
import socket

import pytest
import telegram
from telegram.request import HTTPXRequest

from bot.delivery.transport import TelegramTransport
from bot.devtools.fakebotapi import FakeBotAPI
from bot.errors import (
    ChatGoneError,
    ChatMigratedError,
    DeliveryError,
    MaybeSentError,
    RejectedError,
    RetryLaterError,
)
from bot.models import Message
from tests.delivery.conftest import TOKEN, real_bot

HTML = Message(text="<b>Parade &amp; protest</b>", plain_fallback="Parade & protest")


async def test_sends_html_and_returns_the_message_id(api: FakeBotAPI) -> None:
    async with real_bot(api) as bot:
        first = await TelegramTransport(bot).send(7, None, HTML)
        second = await TelegramTransport(bot).send(7, None, HTML)
    assert (first, second) == (1, 2)
    (sent, _) = api.sent_to(7)
    assert sent.parse_mode == "HTML" and sent.plain_text == "Parade & protest"
    assert sent.preview_disabled


@pytest.mark.parametrize(
    ("kind", "chat_id", "error", "retry_after"),
    [
        ("429", 7, RetryLaterError, 3.0),
        ("5xx", 7, RetryLaterError, None),
        ("500", 7, RetryLaterError, None),
        ("403_blocked", 7, ChatGoneError, None),
        ("403_kicked", -1001, ChatGoneError, None),
        ("chat_not_found", 7, ChatGoneError, None),
        ("400", 7, RejectedError, None),
    ],
    ids=["429", "502", "500", "blocked", "kicked", "chat-not-found", "bad-request"],
)
async def test_failures_become_delivery_errors(
    api: FakeBotAPI, kind: str, chat_id: int, error: type[DeliveryError], retry_after: float | None
) -> None:
    api.fail_next(kind=kind, chat_id=chat_id)
    async with real_bot(api) as bot:
        with pytest.raises(error) as caught:
            await TelegramTransport(bot).send(chat_id, None, HTML)
    assert type(caught.value) is error  # not a subclass: a 5xx is never "maybe sent"
    if isinstance(caught.value, RetryLaterError):
        assert caught.value.retry_after == retry_after
    assert api.sent == []


async def test_migration_names_the_new_chat(api: FakeBotAPI) -> None:
    api.fail_next(kind="migrate", chat_id=-42, migrate_to_chat_id=-10042)
    async with real_bot(api) as bot:
        with pytest.raises(ChatMigratedError) as caught:
            await TelegramTransport(bot).send(-42, None, HTML)
    assert caught.value.new_chat_id == -10042


async def test_unparsable_html_is_resent_once_as_plain_text(api: FakeBotAPI) -> None:
    api.fail_next(kind="parse_entities", chat_id=7)
    async with real_bot(api) as bot:
        assert await TelegramTransport(bot).send(7, None, HTML) is not None
    (sent,) = api.sent_to(7)
    assert sent.parse_mode is None and sent.text == "Parade & protest"
    assert len(api.calls_of("sendMessage")) == 2


async def test_plain_text_is_tried_only_once(api: FakeBotAPI) -> None:
    api.fail_next(kind="parse_entities", chat_id=7, times=3)
    async with real_bot(api) as bot:
        with pytest.raises(RejectedError):
            await TelegramTransport(bot).send(7, None, HTML)
    assert len(api.calls_of("sendMessage")) == 2 and api.sent == []


async def test_read_timeout_after_writing_is_maybe_sent(api: FakeBotAPI) -> None:
    api.fail_next(kind="read_timeout", chat_id=7, delay=5)
    async with real_bot(api, read_timeout=0.3) as bot:
        with pytest.raises(MaybeSentError):
            await TelegramTransport(bot).send(7, None, HTML)
    (sent,) = api.sent_to(7)
    assert sent.maybe_delivered  # it did arrive: a retry will be a duplicate, and that is fine


async def test_a_request_lost_on_the_way_is_maybe_sent_too(api: FakeBotAPI) -> None:
    api.fail_next(kind="hang", chat_id=7, delay=60)
    async with real_bot(api, read_timeout=0.3) as bot:
        with pytest.raises(MaybeSentError):
            await TelegramTransport(bot).send(7, None, HTML)
    assert api.sent == []  # it did not arrive: without a retry it would be lost


async def test_connect_error_is_retried_not_maybe_sent() -> None:
    with socket.socket() as sock:  # a port nobody listens on once closed
        sock.bind(("127.0.0.1", 0))
        port = sock.getsockname()[1]
    request = HTTPXRequest(connect_timeout=1)
    bot = telegram.Bot(TOKEN, base_url=f"http://127.0.0.1:{port}/bot", request=request)
    try:
        with pytest.raises(RetryLaterError) as caught:
            await TelegramTransport(bot).send(7, None, HTML)
    finally:
        await request.shutdown()
    assert not isinstance(caught.value, MaybeSentError)


async def test_pool_timeout_is_retried_not_maybe_sent(api: FakeBotAPI) -> None:
    api.fail_next(kind="read_timeout", chat_id=1, delay=1.0)
    async with real_bot(api, connection_pool_size=1, pool_timeout=0.2, read_timeout=3) as bot:
        transport = TelegramTransport(bot)
        slow = asyncio.create_task(transport.send(1, None, HTML))  # holds the only connection
        await api.wait_for(lambda a: len(a.sent_to(1)) == 1)
        with pytest.raises(RetryLaterError) as caught:
            await transport.send(2, None, HTML)
        assert not isinstance(caught.value, MaybeSentError)
        assert await slow == 1
    assert api.sent_to(2) == []
