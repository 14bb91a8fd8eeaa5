"""An end-to-end harness: the real bot (``run_forever``) against a local feed server and the
local fake Bot API server, on a real store. Nothing inside the bot is mocked."""

from __future__ import annotations

import asyncio
import contextlib
import signal
from collections.abc import AsyncIterator, Sequence
from dataclasses import dataclass, field
from datetime import UTC, datetime
from email.utils import format_datetime
from pathlib import Path

from bot.app import run_forever
from bot.devtools.fakebotapi import FakeBotAPI
from bot.settings import Settings
from bot.store import Store
from tests.feed.server import FeedServer

TOKEN = "123456:TEST-token-never-logged"


def rss(items: Sequence[tuple[str, str, str]], title: str = "Local News") -> bytes:
    """An RSS document with (guid, title, description) items, newest first."""
    now = datetime.now(UTC)
    body = "".join(
        f"<item><guid>{guid}</guid><title>{t}</title><link>https://local.example/{guid}</link>"
        f"<description>{d}</description><pubDate>{format_datetime(now)}</pubDate></item>"
        for guid, t, d in items
    )
    return (
        f'<?xml version="1.0" encoding="UTF-8"?><rss version="2.0"><channel><title>{title}</title>'
        f"<link>https://local.example/</link>{body}</channel></rss>"
    ).encode()


@dataclass
class Bot:
    """One running bot process-equivalent (an asyncio task), stoppable like SIGTERM."""

    settings: Settings
    stop: asyncio.Event = field(default_factory=asyncio.Event)
    task: asyncio.Task[int] | None = None

    async def __aenter__(self) -> Bot:
        self.task = asyncio.create_task(run_forever(self.settings, stop=self.stop))
        return self

    async def __aexit__(self, *exc: object) -> None:
        self.stop.set()
        assert self.task is not None
        await asyncio.wait_for(self.task, timeout=30)


async def polls(db_url: str, feed_id: str) -> int:
    async with Store.open(db_url) as store:
        state = await store.feeds.get(feed_id)
        return state.polls if state else 0


@contextlib.asynccontextmanager
async def servers() -> AsyncIterator[tuple[FeedServer, FakeBotAPI]]:
    async with FeedServer() as feeds, FakeBotAPI(token=TOKEN) as api:
        yield feeds, api


def settings_for(api: FakeBotAPI, db_url: str, rules: Path, **kw: object) -> Settings:
    return Settings(
        token=TOKEN,
        api_url=api.url,
        rules_path=str(rules),
        database_url=db_url,
        **kw,  # type: ignore[arg-type]
    )


async def stop_processes(procs: Sequence[asyncio.subprocess.Process], grace: float = 30) -> None:
    """SIGTERM every process still running and wait for it (SIGKILL after ``grace`` s)."""
    for p in procs:
        if p.returncode is None:
            p.send_signal(signal.SIGTERM)
    for p in procs:
        try:
            await asyncio.wait_for(p.wait(), timeout=grace)
        except TimeoutError:
            p.kill()
            await p.wait()
