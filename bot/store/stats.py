"""How big the database is (``newsbot db stats``, the ``/status`` line): rows and bytes per
table, the size on disk, the oldest entry, and what the next prune will remove.

    {"entries": N, "tables": {"entries": {"rows": N, "bytes": B}, ...}, "size_bytes": B,
     "oldest_entry": ISO | null, "retention_seconds": S | null,
     "next_prune": {"story_alerts": N, "alert_keys": N, "outbox": N, "entries": N} | null}

Bytes per table (its indexes included): SQLite's ``dbstat`` virtual table when the library
has it (null otherwise); PostgreSQL's ``pg_total_relation_size``. ``size_bytes``: the SQLite
file plus its WAL; on PostgreSQL the sum of our tables.
"""

from __future__ import annotations

import os
from dataclasses import dataclass
from datetime import UTC, datetime
from typing import Any

import sqlalchemy as sa

from bot.store import schema
from bot.store.db import Database
from bot.store.retention import Pruner, refresh_for

E = schema.entries


@dataclass(frozen=True, slots=True)
class TableSize:
    rows: int
    bytes: int | None  # None: unknown (SQLite without dbstat)


@dataclass(frozen=True, slots=True)
class DbStats:
    entries: int
    tables: dict[str, TableSize]
    size_bytes: int
    oldest_entry: float | None  # epoch seconds: when the oldest kept entry was first seen
    retention: float | None = None
    next_prune: dict[str, int] | None = None  # None: retention off, or not counted

    def as_json(self) -> dict[str, Any]:
        return {
            "entries": self.entries,
            "tables": {n: {"rows": t.rows, "bytes": t.bytes} for n, t in self.tables.items()},
            "size_bytes": self.size_bytes,
            "oldest_entry": _iso(self.oldest_entry),
            "retention_seconds": self.retention,
            "next_prune": self.next_prune,
        }


def _iso(epoch: float | None) -> str | None:
    if epoch is None:
        return None
    return datetime.fromtimestamp(epoch, UTC).isoformat(timespec="seconds").replace("+00:00", "Z")


def _sqlite_files(db: Database) -> int:
    path = db.engine.url.database
    if not path or path == ":memory:":
        return 0
    return sum(os.path.getsize(p) for p in (path, f"{path}-wal") if os.path.exists(p))


async def _oldest(db: Database) -> float | None:
    # ids grow with time: the first row is the oldest (no index on seen_at needed)
    query = sa.select(E.c.seen_at).order_by(E.c.id).limit(1)
    async with db.read() as conn:
        return (await conn.execute(query)).scalar_one_or_none()


async def _rows(db: Database, names: list[str]) -> dict[str, int]:
    counts = {}
    async with db.read() as conn:
        for name in names:
            table = schema.metadata.tables[name]
            query = sa.select(sa.func.count()).select_from(table)
            counts[name] = int((await conn.execute(query)).scalar_one())
    return counts


async def _bytes(db: Database, names: list[str]) -> dict[str, int | None]:
    async with db.read() as conn:
        if db.dialect == "postgresql":
            found: dict[str, int | None] = {}
            size = sa.text("SELECT pg_total_relation_size(CAST(:name AS regclass))")
            for name in names:
                found[name] = int((await conn.execute(size, {"name": name})).scalar_one() or 0)
            return found
        try:
            rows = await conn.execute(
                sa.text(
                    "SELECT coalesce(m.tbl_name, s.name) AS tbl, sum(s.pgsize) AS size"
                    " FROM dbstat AS s LEFT JOIN sqlite_master AS m ON m.name = s.name"
                    " GROUP BY tbl"
                )
            )
        except sa.exc.OperationalError:  # this SQLite was built without dbstat
            return dict.fromkeys(names)
        sizes = {r.tbl: int(r.size) for r in rows}
    return {name: sizes.get(name, 0) for name in names}


async def collect(
    db: Database,
    *,
    retention: float | None = None,
    refresh: float | None = None,
    now: float,
    detail: bool = True,
) -> DbStats:
    """The database's figures; ``detail=False`` (the /status line) counts only the entries
    and skips bytes per table and the next prune's count."""
    names = [t.name for t in schema.metadata.sorted_tables] if detail else [E.name]
    rows = await _rows(db, names)
    sizes: dict[str, int | None] = await _bytes(db, names) if detail else dict.fromkeys(names, None)
    tables = {n: TableSize(rows[n], sizes[n]) for n in names}
    if db.dialect == "sqlite":
        size = _sqlite_files(db)
    elif detail:
        size = sum(t.bytes or 0 for t in tables.values())
    else:
        every = await _bytes(db, [t.name for t in schema.metadata.sorted_tables])
        size = sum(b or 0 for b in every.values())
    next_prune = None
    if detail and retention is not None:
        pruner = Pruner(
            db, retention, refresh=refresh_for(retention) if refresh is None else refresh
        )
        next_prune = await pruner.pending(now)
    return DbStats(rows[E.name], tables, size, await _oldest(db), retention, next_prune)


async def status_line(db: Database, retention: float | None, now: float) -> str:
    """The /status line (operators): cheap figures only (no dbstat, no prune count)."""
    return summary_line(await collect(db, retention=retention, now=now, detail=False))


def summary_line(stats: DbStats) -> str:
    """One line for /status: entries, size, oldest entry, retention."""
    oldest = _iso(stats.oldest_entry)
    since = f" since {oldest[:10]}" if oldest else ""
    kept = f"kept {_days(stats.retention)}" if stats.retention is not None else "kept forever"
    return f"Database: {stats.entries:,} entries{since}, {_megabytes(stats.size_bytes)}; {kept}"


def _megabytes(size: int) -> str:
    return f"{size / 1e6:.1f} MB" if size < 1e9 else f"{size / 1e9:.2f} GB"


def _days(seconds: float) -> str:
    days = seconds / 86400
    return f"{days:g} days" if days >= 1 else f"{seconds:g} s"
