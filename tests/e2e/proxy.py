"""A TCP proxy a test can cut and restore: a database that goes away and comes back, for real
(the client sees its connections reset and new ones refused), without stopping the server that
other tests share. ``Blackhole`` accepts connections and never answers (a firewalled address).
"""

from __future__ import annotations

import asyncio
import contextlib
import socket
from dataclasses import dataclass, field


def free_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return int(sock.getsockname()[1])


@dataclass
class Proxy:
    target_host: str
    target_port: int
    port: int = field(default_factory=free_port)
    accepted: int = 0
    _server: asyncio.Server | None = None
    _pipes: set[asyncio.Task[None]] = field(default_factory=set)
    _writers: set[asyncio.StreamWriter] = field(default_factory=set)

    async def __aenter__(self) -> Proxy:
        await self.restore()
        return self

    async def __aexit__(self, *exc: object) -> None:
        await self.cut()

    @property
    def up(self) -> bool:
        return self._server is not None

    async def restore(self) -> None:
        """Listen again: new connections reach the target."""
        if self._server is None:
            self._server = await asyncio.start_server(self._serve, "127.0.0.1", self.port)

    async def cut(self) -> None:
        """Stop listening (new connections are refused) and reset every open connection."""
        server, self._server = self._server, None
        if server is not None:
            server.close()
        for writer in list(self._writers):
            with contextlib.suppress(Exception):
                writer.transport.abort()
        for task in list(self._pipes):
            task.cancel()
        await asyncio.gather(*self._pipes, return_exceptions=True)
        if server is not None:
            with contextlib.suppress(Exception):
                await asyncio.wait_for(server.wait_closed(), 2)

    async def _serve(self, reader: asyncio.StreamReader, writer: asyncio.StreamWriter) -> None:
        self.accepted += 1
        try:
            up_reader, up_writer = await asyncio.open_connection(self.target_host, self.target_port)
        except OSError:
            writer.transport.abort()
            return
        self._writers.update((writer, up_writer))
        for src, dst in ((reader, up_writer), (up_reader, writer)):
            task = asyncio.create_task(_pipe(src, dst))
            self._pipes.add(task)
            task.add_done_callback(self._pipes.discard)


async def _pipe(src: asyncio.StreamReader, dst: asyncio.StreamWriter) -> None:
    try:
        while data := await src.read(65536):
            dst.write(data)
            await dst.drain()
    except (OSError, asyncio.IncompleteReadError):
        pass
    finally:
        with contextlib.suppress(Exception):
            dst.transport.abort()


@dataclass
class Blackhole:
    """Accepts TCP connections and never sends a byte."""

    port: int = field(default_factory=free_port)
    _server: asyncio.Server | None = None
    _held: list[asyncio.StreamWriter] = field(default_factory=list)

    async def __aenter__(self) -> Blackhole:
        async def hold(reader: asyncio.StreamReader, writer: asyncio.StreamWriter) -> None:
            self._held.append(writer)

        self._server = await asyncio.start_server(hold, "127.0.0.1", self.port)
        return self

    async def __aexit__(self, *exc: object) -> None:
        for writer in self._held:
            writer.transport.abort()
        if self._server is not None:
            self._server.close()
