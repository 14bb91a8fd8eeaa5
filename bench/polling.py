"""Polling benchmark: the real polling path against a local feed server in another process.

    python bench/polling.py                       # 1,000-feed full round, 10,000-feed 304 round
    python bench/polling.py --feeds 300 --steady 3000

Each poll is ``Pipeline.poll``: fetch (aiohttp, one shared session, per-host limits) -> parse
(worker processes) -> normalize -> store (SQLite, dedup + outbox in one transaction) -> match
(the rules of rules/default.yaml, one chat subscribed to all of them). Feed states are written
in batches, as the running bot does. The server process serves N distinct 50-item RSS feeds
with ETags from 32 loopback addresses (127.0.0.1-32), so per-host connection limits apply as
they would across many sites.

Measured in one run:
  (a) a full first round of --feeds feeds (all 200, every entry new and matched)
  (b) a steady-state round of --steady feeds, every one answering 304
  (c) the baseline: sequential ``feedparser.parse(url, etag=...)``, as simple bots do, on a
      sample (--base-full feeds answering 200, --base-304 answering 304), rate extrapolated
  (d) the fast path's worth: the full round again with NEWSBOT_FAST_PARSER=0 (feedparser
      only), and the same documents parsed + normalized by the pool, fast path on and off
  (e) the cost of stories: the full round again with the story clusterer off (a story is
      then one canonical link); items are dated within the last two days, so every entry
      really goes through the clusterer in the main rounds
plus the peak RSS of the bot process and its parser workers, sampled every 20 ms.
"""

from __future__ import annotations

import argparse
import asyncio
import multiprocessing
import os
import random
import sys
import tempfile
import time
from dataclasses import replace
from datetime import UTC, datetime, timedelta
from email.utils import format_datetime
from pathlib import Path
from typing import Any, ClassVar

import psutil

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT))

from bot.config import load_rules  # noqa: E402
from bot.feed.fetch import Fetcher, FetchLimits, make_session  # noqa: E402
from bot.feed.parse import ParserPool  # noqa: E402
from bot.match import compile_rules  # noqa: E402
from bot.models import FeedSpec, RulesConfig  # noqa: E402
from bot.pipeline import Pipeline, Rules  # noqa: E402
from bot.store import Store  # noqa: E402
from bot.story import StoryIndex  # noqa: E402

ITEMS = 50
NOW = datetime.now(UTC).replace(microsecond=0)  # items are dated within the story window
HOSTS = 32
UA = "newsbot-bench/0.1"
NEWSY = [
    "markets, weather and sport",
    "Putin and Kim Jong Un join Xi Jinping at Beijing parade",
    "North Korea fires ballistic missile into the sea",
    "Taiwan reports warships near the strait after drills",
    "Lukashenko meets Xi in Beijing",
    "local council approves new cycle lanes",
]


STORIES = 6000  # distinct pieces of news across the feeds; about 2.5 reports each at 1,000 feeds
_SYLLABLES = ["ka", "ro", "mi", "zen", "tal", "vo", "shi", "ber", "un", "dra", "lo", "pe"]


def headline(story: int) -> str:
    """A story's headline: made-up names and words (distinct per story, so a story is its
    own reports and nothing else) around one of the newsy phrases the default rules match."""
    rng = random.Random(story)
    words = ["".join(rng.choice(_SYLLABLES) for _ in range(rng.randint(2, 3))) for _ in range(5)]
    return f"{words[0].title()} {words[1]}: {NEWSY[story % len(NEWSY)]} as {' '.join(words[2:])}"


def feed_xml(n: int) -> bytes:
    stories = [(n * 131 + i * 17) % STORIES for i in range(ITEMS)]
    items = "".join(
        f"<item><title>{headline(s)}</title>"
        f"<link>https://news{n % 97}.example.com/{n}/{i}?utm_source=rss</link>"
        f"<guid isPermaLink='false'>feed-{n}-item-{i}</guid>"
        f"<description>&lt;p&gt;Summary of story {i} in feed {n}, with &lt;b&gt;some&lt;/b&gt;"
        f" markup and enough words to look like a real teaser paragraph.&lt;/p&gt;</description>"
        f"<pubDate>{format_datetime(NOW - timedelta(minutes=7 * i + n % 60))}</pubDate></item>"
        for i, s in enumerate(stories)
    )
    return (
        '<?xml version="1.0" encoding="utf-8"?><rss version="2.0"><channel>'
        f"<title>Feed {n}</title><link>https://news{n}.example.com/</link>{items}"
        "</channel></rss>"
    ).encode()


def etag_of(n: int) -> str:
    return f'"feed-{n}-v1"'


def url_of(port: int, n: int) -> str:
    return f"http://127.0.0.{1 + n % HOSTS}:{port}/feed/{n}"


class _FeedProtocol(asyncio.Protocol):
    """A minimal HTTP/1.1 keep-alive server: GET /feed/N, 304 when If-None-Match matches.

    Written for the benchmark so that the server, which shares the machine's two cores with
    the bot, costs as little as possible: the figures should be the bot's."""

    cache: ClassVar[dict[int, bytes]] = {}

    def connection_made(self, transport: asyncio.BaseTransport) -> None:
        self.transport = transport  # type: ignore[assignment]
        self.buffer = b""

    def data_received(self, data: bytes) -> None:
        self.buffer += data
        while b"\r\n\r\n" in self.buffer:
            head, self.buffer = self.buffer.split(b"\r\n\r\n", 1)
            lines = head.split(b"\r\n")
            path = lines[0].split(b" ")[1]
            n = int(path.rsplit(b"/", 1)[1])
            tag = etag_of(n).encode()
            if any(
                line.lower().startswith(b"if-none-match:") and line.split(b":", 1)[1].strip() == tag
                for line in lines[1:]
            ):
                self.transport.write(
                    b"HTTP/1.1 304 Not Modified\r\nETag: " + tag + b"\r\nContent-Length: 0\r\n\r\n"
                )
                continue
            body = self.cache.get(n)
            if body is None:
                body = self.cache[n] = feed_xml(n)
            self.transport.write(
                b"HTTP/1.1 200 OK\r\nContent-Type: application/rss+xml\r\nETag: "
                + tag
                + b"\r\nContent-Length: "
                + str(len(body)).encode()
                + b"\r\n\r\n"
                + body
            )


def serve(port_pipe: Any) -> None:
    """Server process: 127.0.0.1-32 on one port, feeds built once and cached."""

    async def main() -> None:
        loop = asyncio.get_running_loop()
        first = await loop.create_server(_FeedProtocol, "127.0.0.1", 0, backlog=4096)
        port = first.sockets[0].getsockname()[1]
        for k in range(2, HOSTS + 1):
            await loop.create_server(_FeedProtocol, f"127.0.0.{k}", port, backlog=4096)
        port_pipe.send(port)
        await asyncio.Event().wait()

    asyncio.run(main())


class PeakRSS:
    """RSS of this process plus its parser workers, sampled every 20 ms."""

    def __init__(self, pool: ParserPool) -> None:
        self.pool = pool
        self.peak = 0
        self.peak_main = 0
        self._me = psutil.Process()

    def sample(self) -> None:
        main = self._me.memory_info().rss
        total = main
        for pid in self.pool.pids():
            try:
                total += psutil.Process(pid).memory_info().rss
            except psutil.Error:
                pass
        self.peak = max(self.peak, total)
        self.peak_main = max(self.peak_main, main)

    async def run(self) -> None:
        while True:
            self.sample()
            await asyncio.sleep(0.02)


class CPU:
    """CPU seconds used since creation by this process and by the parser workers."""

    def __init__(self, pool: ParserPool) -> None:
        self.pool = pool
        self.start = self._now()

    def _now(self) -> tuple[float, dict[int, float]]:
        workers = {}
        for pid in self.pool.pids():
            try:
                t = psutil.Process(pid).cpu_times()
                workers[pid] = t.user + t.system
            except psutil.Error:
                pass
        return time.process_time(), workers

    def used(self) -> tuple[float, float]:
        main, workers = self._now()
        before = self.start[1]
        return main - self.start[0], sum(t - before.get(pid, 0.0) for pid, t in workers.items())


async def _stories(store: Store) -> int:
    import sqlalchemy as sa

    from bot.store.schema import entries

    async with store.engine.connect() as conn:
        query = sa.select(sa.func.count(sa.distinct(entries.c.story_id)))
        return int((await conn.execute(query)).scalar_one())


def bench_rules(port: int, count: int) -> Rules:
    base = load_rules(ROOT / "rules" / "default.yaml")
    feeds = tuple(
        FeedSpec(id=f"f{n}", url=url_of(port, n), interval=300.0, backfill=float("inf"))
        for n in range(count)
    )
    config = RulesConfig(feeds=feeds, rules=base.rules, entities=base.entities, source="bench")
    return Rules(config, compile_rules(config.rules, config.entities))


async def parsers(args: argparse.Namespace) -> dict[str, tuple[float, float]]:
    """The same --feeds documents parsed and normalized by the pool, fast path on and off:
    {mode: (feeds/s, parser-worker CPU ms per feed)}."""
    docs = [feed_xml(n) for n in range(args.feeds)]
    headers = {"content-type": "application/rss+xml"}
    now = datetime.now(UTC)
    out: dict[str, tuple[float, float]] = {}
    for mode in ("feedparser", "fast", "feedparser", "fast"):  # twice each, interleaved
        async with ParserPool(workers=args.workers, fast_path=mode == "fast") as pool:
            await asyncio.gather(
                *(pool.parse_entries(d, headers, "http://x/", "f", now) for d in docs[:20])
            )
            cpu = CPU(pool)
            started = time.perf_counter()
            results = await asyncio.gather(
                *(pool.parse_entries(d, headers, "http://x/", "f", now) for d in docs)
            )
            elapsed = time.perf_counter() - started
            worker_cpu = cpu.used()[1]
        used = {feed.parser for feed, _ in results}
        assert used == {mode}, used
        rate, per_feed = len(docs) / elapsed, worker_cpu / len(docs) * 1000
        best = out.get(mode)
        out[mode] = (rate, per_feed) if best is None or rate > best[0] else best
    return out


async def bench(
    args: argparse.Namespace,
    port: int,
    workdir: Path,
    *,
    fast_path: bool = True,
    stories: bool = True,
    full_only: bool = False,
) -> dict[str, float]:
    total = max(args.feeds, args.steady)
    rules = bench_rules(port, total)
    async with (
        Store.open(f"sqlite:///{workdir}/bench.db") as store,
        ParserPool(workers=args.workers, fast_path=fast_path) as pool,
    ):
        session = make_session(UA)
        try:
            meter = PeakRSS(pool)
            sampler = asyncio.create_task(meter.run())
            pipeline = Pipeline(
                store,
                Fetcher(session, FetchLimits()),
                pool,
                rules,
                stories=StoryIndex() if stories else None,
            )
            await store.feeds.sync_from_rules(rules.config.feeds, time.time())
            await store.chats.ensure(1, "private", None, time.time())
            for rule in rules.config.rules:
                await store.chats.subscribe(1, rule.id, None, time.time())
            await pipeline.load_states()

            # warm-up (connections, workers, caches): 20 feeds outside both rounds
            await asyncio.gather(*(pipeline.poll(f"f{n}") for n in range(total - 20, total)))

            cpu = CPU(pool)
            started = time.perf_counter()
            reports = await asyncio.gather(*(pipeline.poll(f"f{n}") for n in range(args.feeds)))
            await pipeline.flush()
            full_s = time.perf_counter() - started
            full_cpu = cpu.used()
            failed = [r for r in reports if not r.ok]
            assert not failed, failed[:3]
            new = sum(r.new for r in reports)
            alerts = sum(r.alerts for r in reports)
            stories_made = await _stories(store)

            if full_only:  # the parser and stories comparisons need the full round only
                sampler.cancel()
                meter.sample()
                return {
                    "full_s": full_s,
                    "parser_cpu": full_cpu[1] / args.feeds,
                    "bot_cpu": full_cpu[0] / args.feeds,
                    "peak_main": meter.peak_main,
                }
            # every feed of the steady round has validators, as an earlier round left them
            seeded = [
                replace(s, etag=etag_of(int(s.spec.id[1:])), polled_once=True)
                for s in await store.feeds.all()
                if int(s.spec.id[1:]) < args.steady and s.etag is None
            ]
            await store.feeds.save_states(seeded)
            await pipeline.load_states()
            cpu = CPU(pool)
            started = time.perf_counter()
            reports = await asyncio.gather(*(pipeline.poll(f"f{n}") for n in range(args.steady)))
            await pipeline.flush()
            steady_s = time.perf_counter() - started
            steady_cpu = cpu.used()
            assert all(r.not_modified for r in reports), [r for r in reports if not r.not_modified][
                :3
            ]
            sampler.cancel()
            meter.sample()
            outbox = await store.outbox.counts()
        finally:
            await session.close()
    print(
        f"full round: {new} new entries recorded in {stories_made} stories,"
        f" {alerts} new alerts ({outbox})"
    )
    print(
        f"CPU per feed, full round: bot {full_cpu[0] / args.feeds * 1000:.1f} ms,"
        f" parser workers {full_cpu[1] / args.feeds * 1000:.1f} ms;"
        f" 304 round: bot {steady_cpu[0] / args.steady * 1e6:.0f} us"
    )
    return {
        "full_s": full_s,
        "bot_cpu": full_cpu[0] / args.feeds,
        "steady_s": steady_s,
        "peak": meter.peak,
        "peak_main": meter.peak_main,
    }


async def bare_aiohttp(port: int, count: int) -> float:
    """The HTTP client's own ceiling: plain aiohttp conditional GETs, same connection limits,
    nothing else (no deadline, no SSRF guard, no state). Feeds/second."""
    import aiohttp

    connector = aiohttp.TCPConnector(limit=100, limit_per_host=4)
    async with aiohttp.ClientSession(connector=connector) as session:

        async def get(n: int) -> None:
            async with session.get(url_of(port, n), headers={"If-None-Match": etag_of(n)}) as r:
                await r.read()

        await asyncio.gather(*(get(n) for n in range(200)))
        started = time.perf_counter()
        await asyncio.gather(*(get(n) for n in range(count)))
        return count / (time.perf_counter() - started)


def baseline(args: argparse.Namespace, port: int) -> tuple[float, float]:
    """What simple bots do: feedparser fetches and parses, one feed after another."""
    import feedparser

    started = time.perf_counter()
    for n in range(args.base_full):
        feedparser.parse(url_of(port, n), agent=UA)
    full = args.base_full / (time.perf_counter() - started)
    started = time.perf_counter()
    for n in range(args.base_304):
        result = feedparser.parse(url_of(port, n), etag=etag_of(n), agent=UA)
        assert result.get("status") == 304, result.get("status")
    steady = args.base_304 / (time.perf_counter() - started)
    return full, steady


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--feeds", type=int, default=1000, help="feeds in the full round")
    parser.add_argument("--steady", type=int, default=10_000, help="feeds in the 304 round")
    parser.add_argument("--workers", type=int, default=os.cpu_count() or 2)
    parser.add_argument("--base-full", type=int, default=50)
    parser.add_argument("--base-304", type=int, default=200)
    args = parser.parse_args()
    ctx = multiprocessing.get_context("spawn")
    receiver, sender = ctx.Pipe(duplex=False)
    server = ctx.Process(target=serve, args=(sender,), daemon=True)
    server.start()
    try:
        if not receiver.poll(30):
            sys.exit("feed server did not start")
        port = receiver.recv()
        print(f"cpus={os.cpu_count()} parser workers={args.workers} load={os.getloadavg()[0]:.2f}")
        with tempfile.TemporaryDirectory() as tmp:
            got = asyncio.run(bench(args, port, Path(tmp)))
        with tempfile.TemporaryDirectory() as tmp:
            slow = asyncio.run(bench(args, port, Path(tmp), fast_path=False, full_only=True))
        with tempfile.TemporaryDirectory() as tmp:
            plain = asyncio.run(bench(args, port, Path(tmp), stories=False, full_only=True))
        parsing = asyncio.run(parsers(args))
        full_base, steady_base = baseline(args, port)
        ceiling = asyncio.run(bare_aiohttp(port, args.steady))
    finally:
        server.terminate()
        server.join(5)
    full = args.feeds / got["full_s"]
    steady = args.steady / got["steady_s"]
    print(f"{'':44} {'newsbot':>12} {'baseline':>12} {'ratio':>7}")
    print(
        f"{'(a) full round, feeds/s (target >= 150, 2x)':44} {full:12.1f} {full_base:12.1f}"
        f" {full / full_base:6.1f}x"
    )
    print(
        f"{'(b) 304 round, feeds/s (target 10x)':44} {steady:12.1f} {steady_base:12.1f}"
        f" {steady / steady_base:6.1f}x"
    )
    print(
        f"{'    the HTTP client alone (aiohttp, no bot)':44} {ceiling:12.1f}"
        f" {'':12} {steady / ceiling:6.0%} of it"
    )
    print(
        f"(a) {args.feeds} feeds in {got['full_s']:.2f} s; (b) {args.steady} feeds in "
        f"{got['steady_s']:.2f} s (target < 2 s for 10,000)"
    )
    fast_full = args.feeds / got["full_s"]
    slow_full = args.feeds / slow["full_s"]
    print(
        f"full round without the fast path (NEWSBOT_FAST_PARSER=0): {slow_full:.1f} feeds/s,"
        f" parser workers {slow['parser_cpu'] * 1000:.1f} ms CPU per feed;"
        f" fast path / feedparser only: {fast_full / slow_full:.2f}x"
    )
    (fp_rate, fp_cpu), (ff_rate, ff_cpu) = parsing["feedparser"], parsing["fast"]
    print(
        f"parse + normalize only, {args.feeds} documents, {args.workers} workers (best of 2):"
        f" feedparser {fp_rate:.0f} feeds/s, {fp_cpu:.2f} ms CPU per feed;"
        f" fast path {ff_rate:.0f} feeds/s, {ff_cpu:.2f} ms;"
        f" ratio {ff_rate / fp_rate:.2f}x feeds/s, {fp_cpu / ff_cpu:.2f}x less CPU"
    )
    plain_full = args.feeds / plain["full_s"]
    print(
        f"(e) full round with stories: {fast_full:.1f} feeds/s, bot CPU"
        f" {got['bot_cpu'] * 1000:.1f} ms per feed; stories off: {plain_full:.1f} feeds/s,"
        f" {plain['bot_cpu'] * 1000:.1f} ms; with / without: {fast_full / plain_full:.2f}x"
        f" feeds/s (target >= 0.90)"
    )
    print(
        f"peak RSS: bot process {got['peak_main'] / 2**20:.0f} MB; with its {args.workers} parser"
        f" workers {got['peak'] / 2**20:.0f} MB (target < 200 MB); bot process with stories"
        f" off (full round only): {plain['peak_main'] / 2**20:.0f} MB"
    )


if __name__ == "__main__":
    main()
