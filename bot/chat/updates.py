"""The link to the Bot API: connecting, and receiving updates by long polling.

    connect(bot, stop)      getMe until the Bot API answers: while it is unreachable (network
                            errors, 5xx, timeouts) it is retried with backoff and the rest of the
                            bot runs on; a rejected token (401, or 404 for a malformed token or a
                            wrong TELEGRAM_API_URL) before the first answer raises TokenRejected.
    UpdatePoller.run(stop)  deleteWebhook once, then getUpdates(offset, timeout) forever; each
                            batch goes to the application's update queue in order, confirmed by
                            the next call's offset. Every failure is retried with backoff — a
                            rejected token too — and each change of state is logged once.

This is our own loop rather than python-telegram-bot's ``Updater`` because the Updater's retry
loop gives up for good on one ``InvalidToken`` answer: a token rejected for one long-poll period
(a revoked-then-restored token, a proxy answering 401) left the process sending alerts and
answering no command ever again.
"""

from __future__ import annotations

import asyncio
import contextlib
import enum
import logging
import random
import time
from collections.abc import Awaitable, Callable
from dataclasses import dataclass
from datetime import timedelta

import telegram
from telegram import Update
from telegram import error as tg_error

log = logging.getLogger(__name__)

BACKOFF_BASE = 1.0  # seconds before the first retry
BACKOFF_CAP = 30.0  # seconds: never wait longer between two tries
LONG_POLL = 30  # seconds Telegram holds a getUpdates open when there is nothing new


class LinkState(enum.StrEnum):
    UP = "up"
    UNREACHABLE = "unreachable"  # network errors, timeouts, 5xx
    TOKEN_REJECTED = "token rejected"  # noqa: S105 - 401/404 on a token that worked before
    CONFLICT = "conflict"  # 409: another getUpdates consumer or a webhook
    FLOOD = "flood"  # 429 on getUpdates


@dataclass(frozen=True, slots=True)
class LinkChange:
    """One change of the link's state, as the admins are told about it."""

    old: LinkState
    new: LinkState
    since: float  # epoch seconds when ``old`` began
    at: float  # epoch seconds of this change
    detail: str  # the last error while ``old`` lasted ("" when old is UP)


class TokenRejected(Exception):
    """The Bot API rejected the token before ever accepting it: nothing to retry."""


def retry_delay(failures: int, rng: random.Random, cap: float = BACKOFF_CAP) -> float:
    """Seconds to wait after ``failures`` consecutive failures (1-based): exponential from
    ``BACKOFF_BASE``, capped, with "equal jitter" (between half and all of it)."""
    ceiling = min(cap, BACKOFF_BASE * 2.0 ** min(max(failures, 1) - 1, 32))
    return rng.uniform(ceiling / 2, ceiling)


def classify(exc: tg_error.TelegramError) -> LinkState:
    if isinstance(exc, tg_error.InvalidToken):
        return LinkState.TOKEN_REJECTED
    if isinstance(exc, tg_error.Conflict):
        return LinkState.CONFLICT
    if isinstance(exc, tg_error.RetryAfter):
        return LinkState.FLOOD
    return LinkState.UNREACHABLE


def describe(exc: BaseException, api_url: str = "") -> str:
    """One line about a Bot API failure, never holding the token (python-telegram-bot's
    ``InvalidToken`` message does: the server's own description is used instead)."""
    if isinstance(exc, tg_error.InvalidToken):
        cause = exc.__cause__
        answer = cause.message if isinstance(cause, tg_error.TelegramError) else exc.message
        where = f" from {api_url}" if api_url else ""
        if "not found" in answer.lower():
            return (
                f"the Bot API{where} answered 404 Not Found: the bot token is malformed, "
                "or TELEGRAM_API_URL does not point at a Bot API server"
            )
        return f"Telegram rejected the bot token ({answer}{where}): check TELEGRAM_BOT_TOKEN"
    if isinstance(exc, tg_error.TelegramError):
        return f"{exc.__class__.__name__}: {exc.message}"
    return f"{exc.__class__.__name__}: {exc}"


async def _wait(stop: asyncio.Event, seconds: float) -> bool:
    """Sleep ``seconds`` unless ``stop`` is set first; True when stopped."""
    with contextlib.suppress(TimeoutError):
        async with asyncio.timeout(max(0.0, seconds)):
            await stop.wait()
    return stop.is_set()


async def connect(
    bot: telegram.Bot,
    stop: asyncio.Event,
    *,
    api_url: str = "",
    rng: random.Random | None = None,
    cap: float = BACKOFF_CAP,
) -> bool:
    """Initialize ``bot`` (getMe), retrying while the Bot API is unreachable. True once
    connected, False if ``stop`` was set first; raises TokenRejected (with a one-line,
    token-free reason) when the API answers that the token is not valid."""
    rng = rng or random.Random()
    failures = 0
    while not stop.is_set():
        try:
            await bot.initialize()
        except tg_error.InvalidToken as exc:
            raise TokenRejected(describe(exc, api_url)) from None
        except tg_error.TelegramError as exc:
            failures += 1
            delay = retry_delay(failures, rng, cap)
            if isinstance(exc, tg_error.RetryAfter):
                delay = max(delay, _seconds(exc.retry_after))
            if failures == 1:
                log.warning(
                    "Bot API at %s unreachable (%s); alerts wait in the outbox, retrying",
                    api_url or "?",
                    describe(exc),
                )
            if await _wait(stop, delay):
                return False
        else:
            if failures:
                log.info("Bot API reachable again after %d failed attempts", failures)
            return True
    return False


SURELY_SENT = 1.0  # seconds after which a long poll's request has reached the Bot API


class UpdatePoller:
    """Long-polls ``getUpdates`` and hands each update to ``put`` (the application's queue)."""

    def __init__(
        self,
        bot: telegram.Bot,
        put: Callable[[object], Awaitable[None]],
        *,
        on_change: Callable[[LinkChange], Awaitable[None]] | None = None,
        long_poll: int = LONG_POLL,
        cap: float = BACKOFF_CAP,
        clock: Callable[[], float] = time.time,
        rng: random.Random | None = None,
    ) -> None:
        self.bot = bot
        self.put = put
        self.on_change = on_change
        self.long_poll = long_poll
        self.cap = cap
        self.clock = clock
        self.rng = rng or random.Random()
        self.state = LinkState.UP
        self.since = clock()
        self.offset: int | None = None
        self.received = 0
        self._detail = ""
        # the offset of the last long poll abandoned at a stop, once it had surely reached the
        # Bot API: that request already confirmed the updates before it
        self._abandoned_offset: int | None = None

    async def run(self, stop: asyncio.Event) -> None:
        """Poll until ``stop`` is set; never gives up."""
        failures = 0
        webhook_cleared = False
        while not stop.is_set():
            try:
                if not webhook_cleared:
                    await self.bot.delete_webhook(drop_pending_updates=False)
                    webhook_cleared = True
                updates = await self._get(stop)
            except tg_error.TelegramError as exc:
                failures += 1
                delay = retry_delay(failures, self.rng, self.cap)
                if isinstance(exc, tg_error.TimedOut) and failures == 1:
                    delay = 0.0  # a dropped long poll: ask again at once
                if isinstance(exc, tg_error.RetryAfter):
                    delay = max(delay, _seconds(exc.retry_after))
                await self._change(classify(exc), describe(exc))
                if await _wait(stop, delay):
                    break
                continue
            except Exception as exc:  # undecodable data: python-telegram-bot could not build it
                failures += 1
                log.error("getUpdates answer could not be read: %s", describe(exc))
                if await _wait(stop, retry_delay(failures, self.rng, self.cap)):
                    break
                continue
            if updates is None:  # stopped while waiting
                break
            failures = 0
            await self._change(LinkState.UP, "")
            for update in updates:
                await self.put(update)
                self.received += 1
                self.offset = update.update_id + 1
        await self._confirm()

    async def _get(self, stop: asyncio.Event) -> list[Update] | None:
        """One getUpdates call, abandoned (None) when ``stop`` is set meanwhile."""
        offset, started = self.offset, time.monotonic()
        call = asyncio.ensure_future(self.bot.get_updates(offset=offset, timeout=self.long_poll))
        stopping = asyncio.ensure_future(stop.wait())
        try:
            await asyncio.wait({call, stopping}, return_when=asyncio.FIRST_COMPLETED)
        finally:
            stopping.cancel()
        if not call.done():
            call.cancel()
            with contextlib.suppress(asyncio.CancelledError, tg_error.TelegramError):
                await call
            if time.monotonic() - started > SURELY_SENT:
                self._abandoned_offset = offset
            return None
        return list(call.result())

    async def _confirm(self) -> None:
        """Tell Telegram the updates already queued were received (no long poll), unless the
        long poll abandoned at the stop already did: the Bot API holds that request open for
        a while, and a second getUpdates meanwhile is a 409 Conflict (for this call, and then
        for the instance that takes over)."""
        if self.offset is None or self.offset == self._abandoned_offset:
            return
        with contextlib.suppress(tg_error.TelegramError):
            await self.bot.get_updates(offset=self.offset, timeout=0)

    async def _change(self, new: LinkState, detail: str) -> None:
        if new == self.state:
            self._detail = detail or self._detail
            return
        now = self.clock()
        change = LinkChange(self.state, new, self.since, now, self._detail)
        self.state, self.since, self._detail = new, now, detail
        if new == LinkState.UP:
            log.info("getUpdates works again after %.0fs (%s)", now - change.since, change.old)
        else:
            log.warning("getUpdates failing: %s (%s); retrying with backoff", new, detail)
        if self.on_change is not None:
            try:
                await self.on_change(change)
            except Exception as exc:
                log.warning("could not report the link change: %s", describe(exc))


def _seconds(value: float | timedelta) -> float:
    return value.total_seconds() if isinstance(value, timedelta) else float(value)
