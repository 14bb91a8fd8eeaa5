"""Parse feed bytes off the event loop, in worker processes with hard limits.

feedparser has known pathological inputs (an ``<author>`` crafted against its e-mail regex
burns tens of seconds of CPU; a "safe" entity referenced thousands of times expands to tens
of millions of characters), so it never runs in the bot's process:

* each worker is a plain subprocess (``python -m bot.feed._worker``) speaking length-prefixed
  ``marshal`` frames over its stdin/stdout; it imports only the standard library and
  feedparser (plus ``bot.feed._fast``, a fast path replaying feedparser's strict reading of
  plain feeds on expat), and returns plain tuples (no parser dict ever leaves it);
* limits: RLIMIT_AS (``memory``), RLIMIT_CPU re-armed per parse (``cpu_time``), and a
  wall-clock kill (``wall_time``) from here, counted from the job, not the worker's start
  (a new worker says it is ready once its imports are done);
* a killed, crashed or failing parse is that feed's :class:`~bot.errors.ParseError`; the dead
  worker is replaced on next use. (``ProcessPoolExecutor`` breaks for good when one worker
  dies, hence our own pool.)

JSON documents are read as JSON Feed 1.0/1.1 in the same workers (``bot.feed._jsonfeed``).
A document with no recognizable feed version and no entries is "not a feed" (ParseError);
survivable bozo errors (a wrong declared encoding, say) still deliver their entries.
"""

from __future__ import annotations

import asyncio
import contextlib
import logging
import marshal
import os
import signal
import struct
import sys
from collections.abc import Mapping
from dataclasses import dataclass
from datetime import UTC, datetime
from types import TracebackType
from typing import Any

from bot.errors import ParseError
from bot.models import Entry

log = logging.getLogger(__name__)

_HEADER = struct.Struct("!I")
_MAX_ANSWER = 256 * 1024 * 1024
_STARTUP = 60.0  # seconds a new worker may take to import its parsers


@dataclass(frozen=True, slots=True)
class RawEntry:
    """One entry as the parser saw it: plain values, not yet cleaned or capped."""

    id: str | None = None
    link: str | None = None
    title: str | None = None
    title_is_html: bool = False
    summary: str = ""  # html when summary_is_html
    summary_is_html: bool = False
    content: str = ""  # the first <content>, html when content_is_html
    content_is_html: bool = False
    published: datetime | None = None  # UTC; published, else updated
    updated: datetime | None = None  # UTC
    author: str | None = None


@dataclass(frozen=True, slots=True)
class ParsedFeed:
    title: str | None
    link: str | None
    ttl: float | None  # RSS <ttl>, in seconds
    entries: tuple[RawEntry, ...]
    bozo: str | None = None  # feedparser's complaint about a survivable problem
    version: str = ""  # e.g. "rss20", "atom10", "json11"
    url: str = ""  # the document's URL: relative entry links are resolved against it
    parser: str = ""  # which parser answered: "feedparser", "fast" or "jsonfeed"


def _utc(parts: Any) -> datetime | None:
    if not parts:
        return None
    try:
        y, mo, d, h, mi, s = (int(p) for p in parts[:6])
        return datetime(y, mo, d, h, mi, s, tzinfo=UTC)
    except (TypeError, ValueError, OverflowError):
        return None


def feed_from_tuple(data: tuple[Any, ...], url: str) -> ParsedFeed:
    title, link, ttl, entries, bozo, version, parser = data
    raw = tuple(
        RawEntry(
            id=e[0],
            link=e[1],
            title=e[2],
            title_is_html=bool(e[3]),
            summary=e[4] or "",
            summary_is_html=bool(e[5]),
            content=e[6] or "",
            content_is_html=bool(e[7]),
            published=_utc(e[8]),
            updated=_utc(e[9]),
            author=e[10],
        )
        for e in entries
    )
    return ParsedFeed(
        title=title,
        link=link,
        ttl=ttl,
        entries=raw,
        bozo=bozo,
        version=version,
        url=url,
        parser=parser,
    )


class _Worker:
    def __init__(self, proc: asyncio.subprocess.Process) -> None:
        self.proc = proc

    @property
    def alive(self) -> bool:
        return self.proc.returncode is None

    async def call(self, frame: bytes) -> tuple[Any, ...]:
        stdin, stdout = self.proc.stdin, self.proc.stdout
        assert stdin is not None and stdout is not None
        stdin.write(_HEADER.pack(len(frame)) + frame)
        await stdin.drain()
        head = await stdout.readexactly(_HEADER.size)
        size = _HEADER.unpack(head)[0]
        if size > _MAX_ANSWER:
            raise ParseError(f"parser answer too large ({size} bytes)")
        # marshal builds plain values only (no code runs on load); the shape is checked below.
        answer = marshal.loads(await stdout.readexactly(size))  # noqa: S302
        if not isinstance(answer, tuple):
            raise ParseError("malformed answer from parser worker")
        return answer

    async def kill(self) -> None:
        if self.alive:
            with contextlib.suppress(ProcessLookupError):
                self.proc.kill()
        await self.proc.wait()
        for stream in (self.proc.stdin,):
            if stream is not None:
                stream.close()


class ParserPool:
    """A pool of parser worker processes; use as ``async with ParserPool() as pool``.

    ``workers`` processes (default: CPU count, at least 1); per parse at most ``cpu_time``
    CPU seconds and ``wall_time`` seconds; each worker's address space capped at ``memory``
    bytes (0: no cap). ``fast_path=False`` (``NEWSBOT_FAST_PARSER=0``) sends every XML
    document to feedparser, never to the fast path (``bot.feed._fast``).
    """

    def __init__(
        self,
        workers: int | None = None,
        *,
        cpu_time: float = 10.0,
        wall_time: float = 10.0,
        memory: int = 768 * 1024 * 1024,
        fast_path: bool = True,
    ) -> None:
        self.size = max(1, workers or os.cpu_count() or 1)
        self.cpu_time = cpu_time
        self.wall_time = wall_time
        self.memory = memory
        self.fast_path = fast_path
        self._idle: asyncio.Queue[_Worker | None] = asyncio.Queue()
        self._all: set[_Worker] = set()
        self.restarts = 0
        self._closed = False

    async def __aenter__(self) -> ParserPool:
        workers = await asyncio.gather(*(self._spawn() for _ in range(self.size)))
        for worker in workers:
            self._idle.put_nowait(worker)
        return self

    async def __aexit__(
        self,
        exc_type: type[BaseException] | None,
        exc: BaseException | None,
        tb: TracebackType | None,
    ) -> None:
        await self.close()

    async def close(self) -> None:
        self._closed = True
        workers, self._all = list(self._all), set()
        for worker in workers:
            stdin = worker.proc.stdin
            if stdin is not None and worker.alive:
                stdin.close()  # EOF: the worker exits by itself
        for worker in workers:
            try:
                async with asyncio.timeout(2.0):
                    await worker.proc.wait()
            except TimeoutError:
                await worker.kill()
            else:
                await worker.kill()

    def pids(self) -> list[int]:
        """Process ids of the live workers (for memory accounting)."""
        return [w.proc.pid for w in self._all if w.alive]

    async def _spawn(self) -> _Worker:
        proc = await asyncio.create_subprocess_exec(
            sys.executable,
            "-m",
            "bot.feed._worker",
            str(self.cpu_time),
            str(self.memory),
            "fast" if self.fast_path else "feedparser",
            stdin=asyncio.subprocess.PIPE,
            stdout=asyncio.subprocess.PIPE,
            stderr=asyncio.subprocess.DEVNULL,
            env={**os.environ, "PYTHONDONTWRITEBYTECODE": "1"},
        )
        worker = _Worker(proc)
        self._all.add(worker)
        try:
            # the worker's imports take 0.3-0.6 s on a busy machine: not part of any parse's
            # wall time, but bounded all the same
            async with asyncio.timeout(_STARTUP):
                assert proc.stdout is not None
                await proc.stdout.readexactly(_HEADER.size)
        except (TimeoutError, asyncio.IncompleteReadError) as exc:
            await self._retire(worker)
            raise ParseError(f"parser worker did not start ({_death(worker)})") from exc
        return worker

    async def parse(self, body: bytes, headers: Mapping[str, str], url: str) -> ParsedFeed:
        """Parse one document; raises ParseError (not a feed, killed at a limit, crashed)."""
        feed = feed_from_tuple(await self._call((bytes(body), _lower(headers))), url)
        _check_is_feed(feed)
        return feed

    async def parse_entries(
        self, body: bytes, headers: Mapping[str, str], url: str, feed_id: str, now: datetime
    ) -> tuple[ParsedFeed, list[Entry]]:
        """Parse and normalize (``bot.feed.entries``) in the worker: the event loop only gets
        records back. Returns the feed (without raw entries) and its normalized entries."""
        data = await self._call((bytes(body), _lower(headers), url, feed_id, now.timestamp()))
        title, link, ttl, rows, bozo, version, parser = data
        feed = ParsedFeed(
            title=title,
            link=link,
            ttl=ttl,
            entries=(),
            bozo=bozo,
            version=version,
            url=url,
            parser=parser,
        )
        entries = [
            Entry(
                feed_id,
                key,
                title_,
                link_,
                summary,
                datetime.fromtimestamp(published, UTC) if published is not None else None,
                author,
            )
            for key, title_, link_, summary, published, author in rows
        ]
        if not version and not entries:
            _check_is_feed(feed)
        return feed, entries

    async def _call(self, request: tuple[Any, ...]) -> Any:
        if self._closed:
            raise ParseError("parser pool is closed")
        frame = marshal.dumps(request)
        worker = await self._idle.get()
        healthy = False
        try:
            if worker is None or not worker.alive:
                if worker is not None:
                    await self._retire(worker)
                worker = await self._spawn()
                self.restarts += 1
            try:
                async with asyncio.timeout(self.wall_time):
                    answer = await worker.call(frame)
            except TimeoutError as exc:
                raise ParseError(f"parser killed after {self.wall_time:g} s wall time") from exc
            except (asyncio.IncompleteReadError, ConnectionError) as exc:
                with contextlib.suppress(TimeoutError):
                    async with asyncio.timeout(1.0):
                        await worker.proc.wait()
                raise ParseError(f"parser died ({_death(worker)})") from exc
            kind = answer[0]
            if kind == "ok":
                healthy = True
                return answer[1]
            healthy = kind == "error"
            raise ParseError(f"parser failed: {answer[1]}")
        finally:
            if not healthy and worker is not None:
                await self._retire(worker)
                worker = None
            self._idle.put_nowait(worker)

    async def _retire(self, worker: _Worker) -> None:
        self._all.discard(worker)
        await worker.kill()


def _lower(headers: Mapping[str, str]) -> dict[str, str]:
    return {str(k).lower(): str(v) for k, v in headers.items()}


def _check_is_feed(feed: ParsedFeed) -> None:
    if not feed.version and not feed.entries:
        reason = f": {feed.bozo}" if feed.bozo else ""
        raise ParseError(f"not a feed{reason}")


def _death(worker: _Worker) -> str:
    code = worker.proc.returncode
    if code is None:
        return "no answer"
    if code < 0:
        with contextlib.suppress(ValueError):
            return f"killed by {signal.Signals(-code).name}"
    return f"exit status {code}"
