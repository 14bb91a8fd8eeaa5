"""Polling benchmark: fetch + parse (worker pool) + normalize against a local feed server.

    python bench/polling.py                    # defaults below
    python bench/polling.py --feeds 1000 --steady 10000 --concurrency 100

A SEPARATE process serves N distinct RSS feeds (50 items each) with ETag support.
Measured in one run:

  (a) full round: ``--feeds`` feeds answering 200, each fetched, parsed in the pool, normalized
  (b) steady state: ``--steady`` feeds all answering 304 (conditional GET with stored ETags)
  (c) baseline: sequential ``feedparser.parse(url, etag=...)`` as simple bots do, on a sample
      (``--base-full`` feeds for 200, ``--base-304`` for 304), rate extrapolated

plus the peak RSS of this process and its parser workers. ``--full`` is reserved for the
whole pipeline (store + match) once ``bot.pipeline`` offers a poll-one-feed entry point.
"""

from __future__ import annotations

import argparse
import asyncio
import multiprocessing
import os
import sys
import time
from collections.abc import Awaitable, Callable
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

import psutil

sys.path.insert(0, str(Path(__file__).resolve().parents[1]))

from bot.feed.entries import normalize_entries
from bot.feed.fetch import Fetched, Fetcher, FetchLimits, NotModified, make_session
from bot.feed.parse import ParserPool

ITEMS = 50
UA = "newsbot-bench/0.1"


def feed_xml(n: int) -> bytes:
    items = "".join(
        f"<item><title>Feed {n} story {i}: markets, weather and sport</title>"
        f"<link>https://news{n % 97}.example.com/{n}/{i}?utm_source=rss</link>"
        f"<guid isPermaLink='false'>feed-{n}-item-{i}</guid>"
        f"<description>&lt;p&gt;Summary of story {i} in feed {n}, with &lt;b&gt;some&lt;/b&gt;"
        f" markup and enough words to look like a real teaser paragraph.&lt;/p&gt;</description>"
        f"<pubDate>Mon, 03 Apr 2023 {i % 24:02d}:{i % 60:02d}:00 GMT</pubDate></item>"
        for i in range(ITEMS)
    )
    return (
        '<?xml version="1.0" encoding="utf-8"?><rss version="2.0"><channel>'
        f"<title>Feed {n}</title><link>https://news{n}.example.com/</link>{items}"
        "</channel></rss>"
    ).encode()


def etag_of(n: int) -> str:
    return f'"feed-{n}-v1"'


def serve(port_pipe: Any) -> None:
    """Server process: aiohttp on 127.0.0.1, ephemeral port sent back through the pipe."""
    from aiohttp import web

    cache: dict[int, bytes] = {}

    async def handler(request: web.Request) -> web.Response:
        n = int(request.match_info["n"])
        tag = etag_of(n)
        if request.headers.get("If-None-Match") == tag:
            return web.Response(status=304, headers={"ETag": tag})
        body = cache.get(n)
        if body is None:
            body = cache[n] = feed_xml(n)
        return web.Response(body=body, headers={"ETag": tag, "Content-Type": "application/rss+xml"})

    async def main() -> None:
        app = web.Application()
        app.router.add_get("/feed/{n}", handler)
        runner = web.AppRunner(app, access_log=None)
        await runner.setup()
        site = web.TCPSite(runner, "127.0.0.1", 0, backlog=4096)
        await site.start()
        server = site._server
        assert server is not None
        port_pipe.send(server.sockets[0].getsockname()[1])  # type: ignore[union-attr]
        await asyncio.Event().wait()

    asyncio.run(main())


class PeakRSS:
    """Samples RSS of this process plus the parser workers every 20 ms."""

    def __init__(self, pool: ParserPool) -> None:
        self.pool = pool
        self.peak = 0
        self._me = psutil.Process()

    def sample(self) -> int:
        total = self._me.memory_info().rss
        for pid in self.pool.pids():
            try:
                total += psutil.Process(pid).memory_info().rss
            except psutil.Error:
                pass
        self.peak = max(self.peak, total)
        return total

    async def run(self) -> None:
        while True:
            self.sample()
            await asyncio.sleep(0.02)


async def timed(label: str, n: int, work: Callable[[], Awaitable[None]]) -> float:
    started = time.perf_counter()
    await work()
    elapsed = time.perf_counter() - started
    print(f"{label:<44} {n:>6} feeds in {elapsed:7.2f} s = {n / elapsed:9.1f} feeds/s")
    return n / elapsed


async def bench(args: argparse.Namespace, base: str) -> None:
    now = datetime.now(UTC)
    async with (
        make_session(UA, limit=args.concurrency, limit_per_host=args.concurrency) as session,
        ParserPool(workers=args.workers) as pool,
    ):
        meter = PeakRSS(pool)
        sampler = asyncio.create_task(meter.run())
        fetcher = Fetcher(session, FetchLimits())
        gate = asyncio.Semaphore(args.concurrency)
        etags: dict[int, str | None] = {}
        new_entries = 0

        async def poll(n: int) -> None:
            nonlocal new_entries
            async with gate:
                result = await fetcher.fetch(f"{base}/feed/{n}", etag=etags.get(n))
                if isinstance(result, NotModified):
                    return
                assert isinstance(result, Fetched)
                etags[n] = result.etag
                parsed = await pool.parse(result.body, result.headers, result.url)
                new_entries += len(normalize_entries(parsed, f"feed-{n}", now))

        async def full_round() -> None:
            await asyncio.gather(*(poll(n) for n in range(args.feeds)))

        # warm-up: connections and workers ready, not measured
        await asyncio.gather(*(poll(n) for n in range(args.feeds, args.feeds + 50)))
        etags.clear()
        full = await timed("(a) full round, 200 + parse + normalize", args.feeds, full_round)
        assert new_entries >= args.feeds * ITEMS
        for n in range(args.steady):
            etags.setdefault(n, etag_of(n))  # as stored by an earlier round

        async def steady_round() -> None:
            await asyncio.gather(*(poll(n) for n in range(args.steady)))

        steady = await timed("(b) steady round, all 304", args.steady, steady_round)
        sampler.cancel()
        meter.sample()
        peak = meter.peak

    full_base, steady_base = await asyncio.to_thread(baseline, args, base)
    print(
        f"{'(c) baseline feedparser.parse(url) 200':<44} {args.base_full:>6} feeds"
        f"{'':>14}= {full_base:9.1f} feeds/s"
    )
    print(
        f"{'(c) baseline feedparser.parse(url, etag) 304':<44} {args.base_304:>6} feeds"
        f"{'':>14}= {steady_base:9.1f} feeds/s"
    )
    print(f"ratio full round vs baseline:   {full / full_base:6.1f}x")
    print(f"ratio 304 round vs baseline:    {steady / steady_base:6.1f}x")
    print(f"304 round of {args.steady}: {args.steady / steady:.2f} s")
    print(f"peak RSS (bot process + {args.workers} parser workers): {peak / 2**20:.0f} MB")


def baseline(args: argparse.Namespace, base: str) -> tuple[float, float]:
    """What simple bots do: feedparser fetches and parses, one feed after another."""
    import feedparser

    started = time.perf_counter()
    for n in range(args.base_full):
        feedparser.parse(f"{base}/feed/{n}", agent=UA)
    full = args.base_full / (time.perf_counter() - started)
    started = time.perf_counter()
    for n in range(args.base_304):
        result = feedparser.parse(f"{base}/feed/{n}", etag=etag_of(n), agent=UA)
        assert result.get("status") == 304, result.get("status")
    steady = args.base_304 / (time.perf_counter() - started)
    return full, steady


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--feeds", type=int, default=1000, help="feeds in the full round")
    parser.add_argument("--steady", type=int, default=10_000, help="feeds in the 304 round")
    parser.add_argument("--concurrency", type=int, default=100)
    parser.add_argument("--workers", type=int, default=os.cpu_count() or 2)
    parser.add_argument("--base-full", type=int, default=50)
    parser.add_argument("--base-304", type=int, default=100)
    parser.add_argument("--full", action="store_true", help="whole pipeline (not yet wired)")
    args = parser.parse_args()
    if args.full:
        sys.exit("--full needs bot.pipeline's poll entry point; not wired yet")
    ctx = multiprocessing.get_context("spawn")
    receiver, sender = ctx.Pipe(duplex=False)
    server = ctx.Process(target=serve, args=(sender,), daemon=True)
    server.start()
    try:
        if not receiver.poll(30):
            sys.exit("feed server did not start")
        port = receiver.recv()
        print(f"cpus={os.cpu_count()} workers={args.workers} concurrency={args.concurrency}")
        asyncio.run(bench(args, f"http://127.0.0.1:{port}"))
    finally:
        server.terminate()
        server.join(5)


if __name__ == "__main__":
    main()
