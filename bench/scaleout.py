"""Scale-out benchmark (issue 11): 1, 2 and 3 ``newsbot run`` processes on one PostgreSQL database.

    python bench/scaleout.py                          # 200 feeds, 40 chats, 1,2,3 instances
    python bench/scaleout.py --feeds 400 --instances 1,3 --database postgresql://...

For each instance count, a fresh database (CREATE DATABASE, dropped afterwards) and that many
real ``python -m bot run`` processes (env as tests/e2e/test_three_instances.py sets it) polling
--feeds feeds of the local feed server (tests/feed/server.py, in this process) every --interval
seconds, delivering to the fake Bot API (bot.devtools.fakebotapi, in this process). One rule,
``parade``; --chats private chats subscribed to it. Measured, each in the same run:

  (a) full round: every feed answers 200 with 20 new items (the first poll of a feed records
      them and alerts no one). Time from the first feed request to every feed requested and its
      state written (``feeds.polls >= 1``, read every 0.2 s); feeds / that time. The start-up
      (spawn to the first feed request) is printed apart.
  (b) 304 round: then every feed answers 304 (same ETag). Over a steady --window seconds, the
      304s answered by the feed server per second = feeds polled per second; a whole 304 round
      is --feeds / that rate. Bot CPU (instances and their parser workers, psutil) per poll,
      and PostgreSQL's: its backends serving the benchmark's database, per poll.
  (c) database round-trips per polled feed: ``xact_commit + xact_rollback`` of the benchmark's
      database in ``pg_stat_database``, before and after the window (read over a connection to
      another database), / feeds polled in it. This counts *transactions* of every instance
      (claims, lease renewals, state writes, releases, heartbeats, role checks, the sender's
      outbox reads...), not statements; a transaction is at least one round-trip. The bot's
      engine has ``pool_pre_ping`` on PostgreSQL: every connection checkout first runs a ping
      that is a transaction of its own (claims and releases run on kept connections without
      one, one statement each). Backends
      report their counters at most once a second (up to 10 s late when idle), so each end of
      the window may be off by about a second's worth.
  (d) alerts/s: --fresh feeds (the next ones to be claimed) publish one matching item each, so
      --fresh x --chats alerts are due at once; sendMessage calls/s as the fake receives them,
      between the 10th and the 90th percentile of the sends (ramp-up and tail left out), beside
      Telegram's 30/s ceiling (the bot's own limiter allows 30 per 1.04 s = 28.8/s).
  (e) failover, with the largest instance count: --fresh more feeds publish; once a quarter of
      their alerts are sent, SIGKILL the instance whose ``instances.roles`` holds ``sender``
      (at a moment it holds feed leases, if that comes within 3 s). Time from the kill to the
      next sendMessage at the fake, and to the first new request for each feed the killed
      instance had leased (``feeds.lease_owner``); then every alert must arrive.
  (f) the limit: the 1-instance figures (first count given) are the baseline of the others,
      printed as ratios; CPU count and load are printed, since the bots, this process (feed
      server and fake API) and PostgreSQL all share the machine's cores.
  (g) beside the first figure, right after it (--no-beside skips these): the same workload
      through one instance on SQLite (its in-memory schedule, states written in batches:
      bench/polling.py's path), (a) and (b) only; and two floors, nothing else running: the
      database work alone (``FeedStore.claim`` + ``release_many``, the instances' own
      statements, for --feeds feeds in claims of a refill's size, no HTTP, no bot: feeds/s and
      CPU per feed of the client and of PostgreSQL) and the HTTP client alone (plain aiohttp
      conditional GETs to the same feed server from a process of its own, the bot's
      connection limits). Issue 11 asks one instance's 304 round within 10 % of the SQLite
      path: the database floor's CPU per feed, set beside the SQLite instance's CPU per poll,
      shows what that margin has to pay for on these cores.

Also checked: no feed requested twice within 0.4 x interval (two instances on one due time),
every (chat, item) alert delivered, repeats counted, ERROR/Traceback lines in the bots' logs.

Runs, with their dates and machine notes: bench/RESULTS.md.
"""

from __future__ import annotations

import argparse
import asyncio
import itertools
import os
import signal
import sys
import tempfile
import time
import uuid
from collections import Counter
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import psutil
import sqlalchemy as sa
from aiohttp import web
from sqlalchemy.ext.asyncio import AsyncEngine, create_async_engine

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT))

from bot.store import Store  # noqa: E402
from tests.delivery.conftest import most_in_window  # noqa: E402

# The sender's limiter lets 30 sends out per 1.04 s; the fake stamps each request when its
# handler runs, in this busy process, so arrivals may bunch by up to about this much (the
# tolerance tests/e2e/test_three_instances.py uses too). 30 per 1.04 s seen through it is at
# most 30 in any 1.04 - JITTER s; "in any 1 s" may then show a few more than 30.
JITTER = 0.15
from bot.devtools.fakebotapi import FakeBotAPI  # noqa: E402
from tests.e2e.harness import TOKEN, rss, stop_processes  # noqa: E402
from tests.feed.server import FeedServer  # noqa: E402

ITEMS = 20  # items per feed in the full round
CEILING = 30.0  # Telegram: 30 messages per second overall
MARKER = "Parade number "


class Timeout(Exception):
    pass


async def wait_until(pred: Any, within: float, what: str, every: float = 0.1) -> float:
    """Wait until ``pred()`` (sync or async) holds; the monotonic time it did."""
    deadline = time.monotonic() + within
    while True:
        got = pred()
        if asyncio.iscoroutine(got):
            got = await got
        if got:
            return time.monotonic()
        if time.monotonic() > deadline:
            raise Timeout(f"timed out after {within:.0f} s waiting for {what}")
        await asyncio.sleep(every)


# ---------------------------------------------------------------------------- feeds


@dataclass
class Feeds:
    """The feed server's routes, with every request's time and status recorded."""

    server: FeedServer
    count: int
    hits: dict[int, list[tuple[float, int]]] = field(default_factory=dict)

    def serve(self, n: int, items: list[tuple[str, str, str]], etag: str) -> None:
        self.server.body(f"/f{n}", rss(items, title=f"Feed {n}"), etag=etag)
        inner = self.server.routes[f"/f{n}"]

        async def timed(request: web.BaseRequest) -> web.StreamResponse:
            resp = await inner(request)
            self.hits.setdefault(n, []).append((time.monotonic(), resp.status))
            return resp

        self.server.routes[f"/f{n}"] = timed

    def old(self, n: int) -> None:
        items = [
            (f"old-{n}-{i}", f"Weather report {i} from feed {n}", "Calm.") for i in range(ITEMS)
        ]
        self.serve(n, items, f'"old-{n}"')

    def publish(self, n: int, item: int) -> None:
        items = [(f"fresh-{n}-{item}", f"{MARKER}{item} announced", f"Item {item}.")]
        items += [
            (f"old-{n}-{i}", f"Weather report {i} from feed {n}", "Calm.") for i in range(ITEMS)
        ]
        self.serve(n, items, f'"fresh-{n}-{item}"')

    def requested(self, after: float = 0.0, status: int | None = None) -> int:
        return sum(
            1
            for hits in self.hits.values()
            for t, s in hits
            if t > after and (status is None or s == status)
        )

    def first_request(self) -> float | None:
        return min((h[0][0] for h in self.hits.values() if h), default=None)

    def doubles(self, interval: float) -> int:
        """Requests of one feed closer than 0.4 x interval to the previous one."""
        return sum(
            1
            for hits in self.hits.values()
            for (a, _), (b, _) in itertools.pairwise(hits)
            if b - a < 0.4 * interval
        )


def rules_text(url: str, count: int, interval: float) -> str:
    feeds = "\n".join(
        f'  - {{id: f{n}, name: Feed {n}, url: "{url}/f{n}", interval: {interval:g}s}}'
        for n in range(count)
    )
    return f"feeds:\n{feeds}\nrules:\n  - {{id: parade, title: Parade, query: 'parade'}}\n"


def alert_sends(api: FakeBotAPI, chats: set[int]) -> list[tuple[int, int, float]]:
    """(chat, item, arrival) of every alert sendMessage to a benchmark chat."""
    out = []
    for c in api.calls_of("sendMessage"):
        text = str(c.params.get("text", ""))
        if MARKER in text and int(c.params["chat_id"]) in chats:
            out.append((int(c.params["chat_id"]), int(text.split(MARKER, 1)[1].split()[0]), c.at))
    return out


# ---------------------------------------------------------------------------- database


async def admin(base: str, sql: str) -> None:
    engine = create_async_engine(asyncpg_url(base), isolation_level="AUTOCOMMIT")
    try:
        async with engine.connect() as conn:
            await conn.execute(sa.text(sql))
    finally:
        await engine.dispose()


def asyncpg_url(url: str) -> str:
    return url.replace("postgresql://", "postgresql+asyncpg://", 1)


async def transactions(stats: AsyncEngine, name: str) -> int:
    """xact_commit + xact_rollback of database ``name`` (read from another database)."""
    async with stats.connect() as conn:
        row = await conn.execute(
            sa.text("SELECT xact_commit + xact_rollback FROM pg_stat_database WHERE datname = :n"),
            {"n": name},
        )
        return int(row.scalar_one())


async def scalar(engine: AsyncEngine, sql: str, **params: Any) -> Any:
    async with engine.connect() as conn:
        return (await conn.execute(sa.text(sql), params)).scalar()


async def rows(engine: AsyncEngine, sql: str, **params: Any) -> list[Any]:
    async with engine.connect() as conn:
        return list((await conn.execute(sa.text(sql), params)).all())


# ---------------------------------------------------------------------------- one run


@dataclass
class Result:
    instances: int
    sqlite: bool = False  # one instance on SQLite (its in-memory schedule), the same workload
    startup_s: float = 0.0
    full_s: float = 0.0
    steady_rate: float = 0.0
    steady_polls: int = 0
    xacts: int = 0
    cpu_ms: float = 0.0
    pg_cpu_ms: float = 0.0  # PostgreSQL's backends for this database, CPU per polled feed
    alert_rate: float = 0.0
    alert_total_s: float = 0.0
    alert_first_s: float = 0.0
    alerts: int = 0
    doubles: int = 0
    peak: int = 0  # most sendMessage calls in any 1 s at the fake
    peak_jitter: int = 0  # most in any 1.04 - JITTER s: the limiter's window seen through jitter
    repeats: int = 0
    errors: int = 0
    load: tuple[float, float] = (0.0, 0.0)
    failover: dict[str, Any] = field(default_factory=dict)


def bot_cpu(procs: list[asyncio.subprocess.Process]) -> float:
    """CPU seconds used so far by the instances and their children (parser workers)."""
    total = 0.0
    for p in procs:
        try:
            ps = psutil.Process(p.pid)
            for q in [ps, *ps.children(recursive=True)]:
                t = q.cpu_times()
                total += t.user + t.system
        except psutil.Error:
            pass
    return total


async def backends(stats: AsyncEngine, name: str) -> list[int]:
    """The pids of PostgreSQL's backends serving database ``name``."""
    async with stats.connect() as conn:
        got = await conn.execute(
            sa.text("SELECT pid FROM pg_stat_activity WHERE datname = :n"), {"n": name}
        )
        return [int(pid) for (pid,) in got]


def cpu_of(pids: list[int]) -> dict[int, float]:
    """CPU seconds used so far by each of ``pids`` (those still there)."""
    out = {}
    for pid in pids:
        try:
            t = psutil.Process(pid).cpu_times()
            out[pid] = t.user + t.system
        except psutil.Error:
            pass
    return out


async def run(
    args: argparse.Namespace, count: int, failover: bool, tmp: Path, *, sqlite: bool = False
) -> Result:
    res = Result(count, sqlite=sqlite, load=(os.getloadavg()[0], 0.0))
    name = f"newsbot_bench_{uuid.uuid4().hex[:10]}"
    head = args.database.rpartition("/")[0]
    url = f"sqlite:///{tmp}/{name}.db" if sqlite else f"{head}/{name}"
    if not sqlite:
        await admin(args.database, f'CREATE DATABASE "{name}"')
    stats = create_async_engine(asyncpg_url(args.database), isolation_level="AUTOCOMMIT")
    db = (
        create_async_engine(f"sqlite+aiosqlite:///{tmp}/{name}.db")
        if sqlite
        else create_async_engine(asyncpg_url(url), isolation_level="AUTOCOMMIT")
    )
    procs: list[asyncio.subprocess.Process] = []
    logs = [tmp / f"{name}-{i}.log" for i in range(count)]
    chats = {1000 + n for n in range(args.chats)}
    try:
        async with FeedServer() as server, FakeBotAPI(token=TOKEN) as api:
            feeds = Feeds(server, args.feeds)
            for n in range(args.feeds):
                feeds.old(n)
            rules = tmp / f"{name}.yaml"
            rules.write_text(rules_text(server.url("").rstrip("/"), args.feeds, args.interval))
            async with Store.open(url) as store:  # the schema, and the chats subscribed
                now = time.time()
                for chat in sorted(chats):
                    await store.chats.ensure(chat, "private", None, now)
                    await store.chats.subscribe(chat, "parade", None, now)
            env = {
                k: v for k, v in os.environ.items() if not k.startswith(("TELEGRAM_", "NEWSBOT_"))
            }
            env.update(
                TELEGRAM_BOT_TOKEN=TOKEN,
                TELEGRAM_API_URL=api.url,
                NEWSBOT_DATABASE_URL=url,
                NEWSBOT_RULES=str(rules),
                NEWSBOT_STORIES="0",
                PYTHONPATH=str(ROOT),
            )
            spawned = time.monotonic()
            for log in logs:
                with log.open("w") as err:
                    procs.append(
                        await asyncio.create_subprocess_exec(
                            sys.executable, "-m", "bot", "run",
                            env=env, cwd=ROOT, stdout=asyncio.subprocess.DEVNULL, stderr=err,
                        )
                    )  # fmt: skip

            # (a) the full round
            async def all_polled() -> bool:
                for p, log in zip(procs, logs, strict=True):
                    if p.returncode is not None:  # its log goes with the temporary directory
                        tail = log.read_text().splitlines()[-40:]
                        raise RuntimeError(
                            f"an instance exited ({p.returncode}); its log ends:\n"
                            + "\n".join(tail)
                        )
                return await scalar(db, "SELECT count(*) FROM feeds WHERE polls >= 1") >= args.feeds

            done = await wait_until(all_polled, 180, "every feed polled once", every=0.2)
            first = feeds.first_request() or spawned
            res.startup_s = first - spawned
            res.full_s = done - first

            # (b), (c) the steady 304 window
            await asyncio.sleep(2.0)
            pids = [] if sqlite else await backends(stats, name)
            pg0 = cpu_of(pids)
            x0 = 0 if sqlite else await transactions(stats, name)
            cpu0, t0 = bot_cpu(procs), time.monotonic()
            await asyncio.sleep(args.window)
            t1, cpu1 = time.monotonic(), bot_cpu(procs)
            x1 = 0 if sqlite else await transactions(stats, name)
            pg1 = cpu_of(pids)
            polled = sum(1 for h in feeds.hits.values() for t, _ in h if t0 < t <= t1)
            not_304 = polled - sum(
                1 for h in feeds.hits.values() for t, s in h if t0 < t <= t1 and s == 304
            )
            if not_304:
                print(f"  note: {not_304} requests in the 304 window were not answered 304")
            res.steady_polls = polled
            res.steady_rate = polled / (t1 - t0)
            res.xacts = x1 - x0
            res.cpu_ms = (cpu1 - cpu0) / max(1, polled) * 1000
            pg_used = sum(t - pg0[pid] for pid, t in pg1.items() if pid in pg0)
            res.pg_cpu_ms = pg_used / max(1, polled) * 1000
            if not sqlite:  # (d) and (e): PostgreSQL's runs only
                await alerts_and_failover(res, db, feeds, api, chats, procs, args, count, failover)

            counts = Counter((c, i) for c, i, _ in alert_sends(api, chats))
            res.repeats = sum(v - 1 for v in counts.values() if v > 1)
            res.doubles = feeds.doubles(args.interval)
            sends = [c.at for c in api.calls_of("sendMessage")]
            res.peak = most_in_window(sends, 1.0)
            res.peak_jitter = most_in_window(sends, 1.04 - JITTER)
            res.load = (res.load[0], os.getloadavg()[0])
            # while the servers still answer: the instances' last polls end cleanly
            await stop_processes(procs, grace=20)
    finally:
        await stop_processes(procs, grace=20)
        for engine in (db, stats):
            await engine.dispose()
        if not sqlite:
            await admin(args.database, f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)')
    bad = [
        (log.name, n, lines)
        for log in logs
        for lines in [log.read_text().splitlines()]
        for n, line in enumerate(lines)
        if " ERROR " in line
    ]
    res.errors = len(bad)
    for where, n, lines in bad[:3]:  # what they were, not only how many
        print(f"    {where}:", *(line[:300] for line in lines[n : n + 40]), sep="\n      ")
    return res


async def alerts_and_failover(
    res: Result,
    db: AsyncEngine,
    feeds: Feeds,
    api: FakeBotAPI,
    chats: set[int],
    procs: list[asyncio.subprocess.Process],
    args: argparse.Namespace,
    count: int,
    failover: bool,
) -> None:
    """(d) alerts against the ceiling, then (e) failover (``failover``)."""
    item = itertools.count()
    batch = await publish_next(db, feeds, args.fresh, count, item)
    expect = {(chat, i) for chat in chats for i in batch}
    published = time.monotonic()

    def delivered(want: set[tuple[int, int]]) -> bool:
        return want <= {(c, i) for c, i, _ in alert_sends(api, chats)}

    await wait_until(lambda: delivered(expect), 120, "the alerts delivered")
    times = sorted(t for c, i, t in alert_sends(api, chats) if i in batch)
    lo, hi = times[len(times) // 10], times[(len(times) * 9) // 10]
    res.alerts = len(expect)
    res.alert_rate = ((len(times) * 9) // 10 - len(times) // 10) / (hi - lo)
    res.alert_total_s = times[-1] - published
    res.alert_first_s = times[0] - published

    # (e) failover
    if failover:
        res.failover = await kill_sender(db, feeds, api, chats, procs, args, count, item)


async def publish_next(
    db: AsyncEngine, feeds: Feeds, k: int, count: int, item: itertools.count[int]
) -> list[int]:
    """Make the k feeds next in the claim order (past the ones about to be claimed) publish one
    matching item each; the items' numbers."""
    ids = await rows(
        db,
        "SELECT id FROM feeds WHERE active AND lease_owner IS NULL"
        " ORDER BY next_poll ASC NULLS FIRST, id OFFSET :skip LIMIT :k",
        skip=8 * count,
        k=k,
    )
    items = []
    for (feed_id,) in ids:
        i = next(item)
        feeds.publish(int(feed_id[1:]), i)
        items.append(i)
    return items


async def kill_sender(
    db: AsyncEngine,
    feeds: Feeds,
    api: FakeBotAPI,
    chats: set[int],
    procs: list[asyncio.subprocess.Process],
    args: argparse.Namespace,
    count: int,
    item: itertools.count[int],
) -> dict[str, Any]:
    batch = await publish_next(db, feeds, args.fresh, count, item)
    expect = {(chat, i) for chat in chats for i in batch}

    def sent() -> int:
        return sum(1 for _, i, _ in alert_sends(api, chats) if i in batch)

    await wait_until(lambda: sent() >= len(expect) // 4, 120, "a quarter of the alerts sent")
    found = await rows(db, "SELECT id, pid, roles FROM instances")
    sender = [(iid, pid) for iid, pid, roles in found if "sender" in roles.split(",")]
    if len(sender) != 1:
        raise RuntimeError(f"expected one sender in `instances`, found {found}")
    victim_id, victim_pid = sender[0]
    victim = next(p for p in procs if p.pid == victim_pid)
    leased: list[tuple[str, float]] = []
    deadline = time.monotonic() + 3.0
    while time.monotonic() < deadline:  # a moment the victim holds feed leases
        leased = [
            (r[0], r[1])
            for r in await rows(
                db, "SELECT id, lease_until FROM feeds WHERE lease_owner = :o", o=victim_id
            )
        ]
        if leased:
            break
        await asyncio.sleep(0.01)
    victim.send_signal(signal.SIGKILL)
    killed, killed_wall = time.monotonic(), time.time()
    # what it still held when it died: a release it had under way may have ended between the
    # read above and the kill (those feeds were its to give back, and are due again)
    await victim.wait()
    held = {
        r[0] for r in await rows(db, "SELECT id FROM feeds WHERE lease_owner = :o", o=victim_id)
    }
    leased = [(f, until) for f, until in leased if f in held]
    pending = len(expect) - sent()
    before = [c.at for c in api.calls_of("sendMessage") if killed - 1.0 <= c.at <= killed]
    if pending == 0:  # too few alerts for the parameters: all went before the kill
        raise RuntimeError("no alert pending at the kill: raise --fresh or --chats")
    await wait_until(
        lambda: any(c.at > killed for c in api.calls_of("sendMessage")), 60, "a send after the kill"
    )
    next_send = min(c.at for c in api.calls_of("sendMessage") if c.at > killed)

    def back(feed_id: str) -> float | None:
        return next((t for t, _ in feeds.hits.get(int(feed_id[1:]), []) if t > killed), None)

    if leased:
        await wait_until(
            lambda: all(back(f) is not None for f, _ in leased), 60, "the killed one's feeds again"
        )
    await wait_until(lambda: expect <= {(c, i) for c, i, _ in alert_sends(api, chats)}, 120,
                     "every alert after the kill")  # fmt: skip
    survivors = await rows(db, "SELECT pid, roles FROM instances WHERE pid <> :p", p=victim_pid)
    return {
        "items": batch,
        "pending": pending,
        "send_s": next_send - killed,
        "feeds": [(f, back(f) - killed, until - killed_wall) for f, until in leased],  # type: ignore[operator]
        "all_s": max(t for _, i, t in alert_sends(api, chats) if i in batch) - killed,
        "around": most_in_window(
            before
            + [c.at for c in api.calls_of("sendMessage") if killed < c.at <= next_send + 1.0],
            1.0,
        ),
        "new_sender": [pid for pid, roles in survivors if "sender" in roles.split(",")],
    }


# ---------------------------------------------------------------------------- floors


async def db_floor(args: argparse.Namespace) -> tuple[float, float, float]:
    """The database work alone: ``FeedStore.claim`` and ``FeedStore.release_many`` (the
    instances' PostgreSQL statements, on their kept asyncpg connections) for --feeds feeds,
    claims of 25 (a refill's size with a backlog: a quarter of an instance's 100 slots), 4
    loops at once so claims and releases overlap as in an instance; each release makes its
    feeds due again at once. No
    HTTP, no pipeline, no scheduler. Returns (feeds/s, this process's CPU ms per feed,
    PostgreSQL's backends' CPU ms per feed) over --window seconds."""
    from dataclasses import replace

    from bot.feed.claims import LEASE
    from bot.models import FeedSpec

    name = f"newsbot_floor_{uuid.uuid4().hex[:10]}"
    url = f"{args.database.rpartition('/')[0]}/{name}"
    await admin(args.database, f'CREATE DATABASE "{name}"')
    stats = create_async_engine(asyncpg_url(args.database), isolation_level="AUTOCOMMIT")
    batch = 100 // 4
    try:
        async with Store.open(url) as store:
            specs = [
                FeedSpec(id=f"f{n}", url=f"http://127.0.0.1/f{n}", interval=args.interval)
                for n in range(args.feeds)
            ]
            await store.feeds.sync_from_rules(specs, time.time())
            done = 0
            stop = 0.0

            async def loop() -> None:
                nonlocal done
                while time.monotonic() < stop:
                    now = time.time()
                    got = await store.feeds.claim("floor", now, LEASE, batch)
                    polled = {
                        st.spec.id: replace(st, next_poll=now, polls=st.polls + 1) for st in got
                    }
                    await store.feeds.release_many("floor", polled)
                    done += len(got)

            stop = time.monotonic() + 1.0  # warm-up: connections opened, statements prepared
            await asyncio.gather(*(loop() for _ in range(4)))
            pids = await backends(stats, name)
            done, pg0, cpu0, t0 = 0, cpu_of(pids), time.process_time(), time.monotonic()
            stop = t0 + args.window
            await asyncio.gather(*(loop() for _ in range(4)))
            t1, cpu1, pg1 = time.monotonic(), time.process_time(), cpu_of(pids)
    finally:
        await stats.dispose()
        await admin(args.database, f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)')
    pg_used = sum(t - pg0[pid] for pid, t in pg1.items() if pid in pg0)
    per = max(1, done)
    return done / (t1 - t0), (cpu1 - cpu0) / per * 1000, pg_used / per * 1000


async def http_floor(args: argparse.Namespace) -> tuple[float, float]:
    """The HTTP client alone: plain aiohttp conditional GETs answered 304 by the same feed
    server, in a process of its own as an instance is, with the bot's per-host limit (4
    connections: every feed is on one host here) and 32 requests in flight (its slots).
    Returns (requests/s, that process's CPU ms per request) over --window seconds."""
    async with FeedServer() as server:
        feeds = Feeds(server, args.feeds)
        for n in range(args.feeds):
            feeds.old(n)
        proc = await asyncio.create_subprocess_exec(
            sys.executable, __file__, "--bare-client", server.url("").rstrip("/"),
            str(args.feeds), str(args.window),
            stdout=asyncio.subprocess.PIPE,
        )  # fmt: skip
        out, _ = await proc.communicate()
    rate, cpu = out.split()
    return float(rate), float(cpu)


async def bare_client(base: str, count: int, window: float) -> None:
    import aiohttp

    connector = aiohttp.TCPConnector(limit=100, limit_per_host=4)
    async with aiohttp.ClientSession(connector=connector) as session:
        done = 0
        stop = 0.0

        async def worker(n: int) -> None:
            nonlocal done
            while time.monotonic() < stop:
                k = n % count
                headers = {"If-None-Match": f'"old-{k}"'}
                async with session.get(f"{base}/f{k}", headers=headers) as r:
                    await r.read()
                    assert r.status == 304, r.status
                done += 1
                n += 32

        stop = time.monotonic() + 1.0  # warm-up
        await asyncio.gather(*(worker(k) for k in range(32)))
        done, cpu0, t0 = 0, time.process_time(), time.monotonic()
        stop = t0 + window
        await asyncio.gather(*(worker(k) for k in range(32)))
        elapsed, cpu = time.monotonic() - t0, time.process_time() - cpu0
    print(done / elapsed, cpu / max(1, done) * 1000)


# ---------------------------------------------------------------------------- report


def ratio(a: float, b: float) -> str:
    return f"{a / b:5.2f}x" if b else "   - "


@dataclass
class Beside:
    """What the first PostgreSQL figure is set beside, measured in the same run."""

    sqlite: Result | None = None
    db: tuple[float, float, float] | None = None  # db_floor
    http: tuple[float, float] | None = None  # http_floor


def report(results: list[Result], args: argparse.Namespace, beside: Beside) -> None:
    base = results[0]
    n0 = base.instances
    print()
    head = f"{'':40}" + "".join(f"{f'{r.instances} inst.':>10}" for r in results)
    head += "".join(f"{f'{r.instances}/{n0}':>8}" for r in results[1:])
    print(head)

    def line(label: str, get: Any, fmt: str = "10.1f", ratios: bool = True) -> None:
        text = f"{label:40}" + "".join(format(get(r), fmt) for r in results)
        if ratios:
            text += "".join(f"{ratio(get(r), get(base)):>8}" for r in results[1:])
        print(text)

    line("(a) full round, feeds/s", lambda r: args.feeds / r.full_s)
    line("    full round, s", lambda r: r.full_s, ratios=False)
    line("    start-up to first request, s", lambda r: r.startup_s, ratios=False)
    line("(b) 304 round, feeds/s (steady window)", lambda r: r.steady_rate)
    line("    a whole 304 round, s", lambda r: args.feeds / r.steady_rate, ratios=False)
    needed = f"    needed to poll every {args.interval:g} s, feeds/s"
    line(needed, lambda r: args.feeds / args.interval, ratios=False)
    line("    bot CPU per 304 poll, ms", lambda r: r.cpu_ms)
    line("    PostgreSQL CPU per 304 poll, ms", lambda r: r.pg_cpu_ms)
    line("(c) DB transactions per polled feed", lambda r: r.xacts / max(1, r.steady_polls))
    line("    DB transactions/s (all instances)", lambda r: r.xacts / args.window)
    line("(d) alerts/s delivered (p10-p90)", lambda r: r.alert_rate)
    line(f"    of the {CEILING:.0f}/s ceiling", lambda r: r.alert_rate / CEILING, "10.0%", False)
    line("    publish to first alert, s", lambda r: r.alert_first_s, ratios=False)
    line("    publish to last alert, s", lambda r: r.alert_total_s, ratios=False)
    print(
        "checks:".ljust(40)
        + "".join(f"{f'{r.doubles}d/{r.repeats}r/{r.errors}e':>10}" for r in results)
        + "  (d: polled twice in 0.4 x interval; r: repeated alerts; e: ERROR lines, above)"
    )
    line("    most sendMessage in any 1 s", lambda r: r.peak, "10d", False)
    line(f"    most in any {1.04 - JITTER:.2f} s (<= 30)", lambda r: r.peak_jitter, "10d", False)
    print(
        "load average before/after:".ljust(40)
        + "".join(f"{f'{r.load[0]:.1f}/{r.load[1]:.1f}':>10}" for r in results)
    )
    compare(base, args, beside)
    for r in results:
        f = r.failover
        if not f:
            continue
        print(
            f"(e) failover, {r.instances} instances: sender SIGKILLed with {f['pending']} alerts"
            f" pending; next sendMessage {f['send_s']:.2f} s later (new sender pid"
            f" {','.join(map(str, f['new_sender'])) or '?'}), every pending alert"
            f" {f['all_s']:.1f} s later; most sendMessage in any 1 s from 1 s before the kill"
            f" to 1 s after the next send: {f['around']}"
        )
        if f["feeds"]:
            waits = sorted(w for _, w, _ in f["feeds"])
            left = sorted(x for _, _, x in f["feeds"])
            print(
                f"    {len(waits)} feeds it still held at its death requested again after"
                f" {waits[0]:.1f}-{waits[-1]:.1f} s (their leases had"
                f" {left[0]:.1f}-{left[-1]:.1f} s left)"
            )
        else:
            print("    it held no feed lease in the 3 s before the kill")


def compare(base: Result, args: argparse.Namespace, beside: Beside) -> None:
    """The first PostgreSQL figure beside one instance on SQLite and the floors (issue 11:
    one instance's 304 round within 10 % of the single-process SQLite path)."""
    lite = beside.sqlite
    if lite is not None:
        print(
            f"same workload, 1 instance on SQLite (in-memory schedule): 304 round"
            f" {lite.steady_rate:.1f} feeds/s, bot CPU {lite.cpu_ms:.2f} ms per poll;"
            f" PostgreSQL 1 inst. / SQLite: {ratio(base.steady_rate, lite.steady_rate).strip()}"
            f" feeds/s, {ratio(base.cpu_ms, lite.cpu_ms).strip()} bot CPU per poll"
            f" (target: feeds/s >= 0.90x)"
        )
    if beside.db is not None:
        rate, client, server = beside.db
        print(
            f"floor, the database work alone (FeedStore.claim + release_many, no HTTP, no bot,"
            f" {args.feeds} feeds, claims of 25): {rate:.0f} feeds/s; per feed {client:.3f} ms"
            f" of client CPU + {server:.3f} ms of PostgreSQL CPU = {client + server:.3f} ms"
        )
        if lite is not None:
            margin = lite.cpu_ms * 0.1
            print(
                f"    = {(client + server) / lite.cpu_ms:.0%} of the SQLite instance's"
                f" {lite.cpu_ms:.2f} ms per poll, on the same {os.cpu_count()} cores"
                f" (the 10 % margin: {margin:.3f} ms)"
            )
    if beside.http is not None:
        rate, cpu = beside.http
        print(
            f"floor, the HTTP client alone (aiohttp, no bot, the same feed server, 4"
            f" connections, 32 in flight): {rate:.0f} feeds/s at {cpu:.3f} ms CPU per request"
        )


async def amain(args: argparse.Namespace) -> tuple[list[Result], Beside]:
    counts = [int(x) for x in args.instances.split(",")]
    out = []
    beside = Beside()
    with tempfile.TemporaryDirectory(prefix="scaleout-") as tmp:
        for n, count in enumerate(counts):
            started = time.monotonic()
            r = await run(args, count, count > 1 and n == counts.index(max(counts)),
                          Path(tmp))  # fmt: skip
            print(
                f"{count} instance(s): done in {time.monotonic() - started:.0f} s,"
                f" {r.steady_polls} polls in the window, {r.xacts} transactions,"
                f" {r.alerts} alerts"
            )
            out.append(r)
            if n == 0 and args.beside:  # right after the baseline, on the same machine state
                started = time.monotonic()
                beside.sqlite = await run(args, 1, False, Path(tmp), sqlite=True)
                print(
                    f"1 instance on SQLite: done in {time.monotonic() - started:.0f} s,"
                    f" {beside.sqlite.steady_polls} polls in the window"
                )
                beside.db = await db_floor(args)
                beside.http = await http_floor(args)
                print("floors measured")
    return out, beside


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--feeds", type=int, default=200)
    parser.add_argument("--chats", type=int, default=40, help="private chats subscribed")
    parser.add_argument(
        "--instances", default="1,2,3", help="instance counts, the first is the baseline"
    )
    parser.add_argument("--interval", type=float, default=5.0, help="feed interval, seconds")
    parser.add_argument("--window", type=float, default=10.0, help="steady 304 window, seconds")
    parser.add_argument("--fresh", type=int, default=8, help="feeds publishing one alert each")
    parser.add_argument(
        "--database",
        default=os.environ.get(
            "NEWSBOT_TEST_POSTGRES_URL", "postgresql://postgres@127.0.0.1:5432/test"
        ),
        help="a PostgreSQL database to connect to (the benchmark creates and drops its own)",
    )
    parser.add_argument(
        "--no-beside",
        dest="beside",
        action="store_false",
        help="skip the SQLite instance and the floors set beside the first figure",
    )
    parser.add_argument("--bare-client", nargs=3, help=argparse.SUPPRESS)  # http_floor's child
    args = parser.parse_args()
    if args.bare_client:
        base, count, window = args.bare_client
        asyncio.run(bare_client(base, int(count), float(window)))
        return
    print(
        f"cpus={os.cpu_count()} load={os.getloadavg()[0]:.2f} (shared by the bots, PostgreSQL and"
        f" this process: feed server + fake Bot API); {args.feeds} feeds every {args.interval:g} s,"
        f" {args.chats} chats, {args.fresh} feeds publish"
    )
    started = time.monotonic()
    results, beside = asyncio.run(amain(args))
    report(results, args, beside)
    print(f"total {time.monotonic() - started:.0f} s")


if __name__ == "__main__":
    main()
