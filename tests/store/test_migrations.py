"""Schema migrations (issue 10, item 6) on real SQLite and PostgreSQL: the revisions build
exactly ``schema.metadata``; a database made by the first release (tests/store/fixtures, built
by make_v1.py) is upgraded in place keeping every row, with story ids from its canonical links;
running it twice changes nothing; NEWSBOT_AUTO_UPGRADE=0 refuses; a newer schema is refused;
several processes starting at once on an empty database do not race."""

from __future__ import annotations

import asyncio
import json
import os
import sqlite3
import sys
from pathlib import Path
from typing import Any

import pytest
import sqlalchemy as sa
from alembic import command
from alembic.autogenerate import compare_metadata
from alembic.runtime.migration import MigrationContext

from bot import cli
from bot.errors import StoreError
from bot.models import AlertKind, Entry, FeedSpec, Match, Span
from bot.store import Routing, Store, schema
from bot.store.db import (
    HEAD_REVISION,
    Migrated,
    SchemaState,
    alembic_config,
    make_engine,
    migrate,
    schema_state,
)
from tests.store.fixtures import make_v1
from tests.store.fixtures import schema_v1 as v1

ROOT = Path(__file__).resolve().parents[2]
HEAD = "0004"
T = make_v1.T
GROUP = -1001234567890


# ---- helpers -------------------------------------------------------------------------------


def is_sqlite(url: str) -> bool:
    return url.startswith("sqlite")


async def load_v1(url: str) -> None:
    """Put the first release's database (the fixture) at ``url``."""
    if is_sqlite(url):
        path = url[len("sqlite:///") :]
        with sqlite3.connect(path) as raw:
            raw.executescript(make_v1.SQLITE_DUMP.read_text())
        raw.close()
        return
    engine = make_engine(url)
    try:
        async with engine.begin() as conn:
            for statement in make_v1.postgres_statements(make_v1.POSTGRES_SQL.read_text()):
                await conn.exec_driver_sql(statement)
    finally:
        await engine.dispose()


async def on(url: str, fn: Any, *args: Any) -> Any:
    """``fn(sync_connection, *args)`` in one transaction on a plain engine (no migration)."""
    engine = make_engine(url)
    try:
        async with engine.begin() as conn:
            return await conn.run_sync(fn, *args)
    finally:
        await engine.dispose()


async def migrated(url: str, *, upgrade: bool = True) -> Migrated:
    engine = make_engine(url)
    try:
        return await migrate(engine, upgrade=upgrade)
    finally:
        await engine.dispose()


async def state_of(url: str) -> SchemaState:
    engine = make_engine(url)
    try:
        return await schema_state(engine)
    finally:
        await engine.dispose()


def drop_all(conn: sa.Connection) -> None:
    found = sa.MetaData()
    found.reflect(conn)
    found.drop_all(conn)


def v1_rows(conn: sa.Connection) -> dict[str, list[dict[str, Any]]]:
    """Every row of every v1 table, v1 columns only, in primary-key order."""
    found = {}
    for table in v1.metadata.sorted_tables:
        query = sa.select(*table.c).order_by(*table.primary_key.columns)
        found[table.name] = [dict(row._mapping) for row in conn.execute(query)]
    return found


def rows(conn: sa.Connection, sql: str) -> list[tuple[Any, ...]]:
    return [tuple(row) for row in conn.execute(sa.text(sql))]


def differences(conn: sa.Connection, metadata: sa.MetaData) -> list[Any]:
    """Alembic autogenerate's comparison of the live database with ``metadata`` (types and
    server defaults included); the version table is not part of either."""
    context = MigrationContext.configure(
        conn, opts={"compare_type": True, "compare_server_default": True}
    )
    return [d for d in compare_metadata(context, metadata) if not _empty_string_default(d)]


def _empty_string_default(diff: Any) -> bool:
    """Alembic's SQLite default comparison unwraps ``('x')`` but not ``('')`` (its patterns
    want one character at least), so DEFAULT '' (entries.summary) always looks modified."""
    if not (isinstance(diff, list) and len(diff) == 1 and diff[0][0] == "modify_default"):
        return False
    reflected, wanted = diff[0][-2], diff[0][-1]
    unwrapped = str(getattr(reflected, "arg", reflected)) in {"''", "('')"}
    return unwrapped and getattr(wanted, "arg", None) == ""


def expected_v1(upgraded: bool = False) -> dict[str, list[dict[str, Any]]]:
    """The fixture's rows as the database gives them back (primary-key order); once upgraded,
    ``meta.schema_version`` is 2 (so the first release refuses the database)."""
    out = {}
    for table in v1.metadata.sorted_tables:
        keys = [c.name for c in table.primary_key.columns]
        out[table.name] = sorted(make_v1.ROWS[table.name], key=lambda r: [r[k] for k in keys])
    if upgraded:
        out["meta"] = [
            {**r, "value": "2"} if r["key"] == "schema_version" else r for r in out["meta"]
        ]
    return out


# ---- the revisions are the schema ----------------------------------------------------------


async def test_migrations_on_an_empty_database_build_exactly_the_schema(db_url: str) -> None:
    done = await migrated(db_url)
    assert done.before.current is None and done.after == HEAD
    assert await on(db_url, differences, schema.metadata) == []
    assert await on(db_url, rows, "SELECT version_num FROM alembic_version") == [(HEAD,)]
    meta = dict(await on(db_url, rows, "SELECT key, value FROM meta"))
    assert meta["schema_version"] == "2" and float(meta["created_at"]) > T


async def test_revision_0001_is_the_first_release_schema_and_downgrades_undo(db_url: str) -> None:
    def to(conn: sa.Connection, revision: str, down: bool = False) -> None:
        (command.downgrade if down else command.upgrade)(alembic_config(conn), revision)

    await on(db_url, to, "0001")
    assert await on(db_url, differences, v1.metadata) == []
    await on(db_url, to, "head")
    assert await on(db_url, differences, schema.metadata) == []
    await on(db_url, to, "0001", True)
    assert await on(db_url, differences, v1.metadata) == []
    await on(db_url, to, "base", True)
    names = await on(db_url, lambda c: sa.inspect(c).get_table_names())
    assert names == ["alembic_version"]


def test_the_fixtures_are_what_make_v1_writes(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    """The committed SQL is reproducible from make_v1.py (the first release's schema)."""
    monkeypatch.setattr(make_v1, "SQLITE_DUMP", tmp_path / "v1_sqlite.sql")
    monkeypatch.setattr(make_v1, "POSTGRES_SQL", tmp_path / "v1_postgres.sql")
    make_v1.write()
    here = Path(make_v1.__file__).parent
    assert (tmp_path / "v1_postgres.sql").read_text() == (here / "v1_postgres.sql").read_text()
    assert (tmp_path / "v1_sqlite.sql").read_text() == (here / "v1_sqlite.sql").read_text()


# ---- a first-release database --------------------------------------------------------------


async def test_a_first_release_database_is_upgraded_keeping_every_row(db_url: str) -> None:
    await load_v1(db_url)
    assert await on(db_url, v1_rows) == expected_v1()  # the fixture loaded as written
    state = await state_of(db_url)
    assert (state.current, state.legacy, state.up_to_date) == ("0001", True, False)

    done = await migrated(db_url)
    assert (done.before.current, done.before.legacy, done.after) == ("0001", True, HEAD)

    assert await on(db_url, v1_rows) == expected_v1(upgraded=True)  # v1 columns: all kept
    assert await on(db_url, differences, schema.metadata) == []
    assert await on(db_url, rows, "SELECT version_num FROM alembic_version") == [(HEAD,)]
    # the story of an entry is the first entry with its canonical link (v1's story identity)
    assert await on(db_url, rows, "SELECT id, story_id FROM entries ORDER BY id") == [
        (1, 1),
        (2, 2),
        (3, 1),  # the syndicated copy of the parade
        (4, 4),
    ]
    # the ledger: every (chat, link) alerted becomes (chat, story), with the message to edit
    assert await on(
        db_url,
        rows,
        "SELECT chat_id, story_id, targets, outbox_id, created_at FROM story_alerts"
        " ORDER BY chat_id, story_id",
    ) == [
        (GROUP, 1, None, 2, T - 600),
        (GROUP, 4, None, 2, T - 100),
        (777, 4, None, 4, T - 100),
        (4242, 1, None, 1, T - 600),
        (4242, 4, None, 3, T - 100),
    ]
    assert await on(db_url, rows, "SELECT id, stories FROM chats ORDER BY id") == [
        (GROUP, True),
        (777, True),
        (4242, True),
    ]
    assert await on(db_url, rows, "SELECT count(*) FROM outbox WHERE story_id IS NULL") == [(4,)]
    assert await on(db_url, rows, "SELECT value FROM meta WHERE key = 'schema_version'") == [("2",)]
    # retention (0004): every entry was last seen when first seen; no feed's document is known
    # yet, so none of the old rows is pruned before its feed serves a document again
    assert await on(db_url, rows, "SELECT count(*) FROM entries WHERE last_seen = seen_at") == [
        (4,)
    ]
    assert await on(
        db_url, rows, "SELECT count(*) FROM feeds WHERE document_at IS NULL"
    ) == await on(db_url, rows, "SELECT count(*) FROM feeds")


def match_all(e: Entry) -> list[Match]:
    return [Match("quake", (Span("title", 0, 11),))]


async def test_the_bot_runs_on_an_upgraded_first_release_database(db_url: str) -> None:
    """Open the store (which upgrades), then read and write through it as the bot does."""
    await load_v1(db_url)
    async with Store.open(db_url) as store:
        gazette = await store.feeds.get("evening-gazette")
        assert gazette is not None
        assert (gazette.failures, gazette.failing_notified) == (6, True)
        assert gazette.next_poll == T + 3000
        assert gazette.fetch_url == "https://gazette.example/feed.xml"
        world = await store.feeds.get("daily-world")
        assert world is not None and world.etag == 'W/"5f1c-abc"'
        prefs = await store.chats.get(4242)
        assert prefs is not None
        assert (prefs.quiet, prefs.timezone, prefs.link_preview, prefs.stories) == (
            "23:00-07:00",
            "Europe/Berlin",
            True,
            True,
        )
        assert {s.rule_id for s in await store.chats.subscriptions(4242)} == {"parade", "quake"}
        assert [w.query for w in await store.chats.watches(GROUP)] == ["earthquake OR quake"]

        # the alert pending before the upgrade goes out as it would have
        alert = await store.outbox.claim(3, T, 60.0)
        assert alert is not None and alert.maybe_sent and alert.attempts == 3
        assert [i.title for i in alert.items] == ["Afghanistan earthquake kills 800"]
        assert alert.items[0].rule_titles == ("Earthquakes",)
        await store.outbox.mark_sent(3, T + 1, message_id=6000)

        # and a new entry is recorded and alerted, with ids after the old rows
        await store.feeds.sync_from_rules([FeedSpec("daily-world", "https://x.example/")], T)
        recorded = await store.entries.record(
            "daily-world",
            [
                Entry(
                    feed_id="daily-world",
                    key="dw-2000",
                    title="Aftershock hits Kunar",
                    link="https://daily-world.example/2025/09/02/aftershock",
                )
            ],
            now=T + 60,
            alertable=lambda e: True,
            decide=match_all,
            routing=Routing({"quake": "Earthquakes"}),
        )
        assert len(recorded.new) == 1 and recorded.alerts >= 1
    new = await on(db_url, rows, "SELECT id, story_id FROM entries WHERE key = 'dw-2000'")
    assert len(new) == 1 and new[0][0] > 4 and new[0][1] == new[0][0]


async def test_migrating_twice_changes_nothing(db_url: str) -> None:
    await load_v1(db_url)
    await migrated(db_url)
    before = await on(db_url, v1_rows), await on(db_url, rows, "SELECT * FROM story_alerts")
    again = await migrated(db_url)
    assert not again.changed and again.before.up_to_date
    after = await on(db_url, v1_rows), await on(db_url, rows, "SELECT * FROM story_alerts")
    assert after == before


def test_the_head_revision_known_without_alembic_is_alembics_head() -> None:
    from alembic.script import ScriptDirectory

    assert ScriptDirectory.from_config(alembic_config()).get_current_head() == HEAD_REVISION


async def test_opening_an_up_to_date_database_does_not_load_alembic(db_url: str) -> None:
    """Alembic costs a process about 10 MB: a store whose schema is at the head opens without
    it (a new process, since this one has loaded it)."""
    await migrated(db_url)
    code = (
        "import asyncio, sys\n"
        "from bot.store import Store\n"
        "async def main():\n"
        f"    async with Store.open({db_url!r}) as store:\n"
        "        print(len(await store.feeds.all()))\n"
        "asyncio.run(main())\n"
        "print(sorted(m for m in sys.modules if m.split('.')[0] == 'alembic'))\n"
    )
    result = await asyncio.create_subprocess_exec(
        sys.executable, "-c", code, stdout=asyncio.subprocess.PIPE, stderr=asyncio.subprocess.PIPE
    )
    out, err = await asyncio.wait_for(result.communicate(), timeout=60)
    assert result.returncode == 0, err.decode()
    assert out.decode().splitlines() == ["0", "[]"]


# ---- refusals ------------------------------------------------------------------------------


async def test_auto_upgrade_off_refuses_an_old_database_and_leaves_it_alone(db_url: str) -> None:
    await load_v1(db_url)
    with pytest.raises(StoreError, match=r"out of date.*run `newsbot db upgrade`"):
        await migrated(db_url, upgrade=False)
    assert await on(db_url, v1_rows) == expected_v1()
    assert "alembic_version" not in await on(db_url, lambda c: sa.inspect(c).get_table_names())
    # an empty database is not an upgrade: it is created either way
    await on(db_url, drop_all)
    assert (await migrated(db_url, upgrade=False)).after == HEAD


async def test_newsbot_run_with_auto_upgrade_off_says_what_to_run(
    db_url: str, tmp_path: Path, monkeypatch: pytest.MonkeyPatch, capsys: pytest.CaptureFixture[str]
) -> None:
    await load_v1(db_url)
    rules = tmp_path / "rules.yaml"
    rules.write_text("feeds: []\nrules: []\n")
    monkeypatch.setenv("NEWSBOT_DATABASE_URL", db_url)
    monkeypatch.setenv("NEWSBOT_AUTO_UPGRADE", "0")
    monkeypatch.delenv("TELEGRAM_BOT_TOKEN", raising=False)
    status = await asyncio.to_thread(cli.main, ["run", "--once", "--rules", str(rules)])
    err = capsys.readouterr().err.strip().splitlines()
    assert status == 2
    assert len(err) == 1 and "`newsbot db upgrade`" in err[0], err
    assert "0001" in err[0] and HEAD in err[0]


@pytest.mark.parametrize(
    "sql",
    [
        "UPDATE alembic_version SET version_num = '0099'",
        "DROP TABLE alembic_version; UPDATE meta SET value = '3' WHERE key = 'schema_version'",
    ],
    ids=["unknown-revision", "unknown-schema-version"],
)
async def test_a_newer_database_is_refused(db_url: str, sql: str) -> None:
    await migrated(db_url)

    def alter(conn: sa.Connection) -> None:
        for statement in sql.split("; "):
            conn.execute(sa.text(statement))

    await on(db_url, alter)
    with pytest.raises(StoreError, match=r"newer than this newsbot knows.*upgrade newsbot"):
        await migrated(db_url)
    state = await state_of(db_url)
    assert not state.known


# ---- the command line ----------------------------------------------------------------------


async def test_db_current_and_upgrade_commands(
    db_url: str, monkeypatch: pytest.MonkeyPatch, capsys: pytest.CaptureFixture[str]
) -> None:
    await load_v1(db_url)
    monkeypatch.setenv("NEWSBOT_DATABASE_URL", db_url)
    monkeypatch.setenv("NEWSBOT_AUTO_UPGRADE", "0")  # `db upgrade` is asked for: it upgrades

    async def run(*args: str) -> tuple[int, str]:
        status = await asyncio.to_thread(cli.main, list(args))
        return status, capsys.readouterr().out.strip()

    status, out = await run("db", "current")
    assert status == 1 and "revision 0001 (first release), out of date" in out, out
    assert "`newsbot db upgrade`" in out
    status, out = await run("db", "upgrade")
    assert status == 0 and f"upgraded from revision 0001 (first release) to {HEAD}" in out, out
    status, out = await run("db", "current")
    assert status == 0 and f"revision {HEAD}, up to date" in out, out
    status, out = await run("db", "upgrade")
    assert status == 0 and "already up to date" in out, out
    assert await on(db_url, v1_rows) == expected_v1(upgraded=True)


# ---- several processes at once -------------------------------------------------------------

RACER = """
import asyncio, json, sys
from bot.store.db import make_engine, migrate

async def main():
    engine = make_engine(sys.argv[1])
    print("ready", flush=True)
    sys.stdin.readline()
    try:
        done = await migrate(engine)
        print(json.dumps({"before": done.before.current, "after": done.after}), flush=True)
    finally:
        await engine.dispose()

asyncio.run(main())
"""


async def race(url: str, n: int) -> list[dict[str, Any]]:
    """``n`` processes call migrate() on ``url`` at the same moment; their results."""
    env = {**os.environ, "PYTHONPATH": str(ROOT)}
    procs = [
        await asyncio.create_subprocess_exec(
            sys.executable,
            "-c",
            RACER,
            url,
            stdin=asyncio.subprocess.PIPE,
            stdout=asyncio.subprocess.PIPE,
            stderr=asyncio.subprocess.PIPE,
            env=env,
        )
        for _ in range(n)
    ]
    try:
        for p in procs:  # every process imported everything and holds an engine
            assert p.stdout is not None
            line = await asyncio.wait_for(p.stdout.readline(), 60)
            assert line.strip() == b"ready", line
        for p in procs:
            assert p.stdin is not None
            p.stdin.write(b"go\n")
        for p in procs:
            assert p.stdin is not None
            await p.stdin.drain()
        outs = [await asyncio.wait_for(p.communicate(), 60) for p in procs]
    finally:
        for p in procs:
            if p.returncode is None:
                p.kill()
                await p.wait()
    results = []
    for p, (out, err) in zip(procs, outs, strict=True):
        assert p.returncode == 0, err.decode()[-2000:]
        results.append(json.loads(out.decode().strip().splitlines()[-1]))
    return results


@pytest.mark.slow
async def test_processes_starting_at_once_on_an_empty_database_migrate_once(db_url: str) -> None:
    results = await race(db_url, 4)
    befores = sorted(str(r["before"]) for r in results)
    assert befores == [HEAD, HEAD, HEAD, "None"], results
    assert all(r["after"] == HEAD for r in results)
    assert await on(db_url, differences, schema.metadata) == []
    assert await on(db_url, rows, "SELECT count(*) FROM meta") == [(2,)]


@pytest.mark.slow
async def test_processes_starting_at_once_on_a_first_release_database_upgrade_once(
    db_url: str,
) -> None:
    await load_v1(db_url)
    results = await race(db_url, 3)
    assert sorted(str(r["before"]) for r in results) == ["0001", HEAD, HEAD], results
    assert await on(db_url, v1_rows) == expected_v1(upgraded=True)
    assert len(await on(db_url, rows, "SELECT * FROM story_alerts")) == 5


async def test_a_new_report_of_a_story_alerted_before_the_upgrade_edits_that_alert(
    db_url: str,
) -> None:
    """The ledger carried over: chat 4242 got the parade story (outbox 1, message 5151) from
    the first release; a third outlet's report after the upgrade edits that message."""
    await load_v1(db_url)
    async with Store.open(db_url) as store:
        await store.feeds.sync_from_rules([FeedSpec("wire", "https://wire.example/")], T)
        recorded = await store.entries.record(
            "wire",
            [
                Entry(
                    feed_id="wire", key="w-1", title="Leaders watch the parade", link=make_v1.PARADE
                )
            ],
            now=T + 60,
            alertable=lambda e: True,
            decide=lambda e: [Match("parade", (Span("title", 0, 7),))],
            routing=Routing({"parade": "Beijing parade"}),
        )
        assert recorded.alerts == 0 and recorded.edits >= 1
        (edit_id,) = await on(
            db_url, rows, "SELECT id FROM outbox WHERE kind = 'edit' AND chat_id = 4242"
        )
        alert = await store.outbox.claim(edit_id[0], T + 61, 60.0)
        assert alert is not None and alert.kind == AlertKind.EDIT
        assert alert.edit_of is not None and alert.edit_of.message_id == 5151
        assert [o.name for o in alert.items[0].also] != []
