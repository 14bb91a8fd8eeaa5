"""Groups, supergroups, channels and forum topics; operators' commands; failures."""

from __future__ import annotations

import logging

import pytest

from bot.feed.outcome import PollOutcome, apply_poll
from bot.models import FeedSpec
from bot.settings import Settings
from tests.chat.conftest import (
    ADMIN,
    BASIC_GROUP,
    CHANNEL,
    FORUM,
    GROUP,
    MEMBER,
    NOW,
    OPERATOR,
    TOKEN,
    Harness,
)

CHANGES = [
    "/subscribe outages",
    "/unsubscribe outages",
    "/watch bank",
    "/unwatch 1",
    "/mute 1h",
    "/unmute",
    "/digest daily",
    "/quiet 22:00-06:00",
    "/timezone Europe/Paris",
]


@pytest.mark.parametrize("chat_id", [GROUP, BASIC_GROUP], ids=["supergroup", "group"])
async def test_members_cannot_change_settings(bot: Harness, chat_id: int) -> None:
    bot.api.set_chat_admins(chat_id, [ADMIN])
    for command in CHANGES:
        reply = await bot.send(chat_id, command, MEMBER)
        name = command.split()[0]
        assert reply.plain_text == f"Only chat administrators can use {name} here.", command
    assert await bot.store.chats.subscriptions(chat_id) == []
    assert await bot.store.chats.watches(chat_id) == []
    assert await bot.store.chats.get(chat_id) is None


@pytest.mark.parametrize("chat_id", [GROUP, BASIC_GROUP], ids=["supergroup", "group"])
async def test_admins_change_settings(bot: Harness, chat_id: int) -> None:
    bot.api.set_chat_admins(chat_id, [ADMIN])
    reply = await bot.send(chat_id, "/subscribe outages", ADMIN)
    assert "Subscribed to Outages" in reply.plain_text
    await bot.send(chat_id, "/watch bank", ADMIN)
    await bot.send(chat_id, "/digest daily", ADMIN)
    prefs = await bot.store.chats.get(chat_id)
    assert prefs is not None and prefs.digest == "daily"
    assert prefs.type == ("supergroup" if chat_id == GROUP else "group")
    assert [s.rule_id for s in await bot.store.chats.subscriptions(chat_id)] == ["outages"]
    # the administrator list is fetched once and cached
    assert len(bot.api.calls_of("getChatAdministrators")) == 1


async def test_operators_change_any_group(bot: Harness) -> None:
    bot.api.set_chat_admins(GROUP, [ADMIN])
    reply = await bot.send(GROUP, "/subscribe breach", OPERATOR)
    assert "Subscribed to" in reply.plain_text


async def test_anonymous_admin_posting_as_the_group(bot: Harness) -> None:
    bot.api.set_chat_admins(GROUP, [ADMIN])
    bot.api.push_update(
        {
            "message": {
                "message_id": 99,
                "date": int(NOW),
                "chat": {"id": GROUP, "type": "supergroup", "title": "G"},
                "from": {
                    "id": 1087968824,
                    "is_bot": True,
                    "first_name": "Group",
                    "username": "GroupAnonymousBot",
                },
                "sender_chat": {"id": GROUP, "type": "supergroup", "title": "G"},
                "text": "/subscribe acme",
                "entities": [{"type": "bot_command", "offset": 0, "length": 10}],
            }
        }
    )
    await bot.api.wait_for(lambda api: len(api.sent_to(GROUP)) == 1)
    assert "Subscribed to acme" in bot.api.sent_to(GROUP)[0].plain_text


async def test_everyone_may_read(bot: Harness) -> None:
    bot.api.set_chat_admins(GROUP, [ADMIN])
    await bot.send(GROUP, "/subscribe outages", ADMIN)
    assert "Outages" in (await bot.send(GROUP, "/list", MEMBER)).plain_text
    assert "Commands" in (await bot.send(GROUP, "/help", MEMBER)).plain_text
    assert "1 match" in (await bot.send(GROUP, "/test outage today", MEMBER)).plain_text
    reply = await bot.send(GROUP, "/rules", MEMBER)
    assert "administrators can tap" in reply.plain_text


async def test_rules_buttons_are_read_only_for_members(bot: Harness) -> None:
    bot.api.set_chat_admins(GROUP, [ADMIN])
    reply = await bot.send(GROUP, "/rules", MEMBER)
    bot.api.push_callback_query(GROUP, MEMBER, "sub:outages", reply.message_id)
    await bot.api.wait_for(lambda api: len(api.callback_answers) == 1)
    answer = bot.api.callback_answers[0]
    assert answer["text"] == "Only admins can change this." and answer["show_alert"] is True
    assert bot.api.edits == []
    assert await bot.store.chats.subscriptions(GROUP) == []
    bot.api.push_callback_query(GROUP, ADMIN, "sub:outages", reply.message_id)
    await bot.api.wait_for(lambda api: len(api.edits) == 1)
    assert [s.rule_id for s in await bot.store.chats.subscriptions(GROUP)] == ["outages"]


async def test_commands_for_other_bots_are_ignored_in_groups(bot: Harness) -> None:
    bot.api.set_chat_admins(GROUP, [ADMIN])
    await bot.ignored(GROUP, "/list@otherbot", ADMIN)
    await bot.ignored(GROUP, "/subscribe@otherbot outages", ADMIN)
    await bot.ignored(GROUP, "/roll@dicebot 2d6", ADMIN)
    await bot.ignored(GROUP, "just chatting", ADMIN)  # no "only commands" nagging in groups
    assert await bot.store.chats.subscriptions(GROUP) == []
    reply = await bot.send(GROUP, "/subscribe@newsbot_test_bot outages", ADMIN)
    assert "Subscribed" in reply.plain_text
    reply = await bot.send(GROUP, "/nope@newsbot_test_bot", ADMIN)
    assert "Unknown command /nope" in reply.plain_text


async def test_channel_post_subscribes_the_channel(bot: Harness) -> None:
    bot.api.set_chat(CHANNEL, type="channel", title="News <desk>")
    reply = await bot.send(CHANNEL, "/subscribe outages")
    assert "Subscribed to Outages" in reply.plain_text
    assert reply.chat_id == CHANNEL
    prefs = await bot.store.chats.get(CHANNEL)
    assert prefs is not None and prefs.type == "channel" and prefs.title == "News <desk>"
    assert [s.rule_id for s in await bot.store.chats.subscriptions(CHANNEL)] == ["outages"]
    assert "Outages" in (await bot.send(CHANNEL, "/list")).plain_text
    assert bot.api.calls_of("getChatAdministrators") == []


async def test_topic_subscription_stores_the_thread(bot: Harness) -> None:
    bot.api.set_chat(FORUM, type="supergroup", title="Forum", is_forum=True)
    bot.api.set_chat_admins(FORUM, [ADMIN])
    reply = await bot.send(FORUM, "/subscribe outages", ADMIN, message_thread_id=7)
    assert "Subscribed to Outages in this topic" in reply.plain_text
    assert reply.message_thread_id == 7
    await bot.send(FORUM, "/subscribe outages", ADMIN)  # the General topic: a second one
    await bot.send(FORUM, "/watch bank", ADMIN, message_thread_id=7)
    subs = await bot.store.chats.subscriptions(FORUM)
    assert sorted((s.rule_id, s.thread_id or 0) for s in subs) == [("outages", 0), ("outages", 7)]
    assert [w.thread_id for w in await bot.store.chats.watches(FORUM)] == [7]
    reply = await bot.send(FORUM, "/list", MEMBER, message_thread_id=7)
    assert reply.message_thread_id == 7 and "Outages (outages) — topic 7" in reply.plain_text
    # unsubscribing inside the topic leaves the General subscription alone
    await bot.send(FORUM, "/unsubscribe outages", ADMIN, message_thread_id=7)
    subs = await bot.store.chats.subscriptions(FORUM)
    assert [(s.rule_id, s.thread_id) for s in subs] == [("outages", None)]


async def test_topic_rules_button_subscribes_the_topic(bot: Harness) -> None:
    bot.api.set_chat(FORUM, type="supergroup", title="Forum", is_forum=True)
    bot.api.set_chat_admins(FORUM, [ADMIN])
    reply = await bot.send(FORUM, "/rules", ADMIN, message_thread_id=9)
    assert reply.message_thread_id == 9
    bot.api.push_callback_query(FORUM, ADMIN, "sub:breach", reply.message_id)
    await bot.api.wait_for(lambda api: len(api.edits) == 1)
    subs = await bot.store.chats.subscriptions(FORUM)
    assert [(s.rule_id, s.thread_id) for s in subs] == [("breach", 9)]


# --------------------------------------------------------------------------- operators


async def test_feeds_shows_health(bot: Harness) -> None:
    store = bot.store
    await store.feeds.add(FeedSpec("ex", "https://e.com/f", name="Ex <1>"), "chat", 1, NOW - 600)
    added = await store.feeds.get("ex")
    assert added is not None
    failed = PollOutcome(now=NOW - 60, next_poll=NOW + 240, ok=False, error="HTTP 500 <oops>")
    await store.feeds.save_states([apply_poll(added, failed)])
    reply = await bot.send(OPERATOR, "/feeds")
    text = reply.plain_text
    assert "Feeds (1)" in text and "Ex <1> (ex, chat)" in text
    assert "last attempt 1m ago, success never, new entry never" in text
    assert "failures 1, next poll in 4m, 304 ratio 0%" in text
    assert "last error: HTTP 500 <oops>" in text


async def test_status_is_escaped(bot: Harness) -> None:
    reply = await bot.send(OPERATOR, "/status")
    assert reply.plain_text == (
        "Up 1h02m\nRules: 2; watches: 1\nFeeds: 3 (1 failing)\n"
        "Outbox: <odd> & state 1, pending 4\nSent this run: 5; retried: 2"
    )


async def test_addfeed_and_removefeed(bot: Harness) -> None:
    reply = await bot.send(OPERATOR, "/addfeed https://example.com/feed.xml 15m", replies=2)
    checking, done = bot.api.sent_to(OPERATOR)[-2:]
    assert checking.plain_text == (
        "Checking https://example.com/feed.xml… I will reply when it is done."
    )
    assert done.plain_text == "Feed example-com added. /feeds shows its health."
    assert bot.added == [("https://example.com/feed.xml", 900.0, OPERATOR)]
    reply = await bot.send(OPERATOR, "/addfeed http://10.0.0.1/feed", replies=2)
    assert reply.plain_text == "Cannot add that feed: the address 10.0.0.1 <private> is not allowed"
    reply = await bot.send(OPERATOR, "/removefeed example-com")
    assert reply.plain_text == "Feed example-com removed."
    reply = await bot.send(OPERATOR, "/removefeed other")
    assert "No active feed other" in reply.plain_text
    reply = await bot.send(OPERATOR, "/addfeed")
    assert "Usage: /addfeed URL [INTERVAL]" in reply.plain_text


@pytest.mark.parametrize(
    "service_overrides",
    [{"settings": Settings(anyone_can_add_feeds=True)}],
    ids=["anyone-can-add-feeds"],
)
async def test_anyone_can_add_feeds(bot: Harness) -> None:
    reply = await bot.send(GROUP, "/addfeed https://example.com/feed.xml", MEMBER, replies=2)
    assert "added" in reply.plain_text
    assert bot.added == [("https://example.com/feed.xml", None, MEMBER)]
    assert "Only the bot's operators" in (await bot.send(GROUP, "/feeds", MEMBER)).plain_text


@pytest.mark.parametrize(
    "service_overrides", [{"add_feed": None, "remove_feed": None, "status": None}], ids=["none"]
)
async def test_missing_services(bot: Harness) -> None:
    for command in ("/addfeed https://e.com/f", "/removefeed x", "/status"):
        assert (
            await bot.send(OPERATOR, command)
        ).plain_text == "That is not available on this bot."


# --------------------------------------------------------------------------- failures


async def test_register_commands_sets_the_menu(bot: Harness) -> None:
    from bot.chat import register_commands

    await register_commands(bot.app.bot)
    (menu,) = bot.api.commands.values()
    names = [c["command"] for c in menu]
    assert names[:3] == ["start", "help", "rules"] and "feeds" not in names


async def test_errors_are_logged_and_answered_without_internals(
    bot: Harness, caplog: pytest.LogCaptureFixture
) -> None:
    async def broken() -> str:
        raise RuntimeError(f"db password hunter2 token {TOKEN}")

    bot.services.status = broken
    with caplog.at_level(logging.ERROR, logger="bot.chat"):
        reply = await bot.send(OPERATOR, "/status")
    assert reply.plain_text == "Something went wrong. Please try again later."
    assert TOKEN not in reply.text and "hunter2" not in reply.text
    record = next(r for r in caplog.records if r.name == "bot.chat.handlers")
    assert f"chat_id={OPERATOR}" in record.getMessage() and record.exc_info is not None


async def test_admin_lookup_failure_denies(bot: Harness) -> None:
    bot.api.fail_next("getChatAdministrators", GROUP, kind="500")
    reply = await bot.send(GROUP, "/subscribe outages", ADMIN)
    assert "Only chat administrators" in reply.plain_text


async def test_group_usage_and_unknown_commands_are_answered(bot: Harness) -> None:
    bot.api.set_chat_admins(GROUP, [ADMIN])
    reply = await bot.send(GROUP, "/frobnicate", MEMBER)
    assert "Unknown command /frobnicate" in reply.plain_text
    reply = await bot.send(GROUP, "/subscribe", ADMIN)
    assert "Usage: /subscribe RULE_ID" in reply.plain_text
    reply = await bot.send(GROUP, "/rules", ADMIN)
    assert "tap a rule to subscribe or unsubscribe" in reply.plain_text
