"""A real local HTTP feed server for tests and benchmarks (aiohttp.web, 127.0.0.1, ephemeral port).

It records every TCP connection it accepts (``server.connections``) and every request
(``server.requests``), and serves routes registered per path::

    async with FeedServer() as server:
        server.body("/feed", FEED, etag='"v1"', last_modified="...")  # 304 on a matching validator
        server.redirect("/old", "/feed", status=301)
        server.status("/busy", 429, headers={"Retry-After": "120"})
        server.gzip_bomb("/bomb", decoded_size=1 << 30)
        server.drip("/slow", b"<rss>", interval=1.0)
        url = server.url("/feed")
"""

from __future__ import annotations

import asyncio
import socket
import zlib
from collections.abc import Awaitable, Callable, Mapping
from dataclasses import dataclass, field
from typing import Any

from aiohttp import web

Handler = Callable[[web.BaseRequest], Awaitable[web.StreamResponse]]


@dataclass
class Seen:
    method: str
    path: str
    headers: Mapping[str, str]


@dataclass
class FeedServer:
    host: str = "127.0.0.1"
    connections: list[int] = field(default_factory=list)
    requests: list[Seen] = field(default_factory=list)
    routes: dict[str, Handler] = field(default_factory=dict)
    port: int = 0
    _server: asyncio.AbstractServer | None = None
    _web: web.Server | None = None
    _changed: asyncio.Condition | None = None

    async def __aenter__(self) -> FeedServer:
        self._changed = asyncio.Condition()
        self._web = web.Server(self._dispatch, handler_cancellation=True)
        sock = socket.socket(socket.AF_INET, socket.SOCK_STREAM)
        sock.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)
        sock.bind((self.host, 0))
        self.port = sock.getsockname()[1]
        loop = asyncio.get_running_loop()
        web_server = self._web

        def factory() -> Any:
            # asyncio calls the factory once per accepted TCP connection.
            self.connections.append(len(self.connections) + 1)
            self._notify()
            return web_server()

        self._server = await loop.create_server(factory, sock=sock, backlog=1024)
        return self

    async def __aexit__(self, *exc: object) -> None:
        assert self._server is not None and self._web is not None
        self._server.close()
        await self._web.shutdown(timeout=1.0)
        await self._server.wait_closed()

    def url(self, path: str = "/") -> str:
        return f"http://{self.host}:{self.port}{path}"

    def _notify(self) -> None:
        cond = self._changed
        if cond is None:
            return

        async def wake() -> None:
            async with cond:
                cond.notify_all()

        task = asyncio.get_running_loop().create_task(wake())
        task.add_done_callback(lambda t: None)

    async def wait_for(self, predicate: Callable[[], bool], within: float = 5.0) -> None:
        """Wait until ``predicate()`` holds (re-checked on every connection and request)."""
        assert self._changed is not None
        async with asyncio.timeout(within), self._changed:
            await self._changed.wait_for(predicate)

    def paths(self) -> list[str]:
        return [seen.path for seen in self.requests]

    async def _dispatch(self, request: web.BaseRequest) -> web.StreamResponse:
        self.requests.append(Seen(request.method, request.path_qs, dict(request.headers)))
        self._notify()
        handler = self.routes.get(request.path_qs) or self.routes.get(request.path)
        if handler is None:
            return web.Response(status=404, text="not found")
        return await handler(request)

    # ------------------------------------------------------------------ route kinds

    def route(self, path: str, handler: Handler) -> None:
        self.routes[path] = handler

    def body(
        self,
        path: str,
        body: bytes | str,
        *,
        headers: Mapping[str, str] | None = None,
        etag: str | None = None,
        last_modified: str | None = None,
        status: int = 200,
    ) -> None:
        """Serve a fixed body; answer 304 when the request's validator matches."""
        data = body.encode() if isinstance(body, str) else body
        base = dict(headers or {"Content-Type": "application/rss+xml"})
        if etag:
            base["ETag"] = etag
        if last_modified:
            base["Last-Modified"] = last_modified

        async def handler(request: web.BaseRequest) -> web.StreamResponse:
            inm = request.headers.get("If-None-Match")
            ims = request.headers.get("If-Modified-Since")
            if (etag and inm == etag) or (not inm and last_modified and ims == last_modified):
                return web.Response(status=304, headers=base)
            return web.Response(status=status, body=data, headers=base)

        self.routes[path] = handler

    def status(self, path: str, status: int, headers: Mapping[str, str] | None = None) -> None:
        async def handler(request: web.BaseRequest) -> web.StreamResponse:
            return web.Response(status=status, text=f"status {status}", headers=headers)

        self.routes[path] = handler

    def redirect(self, path: str, location: str, status: int = 302) -> None:
        async def handler(request: web.BaseRequest) -> web.StreamResponse:
            return web.Response(status=status, headers={"Location": location})

        self.routes[path] = handler

    def gzip_bomb(self, path: str, decoded_size: int = 1 << 30, encoding: str = "gzip") -> None:
        """Stream a gzip (or deflate) body of zeros inflating to ``decoded_size`` bytes.

        Compressed on the fly (~1 KB per MB), so only what the client reads is produced.
        """

        async def handler(request: web.BaseRequest) -> web.StreamResponse:
            wbits = 16 + zlib.MAX_WBITS if encoding == "gzip" else zlib.MAX_WBITS
            comp = zlib.compressobj(9, zlib.DEFLATED, wbits)
            resp = web.StreamResponse(
                headers={"Content-Type": "application/rss+xml", "Content-Encoding": encoding}
            )
            await resp.prepare(request)
            chunk = bytes(1 << 20)
            try:
                for _ in range(decoded_size >> 20):
                    out = comp.compress(chunk)
                    if out:
                        await resp.write(out)
                await resp.write(comp.flush())
                await resp.write_eof()
            except (ConnectionError, RuntimeError):
                pass  # the client hung up at its cap: expected
            return resp

        self.routes[path] = handler

    def drip(self, path: str, body: bytes, interval: float = 1.0) -> None:
        """Send ``body`` one byte every ``interval`` seconds (a slowloris feed)."""

        async def handler(request: web.BaseRequest) -> web.StreamResponse:
            resp = web.StreamResponse(headers={"Content-Type": "application/rss+xml"})
            resp.content_length = len(body)
            await resp.prepare(request)
            try:
                for i in range(len(body)):
                    await resp.write(body[i : i + 1])
                    await asyncio.sleep(interval)
                await resp.write_eof()
            except (ConnectionError, RuntimeError):
                pass
            return resp

        self.routes[path] = handler
