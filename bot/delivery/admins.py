"""Notices to the bot's operators (``NEWSBOT_ADMINS``): plain text, straight through the Bot API.

Not through the outbox: they are about the bot itself (the database away, a feed failing, the
rules file rejected, Telegram's flood control) and must reach the admins when the outbox
cannot. Without a bot (alerts printed to the terminal) or without admins, a notice is a
logged warning. One admin who cannot be reached does not keep the others from hearing.
"""

from __future__ import annotations

import logging
from collections.abc import Iterable

import telegram

log = logging.getLogger(__name__)

MAX_NOTICE = 4000  # characters: inside Telegram's 4096 for a plain-text message


class AdminNotices:
    def __init__(self, bot: telegram.Bot | None, admins: Iterable[int]) -> None:
        self.bot = bot
        self.admins = sorted(admins)

    async def __call__(self, text: str) -> None:
        if self.bot is None or not self.admins:
            log.warning("admin notice: %s", text)
            return
        for admin in self.admins:
            try:
                await self.bot.send_message(admin, text[:MAX_NOTICE])
            except Exception as exc:
                log.warning("could not tell admin %s: %s", admin, exc.__class__.__name__)
