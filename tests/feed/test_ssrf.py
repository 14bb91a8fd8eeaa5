"""SSRF guard: every vector refused with NO TCP connection reaching the local server.

Only loopback traffic is ever sent: "public" answers come from an injected resolver and an
accepted public address is checked through the decision functions, never connected to.
"""

from __future__ import annotations

import ipaddress
from collections.abc import AsyncIterator

import aiohttp
import pytest

from bot.errors import BlockedAddressError
from bot.feed.fetch import Fetched, Fetcher, FetchLimits, make_session
from bot.feed.ssrf import SSRFGuard, blocked_reason, parse_ip_host
from tests.feed.conftest import UA
from tests.feed.feeds import rss
from tests.feed.resolvers import StaticResolver
from tests.feed.server import FeedServer

PUBLIC = "93.184.216.34"  # never connected to: only ever returned by a fake resolver


@pytest.mark.parametrize(
    "host",
    [
        "127.0.0.1", "2130706433", "0x7f.1", "0177.0.0.1", "127.1", "0x7f000001", "[::1]",
        "[::ffff:127.0.0.1]", "[::ffff:7f00:1]", "[64:ff9b::7f00:1]", "[2002:7f00:1::]",
        "[::127.0.0.1]", "10.0.0.1", "172.16.5.4", "192.168.1.1", "169.254.169.254",
        "100.64.0.1", "0.0.0.0", "[::]", "224.0.0.1", "[ff02::1]", "[fe80::1]", "[fc00::1]",
        "255.255.255.255", "240.0.0.1", "192.0.2.10", "198.18.0.1", "[2001:db8::1]",
        "[64:ff9b:1::a00:1]", "[2001:0:4136:e378:8000:63bf:3fff:fdd2]", "[fec0::1]",
        "[::ffff:169.254.169.254]", "[64:ff9b::a9fe:a9fe]", "[2002:a9fe:a9fe::]",
    ],
)  # fmt: skip
def test_decision_refuses(host: str) -> None:
    ip = parse_ip_host(host)
    assert ip is not None, host
    assert blocked_reason(ip) is not None, host


@pytest.mark.parametrize(
    "host", ["93.184.216.34", "8.8.8.8", "[2606:4700:4700::1111]", "[::ffff:8.8.8.8]",
             "[64:ff9b::808:808]", "[2002:808:808::]", "1.1.1.1"],
)  # fmt: skip
def test_decision_accepts_public(host: str) -> None:
    ip = parse_ip_host(host)
    assert ip is not None and blocked_reason(ip) is None, host


@pytest.mark.parametrize(
    ("host", "expected"),
    [("2130706433", "127.0.0.1"), ("0x7f.1", "127.0.0.1"), ("0177.0.0.1", "127.0.0.1"),
     ("127.1", "127.0.0.1"), ("10.1", "10.0.0.1"), ("192.168.257", "192.168.1.1"),
     ("example.com", None), ("1.2.3.4.5", None), ("256.1.1.1", None), ("08.1.1.1", None),
     ("[::ffff:127.0.0.1]", "::ffff:7f00:1"), ("1.2.3.4.", "1.2.3.4")],
)  # fmt: skip
def test_ip_spellings(host: str, expected: str | None) -> None:
    parsed = parse_ip_host(host)
    assert (str(parsed) if parsed else None) == expected


def test_allow_list() -> None:
    guard = SSRFGuard(allow=["10.0.0.0/8"])
    assert guard.reason(ipaddress.ip_address("10.1.2.3")) is None
    assert guard.reason(ipaddress.ip_address("127.0.0.1")) is not None


async def test_check_host_accepts_public_answer_without_connecting() -> None:
    resolver = StaticResolver({"news.example": [[PUBLIC]]})
    guard = SSRFGuard(resolver)
    results = await guard.check_host("news.example", 80)
    assert [r["host"] for r in results] == [PUBLIC]


async def test_check_host_refuses_mixed_answer() -> None:
    guard = SSRFGuard(StaticResolver({"mixed.example": [[PUBLIC, "10.0.0.7"]]}))
    with pytest.raises(BlockedAddressError, match="private"):
        await guard.check_host("mixed.example", 80)


@pytest.fixture
async def guarded() -> AsyncIterator[tuple[aiohttp.ClientSession, StaticResolver]]:
    resolver = StaticResolver(
        {
            "localhost": [["127.0.0.1"]],
            "internal.test": [["127.0.0.1"]],
            "metadata.test": [["169.254.169.254"]],
            "v6.test": [["::ffff:127.0.0.1"]],
            "rebind.test": [[PUBLIC], ["127.0.0.1"]],  # public at check time, loopback at connect
        }
    )
    async with make_session(UA, guard=SSRFGuard(resolver)) as session:
        yield session, resolver


@pytest.mark.parametrize(
    "netloc",
    ["127.0.0.1:{port}", "2130706433:{port}", "0x7f.1:{port}", "0177.0.0.1:{port}",
     "127.1:{port}", "[::ffff:127.0.0.1]:{port}", "[::1]:{port}", "localhost:{port}",
     "LOCALHOST.:{port}", "sub.localhost:{port}", "internal.test:{port}", "v6.test:{port}",
     "metadata.test:{port}", "rebind.test:{port}", "unknown.test:{port}"],
)  # fmt: skip
async def test_guarded_vectors_make_no_connection(
    server: FeedServer,
    guarded: tuple[aiohttp.ClientSession, StaticResolver],
    netloc: str,
) -> None:
    session, _ = guarded
    server.body("/f", rss())
    fetcher = Fetcher(session, FetchLimits(deadline=5.0))
    with pytest.raises(BlockedAddressError):
        await fetcher.fetch(f"http://{netloc.format(port=server.port)}/f", guarded=True)
    assert server.connections == []


async def test_dns_rebinding_caught_at_connect_time(
    server: FeedServer, guarded: tuple[aiohttp.ClientSession, StaticResolver]
) -> None:
    session, resolver = guarded
    server.body("/f", rss())
    with pytest.raises(BlockedAddressError, match="loopback"):
        await Fetcher(session).fetch(f"http://rebind.test:{server.port}/f", guarded=True)
    # First answer (public) passed the pre-check; the connect-time resolution was refused.
    assert resolver.calls == ["rebind.test", "rebind.test"]
    assert server.connections == []


async def test_redirect_to_internal_refused(server: FeedServer) -> None:
    # The guard trusts exactly 127.0.0.1 here so the first hop can reach the local server;
    # the redirect names a host resolving to 127.0.0.2, which stays refused.
    resolver = StaticResolver({"feeds.test": [["127.0.0.1"]], "internal.test": [["127.0.0.2"]]})
    server.redirect("/f", f"http://internal.test:{server.port}/secret", status=301)
    server.body("/secret", "secret")
    guard = SSRFGuard(resolver, allow=["127.0.0.1/32"])
    async with make_session(UA, guard=guard) as session:
        with pytest.raises(BlockedAddressError, match=r"127\.0\.0\.2"):
            await Fetcher(session).fetch(f"http://feeds.test:{server.port}/f", guarded=True)
    assert server.paths() == ["/f"]


async def test_redirect_to_literal_and_file_refused(server: FeedServer) -> None:
    resolver = StaticResolver({"feeds.test": [["127.0.0.1"]]})
    server.redirect("/lit", f"http://0x7f.2:{server.port}/secret")  # 127.0.0.2
    server.redirect("/lit6", f"http://[::ffff:127.0.0.2]:{server.port}/secret")
    server.redirect("/file", "file:///etc/passwd")
    async with make_session(UA, guard=SSRFGuard(resolver, allow=["127.0.0.1/32"])) as session:
        fetcher = Fetcher(session)
        for path in ("/lit", "/lit6"):
            with pytest.raises(BlockedAddressError, match=r"127\.0\.0\.2|7f00:2"):
                await fetcher.fetch(f"http://feeds.test:{server.port}{path}", guarded=True)
        with pytest.raises(BlockedAddressError, match="file"):
            await fetcher.fetch(f"http://feeds.test:{server.port}/file", guarded=True)
    assert "/secret" not in server.paths()


async def test_allow_private_lifts_the_guard(
    server: FeedServer, guarded: tuple[aiohttp.ClientSession, StaticResolver]
) -> None:
    session, _ = guarded
    server.body("/f", rss())
    result = await Fetcher(session, allow_private=True).fetch(server.url("/f"), guarded=True)
    assert isinstance(result, Fetched)


async def test_unguarded_fetch_not_filtered(
    server: FeedServer, guarded: tuple[aiohttp.ClientSession, StaticResolver]
) -> None:
    session, _ = guarded
    server.body("/f", rss())
    result = await Fetcher(session).fetch(f"http://internal.test:{server.port}/f")
    assert isinstance(result, Fetched)


async def test_trusted_connection_not_reused_by_guarded_fetch(
    server: FeedServer, guarded: tuple[aiohttp.ClientSession, StaticResolver]
) -> None:
    session, _ = guarded
    server.body("/f", rss())
    fetcher = Fetcher(session)
    url = f"http://internal.test:{server.port}/f"
    assert isinstance(await fetcher.fetch(url), Fetched)  # pooled keep-alive connection now
    with pytest.raises(BlockedAddressError):
        await fetcher.fetch(url, guarded=True)
    assert server.paths() == ["/f"]


async def test_guarded_fetch_needs_guarded_session(server: FeedServer) -> None:
    server.body("/f", rss())
    async with aiohttp.ClientSession() as plain:
        with pytest.raises(BlockedAddressError, match="guard"):
            await Fetcher(plain).fetch("http://example.test/f", guarded=True)
    assert server.connections == []
