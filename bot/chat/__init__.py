"""The chat layer: Telegram commands that manage subscriptions, watches and delivery settings.

    install(application, services)   registers every handler and the error handler
    register_commands(bot)           sets Telegram's command menu (call from post_init)

    commands.py     the command table and pure argument parsing (usage lines, examples)
    permissions.py  who may change a chat (operators, private user, group admins, channel posts)
    render.py       reply texts, HTML with every user/feed string escaped
    trial.py        /test: rules and watches matched against a headline
    handlers.py     python-telegram-bot callbacks
    services.py     ChatServices / RulesView: what the composition root injects

Handlers are added to handler group 0, with a catch-all for unknown commands last: add other
command handlers to a different group (or before ``install``).
"""

from __future__ import annotations

import telegram
from telegram import BotCommand
from telegram.ext import Application

from bot.chat.commands import COMMANDS
from bot.chat.handlers import ChatHandlers, on_error
from bot.chat.services import ChatServices, RulesView

__all__ = ["ChatServices", "RulesView", "install", "menu", "register_commands"]


def install(application: Application, services: ChatServices) -> None:  # type: ignore[type-arg]
    """Register every chat handler, and the error handler, on ``application``."""
    for handler in ChatHandlers(services, spawn=application.create_task).handlers():
        application.add_handler(handler)
    application.add_error_handler(on_error)


def menu() -> list[BotCommand]:
    return [BotCommand(c.name, c.summary) for c in COMMANDS if c.menu]


async def register_commands(bot: telegram.Bot) -> None:
    """Telegram's command menu (setMyCommands); call it from ``post_init``."""
    await bot.set_my_commands(menu())
