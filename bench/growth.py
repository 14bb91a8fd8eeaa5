"""A year of news with a fake clock: database size, rows per table and recording time with
retention (30 days) beside retention off, both measured in this run (issue 13).

    PYTHONPATH=. python bench/growth.py                          # the default below
    PYTHONPATH=. python bench/growth.py --feeds 1000 --per-day 50000 --days 365   # full size
    PYTHONPATH=. python bench/growth.py --aging       # does the story index slow with age?

Each simulated day every feed serves one document, polled once: its ``per_day / feeds`` new
entries plus the 20 it served the day before (known: dedup, and ``last_seen`` upkeep), and one
item it serves all year (never alerted again, however old). Entries go through
``EntryStore.record`` as in a poll, with the real story index (48 h window); one chat
subscribes to a rule matching about 2 % of them (``outbox``, ``outbox_items``,
``story_alerts`` grow), and the day's alerts are marked sent. With retention on, the pruner
runs once a simulated day, then SQLite's free pages are given back (``bot.store.space``).

Printed at days 1, 30, 60, 90, 180 and 365 (those within ``--days``): the SQLite file (WAL
checkpointed), rows per table, median and p99 milliseconds to record one poll's document
over the week ending there (wall clock, and the median in this process's CPU time, which
other processes on a shared machine do not inflate), the story assignment time per new
entry (inside those polls), and that day's prune (with giving pages back).

``--aging`` answers one question apart: is a story index that has taken in and dropped
``--days`` of reports (``--per-day`` a day, the window's reports expiring as it goes) slower
than a fresh one holding the same window?  Both assign the same new reports, in alternating
rounds, timed in CPU time; only the index (no database).

The default (``--feeds 50 --per-day 1000 --days 365``: 365,000 entries without retention,
20 new entries per poll) is a fiftieth of the issue's 50,000 a day, to run in about 20
minutes on a shared 2-core machine (10 per run); the full size takes roughly fifty times
as long (``--only retention`` or ``--only off`` runs one of the two, e.g. one per core).
Sizes scale with ``--per-day``; per-poll times with new entries per feed and poll.
"""

from __future__ import annotations

import argparse
import asyncio
import random
import statistics
import sys
import tempfile
import time
from collections import deque
from collections.abc import Iterable
from dataclasses import dataclass, field
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

import sqlalchemy as sa

from bot.models import Entry, FeedSpec, Match, Span
from bot.store import Routing, Store, schema
from bot.store.retention import Pruner, refresh_for
from bot.store.space import release
from bot.story import Report, StoryIndex

DAY = 86400.0
T0 = 1_735_689_600.0  # 2025-01-01 UTC
CHECKPOINTS = (1, 30, 60, 90, 180, 365)
# record times are taken over the polls of the week ending at a checkpoint: one day's polls
# (50 by default) were too few, a checkpoint day could be 40 % off the next
SAMPLE_DAYS = 7
CARRIED = 20  # yesterday's items each document serves again
WINDOW = 48 * 3600.0

SYLLABLES = [c + v for c in "bdfgklmnprstvz" for v in "aeiou"]  # 70
WORDS = [a + b + c for a in SYLLABLES[:40] for b in SYLLABLES[20:60] for c in SYLLABLES[::5]]


@dataclass
class Day:
    record_ms: list[float] = field(default_factory=list)
    record_cpu_ms: list[float] = field(default_factory=list)  # this process's CPU only
    assign_s: float = 0.0
    assigned: int = 0

    @staticmethod
    def merged(days: Iterable[Day]) -> Day:
        """Several days' polls as one sample."""
        out = Day()
        for d in days:
            out.record_ms += d.record_ms
            out.record_cpu_ms += d.record_cpu_ms
            out.assign_s += d.assign_s
            out.assigned += d.assigned
        return out


class TimedIndex:
    """The real story index, timing ``assign`` (what a poll spends on stories).  A wrapper,
    not a subclass: the compiled ``StoryIndex`` (mypyc) takes no interpreted subclasses."""

    def __init__(self, index: StoryIndex) -> None:
        self.index = index
        self.spent = 0.0
        self.calls = 0

    def assign(self, report: Report) -> Any:
        started = time.perf_counter()
        try:
            return self.index.assign(report)
        finally:
            self.spent += time.perf_counter() - started
            self.calls += 1

    def __getattr__(self, name: str) -> Any:
        return getattr(self.index, name)


def headline(rng: random.Random, n: int) -> str:
    return " ".join(rng.choice(WORDS) for _ in range(7)) + f" {n}"


def matches(entry: Entry) -> list[Match]:
    return [Match("watched", (Span("title", 0, 4),))] if entry.key.endswith("7") else []


async def simulate(
    path: Path, feeds: int, per_day: int, days: int, retention: float | None, seed: int
) -> dict[int, dict[str, Any]]:
    rng = random.Random(seed)
    url = f"sqlite:///{path}"
    refresh = refresh_for(retention)
    found: dict[int, dict[str, Any]] = {}
    per_feed = max(1, per_day // feeds)
    async with Store.open(url, seen_refresh=refresh) as store:
        ids = [f"feed{n:04d}" for n in range(feeds)]
        await store.feeds.sync_from_rules([FeedSpec(i, f"http://{i}.example/") for i in ids], T0)
        await store.chats.ensure(1, "private", None, T0)
        await store.chats.subscribe(1, "watched", None, T0)
        routing = Routing({"watched": "Watched"}, flood_threshold=10_000)
        index = TimedIndex(StoryIndex(window=WINDOW))
        pruner = Pruner(store.db, retention, refresh=refresh) if retention else None
        served: dict[str, list[Entry]] = {i: [] for i in ids}
        counter = 0
        recent: deque[Day] = deque(maxlen=SAMPLE_DAYS)
        for day in range(1, days + 1):
            stats = Day()
            recent.append(stats)
            base = T0 + (day - 1) * DAY
            for n, feed in enumerate(ids):
                now = base + n * (DAY / feeds)
                new = []
                for _ in range(per_feed):
                    counter += 1
                    new.append(
                        Entry(
                            feed_id=feed,
                            key=f"{feed}-{counter}",
                            title=headline(rng, counter),
                            link=f"https://{feed}.example/{counter}",
                            summary=" ".join(rng.choice(WORDS) for _ in range(30)),
                            published=datetime.fromtimestamp(now, UTC),
                        )
                    )
                pinned = Entry(feed, f"{feed}-pinned", f"About {feed}", f"https://{feed}.example/")
                document = [pinned, *new, *served[feed][-CARRIED:]]
                served[feed] = new
                index.spent, index.calls = 0.0, 0
                started, cpu = time.perf_counter(), time.process_time()
                await store.entries.record(
                    feed,
                    document,
                    now=now,
                    alertable=lambda e, first=(day == 1): not first,
                    decide=matches,
                    routing=routing,
                    stories=index,
                    window=WINDOW,
                )
                stats.record_ms.append((time.perf_counter() - started) * 1000)
                stats.record_cpu_ms.append((time.process_time() - cpu) * 1000)
                stats.assign_s += index.spent
                stats.assigned += index.calls
            end = base + DAY
            await store.db.write(
                lambda conn, end=end: conn.execute(  # type: ignore[misc]
                    schema.outbox.update()
                    .where(schema.outbox.c.state == "pending")
                    .values(state="sent", sent_at=end)
                )
            )
            prune_s = 0.0
            if pruner is not None:
                started = time.perf_counter()
                await pruner.prune(end)
                await release(store.db)
                prune_s = time.perf_counter() - started
            if day in CHECKPOINTS:
                found[day] = await measure(store, path, Day.merged(recent), prune_s)
                # as it goes, for the hours-long full size: an interrupted run keeps its rows
                print(f"  ({path.stem}) {row(day, found[day])}", file=sys.stderr, flush=True)
    return found


async def measure(store: Store, path: Path, day: Day, prune_s: float) -> dict[str, Any]:
    def checkpoint(conn: sa.Connection) -> None:
        conn.exec_driver_sql("PRAGMA wal_checkpoint(TRUNCATE)").fetchall()

    await store.db.write(checkpoint)
    rows = {}
    async with store.db.read() as conn:
        for name in ("entries", "outbox", "outbox_items", "story_alerts"):
            table = schema.metadata.tables[name]
            query = sa.select(sa.func.count()).select_from(table)
            rows[name] = int((await conn.execute(query)).scalar_one())
    times = sorted(day.record_ms)
    return {
        "size": sum(p.stat().st_size for p in (path, Path(f"{path}-wal")) if p.exists()),
        "rows": rows,
        "median": statistics.median(times),
        "p99": times[min(len(times) - 1, int(len(times) * 0.99))],
        "cpu": statistics.median(day.record_cpu_ms),
        "assign_us": day.assign_s / max(1, day.assigned) * 1e6,
        "prune_s": prune_s,
    }


def table(title: str, found: dict[int, dict[str, Any]]) -> None:
    print(title)
    print(
        f"{'day':>4} {'size MB':>9} {'entries':>10} {'outbox':>8} {'items':>8} {'ledger':>8}"
        f" {'rec p50 ms':>10} {'rec p99 ms':>10} {'cpu p50':>8} {'story us':>9} {'prune s':>8}"
    )
    for day, f in sorted(found.items()):
        print(row(day, f))


def row(day: int, f: dict[str, Any]) -> str:
    r = f["rows"]
    return (
        f"{day:>4} {f['size'] / 1e6:>9.1f} {r['entries']:>10,} {r['outbox']:>8,}"
        f" {r['outbox_items']:>8,} {r['story_alerts']:>8,} {f['median']:>10.2f}"
        f" {f['p99']:>10.2f} {f['cpu']:>8.2f} {f['assign_us']:>9.1f} {f['prune_s']:>8.2f}"
    )


def flat(found: dict[int, dict[str, Any]], key: str) -> str:
    later = [f[key] for d, f in found.items() if d >= 60]
    if len(later) < 2:
        return "n/a"
    return f"{(max(later) / min(later) - 1) * 100:.0f}%"


def aging(per_day: int, days: int, seed: int) -> None:
    """An index aged by ``days`` of churn against a fresh one with the same window."""
    rng = random.Random(seed)

    def reports(first: int, count: int, start: float) -> list[Report]:
        step = DAY / per_day
        return [
            Report(
                first + k,
                headline(rng, first + k),
                " ".join(rng.choice(WORDS) for _ in range(30)),
                start + k * step,
                f"feed{k % 1000}",
                None,
            )
            for k in range(count)
        ]

    def feed(index: StoryIndex, batch: list[Report]) -> None:
        for r in batch:
            index.expire(r.published)
            joined = index.assign(r)
            index.add(r, joined.story if joined is not None else r.id)

    aged, fresh = StoryIndex(window=WINDOW), StoryIndex(window=WINDOW)
    started = time.process_time()
    last: list[Report] = []
    for day in range(days):
        last = (last + (batch := reports(1 + day * per_day, per_day, T0 + day * DAY)))[
            -2 * per_day :
        ]
        feed(aged, batch)
    built = time.process_time() - started
    feed(fresh, last)
    probe = reports(10**9, min(3000, 2 * per_day), last[-1].published + 1)
    best = {"aged": 0.0, "fresh": 0.0}
    for round_ in range(6):  # alternating, best of each: the machine's speed drifts
        order = [("aged", aged), ("fresh", fresh)]
        for name, index in order if round_ % 2 == 0 else order[::-1]:
            started = time.process_time()
            for r in probe:
                index.assign(r)
            best[name] = max(best[name], len(probe) / (time.process_time() - started))
    print(
        f"story index after {days} days of {per_day:,} reports ({built:.0f} s CPU): "
        f"{len(aged):,} reports in the window, {len(aged._postings):,} terms indexed; "
        f"a fresh index of the same window: {len(fresh):,}, {len(fresh._postings):,}"
    )
    print(
        f"assign, entries per CPU second (best of 3 alternating rounds of {len(probe):,}): "
        f"aged {best['aged']:,.0f}, fresh {best['fresh']:,.0f}, "
        f"aged / fresh {best['aged'] / best['fresh']:.3f}"
    )


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--feeds", type=int, default=50)
    parser.add_argument("--per-day", type=int, default=1000, help="new entries a day, all feeds")
    parser.add_argument("--days", type=int, default=365)
    parser.add_argument("--retention-days", type=float, default=30)
    parser.add_argument("--seed", type=int, default=13)
    parser.add_argument("--aging", action="store_true", help="the story index alone, aged vs fresh")
    parser.add_argument(
        "--only",
        choices=("retention", "off"),
        help="one of the two simulations (the full size takes hours each: run them apart)",
    )
    args = parser.parse_args()
    if args.aging:
        aging(args.per_day, args.days, args.seed)
        return
    print(
        f"{args.feeds} feeds, {args.per_day:,} new entries a day, {args.days} days"
        f" (each document: its new entries + {CARRIED} of the day before + one served all year)"
    )
    with tempfile.TemporaryDirectory() as tmp:
        results = {}
        for label, retention in (
            (f"retention {args.retention_days:g} days", args.retention_days * DAY),
            ("retention off", None),
        ):
            if args.only and (retention is None) != (args.only == "off"):
                continue
            started = time.monotonic()
            found = asyncio.run(
                simulate(
                    Path(tmp) / f"{label.replace(' ', '-')}.db",
                    args.feeds,
                    args.per_day,
                    args.days,
                    retention,
                    args.seed,
                )
            )
            results[label] = found
            table(f"\n{label} ({time.monotonic() - started:.0f} s)", found)
            print(
                f"day 60 -> {args.days}: size varies {flat(found, 'size')}, median record time"
                f" {flat(found, 'median')} (CPU time {flat(found, 'cpu')})"
            )


if __name__ == "__main__":
    main()
