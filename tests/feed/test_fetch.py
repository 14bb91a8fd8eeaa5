"""Fetcher against a real local HTTP server."""

from __future__ import annotations

import asyncio
import gzip
import os
import time
import zlib
from datetime import UTC, datetime, timedelta
from email.utils import format_datetime
from pathlib import Path

import aiohttp
import psutil
import pytest
from aiohttp import web

from bot.errors import (
    BlockedAddressError,
    FetchError,
    FetchTimeoutError,
    HTTPStatusError,
    TooLargeError,
    TooManyRedirectsError,
)
from bot.feed.fetch import Fetched, Fetcher, FetchLimits, NotModified
from tests.feed.conftest import UA
from tests.feed.feeds import rss
from tests.feed.server import FeedServer

LM = "Mon, 03 Apr 2023 01:02:03 GMT"


async def test_200_then_304_with_etag(server: FeedServer, fetcher: Fetcher) -> None:
    server.body("/f", rss(), etag='"abc"', headers={"Cache-Control": "max-age=600"})
    first = await fetcher.fetch(server.url("/f"))
    assert isinstance(first, Fetched)
    assert (first.status, first.etag, first.max_age) == (200, '"abc"', 600.0)
    second = await fetcher.fetch(server.url("/f"), etag=first.etag)
    assert isinstance(second, NotModified)
    assert second.max_age == 600.0
    sent = server.requests[-1].headers
    assert sent["If-None-Match"] == '"abc"'
    assert sent["User-Agent"] == UA
    assert sent["Accept-Encoding"] == "gzip, deflate"


async def test_last_modified_stored_and_sent(server: FeedServer, fetcher: Fetcher) -> None:
    server.body("/f", rss(), last_modified=LM)
    first = await fetcher.fetch(server.url("/f"))
    assert isinstance(first, Fetched) and first.last_modified == LM and first.etag is None
    second = await fetcher.fetch(server.url("/f"), last_modified=first.last_modified)
    assert isinstance(second, NotModified)
    assert server.requests[-1].headers["If-Modified-Since"] == LM


async def test_expires_gives_max_age(server: FeedServer, fetcher: Fetcher) -> None:
    now = datetime.now(UTC)
    server.body(
        "/f",
        rss(),
        headers={
            "Date": format_datetime(now, usegmt=True),
            "Expires": format_datetime(now + timedelta(seconds=900), usegmt=True),
        },
    )
    result = await fetcher.fetch(server.url("/f"))
    assert isinstance(result, Fetched) and result.max_age is not None
    assert 895 <= result.max_age <= 905


@pytest.mark.parametrize("encoding", ["gzip", "deflate", "raw-deflate"])
async def test_compressed_bodies_are_decoded(
    server: FeedServer, fetcher: Fetcher, encoding: str
) -> None:
    data = rss(5).encode()
    if encoding == "gzip":
        payload = gzip.compress(data)
    elif encoding == "deflate":
        payload = zlib.compress(data)
    else:
        comp = zlib.compressobj(wbits=-zlib.MAX_WBITS)
        payload = comp.compress(data) + comp.flush()
    header = "deflate" if encoding == "raw-deflate" else encoding
    server.body("/f", payload, headers={"Content-Encoding": header, "Content-Type": "text/xml"})
    result = await fetcher.fetch(server.url("/f"))
    assert isinstance(result, Fetched)
    assert result.body == data
    assert "content-encoding" not in result.headers


async def test_gzip_bomb_cut_at_cap_memory_flat(server: FeedServer, session: object) -> None:
    assert isinstance(session, aiohttp.ClientSession)
    server.gzip_bomb("/bomb", decoded_size=1 << 30)  # ~1 MB on the wire, 1 GiB decoded
    fetcher = Fetcher(session, FetchLimits(max_body=10 << 20, deadline=20.0))
    process = psutil.Process()
    before = process.memory_info().rss
    with pytest.raises(TooLargeError, match="decoded"):
        await fetcher.fetch(server.url("/bomb"))
    grown = process.memory_info().rss - before
    assert grown < 100 << 20, f"RSS grew by {grown >> 20} MiB"


async def test_oversized_body_with_content_length(server: FeedServer, fetcher: Fetcher) -> None:
    server.body("/big", b"x" * ((1 << 20) + 1))
    with pytest.raises(TooLargeError, match="Content-Length"):
        await fetcher.fetch(server.url("/big"))


async def test_oversized_streamed_body(server: FeedServer, fetcher: Fetcher) -> None:
    async def handler(request: web.BaseRequest) -> web.StreamResponse:
        resp = web.StreamResponse()
        await resp.prepare(request)
        try:
            for _ in range(40):
                await resp.write(b"y" * 65536)
        except (ConnectionError, RuntimeError):
            pass
        return resp

    server.route("/stream", handler)
    with pytest.raises(TooLargeError):
        await fetcher.fetch(server.url("/stream"))


async def test_slow_drip_cut_at_deadline(server: FeedServer, session: object) -> None:
    assert isinstance(session, aiohttp.ClientSession)
    server.drip("/slow", rss().encode(), interval=0.2)
    fetcher = Fetcher(session, FetchLimits(deadline=1.0))
    started = time.monotonic()
    with pytest.raises(FetchTimeoutError):
        await fetcher.fetch(server.url("/slow"))
    assert 0.9 <= time.monotonic() - started < 3.0


async def test_redirect_chain_followed(server: FeedServer, fetcher: Fetcher) -> None:
    server.body("/final", rss())
    for i in range(5):
        server.redirect(f"/r{i}", f"/r{i + 1}" if i < 4 else "/final", status=302)
    result = await fetcher.fetch(server.url("/r0"))
    assert isinstance(result, Fetched)
    assert result.url == server.url("/final")
    assert result.permanent_url is None


async def test_too_many_redirects(server: FeedServer, fetcher: Fetcher) -> None:
    server.body("/final", rss())
    for i in range(6):
        server.redirect(f"/r{i}", f"/r{i + 1}" if i < 5 else "/final", status=301)
    with pytest.raises(TooManyRedirectsError):
        await fetcher.fetch(server.url("/r0"))
    assert "/final" not in server.paths()


async def test_redirect_loop(server: FeedServer, fetcher: Fetcher) -> None:
    server.redirect("/a", "/b")
    server.redirect("/b", "/a")
    with pytest.raises(TooManyRedirectsError, match="loop"):
        await fetcher.fetch(server.url("/a"))
    assert server.paths() == ["/a", "/b"]


@pytest.mark.parametrize(
    ("statuses", "permanent"),
    [((301,), True), ((308,), True), ((302,), False), ((307,), False), ((301, 302), False),
     ((301, 308), True)],
    ids=["301", "308", "302", "307", "301+302", "301+308"],
)  # fmt: skip
async def test_permanent_redirects_reported(
    server: FeedServer, fetcher: Fetcher, statuses: tuple[int, ...], permanent: bool
) -> None:
    server.body("/new", rss())
    for i, status in enumerate(statuses):
        target = f"/hop{i + 1}" if i + 1 < len(statuses) else "/new"
        server.redirect(f"/hop{i}", target, status=status)
    result = await fetcher.fetch(server.url("/hop0"))
    assert isinstance(result, Fetched)
    assert result.permanent_url == (server.url("/new") if permanent else None)


async def test_429_retry_after_seconds(server: FeedServer, fetcher: Fetcher) -> None:
    server.status("/busy", 429, headers={"Retry-After": "120"})
    with pytest.raises(HTTPStatusError) as info:
        await fetcher.fetch(server.url("/busy"))
    assert (info.value.status, info.value.retry_after) == (429, 120.0)


async def test_503_retry_after_http_date(server: FeedServer, fetcher: Fetcher) -> None:
    when = datetime.now(UTC) + timedelta(seconds=300)
    server.status("/down", 503, headers={"Retry-After": format_datetime(when, usegmt=True)})
    with pytest.raises(HTTPStatusError) as info:
        await fetcher.fetch(server.url("/down"))
    assert info.value.status == 503
    assert info.value.retry_after is not None and 290 <= info.value.retry_after <= 301


@pytest.mark.parametrize("status", [404, 410, 500])
async def test_error_statuses(server: FeedServer, fetcher: Fetcher, status: int) -> None:
    server.status("/e", status)
    with pytest.raises(HTTPStatusError) as info:
        await fetcher.fetch(server.url("/e"))
    assert info.value.status == status and info.value.retry_after is None


async def test_connection_refused_is_fetch_error(fetcher: Fetcher) -> None:
    async with FeedServer() as gone:
        url = gone.url("/f")
    with pytest.raises(FetchError) as info:
        await fetcher.fetch(url)
    assert type(info.value) is FetchError


async def test_corrupt_gzip_is_fetch_error(server: FeedServer, fetcher: Fetcher) -> None:
    server.body("/f", b"\x1f\x8b not gzip at all", headers={"Content-Encoding": "gzip"})
    with pytest.raises(FetchError, match="corrupt"):
        await fetcher.fetch(server.url("/f"))


async def test_per_host_limit(server: FeedServer) -> None:
    from bot.feed.fetch import make_session

    active = 0
    peak = 0

    async def handler(request: web.BaseRequest) -> web.StreamResponse:
        nonlocal active, peak
        active += 1
        peak = max(peak, active)
        await asyncio.sleep(0.05)
        active -= 1
        return web.Response(body=rss(1).encode())

    server.route("/f", handler)
    async with make_session(UA, limit_per_host=2) as session:
        fetcher = Fetcher(session)
        await asyncio.gather(*(fetcher.fetch(server.url("/f")) for _ in range(8)))
    assert peak == 2


async def test_file_url_trusted_only(tmp_path: Path, fetcher: Fetcher) -> None:
    path = tmp_path / "feed.xml"
    path.write_text(rss(2))
    first = await fetcher.fetch(path.as_uri())
    assert isinstance(first, Fetched) and first.status == 200 and first.etag
    assert first.body == path.read_bytes()
    assert isinstance(await fetcher.fetch(path.as_uri(), etag=first.etag), NotModified)
    path.write_text(rss(3))
    os.utime(path, ns=(time.time_ns(), time.time_ns() + 10_000_000))
    changed = await fetcher.fetch(path.as_uri(), etag=first.etag)
    assert isinstance(changed, Fetched) and changed.etag != first.etag
    with pytest.raises(BlockedAddressError):
        await fetcher.fetch(path.as_uri(), guarded=True)
    with pytest.raises(FetchError):
        await fetcher.fetch((tmp_path / "missing.xml").as_uri())


async def test_file_url_capped(tmp_path: Path, fetcher: Fetcher) -> None:
    path = tmp_path / "big.xml"
    path.write_bytes(b"x" * ((1 << 20) + 1))
    with pytest.raises(TooLargeError):
        await fetcher.fetch(path.as_uri())


@pytest.mark.parametrize("url", ["ftp://example.com/f", "gopher://x/", "not a url", "data:,x"])
async def test_unsupported_schemes(fetcher: Fetcher, url: str) -> None:
    with pytest.raises(FetchError):
        await fetcher.fetch(url)
