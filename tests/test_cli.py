"""The command line, run as a user runs it: a real subprocess, real files, real SQLite."""

from __future__ import annotations

import json
import os
import re
import signal
import subprocess
import sys
import time
from pathlib import Path

import pytest

from bot.cli import EPILOGS, _parser

ROOT = Path(__file__).resolve().parents[1]


def newsbot(
    *args: str, tmp: Path, stdin: str = "", env: dict[str, str] | None = None, timeout: float = 90
) -> subprocess.CompletedProcess[str]:
    full_env = {k: v for k, v in os.environ.items() if not k.startswith(("TELEGRAM_", "NEWSBOT_"))}
    full_env["NEWSBOT_DATABASE_URL"] = f"sqlite:///{tmp}/cli.db"
    full_env.update(env or {})
    return subprocess.run(
        [sys.executable, "-m", "bot", *args],
        input=stdin,
        capture_output=True,
        text=True,
        cwd=ROOT,
        env=full_env,
        timeout=timeout,
        check=False,
    )


def test_offline_demo_prints_the_parade_alert_once(tmp_path: Path) -> None:
    first = newsbot("run", "--once", "--rules", "rules/example.yaml", tmp=tmp_path)
    assert first.returncode == 0, first.stderr
    # two outlets carry the story (same canonical link): the first listed alerts, once
    assert first.stdout.count("https://wire-asia.example/2025/09/03/beijing-parade-leaders") == 1
    assert "Putin and Kim Jong-un join Xi Jinping on Tiananmen rostrum" in first.stdout
    assert "Matched: Beijing military parade, Putin, Kim and Xi together" in first.stdout
    assert "Kimberly Process" not in first.stdout and "Typhoon" not in first.stdout
    again = newsbot("run", "--once", "--rules", "rules/example.yaml", tmp=tmp_path)
    assert again.returncode == 0 and again.stdout == ""  # a restart re-alerts nothing


def test_check_passes_the_shipped_rules(tmp_path: Path) -> None:
    for path in ("rules/default.yaml", "rules/example.yaml"):
        result = newsbot("check", path, tmp=tmp_path)
        assert result.returncode == 0, result.stderr
        assert "OK" in result.stdout


def test_check_reports_every_problem_with_position(tmp_path: Path) -> None:
    bad = tmp_path / "bad.yaml"
    bad.write_text(
        "feeds:\n"
        "  - {id: a, url: 'ftp://x/', interval: 0.5s}\n"
        "rules:\n"
        "  - id: parade\n"
        "    query: 'parade AND (Beijing'\n"
        "  - {id: parade, query: x}\n"
    )
    result = newsbot("check", "--rules", str(bad), tmp=tmp_path)
    assert result.returncode == 1
    lines = result.stderr.strip().splitlines()
    assert all(re.match(rf"{re.escape(str(bad))}:\d+:\d+: ", line) for line in lines), lines
    text = result.stderr
    assert ":2:" in text and "ftp" in text
    assert ":5:" in text and "parade" in text
    assert ":6:" in text and "duplicate rule id" in text


def test_check_invalid_yaml_and_missing_file(tmp_path: Path) -> None:
    bad = tmp_path / "bad.yaml"
    bad.write_text("feeds: [\n")
    result = newsbot("check", str(bad), tmp=tmp_path)
    assert result.returncode == 1 and f"{bad}:" in result.stderr and "invalid YAML" in result.stderr
    missing = newsbot("check", str(tmp_path / "nope.yaml"), tmp=tmp_path)
    assert missing.returncode == 1 and "cannot read rules file" in missing.stderr


def test_match_json_lines_in_rules_order_with_explain(tmp_path: Path) -> None:
    lines = [
        {
            "id": 1,
            "title": "Putin&#39;s talks with Kim Jong-un in Beijing",
            "summary": "<p>parade</p>",
        },
        {"id": "b", "title": "Kimberly Process", "summary": "paradegoers in Beijing"},
        {"id": 3, "title": "Vučić in Beijing", "summary": ""},
    ]
    stdin = "\n".join(json.dumps(x) for x in lines) + "\nnot json\n"
    result = newsbot(
        "match", "--rules", "rules/example.yaml", "--explain", tmp=tmp_path, stdin=stdin
    )
    assert result.returncode == 1  # one bad line
    out = [json.loads(x) for x in result.stdout.splitlines()]
    assert out[0]["id"] == 1 and out[0]["matches"] == ["parade", "kim"]
    assert {s["text"] for s in out[0]["explain"]["parade"]} == {"Beijing", "parade"}
    assert out[1] == {"id": "b", "matches": [], "explain": {}}
    assert out[2]["matches"] == ["vucic"]
    assert out[3]["line"] == 4 and "error" in out[3]
    assert "stdin:4: invalid input" in result.stderr


def test_feeds_table_and_opml_round_trip(tmp_path: Path) -> None:
    assert newsbot("run", "--once", "--rules", "rules/example.yaml", tmp=tmp_path).returncode == 0
    table = newsbot("feeds", tmp=tmp_path)
    assert table.returncode == 0
    assert table.stdout.splitlines()[0].split()[:2] == ["FEED", "LAST"]
    assert "wire-asia" in table.stdout and "daily-world" in table.stdout
    opml = tmp_path / "in.opml"
    opml.write_text(
        '<?xml version="1.0"?><opml version="2.0"><body>'
        '<outline text="News"><outline text="BBC World" xmlUrl="https://feeds.bbci.co.uk/news/world/rss.xml"/>'
        '<outline text="Not a feed" xmlUrl="javascript:alert(1)"/></outline></body></opml>'
    )
    imported = newsbot("opml", "import", str(opml), tmp=tmp_path)
    assert imported.returncode == 0 and "1 feeds added" in imported.stdout
    again = newsbot("opml", "import", str(opml), tmp=tmp_path)
    assert "0 feeds added" in again.stdout
    exported = newsbot("opml", "export", tmp=tmp_path)
    assert 'xmlUrl="https://feeds.bbci.co.uk/news/world/rss.xml"' in exported.stdout
    assert "wire-asia" in exported.stdout or "Wire Asia" in exported.stdout
    broken = tmp_path / "broken.opml"
    broken.write_text("<opml><body><outline")
    result = newsbot("opml", "import", str(broken), tmp=tmp_path)
    assert result.returncode == 2 and f"{broken}:1:" in result.stderr


def test_bad_environment_is_a_clear_error(tmp_path: Path) -> None:
    result = newsbot("check", "rules/example.yaml", tmp=tmp_path, env={"NEWSBOT_ADMINS": "12,bob"})
    assert result.returncode == 2 and "NEWSBOT_ADMINS" in result.stderr and "'bob'" in result.stderr


def test_every_command_is_documented_with_an_example() -> None:
    parser = _parser()
    subparsers = next(a for a in parser._actions if a.dest == "command")
    commands = set(subparsers.choices)  # type: ignore[union-attr]
    assert commands == set(EPILOGS)
    readme = (ROOT / "README.md").read_text()
    for name in commands:
        assert "example:" in EPILOGS[name]
        assert f"newsbot {name}" in readme, f"README does not document `newsbot {name}`"


def start_running(db: Path) -> subprocess.Popen[str]:
    """``newsbot run`` on the example rules and the SQLite file ``db``, once it says it runs."""
    env = {k: v for k, v in os.environ.items() if not k.startswith(("TELEGRAM_", "NEWSBOT_"))}
    env.update(NEWSBOT_DATABASE_URL=f"sqlite:///{db}", NEWSBOT_RULES="rules/example.yaml")
    proc = subprocess.Popen(
        [sys.executable, "-m", "bot", "run"],
        cwd=ROOT,
        env=env,
        stdout=subprocess.PIPE,
        stderr=subprocess.PIPE,
        text=True,
    )
    assert proc.stderr is not None
    deadline = time.monotonic() + 60
    lines = []
    while time.monotonic() < deadline:
        line = proc.stderr.readline()
        lines.append(line)
        if "newsbot running" in line or not line:
            break
    if not any("newsbot running" in x for x in lines):
        proc.kill()
        proc.communicate()
        raise AssertionError("".join(lines))
    return proc


def test_sigterm_stops_the_bot_cleanly(tmp_path: Path) -> None:
    proc = start_running(tmp_path / "run.db")
    try:
        proc.send_signal(signal.SIGTERM)
        _, err = proc.communicate(timeout=30)
    finally:
        if proc.poll() is None:
            proc.kill()
            proc.communicate()
    assert proc.returncode == 0, err
    assert "stopping" in err


def test_a_second_run_on_the_same_sqlite_file_is_refused(tmp_path: Path) -> None:
    """Issue 11, item 7: SQLite serves one instance; the second exits at once, the first
    keeps running (and a killed holder never blocks the next run)."""
    first = start_running(tmp_path / "run.db")
    same = {"NEWSBOT_DATABASE_URL": f"sqlite:///{tmp_path}/run.db"}
    try:
        for args in (["run"], ["run", "--once"]):
            second = newsbot(*args, tmp=tmp_path, env=same)
            assert second.returncode == 2, second.stderr
            assert f"another newsbot (pid {first.pid}) is already running" in second.stderr
            assert "PostgreSQL" in second.stderr
        assert first.poll() is None  # the first one is untouched
        status = newsbot("status", tmp=tmp_path, env=same)
        assert status.returncode == 0 and f"running (pid {first.pid})" in status.stdout
        first.kill()  # SIGKILL: the kernel drops the lock with the process
        first.communicate(timeout=30)
        again = newsbot("run", "--once", "--rules", "rules/example.yaml", tmp=tmp_path, env=same)
        assert again.returncode == 0, again.stderr
    finally:
        if first.poll() is None:
            first.kill()
            first.communicate()


@pytest.mark.parametrize("command", sorted(EPILOGS))
def test_help_shows_an_example(command: str, tmp_path: Path) -> None:
    result = newsbot(command, "--help", tmp=tmp_path)
    assert result.returncode == 0 and "example:" in result.stdout


REPORTS = [
    {
        "id": "dw-1",
        "title": "Putin arrives in Beijing for Victory Day military parade",
        "summary": "Russian President Vladimir Putin arrived in Beijing on Tuesday for the parade.",
        "published": "2025-09-02T08:00:00Z",
        "feed": "daily-world",
    },
    {
        "id": "eg-7",
        "title": "Putin lands in Beijing ahead of the Victory Day military parade",
        "summary": "Vladimir Putin landed in Beijing, where he will watch the military parade.",
        "published": "2025-09-02T09:10:00+00:00",
        "feed": "evening-gazette",
    },
    {
        "id": "mp-3",
        "title": "Afghanistan earthquake kills 800 in Kunar province",
        "summary": "A magnitude 6.0 earthquake struck eastern Afghanistan overnight.",
        "published": "2025-09-02T10:00:00Z",
        "feed": "morning-post",
    },
]


def test_stories_groups_json_lines_with_the_bots_own_code(tmp_path: Path) -> None:
    lines = [json.dumps(r) for r in REPORTS]
    lines.insert(2, '{"id": "bad", "published": "yesterday"}')
    done = newsbot("stories", "--explain", tmp=tmp_path, stdin="\n".join(lines) + "\n")
    assert done.returncode == 1  # the bad line; the others went on
    assert "stdin:3: invalid input" in done.stderr and "not an ISO 8601 time" in done.stderr
    out = [json.loads(line) for line in done.stdout.splitlines()]
    assert [o.get("id") for o in out] == ["dw-1", "eg-7", None, "mp-3"]
    assert out[0]["story"] == out[1]["story"] == "dw-1" and out[3]["story"] == "mp-3"
    assert out[0]["explain"]["new"] is True
    joined = out[1]["explain"]
    assert joined["joined"] == "dw-1" and "beijing" in joined["shared"] and joined["score"] > 0
    assert out[2] == {"line": 3, "error": out[2]["error"]}
    assert not (tmp_path / "cli.db").exists()  # a fresh temporary store, not the bot's


def test_stories_with_a_database_keeps_its_stories_between_runs(tmp_path: Path) -> None:
    db = f"sqlite:///{tmp_path}/stories.db"
    first = newsbot("stories", "--database", db, tmp=tmp_path, stdin=json.dumps(REPORTS[0]))
    assert first.returncode == 0, first.stderr
    later = newsbot("stories", "--database", db, tmp=tmp_path, stdin=json.dumps(REPORTS[1]) + "\n")
    assert later.returncode == 0, later.stderr
    (result,) = [json.loads(line) for line in later.stdout.splitlines()]
    assert result["id"] == "eg-7" and result["story"] != "eg-7"  # joined the stored story


@pytest.mark.parametrize(
    "args",
    [
        ["--log-level", "DEBUG", "check", "rules/example.yaml"],
        ["check", "rules/example.yaml", "--log-level", "DEBUG"],
        ["check", "--log-level", "debug", "rules/example.yaml"],
    ],
)
def test_global_options_work_before_or_after_the_command(args: list[str], tmp_path: Path) -> None:
    """Issue 12, item 1: `newsbot run --log-level DEBUG` was `unrecognized arguments`."""
    result = newsbot(*args, tmp=tmp_path)
    assert result.returncode == 0, result.stderr
    assert "rules/example.yaml: OK" in result.stdout


def test_a_bad_log_level_is_an_error_not_info(tmp_path: Path) -> None:
    result = newsbot("check", "rules/example.yaml", "--log-level", "LOUD", tmp=tmp_path)
    assert result.returncode == 2
    assert "invalid log level 'LOUD'" in result.stderr


def test_debug_keeps_the_libraries_debug_lines_out_unless_asked(tmp_path: Path) -> None:
    quiet = newsbot("feeds", "--log-level", "DEBUG", tmp=tmp_path)
    assert quiet.returncode == 0, quiet.stderr
    assert "DEBUG aiosqlite" not in quiet.stderr and "DEBUG asyncio" not in quiet.stderr
    loud = newsbot("feeds", "--log-level", "DEBUG", "--debug-deps", tmp=tmp_path)
    assert "DEBUG aiosqlite" in loud.stderr or "DEBUG asyncio" in loud.stderr, loud.stderr


def test_help_names_arguments_and_databases(tmp_path: Path) -> None:
    """Issue 12, item 2: `check --help` showed RULES_OPT and `opml import --help` a bare `file`;
    feeds and opml now say which database they use."""
    check = newsbot("check", "--help", tmp=tmp_path).stdout
    assert "RULES_OPT" not in check and "--rules FILE" in check
    imp = newsbot("opml", "import", "--help", tmp=tmp_path).stdout
    assert "FILE        an OPML file" in imp and "$NEWSBOT_DATABASE_URL" in imp
    for command in ("feeds", "opml"):
        assert "$NEWSBOT_DATABASE_URL" in newsbot(command, "--help", tmp=tmp_path).stdout


def test_feeds_shows_utc_iso_times_whole_errors_on_request_and_json(tmp_path: Path) -> None:
    """Issue 12, item 6: times had no year or zone; the last error was cut mid-word."""
    from bot.cli import _cut

    long = "Cannot connect to host feeds.example.org:443 ssl:default [Connection refused] again"
    assert _cut(long, 60) == "Cannot connect to host feeds.example.org:443 ssl:default…"
    assert _cut("short error", 60) == "short error"
    assert newsbot("run", "--once", "--rules", "rules/example.yaml", tmp=tmp_path).returncode == 0
    table = newsbot("feeds", tmp=tmp_path).stdout
    assert re.search(r"\d{4}-\d\d-\d\dT\d\d:\d\dZ \(\d+s ago\)", table), table
    records = [json.loads(x) for x in newsbot("feeds", "--json", tmp=tmp_path).stdout.splitlines()]
    assert {r["id"] for r in records} == {"wire-asia", "daily-world"}
    assert records[0]["last_attempt"].endswith("+00:00") and records[0]["overdue"] is False
    assert newsbot("feeds", "--wide", tmp=tmp_path).returncode == 0
