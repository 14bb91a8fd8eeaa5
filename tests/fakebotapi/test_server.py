"""The fake Bot API, driven by real python-telegram-bot."""

from __future__ import annotations

import asyncio
import datetime as dtm
from collections.abc import AsyncIterator

import pytest
import telegram
from telegram.error import (
    BadRequest,
    ChatMigrated,
    Forbidden,
    InvalidToken,
    NetworkError,
    RetryAfter,
    TimedOut,
)
from telegram.ext import ApplicationBuilder, CallbackQueryHandler, CommandHandler, ContextTypes
from telegram.request import HTTPXRequest

from bot.devtools.fakebotapi import FakeBotAPI

TOKEN = "123:ABC"


@pytest.fixture
async def api() -> AsyncIterator[FakeBotAPI]:
    async with FakeBotAPI(token=TOKEN) as server:
        yield server


@pytest.fixture
async def bot(api: FakeBotAPI) -> AsyncIterator[telegram.Bot]:
    request = HTTPXRequest(read_timeout=1.0, connect_timeout=1.0)
    async with telegram.Bot(TOKEN, base_url=f"{api.url}/bot", request=request) as b:
        yield b


async def test_get_me(bot: telegram.Bot, api: FakeBotAPI) -> None:
    me = await bot.get_me()
    assert me.id == 123 and me.is_bot and me.username == "newsbot_test_bot"
    assert [c.method for c in api.calls] == ["getMe", "getMe"]  # initialize() + ours


async def test_wrong_token_is_invalid_token(api: FakeBotAPI) -> None:
    with pytest.raises(InvalidToken):
        async with telegram.Bot("999:WRONG", base_url=f"{api.url}/bot"):
            pass


async def test_unknown_method_is_404(bot: telegram.Bot) -> None:
    with pytest.raises(telegram.error.EndPointNotFound):
        await bot.do_api_request("noSuchMethod")


async def test_send_message_records_what_the_user_sees(bot: telegram.Bot, api: FakeBotAPI) -> None:
    markup = telegram.InlineKeyboardMarkup(
        [[telegram.InlineKeyboardButton("mute", callback_data="mute:1")]]
    )
    msg = await bot.send_message(
        42,
        '<b>Hi</b> &amp; <a href="https://example.com/?a=1&amp;b=2">link</a> 🎉',
        parse_mode="HTML",
        link_preview_options=telegram.LinkPreviewOptions(is_disabled=True),
        reply_markup=markup,
        message_thread_id=7,
    )
    assert msg.text == "Hi & link 🎉"
    assert msg.chat.type == "private" and msg.from_user is not None and msg.from_user.is_bot
    assert [e.type for e in msg.entities] == ["bold", "text_link"]
    assert msg.entities[1].url == "https://example.com/?a=1&b=2"
    (sent,) = api.sent
    assert sent.chat_id == 42 and sent.message_id == msg.message_id == 1
    assert sent.parse_mode == "HTML" and sent.message_thread_id == 7
    assert sent.plain_text == "Hi & link 🎉" and sent.preview_disabled
    assert sent.reply_markup == {"inline_keyboard": [[{"text": "mute", "callback_data": "mute:1"}]]}
    assert sent.entities[0] == {"type": "bold", "offset": 0, "length": 2}
    second = await bot.send_message(42, "again")
    assert second.message_id == 2


async def test_send_message_json_body(api: FakeBotAPI) -> None:
    """Clients other than PTB post JSON; the fake reads that too."""
    import aiohttp

    async with aiohttp.ClientSession() as session:
        async with session.post(
            f"{api.url}/bot{TOKEN}/sendMessage",
            json={"chat_id": -100, "text": "x", "disable_web_page_preview": True},
        ) as resp:
            body = await resp.json()
    assert body["ok"] and body["result"]["chat"] == {
        "id": -100,
        "type": "group",
        "title": "Chat -100",
    }
    assert api.sent[0].disable_web_page_preview is True


@pytest.mark.parametrize(
    ("text", "parse_mode", "error"),
    [
        ("", None, "Message text is empty"),
        ("   ", None, "Message text is empty"),
        ("x" * 4097, None, "Message is too long"),
        ("😀" * 2049, None, "Message is too long"),  # 4098 UTF-16 units
        ("<b>" + "x" * 4096 + "</b>", "HTML", None),  # tags do not count
        ("&amp;" * 4096, "HTML", None),
        ("<script>alert(1)</script>", "HTML", 'Unsupported start tag "script" at byte offset 0'),
        ("<b>x", "HTML", 'Can\'t find end tag corresponding to start tag "b"'),
        ("<b><i>x</b></i>", "HTML", "Unmatched end tag"),
        ("a < b", "HTML", "Unsupported start tag"),
        ("a & b", "HTML", "can't parse entities"),
        ("<b></b>", "HTML", "Message text is empty"),
    ],
    ids=[
        "empty",
        "blank",
        "4097-chars",
        "astral-4098-units",
        "tags-not-counted",
        "entities-count-once",
        "script",
        "unclosed",
        "misnested",
        "raw-lt",
        "raw-amp",
        "only-tags",
    ],
)
async def test_send_message_validation(
    bot: telegram.Bot, api: FakeBotAPI, text: str, parse_mode: str | None, error: str | None
) -> None:
    if error is None:
        await bot.send_message(1, text, parse_mode=parse_mode)
        assert len(api.sent) == 1
        return
    with pytest.raises(BadRequest, match=f"(?i){error}"):  # PTB lower-cases
        await bot.send_message(1, text, parse_mode=parse_mode)
    assert api.sent == []


async def test_fault_429_carries_retry_after(bot: telegram.Bot, api: FakeBotAPI) -> None:
    api.fail_next(kind="429", retry_after=3)
    with pytest.raises(RetryAfter) as info:
        await bot.send_message(1, "x")
    assert info.value.retry_after == dtm.timedelta(seconds=3)
    await bot.send_message(1, "x")  # one-shot
    assert len(api.sent) == 1


@pytest.mark.parametrize(
    ("kind", "exc", "match"),
    [
        ("403_blocked", Forbidden, "bot was blocked by the user"),
        ("403_kicked", Forbidden, "bot was kicked from the supergroup chat"),
        ("chat_not_found", BadRequest, "Chat not found"),
        ("parse_entities", BadRequest, "can't parse entities"),
        ("5xx", NetworkError, "Bad Gateway"),
        ("500", NetworkError, "Internal Server Error"),
    ],
    ids=lambda v: v if isinstance(v, str) else "",
)
async def test_faults_raise_the_ptb_exception(
    bot: telegram.Bot, api: FakeBotAPI, kind: str, exc: type[Exception], match: str
) -> None:
    api.fail_next(kind=kind, chat_id=-1001)
    await bot.send_message(-1002, "other chat is unaffected")
    with pytest.raises(exc, match=f"(?i){match}"):
        await bot.send_message(-1001, "x")
    assert [m.chat_id for m in api.sent] == [-1002]


async def test_fault_migrate(bot: telegram.Bot, api: FakeBotAPI) -> None:
    api.fail_next(kind="migrate", chat_id=-55)
    api.fail_next(kind="migrate", chat_id=-56, migrate_to_chat_id=-100777)
    with pytest.raises(ChatMigrated) as first:
        await bot.send_message(-55, "x")
    assert first.value.new_chat_id == -10055
    with pytest.raises(ChatMigrated) as second:
        await bot.send_message(-56, "x")
    assert second.value.new_chat_id == -100777


async def test_fault_times_and_any_method(bot: telegram.Bot, api: FakeBotAPI) -> None:
    api.fail_next(method=None, kind="5xx", times=2)
    for _ in range(2):
        with pytest.raises(NetworkError):
            await bot.get_me()
    await bot.get_me()


async def test_read_timeout_delivers_but_client_times_out(
    bot: telegram.Bot, api: FakeBotAPI
) -> None:
    api.fail_next(kind="read_timeout", delay=10)
    with pytest.raises(TimedOut):
        await bot.send_message(5, "maybe", read_timeout=0.2)
    (sent,) = api.sent
    assert sent.maybe_delivered and sent.plain_text == "maybe"


async def test_block_chat(bot: telegram.Bot, api: FakeBotAPI) -> None:
    api.block_chat(9)
    for _ in range(2):
        with pytest.raises(Forbidden, match="blocked"):
            await bot.send_message(9, "x")
    api.unblock_chat(9)
    await bot.send_message(9, "x")
    api.delete_chat(9)
    with pytest.raises(BadRequest, match="Chat not found"):
        await bot.send_message(9, "x")


async def test_chat_info_and_admins(bot: telegram.Bot, api: FakeBotAPI) -> None:
    api.set_chat(-1001, type="channel", title="News")
    api.set_chat_admins(-1001, [7], creator=8)
    chat = await bot.get_chat(-1001)
    assert chat.type == "channel" and chat.title == "News"
    admins = await bot.get_chat_administrators(-1001)
    assert {(a.user.id, a.status) for a in admins} == {(8, "creator"), (7, "administrator")}
    assert (await bot.get_chat_member(-1001, 7)).status == "administrator"
    assert (await bot.get_chat_member(-1001, 99)).status == "member"
    assert api.chat_type(-1001) == "channel" and api.chat_type(5) == "private"
    assert api.chat_type(-5) == "group" and api.chat_type(-1005) == "supergroup"


async def test_commands_and_misc(bot: telegram.Bot, api: FakeBotAPI) -> None:
    await bot.set_my_commands([("start", "Start"), ("watch", "Watch a query")])
    assert [c.command for c in await bot.get_my_commands()] == ["start", "watch"]
    assert await bot.delete_webhook()
    msg = await bot.send_message(3, "old")
    edited = await bot.edit_message_text("new", chat_id=3, message_id=msg.message_id)
    assert isinstance(edited, telegram.Message) and edited.text == "new"
    with pytest.raises(BadRequest, match="not modified"):
        await bot.edit_message_text("new", chat_id=3, message_id=msg.message_id)
    with pytest.raises(BadRequest, match="not found"):
        await bot.edit_message_text("x", chat_id=3, message_id=999)
    markup = telegram.InlineKeyboardMarkup(
        [[telegram.InlineKeyboardButton("b", url="https://a.b")]]
    )
    await bot.edit_message_reply_markup(chat_id=3, message_id=msg.message_id, reply_markup=markup)
    assert await bot.answer_callback_query("1", text="done")
    assert api.callback_answers[0]["text"] == "done"
    assert await bot.close()


async def test_wait_for_times_out_with_a_summary(api: FakeBotAPI) -> None:
    with pytest.raises(AssertionError, match="0 sent"):
        await api.wait_for(lambda a: len(a.sent) > 0, timeout=0.05)


async def test_get_updates_long_poll(bot: telegram.Bot, api: FakeBotAPI) -> None:
    poll = asyncio.create_task(bot.get_updates(timeout=5, read_timeout=7))
    await api.wait_for(lambda a: bool(a.calls_of("getUpdates")))
    assert not poll.done()
    api.push_message(5, "hello")
    (update,) = await poll
    assert update.message is not None and update.message.text == "hello"
    api.push_message(5, "second")
    updates = await bot.get_updates(offset=update.update_id + 1, timeout=0)
    assert [u.message.text for u in updates if u.message] == ["second"]
    assert updates[0].update_id == update.update_id + 1


async def test_application_polling_runs_command_and_callback_handlers(api: FakeBotAPI) -> None:
    seen: list[str] = []

    async def start(update: telegram.Update, context: ContextTypes.DEFAULT_TYPE) -> None:
        assert update.effective_chat is not None
        seen.append(f"start:{context.args}")
        await context.bot.send_message(update.effective_chat.id, "welcome")

    async def button(update: telegram.Update, context: ContextTypes.DEFAULT_TYPE) -> None:
        assert update.callback_query is not None
        seen.append(f"button:{update.callback_query.data}")
        await update.callback_query.answer("ok")

    app = ApplicationBuilder().token(TOKEN).base_url(f"{api.url}/bot").build()
    app.add_handler(CommandHandler("start", start))
    app.add_handler(CallbackQueryHandler(button))
    await app.initialize()
    await app.start()
    assert app.updater is not None
    await app.updater.start_polling(poll_interval=0, timeout=1)
    try:
        api.push_message(77, "/start now", chat_type="private")
        await api.wait_for(lambda a: len(a.sent_to(77)) == 1)
        api.push_callback_query(77, from_user_id=77, data="mute:1", message_id=1)
        await api.wait_for(lambda a: len(a.callback_answers) == 1)
        api.push_message(
            -1001, "/start@newsbot_test_bot", chat_type="supergroup", message_thread_id=4
        )
        await api.wait_for(lambda a: len(a.sent_to(-1001)) == 1)
    finally:
        await app.updater.stop()
        await app.stop()
        await app.shutdown()
    assert seen == ["start:['now']", "button:mute:1", "start:[]"]
    assert api.sent[0].plain_text == "welcome"
