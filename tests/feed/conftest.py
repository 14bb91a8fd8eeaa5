from __future__ import annotations

from collections.abc import AsyncIterator, Awaitable, Callable
from datetime import UTC, datetime

import aiohttp
import pytest

from bot.feed.fetch import Fetched, Fetcher, FetchLimits, make_session
from bot.feed.parse import ParsedFeed, ParserPool
from bot.models import Entry
from tests.feed.server import FeedServer

UA = "newsbot-test/0.1 (+https://example.invalid/newsbot)"


@pytest.fixture
async def server() -> AsyncIterator[FeedServer]:
    async with FeedServer() as srv:
        yield srv


@pytest.fixture
async def session() -> AsyncIterator[aiohttp.ClientSession]:
    async with make_session(UA) as sess:
        yield sess


@pytest.fixture
def fetcher(session: aiohttp.ClientSession) -> Fetcher:
    return Fetcher(session, FetchLimits(max_body=1 << 20, deadline=5.0))


@pytest.fixture
async def pool() -> AsyncIterator[ParserPool]:
    async with ParserPool(workers=2, cpu_time=3.0, wall_time=4.0, memory=512 << 20) as p:
        yield p


Served = Callable[..., Awaitable[tuple[ParsedFeed, list[Entry]]]]
NOW = datetime(2030, 1, 1, tzinfo=UTC)


@pytest.fixture
def served(server: FeedServer, fetcher: Fetcher, pool: ParserPool) -> Served:
    """``await served(body, content_type)``: the body served by the real local server, fetched,
    parsed and normalized in the pool, as the pipeline does; returns (feed, entries)."""
    count = 0

    async def run(
        body: bytes | str, content_type: str = "application/rss+xml"
    ) -> tuple[ParsedFeed, list[Entry]]:
        nonlocal count
        count += 1
        path = f"/served/{count}"
        server.body(path, body, headers={"Content-Type": content_type})
        result = await fetcher.fetch(server.url(path))
        assert isinstance(result, Fetched)
        return await pool.parse_entries(result.body, result.headers, result.url, "f", NOW)

    return run
