"""Engine, dialect details and schema migration.

``NEWSBOT_DATABASE_URL`` may be written the plain way (``sqlite:///state/newsbot.db``,
``postgresql://user@host/db``); the async driver (aiosqlite, asyncpg) is added here.
SQLite runs in WAL mode with a busy timeout so short write transactions never block readers.

Every read (``Database.read``) and write (``Database.write``) turns a failure to reach or use the
database (connection refused or lost, connect timeout, disk full, locked too long, tables gone)
into a ``StoreError`` with a one-line reason, and keeps ``Database.health`` up to date: the first
failure after a success logs one line and calls ``on_health``, and so does the first success
after failures. Anything else (a constraint violated, a bug in a query) is not about the
database's health and propagates unchanged.
"""

from __future__ import annotations

import asyncio
import logging
import threading
import time
from collections.abc import AsyncIterator, Awaitable, Callable
from concurrent.futures import ThreadPoolExecutor
from contextlib import asynccontextmanager
from dataclasses import dataclass
from pathlib import Path
from typing import Any, TypeVar

import sqlalchemy as sa
from sqlalchemy.dialects import postgresql, sqlite
from sqlalchemy.ext.asyncio import AsyncConnection, AsyncEngine, create_async_engine

from bot.errors import SchemaMissingError, StoreError
from bot.settings import redact_url
from bot.store import schema

log = logging.getLogger(__name__)

Migration = Callable[[AsyncConnection], Awaitable[None]]
MIGRATIONS: dict[int, Migration] = {}  # version -> step that brings version-1 up to it


def async_url(url: str) -> str:
    """Map a plain database URL to its async driver."""
    if url.startswith("sqlite:"):
        return "sqlite+aiosqlite:" + url[len("sqlite:") :]
    for prefix in (
        "postgresql://",
        "postgres://",
        "postgresql+psycopg2://",
        "postgresql+psycopg://",
    ):
        if url.startswith(prefix):
            return "postgresql+asyncpg://" + url[len(prefix) :]
    return url


def _sqlite_pragmas(dbapi_conn: Any, _record: Any) -> None:
    cursor = dbapi_conn.cursor()
    cursor.execute("PRAGMA journal_mode=WAL")
    cursor.execute("PRAGMA synchronous=NORMAL")
    cursor.execute("PRAGMA busy_timeout=10000")
    cursor.execute("PRAGMA foreign_keys=ON")
    cursor.close()


def _sqlite_writer_pragmas(dbapi_conn: Any, record: Any) -> None:
    _sqlite_pragmas(dbapi_conn, record)
    if not threading.current_thread().name.startswith(WRITER_THREAD):
        cursor = dbapi_conn.cursor()
        cursor.execute(f"PRAGMA busy_timeout={INLINE_BUSY_MS}")  # the event loop's thread
        cursor.close()


CONNECT_TIMEOUT = 10.0  # seconds to reach a PostgreSQL server (asyncpg's default is 60)


def make_engine(url: str, connect_timeout: float = CONNECT_TIMEOUT) -> AsyncEngine:
    full = async_url(url)
    if full.startswith("sqlite+aiosqlite:///"):
        path = full[len("sqlite+aiosqlite:///") :]
        if path and path != ":memory:":
            Path(path).parent.mkdir(parents=True, exist_ok=True)
    postgres = full.startswith("postgresql")
    try:
        engine = create_async_engine(
            full,
            pool_pre_ping=postgres,
            connect_args={"timeout": connect_timeout} if postgres else {},
        )
    except (sa.exc.ArgumentError, ImportError) as exc:
        raise StoreError(f"cannot use database {redact_url(url)}: {exc}") from exc
    if engine.dialect.name == "sqlite":
        sa.event.listen(engine.sync_engine, "connect", _sqlite_pragmas)
    return engine


T = TypeVar("T")
WRITER_THREAD = "sqlite-writer"
INLINE_BUSY_MS = 50

# what a failure to reach or use the database looks like (as opposed to a bug in a query)
_UNAVAILABLE = (
    sa.exc.OperationalError,
    sa.exc.InterfaceError,
    sa.exc.DisconnectionError,
    sa.exc.TimeoutError,  # the connection pool
    OSError,  # ConnectionRefusedError, socket errors from the drivers
    TimeoutError,  # asyncpg's connect timeout
)
_MISSING = ("does not exist", "no such table", "undefinedtable")


def describe(exc: BaseException) -> str:
    """One line about a database failure: the driver's own message, never empty."""
    inner = getattr(exc, "orig", None) or exc
    text = " ".join(str(inner).split()) or inner.__class__.__name__
    if isinstance(inner, TimeoutError) and text == "TimeoutError":
        text = "timed out connecting"
    return text.split(" [SQL:", 1)[0][:300]


def as_store_error(exc: BaseException) -> StoreError | None:
    """The StoreError a database failure means, or None when it is not one (a bug)."""
    if isinstance(exc, StoreError):
        return exc
    if isinstance(exc, sa.exc.ProgrammingError | sa.exc.OperationalError) and any(
        m in str(exc).lower() for m in _MISSING
    ):
        return SchemaMissingError(f"the database has no newsbot tables ({describe(exc)})")
    if isinstance(exc, _UNAVAILABLE):
        return StoreError(describe(exc))
    return None


@dataclass
class Health:
    """Whether the database answered the last time it was used."""

    ok: bool = True
    since: float = 0.0  # when ``ok`` last changed
    reason: str = ""  # the last failure, while not ok
    schema_missing: bool = False


class Database:
    """The engine plus one way to write. Every write is a plain function of a sync Connection,
    run as one transaction:

    - SQLite: right in the event loop's thread on a sync engine, with a 50 ms busy timeout; if
      another process holds the database longer, the transaction is rolled back and run again
      in a dedicated writer thread that may wait (10 s). A write is then one short blocking
      call instead of the four or five thread hops per statement aiosqlite needs (a 50-entry
      poll: 16 ms -> 3 ms), and there is no second thread contending for the GIL.
    - PostgreSQL: ``AsyncConnection.run_sync`` on asyncpg; concurrent writers as they come.

    Reads use the async engine (aiosqlite or asyncpg) directly. A write function must only
    touch the database and its own locals, so running it twice after a rollback is safe.
    """

    def __init__(
        self,
        url: str,
        *,
        connect_timeout: float = CONNECT_TIMEOUT,
        on_health: Callable[[Health], None] | None = None,
    ) -> None:
        self.url = url
        self.engine = make_engine(url, connect_timeout)
        self.health = Health(since=time.time())
        self.on_health = on_health
        self.dialect = self.engine.dialect.name
        self._sync: sa.Engine | None = None
        self._writer: ThreadPoolExecutor | None = None
        if self.dialect == "sqlite":
            self._sync = sa.create_engine(
                async_url(url).replace("sqlite+aiosqlite:", "sqlite:", 1),
                poolclass=sa.pool.SingletonThreadPool,
            )
            sa.event.listen(self._sync, "connect", _sqlite_writer_pragmas)
            self._writer = ThreadPoolExecutor(1, thread_name_prefix=WRITER_THREAD)

    @asynccontextmanager
    async def read(self) -> AsyncIterator[AsyncConnection]:
        """An async connection for reads; failures become StoreError (see the docstring)."""
        try:
            async with self.engine.connect() as conn:
                yield conn
        except Exception as exc:
            error = self._failed(exc)
            if error is exc:
                raise
            raise error from exc
        self._succeeded()

    async def write(self, fn: Callable[[sa.Connection], T]) -> T:
        """Run ``fn(conn)`` in one write transaction and return what it returns."""
        try:
            result = await self._write(fn)
        except Exception as exc:
            error = self._failed(exc)
            if error is exc:
                raise
            raise error from exc
        self._succeeded()
        return result

    async def ping(self) -> bool:
        """Whether the database answers now (and has our tables); updates ``health``."""
        try:
            async with self.read() as conn:
                await conn.execute(sa.select(schema.meta.c.key).limit(1))
        except StoreError:
            return False
        return True

    def _failed(self, exc: Exception) -> Exception:
        error = as_store_error(exc)
        if error is None:
            return exc  # not about the database's health: re-raised as it is
        health = self.health
        missing = isinstance(error, SchemaMissingError)
        if health.ok or missing != health.schema_missing:
            self.health = Health(False, time.time(), str(error), missing)
            log.error("database unreachable: %s", error)
            self._tell()
        return error

    def _succeeded(self) -> None:
        if not self.health.ok:
            down = time.time() - self.health.since
            self.health = Health(True, time.time())
            log.info("database reachable again after %.0fs", down)
            self._tell()

    def _tell(self) -> None:
        if self.on_health is not None:
            try:
                self.on_health(self.health)
            except Exception:
                log.exception("database health callback failed")

    async def _write(self, fn: Callable[[sa.Connection], T]) -> T:
        if self._sync is None:
            async with self.engine.begin() as conn:
                return await conn.run_sync(fn)
        sync = self._sync

        def transaction() -> T:
            with sync.begin() as conn:
                return fn(conn)

        try:
            return transaction()
        except sa.exc.OperationalError as exc:
            if "locked" not in str(exc.orig) and "busy" not in str(exc.orig):
                raise
        loop = asyncio.get_running_loop()
        return await loop.run_in_executor(self._writer, transaction)

    async def dispose(self) -> None:
        await self.engine.dispose()
        if self._writer is not None:
            await asyncio.get_running_loop().run_in_executor(None, self._writer.shutdown, True)
        if self._sync is not None:
            self._sync.dispose()


def insert_ignore(conn: sa.Connection | AsyncConnection, table: sa.Table) -> Any:
    """An INSERT that skips rows conflicting with a unique key (SQLite and PostgreSQL)."""
    insert = postgresql.insert if conn.dialect.name == "postgresql" else sqlite.insert
    return insert(table).on_conflict_do_nothing()


async def migrate(engine: AsyncEngine) -> int:
    """Create or upgrade the schema; returns the version now in place."""
    try:
        async with engine.begin() as conn:
            await conn.run_sync(schema.meta.create, checkfirst=True)
            row = (
                await conn.execute(
                    sa.select(schema.meta.c.value).where(schema.meta.c.key == "schema_version")
                )
            ).first()
            if row is None:
                await conn.run_sync(schema.metadata.create_all)
                await conn.execute(
                    schema.meta.insert().values(
                        key="schema_version", value=str(schema.SCHEMA_VERSION)
                    )
                )
                await conn.execute(
                    schema.meta.insert().values(key="created_at", value=str(time.time()))
                )
                return schema.SCHEMA_VERSION
            version = int(row.value)
            if version > schema.SCHEMA_VERSION:
                raise StoreError(
                    f"database schema version {version} is newer than this newsbot "
                    f"({schema.SCHEMA_VERSION}); upgrade newsbot"
                )
            for step in range(version + 1, schema.SCHEMA_VERSION + 1):
                log.info("migrating database schema to version %d", step)
                await MIGRATIONS[step](conn)
                await conn.execute(
                    schema.meta.update()
                    .where(schema.meta.c.key == "schema_version")
                    .values(value=str(step))
                )
            return schema.SCHEMA_VERSION
    except StoreError:
        raise
    except (sa.exc.SQLAlchemyError, OSError, TimeoutError) as exc:
        where = engine.url.render_as_string(hide_password=True)
        raise StoreError(f"cannot prepare the database {where}: {describe(exc)}") from exc
