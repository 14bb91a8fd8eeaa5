"""Telegram's send limits as a pure rate limiter: ``now`` is passed in, nothing sleeps here.

    lim = RateLimiter()
    wait = lim.delay(chat_id, now)     # 0.0: may send now; else seconds until it may
    lim.take(chat_id, now)             # record a send made at ``now`` (only when delay == 0)
    r = lim.refused(chat_id, now, retry_after)   # a 429: hold this chat, or every chat
    lim.answered(chat_id, now)         # Telegram answered (not 429): may end a bot-wide hold
    lim.unanswered(chat_id, now)       # no answer (timeout, network, 5xx): probe again

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
* **Holds**: after ``hold(chat, until)``, ``delay`` is ``until - now`` (or more) for every
  ``now < until``: no request is allowed early. Holds only ever extend.
* **429s** (``refused``): one chat's ``retry_after`` holds that chat only, for exactly that long
  (even a day). When ``bot_wide_chats`` chats are refused within ``bot_wide_window`` seconds (or
  the caller says the 429 is bot-wide, or a bot-wide hold is already on), every chat is held
  (``hold_all``) for ``retry_after`` but at most ``bot_wide_cap``; the per-chat holds of the
  429s that made it bot-wide are folded into it. When that hold ends, ONE request (the *probe*,
  the next ``take``) goes first and every other waits: if Telegram answers it with anything but
  a 429 (``answered``) the hold is over for everyone; a 429 (``refused``) holds every chat again,
  capped again; no answer (``unanswered``, or none within ``probe_timeout``) lets the next
  request probe.

``try_take`` combines both steps.  Memory is bounded by the chats active within
the last window: a chat whose state equals a fresh one is forgotten (swept in
amortised O(1) as chats accumulate, or on ``forget_idle``).
"""

from __future__ import annotations

from collections import deque
from collections.abc import Iterable
from dataclasses import dataclass, field
from typing import Literal

_MIN_SWEEP = 1024
BOT_WIDE_CAP = 300.0  # seconds: the longest every chat is held at once before a probe
BOT_WIDE_CHATS = 3  # 429s from this many chats within BOT_WIDE_WINDOW seconds: hold everything
BOT_WIDE_WINDOW = 1.0
PROBE_TIMEOUT = 120.0  # seconds a probe may go unanswered before another request probes


@dataclass(frozen=True, slots=True)
class FloodHold:
    """A bot-wide hold, from its first 429 until a probe is answered."""

    started: float  # when the 429 that began it arrived
    asked: float  # the longest retry_after Telegram asked for during it
    until: float  # when the next probe may go (capped)
    refusals: int  # 429s that began or extended it (a refused probe counts)


@dataclass(frozen=True, slots=True)
class Refusal:
    """What a 429 did: hold one chat, or every chat."""

    scope: Literal["chat", "all"]
    hold_until: float  # no request to the chat (or to any chat) before this
    retry_at: float  # when the refused alert should be due again (at most the cap ahead)
    started: FloodHold | None = None  # a bot-wide hold began: tell the admins
    folded: tuple[int, ...] = ()  # chats whose own holds became part of the bot-wide one


@dataclass(slots=True)
class _ChatState:
    tat: float = float("-inf")  # GCRA theoretical arrival time
    recent: deque[float] = field(default_factory=deque)  # groups: send times in the window
    held_until: float = float("-inf")


@dataclass(frozen=True, slots=True)
class _Refused:  # a recent 429, kept for bot_wide_window seconds
    at: float
    chat_id: int
    retry_after: float
    prior_hold: float | None  # the chat's hold before this 429 held it (None: not held alone)


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
        bot_wide_cap: float = BOT_WIDE_CAP,
        bot_wide_chats: int = BOT_WIDE_CHATS,
        bot_wide_window: float = BOT_WIDE_WINDOW,
        probe_timeout: float = PROBE_TIMEOUT,
    ) -> None:
        if min(global_rate, private_burst, group_per_minute, group_burst) < 1:
            raise ValueError("rates and bursts must be at least 1")
        if min(private_rate, global_window, group_window, bot_wide_cap, probe_timeout) <= 0:
            raise ValueError("rates, windows, the cap and the probe timeout must be positive")
        self.global_rate = global_rate
        self.global_window = global_window
        self.private_burst = private_burst
        self.group_per_minute = group_per_minute
        self.group_window = group_window
        self.group_burst = group_burst
        self._interval = 1.0 / private_rate  # GCRA emission interval, every chat
        self._recent: deque[float] = deque(maxlen=global_rate)
        self.bot_wide_cap = bot_wide_cap
        self.bot_wide_chats = bot_wide_chats
        self.bot_wide_window = bot_wide_window
        self.probe_timeout = probe_timeout
        self._held_all = float("-inf")
        self._flood: FloodHold | None = None  # a bot-wide hold is on (until a probe is answered)
        self._probe: tuple[int, float] | None = None  # (chat, sent at): the probe in flight
        self._refused: deque[_Refused] = deque()
        self._chats: dict[int, _ChatState] = {}
        self._sweep_at = _MIN_SWEEP

    # ------------------------------------------------------------------ queries

    def delay(self, chat_id: int, now: float) -> float:
        """Seconds from ``now`` until a message to ``chat_id`` may be sent (0.0: now)."""
        return max(self.global_delay(now), self.chat_delay(chat_id, now))

    def global_delay(self, now: float) -> float:
        """Seconds until the bot may send to any chat at all (global window, bot-wide hold)."""
        wait = self._held_all - now
        if self._probing(now):  # every request waits for the probe's answer
            assert self._probe is not None
            wait = max(wait, self._probe[1] + self.probe_timeout - now)
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
        if self.global_delay(now) > 0 or room <= 0:
            return []
        if self._flood is not None:
            room = 1  # the probe goes alone
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
        if self._flood is not None and now >= self._held_all and not self._probing(now):
            self._probe = (chat_id, now)  # this request is the probe: all others wait for it
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

    def hold_all(self, now: float, retry_after: float, refusals: int = 1) -> FloodHold:
        """Send nothing to any chat for ``retry_after`` seconds, capped at ``bot_wide_cap``;
        then one probe first. ``refusals``: how many 429s this is. Return the hold in force."""
        until = now + min(retry_after, self.bot_wide_cap)
        self._held_all = max(self._held_all, until)
        self._probe = None
        flood = self._flood
        self._flood = FloodHold(
            started=now if flood is None else flood.started,
            asked=retry_after if flood is None else max(flood.asked, retry_after),
            until=self._held_all,
            refusals=refusals if flood is None else flood.refusals + refusals,
        )
        return self._flood

    @property
    def flood(self) -> FloodHold | None:
        """The bot-wide hold in force (waiting or probing), if any."""
        return self._flood

    def refused(
        self, chat_id: int, now: float, retry_after: float, bot_wide: bool = False
    ) -> Refusal:
        """Telegram answered a request to ``chat_id`` with 429 ``retry_after``: hold what it
        names (see the module docstring). The refused alert is due again at ``retry_at``: never
        more than the cap ahead, so that a hold folded or lifted early strands nothing; a
        longer per-chat hold is kept here, and the chat waits for it."""
        while self._refused and self._refused[0].at < now - self.bot_wide_window:
            self._refused.popleft()
        chats = {r.chat_id for r in self._refused} | {chat_id}
        if bot_wide or self._flood is not None or len(chats) >= self.bot_wide_chats:
            started = self._flood is None
            # the 429s held per chat until now become part of this hold
            alone = [r for r in self._refused if r.prior_hold is not None]
            asked = max([retry_after, *(r.retry_after for r in alone)])
            flood = self.hold_all(now, asked, refusals=1 + len(alone))
            folded: list[int] = []
            for r in alone:
                state = self._chats.get(r.chat_id)
                if r.prior_hold is not None and state is not None and state.held_until > now:
                    state.held_until = r.prior_hold  # the bot-wide hold covers it now
                    folded.append(r.chat_id)
            self._refused = deque(
                _Refused(r.at, r.chat_id, r.retry_after, None) for r in self._refused
            )
            self._refused.append(_Refused(now, chat_id, retry_after, None))
            return Refusal(
                "all",
                hold_until=flood.until,
                retry_at=flood.until,
                started=flood if started else None,
                folded=tuple(folded),
            )
        state = self._chats.get(chat_id)
        prior = state.held_until if state is not None else float("-inf")
        self.hold(chat_id, now + retry_after)
        self._refused.append(_Refused(now, chat_id, retry_after, prior))
        return Refusal(
            "chat",
            hold_until=now + retry_after,
            retry_at=now + min(retry_after, self.bot_wide_cap),
        )

    def answered(self, chat_id: int, now: float) -> FloodHold | None:
        """Telegram answered a request to ``chat_id`` with anything but a 429. If that request
        was the probe, the bot-wide hold is over: return it (to tell the admins)."""
        if self._probe is None or self._probe[0] != chat_id:
            return None
        ended, self._flood, self._probe = self._flood, None, None
        self._refused.clear()  # the 429s of this hold count toward no later one
        return ended

    def unanswered(self, chat_id: int, now: float) -> None:
        """A request to ``chat_id`` got no answer that says anything about flood control
        (timeout, network error, 5xx, or it was never sent): if it was the probe, the next
        request probes."""
        if self._probe is not None and self._probe[0] == chat_id:
            self._probe = None

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

    def _probing(self, now: float) -> bool:
        """A probe is in flight and has not timed out."""
        return self._probe is not None and now < self._probe[1] + self.probe_timeout

    def _tolerance(self, chat_id: int) -> float:
        burst = self.private_burst if chat_id > 0 else self.group_burst
        return (burst - 1) * self._interval

    def _is_idle(self, state: _ChatState, now: float) -> bool:
        return (
            state.held_until <= now
            and state.tat <= now
            and (not state.recent or state.recent[-1] + self.group_window <= now)
        )
