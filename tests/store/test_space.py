"""SQLite space comes back after pruning (issue 13, item 5): new databases are incremental,
older ones are converted once keeping every row, and freed pages go back a step at a time."""

from __future__ import annotations

import sqlite3
from datetime import UTC, datetime
from pathlib import Path

import sqlalchemy as sa

from bot.models import Entry, FeedSpec
from bot.store import Routing, Store
from bot.store.retention import Pruner
from bot.store.space import INCREMENTAL, convert_once, pages, release

DAY = 86400.0
T0 = 1_756_864_800.0


def auto_vacuum(path: Path) -> int:
    with sqlite3.connect(path) as conn:
        return int(conn.execute("PRAGMA auto_vacuum").fetchone()[0])


async def fill(store: Store, n: int, now: float) -> None:
    await store.feeds.sync_from_rules([FeedSpec("f1", "http://f1.example/")], T0)
    entries = [
        Entry(
            feed_id="f1",
            key=f"k{now}-{i}",
            title=f"Story {i}",
            link=f"https://f1.example/{now}/{i}",
            summary="words " * 300,
            published=datetime.fromtimestamp(now, UTC),
        )
        for i in range(n)
    ]
    for start in range(0, n, 200):
        await store.entries.record(
            "f1",
            entries[start : start + 200],
            now=now,
            alertable=lambda e: False,
            decide=lambda e: [],
            routing=Routing(),
        )


async def test_a_new_database_gives_pruned_pages_back(tmp_path: Path) -> None:
    path = tmp_path / "new.db"
    async with Store.open(f"sqlite:///{path}", seen_refresh=DAY / 4) as store:
        assert auto_vacuum(path) == INCREMENTAL
        await fill(store, 1000, T0)
        await fill(store, 10, T0 + DAY)  # the first thousand leave the feed
        full = await pages(store.db)
        assert full is not None and full.free == 0
        pruned = await Pruner(store.db, 3 * DAY, refresh=DAY / 4).prune(T0 + 4 * DAY)
        assert pruned.removed["entries"] == 1000
        freed = await pages(store.db)
        assert freed is not None and freed.free_share > 0.5
        released = await release(store.db, step=64)
        after = await pages(store.db)
        assert after is not None and after.free == 0 and released == freed.free
        assert after.total < full.total / 2
        assert await store.entries.count() == 10


async def test_an_older_database_is_converted_once_keeping_every_row(tmp_path: Path) -> None:
    path = tmp_path / "old.db"
    async with Store.open(f"sqlite:///{path}") as store:
        await fill(store, 300, T0)
    with sqlite3.connect(path, isolation_level=None) as conn:  # as before this release
        conn.execute("PRAGMA auto_vacuum=NONE")
        conn.execute("VACUUM")
    conn.close()
    assert auto_vacuum(path) == 0
    async with Store.open(f"sqlite:///{path}") as store:
        assert await release(store.db) == 0  # not incremental: nothing to give back yet
        assert await convert_once(store.db)
        assert not await convert_once(store.db)  # once
        assert await store.entries.count() == 300
        async with store.db.read() as conn2:
            titles = await conn2.execute(sa.text("SELECT count(DISTINCT title) FROM entries"))
            assert titles.scalar_one() == 300
    assert auto_vacuum(path) == INCREMENTAL


async def test_below_the_threshold_free_pages_stay_for_reuse(tmp_path: Path) -> None:
    async with Store.open(f"sqlite:///{tmp_path}/x.db", seen_refresh=DAY / 4) as store:
        await fill(store, 1000, T0)
        await fill(store, 20, T0 + DAY)
        await Pruner(store.db, 3 * DAY, refresh=DAY / 4).prune(T0 + 4 * DAY)
        assert await release(store.db, threshold=0.99) == 0
