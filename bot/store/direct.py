"""One asyncpg connection kept open for a hot path's statements (PostgreSQL only).

Feed claims and lease releases run many times a second on a busy instance. Through the
engine each one paid a pool checkout with ``pool_pre_ping`` (a round-trip of its own), the
``run_sync`` bridge, SQLAlchemy's statement and result handling, and BEGIN/COMMIT. A
``DirectConnection`` runs them as plain asyncpg calls on one connection it keeps: no pool,
no ping, each statement prepared once by asyncpg's statement cache.

Without the ping, a kept connection the server has dropped (a restart, an idle timeout) shows
itself when it is used: the call is then run once more on a new connection, as the ping
would have arranged (so is any failure on a kept connection but the server refusing the
statement itself). Both hot paths are safe to run twice (a claim whose answer was lost
leaves leases that run out; a release whose commit was lost finds no lease of its owner
left and writes nothing). Any other failure to reach or use the database becomes a
``StoreError`` and updates ``Database.health`` (``Database.failed``), as every other
database call does; the connection is then dropped and the next call opens a new one.

Calls on one ``DirectConnection`` run one at a time (an asyncpg connection runs one
operation at once); a caller with independent work uses a second one.
"""

from __future__ import annotations

import asyncio
from collections.abc import Awaitable, Callable
from typing import TYPE_CHECKING, Any, TypeVar

import asyncpg

from bot.errors import StoreError

if TYPE_CHECKING:
    from bot.store.db import Database

T = TypeVar("T")


def _statement_error(exc: Exception, db: Database) -> bool:
    """Whether the server refused the statement itself (a bug, a constraint): not something
    a new connection would change. Anything else on a kept connection (it was closed, reset,
    or its protocol state is off after the server ended the session) is worth one retry."""
    return isinstance(exc, asyncpg.PostgresError) and not isinstance(
        db.failed(exc, report=False), StoreError
    )


class DirectConnection:
    def __init__(self, db: Database) -> None:
        self.db = db
        self._conn: Any = None  # asyncpg.Connection once opened
        self._lock = asyncio.Lock()

    async def run(self, fn: Callable[[Any], Awaitable[T]]) -> T:
        """``await fn(conn)`` on the kept asyncpg connection (opened on first use)."""
        async with self._lock:
            reused = self._conn is not None and not self._conn.is_closed()
            try:
                try:
                    result = await fn(await self._connection())
                except Exception as exc:
                    if not reused or _statement_error(exc, self.db):
                        raise
                    await self._drop()  # the kept connection had gone stale: once more
                    result = await fn(await self._connection())
            except Exception as exc:
                error = self.db.failed(exc)
                if isinstance(error, StoreError):
                    await self._drop()
                if error is exc:
                    raise
                raise error from exc
        self.db.succeeded()
        return result

    async def _connection(self) -> Any:
        if self._conn is None or self._conn.is_closed():
            self._conn = None
            self._conn = await self.db.connect_driver()
        return self._conn

    async def _drop(self) -> None:
        conn, self._conn = self._conn, None
        if conn is not None:
            conn.terminate()  # no goodbye over a connection that failed

    async def close(self) -> None:
        async with self._lock:
            conn, self._conn = self._conn, None
            if conn is not None and not conn.is_closed():
                try:
                    await asyncio.wait_for(conn.close(), 5.0)
                except Exception:
                    conn.terminate()
