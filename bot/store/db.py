"""Engine, dialect details and schema migration (Alembic revisions in ``migrations/``).

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
import sqlite3
import sys
import threading
import time
from collections.abc import AsyncIterator, Callable
from concurrent.futures import ThreadPoolExecutor
from contextlib import asynccontextmanager
from dataclasses import dataclass
from pathlib import Path
from typing import TYPE_CHECKING, Any, TypeVar

import asyncpg
import sqlalchemy as sa
from sqlalchemy.dialects import postgresql, sqlite
from sqlalchemy.ext.asyncio import AsyncConnection, AsyncEngine, create_async_engine

from bot.errors import SchemaMissingError, StoreError
from bot.settings import redact_url
from bot.store import schema
from bot.store.direct import DirectConnection

if TYPE_CHECKING:
    from alembic.config import Config
    from alembic.script import ScriptDirectory

log = logging.getLogger(__name__)


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
# seconds a statement on a kept connection (``bot.store.direct``) may take: a connection that
# hangs (a lost host) then fails like a dropped one instead of holding its path forever
DIRECT_TIMEOUT = 30.0


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
_CLOSED = ("connection was closed", "connection is closed")
# the same, raised by asyncpg itself (``bot.store.direct`` calls it without SQLAlchemy):
# connection lost or refused (class 08), server shutting down or statement cancelled (57),
# out of disk, memory or connections (53)
_ASYNCPG_UNAVAILABLE = (
    asyncpg.PostgresConnectionError,
    asyncpg.exceptions.OperatorInterventionError,
    asyncpg.exceptions.InsufficientResourcesError,
)


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
    if isinstance(exc, asyncpg.UndefinedTableError | asyncpg.InvalidCatalogNameError):
        return SchemaMissingError(f"the database has no newsbot tables ({describe(exc)})")
    if isinstance(exc, _ASYNCPG_UNAVAILABLE) or (
        isinstance(exc, asyncpg.InterfaceError) and any(m in str(exc).lower() for m in _CLOSED)
    ):
        return StoreError(describe(exc))
    if isinstance(exc, sa.exc.DBAPIError) and (
        exc.connection_invalidated or any(m in str(exc).lower() for m in _CLOSED)
    ):  # asyncpg: "connection was closed in the middle of operation" (a plain DBAPIError)
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
        self.connect_timeout = connect_timeout
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
        self._direct: dict[str, DirectConnection] = {}

    def direct(self, name: str) -> DirectConnection:
        """The asyncpg connection kept for hot path ``name`` (PostgreSQL; see
        ``bot.store.direct``), opened when first used and closed by ``dispose``."""
        found = self._direct.get(name)
        if found is None:
            found = self._direct[name] = DirectConnection(self)
        return found

    async def connect_driver(self) -> Any:
        """A new asyncpg connection to the engine's database (outside its pool)."""
        _, params = self.engine.dialect.create_connect_args(self.engine.url)
        return await asyncpg.connect(
            **params, timeout=self.connect_timeout, command_timeout=DIRECT_TIMEOUT
        )

    @asynccontextmanager
    async def read(self) -> AsyncIterator[AsyncConnection]:
        """An async connection for reads; failures become StoreError (see the docstring)."""
        try:
            async with self.engine.connect() as conn:
                yield conn
        except Exception as exc:
            error = self.failed(exc)
            if error is exc:
                raise
            raise error from exc
        self.succeeded()

    async def write(self, fn: Callable[[sa.Connection], T]) -> T:
        """Run ``fn(conn)`` in one write transaction and return what it returns."""
        try:
            result = await self._write(fn)
        except Exception as exc:
            error = self.failed(exc)
            if error is exc:
                raise
            raise error from exc
        self.succeeded()
        return result

    async def ping(self) -> bool:
        """Whether the database answers now (and has our tables); updates ``health``."""
        try:
            async with self.read() as conn:
                await conn.execute(sa.select(schema.meta.c.key).limit(1))
        except StoreError:
            return False
        return True

    def failed(self, exc: Exception, *, report: bool = True) -> Exception:
        """The StoreError a database failure means (``exc`` itself when it is not one: a
        bug), reported in ``health`` unless ``report`` is False."""
        error = as_store_error(exc)
        if error is None:
            return exc  # not about the database's health: re-raised as it is
        if not report:
            return error
        health = self.health
        missing = isinstance(error, SchemaMissingError)
        if health.ok or missing != health.schema_missing:
            self.health = Health(False, time.time(), str(error), missing)
            log.error("database unreachable: %s", error)
            self._tell()
        return error

    def succeeded(self) -> None:
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
        for direct in self._direct.values():
            await direct.close()
        await self.engine.dispose()
        if self._writer is not None:
            await asyncio.get_running_loop().run_in_executor(None, self._writer.shutdown, True)
        if self._sync is not None:
            self._sync.dispose()


def insert_ignore(conn: sa.Connection | AsyncConnection, table: sa.Table) -> Any:
    """An INSERT that skips rows conflicting with a unique key (SQLite and PostgreSQL)."""
    insert = postgresql.insert if conn.dialect.name == "postgresql" else sqlite.insert
    return insert(table).on_conflict_do_nothing()


LOCK_KEY = int.from_bytes(b"newsbot", "big")  # PostgreSQL advisory lock: one schema change at once
LEGACY_REVISION = "0001"  # the first release: meta.schema_version 1, no alembic_version
# the newest revision in migrations/versions (a test checks it is Alembic's head): a database
# at it is read as up to date without importing Alembic, which costs a process about 10 MB
HEAD_REVISION = "0004"
MIGRATIONS_DIR = Path(__file__).with_name("migrations")


@dataclass(frozen=True, slots=True)
class SchemaState:
    """Where a database's schema stands against the revisions this newsbot ships."""

    current: str | None  # the revision in place; None: no newsbot tables yet
    head: str  # the revision this newsbot needs
    legacy: bool = False  # made by the first release, not yet stamped (no alembic_version)
    known: bool = True  # False: a revision this newsbot does not know (a newer release's)

    @property
    def up_to_date(self) -> bool:
        return self.current == self.head


@dataclass(frozen=True, slots=True)
class Migrated:
    """What ``migrate`` found and left: ``before.current`` -> ``after``."""

    before: SchemaState
    after: str

    @property
    def changed(self) -> bool:
        return self.before.current != self.after


def alembic_config(conn: sa.Connection | None = None) -> Config:
    """Alembic's settings without an alembic.ini: the revisions ship inside the package."""
    from alembic.config import Config

    config = Config()
    config.set_main_option("script_location", str(MIGRATIONS_DIR))
    if conn is not None:
        config.attributes["connection"] = conn  # migrations/env.py runs on it
    return config


def _errors() -> tuple[type[BaseException], ...]:
    """What a database or a migration raises when it fails (Alembic's, once it is loaded)."""
    errors: tuple[type[BaseException], ...] = (sa.exc.SQLAlchemyError, OSError, TimeoutError)
    util = sys.modules.get("alembic.util")
    return errors if util is None else (*errors, util.CommandError)


def _at_head(conn: sa.Connection) -> bool:
    """Whether Alembic's version table holds ``HEAD_REVISION`` alone (read without Alembic)."""
    if not sa.inspect(conn).has_table("alembic_version"):
        return False
    rows = conn.exec_driver_sql("SELECT version_num FROM alembic_version").all()
    return [tuple(row) for row in rows] == [(HEAD_REVISION,)]


def _schema_state(conn: sa.Connection) -> SchemaState:
    if _at_head(conn):
        return SchemaState(HEAD_REVISION, HEAD_REVISION)
    from alembic.runtime.migration import MigrationContext
    from alembic.script import ScriptDirectory

    script = ScriptDirectory.from_config(alembic_config())
    head = script.get_current_head()
    assert head is not None, "bot/store/migrations has no revision"
    heads = MigrationContext.configure(conn).get_current_heads()
    if heads:
        known = len(heads) == 1 and _known(script, heads[0])
        return SchemaState(",".join(heads), head, known=known)
    if not sa.inspect(conn).has_table(schema.meta.name):
        return SchemaState(None, head)
    row = conn.execute(
        sa.select(schema.meta.c.value).where(schema.meta.c.key == "schema_version")
    ).first()
    if row is not None and row.value == "1":
        return SchemaState(LEGACY_REVISION, head, legacy=True)
    version = "none" if row is None else row.value
    return SchemaState(f"schema_version {version}", head, legacy=True, known=False)


def _known(script: ScriptDirectory, revision: str) -> bool:
    import alembic.util

    try:
        return script.get_revision(revision) is not None
    except alembic.util.CommandError:  # ResolutionError too
        return False


def _migrate(conn: sa.Connection, upgrade: bool) -> Migrated:
    """Check, stamp and upgrade on ``conn``, inside the caller's transaction (and lock)."""
    before = _schema_state(conn)
    if not before.known:
        raise StoreError(
            f"the database schema ({before.current}) is newer than this newsbot knows "
            f"(it needs {before.head}): upgrade newsbot"
        )
    if before.up_to_date:
        return Migrated(before, before.head)
    if before.current is not None and not upgrade:
        raise StoreError(
            f"the database schema is out of date (revision {before.current}, this newsbot "
            f"needs {before.head}) and NEWSBOT_AUTO_UPGRADE=0: run `newsbot db upgrade`"
        )
    from alembic import command

    config = alembic_config(conn)
    if before.legacy:
        log.info(
            "database made by newsbot's first release: marking it as revision %s", LEGACY_REVISION
        )
        command.stamp(config, LEGACY_REVISION)
    if before.current is None:
        log.info("creating the database schema at revision %s", before.head)
    else:
        log.info("upgrading the database schema from %s to %s", before.current, before.head)
    command.upgrade(config, "head")
    return Migrated(before, before.head)


def _migration_pragmas(dbapi_conn: Any, _record: Any) -> None:
    dbapi_conn.isolation_level = None  # no implicit transactions: "begin" below opens the one
    cursor = dbapi_conn.cursor()
    cursor.execute("PRAGMA busy_timeout=30000")  # first: another process may be migrating
    # a new database gives pruned pages back (bot.store.space); only before the first table
    # and before WAL mode is set, so here: on an existing database it changes nothing
    cursor.execute("PRAGMA auto_vacuum=INCREMENTAL")
    _wal(cursor)
    # SQLite alters a table by copying it and dropping the old one: with foreign keys on, the
    # drop would cascade to the rows that point at it (outbox_items, subscriptions, watches)
    cursor.execute("PRAGMA foreign_keys=OFF")
    cursor.close()


def _wal(cursor: Any, within: float = 30.0) -> None:
    """Switch to WAL. Changing the journal mode answers "database is locked" at once, without
    the busy timeout, while another process holds the file (several starting at once on a new
    database): wait for it, and stop as soon as the mode is WAL, whoever set it."""
    deadline = time.monotonic() + within
    while True:
        try:
            cursor.execute("PRAGMA journal_mode=WAL")
            return
        except sqlite3.OperationalError as exc:
            if "locked" not in str(exc) or time.monotonic() > deadline:
                raise
        try:
            if str(cursor.execute("PRAGMA journal_mode").fetchone()[0]).lower() == "wal":
                return
        except sqlite3.OperationalError:
            pass
        time.sleep(0.05)


def _begin_immediate(conn: sa.Connection) -> None:
    conn.exec_driver_sql("BEGIN IMMEDIATE")  # the write lock from the start: no upgrade races


def _migrate_sqlite(url: sa.URL, upgrade: bool) -> Migrated:
    """On its own connection, in one ``BEGIN IMMEDIATE`` transaction (DDL included, which the
    driver's implicit transactions would leave out)."""
    engine = sa.create_engine(url.set(drivername="sqlite"), poolclass=sa.pool.NullPool)
    sa.event.listen(engine, "connect", _migration_pragmas)
    sa.event.listen(engine, "begin", _begin_immediate)
    try:
        with engine.begin() as conn:
            return _migrate(conn, upgrade)
    finally:
        engine.dispose()


async def migrate(engine: AsyncEngine, *, upgrade: bool = True) -> Migrated:
    """Create the schema in an empty database, or bring an older one to this newsbot's revision
    (stamping a first-release database first); with ``upgrade=False`` an older database is
    refused instead (StoreError naming ``newsbot db upgrade``), and so, always, is a newer one.

    Several processes may start at once: the whole check-and-change is one transaction that
    holds PostgreSQL's advisory lock ``LOCK_KEY``, or SQLite's write lock (BEGIN IMMEDIATE), so
    the first one migrates and the others then find the schema up to date.
    """
    try:
        if engine.dialect.name == "sqlite":
            return await asyncio.to_thread(_migrate_sqlite, engine.url, upgrade)
        async with engine.begin() as conn:
            if engine.dialect.name == "postgresql":
                await conn.execute(sa.select(sa.func.pg_advisory_xact_lock(LOCK_KEY)))
            return await conn.run_sync(_migrate, upgrade)
    except StoreError:
        raise
    except _errors() as exc:
        where = engine.url.render_as_string(hide_password=True)
        raise StoreError(f"cannot prepare the database {where}: {describe(exc)}") from exc


async def schema_state(engine: AsyncEngine) -> SchemaState:
    """Where the database's schema stands; reads only (``newsbot db current``)."""
    try:
        async with engine.connect() as conn:
            return await conn.run_sync(_schema_state)
    except _errors() as exc:
        where = engine.url.render_as_string(hide_password=True)
        raise StoreError(f"cannot read the database {where}: {describe(exc)}") from exc
