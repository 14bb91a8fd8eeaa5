"""The database away is not a feed failing (issue #9, item 8): no feed backoff, one admin
notice each way, alerts soon after it is back, the schema made again after a drop, a blackholed
address ending start-up with its reason, and feed health that does not lie."""

from __future__ import annotations

import asyncio
import logging
import os
import sys
import time
import uuid
from dataclasses import replace
from pathlib import Path
from urllib.parse import urlsplit

import pytest
import sqlalchemy as sa
from sqlalchemy.ext.asyncio import create_async_engine

from bot.errors import StoreError
from bot.models import FeedSpec, FeedState
from bot.store import Health, Store
from bot.store.db import async_url
from tests.conftest import _empty
from tests.e2e.harness import TOKEN, Bot, rss, servers, settings_for
from tests.e2e.proxy import Blackhole, Proxy
from tests.waiting import wait_until

ROOT = Path(__file__).resolve().parents[2]
ADMIN = 900
CHAT = -100444
RULES = """
feeds:
  - {{id: local, name: Local News, url: "{url}", interval: 1s}}
rules:
  - {{id: parade, title: Beijing parade, query: 'parade', chats: [{chat}]}}
"""
OLD = [("old-1", "Weather", "Sunny.")]
NEW = [("new-1", "Beijing parade begins", "Troops march.")]


def through(url: str, port: int) -> str:
    parts = urlsplit(url)
    user = f"{parts.username}@" if parts.username else ""
    return f"{parts.scheme}://{user}127.0.0.1:{port}{parts.path}"


async def scalar(url: str, sql: str) -> object:
    """One value read with a plain engine (Store.open would create the schema itself)."""
    engine = create_async_engine(async_url(url))
    try:
        async with engine.connect() as conn:
            return (await conn.execute(sa.text(sql))).scalar()
    except sa.exc.SQLAlchemyError:
        return None
    finally:
        await engine.dispose()


@pytest.mark.postgres
async def test_postgres_away_and_back_is_one_notice_each_way_and_no_feed_backoff(
    postgres_url: str, tmp_path: Path, caplog: pytest.LogCaptureFixture
) -> None:
    caplog.set_level(logging.INFO)
    await _empty(postgres_url)
    target = urlsplit(postgres_url)
    async with servers() as (feeds, api), Proxy(target.hostname or "", target.port or 5432) as px:
        feeds.body("/news", rss(OLD), etag='"v1"')
        rules = tmp_path / "rules.yaml"
        rules.write_text(RULES.format(url=feeds.url("/news"), chat=CHAT))
        db_url = through(postgres_url, px.port)
        settings = settings_for(api, db_url, rules, admins=frozenset({ADMIN}))
        async with Bot(settings):
            await wait_until(lambda: feeds.paths().count("/news") >= 2, what="polling")
            await px.cut()
            feeds.body("/news", rss(NEW + OLD), etag='"v2"')
            await api.wait_for(
                lambda a: any("unreachable" in m.plain_text for m in a.sent_to(ADMIN)),
                timeout=20,
            )
            fetched_while_away = feeds.paths().count("/news")
            await px.restore()
            back = time.monotonic()
            await api.wait_for(lambda a: len(a.sent_to(CHAT)) == 1, timeout=20)
            took = time.monotonic() - back
            await api.wait_for(
                lambda a: any("back" in m.plain_text for m in a.sent_to(ADMIN)), timeout=10
            )
        notices = [m.plain_text for m in api.sent_to(ADMIN)]
        assert len(notices) == 2, notices
        assert "The database is unreachable" in notices[0] and "back" in notices[1]
        assert not any("Feed local" in n for n in notices)  # not blamed on the feed
        assert "Beijing parade begins" in api.sent_to(CHAT)[0].plain_text
        failures = await scalar(postgres_url, "SELECT failures FROM feeds WHERE id = 'local'")
        assert failures == 0
    ours = [r for r in caplog.records if r.name.startswith("bot")]
    assert not [r for r in ours if r.exc_info], [r.getMessage() for r in ours if r.exc_info]
    away = [r for r in ours if "database unreachable" in r.getMessage()]
    assert 1 <= len(away) <= 3, [r.getMessage() for r in away]
    # no fetch while the database was away: at most the polls that were under way
    assert fetched_while_away <= 4
    assert took < 20


@pytest.mark.postgres
async def test_a_database_dropped_and_created_again_gets_its_schema_again(
    postgres_url: str, tmp_path: Path
) -> None:
    base = os.environ["NEWSBOT_TEST_POSTGRES_URL"]
    name = f"newsbot_drop_{uuid.uuid4().hex[:8]}"
    admin = create_async_engine(async_url(base), isolation_level="AUTOCOMMIT")

    async def sql(statement: str) -> None:
        async with admin.connect() as conn:
            await conn.execute(sa.text(statement))

    db_url = f"{base.rpartition('/')[0]}/{name}"
    await sql(f'CREATE DATABASE "{name}"')
    try:
        async with servers() as (feeds, api):
            feeds.body("/news", rss(OLD))
            rules = tmp_path / "rules.yaml"
            rules.write_text(RULES.format(url=feeds.url("/news"), chat=CHAT))
            settings = settings_for(api, db_url, rules, admins=frozenset({ADMIN}))
            async with Bot(settings):
                polls = "SELECT polls FROM feeds WHERE id = 'local'"
                await wait_until(lambda: _at_least(db_url, polls, 1), what="first poll")
                await sql(f'DROP DATABASE "{name}" WITH (FORCE)')
                await sql(f'CREATE DATABASE "{name}"')
                await wait_until(
                    lambda: _at_least(db_url, polls, 1), within=30, what="schema and a poll"
                )
                api.push_message(555, "/list", from_user_id=555)
                await api.wait_for(lambda a: len(a.sent_to(555)) == 1, timeout=15)
                reply = api.sent_to(555)[0].plain_text
                assert "went wrong" not in reply and "database" not in reply, reply
    finally:
        await sql(f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)')
        await admin.dispose()


async def _at_least(url: str, query: str, count: int) -> bool:
    value = await scalar(url, query)
    return isinstance(value, int) and value >= count


async def test_a_blackholed_database_ends_start_up_with_its_reason(tmp_path: Path) -> None:
    async with Blackhole() as hole:
        url = f"postgresql://postgres@127.0.0.1:{hole.port}/test"
        started = time.monotonic()
        with pytest.raises(StoreError, match="timed out connecting"):
            async with Store.open(url, connect_timeout=1.0):
                pass
        assert time.monotonic() - started < 15
        env = {**os.environ, "NEWSBOT_DATABASE_URL": url, "NEWSBOT_DB_CONNECT_TIMEOUT": "1"}
        proc = await asyncio.create_subprocess_exec(
            sys.executable,
            "-m",
            "bot",
            "feeds",
            cwd=ROOT,
            env=env,
            stdout=asyncio.subprocess.PIPE,
            stderr=asyncio.subprocess.PIPE,
        )
        _, err = await asyncio.wait_for(proc.communicate(), timeout=60)
    assert proc.returncode == 2
    line = err.decode().strip()
    assert line.startswith("newsbot: cannot prepare the database"), line
    assert "timed out connecting" in line and f"127.0.0.1:{hole.port}" in line, line


async def test_a_full_disk_is_a_database_error_reported_once_not_a_feed_error(
    tmp_path: Path,
) -> None:
    changes: list[Health] = []
    async with Store.open(f"sqlite:///{tmp_path}/full.db", on_health=changes.append) as store:
        await store.feeds.sync_from_rules([FeedSpec("f", "https://x.example/")], time.time())
        sync = store.db._sync
        assert sync is not None
        with sync.connect() as conn:  # the file may not grow: SQLITE_FULL, as on a full disk
            pages = conn.exec_driver_sql("PRAGMA page_count").scalar()
        sa.event.listen(sync, "connect", lambda c, _: c.execute(f"PRAGMA max_page_count={pages}"))
        sync.dispose()
        big = [FeedState(FeedSpec(f"x{i}" * 200, "https://x.example/")) for i in range(200)]
        for _ in range(3):
            with pytest.raises(StoreError, match="full"):
                await store.feeds.sync_from_rules([s.spec for s in big], time.time())
        assert [c.ok for c in changes] == [False]  # told once, not three times
        assert await store.ping()  # reads still work: the database answers again
        assert [c.ok for c in changes] == [False, True]


async def test_feeds_says_when_the_stored_health_is_stale(tmp_path: Path) -> None:
    url = f"sqlite:///{tmp_path}/stale.db"
    now = time.time()
    async with Store.open(url) as store:
        await store.feeds.sync_from_rules([FeedSpec("news", "https://x.example/", 60)], now)
        state = await store.feeds.get("news")
        assert state is not None
        await store.feeds.save_states(
            [replace(state, last_attempt=now - 3600, last_success=now - 3600, next_poll=now - 3540)]
        )
    env = {**os.environ, "NEWSBOT_DATABASE_URL": url}
    proc = await asyncio.create_subprocess_exec(
        sys.executable,
        "-m",
        "bot",
        "feeds",
        cwd=ROOT,
        env=env,
        stdout=asyncio.subprocess.PIPE,
        stderr=asyncio.subprocess.PIPE,
    )
    out, err = await asyncio.wait_for(proc.communicate(), timeout=60)
    text = out.decode()
    assert proc.returncode == 0, err.decode()
    assert text.startswith("warning: 1 of 1 feeds are overdue"), text
    assert "OVERDUE" in text
    assert TOKEN not in text
