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

import codecs
import marshal
import math
import re
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


_BOMS = (
    (codecs.BOM_UTF32_LE, "utf-32"),
    (codecs.BOM_UTF32_BE, "utf-32"),
    (codecs.BOM_UTF16_LE, "utf-16"),
    (codecs.BOM_UTF16_BE, "utf-16"),
)
_XML_DECL_ENCODING = re.compile(r"^(<\?xml[^>]*?encoding\s*=\s*)([\"'])[^\"']*\2")


def transcode_bom(body: bytes, headers: dict[str, str]) -> tuple[bytes, dict[str, str]]:
    """A UTF-16/32 byte-order mark is authoritative (XML 1.0 F.1, RFC 7303 3.3).

    feedparser prefers the HTTP charset or a UTF-8 default and then "successfully" reads
    UTF-16 as UTF-8 (NULs and all); so re-encode such documents to UTF-8 and say so.
    """
    for bom, codec in _BOMS:
        if body.startswith(bom):
            text = body.decode(codec, errors="replace")
            text = _XML_DECL_ENCODING.sub(r"\1\2utf-8\2", text, count=1)
            kind = headers.get("content-type", "application/xml").split(";", 1)[0].strip()
            headers = {**headers, "content-type": f"{kind or 'application/xml'}; charset=utf-8"}
            return text.encode("utf-8", errors="replace"), headers
    return body, headers


_CHARREF = re.compile(rb"&#(?:[xX]([0-9a-fA-F]{1,8})|([0-9]{1,10}));")


def _drop_bad_charref(match: re.Match[bytes]) -> bytes:
    hex_digits, decimal = match.groups()
    code = int(hex_digits, 16) if hex_digits else int(decimal)
    if code in (0x9, 0xA, 0xD) or (0x20 <= code < 0xD800) or (0xE000 <= code <= 0x10FFFF):
        if not 0x7F <= code <= 0x9F and code not in (0xFFFE, 0xFFFF):
            return match.group(0)
    return b""


def drop_bad_charrefs(body: bytes) -> bytes:
    """Remove character references XML forbids (``&#0;``, ``&#xD800;``, C0/C1 controls):
    feedparser would pass lone surrogates through or fail on them."""
    return _CHARREF.sub(_drop_bad_charref, body) if b"&#" in body else body


def parse(body: bytes, headers: dict[str, str]) -> tuple[Any, ...]:
    import feedparser

    body, headers = transcode_bom(body, headers)
    body = drop_bad_charrefs(body)

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
