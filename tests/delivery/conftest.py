"""Delivery tests: the real Sender and TelegramTransport over HTTP to the fake Bot API, on a
real store. Outbox rows are written the way the pipeline writes them: ``store.entries.record``."""

from __future__ import annotations

import asyncio
import time
from collections.abc import AsyncIterator, Callable, Mapping, Sequence
from contextlib import asynccontextmanager
from dataclasses import dataclass
from datetime import UTC, datetime
from typing import Any

import pytest
import telegram
from telegram.request import HTTPXRequest

from bot.delivery.ratelimit import RateLimiter
from bot.delivery.sender import ARRIVAL_JITTER, Sender
from bot.delivery.transport import TelegramTransport
from bot.devtools.fakebotapi import FakeBotAPI
from bot.models import Entry, FeedSpec, Match, Span
from bot.store import Routing, Store
from tests.waiting import wait_until

TOKEN = "123:ABC"


@pytest.fixture(autouse=True)
def _ptb_timedelta(monkeypatch: pytest.MonkeyPatch) -> None:
    # PTB 22.2+ warns (an error under filterwarnings=error) when it builds RetryAfter
    monkeypatch.setenv("PTB_TIMEDELTA", "1")


@pytest.fixture
async def api() -> AsyncIterator[FakeBotAPI]:
    async with FakeBotAPI(token=TOKEN) as server:
        yield server


@asynccontextmanager
async def real_bot(api: FakeBotAPI, **request: Any) -> AsyncIterator[telegram.Bot]:
    """python-telegram-bot's Bot over HTTP to the fake; ``request`` tunes its HTTPXRequest."""
    bot = telegram.Bot(TOKEN, base_url=f"{api.url}/bot", request=HTTPXRequest(**request))
    async with bot:
        yield bot


@asynccontextmanager
async def running(
    store: Store, api: FakeBotAPI, *, request: Mapping[str, Any] | None = None, **kw: Any
) -> AsyncIterator[Sender]:
    """A Sender running (``run(stop)``) until the block ends."""
    async with real_bot(api, **(request or {})) as bot:
        sender = Sender(store, TelegramTransport(bot), **kw)
        stop = asyncio.Event()
        task = asyncio.create_task(sender.run(stop))
        try:
            yield sender
        finally:
            stop.set()
            await asyncio.wait_for(task, timeout=10)


def entry(key: str, title: str | None = None, link: str | None = None, summary: str = "") -> Entry:
    return Entry(
        feed_id="f1",
        key=key,
        title=title or f"Story {key}",
        link=link if link is not None else f"https://news.example/{key}",
        summary=summary,
        published=datetime.now(UTC),
    )


async def seed(
    store: Store,
    per_chat: Mapping[int, int | Sequence[Entry]],
    *,
    flood_threshold: int = 10**6,
    now: float | None = None,
    ensure: bool = True,
) -> int:
    """Subscribe each chat to its own rule and record entries for it; return outbox rows written.

    ``per_chat`` maps a chat id to a number of entries or to the entries themselves.
    """
    now = time.time() if now is None else now
    await store.feeds.sync_from_rules([FeedSpec("f1", "http://feed.example/", name="Feed")], now)
    entries: list[Entry] = []
    owner: dict[str, int] = {}
    for chat_id, items in per_chat.items():
        kind = "private" if chat_id > 0 else "supergroup"
        if ensure:  # ensure() reactivates a chat that had gone
            await store.chats.ensure(chat_id, kind, None, now)
        await store.chats.subscribe(chat_id, f"r{chat_id}", None, now)
        made = [entry(f"c{chat_id}-{i}") for i in range(items)] if isinstance(items, int) else items
        for e in made:
            owner[e.key] = chat_id
        entries.extend(made)

    def decide(e: Entry) -> list[Match]:
        return [Match(f"r{owner[e.key]}", (Span("title", 0, 1),))]

    result = await store.entries.record(
        "f1",
        entries,
        now=now,
        alertable=lambda e: True,
        decide=decide,
        routing=Routing({f"r{c}": f"Rule {c}" for c in per_chat}, flood_threshold=flood_threshold),
    )
    return result.alerts


async def until(check: Callable[[], Any], timeout: float = 5.0, what: str = "") -> None:  # noqa: ASYNC109
    """Wait for a sync or async condition, re-checked every 20 ms, failing after ``timeout``."""
    await wait_until(check, within=timeout, what=what)


# ---------------------------------------------------------------------- limit checks on send times


def most_in_window(times: Sequence[float], window: float) -> int:
    """The most sends in any half-open window ``[t, t + window)``."""
    ordered = sorted(times)
    best, start = 0, 0
    for end, t in enumerate(ordered):
        while ordered[start] <= t - window:
            start += 1
        best = max(best, end - start + 1)
    return best


def paced_violations(times: Sequence[float], rate: float, burst: int) -> int:
    """Pairs of sends to one chat closer than ``burst + T * rate`` allows over their gap T."""
    ordered = sorted(times)
    bad = 0
    for i in range(len(ordered)):
        for j in range(i + 1, len(ordered)):
            if j - i + 1 > burst + (ordered[j] - ordered[i]) * rate + 1e-6:
                bad += 1
    return bad


@dataclass(frozen=True)
class Limits:
    """A rate limiter's configuration, to build it and to check recorded sends against it."""

    global_rate: int = 30
    global_window: float = 1.0
    private_rate: float = 1.0
    private_burst: int = 3
    group_per_minute: int = 20
    group_window: float = 60.0
    group_burst: int = 3

    def limiter(self, jitter: float = ARRIVAL_JITTER, **kw: Any) -> RateLimiter:
        """A limiter for these limits, stretched by ``jitter`` as the sender's default is;
        ``kw`` sets the rest (``bot_wide_cap``, ``probe_timeout``, ...)."""
        return RateLimiter(
            **kw,
            global_rate=self.global_rate,
            global_window=self.global_window + jitter,
            private_rate=1.0 / (1.0 / self.private_rate + jitter),
            private_burst=self.private_burst,
            group_per_minute=self.group_per_minute,
            group_window=self.group_window + jitter,
            group_burst=self.group_burst,
        )

    def violations(self, sends: Sequence[tuple[int | str, float]]) -> dict[str, int]:
        """Limit violations in recorded (chat, time) sends."""
        out = {"global": 0, "private": 0, "group": 0}
        if most_in_window([t for _, t in sends], self.global_window) > self.global_rate:
            out["global"] += 1
        by_chat: dict[int, list[float]] = {}
        for chat, t in sends:
            by_chat.setdefault(int(chat), []).append(t)
        for chat, times in by_chat.items():
            if chat > 0:
                out["private"] += paced_violations(times, self.private_rate, self.private_burst)
            else:
                out["group"] += paced_violations(times, self.private_rate, self.group_burst)
                if most_in_window(times, self.group_window) > self.group_per_minute:
                    out["group"] += 1
        return out
