"""The kept history searched (issue 13, item 6): ``newsbot backtest`` on SQLite and
PostgreSQL, hostile titles on the terminal, scan budgets."""

from __future__ import annotations

import asyncio
import io
import json
import time
from datetime import UTC, datetime
from pathlib import Path

import pytest

from bot import cli, history
from bot.match import compile_query
from bot.models import Entry, FeedSpec, Match
from bot.settings import Settings
from bot.store import Routing, Store

DAY = 86400.0
HOSTILE = "Quake \x1b[2J\x1b[31mhits\x07 <b>town</b> \u202eevil"

RULES = """\
feeds:
  - {id: wire, url: "http://wire.example/"}
  - {id: local, url: "http://local.example/"}
rules:
  - {id: quake, title: "Earthquakes & <tremors>", query: "quake OR earthquake"}
  - {id: local-parade, query: parade, feeds: [local]}
  - {id: nothing, query: volcano}
"""


async def fill(store: Store, now: float) -> None:
    specs = [FeedSpec("wire", "http://wire.example/"), FeedSpec("local", "http://local.example/")]
    await store.feeds.sync_from_rules(specs, now - 60 * DAY)
    rows = [
        ("wire", "q1", "Earthquake in Chile", 20),
        ("wire", "q2", "Quake shakes Tokyo", 5),
        ("wire", "q3", HOSTILE, 1),
        ("wire", "p1", "Parade in Beijing", 2),  # parade, but not from the local feed
        ("local", "p2", "Town parade on Sunday", 3),
    ]
    for feed, key, title, ago in sorted(rows, key=lambda r: -r[3]):  # ids grow with time
        at = now - ago * DAY
        await store.entries.record(
            feed,
            [Entry(feed, key, title, None, "", datetime.fromtimestamp(at, UTC))],
            now=at,
            alertable=lambda e: False,
            decide=lambda e: [Match("none")],
            routing=Routing(),
        )


@pytest.fixture
def rules(tmp_path: Path) -> Path:
    path = tmp_path / "rules.yaml"
    path.write_text(RULES)
    return path


async def test_backtest_counts_each_rule_and_shows_the_latest(db_url: str, rules: Path) -> None:
    async with Store.open(db_url) as store:
        await fill(store, time.time())
    settings = Settings(database_url=db_url, rules_path=str(rules))
    out = io.StringIO()
    assert await cli.backtest_rules(settings, "7d", out, as_json=True) == 0
    found = json.loads(out.getvalue())
    assert found["scanned"] == 4  # the Chilean quake is 20 days old
    by_id = {r["id"]: r for r in found["rules"]}
    assert [r["id"] for r in found["rules"]] == ["quake", "local-parade", "nothing"]
    assert by_id["quake"]["matches"] == 2 and by_id["quake"]["title"] == "Earthquakes & <tremors>"
    assert [x["title"] for x in by_id["quake"]["latest"]] == [HOSTILE, "Quake shakes Tokyo"]
    assert by_id["local-parade"]["matches"] == 1  # the rule's feeds are honoured
    assert by_id["nothing"] == {"id": "nothing", "title": "nothing", "matches": 0, "latest": []}

    out = io.StringIO()
    assert await cli.backtest_rules(settings, "all", out) == 0
    text = out.getvalue()
    assert text.startswith("5 all kept entries\n")
    assert "quake (Earthquakes & <tremors>): 3 matches" in text
    assert "local-parade: 1 match\n" in text and "nothing: 0 matches" in text
    assert "\x1b" not in text and "\x07" not in text  # the terminal gets no escapes


async def test_backtest_command_line(
    tmp_path: Path, rules: Path, monkeypatch: pytest.MonkeyPatch, capsys: pytest.CaptureFixture[str]
) -> None:
    url = f"sqlite:///{tmp_path}/db.sqlite"
    async with Store.open(url) as store:
        await fill(store, time.time())
    monkeypatch.setenv("NEWSBOT_DATABASE_URL", url)
    status = await asyncio.to_thread(
        cli.main, ["backtest", "--rules", str(rules), "--since", "30d"]
    )
    assert status == 0 and "quake (Earthquakes & <tremors>): 3 matches" in capsys.readouterr().out
    status = await asyncio.to_thread(cli.main, ["backtest", "--rules", str(rules), "--since", "x"])
    assert status == 2 and "--since: expected a duration" in capsys.readouterr().err
    await asyncio.to_thread(rules.write_text, "rules:\n  - {id: r, query: 'a AND ('}\n")
    status = await asyncio.to_thread(cli.main, ["backtest", "--rules", str(rules)])
    assert status == 1 and "rules.yaml:2:" in capsys.readouterr().err


async def test_a_scan_out_of_budget_says_it_is_partial(tmp_path: Path) -> None:
    now = time.time()
    async with Store.open(f"sqlite:///{tmp_path}/db.sqlite") as store:
        await fill(store, now)
        ruleset = compile_query("quake OR parade", {})
        matched, scan = await history.count(store.db, ruleset, now - 30 * DAY)
        assert (matched, scan.scanned, scan.complete) == (4, 5, True)  # not Earthquake
        found = await history.scan(store.db, ruleset, max_rows=1, latest=10)
        assert not found.complete and found.scanned == 5  # one page at least
        clock = iter([0.0, 10.0])
        found = await history.scan(store.db, ruleset, max_seconds=1, clock=lambda: next(clock))
        assert not found.complete
        hits, scan = await history.search(store.db, ruleset, limit=2)
        assert [h.title for h in hits] == [HOSTILE, "Parade in Beijing"] and scan.complete
