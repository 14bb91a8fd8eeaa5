"""Telegram's send limits as a pure rate limiter: ``now`` is passed in, nothing sleeps here.

    lim = RateLimiter()
    wait = lim.delay(chat_id, now)     # 0.0: may send now; else seconds until it may
    lim.take(chat_id, now)             # record a send made at ``now`` (only when delay == 0)
    lim.hold(chat_id, until)           # after a 429 naming this chat
    lim.hold_all(until)                # after a bot-wide 429

Limits (Telegram's published ones) and exactly what is guaranteed when every
``take`` happens at a time where ``delay(...) == 0`` and ``now`` never goes back:

* **Global**: a strict sliding window.  Any half-open window ``[t, t + global_window)``
  holds at most ``global_rate`` sends (default: 30 in any 1 s), bursts included.
* **Private chats** (``chat_id > 0``): GCRA, the token bucket's exact twin, with
  ``private_rate`` per second and bursts of ``private_burst``.  Any closed window
  of length ``T`` holds at most ``private_burst + T * private_rate`` sends to the
  chat (default ``3 + T``), so the long-run average is 1/s.
* **Groups, supergroups, channels** (``chat_id < 0``): a strict sliding window of
  ``group_per_minute`` sends in any ``[t, t + group_window)`` (default 20 per 60 s),
  and, within it, the same 1/s pacing as a private chat with bursts of
  ``group_burst`` (default 3: a burst of three, then one a second, then the window).
* **Holds**: after ``hold(chat, until)`` (or ``hold_all(until)``), ``delay`` is
  ``until - now`` (or more) for every ``now < until``: no request is allowed early.
  Holds only ever extend.

``try_take`` combines both steps.  Memory is bounded by the chats active within
the last window: a chat whose state equals a fresh one is forgotten (swept in
amortised O(1) as chats accumulate, or on ``forget_idle``).
"""

from __future__ import annotations

from collections import deque
from collections.abc import Iterable
from dataclasses import dataclass, field

_MIN_SWEEP = 1024


@dataclass(slots=True)
class _ChatState:
    tat: float = float("-inf")  # GCRA theoretical arrival time
    recent: deque[float] = field(default_factory=deque)  # groups: send times in the window
    held_until: float = float("-inf")


class RateLimiter:
    """Per-chat and global send limits for the Telegram Bot API (see module docstring)."""

    def __init__(
        self,
        global_rate: int = 30,
        private_rate: float = 1.0,
        private_burst: int = 3,
        group_per_minute: int = 20,
        group_burst: int = 3,
        *,
        global_window: float = 1.0,
        group_window: float = 60.0,
    ) -> None:
        if min(global_rate, private_burst, group_per_minute, group_burst) < 1:
            raise ValueError("rates and bursts must be at least 1")
        if min(private_rate, global_window, group_window) <= 0:
            raise ValueError("rates and windows must be positive")
        self.global_rate = global_rate
        self.global_window = global_window
        self.private_burst = private_burst
        self.group_per_minute = group_per_minute
        self.group_window = group_window
        self.group_burst = group_burst
        self._interval = 1.0 / private_rate  # GCRA emission interval, every chat
        self._recent: deque[float] = deque(maxlen=global_rate)
        self._held_all = float("-inf")
        self._chats: dict[int, _ChatState] = {}
        self._sweep_at = _MIN_SWEEP

    # ------------------------------------------------------------------ queries

    def delay(self, chat_id: int, now: float) -> float:
        """Seconds from ``now`` until a message to ``chat_id`` may be sent (0.0: now)."""
        return max(self.global_delay(now), self.chat_delay(chat_id, now))

    def global_delay(self, now: float) -> float:
        """Seconds until the bot may send to any chat at all (global window and hold_all)."""
        wait = self._held_all - now
        if len(self._recent) >= self.global_rate:
            wait = max(wait, self._recent[0] + self.global_window - now)
        return max(0.0, wait)

    def chat_delay(self, chat_id: int, now: float) -> float:
        """Seconds until ``chat_id``'s own limits (ignoring the global one) allow a send."""
        state = self._chats.get(chat_id)
        if state is None:
            return 0.0
        wait = state.held_until - now
        wait = max(wait, state.tat - self._tolerance(chat_id) - now)
        if chat_id < 0 and len(state.recent) >= self.group_per_minute:
            wait = max(wait, state.recent[-self.group_per_minute] + self.group_window - now)
        return max(0.0, wait)

    def ready_chats(self, candidates: Iterable[int], now: float) -> list[int]:
        """The candidates sendable now, in the given order, no more than the global window allows.

        Taking every returned chat at ``now`` keeps every limit (each chat counted once).
        """
        room = self.global_rate - sum(1 for t in self._recent if t > now - self.global_window)
        if self._held_all > now or room <= 0:
            return []
        ready: list[int] = []
        seen: set[int] = set()
        for chat_id in candidates:
            if chat_id not in seen and self.chat_delay(chat_id, now) == 0.0:
                seen.add(chat_id)
                ready.append(chat_id)
                if len(ready) >= room:
                    break
        return ready

    # ------------------------------------------------------------------ updates

    def take(self, chat_id: int, now: float) -> None:
        """Record a send to ``chat_id`` at ``now``. Call it only when ``delay(...) == 0``."""
        state = self._chats.get(chat_id)
        if state is None:
            state = self._chats[chat_id] = _ChatState()
        state.tat = max(state.tat, now) + self._interval
        if chat_id < 0:
            state.recent.append(now)
            while len(state.recent) > self.group_per_minute:
                state.recent.popleft()
        self._recent.append(now)
        if len(self._chats) >= self._sweep_at:
            self.forget_idle(now)
            self._sweep_at = max(_MIN_SWEEP, 2 * len(self._chats))

    def try_take(self, chat_id: int, now: float) -> float:
        """``take`` if sendable now and return 0.0; else return the delay and record nothing."""
        wait = self.delay(chat_id, now)
        if wait == 0.0:
            self.take(chat_id, now)
        return wait

    def hold(self, chat_id: int, until: float) -> None:
        """Send nothing to ``chat_id`` before ``until`` (a 429's ``retry_after`` for this chat)."""
        state = self._chats.get(chat_id)
        if state is None:
            state = self._chats[chat_id] = _ChatState()
        state.held_until = max(state.held_until, until)

    def hold_all(self, until: float) -> None:
        """Send nothing to any chat before ``until`` (a bot-wide 429)."""
        self._held_all = max(self._held_all, until)

    def forget_idle(self, now: float) -> int:
        """Drop chats whose state is as good as new at ``now``; return how many were dropped."""
        idle = [chat_id for chat_id, state in self._chats.items() if self._is_idle(state, now)]
        for chat_id in idle:
            del self._chats[chat_id]
        return len(idle)

    def __len__(self) -> int:
        """Chats currently remembered (for tests and metrics)."""
        return len(self._chats)

    # ------------------------------------------------------------------ internals

    def _tolerance(self, chat_id: int) -> float:
        burst = self.private_burst if chat_id > 0 else self.group_burst
        return (burst - 1) * self._interval

    def _is_idle(self, state: _ChatState, now: float) -> bool:
        return (
            state.held_until <= now
            and state.tat <= now
            and (not state.recent or state.recent[-1] + self.group_window <= now)
        )
