"""Roles that exactly one instance may hold at a time (sender, updates), on PostgreSQL.

Several ``newsbot run`` processes may share one PostgreSQL database.  Sending alerts (so
that Telegram's limits, kept in the sender's memory, hold for all instances together) and
consuming ``getUpdates`` (Telegram answers a second consumer with 409 Conflict) are each
done by one instance: the one holding the role's **session advisory lock**
(``pg_try_advisory_lock``) on a connection kept for it.

* An instance that does not hold a role tries to take it every ``TRY_EVERY`` seconds.
* The holder checks its connection every ``TRY_EVERY`` seconds and stops the role's work
  when the check fails: the database may have ended the session, and then another instance
  may already hold the lock.
* When the holder dies (``kill -9``, a crash, a lost host), its connection closes, the
  server drops the lock, and another instance takes the role within ``TRY_EVERY`` seconds
  (a lost host: once the server notices the dead connection, by TCP keepalive).
* Between a holder losing its session and noticing it (at most ``TRY_EVERY`` seconds), two
  instances may both act: for the sender that can repeat a send that was in flight (at least
  once, as after any crash); for updates, one 409 that the update loop retries.

On SQLite there is only one instance (``bot.store.single``): every role is held at once.
"""

from __future__ import annotations

import asyncio
import contextlib
import logging
import zlib
from collections.abc import Callable, Coroutine
from typing import Any

import sqlalchemy as sa
from sqlalchemy.ext.asyncio import AsyncConnection

from .db import Database

log = logging.getLogger(__name__)

TRY_EVERY = 2.0  # seconds between attempts to take a role, and between checks of a held one
_NAMESPACE = int.from_bytes(b"nb", "big") << 32  # keeps our keys apart from the schema lock


def role_key(name: str) -> int:
    """The advisory lock key of a role (a signed 64-bit integer)."""
    return _NAMESPACE | zlib.crc32(name.encode())


class Roles:
    """Which roles this instance holds now (for ``/status`` and logs)."""

    def __init__(self) -> None:
        self.held: set[str] = set()

    async def run(
        self,
        db: Database,
        name: str,
        body: Callable[[asyncio.Event], Coroutine[Any, Any, None]],
        stop: asyncio.Event,
    ) -> None:
        """Run ``body(done)`` whenever this instance holds role ``name``, until ``stop``.
        ``done`` is set when the role must end (``stop``, or the lock's session is lost);
        ``body`` then returns, and may be started again when the role is taken again."""
        if db.dialect != "postgresql":
            self.held.add(name)
            try:
                await body(stop)
            finally:
                self.held.discard(name)
            return
        key = role_key(name)
        while not stop.is_set():
            try:
                async with db.engine.connect() as conn:
                    got = await conn.scalar(sa.text("SELECT pg_try_advisory_lock(:k)"), {"k": key})
                    await conn.commit()
                    if got:
                        await self._hold(conn, name, body, stop)
                        continue
            except Exception as exc:  # the database is down: its health is reported elsewhere
                log.debug("role %s: cannot reach the database: %s", name, exc)
            await _wait(stop, TRY_EVERY)

    async def _hold(
        self,
        conn: AsyncConnection,
        name: str,
        body: Callable[[asyncio.Event], Coroutine[Any, Any, None]],
        stop: asyncio.Event,
    ) -> None:
        log.info("this instance holds the %s role", name)
        self.held.add(name)
        done = asyncio.Event()
        task = asyncio.create_task(body(done), name=f"role:{name}")
        try:
            while not stop.is_set() and not task.done():
                await _wait(stop, TRY_EVERY, task)
                if stop.is_set() or task.done():
                    break
                try:
                    await conn.scalar(sa.text("SELECT 1"))
                    await conn.commit()
                except Exception as exc:
                    log.warning("lost the %s role: its database session failed (%s)", name, exc)
                    break
        finally:
            done.set()
            self.held.discard(name)
            try:
                await task
            except Exception:
                log.exception("the %s role's work failed", name)
            with contextlib.suppress(Exception):
                await conn.scalar(sa.text("SELECT pg_advisory_unlock(:k)"), {"k": role_key(name)})
                await conn.commit()
        if not stop.is_set():
            log.info("this instance no longer holds the %s role", name)


async def _wait(
    stop: asyncio.Event, seconds: float, task: asyncio.Task[None] | None = None
) -> None:
    """Sleep ``seconds``, cut short by ``stop`` (or by ``task`` ending)."""
    waiters: list[asyncio.Future[object]] = [asyncio.ensure_future(stop.wait())]
    if task is not None:
        waiters.append(task)  # type: ignore[arg-type]
    try:
        await asyncio.wait(waiters, timeout=seconds, return_when=asyncio.FIRST_COMPLETED)
    finally:
        waiters[0].cancel()
