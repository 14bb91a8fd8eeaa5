"""SQLite space after pruning: the pages a prune frees go back to the file system.

* A new database is created with ``auto_vacuum=INCREMENTAL`` (``bot.store.db`` sets it on the
  migration's connection, before the first table exists).
* A database created before is converted once, when ``newsbot run`` starts with retention on
  (:func:`convert_once`): ``PRAGMA auto_vacuum=INCREMENTAL`` then ``VACUUM``, which rewrites
  the whole file, holding the database for as long as that takes (about a second per 100 MB
  on an ordinary disk) and needing as much free disk as the file takes. It runs before any
  feed is polled, and is logged with the file's size before and after.
* After each prune, when free pages are more than ``THRESHOLD`` of the file,
  :func:`release` gives them back ``STEP`` pages at a time (``PRAGMA incremental_vacuum``),
  each step its own short write transaction with the event loop running in between, so
  polling and delivery never wait on more than one step. Free pages below the threshold stay
  for the next day's entries, which reuse them either way.

PostgreSQL's autovacuum makes the space of deleted rows reusable; nothing to do there.
"""

from __future__ import annotations

import asyncio
import logging
import sqlite3
import time
from dataclasses import dataclass
from pathlib import Path

import sqlalchemy as sa

from bot.store.db import Database

log = logging.getLogger(__name__)

THRESHOLD = 0.10  # free share of the file above which free pages are given back
STEP = 256  # pages per incremental_vacuum step (1 MiB at SQLite's 4 KiB pages)
INCREMENTAL = 2  # PRAGMA auto_vacuum's value for INCREMENTAL


@dataclass(frozen=True, slots=True)
class Pages:
    total: int
    free: int
    size: int  # bytes per page
    auto_vacuum: int

    @property
    def free_share(self) -> float:
        return self.free / self.total if self.total else 0.0


def _pages(conn: sa.Connection) -> Pages:
    def one(pragma: str) -> int:
        return int(conn.exec_driver_sql(f"PRAGMA {pragma}").scalar_one())

    return Pages(one("page_count"), one("freelist_count"), one("page_size"), one("auto_vacuum"))


async def pages(db: Database) -> Pages | None:
    """The SQLite file's page counts (None on PostgreSQL)."""
    if db.dialect != "sqlite":
        return None
    return await db.write(_pages)


def _vacuum_step(conn: sa.Connection, step: int) -> Pages:
    # the driver's execute() steps a statement once, which frees one page: executescript()
    # steps it to the end (no transaction is open: pysqlite begins one only before DML)
    raw = conn.connection.dbapi_connection
    assert raw is not None
    raw.executescript(f"PRAGMA incremental_vacuum({int(step)})")
    return _pages(conn)


async def release(
    db: Database, *, threshold: float = THRESHOLD, step: int = STEP, pause: float = 0.0
) -> int:
    """Give free pages back once they are more than ``threshold`` of the file, ``step`` pages
    per transaction; returns how many pages went back."""
    found = await pages(db)
    if found is None or found.auto_vacuum != INCREMENTAL or found.free_share <= threshold:
        return 0
    released = 0
    while found.free > 0:
        before = found.free
        found = await db.write(lambda conn: _vacuum_step(conn, step))
        if found.free >= before:
            break  # nothing moved (a reader holds old pages): next time
        released += before - found.free
        await asyncio.sleep(pause)
    log.info(
        "gave %d free pages (%.1f MB) back to the file system",
        released,
        released * found.size / 1e6,
    )
    return released


def _convert(path: str) -> tuple[int, int] | None:
    conn = sqlite3.connect(path, isolation_level=None, timeout=30.0)
    try:
        if int(conn.execute("PRAGMA auto_vacuum").fetchone()[0]) == INCREMENTAL:
            return None
        before = Path(path).stat().st_size
        conn.execute("PRAGMA auto_vacuum=INCREMENTAL")
        conn.execute("VACUUM")
        conn.execute("PRAGMA wal_checkpoint(TRUNCATE)")
        return before, Path(path).stat().st_size
    finally:
        conn.close()


async def convert_once(db: Database) -> bool:
    """Make an older SQLite database give pruned pages back (see the docstring); True if it
    was converted now."""
    path = db.engine.url.database
    if db.dialect != "sqlite" or not path or path == ":memory:":
        return False
    found = await pages(db)
    if found is None or found.auto_vacuum == INCREMENTAL:
        return False
    log.warning(
        "converting %s to incremental vacuum, once: VACUUM of %.0f MB holds the database until"
        " it ends (about a second per 100 MB)",
        path,
        found.total * found.size / 1e6,
    )
    started = time.monotonic()
    done = await asyncio.to_thread(_convert, path)
    if done is not None:
        log.info(
            "converted in %.1fs: %.0f MB -> %.0f MB",
            time.monotonic() - started,
            done[0] / 1e6,
            done[1] / 1e6,
        )
    return done is not None
