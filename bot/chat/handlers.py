"""python-telegram-bot handlers: one callback per command in ``bot.chat.commands.COMMANDS``.

Each command callback gets a ``Request`` (chat, sender, topic, raw argument text); the
permission check (``Command.who``) and ``UsageError`` -> usage line happen in one wrapper.
Commands arrive as messages and as channel posts; replies go to the same chat and topic.
"""

from __future__ import annotations

import asyncio
import hashlib
import logging
from collections.abc import Awaitable, Callable, Coroutine
from dataclasses import dataclass
from typing import Any

import telegram
from telegram import InlineKeyboardButton, InlineKeyboardMarkup, LinkPreviewOptions, Update
from telegram.constants import ParseMode
from telegram.error import BadRequest, TelegramError
from telegram.ext import (
    BaseHandler,
    CallbackQueryHandler,
    CommandHandler,
    ContextTypes,
    MessageHandler,
    filters,
)

from bot import history
from bot.chat import render, search, trial
from bot.chat.commands import (
    BY_NAME,
    COMMANDS,
    Command,
    UsageError,
    parse_addfeed,
    parse_digest,
    parse_feed_id,
    parse_index,
    parse_mute,
    parse_preview,
    parse_query,
    parse_quiet,
    parse_rule_id,
    parse_stories,
    parse_timezone,
    split_command,
)
from bot.chat.permissions import AdminCache, may_change
from bot.chat.services import ChatServices, RulesView
from bot.errors import NewsbotError, QueryError, StoreError
from bot.match import check_query, compile_query
from bot.models import RuleSpec
from bot.store import WATCH_PREFIX

log = logging.getLogger(__name__)

Context = ContextTypes.DEFAULT_TYPE
MAX_BUTTONS = 100  # Telegram's limit for one inline keyboard
CALLBACK_PREFIX = "sub"
_UPDATES = filters.UpdateType.MESSAGE | filters.UpdateType.CHANNEL_POST


@dataclass(frozen=True, slots=True)
class Request:
    """One command as this layer sees it."""

    chat: telegram.Chat
    message: telegram.Message
    user_id: int | None  # None for channel posts
    sender_chat_id: int | None
    thread_id: int | None  # the forum topic, if the command was sent in one
    args: str  # raw text after the command, stripped
    channel_post: bool


Action = Callable[["ChatHandlers", Request, telegram.Bot], Awaitable[None]]


def callback_data(rule_id: str) -> str:
    data = f"{CALLBACK_PREFIX}:{rule_id}"
    if len(data.encode()) <= 64:
        return data
    return f"{CALLBACK_PREFIX}#{hashlib.blake2b(rule_id.encode(), digest_size=8).hexdigest()}"


def rule_for_callback(data: str, rules: tuple[RuleSpec, ...]) -> RuleSpec | None:
    for rule in rules:
        if callback_data(rule.id) == data:
            return rule
    return None


def _thread_id(message: telegram.Message) -> int | None:
    return message.message_thread_id if message.is_topic_message else None


async def reply(
    message: telegram.Message,
    texts: str | list[str],
    markup: InlineKeyboardMarkup | None = None,
) -> None:
    """Send one or more HTML messages to the message's chat and topic (markup on the last)."""
    chunks = [texts] if isinstance(texts, str) else texts
    for n, text in enumerate(chunks, 1):
        await message.reply_text(
            text,
            parse_mode=ParseMode.HTML,
            link_preview_options=LinkPreviewOptions(is_disabled=True),
            reply_markup=markup if n == len(chunks) else None,
        )


class ChatHandlers:
    def __init__(
        self,
        services: ChatServices,
        spawn: Callable[[Coroutine[Any, Any, None]], object] | None = None,
    ) -> None:
        self.s = services
        # work that outlives its command (the check of an /addfeed URL); the application's
        # create_task reports its errors through on_error and awaits it when stopping
        self.spawn = spawn or self._spawn
        self._tasks: set[asyncio.Task[None]] = set()
        self.admins = AdminCache()

    def _spawn(self, coroutine: Coroutine[Any, Any, None]) -> asyncio.Task[None]:
        task = asyncio.create_task(coroutine)
        self._tasks.add(task)  # a reference, so the task is not collected while it runs
        task.add_done_callback(self._tasks.discard)
        return task

    # ------------------------------------------------------------------ wiring

    def handlers(self) -> list[BaseHandler[Update, Context, None]]:
        found: list[BaseHandler[Update, Context, None]] = []
        for command in COMMANDS:
            action: Action = getattr(ChatHandlers, f"cmd_{command.name}")
            found.append(CommandHandler(command.name, self._command(command, action), _UPDATES))
        found.append(CallbackQueryHandler(self.on_button, pattern=rf"^{CALLBACK_PREFIX}[:#]"))
        found.append(MessageHandler(filters.StatusUpdate.MIGRATE, self.on_migrate))
        found.append(MessageHandler(filters.COMMAND & _UPDATES, self.on_unknown_command))
        found.append(
            MessageHandler(
                filters.ChatType.PRIVATE
                & filters.UpdateType.MESSAGE
                & filters.TEXT
                & ~filters.COMMAND,
                self.on_plain_message,
            )
        )
        return found

    def _command(
        self, command: Command, action: Action
    ) -> Callable[[Update, Context], Coroutine[Any, Any, None]]:
        async def callback(update: Update, context: Context) -> None:
            message, chat = update.effective_message, update.effective_chat
            if message is None or chat is None or message.text is None:
                return
            parsed = split_command(message.text)
            request = Request(
                chat=chat,
                message=message,
                user_id=message.from_user.id if message.from_user else None,
                sender_chat_id=message.sender_chat.id if message.sender_chat else None,
                thread_id=_thread_id(message),
                args=parsed.args if parsed else "",
                channel_post=update.channel_post is not None,
            )
            if not await self._allowed(command, request, context.bot):
                await reply(message, render.denied(command))
                return
            try:
                await action(self, request, context.bot)
            except UsageError as exc:
                await reply(message, render.usage(exc))

        return callback

    async def _allowed(self, command: Command, request: Request, bot: telegram.Bot) -> bool:
        operators = self.s.settings.admins
        if command.who == "everyone":
            return True
        if command.who == "operator":
            return request.user_id in operators
        if command.who == "feeds":
            return self.s.settings.anyone_can_add_feeds or request.user_id in operators
        return await self._may_change(request.chat, request, bot)

    async def _may_change(
        self,
        chat: telegram.Chat,
        request: Request | None,
        bot: telegram.Bot,
        user_id: int | None = None,
    ) -> bool:
        return await may_change(
            bot=bot,
            cache=self.admins,
            operators=self.s.settings.admins,
            chat=chat,
            user_id=request.user_id if request else user_id,
            sender_chat_id=request.sender_chat_id if request else None,
            channel_post=request.channel_post if request else False,
        )

    async def _ensure(self, chat: telegram.Chat) -> None:
        await self.s.store.chats.ensure(chat.id, chat.type, chat.title, self.s.clock())

    # ------------------------------------------------------------------ help

    async def cmd_start(self, r: Request, bot: telegram.Bot) -> None:
        await self._ensure(r.chat)
        await reply(r.message, render.start_text(r.chat.type))

    async def cmd_help(self, r: Request, bot: telegram.Bot) -> None:
        await reply(r.message, render.help_text(operator=r.user_id in self.s.settings.admins))

    # ------------------------------------------------------------------ rules & subscriptions

    async def _subscribed(self, chat_id: int, thread_id: int | None) -> set[str]:
        subs = await self.s.store.chats.subscriptions(chat_id)
        return {s.rule_id for s in subs if s.thread_id == thread_id}

    def _rules_message(
        self, view: RulesView, subscribed: set[str], can_change: bool
    ) -> tuple[str, InlineKeyboardMarkup | None]:
        text = render.rules_text(view.rules, subscribed, can_change)
        rows = [
            [
                InlineKeyboardButton(
                    render.button_label(rule, rule.id in subscribed),
                    callback_data=callback_data(rule.id),
                )
            ]
            for rule in view.rules[:MAX_BUTTONS]
        ]
        more = "\n…more rules: use /subscribe RULE_ID"
        chunks = render.split_message(
            text.splitlines(), limit=render.MAX_UTF16 - render.utf16_len(more)
        )
        if len(chunks) > 1 or len(view.rules) > MAX_BUTTONS:
            text = chunks[0] + more  # room for the note was kept: still one valid message
        return text, InlineKeyboardMarkup(rows) if rows else None

    async def cmd_rules(self, r: Request, bot: telegram.Bot) -> None:
        view = self.s.rules()
        subscribed = await self._subscribed(r.chat.id, r.thread_id)
        can_change = await self._may_change(r.chat, r, bot)
        text, markup = self._rules_message(view, subscribed, can_change)
        await reply(r.message, text, markup)

    async def cmd_subscribe(self, r: Request, bot: telegram.Bot) -> None:
        rule_id = parse_rule_id("subscribe", r.args)
        rule = self.s.rules().get(rule_id)
        if rule is None:
            await reply(r.message, render.no_rule(rule_id))
            return
        await self._ensure(r.chat)
        created = await self.s.store.chats.subscribe(
            r.chat.id, rule.id, r.thread_id, self.s.clock()
        )
        await reply(r.message, render.subscribed(rule, created, topic=r.thread_id is not None))

    async def cmd_unsubscribe(self, r: Request, bot: telegram.Bot) -> None:
        rule_id = parse_rule_id("unsubscribe", r.args)
        chats = self.s.store.chats
        removed = await chats.unsubscribe(r.chat.id, rule_id, r.thread_id or 0)
        if not removed and r.thread_id is None:  # outside topics: drop it from every topic
            removed = await chats.unsubscribe(r.chat.id, rule_id, None)
        rule = self.s.rules().get(rule_id)
        await reply(
            r.message, render.unsubscribed(rule_id, rule.display_title if rule else None, removed)
        )

    async def on_button(self, update: Update, context: Context) -> None:
        query = update.callback_query
        if query is None or query.data is None:
            return
        message = query.message
        if not isinstance(message, telegram.Message):
            await query.answer("This message is too old; send /rules again.")
            return
        chat = message.chat
        if not await self._may_change(chat, None, context.bot, user_id=query.from_user.id):
            await query.answer(render.ADMINS_ONLY_BUTTON, show_alert=True)
            return
        view = self.s.rules()
        rule = rule_for_callback(query.data, view.rules)
        thread_id = _thread_id(message)
        if rule is None:
            await query.answer("That rule no longer exists.")
        else:
            chats = self.s.store.chats
            if rule.id in await self._subscribed(chat.id, thread_id):
                await chats.unsubscribe(chat.id, rule.id, thread_id or 0)
                await query.answer(f"Unsubscribed from {rule.display_title}"[:200])
            else:
                await self._ensure(chat)
                await chats.subscribe(chat.id, rule.id, thread_id, self.s.clock())
                await query.answer(f"Subscribed to {rule.display_title}"[:200])
        text, markup = self._rules_message(view, await self._subscribed(chat.id, thread_id), True)
        try:
            await message.edit_text(
                text,
                parse_mode=ParseMode.HTML,
                link_preview_options=LinkPreviewOptions(is_disabled=True),
                reply_markup=markup,
            )
        except BadRequest as exc:
            if "not modified" not in str(exc).lower():
                raise

    async def cmd_list(self, r: Request, bot: telegram.Bot) -> None:
        chats = self.s.store.chats
        subs = await chats.subscriptions(r.chat.id)
        watches = await chats.watches(r.chat.id)
        prefs = await chats.get(r.chat.id)
        now = self.s.clock()
        await reply(r.message, render.list_text(self.s.rules().rules, subs, watches, prefs, now))

    # ------------------------------------------------------------------ watches

    async def _query(self, r: Request, command: str) -> str | None:
        """The command's query argument; None (the user told why) when it is too long."""
        query = parse_query(command, r.args)
        if len(query) > self.s.max_query_length:
            await reply(r.message, render.query_too_long(self.s.max_query_length))
            return None
        return query

    async def cmd_watch(self, r: Request, bot: telegram.Bot) -> None:
        query = await self._query(r, "watch")
        if query is None:
            return
        chats = self.s.store.chats
        if len(await chats.watches(r.chat.id)) >= self.s.max_watches:
            await reply(r.message, render.too_many_watches(self.s.max_watches))
            return
        # checked before it is stored: parsed only (at most max_query_length characters, a
        # linear parser), not built; a bad query never reaches the database
        try:
            check_query(query, self.s.rules().entities)
        except QueryError as exc:
            await reply(r.message, render.query_error(query, exc.problem))
            return
        await self._ensure(r.chat)
        watch_id = await chats.add_watch(r.chat.id, r.thread_id, query, self.s.clock())
        # then compiled once, with every watch; one that still does not compile (the rules
        # file's entities changed meanwhile) is left out of the compiled set and taken back
        problem = (await self.s.watches_changed()).get(watch_id)
        if problem is not None:
            await chats.remove_watch(r.chat.id, watch_id)
            await reply(r.message, render.query_error(query, problem))
            return
        ids = [w.id for w in await chats.watches(r.chat.id)]
        number = ids.index(watch_id) + 1 if watch_id in ids else len(ids)
        since = self.s.clock() - search.WATCH_DAYS * 86400.0  # what it would have matched
        text = render.watch_added(number, query)
        watches = self.s.rules().watches  # compiled just now, this watch among them
        rule_id = f"{WATCH_PREFIX}{watch_id}"
        if watches is not None and rule_id in watches.rule_ids:
            try:
                matched, scanned = await history.count(
                    self.s.store.db, watches, since, rule=rule_id
                )
                text += "\n" + search.watch_count_line(matched, scanned)
            except StoreError:
                pass  # the watch is added; the database's health reports the outage
        await reply(r.message, text)

    async def cmd_search(self, r: Request, bot: telegram.Bot) -> None:
        query = await self._query(r, "search")
        if query is None:
            return
        try:
            ruleset = compile_query(query, self.s.rules().entities)
        except QueryError as exc:
            await reply(r.message, render.query_error(query, exc.problem, "search"))
            return
        found, scanned = await history.search(self.s.store.db, ruleset)
        await reply(r.message, search.search_reply(query, found, scanned))

    async def cmd_unwatch(self, r: Request, bot: telegram.Bot) -> None:
        number = parse_index(r.args)
        chats = self.s.store.chats
        watches = await chats.watches(r.chat.id)
        if number > len(watches):
            await reply(r.message, render.no_watch(number, len(watches)))
            return
        watch = watches[number - 1]
        if await chats.remove_watch(r.chat.id, watch.id):
            await self.s.watches_changed()
        await reply(r.message, render.watch_removed(number, watch.query))

    async def cmd_test(self, r: Request, bot: telegram.Bot) -> None:
        text = parse_query("test", r.args)
        watches = await self.s.store.chats.watches(r.chat.id)
        hits = trial.run(self.s.rules(), watches, text)
        await reply(r.message, render.test_result(text, hits))

    # ------------------------------------------------------------------ delivery settings

    async def _timezone(self, chat_id: int) -> str:
        prefs = await self.s.store.chats.get(chat_id)
        return prefs.timezone if prefs else "UTC"

    async def cmd_mute(self, r: Request, bot: telegram.Bot) -> None:
        seconds = parse_mute(r.args)
        await self._ensure(r.chat)
        until = self.s.clock() + seconds
        await self.s.store.chats.update(r.chat.id, muted_until=until)
        await reply(r.message, render.muted(until, await self._timezone(r.chat.id)))

    async def cmd_unmute(self, r: Request, bot: telegram.Bot) -> None:
        await self._ensure(r.chat)
        await self.s.store.chats.update(r.chat.id, muted_until=None)
        await reply(r.message, render.UNMUTED)

    async def cmd_digest(self, r: Request, bot: telegram.Bot) -> None:
        mode = parse_digest(r.args)
        await self._ensure(r.chat)
        await self.s.store.chats.update(r.chat.id, digest=mode)
        await reply(r.message, render.digest_set(mode))

    async def cmd_preview(self, r: Request, bot: telegram.Bot) -> None:
        on = parse_preview(r.args)
        await self._ensure(r.chat)
        await self.s.store.chats.update(r.chat.id, link_preview=on)
        await reply(r.message, render.preview_set(on))

    async def cmd_stories(self, r: Request, bot: telegram.Bot) -> None:
        on = parse_stories(r.args)
        await self._ensure(r.chat)
        await self.s.store.chats.update(r.chat.id, stories=on)
        await reply(r.message, render.stories_set(on))

    async def cmd_quiet(self, r: Request, bot: telegram.Bot) -> None:
        quiet = parse_quiet(r.args)
        await self._ensure(r.chat)
        await self.s.store.chats.update(r.chat.id, quiet=quiet)
        await reply(r.message, render.quiet_set(quiet, await self._timezone(r.chat.id)))

    async def cmd_timezone(self, r: Request, bot: telegram.Bot) -> None:
        name = parse_timezone(r.args)
        await self._ensure(r.chat)
        await self.s.store.chats.update(r.chat.id, timezone=name)
        await reply(r.message, render.timezone_set(name))

    # ------------------------------------------------------------------ operators

    async def cmd_feeds(self, r: Request, bot: telegram.Bot) -> None:
        states = await self.s.store.feeds.all()
        await reply(r.message, render.feeds_text(states, self.s.clock()))

    async def cmd_status(self, r: Request, bot: telegram.Bot) -> None:
        if self.s.status is None:
            await reply(r.message, render.NOT_AVAILABLE)
            return
        await reply(r.message, render.status_text(await self.s.status()))

    async def cmd_addfeed(self, r: Request, bot: telegram.Bot) -> None:
        """Checking a feed takes as long as its server (up to the fetch deadline): it runs in
        the background, so the chat's next command is not held up, and replies when done."""
        url, interval = parse_addfeed(r.args)
        if self.s.add_feed is None:
            await reply(r.message, render.NOT_AVAILABLE)
            return
        await reply(r.message, render.feed_checking(url))
        self.spawn(self._add_feed(r, url, interval))

    async def _add_feed(self, r: Request, url: str, interval: float | None) -> None:
        assert self.s.add_feed is not None
        try:
            feed_id = await self.s.add_feed(url, interval, r.user_id or r.chat.id)
        except NewsbotError as exc:
            await reply(r.message, render.feed_refused(str(exc)))
            return
        await reply(r.message, render.feed_added(feed_id))

    async def cmd_removefeed(self, r: Request, bot: telegram.Bot) -> None:
        feed_id = parse_feed_id(r.args)
        if self.s.remove_feed is None:
            await reply(r.message, render.NOT_AVAILABLE)
            return
        await reply(r.message, render.feed_removed(feed_id, await self.s.remove_feed(feed_id)))

    # ------------------------------------------------------------------ everything else

    async def on_unknown_command(self, update: Update, context: Context) -> None:
        message = update.effective_message
        if message is None or message.text is None:
            return
        parsed = split_command(message.text)
        if parsed is None:
            return
        me = context.bot.username
        if parsed.addressee and parsed.addressee.lower() != (me or "").lower():
            return  # meant for another bot
        if parsed.name in BY_NAME:  # ours, but not via a handled update kind
            return
        await reply(message, render.unknown_command(parsed.name))

    async def on_plain_message(self, update: Update, context: Context) -> None:
        if update.effective_message is not None:
            await reply(update.effective_message, render.NOT_A_COMMAND)

    async def on_migrate(self, update: Update, context: Context) -> None:
        message = update.effective_message
        if message is None or message.migrate_to_chat_id is None:
            return
        log.info(
            "chat migrated chat_id=%s new_chat_id=%s", message.chat.id, message.migrate_to_chat_id
        )
        await self.s.store.chats.migrate(
            message.chat.id, message.migrate_to_chat_id, self.s.clock()
        )
        self.admins.forget(message.chat.id)


async def on_error(update: object, context: Context) -> None:
    """Log the failure with its chat; tell the user something went wrong, nothing more."""
    chat_id = None
    if isinstance(update, Update) and update.effective_chat is not None:
        chat_id = update.effective_chat.id
    away = isinstance(context.error, StoreError)
    if away:  # the database's health logged it once and told the admins: no traceback
        log.warning("update failed chat_id=%s: database unreachable", chat_id)
    else:
        log.error(
            "update failed chat_id=%s error=%s",
            chat_id,
            type(context.error).__name__,
            exc_info=context.error,
        )
    if not isinstance(update, Update):
        return
    text = render.DATABASE_AWAY if away else render.SOMETHING_WRONG
    try:
        if update.callback_query is not None:
            await update.callback_query.answer(text)
        elif update.effective_message is not None and update.effective_message.text:
            await update.effective_message.reply_text(text)
    except TelegramError as exc:
        log.warning("cannot report the failure chat_id=%s: %s", chat_id, type(exc).__name__)
