"""Delivery benchmark: one alert fanned out to N chats through the real Sender.

    python bench/delivery.py                 # 1,000 chats
    python bench/delivery.py --chats 10000

The path is the bot's own: outbox rows written by ``store.entries.record`` (SQLite) ->
``Sender`` (leases, rate limiter, render) -> ``TelegramTransport`` (python-telegram-bot over
HTTP) -> the fake Bot API, which answers instantly and runs in a *separate process* so the CPU
measured here is the bot's. Chats are 80% private, 20% supergroups.

Reported: messages/second against Telegram's ceiling of 30/s (the baseline: a sender that
uses every slot of a strict 30-per-second window), limit violations computed from the send
times the server recorded (must be 0), and the bot's CPU per message.
"""

from __future__ import annotations

import argparse
import asyncio
import multiprocessing
import os
import sys
import tempfile
import time
from multiprocessing.connection import Connection
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT))
os.environ.setdefault("PTB_TIMEDELTA", "1")

import telegram  # noqa: E402
from telegram.request import HTTPXRequest  # noqa: E402

from bot.delivery.sender import Sender  # noqa: E402
from bot.delivery.transport import TelegramTransport  # noqa: E402
from bot.models import Entry, FeedSpec, Match  # noqa: E402
from bot.store import Routing, Store  # noqa: E402

TOKEN = "123:BENCH"
CEILING = 30.0  # Telegram: about 30 messages per second overall
PRIVATE_RATE, PRIVATE_BURST = 1.0, 3
GROUP_PER_MINUTE, GROUP_BURST = 20, 3


# ---------------------------------------------------------------------------- the fake, elsewhere


def serve(conn: Connection) -> None:
    """Child process: run the fake Bot API; send its URL; on request, send the recorded sends."""
    from bot.devtools.fakebotapi import FakeBotAPI

    async def main() -> None:
        async with FakeBotAPI(token=TOKEN) as api:
            conn.send(api.url)
            await asyncio.get_running_loop().run_in_executor(None, conn.recv)
            conn.send([(int(m.chat_id), m.at) for m in api.sent])

    asyncio.run(main())


# ---------------------------------------------------------------------------- limits on send times


def most_in_window(times: list[float], window: float) -> int:
    ordered, best, start = sorted(times), 0, 0
    for end, t in enumerate(ordered):
        while ordered[start] <= t - window:
            start += 1
        best = max(best, end - start + 1)
    return best


def paced_violations(times: list[float], rate: float, burst: int) -> int:
    ordered, bad = sorted(times), 0
    for i in range(len(ordered)):
        for j in range(i + 1, len(ordered)):
            if j - i + 1 > burst + (ordered[j] - ordered[i]) * rate + 1e-6:
                bad += 1
    return bad


def violations(sends: list[tuple[int, float]]) -> dict[str, int]:
    times = sorted(t for _, t in sends)
    glob = sum(1 for i in range(len(times) - 30) if times[i + 30] - times[i] < 1.0)
    by_chat: dict[int, list[float]] = {}
    for chat, t in sends:
        by_chat.setdefault(chat, []).append(t)
    private = sum(
        paced_violations(v, PRIVATE_RATE, PRIVATE_BURST) for c, v in by_chat.items() if c > 0
    )
    group = sum(
        paced_violations(v, PRIVATE_RATE, GROUP_BURST)
        + (most_in_window(v, 60.0) > GROUP_PER_MINUTE)
        for c, v in by_chat.items()
        if c < 0
    )
    return {"global (>30 in a 1 s window)": glob, "private": private, "group": group}


# ---------------------------------------------------------------------------- the run


async def fan_out(store: Store, chats: int) -> int:
    now = time.time()
    await store.feeds.sync_from_rules([FeedSpec("f1", "http://feed.example/", name="Wire")], now)
    ids = [(-1_000_000_000_000 - n) if n % 5 == 4 else 10_000 + n for n in range(chats)]
    for chat_id in ids:
        await store.chats.ensure(chat_id, "private" if chat_id > 0 else "supergroup", None, now)
        await store.chats.subscribe(chat_id, "parade", None, now)
    story = Entry(
        feed_id="f1",
        key="k1",
        title="Putin and Kim join Xi at the Beijing parade",
        link="https://wire.example/parade",
        summary="Twenty-six heads of state attended.",
    )
    result = await store.entries.record(
        "f1",
        [story],
        now=now,
        alertable=lambda e: True,
        decide=lambda e: [Match("parade")],
        routing=Routing({"parade": "Beijing parade"}),
    )
    return result.alerts


async def run(chats: int) -> None:
    ctx = multiprocessing.get_context("spawn")
    parent, child = ctx.Pipe()
    server = ctx.Process(target=serve, args=(child,), daemon=True)
    server.start()
    url = parent.recv()
    with tempfile.TemporaryDirectory() as tmp:
        async with Store.open(f"sqlite:///{tmp}/bench.db") as store:
            rows = await fan_out(store, chats)
            request = HTTPXRequest(connection_pool_size=64)
            async with telegram.Bot(TOKEN, base_url=f"{url}/bot", request=request) as bot:
                sender = Sender(store, TelegramTransport(bot))
                stop = asyncio.Event()
                cpu0, start = time.process_time(), time.monotonic()
                task = asyncio.create_task(sender.run(stop))
                while sender.stats.sent < rows:  # noqa: ASYNC110 - a bench, polled at 10 Hz
                    await asyncio.sleep(0.1)
                cpu = time.process_time() - cpu0
                stop.set()
                await task
    parent.send("done")
    sends: list[tuple[int, float]] = parent.recv()
    server.join(timeout=10)
    last = max(t for _, t in sends)
    elapsed = last - start
    rate = len(sends) / elapsed
    ideal = len(sends) / max(1.0, -(-len(sends) // int(CEILING)) - 1)  # every slot used
    print(f"chats: {chats} ({rows} outbox rows), messages sent: {len(sends)}")
    print(f"elapsed (sender start -> last arrival): {elapsed:.2f} s")
    print(f"achieved: {rate:.2f} messages/s")
    print(
        f"baseline: Telegram ceiling {CEILING:.0f}/s "
        f"(a sender using every slot of a strict 30-per-1 s window: {ideal:.2f}/s)"
    )
    print(f"ratio achieved / ceiling: {rate / CEILING:.1%}")
    print(f"violations: {violations(sends)}")
    print(f"bot CPU: {cpu * 1000 / len(sends):.2f} ms per message ({cpu:.2f} s in total)")


def main() -> None:
    parser = argparse.ArgumentParser(
        description=__doc__, formatter_class=argparse.RawTextHelpFormatter
    )
    parser.add_argument("--chats", type=int, default=1000, help="subscribed chats (default 1000)")
    args = parser.parse_args()
    asyncio.run(run(args.chats))


if __name__ == "__main__":
    main()
