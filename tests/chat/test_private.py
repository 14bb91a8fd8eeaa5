"""Every command in a private chat, through real python-telegram-bot and the fake Bot API."""

from __future__ import annotations

import sqlalchemy as sa

from bot.models import DigestMode
from bot.store import schema
from tests.chat.conftest import NOW, OPERATOR, USER, Harness


async def test_start_creates_the_chat_and_explains(bot: Harness) -> None:
    reply = await bot.send(USER, "/start")
    assert "watches news feeds" in reply.plain_text and "/rules" in reply.plain_text
    assert reply.parse_mode == "HTML" and reply.preview_disabled
    prefs = await bot.store.chats.get(USER)
    assert prefs is not None and prefs.type == "private" and prefs.active


async def test_start_reactivates_a_gone_chat(bot: Harness) -> None:
    await bot.send(USER, "/start")
    await bot.store.chats.deactivate(USER)
    await bot.send(USER, "/start")
    prefs = await bot.store.chats.get(USER)
    assert prefs is not None and prefs.active


async def test_help_lists_every_user_command_with_examples(bot: Harness) -> None:
    reply = await bot.send(USER, "/help")
    for name in (
        "start",
        "rules",
        "subscribe",
        "unsubscribe",
        "list",
        "watch",
        "unwatch",
        "test",
        "mute",
        "unmute",
        "digest",
        "quiet",
        "timezone",
    ):
        assert f"/{name}" in reply.plain_text, name
    assert "/addfeed" not in reply.plain_text
    operator = await bot.send(OPERATOR, "/help")
    assert "/addfeed" in operator.plain_text and "/feeds" in operator.plain_text


async def test_subscribe_list_unsubscribe(bot: Harness) -> None:
    reply = await bot.send(USER, "/subscribe outages")
    assert "Subscribed to Outages" in reply.plain_text
    reply = await bot.send(USER, "/subscribe outages")
    assert "Already subscribed" in reply.plain_text
    await bot.send(USER, "/subscribe breach")
    subs = await bot.store.chats.subscriptions(USER)
    assert {(s.rule_id, s.thread_id) for s in subs} == {("outages", None), ("breach", None)}
    reply = await bot.send(USER, "/list")
    assert "1. Outages (outages)" in reply.plain_text
    assert "2. Data <breaches> & leaks (breach)" in reply.plain_text
    assert "Watches\nnone" in reply.plain_text
    reply = await bot.send(USER, "/unsubscribe outages")
    assert "Unsubscribed from Outages" in reply.plain_text
    reply = await bot.send(USER, "/unsubscribe outages")
    assert "not subscribed" in reply.plain_text
    assert [s.rule_id for s in await bot.store.chats.subscriptions(USER)] == ["breach"]


async def test_subscribe_unknown_rule(bot: Harness) -> None:
    reply = await bot.send(USER, "/subscribe <nope>")
    assert reply.plain_text == "No rule '<nope>'. See /rules."
    assert await bot.store.chats.subscriptions(USER) == []


async def test_watch_list_unwatch(bot: Harness) -> None:
    reply = await bot.send(USER, '/watch "data breach" AND bank')
    assert reply.plain_text.startswith('Watch 1 added: "data breach" AND bank')
    await bot.send(USER, "/watch @acme")
    assert bot.watch_changes == 2
    watches = await bot.store.chats.watches(USER)
    assert [w.query for w in watches] == ['"data breach" AND bank', "@acme"]
    reply = await bot.send(USER, "/list")
    assert '1. "data breach" AND bank\n2. @acme' in reply.plain_text
    reply = await bot.send(USER, "/unwatch 1")
    assert reply.plain_text == 'Watch 1 removed: "data breach" AND bank'
    assert bot.watch_changes == 3
    reply = await bot.send(USER, "/unwatch 5")
    assert "There is no watch 5; this chat has 1" in reply.plain_text
    assert [w.query for w in await bot.store.chats.watches(USER)] == ["@acme"]


async def test_watch_syntax_error_shows_the_position(bot: Harness) -> None:
    reply = await bot.send(USER, "/watch  bank AND (fraud OR")
    text = reply.plain_text
    assert "column" in text
    assert "bank AND (fraud OR\n" in text
    caret_line = text.split("bank AND (fraud OR\n", 1)[1].split("\n", 1)[0]
    assert caret_line.endswith("^") and " " * 10 in caret_line
    assert await bot.store.chats.watches(USER) == []
    assert any(e["type"] == "pre" for e in reply.entities)


async def test_watch_hostile_input_arrives_literally(bot: Harness) -> None:
    reply = await bot.send(USER, "/watch <script>alert(1)</script> AT&T")
    assert "Watch 1 added: <script>alert(1)</script> AT&T" in reply.plain_text
    assert "&lt;script&gt;" in reply.text and "AT&amp;T" in reply.text
    reply = await bot.send(USER, "/list")
    assert "1. <script>alert(1)</script> AT&T" in reply.plain_text
    reply = await bot.send(USER, "/test <b>AT&T</b> hit")
    assert "<b>AT&T</b> hit" in reply.plain_text
    # a refused query is echoed escaped too, under its caret
    reply = await bot.send(USER, "/watch <b> & co")
    assert "<b> & co\n    ^" in reply.plain_text


async def test_watch_limits(bot: Harness) -> None:
    reply = await bot.send(USER, "/watch " + "word " * 20)
    assert reply.plain_text == "That query is too long: at most 60 characters."
    for n in range(3):
        await bot.send(USER, f"/watch term{n}")
    reply = await bot.send(USER, "/watch one more")
    assert "already has 3 watches" in reply.plain_text
    assert len(await bot.store.chats.watches(USER)) == 3


async def test_test_shows_rules_and_watches_with_bold_words(bot: Harness) -> None:
    await bot.send(USER, "/watch bank")
    reply = await bot.send(USER, "/test Bank <hit> by data breach & downtime")
    text = reply.plain_text
    assert "3 matches" in text
    assert "rule Outages (outages)" in text
    assert "rule Data <breaches> & leaks (breach)" in text
    assert "watch 1 bank" in text
    bold = {text_of(reply, e) for e in reply.entities if e["type"] == "bold"}
    assert {"downtime", "data breach", "Bank"} <= bold
    reply = await bot.send(USER, "/test nothing here")
    assert reply.plain_text == "Nothing matches: nothing here"


def text_of(reply: object, entity: dict[str, int]) -> str:
    plain: str = reply.plain_text  # type: ignore[attr-defined]
    units = plain.encode("utf-16-le")
    start, end = entity["offset"] * 2, (entity["offset"] + entity["length"]) * 2
    return units[start:end].decode("utf-16-le")


async def test_mute_unmute(bot: Harness) -> None:
    reply = await bot.send(USER, "/mute 2h")
    assert "Muted until 2023-11-15 00:13 UTC" in reply.plain_text
    prefs = await bot.store.chats.get(USER)
    assert prefs is not None and prefs.muted_until == NOW + 7200
    reply = await bot.send(USER, "/unmute")
    assert reply.plain_text == "Alerts resumed."
    prefs = await bot.store.chats.get(USER)
    assert prefs is not None and prefs.muted_until is None


async def test_digest_quiet_timezone(bot: Harness) -> None:
    assert "Digest: hourly" in (await bot.send(USER, "/digest hourly")).plain_text
    reply = await bot.send(USER, "/timezone Europe/Berlin")
    assert reply.plain_text == "Time zone set to Europe/Berlin."
    reply = await bot.send(USER, "/quiet 22:00-7:00")
    assert "Quiet hours 22:00-07:00 (Europe/Berlin)" in reply.plain_text
    prefs = await bot.store.chats.get(USER)
    assert prefs is not None
    assert (prefs.digest, prefs.quiet, prefs.timezone) == ("hourly", "22:00-07:00", "Europe/Berlin")
    assert prefs.digest is DigestMode.HOURLY
    async with bot.store.db.read() as conn:  # stored as the same plain string as before
        stored = (await conn.execute(sa.select(schema.chats.c.digest))).scalar_one()
    assert (type(stored), stored) == (str, "hourly")
    reply = await bot.send(USER, "/list")
    assert "digest: hourly" in reply.plain_text and "quiet hours: 22:00-07:00" in reply.plain_text
    assert (await bot.send(USER, "/quiet off")).plain_text == "Quiet hours off."
    prefs = await bot.store.chats.get(USER)
    assert prefs is not None and prefs.quiet is None


async def test_link_previews_per_chat(bot: Harness) -> None:
    assert (await bot.send(USER, "/preview on")).plain_text == "Link previews on."
    prefs = await bot.store.chats.get(USER)
    assert prefs is not None and prefs.link_preview is True
    assert "link previews: on" in (await bot.send(USER, "/list")).plain_text
    reply = await bot.send(USER, "/preview maybe")
    assert "/preview on|off" in reply.plain_text


async def test_stories_on_and_off_per_chat(bot: Harness) -> None:
    assert (await bot.send(USER, "/stories off")).plain_text.startswith("Stories off")
    prefs = await bot.store.chats.get(USER)
    assert prefs is not None and prefs.stories is False
    assert "stories: off (one per report)" in (await bot.send(USER, "/list")).plain_text
    assert (await bot.send(USER, "/stories ON")).plain_text.startswith("Stories on")
    prefs = await bot.store.chats.get(USER)
    assert prefs is not None and prefs.stories is True
    assert "stories: on (one alert per story)" in (await bot.send(USER, "/list")).plain_text
    reply = await bot.send(USER, "/stories sometimes")
    assert "/stories on|off" in reply.plain_text and "not on or off" in reply.plain_text


BAD_ARGUMENTS = [
    ("/subscribe", "/subscribe RULE_ID"),
    ("/unsubscribe a b", "/unsubscribe RULE_ID"),
    ("/watch", "/watch QUERY"),
    ("/unwatch x", "/unwatch N"),
    ("/test", "/test TEXT"),
    ("/mute forever", "/mute DURATION"),
    ("/digest weekly", "/digest off|hourly|daily"),
    ("/quiet 9-5", "/quiet HH:MM-HH:MM|off"),
    ("/timezone Mars/Base", "/timezone Area/City"),
]


async def test_bad_arguments_get_a_usage_line(bot: Harness) -> None:
    for text, usage in BAD_ARGUMENTS:
        reply = await bot.send(USER, text)
        assert f"Usage: {usage}" in reply.plain_text, (text, reply.plain_text)
        assert "Example: /" in reply.plain_text


async def test_unknown_command_and_plain_text(bot: Harness) -> None:
    reply = await bot.send(USER, "/frobnicate now")
    assert reply.plain_text == "Unknown command /frobnicate. See /help for the commands."
    reply = await bot.send(USER, "hello there")
    assert reply.plain_text == "I only understand commands. See /help."


async def test_command_for_another_bot_is_ignored(bot: Harness) -> None:
    await bot.ignored(USER, "/list@otherbot")
    await bot.ignored(USER, "/frobnicate@otherbot")
    reply = await bot.send(USER, "/list@newsbot_test_bot")
    assert "Subscriptions" in reply.plain_text


async def test_rules_lists_rules_with_buttons(bot: Harness) -> None:
    await bot.send(USER, "/subscribe breach")
    reply = await bot.send(USER, "/rules")
    assert "✅ Data <breaches> & leaks — breach" in reply.plain_text
    assert reply.reply_markup is not None
    buttons = [row[0] for row in reply.reply_markup["inline_keyboard"]]
    assert [b["callback_data"] for b in buttons] == ["sub:outages", "sub:breach", "sub:acme"]
    assert buttons[1]["text"].startswith("✅") and buttons[0]["text"].startswith("➕")


async def test_rules_button_toggles_and_edits(bot: Harness) -> None:
    reply = await bot.send(USER, "/rules")
    bot.api.push_callback_query(USER, USER, "sub:outages", reply.message_id)
    await bot.api.wait_for(lambda api: len(api.edits) == 1 and len(api.callback_answers) == 1)
    assert bot.api.callback_answers[0]["text"] == "Subscribed to Outages"
    edit = bot.api.edits[0]
    assert edit.message_id == reply.message_id and "✅ Outages" in edit.plain_text
    assert edit.reply_markup is not None
    assert edit.reply_markup["inline_keyboard"][0][0]["text"] == "✅ Outages"
    assert [s.rule_id for s in await bot.store.chats.subscriptions(USER)] == ["outages"]
    bot.api.push_callback_query(USER, USER, "sub:outages", reply.message_id)
    await bot.api.wait_for(lambda api: len(api.edits) == 2 and len(api.callback_answers) == 2)
    assert bot.api.callback_answers[1]["text"] == "Unsubscribed from Outages"
    assert "▫️ Outages" in bot.api.edits[1].plain_text
    assert await bot.store.chats.subscriptions(USER) == []


async def test_operator_commands_refused_to_users(bot: Harness) -> None:
    for command in ("/feeds", "/status", "/addfeed https://e.com/f", "/removefeed x"):
        reply = await bot.send(USER, command)
        assert "Only the bot's operators" in reply.plain_text, command
    assert bot.added == [] and bot.removed == []
