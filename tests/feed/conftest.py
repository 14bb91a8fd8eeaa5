from __future__ import annotations

from collections.abc import AsyncIterator

import aiohttp
import pytest

from bot.feed.fetch import Fetcher, FetchLimits, make_session
from bot.feed.parse import ParserPool
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
