"""State store behind SQLAlchemy Core: SQLite (default) or PostgreSQL, chosen by URL.

async with Store.open(url) as store:
    store.feeds     FeedStore     specs, HTTP cache state, health
    store.entries   EntryStore    dedup + outbox rows, in one transaction
    store.outbox    OutboxStore   delivery states and leases
    store.chats     ChatStore     chats, subscriptions, watches, settings
    store.instances InstanceStore the running instances (several on PostgreSQL)
"""

from __future__ import annotations

from collections.abc import AsyncIterator, Callable
from contextlib import asynccontextmanager
from dataclasses import dataclass

from sqlalchemy.ext.asyncio import AsyncEngine

from bot.store.chats import ChatStore, Subscription, Watch
from bot.store.db import CONNECT_TIMEOUT, Database, Health, async_url, migrate
from bot.store.entries import SEEN_REFRESH, WATCH_PREFIX, EntryStore, Recorded, Routing
from bot.store.feeds import FeedStore, PollOutcome
from bot.store.instances import InstanceStore
from bot.store.outbox import Due, OutboxStore


@dataclass(frozen=True, slots=True)
class Store:
    engine: AsyncEngine
    db: Database
    feeds: FeedStore
    entries: EntryStore
    outbox: OutboxStore
    chats: ChatStore
    instances: InstanceStore

    @classmethod
    @asynccontextmanager
    async def open(
        cls,
        url: str,
        *,
        connect_timeout: float = CONNECT_TIMEOUT,
        on_health: Callable[[Health], None] | None = None,
        upgrade: bool = True,
        seen_refresh: float = SEEN_REFRESH,
    ) -> AsyncIterator[Store]:
        """Open the store, creating or upgrading the schema first; ``upgrade=False``
        (NEWSBOT_AUTO_UPGRADE=0) refuses an out-of-date database with a StoreError instead.
        ``seen_refresh``: see ``bot.store.retention.refresh_for``."""
        db = Database(url, connect_timeout=connect_timeout, on_health=on_health)
        engine = db.engine
        try:
            await migrate(engine, upgrade=upgrade)
            yield cls(
                engine,
                db,
                FeedStore(db),
                EntryStore(db, seen_refresh),
                OutboxStore(db),
                ChatStore(db),
                InstanceStore(db),
            )
        finally:
            await db.dispose()

    @property
    def health(self) -> Health:
        return self.db.health

    async def ping(self) -> bool:
        """Whether the database answers now (updates ``health``)."""
        return await self.db.ping()

    async def recreate_schema(self) -> None:
        """The tables are gone (the database was dropped and created again): create them."""
        await migrate(self.engine)
        await self.db.ping()


__all__ = [
    "WATCH_PREFIX",
    "ChatStore",
    "Due",
    "EntryStore",
    "FeedStore",
    "Health",
    "OutboxStore",
    "PollOutcome",
    "Recorded",
    "Routing",
    "Store",
    "Subscription",
    "Watch",
    "async_url",
]
