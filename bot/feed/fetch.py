"""Fetch one feed over HTTP (or a local file) within hard limits.

Callers get a new body (:class:`Fetched`), "not modified" (:class:`NotModified`) or a
:class:`~bot.errors.FetchError` subclass; never an aiohttp exception or a raw status code.

* Conditional GET: ``If-None-Match`` / ``If-Modified-Since`` from the stored validators;
  a 304 is :class:`NotModified` and costs no parse.
* ``Accept-Encoding: gzip, deflate`` is ours: aiohttp runs with ``auto_decompress=False``
  and :class:`~bot.feed.decode.BodyDecoder` caps the DECODED size (gzip bombs stop at the cap).
* One deadline per fetch covers every redirect hop and the body (a 1 byte/s drip is cut).
* Redirects are followed here, one checked hop at a time, at most ``max_redirects``;
  a chain of only 301/308 reports its target as ``permanent_url``.
* ``guarded=True`` (feeds added from chat) runs the SSRF guard on every hop and at connect
  time, refuses ``file:``; ``guarded=False`` (rules-file feeds) may read ``file://`` paths.
* 4xx/5xx raise :class:`~bot.errors.HTTPStatusError` with ``retry_after`` (seconds) parsed
  from Retry-After (delta-seconds or HTTP-date).
"""

from __future__ import annotations

import asyncio
import logging
import os
from collections.abc import Mapping
from dataclasses import dataclass, field
from datetime import UTC, datetime
from pathlib import Path

import aiohttp
from multidict import CIMultiDictProxy
from yarl import URL

from bot.errors import (
    BlockedAddressError,
    FetchError,
    FetchTimeoutError,
    HTTPStatusError,
    TooLargeError,
    TooManyRedirectsError,
)
from bot.feed.decode import BodyDecoder
from bot.feed.headers import freshness, retry_after
from bot.feed.ssrf import SSRFGuard, guarded_scope

log = logging.getLogger(__name__)

MiB = 1024 * 1024
ACCEPT = (
    "application/rss+xml, application/atom+xml, application/rdf+xml, application/xml;q=0.9, "
    "text/xml;q=0.9, */*;q=0.5"
)
_REDIRECTS = frozenset({301, 302, 303, 307, 308})
_PERMANENT = frozenset({301, 308})
_READ_CHUNK = 64 * 1024


@dataclass(frozen=True, slots=True)
class FetchLimits:
    max_body: int = 10 * MiB  # raw and decoded bytes
    deadline: float = 30.0  # seconds for the whole fetch: every hop and the body
    max_redirects: int = 5


@dataclass(frozen=True, slots=True)
class Fetched:
    body: bytes
    headers: Mapping[str, str]  # lower-case keys; Content-Encoding removed (body is decoded)
    url: str  # final URL after redirects
    status: int
    etag: str | None = None
    last_modified: str | None = None
    permanent_url: str | None = None  # set when every hop was a 301/308
    max_age: float | None = None  # seconds of freshness (Cache-Control max-age / Expires)


@dataclass(frozen=True, slots=True)
class NotModified:
    headers: Mapping[str, str] = field(default_factory=dict)
    max_age: float | None = None
    permanent_url: str | None = None  # the 304 came after only 301/308 hops


def make_session(
    user_agent: str,
    *,
    guard: SSRFGuard | None = None,
    limit_per_host: int = 4,
    limit: int = 100,
    connect_timeout: float = 10.0,
) -> aiohttp.ClientSession:
    """The one shared HTTP session. Call inside the running loop; the caller closes it.

    The connector's resolver is always an :class:`SSRFGuard` (pass one to inject a resolver
    or an allow-list); it only filters resolutions made for guarded fetches. The DNS cache is
    off so that every new connection is resolved (and checked) in the requesting task.
    """
    connector = aiohttp.TCPConnector(
        limit=limit,
        limit_per_host=limit_per_host,
        resolver=guard or SSRFGuard(),
        use_dns_cache=False,
    )
    return aiohttp.ClientSession(
        connector=connector,
        # the whole-fetch deadline is Fetcher's own asyncio.timeout; aiohttp only bounds connect
        timeout=aiohttp.ClientTimeout(total=None, sock_connect=connect_timeout),
        headers={"User-Agent": user_agent},
        auto_decompress=False,
        cookie_jar=aiohttp.DummyCookieJar(),
        trust_env=False,
    )


class Fetcher:
    """Fetches feeds through a session from :func:`make_session`."""

    def __init__(
        self,
        session: aiohttp.ClientSession,
        limits: FetchLimits | None = None,
        *,
        allow_private: bool = False,
    ) -> None:
        self._session = session
        self.limits = limits or FetchLimits()
        self._allow_private = allow_private
        resolver = getattr(session.connector, "_resolver", None)
        self._guard = resolver if isinstance(resolver, SSRFGuard) else None
        connector = session.connector
        total = getattr(connector, "limit", 0) or 100
        self._per_host = getattr(connector, "limit_per_host", 0) or total
        self._total = total
        self._all = asyncio.Semaphore(total)
        self._hosts: dict[str, tuple[asyncio.Semaphore, int]] = {}

    @property
    def max_connections(self) -> int:
        """Connections open at once, all hosts together (the session's connector limit)."""
        return self._total

    async def _acquire(self, host: str) -> asyncio.Semaphore:
        """Wait for a connection slot (overall and for this host) BEFORE the deadline starts:
        a poll queued behind 1,000 others is waiting, not slow. Idle hosts are forgotten."""
        sem, users = self._hosts.get(host) or (asyncio.Semaphore(self._per_host), 0)
        self._hosts[host] = (sem, users + 1)
        try:
            await sem.acquire()
        except BaseException:
            self._release_host(host)
            raise
        try:
            await self._all.acquire()
        except BaseException:
            sem.release()
            self._release_host(host)
            raise
        return sem

    def _release(self, host: str, sem: asyncio.Semaphore) -> None:
        self._all.release()
        sem.release()
        self._release_host(host)

    def _release_host(self, host: str) -> None:
        sem, users = self._hosts[host]
        if users <= 1:
            del self._hosts[host]
        else:
            self._hosts[host] = (sem, users - 1)

    async def fetch(
        self,
        url: str,
        etag: str | None = None,
        last_modified: str | None = None,
        guarded: bool = False,
    ) -> Fetched | NotModified:
        try:
            target = URL(url)
        except (ValueError, TypeError) as exc:
            raise FetchError(f"invalid URL {url!r}") from exc
        if target.scheme == "file":
            if guarded:
                raise BlockedAddressError("file: URLs are only allowed in the rules file")
            return await self._fetch_file(target, etag)
        if target.scheme not in ("http", "https") or not target.raw_host:
            raise FetchError(f"unsupported URL {url!r}: only http(s) and file")
        check = guarded and not self._allow_private
        if check and self._guard is None:
            raise BlockedAddressError("the HTTP session has no SSRF guard (use make_session)")
        host = target.raw_host
        sem = await self._acquire(host)
        try:
            async with asyncio.timeout(self.limits.deadline):
                with guarded_scope(check):
                    return await self._follow(target, etag, last_modified, check)
        except TimeoutError as exc:
            raise FetchTimeoutError(
                f"no complete answer within {self.limits.deadline:g} s"
            ) from exc
        except aiohttp.InvalidURL as exc:
            raise FetchError(f"invalid URL {exc}") from exc
        except aiohttp.ClientError as exc:
            raise FetchError(f"{type(exc).__name__}: {exc}") from exc
        finally:
            self._release(host, sem)

    async def _follow(
        self, url: URL, etag: str | None, last_modified: str | None, check: bool
    ) -> Fetched | NotModified:
        headers = _request_headers(etag, last_modified)
        hops = _Hops(url, self.limits.max_redirects)
        while True:
            if check:
                assert self._guard is not None
                await self._guard.check_url(hops.url)
            async with self._session.get(
                hops.url,
                headers=headers,
                allow_redirects=False,
                auto_decompress=False,
                # Guarded connections live in their own pool slots: a connection opened
                # for a trusted feed (maybe to an intranet host) is never reused by one.
                server_hostname=(
                    hops.url.raw_host.rstrip(".") if check and hops.url.raw_host else None
                ),
            ) as resp:
                if resp.status in _REDIRECTS:
                    hops.follow(resp.status, resp.headers.get("Location"))
                    continue
                return await self._answer(resp, hops)

    async def _answer(self, resp: aiohttp.ClientResponse, hops: _Hops) -> Fetched | NotModified:
        """What a response that is not a redirect says: not modified, an error, or the body."""
        now = datetime.now(UTC)
        flat = _flatten(resp.headers)
        if resp.status == 304:
            return NotModified(
                headers=flat, max_age=freshness(flat, now), permanent_url=hops.permanent_url
            )
        if not 200 <= resp.status < 300:
            raise HTTPStatusError(
                resp.status,
                resp.reason or "",
                retry_after=retry_after(flat.get("retry-after"), now),
            )
        body = await self._read_body(resp, flat)
        flat.pop("content-encoding", None)
        flat.pop("content-length", None)
        return Fetched(
            body=body,
            headers=flat,
            url=str(hops.url),
            status=resp.status,
            etag=flat.get("etag"),
            last_modified=flat.get("last-modified"),
            permanent_url=hops.permanent_url,
            max_age=freshness(flat, now),
        )

    async def _read_body(self, resp: aiohttp.ClientResponse, headers: Mapping[str, str]) -> bytes:
        cap = self.limits.max_body
        declared = headers.get("content-length", "")
        if declared.isdigit() and int(declared) > cap:
            raise TooLargeError(f"Content-Length {declared} exceeds {cap} bytes")
        decoder = BodyDecoder(headers.get("content-encoding", ""), cap)
        raw = 0
        async for chunk in resp.content.iter_chunked(_READ_CHUNK):
            raw += len(chunk)
            if raw > cap:
                raise TooLargeError(f"body exceeds {cap} bytes")
            decoder.feed(chunk)
        return decoder.finish()

    async def _fetch_file(self, url: URL, etag: str | None) -> Fetched | NotModified:
        if url.host not in (None, "", "localhost"):
            raise FetchError(f"file URL on another host: {url}")
        path = Path(url.path)
        cap = self.limits.max_body
        try:
            stat = await asyncio.to_thread(os.stat, path)
            tag = f'"file-{stat.st_mtime_ns:x}-{stat.st_size:x}"'
            if etag == tag:
                return NotModified()
            if stat.st_size > cap:
                raise TooLargeError(f"{path}: {stat.st_size} bytes exceeds {cap}")
            body = await asyncio.to_thread(_read_capped, path, cap)
        except OSError as exc:
            raise FetchError(f"{path}: {exc.strerror or exc}") from exc
        return Fetched(body=body, headers={}, url=str(url), status=200, etag=tag)


def _request_headers(etag: str | None, last_modified: str | None) -> dict[str, str]:
    """Ours on every hop: what we accept, and the stored validators (a conditional GET)."""
    headers = {"Accept": ACCEPT, "Accept-Encoding": "gzip, deflate"}
    if etag:
        headers["If-None-Match"] = etag
    if last_modified:
        headers["If-Modified-Since"] = last_modified
    return headers


class _Hops:
    """The redirects of one fetch: at most ``limit``, to http(s) only, never back to a URL
    already visited."""

    def __init__(self, url: URL, limit: int) -> None:
        self.url = url  # where the next request goes
        self._limit = limit
        self._seen = {str(url)}
        self._count = 0
        self._permanent = True  # every hop so far was a 301/308

    @property
    def permanent_url(self) -> str | None:
        """The URL reached, when the fetch was only redirected by 301/308 hops."""
        return str(self.url) if self._count and self._permanent else None

    def follow(self, status: int, location: str | None) -> None:
        if not location:
            raise HTTPStatusError(status, "redirect without Location")
        self._count += 1
        self._permanent = self._permanent and status in _PERMANENT
        try:
            url = self.url.join(URL(location)).with_fragment(None)
        except ValueError as exc:
            raise FetchError(f"bad redirect Location {location!r}") from exc
        if url.scheme not in ("http", "https"):
            raise BlockedAddressError(f"redirect to {url.scheme}: refused")
        if str(url) in self._seen:
            raise TooManyRedirectsError(f"redirect loop back to {url}")
        if self._count > self._limit:
            raise TooManyRedirectsError(f"more than {self._limit} redirects")
        self._seen.add(str(url))
        self.url = url


def _read_capped(path: Path, cap: int) -> bytes:
    with path.open("rb") as handle:
        body = handle.read(cap + 1)
    if len(body) > cap:
        raise TooLargeError(f"{path}: larger than {cap} bytes")
    return body


def _flatten(headers: CIMultiDictProxy[str]) -> dict[str, str]:
    flat: dict[str, str] = {}
    for key, value in headers.items():
        key = key.lower()
        flat[key] = f"{flat[key]}, {value}" if key in flat else value
    return flat
