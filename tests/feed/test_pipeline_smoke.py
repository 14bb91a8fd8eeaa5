from __future__ import annotations

from datetime import UTC, datetime

from bot.feed.entries import normalize_entries
from bot.feed.fetch import Fetched, Fetcher, NotModified
from bot.feed.parse import ParserPool
from tests.feed.feeds import rss
from tests.feed.server import FeedServer


async def test_fetch_parse_normalize(
    server: FeedServer, fetcher: Fetcher, pool: ParserPool
) -> None:
    server.body("/feed", rss(3, ttl=10), etag='"v1"')
    fetched = await fetcher.fetch(server.url("/feed"))
    assert isinstance(fetched, Fetched)
    parsed = await pool.parse(fetched.body, fetched.headers, fetched.url)
    assert parsed.ttl == 600.0
    entries = normalize_entries(parsed, "f", datetime.now(UTC))
    assert [e.key for e in entries] == ["id-0", "id-1", "id-2"]
    assert entries[0].link == "https://example.com/0"
    assert entries[0].summary == "Summary 0"
    again = await fetcher.fetch(server.url("/feed"), etag=fetched.etag)
    assert isinstance(again, NotModified)
