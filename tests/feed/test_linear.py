"""Hostile feed bytes cost linear time in our own scanning of them (issue #9: regex audit).

Each hostile document is timed at size n and 4n inside the same test; the ratio must stay
below 8x, half way between linear (4x) and quadratic (16x), a margin for a noisy shared
machine. Covers the fast path (``bot.feed._fast``: encoding replay, expat replay), the BOM
transcoding and character reference dropping every document goes through
(``bot.feed._worker.prepare``), and the header readings (``bot.feed.headers``). feedparser's
own fallback is not ours to time: its worst cases meet the worker's CPU limit.

Nor is expat's own cost: expat 2.5 (Debian's and CPython's) is itself superlinear on a single
multi-megabyte name token (an 2.5 MB attribute name parses in 15 ms, 10 MB in 108 ms). The
body cap (``max_body``, 10 MiB) bounds that to about a tenth of a second, so for the documents
the fast path hands to expat the bound is relative: our whole work may grow at most 1.5 times
as fast as expat alone on the same bytes, measured in the same run. The sizes stay within the
body cap, as a fetched document does.
"""

from __future__ import annotations

import gc
import time
import xml.parsers.expat
from collections.abc import Callable
from datetime import UTC, datetime

import pytest

from bot.feed import _fast, _worker
from bot.feed.fetch import FetchLimits
from bot.feed.headers import freshness

HEAD = b'<?xml version="1.0" encoding="utf-8"?><rss version="2.0"><channel><title>t</title>'
RSS = {"content-type": "application/rss+xml; charset=utf-8"}
NOW = datetime(2030, 1, 1, tzinfo=UTC)
MAX_BODY = FetchLimits().max_body  # the largest document a poll hands on


class Fast:
    """Our own work on a document: prepare() and the fast path (not feedparser's fallback)."""

    def __init__(self, body: bytes) -> None:
        self.body = body

    def __call__(self) -> object:
        prepared, headers = _worker.prepare(self.body, RSS)
        return _fast.parse_fast(prepared, headers)

    def expat(self) -> object:
        """The baseline: the C parser alone on the same bytes, with nothing of ours around it."""
        xml.parsers.expat.ParserCreate(None, " ").Parse(self.body, True)
        return None


HOSTILE: dict[str, Callable[[int], Callable[[], object]]] = {
    # unterminated constructs the old tag regex rescanned to the end from every opener
    "cdata-openers": lambda n: Fast(HEAD + b"<![CDATA[" * n),
    "comment-openers": lambda n: Fast(HEAD + b"<!--" * n),
    "pi-openers": lambda n: Fast(HEAD + b"<?" * n),
    "tag-openers": lambda n: Fast(HEAD + b"<a " * n),
    "title-openers": lambda n: Fast(HEAD + b"<title " * n),
    "attribute-name-run": lambda n: Fast(HEAD + b"<item " + b"a" * (8 * n) + b"></item>"),
    "attribute-values": lambda n: Fast(HEAD + b'<item a="' + b"x=" * (4 * n) + b"></item>"),
    "charrefs": lambda n: Fast(HEAD + b"&#" * (4 * n)),
    "ampersands": lambda n: Fast(HEAD + b"&#1" * (4 * n)),
    "xml-decl": lambda n: Fast(b"<?xml " + b"encoding= '" * n),
    "xml-decl-utf16": lambda n: Fast(("<?xml " + "encoding  '" * n).encode("utf-16")),
    "xml-decl-quotes": lambda n: Fast(b"<?xml encoding='utf-8" + b"'\"" * n + b" ?"),
    # feedparser's RE_XML_PI_ENCODING is cubic on these; our replay of it is not
    "xml-decl-candidates": lambda n: Fast(b"<?xml " + b"encoding='x" * n),
    "xml-decl-long-line": lambda n: Fast(b"<?xml encoding='utf-8'?>" + b"<a b='encoding=\"'/>" * n),
    # texts the replay runs feedparser's helpers on: link fix-up, looks_like_html, dates
    "link-entity-runs": lambda n: Fast(
        HEAD + b"<item><link>" + b"&amp;abc" * (4 * n) + b"</link></item></channel></rss>"
    ),
    "title-html-guess": lambda n: Fast(
        HEAD + b"<item><title>" + b"&lt;/abc &amp;x" * (2 * n) + b"</title></item></channel></rss>"
    ),
    "many-dates": lambda n: Fast(
        HEAD
        + b"<item>"
        + b"<pubDate>Mon, 03 Apr 2023 01:02:03 GMT</pubDate>" * (n // 10)
        + b"</item></channel></rss>"
    ),
    "cache-control": lambda n: lambda: freshness({"cache-control": ", " * (4 * n)}, NOW),
}


def _size(run: Callable[[], object]) -> int:
    return len(run.body) if isinstance(run, Fast) else 0


def _best(run: Callable[[], object], repeat: int = 3) -> float:
    """Fastest of ``repeat`` runs in this thread's CPU time (other processes on a busy machine
    do not inflate it; wall time did)."""
    best = float("inf")
    for _ in range(repeat):
        started = time.thread_time()
        try:
            run()
        except Exception:  # a parse error is fine: only the time matters here
            pass
        best = min(best, time.thread_time() - started)
    return best


@pytest.mark.parametrize("name", list(HOSTILE), ids=list(HOSTILE))
def test_hostile_input_costs_linear_time(name: str) -> None:
    """Four times the input may cost at most 8x the time: linear is 4x, quadratic 16x."""
    make = HOSTILE[name]
    n = 5_000
    small = _best(make(n))
    # grow n until the small run is long enough to time reliably (2 ms), within the body cap
    while small < 2e-3 and n < 400_000 and _size(make(16 * n)) <= MAX_BODY:
        n *= 4
        small = _best(make(n))
    # a shared machine stalls now and then: a ratio over the bound is measured again (up to
    # three times); a quadratic parser is over it every time (16x), a linear one at most once
    ratios: list[str] = []
    enabled = gc.isenabled()
    gc.disable()
    try:
        for _ in range(3):
            small_run, large_run = make(n), make(4 * n)
            small, large = _best(small_run), _best(large_run)
            bound = 8.0
            measured = f"{small * 1e3:.2f} ms -> {large * 1e3:.2f} ms"
            if isinstance(small_run, Fast) and isinstance(large_run, Fast):
                base = _best(large_run.expat) / _best(small_run.expat)
                bound = max(bound, 1.5 * base)
                measured += f" (expat alone x{base:.1f})"
            ratios.append(measured)
            if large / small < bound:
                break
    finally:
        if enabled:
            gc.enable()
    assert large / small < bound, f"n={n}: {'; '.join(ratios)}"
