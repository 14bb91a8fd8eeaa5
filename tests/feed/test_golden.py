"""The golden corpus (``tests/feed/golden``, our own documents, see ``golden/make.py``).

Each document's golden file holds what the authority (feedparser; JSON Feed: our reader) gives
through our normalization. Checked three ways: feedparser alone (the expectation still holds:
a feedparser upgrade or a normalization change shows up here first), the worker with the
fast path allowed (it must give exactly the same), and the running system: the real local
server, the fetcher and the parser pool.
"""

from __future__ import annotations

import json
from collections import Counter
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from bot.errors import ParseError
from bot.feed.fetch import Fetched, Fetcher
from bot.feed.parse import ParserPool
from tests.feed.golden.make import CASES, NOW, expectation, expected
from tests.feed.server import FeedServer

MIN_CASES = 300
MIN_FAST = 120  # 134 of the 305 documents today; fewer means the fast path got narrower


@dataclass(frozen=True)
class Golden:
    name: str
    body: bytes
    headers: dict[str, str]
    url: str
    expect: dict[str, Any]


def golden_cases() -> list[Golden]:
    out = []
    for path in sorted(CASES.glob("*.golden.json")):
        data = json.loads(path.read_text(encoding="utf-8"))
        body = (CASES / data["document"]).read_bytes()
        out.append(Golden(path.name, body, data["headers"], data["url"], data["expect"]))
    return out


CORPUS = golden_cases()


def test_corpus_is_complete() -> None:
    assert len(CORPUS) >= MIN_CASES
    versions = Counter(c.expect.get("version", "error") for c in CORPUS)
    for version in ("rss090", "rss091u", "rss092", "rss20", "rss10", "atom03", "atom10", "json1",
                    "json11", "error"):  # fmt: skip
        assert versions[version], version
    entries = sum(len(c.expect.get("entries", ())) for c in CORPUS)
    assert entries >= 600, entries


def test_feedparser_still_gives_the_golden_entries() -> None:
    wrong = [
        c.name for c in CORPUS if expectation(c.body, c.headers, c.url, fast_path=False) != c.expect
    ]
    assert not wrong, wrong


def test_fast_path_gives_exactly_the_golden_entries() -> None:
    from bot.feed import _fast, _worker

    wrong, fast = [], 0
    for case in CORPUS:
        body, headers = _worker.prepare(case.body, dict(case.headers))
        if not _worker.is_json(body) and _fast.parse_fast(body, headers) is not None:
            fast += 1
        if expectation(case.body, case.headers, case.url, fast_path=True) != case.expect:
            wrong.append(case.name)
    assert not wrong, wrong
    assert fast >= MIN_FAST, fast


async def test_served_fetched_and_pooled_as_golden(fetcher: Fetcher, pool: ParserPool) -> None:
    """Every golden document through the real local server, the fetcher and the parser pool
    (fast path on), as the pipeline runs it."""
    parsers: Counter[str] = Counter()
    wrong = []
    async with FeedServer() as server:
        for case in CORPUS:
            path = "/" + case.name
            served = {key.title(): value for key, value in case.headers.items()}
            server.body(path, case.body, headers=served)
            fetched = await fetcher.fetch(server.url(path))
            assert isinstance(fetched, Fetched)
            try:
                feed, entries = await pool.parse_entries(
                    fetched.body, fetched.headers, case.url, "golden", NOW
                )
            except ParseError as exc:
                got: dict[str, Any] = {"error": str(exc)}
                ok = "error" in case.expect and case.expect["error"] in str(exc)
            else:
                parsers[feed.parser] += 1
                rows = [
                    (e.key, e.title, e.link, e.summary, _epoch(e.published), e.author)
                    for e in entries
                ]
                got = expected(feed.title, feed.ttl, feed.version, rows)
                ok = got == case.expect
            if not ok:
                wrong.append((case.name, got))
    assert not wrong, wrong[:3]
    assert parsers["fast"] >= MIN_FAST and parsers["feedparser"] and parsers["jsonfeed"]


def _epoch(value: Any) -> float | None:
    return value.timestamp() if value is not None else None


def test_golden_files_sit_beside_their_documents() -> None:
    documents = {p.name for p in CASES.iterdir() if not p.name.endswith(".golden.json")}
    named = {json.loads(p.read_text())["document"] for p in CASES.glob("*.golden.json")}
    assert documents == named
    assert Path(CASES).parent.joinpath("make.py").is_file()
