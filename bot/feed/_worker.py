"""Parser worker process: ``python -m bot.feed._worker CPU_SECONDS MEMORY_BYTES``.

Reads length-prefixed ``marshal`` frames ``(body, headers)`` on stdin and answers
``("ok", feed)`` or ``("error", message)`` frames on stdout. Only the standard library and
feedparser are imported; feedparser runs on bytes + headers, never on a URL or path.

Limits: RLIMIT_AS caps memory for the process's life; RLIMIT_CPU's soft limit is re-armed
before every parse to "CPU used so far + budget", so one pathological input gets SIGXCPU
(and dies) while a long-lived worker never trips over its accumulated CPU time.
The parent adds a wall-clock kill on top.
"""

from __future__ import annotations

import marshal
import math
import resource
import struct
import sys
import time
from typing import Any, BinaryIO

_HEADER = struct.Struct("!I")


def _read_exact(stream: BinaryIO, size: int) -> bytes | None:
    data = b""
    while len(data) < size:
        chunk = stream.read(size - len(data))
        if not chunk:
            return None
        data += chunk
    return data


def _when(entry: Any, *keys: str) -> tuple[int, ...] | None:
    for key in keys:
        value = entry.get(key)
        if value:
            try:
                return tuple(int(v) for v in value[:6])
            except (TypeError, ValueError):
                continue
    return None


_SHORT = 8 * 1024  # raw cap for ids, links, titles, authors (normalization caps further)
_LONG = 64 * 1024  # raw cap for summaries and content
_MAX_ENTRIES = 1000


def _text(value: Any, cap: int = _SHORT) -> str | None:
    return value[:cap] if isinstance(value, str) and value else None


def _is_html(detail: Any) -> bool:
    kind = detail.get("type", "") if hasattr(detail, "get") else ""
    return isinstance(kind, str) and "html" in kind


def _entry(entry: Any) -> tuple[Any, ...]:
    content = ""
    content_html = False
    for item in entry.get("content") or ():
        value = item.get("value") if hasattr(item, "get") else None
        if isinstance(value, str) and value:
            content, content_html = value[:_LONG], _is_html(item)
            break
    summary = _text(entry.get("summary"), _LONG) or ""
    return (
        _text(entry.get("id")),
        _text(entry.get("link")),
        _text(entry.get("title")),
        _is_html(entry.get("title_detail") or {}),
        summary,
        _is_html(entry.get("summary_detail") or {}) or bool(summary and "<" in summary),
        content,
        content_html,
        _when(entry, "published_parsed", "updated_parsed", "created_parsed"),
        _when(entry, "updated_parsed"),
        _text(entry.get("author")),
    )


def parse(body: bytes, headers: dict[str, str]) -> tuple[Any, ...]:
    import feedparser

    # No Content-Location default: feedparser would resolve relative guids against it.
    result = feedparser.parse(
        body, response_headers=headers, sanitize_html=False, resolve_relative_uris=False
    )
    feed = result.get("feed", {})
    ttl_raw = feed.get("ttl")
    try:
        ttl = float(ttl_raw) * 60.0 if ttl_raw not in (None, "") else None
    except (TypeError, ValueError):
        ttl = None
    if ttl is not None and not math.isfinite(ttl):
        ttl = None
    bozo = result.get("bozo_exception") if result.get("bozo") else None
    entries = tuple(_entry(e) for e in result.get("entries", ())[:_MAX_ENTRIES])
    return (
        _text(feed.get("title")),
        _text(feed.get("link")),
        ttl,
        entries,
        f"{type(bozo).__name__}: {bozo}"[:500] if bozo is not None else None,
        result.get("version", "") or "",
    )


def main() -> None:
    cpu_budget = float(sys.argv[1]) if len(sys.argv) > 1 else 10.0
    memory = int(sys.argv[2]) if len(sys.argv) > 2 else 0
    if memory > 0:
        resource.setrlimit(resource.RLIMIT_AS, (memory, memory))
    import feedparser  # noqa: F401  (warm up before the first job)

    stdin, stdout = sys.stdin.buffer, sys.stdout.buffer
    _, cpu_hard = resource.getrlimit(resource.RLIMIT_CPU)
    while True:
        head = _read_exact(stdin, _HEADER.size)
        if head is None:
            return
        frame = _read_exact(stdin, _HEADER.unpack(head)[0])
        if frame is None:
            return
        body, headers = marshal.loads(frame)  # noqa: S302 - from our parent only
        usage = resource.getrusage(resource.RUSAGE_SELF)
        soft = math.ceil(usage.ru_utime + usage.ru_stime + cpu_budget)
        if cpu_hard != resource.RLIM_INFINITY:
            soft = min(soft, cpu_hard)
        resource.setrlimit(resource.RLIMIT_CPU, (soft, cpu_hard))
        started = time.monotonic()
        try:
            answer: tuple[Any, ...] = ("ok", parse(body, headers))
        except MemoryError:
            answer = ("fatal", "out of memory")
        except Exception as exc:  # any parser failure is this feed's ParseError
            answer = ("error", f"{type(exc).__name__}: {exc}"[:500])
        del body
        try:
            out = marshal.dumps((*answer, time.monotonic() - started))
        except ValueError:
            out = marshal.dumps(("error", "unserializable parse result", 0.0))
        stdout.write(_HEADER.pack(len(out)) + out)
        stdout.flush()


if __name__ == "__main__":
    main()
