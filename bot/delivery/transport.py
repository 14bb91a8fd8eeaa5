"""Transports put one rendered message into one chat, and translate the far side's failures
into newsbot's delivery errors. The sender never sees a python-telegram-bot exception.

    telegram.error.Forbidden, "chat not found"  -> ChatGoneError
    telegram.error.ChatMigrated                 -> ChatMigratedError(new_chat_id)
    telegram.error.RetryAfter                   -> RetryLaterError(retry_after)
    read timeout or read error (httpx)          -> MaybeSentError   (the request was written)
    connect error or connect timeout, InvalidToken
                                                -> UnreachableError (nothing was sent)
    TimedOut (write/pool), NetworkError, 5xx    -> RetryLaterError
    "can't parse entities"                      -> resent once as plain text
    other BadRequest                            -> RejectedError
"""

from __future__ import annotations

import logging
import sys
from collections import OrderedDict
from datetime import timedelta
from typing import Protocol, TextIO

import httpx
import telegram
from telegram import LinkPreviewOptions
from telegram import error as tg_error

from bot.errors import (
    FLOOD_CONTROL,
    ChatGoneError,
    ChatMigratedError,
    MaybeSentError,
    MessageGoneError,
    RejectedError,
    RetryLaterError,
    UnreachableError,
)
from bot.models import Message

log = logging.getLogger(__name__)

_MESSAGE_GONE = ("message to edit not found", "message can't be edited")
_GONE = (
    "chat not found",
    "user is deactivated",
    "bot was kicked",
    "bot was blocked",
    "have no rights to send",
    "not enough rights",
    "group chat was deactivated",
    "peer_id_invalid",
    "bot is not a member",
)


class Transport(Protocol):
    rate_limited: bool

    async def send(self, chat_id: int, thread_id: int | None, message: Message) -> int | None:
        """Deliver; return Telegram's message id if known. Raises DeliveryError subclasses."""
        ...

    async def edit(self, chat_id: int, message_id: int, message: Message) -> None:
        """Rewrite a message sent before (the same content again is not an error). Raises
        MessageGoneError when it was deleted or can no longer be edited, else as ``send``."""
        ...


class ConsoleTransport:
    """The embedded default: alerts printed to a terminal, as plain text."""

    rate_limited = False

    SHOWN = 1000  # messages remembered, to skip an update that changes nothing

    def __init__(self, out: TextIO | None = None) -> None:
        self.out = out or sys.stdout
        self.count = 0
        self._shown: OrderedDict[tuple[int, int], str] = OrderedDict()

    async def send(self, chat_id: int, thread_id: int | None, message: Message) -> int | None:
        self.count += 1
        self._show(chat_id, self.count, message, "")
        return self.count

    async def edit(self, chat_id: int, message_id: int, message: Message) -> None:
        """A terminal cannot rewrite what it printed: the update is printed, marked as one;
        one that changes nothing is not (as Telegram answers "message is not modified")."""
        text = message.plain_fallback or message.text
        if self._shown.get((chat_id, message_id)) != text:
            self._show(chat_id, message_id, message, "(updated) ")

    def _show(self, chat_id: int, message_id: int, message: Message, mark: str) -> None:
        text = message.plain_fallback or message.text
        print(f"{mark}{text}", file=self.out)
        print("", file=self.out, flush=True)
        self._shown[(chat_id, message_id)] = text
        self._shown.move_to_end((chat_id, message_id))
        while len(self._shown) > self.SHOWN:
            self._shown.popitem(last=False)


def _seconds(value: int | float | timedelta) -> float:
    return value.total_seconds() if isinstance(value, timedelta) else float(value)


class TelegramTransport:
    """Sends with python-telegram-bot's ``Bot`` (its own httpx client, token never logged)."""

    rate_limited = True

    def __init__(self, bot: telegram.Bot) -> None:
        self.bot = bot

    async def send(self, chat_id: int, thread_id: int | None, message: Message) -> int | None:
        try:
            return await self._send(chat_id, thread_id, message.text, message.parse_mode, message)
        except tg_error.BadRequest as exc:
            if "can't parse entities" not in exc.message.lower() or not message.plain_fallback:
                raise self._translate(exc) from exc
            log.warning(
                "chat_id=%s: Telegram could not parse our HTML (%s); sending plain text",
                chat_id,
                exc.message,
            )
        except tg_error.TelegramError as exc:
            raise self._translate(exc) from exc
        try:
            return await self._send(chat_id, thread_id, message.plain_fallback, None, message)
        except tg_error.TelegramError as exc:
            raise self._translate(exc) from exc

    async def edit(self, chat_id: int, message_id: int, message: Message) -> None:
        options = LinkPreviewOptions(is_disabled=message.disable_preview)
        try:
            await self.bot.edit_message_text(
                message.text,
                chat_id=chat_id,
                message_id=message_id,
                parse_mode=message.parse_mode,
                link_preview_options=options,
            )
            return
        except tg_error.BadRequest as exc:
            text = exc.message.lower()
            if "message is not modified" in text:
                return  # the edit was applied before (a retry after a timeout): done
            if "can't parse entities" not in text or not message.plain_fallback:
                raise self._translate(exc) from exc
        except tg_error.TelegramError as exc:
            raise self._translate(exc) from exc
        try:
            await self.bot.edit_message_text(
                message.plain_fallback,
                chat_id=chat_id,
                message_id=message_id,
                link_preview_options=options,
            )
        except tg_error.BadRequest as exc:
            if "message is not modified" not in exc.message.lower():
                raise self._translate(exc) from exc
        except tg_error.TelegramError as exc:
            raise self._translate(exc) from exc

    async def _send(
        self,
        chat_id: int,
        thread_id: int | None,
        text: str,
        parse_mode: str | None,
        message: Message,
    ) -> int | None:
        sent = await self.bot.send_message(
            chat_id=chat_id,
            text=text,
            parse_mode=parse_mode,
            message_thread_id=thread_id,
            link_preview_options=LinkPreviewOptions(is_disabled=message.disable_preview),
        )
        return sent.message_id

    @staticmethod
    def _translate(exc: tg_error.TelegramError) -> Exception:
        text = exc.message
        if isinstance(exc, tg_error.ChatMigrated):
            return ChatMigratedError(exc.new_chat_id)
        if isinstance(exc, tg_error.RetryAfter):
            return RetryLaterError(f"{FLOOD_CONTROL} {text}", retry_after=_seconds(exc.retry_after))
        if isinstance(exc, tg_error.Forbidden):
            return ChatGoneError(text)
        if isinstance(exc, tg_error.BadRequest):
            if any(marker in text.lower() for marker in _GONE):
                return ChatGoneError(text)
            if any(marker in text.lower() for marker in _MESSAGE_GONE):
                return MessageGoneError(text)
            return RejectedError(text)
        if isinstance(exc.__cause__, httpx.ReadTimeout | httpx.ReadError):
            # the request was written; the answer never came: it may have been delivered
            return MaybeSentError(f"no answer after sending: {text}")
        if isinstance(exc.__cause__, httpx.ConnectError | httpx.ConnectTimeout):
            return UnreachableError(f"cannot reach the Bot API: {_cause(exc)}")
        if isinstance(exc, tg_error.TimedOut):
            return RetryLaterError(f"timed out before sending: {text}")  # write, pool
        if isinstance(exc, tg_error.InvalidToken):
            return UnreachableError("Telegram rejected the bot token")
        return RetryLaterError(f"{exc.__class__.__name__}: {text}")


def _cause(exc: BaseException) -> str:
    """The network error underneath, without a URL (Bot API URLs hold the token)."""
    cause = exc.__cause__
    return cause.__class__.__name__ if cause is not None else exc.__class__.__name__
