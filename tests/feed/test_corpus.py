"""feedparser's own ~1,850 test feeds through fetch -> parse -> normalize.

Each file is served by the local server with the HTTP headers its leading comment declares
(``Header: Content-type: ...``). Nothing may escape but ParseError (only for the few
documents that are not feeds), every parse finishes within the pool's limits, and every
text field comes out valid: no control characters, no lone surrogates, UTF-8 encodable,
within the caps.
"""

from __future__ import annotations

import asyncio
import re
import time
from collections.abc import Mapping
from datetime import UTC, datetime
from pathlib import Path

import pytest
from aiohttp import web

from bot.errors import ParseError
from bot.feed.entries import AUTHOR_MAX, SUMMARY_MAX, TITLE_MAX, normalize_entries
from bot.feed.fetch import Fetched, Fetcher, FetchLimits, make_session
from bot.feed.parse import ParserPool
from bot.models import Entry
from tests.feed.conftest import UA
from tests.feed.server import FeedServer

CORPUS = Path(__file__).resolve().parents[2].parent / "shared" / "corpora" / "feedparser"
HEADER = re.compile(rb"^\s*Header:\s*([A-Za-z-]+):[ \t]*(.*?)\s*$", re.MULTILINE)
BAD_CHARS = re.compile(r"[\x00-\x08\x0b-\x1f\x7f-\x9f\ud800-\udfff]")
MAX_NOT_FEEDS = 10  # 8 today: an empty document and 7 item-less CDF channels


def declared_headers(body: bytes) -> dict[str, str]:
    """The ``Header:`` lines of the leading comment (also for UTF-16/32 files)."""
    head = body[:4000].replace(b"\x00", b"")
    end = head.find(b"-->")
    headers = {"Content-Type": "application/xml"}
    for name, value in HEADER.findall(head[: end if end > 0 else None]):
        key = name.decode("ascii").title()
        if key == "Content-Type":
            headers.pop("Content-Type", None)
        headers[key] = value.decode("latin-1")
    return headers


def assert_clean(entry: Entry) -> None:
    for name, value, cap in (
        ("title", entry.title, TITLE_MAX),
        ("summary", entry.summary, SUMMARY_MAX),
        ("author", entry.author or "", AUTHOR_MAX),
        ("key", entry.key, 512),
        ("link", entry.link or "", 100_000),
    ):
        assert not BAD_CHARS.search(value), (name, value)
        value.encode("utf-8")
        assert len(value) <= cap, name
    if entry.link is not None:
        assert entry.link.startswith(("http://", "https://"))
    if entry.published is not None:
        assert entry.published.tzinfo is not None


@pytest.mark.slow
async def test_corpus_fetch_parse_normalize() -> None:
    if not CORPUS.is_dir():
        pytest.skip(f"feedparser corpus not found at {CORPUS}")
    files = sorted(p for p in CORPUS.rglob("*") if p.is_file() and p.suffix in {".xml", ".rdf"})
    assert len(files) > 1500
    served: dict[str, tuple[bytes, Mapping[str, str]]] = {}
    for i, path in enumerate(files):
        body = path.read_bytes()
        served[f"/c/{i}"] = (body, declared_headers(body))

    async def handler(request: web.BaseRequest) -> web.StreamResponse:
        body, headers = served[request.path]
        return web.Response(body=body, headers=headers)

    not_feeds: list[str] = []
    slowest = 0.0
    now = datetime.now(UTC)
    async with (
        FeedServer() as server,
        make_session(UA, limit_per_host=16) as session,
        ParserPool(workers=2, cpu_time=5.0, wall_time=5.0) as pool,
    ):
        for route in served:
            server.route(route, handler)
        fetcher = Fetcher(session, FetchLimits(deadline=10.0))
        gate = asyncio.Semaphore(16)

        async def one(route: str, path: Path) -> None:
            nonlocal slowest
            async with gate:
                fetched = await fetcher.fetch(server.url(route))
                assert isinstance(fetched, Fetched)
                started = time.monotonic()
                try:
                    parsed = await pool.parse(fetched.body, fetched.headers, fetched.url)
                except ParseError:
                    not_feeds.append(str(path.relative_to(CORPUS)))
                    return
                finally:
                    slowest = max(slowest, time.monotonic() - started)
                for entry in normalize_entries(parsed, "corpus", now):
                    assert_clean(entry)

        await asyncio.gather(*(one(r, p) for r, p in zip(served, files, strict=True)))
        assert pool.restarts == 0
    print(f"\ncorpus: {len(files)} files, {len(not_feeds)} not feeds, slowest parse {slowest:.2f}s")
    print("\n".join(sorted(not_feeds)))
    assert len(not_feeds) <= MAX_NOT_FEEDS, sorted(not_feeds)
    assert slowest < 5.0
