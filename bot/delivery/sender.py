"""The sender: drains the outbox into chats as fast as Telegram allows, and no faster.

    loop:
        release held digests whose time has come
        load due rows (at most a few per chat, so one chat's burst never starves the others)
        round-robin over chats: a chat may start when the rate limiter says it could send now,
            the global window has room, and it has nothing in flight (per-chat order is kept)
        start a task per chat:  claim (lease) -> hold? -> render
                                -> per message: wait for the rate limiter's turn, take it, send
                                -> mark sent | retry | dead | chat gone | migrated
        sleep until the next chat becomes sendable, a new alert arrives, or a row falls due

The rate limiter's slot is taken *immediately before* each HTTP request, after the database work
(claim, render), so the times Telegram sees follow the limiter's schedule; a slot taken before a
claim of variable latency would let two of the limiter's windows overlap on Telegram's clock.

Failures stay in their chat: a 429 holds back the chat it names for exactly ``retry_after``
(every chat, when several chats are told to wait at once: for at most the limiter's cap, then one
probe request goes first; the admins are told when such a hold begins and when it ends), 403
kills that chat's rows, 5xx and network errors back off with jitter, and one failed alert never
stops the others. A request Telegram never answered (read timeout or error after it was
written, or no answer within the lease) may or may not have arrived: the row is marked
``maybe_sent`` and retried with backoff, on the same rate limits, until Telegram answers. At least
once: a duplicate after a genuine timeout is acceptable, a loss is not.
"""

from __future__ import annotations

import asyncio
import contextlib
import logging
import random
import time
from collections import deque
from collections.abc import Awaitable, Callable, Coroutine, Iterable
from dataclasses import dataclass, field, replace
from datetime import UTC, datetime
from typing import Any, TypeVar

from bot.alert import render_alert
from bot.delivery.policy import backoff, hold_until, zone
from bot.delivery.ratelimit import FloodHold, RateLimiter
from bot.delivery.transport import Transport
from bot.errors import (
    EVERY_CHAT,
    ChatGoneError,
    ChatMigratedError,
    DeliveryError,
    MaybeSentError,
    MessageGoneError,
    RejectedError,
    RetryLaterError,
    StoreError,
    UnreachableError,
)
from bot.models import Alert, AlertKind, AlertState, ChatPrefs, Message
from bot.store import Store

log = logging.getLogger(__name__)

ARRIVAL_JITTER = 0.04  # seconds: how much later than its slot a request may reach Telegram
EDIT_WAIT = 5.0  # seconds an edit waits while the alert it rewrites is being sent
T = TypeVar("T")
INTERNAL_RETRY = 30.0  # seconds before an alert that failed for an unexpected reason is retried
NOTICE_GRACE = 5.0  # seconds an admin notice may delay the sender's stop
LEASE_MARGIN = 5.0  # seconds (at most a tenth of the lease) kept to write a send's outcome


@dataclass
class SenderStats:
    sent: int = 0  # alerts (outbox rows) marked sent
    messages: int = 0  # Telegram messages sent (a split digest is several)
    retried: int = 0
    maybe_sent: int = 0  # read timeouts: the message may have arrived
    dead: int = 0
    flood_holds: int = 0  # bot-wide holds begun (429s across chats)
    failed_chats: set[int] = field(default_factory=set)


def telegram_limits(jitter: float = ARRIVAL_JITTER) -> RateLimiter:
    """Telegram's limits as seen *by Telegram*: 30 messages in any 1 s, 1/s per chat (bursts of
    3), 20 in any minute per group or channel.

    The limiter counts the moments slots are taken; a request reaches Telegram a little later,
    and not always equally later. Every window (and the per-chat interval) is stretched by
    ``jitter`` so the limits also hold on arrival times: 30 per 1.04 s is 96% of the ceiling.
    """
    return RateLimiter(
        private_rate=1.0 / (1.0 + jitter),
        global_window=1.0 + jitter,
        group_window=60.0 + jitter,
    )


@dataclass(slots=True)
class _Outage:
    """The Bot API cannot be reached (or rejects the token): every chat waits, and one alert
    at a time probes, with backoff, until the Bot API answers anything at all."""

    since: float
    failures: int = 1
    next_probe: float = 0.0
    probe: int | None = None  # the outbox row probing now


class _GiveBack(Exception):  # control flow: never escapes the sender
    """The claimed row cannot be sent within its lease (or we are stopping): put it back."""


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
        retry_base: float = 2.0,
        retry_cap: float = 300.0,
        notify_admins: Callable[[str], Awaitable[None]] | None = None,
        idle_wait: float = 5.0,
    ) -> None:
        self.store = store
        self.transport = transport
        # not `limiter or ...`: a RateLimiter has __len__, and a fresh one is falsy
        self.limiter = limiter if limiter is not None else telegram_limits()
        self.lease = lease
        self.max_in_flight = max_in_flight
        self.clock = clock
        self.rng = rng if rng is not None else random.Random()
        self.retry_base = retry_base  # backoff after 5xx, network errors, timeouts: 2 s, 4 s, ...
        self.retry_cap = retry_cap
        self.probe_base = 1.0  # while the Bot API is unreachable: probe after 1 s, 2 s, ...
        self.probe_cap = 30.0  # ... at least every 30 s
        self._outage: _Outage | None = None
        # sent (Telegram answered) while the database could not record it: outbox id ->
        # (sent at, message id); written before anything else once the database answers
        self._unrecorded: dict[int, tuple[float, int | None]] = {}
        # told once when a bot-wide hold begins and once when it ends; None: a logged warning
        self.notify_admins = notify_admins
        self._notices: set[asyncio.Task[None]] = set()
        self.stats = SenderStats()
        self._wake = asyncio.Event()
        self._stop: asyncio.Event | None = None
        self._queues: dict[int, deque[int]] = {}
        self._busy: set[int] = set()  # chats with a task in flight
        self._untaken = 0  # tasks started that have not taken their rate slot yet
        self._tasks: set[asyncio.Task[None]] = set()
        self._prefs: dict[int, ChatPrefs | None] = {}
        self._known: set[int] = set()  # outbox ids queued or in flight
        self._next_refill = 0.0
        self._woken = False
        self.refill_every = 1.0
        # seconds between looks at an empty outbox; several instances (PostgreSQL): 1 s,
        # because alerts other instances record do not wake this sender
        self.idle_wait = idle_wait

    def seed(self, sends: Iterable[tuple[int, float]]) -> None:
        """Count sends another sender made (``(chat_id, time)``, any order) against the limits,
        so that taking over from it never exceeds them."""
        for chat_id, at in sorted(sends, key=lambda s: s[1]):
            self.limiter.take(chat_id, at)

    def seed_holds(
        self, holds: Iterable[tuple[int, float]], now: float, every_chat: float | None = None
    ) -> None:
        """Keep the 429 holds another sender had (``(chat_id, until)``, read from the rows it
        put back): each of those chats waits until then; and its bot-wide hold, if one was in
        force (``every_chat``: until when), holds every chat until then, then one probe."""
        for chat_id, until in holds:
            if until > now:
                self.limiter.hold(chat_id, until)
        if every_chat is not None and every_chat > now:
            self.limiter.hold_all(now, every_chat - now)

    def wake(self) -> None:
        """New alerts are in the outbox: look now."""
        self._woken = True
        self._wake.set()

    # ------------------------------------------------------------------ main loop

    async def run(self, stop: asyncio.Event) -> None:
        self._stop = stop
        try:
            while not stop.is_set():
                try:
                    wait = await self._step()
                except StoreError:  # the database's health logged it (once) and told the admins
                    wait = 2.0
                except Exception:  # a bug: keep the loop alive
                    log.exception("sender step failed; retrying")
                    wait = 2.0
                await self._sleep(wait, stop)
        finally:
            self._wake.set()  # tasks waiting for a rate slot see the stop and give their rows back
            await self._drain_tasks()
            # queued rows are not claimed: forget them (another instance may send them now;
            # a later run() reads the outbox afresh)
            self._queues.clear()
            self._known.clear()
            self._next_refill = 0.0
            self._wake.clear()

    async def drain(self, timeout: float = 60.0) -> bool:  # noqa: ASYNC109 - public API
        """Send everything that is due now (``newsbot run --once``). True if nothing is left."""
        deadline = time.monotonic() + timeout
        while time.monotonic() < deadline:
            wait = await self._step()
            if not self._queues and not self._tasks:
                await self.store.outbox.release_held(self.clock())
                if not await self.store.outbox.due(self.clock(), limit=1):
                    await self._drain_tasks()  # admin notices still going out
                    return True
                self._woken = True
            await self._sleep(min(wait, 0.5), None)
        await self._drain_tasks()
        return False

    async def _sleep(self, seconds: float, stop: asyncio.Event | None) -> None:
        if seconds <= 0 or self._wake.is_set():  # woken while stepping: step again now
            await asyncio.sleep(0)
            return
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
        self._wake.clear()  # here, not in _sleep: a wake-up during the step must not be lost
        while self._unrecorded:  # sends Telegram confirmed while the database was away
            outbox_id, (sent_at, message_id) = next(iter(self._unrecorded.items()))
            await self.store.outbox.mark_sent(outbox_id, sent_at, message_id)
            del self._unrecorded[outbox_id]
        now = self.clock()
        if not self._queues or now >= self._next_refill or self._woken:
            self._woken = False
            await self._refill(now)
            if not self._queues:
                next_at = await self.store.outbox.next_due_at()
                rest = self.idle_wait
                return rest if next_at is None else min(rest, max(0.05, next_at - now))
            now = self.clock()
        soonest = self._next_refill - now
        idle = [c for c in self._queues if c not in self._busy]  # busy chats: their task wakes us
        room = self.max_in_flight - len(self._tasks)
        if self.transport.rate_limited and idle:
            # no more chats than the global window has room for, counting tasks that have
            # started but not taken their slot yet; the others wait for their own limits
            ready = self.limiter.ready_chats(idle, now)
            room = min(room, len(ready) - self._untaken)
            if room <= 0 or not ready:
                soonest = min(soonest, *(self.limiter.delay(c, now) or soonest for c in idle))
            idle = ready
        outage = self._outage
        if outage is not None and idle:  # one probe at a time, when its backoff has passed
            if outage.probe is not None or now < outage.next_probe:
                wait = 1.0 if outage.probe is not None else outage.next_probe - now
                return max(0.001, min(soonest, wait))
            room = min(room, 1)
        for chat_id in idle[: max(0, room)]:
            queue = self._queues[chat_id]
            outbox_id = queue.popleft()
            if not queue:
                del self._queues[chat_id]
            self._busy.add(chat_id)
            self._untaken += 1
            if outage is not None:
                outage.probe = outbox_id
            task = asyncio.create_task(self._deliver(chat_id, outbox_id))
            self._tasks.add(task)
            task.add_done_callback(self._tasks.discard)
        return max(0.001, soonest)

    async def _drain_tasks(self) -> None:
        if self._tasks:
            await asyncio.gather(*self._tasks, return_exceptions=True)
        if self._notices:  # a notice still going out gets a moment, not the whole shutdown
            _, late = await asyncio.wait(set(self._notices), timeout=NOTICE_GRACE)
            for task in late:
                task.cancel()

    # ------------------------------------------------------------------ one alert

    async def _chat(self, chat_id: int) -> ChatPrefs | None:
        if chat_id not in self._prefs:
            self._prefs[chat_id] = await self.store.chats.get(chat_id)
        return self._prefs[chat_id]

    async def _deliver(self, chat_id: int, outbox_id: int) -> None:
        untaken = True
        alert: Alert | None = None
        try:
            claimed_at = self.clock()
            alert = await self.store.outbox.claim(outbox_id, claimed_at, self.lease)
            if alert is None:
                return
            prefs = await self._chat(chat_id)
            if prefs is not None and not prefs.active:
                self.stats.dead += await self.store.outbox.kill_chat(chat_id, "chat inactive")
                self._forget_chat(chat_id)
                return
            edit_of: int | None = None
            if alert.kind == AlertKind.EDIT:
                edit_of = await self._edit_target(alert)
                if edit_of is None:
                    return
            elif prefs is not None and alert.kind != AlertKind.DIGEST:
                until = hold_until(prefs, self.clock())
                if until is not None:
                    await self.store.outbox.hold(alert.id, until)
                    return
            messages = self._render(alert, prefs)
            message_id: int | None = None
            for index, message in enumerate(messages):
                if index < alert.parts_sent:
                    continue
                if self.transport.rate_limited:
                    await self._turn(chat_id, deadline=claimed_at + self.lease / 2)
                if untaken:
                    untaken = False
                    self._untaken -= 1
                try:
                    if edit_of is not None:  # an edit is a request like any other send
                        await self._request(
                            chat_id, self.transport.edit(chat_id, edit_of, message), claimed_at
                        )
                        message_id = edit_of
                    else:
                        message_id = await self._request(
                            chat_id, self.transport.send(chat_id, alert.thread_id, message),
                            claimed_at,
                        )  # fmt: skip
                except MessageGoneError as exc:  # deleted by the user, or too old: nothing
                    log.info("chat_id=%s: the alert to update is gone (%s)", chat_id, exc)
                    await self.store.outbox.dead(alert.id, str(exc))
                    return
                except DeliveryError as exc:
                    await self._failed(alert, exc)
                    return
                self.stats.messages += 1
                if len(messages) > 1:
                    await self.store.outbox.part_sent(alert.id, index + 1)
            try:
                await self.store.outbox.mark_sent(alert.id, self.clock(), message_id)
            except StoreError:  # sent, but not recorded yet: recorded first thing next step
                self._unrecorded[alert.id] = (self.clock(), message_id)
            self.stats.sent += 1
        except _GiveBack as exc:
            assert alert is not None
            self.limiter.unanswered(chat_id, self.clock())
            log.debug("chat_id=%s outbox_id=%s: %s; released", chat_id, outbox_id, exc)
            await self.store.outbox.retry(alert.id, self.clock(), str(exc))
            self._requeue_first(alert)
        except StoreError as exc:  # claimed or not, the row is due again after its lease at most
            self.limiter.unanswered(chat_id, self.clock())
            log.debug("chat_id=%s outbox_id=%s: database: %s", chat_id, outbox_id, exc)
        except Exception:
            self.limiter.unanswered(chat_id, self.clock())
            log.exception(
                "chat_id=%s outbox_id=%s: delivery failed unexpectedly", chat_id, outbox_id
            )
            with contextlib.suppress(Exception):
                await self.store.outbox.retry(
                    outbox_id, self.clock() + INTERNAL_RETRY, "internal error"
                )
        finally:
            if self._outage is not None and self._outage.probe == outbox_id:
                self._outage.probe = None  # it ended without an answer either way: probe again
            if untaken:
                self._untaken -= 1
            self._busy.discard(chat_id)
            if outbox_id not in self._queues.get(chat_id, ()):
                self._known.discard(outbox_id)
            self._wake.set()

    async def _edit_target(self, alert: Alert) -> int | None:
        """The message id an edit rewrites; None when there is nothing to do now (the row is
        settled here: the target is not sent yet and will show every report when it goes, or
        it is gone, or it is a digest; or it is being sent right now: the edit waits)."""
        target = alert.edit_of
        now = self.clock()
        if target is not None and target.state == AlertState.SENDING:
            await self.store.outbox.retry(alert.id, now + EDIT_WAIT, "the alert is being sent")
            return None
        if (
            target is None
            or not alert.items
            or target.kind != AlertKind.ALERT
            or target.state != AlertState.SENT
            or target.message_id is None
        ):
            await self.store.outbox.mark_sent(alert.id, now)  # nothing (more) to edit
            return None
        return target.message_id

    async def _request(self, chat_id: int, call: Coroutine[Any, Any, T], claimed_at: float) -> T:
        """One request, abandoned if it would outlive the lease (the row must be written back
        before another sender may claim it): then it may have arrived, like any unanswered one.

        python-telegram-bot's own timeouts normally end a silent request much sooner; this
        bound holds whatever they are (even none) and whatever the server does meanwhile.
        """
        remaining = claimed_at + self.lease - min(LEASE_MARGIN, self.lease / 10) - self.clock()
        if remaining <= 0:
            call.close()
            raise _GiveBack("no time left in the lease")
        try:
            async with asyncio.timeout(remaining):
                message_id = await call
        except TimeoutError as exc:
            raise MaybeSentError(f"no answer within the lease ({remaining:.1f}s)") from exc
        self._reachable()
        self._answered(chat_id)
        return message_id

    def _reachable(self) -> None:
        """The Bot API answered: an outage is over, every chat may send again."""
        outage, self._outage = self._outage, None
        if outage is not None:
            log.info(
                "Bot API reachable again after %s: sending the alerts that waited",
                _span(self.clock() - outage.since),
            )
            self.wake()

    async def _unreachable(self, alert: Alert, exc: UnreachableError) -> None:
        """Nothing was sent: the alert waits, first in its chat, and so does every chat until
        a probe gets an answer (no per-alert backoff: all go out once the Bot API is back)."""
        now = self.clock()
        outage = self._outage
        if outage is None:
            outage = self._outage = _Outage(since=now)
            log.warning(
                "Bot API unreachable (%s): every chat waits; one alert probes at most every %s",
                exc,
                _span(self.probe_cap),
            )
        elif outage.probe == alert.id:
            outage.failures += 1
        if outage.probe == alert.id or outage.probe is None:
            outage.probe = None
            delay = backoff(outage.failures, self.rng, self.probe_base, self.probe_cap)
            outage.next_probe = max(outage.next_probe, now + delay)
        self._requeue_first(alert)
        await self.store.outbox.retry(alert.id, now, str(exc))

    def _answered(self, chat_id: int) -> None:
        """Telegram answered (not 429): if that was the probe, a bot-wide hold is over."""
        ended = self.limiter.answered(chat_id, self.clock())
        if ended is not None:
            took = self.clock() - ended.started
            self._notify(
                f"Telegram flood control is over: sending to every chat again after "
                f"{_span(took)} (Telegram had asked for {_span(ended.asked)}; "
                f"requests refused with 429: {ended.refusals})."
            )

    def _flood_began(self, flood: FloodHold) -> None:
        self.stats.flood_holds += 1
        held = flood.until - flood.started
        capped = f", capped at {_span(held)}" if held < flood.asked else ""
        self._notify(
            f"Telegram flood control: several chats were refused at once (429, retry after "
            f"{_span(flood.asked)}). Every chat is held for {_span(held)}{capped}; then one "
            f"message goes first, and the others follow once Telegram accepts it."
        )

    def _notify(self, text: str) -> None:
        """Tell the admins without holding up any send (their notice is a request too)."""
        log.warning("admin notice: %s", text)
        if self.notify_admins is None:
            return
        task = asyncio.create_task(self._notice(self.notify_admins, text))
        self._notices.add(task)
        task.add_done_callback(self._notices.discard)

    @staticmethod
    async def _notice(notify: Callable[[str], Awaitable[None]], text: str) -> None:
        try:
            await notify(text)
        except Exception:
            log.exception("could not notify the admins")

    def _render(self, alert: Alert, prefs: ChatPrefs | None) -> list[Message]:
        tz = zone(prefs.timezone) if prefs else None
        preview = prefs.link_preview if prefs else False
        now = datetime.fromtimestamp(self.clock(), UTC)
        if prefs is not None and not prefs.stories:  # one alert per report: no outlet list
            alert = replace(alert, items=tuple(replace(i, also=()) for i in alert.items))
        messages = render_alert(alert, now, tz=tz, link_preview=preview)
        return messages[:1] if alert.kind == AlertKind.EDIT else messages

    async def _turn(self, chat_id: int, deadline: float) -> None:
        """Wait until the rate limiter lets this chat send, then take the slot (no await between).

        Every message of a split digest waits its turn like any other message. A row that would
        wait past half its lease is given back instead, so no other sender can claim it while
        this one still means to send it.
        """
        while True:
            now = self.clock()
            wait = self.limiter.delay(chat_id, now)
            if wait <= 0:
                self.limiter.take(chat_id, now)
                return
            if self._stop is not None and self._stop.is_set():
                raise _GiveBack("sender stopping")
            if now + wait > deadline:
                raise _GiveBack(f"rate limited for {wait:.1f}s, longer than the lease allows")
            await self._sleep_turn(wait)

    async def _sleep_turn(self, seconds: float) -> None:
        if self._stop is None:
            await asyncio.sleep(seconds)
            return
        with contextlib.suppress(TimeoutError):
            async with asyncio.timeout(seconds):
                await self._stop.wait()

    async def _failed(self, alert: Alert, exc: DeliveryError) -> None:
        now = self.clock()
        chat_id = alert.chat_id
        if isinstance(exc, UnreachableError):
            self.limiter.unanswered(chat_id, now)
            await self._unreachable(alert, exc)
            return
        if not isinstance(exc, MaybeSentError):
            self._reachable()  # Telegram answered something
        if not isinstance(exc, RetryLaterError):
            self._answered(chat_id)  # 403, 400, migrated: Telegram answered
        elif exc.retry_after is None:
            self.limiter.unanswered(chat_id, now)  # 5xx, network, no answer
        if isinstance(exc, ChatGoneError):
            log.info("chat_id=%s is gone (%s); stopping its alerts", chat_id, exc)
            await self.store.chats.deactivate(chat_id)
            self.stats.dead += await self.store.outbox.kill_chat(chat_id, str(exc))
            self._forget_chat(chat_id)
        elif isinstance(exc, ChatMigratedError):
            log.info(
                "chat_id=%s migrated to %s; moving its subscriptions", chat_id, exc.new_chat_id
            )
            await self.store.chats.migrate(chat_id, exc.new_chat_id, now)  # rows move, pending
            self._forget_chat(chat_id)
            self._woken = True
        elif isinstance(exc, RejectedError):
            log.error(
                "chat_id=%s outbox_id=%s: Telegram refused the alert: %s", chat_id, alert.id, exc
            )
            await self.store.outbox.dead(alert.id, str(exc))
            self.stats.dead += 1
        elif isinstance(exc, RetryLaterError) and exc.retry_after is not None:  # 429
            refusal = self.limiter.refused(chat_id, now, exc.retry_after, exc.bot_wide)
            if refusal.started is not None:
                self._flood_began(refusal.started)
            log.info(
                "chat_id=%s outbox_id=%s: %s; %s held for %.1fs",
                chat_id,
                alert.id,
                exc,
                "this chat" if refusal.scope == "chat" else "every chat",
                refusal.hold_until - now,
            )
            self._requeue_first(alert)  # first in its chat's queue; a longer hold waits here
            # the row says which hold it is under, so that a new sender keeps that hold
            error = f"{exc}{EVERY_CHAT}" if refusal.scope == "all" else str(exc)
            await self.store.outbox.retry(alert.id, refusal.retry_at, error)
            self.stats.retried += 1
        elif isinstance(exc, RetryLaterError):
            # 5xx, network errors, and no answer at all (MaybeSentError: it may have arrived,
            # so the retry may be a duplicate; without one, it may be a loss)
            until = now + backoff(alert.attempts, self.rng, self.retry_base, self.retry_cap)
            self.stats.failed_chats.add(chat_id)
            maybe = isinstance(exc, MaybeSentError)
            if maybe:
                self.stats.maybe_sent += 1
            log.log(
                logging.WARNING if maybe else logging.INFO,
                "chat_id=%s outbox_id=%s: retry at +%.1fs (%s)",
                chat_id,
                alert.id,
                until - now,
                exc,
            )
            await self.store.outbox.retry(alert.id, until, str(exc), maybe_sent=maybe or None)
            self.stats.retried += 1
        else:
            await self.store.outbox.retry(alert.id, now + INTERNAL_RETRY, str(exc))

    def _forget_chat(self, chat_id: int) -> None:
        self._known.difference_update(self._queues.pop(chat_id, ()))
        self._prefs.pop(chat_id, None)

    def _requeue_first(self, alert: Alert) -> None:
        """Keep the chat's order: the alert goes out first when the chat may send again."""
        queue = self._queues.setdefault(alert.chat_id, deque())
        if alert.id not in queue:
            queue.appendleft(alert.id)
            self._known.add(alert.id)


def _span(seconds: float) -> str:
    """86400 -> '86400 s (24 h)'; 300 -> '300 s (5 min)'; 1.5 -> '1.5 s'."""
    text = f"{seconds:.0f} s" if seconds >= 10 else f"{seconds:.1f} s"
    if seconds >= 3600:
        return f"{text} ({seconds / 3600:.3g} h)"
    if seconds >= 60:
        return f"{text} ({seconds / 60:.3g} min)"
    return text
