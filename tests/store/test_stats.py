"""``newsbot db stats`` and the /status line (issue 13, item 4) on SQLite and PostgreSQL."""

from __future__ import annotations

import asyncio
import io
import json
import time
from datetime import UTC, datetime
from pathlib import Path

import pytest

from bot import cli
from bot.models import Entry, FeedSpec, Match
from bot.settings import Settings
from bot.store import Routing, Store, schema
from bot.store.stats import collect, summary_line

DAY = 86400.0


def _utc(epoch: float) -> datetime:
    return datetime.fromtimestamp(epoch, UTC)


async def fill(store: Store, now: float) -> None:
    """Entries first seen 40 and 1 days ago; the old ones leave the feed, alerted and sent."""
    await store.feeds.sync_from_rules([FeedSpec("f1", "http://f1.example/")], now - 50 * DAY)
    await store.chats.ensure(1, "private", None, now - 50 * DAY)
    await store.chats.subscribe(1, "all", None, now - 50 * DAY)
    for age, keys in ((40, ("a", "b", "c")), (1, ("d",))):
        at = now - age * DAY
        await store.entries.record(
            "f1",
            [Entry("f1", k, f"Story {k}", f"https://f1.example/{k}", "", _utc(at)) for k in keys],
            now=at,
            alertable=lambda e: True,
            decide=lambda e: [Match("all")],
            routing=Routing({"all": "All"}),
        )
        for due in await store.outbox.due(at):
            await store.outbox.claim(due.id, at, 60)
            await store.outbox.mark_sent(due.id, at)


async def test_stats_count_rows_and_bytes_and_what_the_next_prune_removes(db_url: str) -> None:
    now = time.time()
    async with Store.open(db_url) as store:
        await fill(store, now)
        stats = await collect(store.db, retention=30 * DAY, now=now)
        brief = await collect(store.db, retention=30 * DAY, now=now, detail=False)
    found = stats.as_json()
    assert found["entries"] == 4
    assert set(found["tables"]) == set(schema.metadata.tables)
    assert found["tables"]["entries"]["rows"] == 4
    assert found["tables"]["outbox"]["rows"] == 4
    assert all(t["bytes"] is None or t["bytes"] > 0 for t in found["tables"].values())
    assert found["size_bytes"] > 0
    assert found["oldest_entry"].startswith(
        datetime.fromtimestamp(now - 40 * DAY, UTC).strftime("%Y-%m-%dT")
    )
    assert found["next_prune"] == {"story_alerts": 3, "alert_keys": 0, "outbox": 3, "entries": 3}
    line = summary_line(brief)
    assert line.startswith("Database: 4 entries since ") and "kept 30 days" in line, line
    assert brief.size_bytes > 0


async def test_db_stats_command(
    db_url: str, monkeypatch: pytest.MonkeyPatch, capsys: pytest.CaptureFixture[str]
) -> None:
    now = time.time()
    async with Store.open(db_url) as store:
        await fill(store, now)
    monkeypatch.setenv("NEWSBOT_DATABASE_URL", db_url)
    status = await asyncio.to_thread(cli.main, ["db", "stats", "--json"])
    out = capsys.readouterr().out
    assert status == 0
    found = json.loads(out)
    assert list(found)[:4] == ["entries", "tables", "size_bytes", "oldest_entry"]
    assert found["entries"] == 4 and found["tables"]["entries"] == {
        "rows": 4,
        "bytes": found["tables"]["entries"]["bytes"],
    }
    assert found["next_prune"]["entries"] == 3
    text = io.StringIO()
    settings = Settings.from_env({"NEWSBOT_DATABASE_URL": db_url, "NEWSBOT_RETENTION": "off"})
    assert await cli.db_stats(settings, text) == 0
    lines = text.getvalue().splitlines()
    assert "4 entries since" in lines[0] and "kept forever" in lines[0]
    assert lines[1].split() == ["table", "rows", "bytes"]
    assert not any(line.startswith("next prune") for line in lines)  # retention off


async def test_status_shows_the_database_line(tmp_path: Path) -> None:
    from bot.app import open_app

    rules = tmp_path / "rules.yaml"
    rules.write_text("feeds: []\nrules:\n  - {id: r1, query: parade}\n")
    settings = Settings(rules_path=str(rules), database_url=f"sqlite:///{tmp_path}/db.sqlite")
    async with open_app(settings) as app:
        await fill(app.store, time.time())
        lines = (await app.status()).splitlines()
    assert any(line.startswith("Database: 4 entries since ") for line in lines), lines
