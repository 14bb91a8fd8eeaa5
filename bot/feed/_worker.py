"""Parser worker: ``python -m bot.feed._worker CPU_SECONDS MEMORY_BYTES [fast|feedparser]``.

Says it is ready (an empty frame) once its imports are done, then reads length-prefixed
``marshal`` frames ``(body, headers)`` on stdin and answers ``("ok", feed)`` or
``("error", message)`` frames on stdout. Only the standard library and feedparser are
imported; they run on bytes + headers, never on a URL or path. Every document is first
:func:`prepare`-d; then JSON goes to :mod:`bot.feed._jsonfeed` (JSON Feed 1.0/1.1), XML to
the fast path (:mod:`bot.feed._fast`, feedparser's strict reading replayed on expat, when on
and sure) or else to feedparser itself (:mod:`bot.feed._authority`).

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

from bot.feed._authority import LONG, MAX_ENTRIES, SHORT, parse_feedparser
from bot.feed._fast import parse_fast
from bot.feed._jsonfeed import is_json, parse_jsonfeed

_HEADER = struct.Struct("!I")


def _read_exact(stream: BinaryIO, size: int) -> bytes | None:
    data = b""
    while len(data) < size:
        chunk = stream.read(size - len(data))
        if not chunk:
            return None
        data += chunk
    return data


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


def prepare(body: bytes, headers: dict[str, str]) -> tuple[bytes, dict[str, str]]:
    """What both parsers see: BOM-transcoded, forbidden character references dropped."""
    body, headers = transcode_bom(body, headers)
    return drop_bad_charrefs(body), headers


def parse(body: bytes, headers: dict[str, str], fast_path: bool = True) -> tuple[Any, ...]:
    """``(title, link, ttl, entries, bozo, version, parser)``: JSON Feed, else the fast path
    (when on and sure), else feedparser."""
    body, headers = prepare(body, headers)
    if is_json(body):
        return (*parse_json(body, headers), "jsonfeed")
    fast = parse_fast(body, headers) if fast_path else None
    if fast is not None:
        return (*fast, "fast")
    return (*parse_feedparser(body, headers), "feedparser")


def parse_json(body: bytes, headers: dict[str, str]) -> tuple[Any, ...]:
    """JSON Feed 1.0/1.1 (:mod:`bot.feed._jsonfeed`), with the XML parsers' caps."""
    from feedparser.datetimes import _parse_date

    return parse_jsonfeed(
        body, headers, short=SHORT, long=LONG, max_entries=MAX_ENTRIES, parse_date=_parse_date
    )


def parse_normalized(
    body: bytes,
    headers: dict[str, str],
    url: str,
    feed_id: str,
    now: float,
    fast_path: bool = True,
) -> tuple[Any, ...]:
    """Parse, then normalize here too (bot.feed.entries: pure), so the bot's event loop only
    rebuilds records: entries come back as plain tuples in ``Entry`` field order, with
    ``published`` as epoch seconds."""
    from datetime import UTC, datetime

    from bot.feed.entries import normalize_entries
    from bot.feed.parse import feed_from_tuple

    parsed = feed_from_tuple(parse(body, headers, fast_path), url)
    entries = normalize_entries(parsed, feed_id, datetime.fromtimestamp(now, UTC))
    return (
        parsed.title,
        parsed.link,
        parsed.ttl,
        tuple(
            (
                e.key,
                e.title,
                e.link,
                e.summary,
                e.published.timestamp() if e.published is not None else None,
                e.author,
            )
            for e in entries
        ),
        parsed.bozo,
        parsed.version,
        parsed.parser,
    )


def main() -> None:
    cpu_budget = float(sys.argv[1]) if len(sys.argv) > 1 else 10.0
    memory = int(sys.argv[2]) if len(sys.argv) > 2 else 0
    fast_path = (sys.argv[3] if len(sys.argv) > 3 else "fast") == "fast"
    if memory > 0:
        resource.setrlimit(resource.RLIMIT_AS, (memory, memory))
    import feedparser  # noqa: F401  (warm up before the first job)

    from bot.feed._fast import _tables

    _tables()

    stdin, stdout = sys.stdin.buffer, sys.stdout.buffer
    stdout.write(_HEADER.pack(0))  # ready: the parent's wall clock starts with the first job
    stdout.flush()
    while True:
        frame = _read_frame(stdin)
        if frame is None:
            return
        body, headers, *normalize = marshal.loads(frame)  # noqa: S302 - from our parent only
        _arm_cpu_limit(cpu_budget)
        started = time.monotonic()
        answer = _answer(body, headers, normalize, fast_path)
        del body
        _write_frame(stdout, (*answer, time.monotonic() - started))


def _read_frame(stream: BinaryIO) -> bytes | None:
    """One length-prefixed frame; None at the end of the stream."""
    head = _read_exact(stream, _HEADER.size)
    return None if head is None else _read_exact(stream, _HEADER.unpack(head)[0])


def _arm_cpu_limit(budget: float) -> None:
    """RLIMIT_CPU's soft limit at the CPU used so far plus ``budget`` (under the hard one)."""
    usage = resource.getrusage(resource.RUSAGE_SELF)
    soft = math.ceil(usage.ru_utime + usage.ru_stime + budget)
    _, hard = resource.getrlimit(resource.RLIMIT_CPU)
    if hard != resource.RLIM_INFINITY:
        soft = min(soft, hard)
    resource.setrlimit(resource.RLIMIT_CPU, (soft, hard))


def _answer(
    body: bytes, headers: dict[str, str], normalize: list[Any], fast_path: bool
) -> tuple[Any, ...]:
    """``("ok", feed)``, or ``("error", message)`` for this feed, or ``("fatal", message)``
    when the worker must go."""
    try:
        if normalize:
            url, feed_id, now = normalize
            return ("ok", parse_normalized(body, headers, url, feed_id, now, fast_path))
        return ("ok", parse(body, headers, fast_path))
    except MemoryError:
        return ("fatal", "out of memory")
    except Exception as exc:  # any parser failure is this feed's ParseError
        return ("error", f"{type(exc).__name__}: {exc}"[:500])


def _write_frame(stream: BinaryIO, answer: tuple[Any, ...]) -> None:
    try:
        out = marshal.dumps(answer)
    except ValueError:
        out = marshal.dumps(("error", "unserializable parse result", 0.0))
    stream.write(_HEADER.pack(len(out)) + out)
    stream.flush()


if __name__ == "__main__":
    main()
