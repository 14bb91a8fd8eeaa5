"""Shared fixtures: a real store on SQLite and, when ``NEWSBOT_TEST_POSTGRES_URL`` is set, on
PostgreSQL (a private database per test session, tables emptied between tests)."""

from __future__ import annotations

import asyncio
import os
import uuid
from collections.abc import AsyncIterator, Iterator
from pathlib import Path

import pytest
import sqlalchemy as sa

from bot.store import Store

os.environ.setdefault("PTB_TIMEDELTA", "1")  # as bot.cli does: no deprecation warning on 429s

PG_ENV = "NEWSBOT_TEST_POSTGRES_URL"
SHARED = Path(__file__).resolve().parents[2] / "shared"


@pytest.fixture(scope="session")
def postgres_url() -> Iterator[str]:
    """A fresh PostgreSQL database for this session, dropped afterwards."""
    base = os.environ.get(PG_ENV)
    if not base:
        pytest.skip(
            f"PostgreSQL tests need {PG_ENV} (e.g. postgresql://postgres@127.0.0.1:5432/test)"
        )
    name = f"newsbot_test_{uuid.uuid4().hex[:10]}"
    sync_base = base.replace("postgresql://", "postgresql+asyncpg://", 1)

    async def admin(sql: str) -> None:
        from sqlalchemy.ext.asyncio import create_async_engine

        engine = create_async_engine(sync_base, isolation_level="AUTOCOMMIT")
        try:
            async with engine.connect() as conn:
                await conn.execute(sa.text(sql))
        finally:
            await engine.dispose()

    try:
        asyncio.run(admin(f'CREATE DATABASE "{name}"'))
    except Exception as exc:  # the server is down: say so, visibly
        pytest.skip(f"PostgreSQL at {base} is unreachable: {exc.__class__.__name__}: {exc}")
    head, _, _ = base.rpartition("/")
    yield f"{head}/{name}"
    asyncio.run(admin(f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)'))


def _drop_everything(conn: sa.Connection) -> None:
    """Every table in the database, ours or not (alembic_version, a v1 fixture's, a newer
    schema's), so the next store starts from nothing and builds it with the migrations."""
    found = sa.MetaData()
    found.reflect(conn)
    found.drop_all(conn)


async def _empty(url: str) -> None:
    from bot.store.db import make_engine

    engine = make_engine(url)
    try:
        async with engine.begin() as conn:
            await conn.run_sync(_drop_everything)
    finally:
        await engine.dispose()


@pytest.fixture(params=["sqlite", "postgres"])
def db_url(request: pytest.FixtureRequest, tmp_path: Path) -> Iterator[str]:
    """The database URL of a real, empty store: once on SQLite, once on PostgreSQL."""
    if request.param == "sqlite":
        yield f"sqlite:///{tmp_path}/newsbot.db"
        return
    url = request.getfixturevalue("postgres_url")
    asyncio.run(_empty(url))
    yield url


@pytest.fixture
async def store(db_url: str) -> AsyncIterator[Store]:
    async with Store.open(db_url) as opened:
        yield opened


@pytest.fixture
def shared_dir() -> Path:
    if not SHARED.is_dir():
        pytest.skip(
            f"../shared is absent ({SHARED}); it sits beside the checkout on dev and CI machines"
        )
    return SHARED
