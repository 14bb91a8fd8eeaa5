"""The ``newsbot`` command: the only place where errors become messages and exit codes.

newsbot run [--once] [--rules FILE]     poll, match, alert (Telegram, or the terminal)
newsbot check [FILE]                    validate a rules file: exit 0, or 1 with FILE:LINE:COL lines
newsbot match --rules FILE [--explain]  JSON lines {"id","title","summary"} in, matches out
newsbot stories [--explain]             JSON lines {"id","title","summary","published","feed"} in,
                                        {"id","story"} out: which reports are one story
newsbot entities [TEXT] [--json]        built-in people (@id) naming or containing TEXT
newsbot feeds                           feed health table
newsbot status [--json]                 the running instances: roles, feeds polled per minute
newsbot opml import FILE | export       move feed lists in and out
newsbot db upgrade | current            bring the database schema up to date, or show it
newsbot dev-telegram [--port N]         a FAKE Bot API on 127.0.0.1 and a console: chat with the bot
newsbot db stats [--json]               rows and bytes per table, oldest entry, next prune
newsbot backtest --rules FILE [--since 7d]  what each rule would have matched in the kept history
"""

from __future__ import annotations

import argparse
import asyncio
import json
import logging
import os
import sys
import tempfile
import time
from collections.abc import Sequence
from dataclasses import replace
from datetime import UTC, datetime
from typing import Any, TextIO

from bot.config import opml
from bot.config.durations import parse_duration
from bot.errors import ConfigError, NewsbotError, RulesError, StoreError
from bot.feed.entries import SUMMARY_MAX, TITLE_MAX
from bot.feed.links import canonical_link
from bot.logs import protect, quiet_loggers, redact, redacting_excepthooks
from bot.match import people
from bot.models import Entry, FeedState
from bot.pipeline import compile_rules_file
from bot.settings import Settings, redact_url
from bot.store import Routing, Store
from bot.store.db import make_engine, migrate, schema_state
from bot.store.entries import Assigned
from bot.store.retention import refresh_for
from bot.store.single import run_lock_holder, sqlite_file
from bot.store.stats import collect as collect_stats
from bot.store.stats import summary_line as stats_summary
from bot.text import clean_text, excerpt, html_to_text

log = logging.getLogger("bot")

EPILOGS = {
    "run": "example:\n  newsbot run --once --rules rules/example.yaml\n"
    "  TELEGRAM_BOT_TOKEN=123:abc newsbot run",
    "check": "example:\n  newsbot check rules/default.yaml",
    "match": "example:\n"
    '  echo \'{"id": 1, "title": "Kim Jong Un at the Beijing parade", "summary": ""}\' \\\n'
    "    | newsbot match --rules rules/example.yaml --explain",
    "stories": "example:\n  newsbot stories --explain < reports.jsonl\n"
    'input, one JSON object per line, in publication order:\n  {"id": 1, "title": "Putin '
    'arrives in Beijing", "summary": "", "published": "2025-09-02T08:00:00Z", '
    '"feed": "daily"}',
    "entities": "example:\n  newsbot entities            every built-in id\n"
    "  newsbot entities Путина     who a text names (inflected forms too)\n"
    "  newsbot entities --json xi",
    "feeds": "example:\n  newsbot feeds",
    "status": "example:\n  NEWSBOT_DATABASE_URL=postgresql://newsbot@db/newsbot newsbot status",
    "opml": "example:\n  newsbot opml import subscriptions.opml\n"
    "  newsbot opml export > feeds.opml",
    "backtest": "example:\n  newsbot backtest --rules rules/example.yaml --since 30d\n"
    "  newsbot backtest --rules new-rules.yaml --since all --json",
    "db": "example:\n  newsbot db current\n  newsbot db upgrade\n  newsbot db stats --json",
    "dev-telegram": "example:\n  newsbot dev-telegram --port 8081\n"
    "  then, in another terminal, the `newsbot run` line it prints",
}


def _parser() -> argparse.ArgumentParser:
    parser = argparse.ArgumentParser(
        prog="newsbot",
        description="News-monitoring alert bot: polls feeds, matches rules, alerts Telegram chats.",
        epilog="example:\n  newsbot run --once --rules rules/example.yaml",
        formatter_class=argparse.RawDescriptionHelpFormatter,
    )
    _global_options(parser, defaults=True)
    sub = parser.add_subparsers(dest="command", required=True, metavar="COMMAND")
    common = argparse.ArgumentParser(add_help=False)
    _global_options(common, defaults=False)  # the same options after the command, too

    def add(name: str, help_: str) -> argparse.ArgumentParser:
        return sub.add_parser(
            name,
            help=help_,
            description=help_,
            epilog=EPILOGS[name],
            formatter_class=argparse.RawDescriptionHelpFormatter,
            parents=[common],
        )

    run = add(
        "run", "Poll the feeds, match the rules and send alerts (to the terminal without a token)."
    )
    run.add_argument("--once", action="store_true", help="poll every feed once, deliver, exit")
    run.add_argument("--rules", help="rules file (default $NEWSBOT_RULES or rules/default.yaml)")

    check = add("check", "Validate a rules file; print FILE:LINE:COL: message for each problem.")
    check.add_argument("file", nargs="?", metavar="FILE", help="rules file (default as for run)")
    check.add_argument("--rules", dest="rules_opt", metavar="FILE", help="same as FILE")

    match = add(
        "match", 'Match JSON lines {"id", "title", "summary"} from stdin against the rules.'
    )
    match.add_argument("--rules", help="rules file (default as for run)")
    match.add_argument("--explain", action="store_true", help="also print the matched words")

    stories = add(
        "stories",
        "Group JSON-lines reports from stdin into stories, as the bot does; print "
        '{"id", "story"} per line (equal story: the same story).',
    )
    stories.add_argument(
        "--explain", action="store_true", help="say which story each report joined, and why"
    )
    stories.add_argument(
        "--database",
        metavar="URL",
        help="record into this database (its stored stories count) instead of a fresh "
        "temporary one",
    )
    stories.add_argument(
        "--window", metavar="DURATION", help="story window (default $NEWSBOT_STORY_WINDOW or 48h)"
    )

    entities = add(
        "entities",
        "List the built-in people usable as @id in any query: those TEXT names (in any script "
        "or inflected form), or whose id or name contains it; all of them without TEXT.",
    )
    entities.add_argument("text", nargs="*", metavar="TEXT", help="a name, or any text")
    entities.add_argument("--json", action="store_true", help="one JSON object per person")

    backtest = add(
        "backtest",
        "Match a rules file against the entries kept in the database ($NEWSBOT_DATABASE_URL):"
        " per rule, how many it would have matched and the latest few.",
    )
    backtest.add_argument("--rules", help="rules file (default as for run)")
    backtest.add_argument(
        "--since", default="7d", metavar="DURATION", help="how far back (default 7d; all: all kept)"
    )
    backtest.add_argument("--json", action="store_true", help="one JSON object")

    status = add(
        "status",
        "Show the newsbot run instances on the database ($NEWSBOT_DATABASE_URL): which roles "
        "each holds (sender, updates) and how many feeds each polled in the last minute.",
    )
    status.add_argument("--json", action="store_true", help="one JSON object per instance")

    feeds_cmd = add(
        "feeds",
        "Show every feed's health from the database $NEWSBOT_DATABASE_URL: last attempt, "
        "success, new entry, failures, next poll (times in UTC).",
    )
    feeds_cmd.add_argument("--wide", action="store_true", help="show each last error whole")
    feeds_cmd.add_argument("--json", action="store_true", help="one JSON object per feed")

    op = add(
        "opml",
        "Import feeds from an OPML file into the database $NEWSBOT_DATABASE_URL, or export "
        "every feed there as OPML.",
    )
    op_sub = op.add_subparsers(dest="opml_command", required=True, metavar="ACTION")
    imp = op_sub.add_parser(
        "import",
        help="add the OPML file's feeds",
        description="Add the OPML file's feeds to the database $NEWSBOT_DATABASE_URL; each "
        "outline that cannot be used is reported with its line.",
        epilog=EPILOGS["opml"],
        formatter_class=argparse.RawDescriptionHelpFormatter,
    )
    imp.add_argument("file", metavar="FILE", help="an OPML file (e.g. exported by a feed reader)")
    op_sub.add_parser(
        "export",
        help="write every feed as OPML to stdout",
        description="Write every feed of the database $NEWSBOT_DATABASE_URL as OPML to stdout.",
        epilog=EPILOGS["opml"],
        formatter_class=argparse.RawDescriptionHelpFormatter,
    )

    db = add(
        "db",
        "Show or upgrade the database schema ($NEWSBOT_DATABASE_URL, the database `run` uses).",
    )
    db_sub = db.add_subparsers(dest="db_command", required=True, metavar="ACTION")
    for name, help_ in (
        ("upgrade", "bring the schema to this newsbot's revision (create it in an empty database)"),
        ("current", "print the schema revision and whether it is up to date (exit 1 if not)"),
    ):
        db_sub.add_parser(
            name,
            help=help_,
            description=help_,
            epilog=EPILOGS["db"],
            formatter_class=argparse.RawDescriptionHelpFormatter,
        )
    stats_help = "rows and bytes per table, size on disk, oldest entry, what the next prune removes"
    stats = db_sub.add_parser(
        "stats",
        help=stats_help,
        description=stats_help,
        epilog="example:\n  newsbot db stats\n  newsbot db stats --json",
        formatter_class=argparse.RawDescriptionHelpFormatter,
    )
    stats.add_argument("--json", action="store_true", help="one JSON object")
    dev = add(
        "dev-telegram",
        "Try the bot's Telegram side without Telegram: a FAKE Bot API on 127.0.0.1 for newsbot "
        "run, and a console where you chat with the bot as a user.",
    )
    dev.add_argument("--port", type=int, default=8081, help="port on 127.0.0.1 (default 8081)")
    return parser


LOG_LEVELS = ("DEBUG", "INFO", "WARNING", "ERROR", "CRITICAL")
# Libraries whose DEBUG lines drown ours (every SQL statement, every event-loop step): at
# --log-level DEBUG they stay at INFO unless --debug-deps is given.
CHATTY = ("aiosqlite", "asyncio", "sqlalchemy", "asyncpg", "aiohttp", "apscheduler", "telegram")


def _log_level(value: str) -> str:
    level = value.upper()
    if level not in LOG_LEVELS:
        raise argparse.ArgumentTypeError(
            f"invalid log level {value!r} (choose from {', '.join(LOG_LEVELS)})"
        )
    return level


def _global_options(parser: argparse.ArgumentParser, *, defaults: bool) -> None:
    """Options valid before or after the command: given after it, they win (after it their
    default is SUPPRESS, so an absent option does not reset one given before)."""
    parser.add_argument(
        "--log-level",
        type=_log_level,
        metavar="LEVEL",
        default="INFO" if defaults else argparse.SUPPRESS,
        help="DEBUG, INFO, WARNING, ERROR (default INFO)",
    )
    parser.add_argument(
        "--debug-deps",
        action="store_true",
        default=False if defaults else argparse.SUPPRESS,
        help="with --log-level DEBUG, also the libraries' DEBUG lines (SQL, asyncio...)",
    )


def main(argv: Sequence[str] | None = None) -> int:
    args = _parser().parse_args(argv)
    level = getattr(logging, args.log_level)
    logging.basicConfig(
        level=level,
        format="%(asctime)s %(levelname)s %(name)s: %(message)s",
        stream=sys.stderr,
    )
    if level <= logging.DEBUG and not args.debug_deps:
        for name in CHATTY:
            logging.getLogger(name).setLevel(logging.INFO)
    quiet_loggers()
    redacting_excepthooks()
    # python-telegram-bot 22 reports durations (RetryAfter.retry_after) as timedelta when this
    # is set, and warns on every 429 otherwise; our transport reads both forms
    os.environ.setdefault("PTB_TIMEDELTA", "1")
    try:
        settings = Settings.from_env()
        protect(settings.token)
        if getattr(args, "rules", None):
            settings = replace(settings, rules_path=args.rules)
        return _dispatch(args, settings)
    except RulesError as exc:
        for problem in exc.problems:  # FILE:LINE:COL: message
            print(problem, file=sys.stderr)
        return 1
    except (ConfigError, StoreError) as exc:
        print(f"newsbot: {exc}", file=sys.stderr)
        return 2
    except NewsbotError as exc:
        print(f"newsbot: {exc}", file=sys.stderr)
        return 1
    except KeyboardInterrupt:
        return 130
    except Exception as exc:  # a bug: one line, then the (redacted) traceback for the report
        print(
            f"newsbot: unexpected error: {redact(f'{exc.__class__.__name__}: {exc}')}",
            file=sys.stderr,
        )
        log.error("unexpected error", exc_info=True)
        return 70


def _dispatch(args: argparse.Namespace, settings: Settings) -> int:
    if args.command == "run":
        from bot.app import run_forever, run_once  # the bot itself: only this command loads it

        if args.once:
            return asyncio.run(run_once(settings))
        return asyncio.run(run_forever(settings))
    if args.command == "check":
        path = args.file or args.rules_opt or settings.rules_path
        rules = compile_rules_file(path)
        print(
            f"{path}: OK ({len(rules.config.feeds)} feeds, {len(rules.config.rules)} rules, "
            f"{len(rules.config.entities)} entities)"
        )
        return 0
    if args.command == "match":
        return match_lines(settings.rules_path, sys.stdin, sys.stdout, explain=args.explain)
    if args.command == "stories":
        window = settings.story_window
        if args.window:
            window = Settings.from_env({"NEWSBOT_STORY_WINDOW": args.window}).story_window
        return asyncio.run(
            story_lines(
                sys.stdin, sys.stdout, database=args.database, window=window, explain=args.explain
            )
        )
    if args.command == "entities":
        return entity_lines(" ".join(args.text), sys.stdout, as_json=args.json)
    if args.command == "feeds":
        return asyncio.run(_feeds(settings, sys.stdout, wide=args.wide, as_json=args.json))
    if args.command == "status":
        return asyncio.run(_status(settings, sys.stdout, as_json=args.json))
    if args.command == "opml":
        return asyncio.run(_opml(settings, args))
    if args.command == "backtest":
        return asyncio.run(backtest_rules(settings, args.since, sys.stdout, as_json=args.json))
    if args.command == "db" and args.db_command == "stats":
        return asyncio.run(db_stats(settings, sys.stdout, as_json=args.json))
    if args.command == "db":
        return asyncio.run(_db(settings, args.db_command, sys.stdout))
    if args.command == "dev-telegram":
        from bot.devtools import dev_telegram  # the running bot never loads the fake

        return dev_telegram.main(args.port)
    raise AssertionError(args.command)


def entity_lines(text: str, out: TextIO, *, as_json: bool = False) -> int:
    """``newsbot entities``: the built-ins ``text`` finds (all without text); exit 1: none."""
    found = people.find(text) if text.strip() else list(people.people().values())
    for person in found:
        if as_json:
            record = {
                "id": person.id,
                "name": person.name,
                "role": person.role,
                "country": person.country,
                "names": dict(person.names),
            }
            out.write(json.dumps(record, ensure_ascii=False) + "\n")
        elif not text.strip():
            out.write(f"@{person.id:<24} {person.name} ({person.role})\n")
        else:
            out.write(f"@{person.id}  {person.name} ({person.role}, {person.country})\n")
            for lang, spellings in person.names:
                out.write(f"  {lang:<8} {', '.join(spellings)}\n")
    if not as_json:
        what = f"matching {text.strip()!r}" if text.strip() else "built in"
        out.write(f"{len(found)} {'person' if len(found) == 1 else 'people'} {what}\n")
    return 0 if found else 1


def match_lines(rules_path: str, inp: TextIO, out: TextIO, *, explain: bool = False) -> int:
    """The JSON-lines matcher. A bad line gets an error line (with its number) and exit 1."""
    rules = compile_rules_file(rules_path)
    status = 0
    for number, line in enumerate(inp, 1):
        if not line.strip():
            continue
        try:
            item = json.loads(line)
            if not isinstance(item, dict):
                raise ValueError("expected a JSON object")
            title = html_to_text(str(item.get("title") or ""))
            summary = html_to_text(str(item.get("summary") or ""))
        except ValueError as exc:
            print(f"stdin:{number}: invalid input: {exc}", file=sys.stderr)
            out.write(json.dumps({"line": number, "error": str(exc)}) + "\n")
            status = 1
            continue
        feed_id = item.get("feed")
        matches = rules.ruleset.match(title, summary, feed_id if isinstance(feed_id, str) else None)
        result: dict[str, Any] = {"id": item.get("id"), "matches": [m.rule_id for m in matches]}
        if explain:
            text = {"title": title, "summary": summary}
            result["explain"] = {
                m.rule_id: [
                    {
                        "field": s.field,
                        "start": s.start,
                        "end": s.end,
                        "text": text[s.field][s.start : s.end],
                    }
                    for s in m.spans
                ]
                for m in matches
            }
        out.write(json.dumps(result, ensure_ascii=False) + "\n")
        out.flush()
    return status


async def story_lines(
    inp: TextIO,
    out: TextIO,
    *,
    database: str | None = None,
    window: float = 48 * 3600.0,
    explain: bool = False,
) -> int:
    """Reports in, stories out, through the bot's own recording code (``EntryStore.record``
    with the story index), on a fresh temporary SQLite store unless ``database`` is given.
    A bad line gets an error line (with its number) and exit 1; the others go on."""
    with tempfile.TemporaryDirectory(prefix="newsbot-stories-") as tmp:
        url = database or f"sqlite:///{tmp}/stories.db"
        async with Store.open(url) as store:
            return await _stories(store, inp, out, window, explain)


async def _stories(store: Store, inp: TextIO, out: TextIO, window: float, explain: bool) -> int:
    from bot.story import StoryIndex

    index = StoryIndex(window=window)
    names: dict[int, Any] = {}  # story id (its first entry's row) -> the input id that began it
    status = 0
    for number, line in enumerate(inp, 1):
        if not line.strip():
            continue
        try:
            report = read_report(line)
        except ValueError as exc:
            print(f"stdin:{number}: invalid input: {exc}", file=sys.stderr)
            out.write(json.dumps({"line": number, "error": str(exc)}) + "\n")
            status = 1
            continue
        entry, ident = report
        when = entry.published.timestamp() if entry.published else time.time()
        recorded = await store.entries.record(
            entry.feed_id,
            [entry],
            now=when,
            alertable=lambda e: False,
            decide=lambda e: (),
            routing=Routing(),
            stories=index,
            window=window,
        )
        result: dict[str, Any] = {"id": ident}
        if not recorded.stories:  # this feed already had this id: its story stands
            story = await store.entries.story_of(entry.feed_id, entry.key)
            if story is not None and story not in names:
                names[story] = await store.entries.key_of(story)
            result["story"] = names.get(story) if story is not None else None
            if explain:
                result["explain"] = "already recorded: the story it had"
            out.write(json.dumps(result, ensure_ascii=False) + "\n")
            continue
        assigned = recorded.stories[0]
        if assigned.story_id == assigned.entry_id:
            names[assigned.story_id] = ident  # a new story: named after the report that began it
        elif assigned.story_id not in names:  # a story stored before this run (--database)
            names[assigned.story_id] = await store.entries.key_of(assigned.story_id)
        result["story"] = names[assigned.story_id]
        if explain:
            result["explain"] = _explain(assigned, names)
        out.write(json.dumps(result, ensure_ascii=False) + "\n")
        out.flush()
    return status


def read_report(line: str) -> tuple[Entry, Any]:
    """One input line as the entry the bot would record, and the caller's id for it."""
    item = json.loads(line)
    if not isinstance(item, dict):
        raise ValueError("expected a JSON object")
    ident = item.get("id")
    if ident is None or isinstance(ident, (dict, list)):
        raise ValueError('"id" must be a string or a number')
    published = None
    if item.get("published") is not None:
        raw = str(item["published"]).strip()
        try:
            published = datetime.fromisoformat(raw.replace("Z", "+00:00"))
        except ValueError:
            raise ValueError(f'"published": {raw[:40]!r} is not an ISO 8601 time') from None
        if published.tzinfo is None:
            published = published.replace(tzinfo=UTC)
    feed = str(item.get("feed") or "stdin")[:64]
    link = item.get("link")
    return (
        Entry(
            feed_id=feed,
            key=str(ident)[:512],
            title=clean_text(str(item.get("title") or ""), TITLE_MAX),
            link=canonical_link(link) if isinstance(link, str) else None,
            summary=clean_text(str(item.get("summary") or ""), SUMMARY_MAX),
            published=published,
        ),
        ident,
    )


def _explain(assigned: Assigned, names: dict[int, Any]) -> dict[str, Any]:
    story = names.get(assigned.story_id, assigned.story_id)
    if assigned.join is not None:
        j = assigned.join
        return {
            "joined": story,
            "closest": names.get(j.report, j.report),
            "score": round(j.score, 3),
            "shared": list(j.shared),
            "why": j.reason,
        }
    if assigned.same_link:
        return {"joined": story, "why": "same link as an earlier report"}
    return {"new": True, "why": "no story in the window reports the same event"}


def _cut(text: str, width: int) -> str:
    """``text`` whole if it fits, else cut at the last space before ``width``, with "…"."""
    text = " ".join(text.split())
    if len(text) <= width:
        return text
    cut = text.rfind(" ", 0, width)
    return text[: cut if cut > width // 2 else width - 1].rstrip(" ,;:") + "…"


def _iso_or_none(epoch: float | None) -> str | None:
    return None if epoch is None else _iso(epoch)


def _when(epoch: float | None, now: float) -> str:
    if epoch is None:
        return "-"
    delta = epoch - now
    stamp = datetime.fromtimestamp(epoch, UTC).strftime("%Y-%m-%dT%H:%MZ")
    return f"{stamp} ({'in ' if delta > 0 else ''}{_ago(abs(delta))}{'' if delta > 0 else ' ago'})"


def _ago(seconds: float) -> str:
    for unit, size in (("d", 86400), ("h", 3600), ("m", 60)):
        if seconds >= size:
            return f"{int(seconds // size)}{unit}"
    return f"{int(seconds)}s"


OVERDUE_GRACE = 120.0  # seconds past a feed's next poll (and two intervals) before it is late


def overdue(feeds: Sequence[FeedState], now: float) -> list[FeedState]:
    """Feeds whose next poll is long past: the stored health is stale, not good news."""
    return [
        f
        for f in feeds
        if f.next_poll is not None and now - f.next_poll > max(OVERDUE_GRACE, 2 * f.spec.interval)
    ]


def _open_store(settings: Settings) -> Any:
    """The store the running bot uses ($NEWSBOT_DATABASE_URL), opened as it opens it."""
    return Store.open(
        settings.database_url,
        connect_timeout=settings.db_connect_timeout,
        upgrade=settings.auto_upgrade,
    )


def _write_table(rows: Sequence[Sequence[str]], out: TextIO) -> None:
    """Rows as left-aligned columns two spaces apart (the first row is the header)."""
    widths = [max(len(r[k]) for r in rows) for k in range(len(rows[0]))]
    for row in rows:
        out.write("  ".join(c.ljust(w) for c, w in zip(row, widths, strict=True)).rstrip() + "\n")


async def _status(settings: Settings, out: TextIO, *, as_json: bool = False) -> int:
    """``newsbot status``: the live instances (PostgreSQL), or who holds a SQLite file."""
    now = time.time()
    path = sqlite_file(settings.database_url)
    if path is not None:
        holder = run_lock_holder(settings.database_url)
        running = f"running (pid {holder})" if holder else "not running"
        if as_json:
            out.write(json.dumps({"sqlite": str(path), "running_pid": holder}) + "\n")
        else:
            out.write(f"SQLite {path}: one newsbot run at a time; {running}\n")
        return 0
    async with _open_store(settings) as store:
        instances = await store.instances.all()
    live = [i for i in instances if i.live(now)]
    if as_json:
        for i in instances:
            record = {
                "id": i.id,
                "host": i.host,
                "pid": i.pid,
                "started": _iso(i.started),
                "seen": _iso(i.seen),
                "live": i.live(now),
                "roles": list(i.roles),
                "polled_last_minute": i.polled,
            }
            out.write(json.dumps(record) + "\n")
        return 0
    rows = [("INSTANCE", "PID", "UP", "SEEN", "ROLES", "POLLED/MIN")]
    for i in instances:
        up = int(now - i.started)
        seen = f"{max(0, int(now - i.seen))}s ago" + ("" if i.live(now) else " (gone)")
        rows.append(
            (
                i.id,
                str(i.pid),
                f"{up // 3600}h{up % 3600 // 60:02d}m",
                seen,
                ",".join(i.roles) or "-",
                str(i.polled),
            )
        )
    _write_table(rows, out)
    out.write(
        f"{len(live)} live instance{'s' if len(live) != 1 else ''}, "
        f"{len(instances) - len(live)} gone\n"
    )
    return 0


def _iso(epoch: float) -> str:
    return datetime.fromtimestamp(epoch, UTC).isoformat(timespec="seconds")


ERROR_WIDTH = 60  # characters of the last error shown without --wide (cut at a word)


async def _feeds(
    settings: Settings, out: TextIO, *, wide: bool = False, as_json: bool = False
) -> int:
    now = time.time()
    async with _open_store(settings) as store:
        feeds = await store.feeds.all()
    late = overdue(feeds, now)
    if as_json:
        for f in feeds:
            record = {
                "id": f.spec.id,
                "name": f.spec.name,
                "url": f.spec.url,
                "last_attempt": _iso_or_none(f.last_attempt),
                "last_success": _iso_or_none(f.last_success),
                "last_new_entry": _iso_or_none(f.last_new_entry),
                "failures": f.failures,
                "next_poll": _iso_or_none(f.next_poll),
                "overdue": f in late,
                "not_modified_ratio": f.not_modified_ratio,
                "last_error": f.last_error,
            }
            out.write(json.dumps(record, ensure_ascii=False) + "\n")
        return 0
    header = (
        "FEED",
        "LAST ATTEMPT",
        "LAST SUCCESS",
        "LAST NEW",
        "FAILS",
        "NEXT POLL",
        "304",
        "LAST ERROR",
    )
    rows = [header]
    for f in feeds:
        ratio = f.not_modified_ratio
        rows.append(
            (
                f.spec.id,
                _when(f.last_attempt, now),
                _when(f.last_success, now),
                _when(f.last_new_entry, now),
                str(f.failures),
                _when(f.next_poll, now) + (" OVERDUE" if f in late else ""),
                "-" if ratio is None else f"{ratio:.0%}",
                (f.last_error or "") if wide else _cut(f.last_error or "", ERROR_WIDTH),
            )
        )
    if late:
        out.write(
            f"warning: {len(late)} of {len(feeds)} feeds are overdue (the last poll recorded "
            f"{_ago(now - max(f.last_attempt or 0.0 for f in feeds))} ago): is newsbot running, "
            "and can it write to its database (disk full, database unreachable)?\n"
        )
    _write_table(rows, out)
    if not feeds:
        out.write("(no feeds yet: run `newsbot run` once)\n")
    return 0


async def _opml(settings: Settings, args: argparse.Namespace) -> int:
    async with _open_store(settings) as store:
        if args.opml_command == "export":
            feeds = [f.spec for f in await store.feeds.all()]
            sys.stdout.write(opml.export_opml(feeds))
            return 0
        specs, skipped = opml.read_opml_report(args.file)
        for line in skipped:
            print(line, file=sys.stderr)
        taken = {f.spec.id for f in await store.feeds.all(active_only=False)}
        added = 0
        for spec in specs:
            if await store.feeds.find_url([spec.url]):
                continue
            spec = replace(spec, id=opml.unique_id(spec.id, taken))
            taken.add(spec.id)
            if await store.feeds.add(spec, "opml", None, time.time()):
                added += 1
        print(
            f"{args.file}: {added} feeds added, {len(specs) - added} already present, "
            f"{len(skipped)} outlines skipped"
        )
        return 0


async def backtest_rules(
    settings: Settings, since_text: str, out: TextIO, *, as_json: bool = False
) -> int:
    """``newsbot backtest``: what each rule of the rules file would have matched."""
    rules = compile_rules_file(settings.rules_path)  # RulesError: FILE:LINE:COL lines, exit 1
    now = time.time()
    if since_text.strip().lower() == "all":
        since = None
    else:
        try:
            since = now - parse_duration(since_text)
        except ValueError as exc:
            raise ConfigError(f"--since: {exc}") from None
    from bot import history

    async with _open_store(settings) as store:
        found = await history.backtest(store.db, rules.ruleset, since)
    titles = {r.id: r.display_title for r in rules.config.rules}
    if as_json:
        report = {
            "since": None if since is None else _iso(since),
            "scanned": found.scanned,
            "rules": [
                {
                    "id": rule,
                    "title": titles.get(rule, rule),
                    "matches": found.counts.get(rule, 0),
                    "latest": [
                        {
                            "title": f.title,
                            "feed": f.feed_id,
                            "time": _iso(f.when),
                            "link": f.link,
                        }
                        for f in found.latest.get(rule, [])
                    ],
                }
                for rule in rules.ruleset.rule_ids
            ],
        }
        out.write(json.dumps(report, ensure_ascii=False) + "\n")
        return 0
    back = "all kept entries" if since is None else f"entries first seen since {_iso(since)}"
    out.write(f"{found.scanned:,} {back}\n")
    for rule in rules.ruleset.rule_ids:
        n = found.counts.get(rule, 0)
        title = titles.get(rule, rule)
        named = rule if title == rule else f"{rule} ({excerpt(title, 60)})"
        out.write(f"{named}: {n:,} match{'' if n == 1 else 'es'}\n")
        rows = [
            ["", _iso(f.when), excerpt(f.feed_id, 30), excerpt(f.title, 100)]
            for f in found.latest.get(rule, [])
        ]
        if rows:
            _write_table(rows, out)
    return 0


async def db_stats(settings: Settings, out: TextIO, *, as_json: bool = False) -> int:
    """``newsbot db stats``: how big the database is and what the next prune removes."""
    async with Store.open(
        settings.database_url,
        connect_timeout=settings.db_connect_timeout,
        upgrade=settings.auto_upgrade,
        seen_refresh=refresh_for(settings.retention),
    ) as store:
        found = await collect_stats(
            store.db,
            retention=settings.retention,
            refresh=store.entries.seen_refresh,
            now=time.time(),
        )
    if as_json:
        out.write(json.dumps(found.as_json()) + "\n")
        return 0
    out.write(f"{redact_url(settings.database_url)}: {stats_summary(found)}\n")
    rows = [["table", "rows", "bytes"]]
    for name, size in found.tables.items():
        rows.append([name, f"{size.rows:,}", "?" if size.bytes is None else f"{size.bytes:,}"])
    _write_table(rows, out)
    if found.next_prune is not None:
        going = ", ".join(f"{n:,} {table}" for table, n in found.next_prune.items())
        out.write(f"next prune removes: {going}\n")
    return 0


async def _db(settings: Settings, action: str, out: TextIO) -> int:
    """``newsbot db upgrade`` migrates (whatever NEWSBOT_AUTO_UPGRADE says: asking is consent);
    ``newsbot db current`` only reads."""
    where = redact_url(settings.database_url)
    engine = make_engine(settings.database_url, settings.db_connect_timeout)
    try:
        if action == "upgrade":
            done = await migrate(engine, upgrade=True)
            before = done.before
            if before.current is None:
                out.write(f"{where}: schema created at revision {done.after}\n")
            elif done.changed or before.legacy:
                first = " (first release)" if before.legacy else ""
                out.write(
                    f"{where}: schema upgraded from revision {before.current}{first} "
                    f"to {done.after}\n"
                )
            else:
                out.write(f"{where}: schema at revision {done.after}, already up to date\n")
            return 0
        state = await schema_state(engine)
    finally:
        await engine.dispose()
    if state.current is None:
        out.write(
            f"{where}: no newsbot schema yet (this newsbot needs revision {state.head}); "
            "`newsbot db upgrade` or `newsbot run` creates it\n"
        )
        return 1
    if not state.known:
        out.write(
            f"{where}: schema at {state.current}, newer than this newsbot knows "
            f"(it needs {state.head}): upgrade newsbot\n"
        )
        return 1
    if not state.up_to_date:
        first = " (first release)" if state.legacy else ""
        out.write(
            f"{where}: schema at revision {state.current}{first}, out of date (this newsbot "
            f"needs {state.head}): run `newsbot db upgrade`\n"
        )
        return 1
    out.write(f"{where}: schema at revision {state.current}, up to date\n")
    return 0


if __name__ == "__main__":
    sys.exit(main())
