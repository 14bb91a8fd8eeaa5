"""Who may change a chat's subscriptions, watches and settings.

    NEWSBOT_ADMINS (operators)      everywhere
    private chat                    its user
    group / supergroup              chat administrators (getChatAdministrators, cached briefly),
                                    and anonymous administrators (sender_chat is the group itself)
    channel                         every channel post: only administrators can post in a
                                    channel, and channel posts carry no user; a button pressed
                                    under a channel message is checked against the admin list

Reading (/help, /rules, /list, /test) is open to everyone in the chat.
"""

from __future__ import annotations

import logging
import time
from collections.abc import Callable

import telegram
from telegram.error import TelegramError

log = logging.getLogger(__name__)

ADMIN_CACHE_SECONDS = 60.0


class AdminCache:
    """Chat administrators per chat, fetched once per ``ttl`` seconds."""

    def __init__(
        self, ttl: float = ADMIN_CACHE_SECONDS, clock: Callable[[], float] = time.monotonic
    ):
        self.ttl = ttl
        self.clock = clock
        self._admins: dict[int, tuple[float, frozenset[int]]] = {}

    async def is_admin(self, bot: telegram.Bot, chat_id: int, user_id: int) -> bool:
        now = self.clock()
        cached = self._admins.get(chat_id)
        if cached is None or cached[0] <= now:
            try:
                members = await bot.get_chat_administrators(chat_id)
            except TelegramError as exc:
                log.warning("cannot list administrators chat_id=%s: %s", chat_id, exc)
                return False  # deny, and ask again next time
            if len(self._admins) > 10_000:
                self._admins.clear()
            cached = (now + self.ttl, frozenset(m.user.id for m in members))
            self._admins[chat_id] = cached
        return user_id in cached[1]

    def forget(self, chat_id: int) -> None:
        self._admins.pop(chat_id, None)


async def may_change(
    *,
    bot: telegram.Bot,
    cache: AdminCache,
    operators: frozenset[int],
    chat: telegram.Chat,
    user_id: int | None,
    sender_chat_id: int | None = None,
    channel_post: bool = False,
) -> bool:
    """May this sender change ``chat``'s subscriptions, watches and settings?"""
    if user_id is not None and user_id in operators:
        return True
    if chat.type == telegram.constants.ChatType.PRIVATE:
        return user_id == chat.id
    if chat.type == telegram.constants.ChatType.CHANNEL and channel_post:
        return True  # only administrators can post in a channel
    if sender_chat_id is not None and sender_chat_id == chat.id:
        return True  # an anonymous administrator of this group
    if user_id is None:
        return False
    return await cache.is_admin(bot, chat.id, user_id)
