"""The sender: drains the outbox into chats as fast as Telegram allows, and no faster.

    loop:
        release held digests whose time has come
        load due rows (at most a few per chat, so one chat's burst never starves the others)
        round-robin over chats: a chat is sendable when the rate limiter says so and it has
            nothing in flight (per-chat order is kept); claim its oldest row with a lease
        send in a task:  render -> transport -> mark sent | retry | dead | chat gone | migrated
        sleep until the next chat becomes sendable, a new alert arrives, or a row falls due

Failures stay in their chat: a 429 holds back the chat it names for exactly ``retry_after``
(everything, when several chats are told to wait at once: Telegram applies it bot-wide),
403 kills that chat's rows, and one failed alert never stops the others.
"""

from __future__ import annotations

import asyncio
import contextlib
import logging
import random
import time
from collections import deque
from collections.abc import Callable
from dataclasses import dataclass, field
from datetime import UTC, datetime

from bot.alert import render_alert
from bot.delivery.policy import backoff, hold_until, zone
from bot.delivery.ratelimit import RateLimiter
from bot.delivery.transport import Transport
from bot.errors import (
    ChatGoneError,
    ChatMigratedError,
    DeliveryError,
    MaybeSentError,
    RejectedError,
    RetryLaterError,
)
from bot.models import Alert, ChatPrefs
from bot.store import Store

log = logging.getLogger(__name__)

BOT_WIDE_CHATS = 3  # 429s from this many chats within BOT_WIDE_WINDOW seconds: hold everything
BOT_WIDE_WINDOW = 1.0


@dataclass
class SenderStats:
    sent: int = 0
    retried: int = 0
    dead: int = 0
    failed_chats: set[int] = field(default_factory=set)


class Sender:
    def __init__(
        self,
        store: Store,
        transport: Transport,
        *,
        limiter: RateLimiter | None = None,
        lease: float = 30.0,
        max_in_flight: int = 32,
        clock: Callable[[], float] = time.time,
        rng: random.Random | None = None,
    ) -> None:
        self.store = store
        self.transport = transport
        self.limiter = limiter or RateLimiter()
        self.lease = lease
        self.max_in_flight = max_in_flight
        self.clock = clock
        self.rng = rng or random.Random()
        self.stats = SenderStats()
        self._wake = asyncio.Event()
        self._queues: dict[int, deque[int]] = {}
        self._busy: set[int] = set()  # chats with a send in flight
        self._tasks: set[asyncio.Task[None]] = set()
        self._recent_429: deque[tuple[float, int]] = deque()
        self._prefs: dict[int, ChatPrefs | None] = {}
        self._known: set[int] = set()  # outbox ids queued or in flight
        self._next_refill = 0.0
        self._woken = False
        self.refill_every = 1.0

    def wake(self) -> None:
        """New alerts are in the outbox: look now."""
        self._woken = True
        self._wake.set()

    # ------------------------------------------------------------------ main loop

    async def run(self, stop: asyncio.Event) -> None:
        try:
            while not stop.is_set():
                try:
                    wait = await self._step()
                except Exception:  # the database hiccuped: keep the loop alive
                    log.exception("sender step failed; retrying")
                    wait = 2.0
                await self._sleep(wait, stop)
        finally:
            await self._drain_tasks()

    async def drain(self, timeout: float = 60.0) -> bool:
        """Send everything that is due now (``newsbot run --once``). True if nothing is left."""
        deadline = time.monotonic() + timeout
        while time.monotonic() < deadline:
            wait = await self._step()
            if not self._queues and not self._tasks:
                await self.store.outbox.release_held(self.clock())
                if not await self.store.outbox.due(self.clock(), limit=1):
                    return True
                self._woken = True
            await self._sleep(min(wait, 0.5), None)
        await self._drain_tasks()
        return False

    async def _sleep(self, seconds: float, stop: asyncio.Event | None) -> None:
        if seconds <= 0:
            await asyncio.sleep(0)
            return
        self._wake.clear()
        waiters = [asyncio.ensure_future(self._wake.wait())]
        if stop is not None:
            waiters.append(asyncio.ensure_future(stop.wait()))
        try:
            await asyncio.wait(waiters, timeout=seconds, return_when=asyncio.FIRST_COMPLETED)
        finally:
            for waiter in waiters:
                waiter.cancel()

    async def _refill(self, now: float) -> None:
        await self.store.outbox.release_held(now)
        self._prefs.clear()
        for due in await self.store.outbox.due(now, limit=2000, per_chat=10):
            if due.id not in self._known:
                self._known.add(due.id)
                self._queues.setdefault(due.chat_id, deque()).append(due.id)
        self._next_refill = now + self.refill_every

    async def _step(self) -> float:
        """Start every send that may start now; return how long to wait before the next step."""
        now = self.clock()
        if not self._queues or now >= self._next_refill or self._woken:
            self._woken = False
            await self._refill(now)
            if not self._queues:
                next_at = await self.store.outbox.next_due_at()
                return 5.0 if next_at is None else min(5.0, max(0.05, next_at - now))
        soonest = self._next_refill - now
        for chat_id in list(self._queues):
            if len(self._tasks) >= self.max_in_flight:
                return 0.01
            if chat_id in self._busy:
                continue  # its task wakes us when done
            if self.transport.rate_limited:
                delay = self.limiter.delay(chat_id, now)
                if delay > 0:
                    soonest = min(soonest, delay)
                    continue
            queue = self._queues[chat_id]
            outbox_id = queue.popleft()
            if not queue:
                del self._queues[chat_id]
            if self.transport.rate_limited:
                self.limiter.take(chat_id, now)
            self._busy.add(chat_id)
            task = asyncio.create_task(self._deliver(chat_id, outbox_id))
            self._tasks.add(task)
            task.add_done_callback(self._tasks.discard)
        return max(0.001, soonest)

    async def _drain_tasks(self) -> None:
        if self._tasks:
            await asyncio.gather(*self._tasks, return_exceptions=True)

    # ------------------------------------------------------------------ one alert

    async def _chat(self, chat_id: int) -> ChatPrefs | None:
        if chat_id not in self._prefs:
            self._prefs[chat_id] = await self.store.chats.get(chat_id)
        return self._prefs[chat_id]

    async def _deliver(self, chat_id: int, outbox_id: int) -> None:
        try:
            alert = await self.store.outbox.claim(outbox_id, self.clock(), self.lease)
            if alert is None:
                return
            prefs = await self._chat(chat_id)
            if prefs is not None and not prefs.active:
                await self.store.outbox.kill_chat(chat_id, "chat inactive")
                return
            if prefs is not None and alert.kind != "digest":
                until = hold_until(prefs, self.clock())
                if until is not None:
                    await self.store.outbox.hold(alert.id, until)
                    return
            await self._send(alert, prefs)
        except Exception:
            log.exception("chat_id=%s outbox_id=%s: delivery failed unexpectedly", chat_id, outbox_id)
            with contextlib.suppress(Exception):
                await self.store.outbox.retry(outbox_id, self.clock() + 30, "internal error")
        finally:
            self._busy.discard(chat_id)
            if outbox_id not in self._queues.get(chat_id, ()):
                self._known.discard(outbox_id)
            self._wake.set()

    async def _send(self, alert: Alert, prefs: ChatPrefs | None) -> None:
        tz = zone(prefs.timezone) if prefs else None
        preview = prefs.link_preview if prefs else False
        messages = render_alert(
            alert, datetime.fromtimestamp(self.clock(), UTC), tz=tz, link_preview=preview
        )
        message_id: int | None = None
        try:
            for index, message in enumerate(messages):
                if index < alert.parts_sent:
                    continue
                if index > alert.parts_sent and self.transport.rate_limited:
                    await self._wait_turn(alert.chat_id)
                message_id = await self.transport.send(alert.chat_id, alert.thread_id, message)
                if len(messages) > 1:
                    await self.store.outbox.part_sent(alert.id, index + 1)
        except DeliveryError as exc:
            await self._failed(alert, exc)
            return
        await self.store.outbox.mark_sent(alert.id, self.clock(), message_id)
        self.stats.sent += 1

    async def _wait_turn(self, chat_id: int) -> None:
        """The next part of a split message waits for the chat's rate like any other message."""
        while (delay := self.limiter.delay(chat_id, self.clock())) > 0:
            await asyncio.sleep(delay)
        self.limiter.take(chat_id, self.clock())

    async def _failed(self, alert: Alert, exc: DeliveryError) -> None:
        now = self.clock()
        chat_id = alert.chat_id
        if isinstance(exc, ChatGoneError):
            log.info("chat_id=%s is gone (%s); stopping its alerts", chat_id, exc)
            await self.store.chats.deactivate(chat_id)
            self.stats.dead += await self.store.outbox.kill_chat(chat_id, str(exc))
            self._forget_chat(chat_id)
            self._prefs[chat_id] = None
        elif isinstance(exc, ChatMigratedError):
            log.info("chat_id=%s migrated to %s; moving its subscriptions", chat_id, exc.new_chat_id)
            await self.store.chats.migrate(chat_id, exc.new_chat_id, now)
            self._forget_chat(chat_id)
            self._woken = True
        elif isinstance(exc, RejectedError):
            log.error("chat_id=%s outbox_id=%s: Telegram refused the alert: %s", chat_id, alert.id, exc)
            await self.store.outbox.dead(alert.id, str(exc))
            self.stats.dead += 1
        elif isinstance(exc, MaybeSentError):
            if alert.maybe_sent:  # re-sent once already: never a third copy
                log.warning("chat_id=%s outbox_id=%s: timed out twice; counting as sent", chat_id, alert.id)
                await self.store.outbox.mark_sent(alert.id, now)
            else:
                await self.store.outbox.retry(alert.id, now, str(exc), maybe_sent=True)
                self.stats.retried += 1
        elif isinstance(exc, RetryLaterError):
            if exc.retry_after is not None:
                until = now + exc.retry_after
                if self._bot_wide(now, chat_id):
                    log.warning("flood control across chats: holding every chat for %.0fs", exc.retry_after)
                    self.limiter.hold_all(until)
                else:
                    self.limiter.hold(chat_id, until)
                self._requeue_first(alert)
            else:
                until = now + backoff(alert.attempts, self.rng)
                self.stats.failed_chats.add(chat_id)
            log.info("chat_id=%s outbox_id=%s: retry at +%.1fs (%s)", chat_id, alert.id, until - now, exc)
            await self.store.outbox.retry(alert.id, until, str(exc))
            self.stats.retried += 1
        else:
            await self.store.outbox.retry(alert.id, now + 30, str(exc))

    def _forget_chat(self, chat_id: int) -> None:
        self._known.difference_update(self._queues.pop(chat_id, ()))

    def _requeue_first(self, alert: Alert) -> None:
        """Keep the chat's order: the held alert goes out first when the hold ends."""
        queue = self._queues.setdefault(alert.chat_id, deque())
        if alert.id not in queue:
            queue.appendleft(alert.id)
            self._known.add(alert.id)

    def _bot_wide(self, now: float, chat_id: int) -> bool:
        self._recent_429.append((now, chat_id))
        while self._recent_429 and self._recent_429[0][0] < now - BOT_WIDE_WINDOW:
            self._recent_429.popleft()
        return len({c for _, c in self._recent_429}) >= BOT_WIDE_CHATS
