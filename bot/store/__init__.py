"""State store behind SQLAlchemy Core: SQLite (default) or PostgreSQL, chosen by URL.

async with Store.open(url) as store:
    store.feeds     FeedStore     specs, HTTP cache state, health
    store.entries   EntryStore    dedup + outbox rows, in one transaction
    store.outbox    OutboxStore   delivery states and leases
    store.chats     ChatStore     chats, subscriptions, watches, settings
"""

from __future__ import annotations

from collections.abc import AsyncIterator
from contextlib import asynccontextmanager
from dataclasses import dataclass

from sqlalchemy.ext.asyncio import AsyncEngine

from bot.store.chats import ChatStore, Subscription, Watch
from bot.store.db import Database, async_url, migrate
from bot.store.entries import WATCH_PREFIX, EntryStore, Recorded, Routing
from bot.store.feeds import FeedStore, PollOutcome
from bot.store.outbox import Due, OutboxStore


@dataclass(frozen=True, slots=True)
class Store:
    engine: AsyncEngine
    feeds: FeedStore
    entries: EntryStore
    outbox: OutboxStore
    chats: ChatStore

    @classmethod
    @asynccontextmanager
    async def open(cls, url: str) -> AsyncIterator[Store]:
        db = Database(url)
        engine = db.engine
        try:
            await migrate(engine)
            yield cls(
                engine,
                FeedStore(db),
                EntryStore(db),
                OutboxStore(db),
                ChatStore(db),
            )
        finally:
            await db.dispose()


__all__ = [
    "WATCH_PREFIX",
    "ChatStore",
    "Due",
    "EntryStore",
    "FeedStore",
    "OutboxStore",
    "PollOutcome",
    "Recorded",
    "Routing",
    "Store",
    "Subscription",
    "Watch",
    "async_url",
]
