"""Crash safety, for real: the bot runs as a subprocess (``python -m bot run``) against a local
feed server and the fake Bot API in this process; it is SIGKILLed mid-burst and restarted.

Every alert must reach every subscribed chat; the only repeats allowed are of sends that were in
flight at the kill (rows left ``sending``, leased to the dead process), each at most once more.
"""

from __future__ import annotations

import asyncio
import os
import signal
import subprocess
import sys
import time
from collections import Counter
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path

import pytest
import sqlalchemy as sa

from bot.store import Store
from bot.store.schema import outbox
from tests.e2e.harness import TOKEN, polls, rss, servers
from tests.waiting import wait_until

pytestmark = pytest.mark.slow  # two bot start-ups: about 15 s

ROOT = Path(__file__).resolve().parents[2]
CHATS = [1000 + n for n in range(20)]
BURST = 5  # entries: 20 chats x 5 = 100 alerts, about 3.5 s at 30 messages/s
# Five different pieces of news (one story each: templated titles would be one story).
HEADLINES = [
    "Burst pipe floods Leeds library basement",
    "Burst of solar flares disrupts radio links over Chile",
    "Dam burst fears force evacuation of Kerala village",
    "Tokyo shares see burst of buying after rate cut",
    "Water main burst closes Sydney motorway for hours",
]
RULES = """
feeds:
  - {{id: local, name: Local News, url: "{url}", interval: 1s}}
rules:
  - {{id: burst, title: Burst, query: 'burst'}}
"""


@contextmanager
def bot_process(env: dict[str, str], log: Path) -> Iterator[subprocess.Popen[bytes]]:
    with log.open("ab") as out:
        proc = subprocess.Popen(
            [sys.executable, "-m", "bot", "run"], cwd=ROOT, env=env, stdout=out, stderr=out
        )
    try:
        yield proc
    finally:
        if proc.poll() is None:
            proc.kill()
        proc.wait(timeout=10)


async def stop(proc: subprocess.Popen[bytes], sig: int) -> None:
    proc.send_signal(sig)
    await asyncio.to_thread(proc.wait, 30)  # off the loop: the fake API must keep answering


async def test_sigkill_mid_burst_loses_nothing_and_repeats_only_in_flight_sends(
    tmp_path: Path,
) -> None:
    db_url = f"sqlite:///{tmp_path}/newsbot.db"
    log = tmp_path / "bot.log"
    async with servers() as (feeds, api):
        feeds.body("/news", rss([("old", "Nothing to see", "calm")]), etag='"v1"')
        rules = tmp_path / "rules.yaml"
        rules.write_text(RULES.format(url=feeds.url("/news")))
        async with Store.open(db_url) as store:
            for chat in CHATS:
                await store.chats.ensure(chat, "private", None, time.time())
                await store.chats.subscribe(chat, "burst", None, time.time())
        env = os.environ | {
            "TELEGRAM_BOT_TOKEN": TOKEN,
            "TELEGRAM_API_URL": api.url,
            "NEWSBOT_DATABASE_URL": db_url,
            "NEWSBOT_RULES": str(rules),
            "NEWSBOT_SENDER_LEASE": "2",
            "NEWSBOT_FLOOD_THRESHOLD": "1000",  # one message per entry, no digests
            "PTB_TIMEDELTA": "1",
        }

        def burst_sent() -> list[tuple[str, str]]:
            return [
                (str(m.chat_id), m.plain_text.split("\n")[0])
                for m in api.sent
                if m.plain_text.split("\n")[0] in HEADLINES
            ]

        with bot_process(env, log) as first:
            await wait_until(lambda: polls(db_url, "local"), within=20, what="the first poll")
            items = [(f"b{i}", HEADLINES[i], "A burst of news.") for i in range(BURST)]
            feeds.body("/news", rss(items), etag='"v2"')
            await api.wait_for(lambda a: len(burst_sent()) >= 25, timeout=20)
            first.send_signal(signal.SIGKILL)
            await asyncio.to_thread(first.wait, 10)
        sent_at_kill = len(burst_sent())
        async with Store.open(db_url) as store:
            counts = await store.outbox.counts()
            async with store.engine.connect() as conn:
                in_flight = (
                    await conn.execute(
                        sa.select(sa.func.count()).where(outbox.c.state == "sending")
                    )
                ).scalar_one()
        assert sum(counts.values()) == len(CHATS) * BURST
        assert sent_at_kill < len(CHATS) * BURST, "killed too late: nothing was mid-burst"

        with bot_process(env, log) as second:
            wanted = {(str(c), HEADLINES[i]) for c in CHATS for i in range(BURST)}
            await api.wait_for(lambda a: wanted <= set(burst_sent()), timeout=30)
            async with Store.open(db_url) as store:
                await wait_until(
                    lambda: _all_sent(store, len(wanted)), within=10, what="every row sent"
                )
            await stop(second, signal.SIGTERM)
            assert second.returncode == 0, log.read_text()[-3000:]

    repeats = Counter(burst_sent())
    print(f"sent at kill {sent_at_kill}, in flight {in_flight}, repeats", end=" ")
    duplicates = sum(n - 1 for n in repeats.values())
    assert set(repeats) == wanted  # every alert reached every chat
    assert max(repeats.values()) <= 2  # never a third copy
    assert duplicates <= in_flight <= 32, (duplicates, in_flight)  # 32: the sender's max_in_flight
    print(duplicates)
    assert TOKEN.split(":")[1] not in log.read_text()


async def _all_sent(store: Store, count: int) -> bool:
    return await store.outbox.counts() == {"sent": count}
