"""Parser pool: encodings, pathological inputs killed within limits, the pool survives."""

from __future__ import annotations

import asyncio
import time
from datetime import UTC, datetime
from pathlib import Path

import pytest

from bot.errors import ParseError
from bot.feed.entries import normalize_entries
from bot.feed.parse import ParserPool
from tests.feed.feeds import rss

XML = {"content-type": "application/rss+xml; charset=utf-8"}


async def test_parse_basic(pool: ParserPool) -> None:
    parsed = await pool.parse(rss(3, ttl=15).encode(), XML, "https://example.com/feed")
    assert parsed.version == "rss20" and parsed.title == "Test feed" and parsed.ttl == 900.0
    assert [e.id for e in parsed.entries] == ["id-0", "id-1", "id-2"]
    assert parsed.entries[0].published == datetime(2023, 4, 3, 1, 2, 0, tzinfo=UTC)


async def test_cp1252_declared_as_utf8_still_delivers(pool: ParserPool) -> None:
    body = rss(1).replace("Item 0", "Caf\u00e9 \u201cquoted\u201d").encode("cp1252")
    parsed = await pool.parse(body, XML, "https://example.com/feed")
    assert parsed.bozo is not None
    entries = normalize_entries(parsed, "f", datetime.now(UTC))
    assert len(entries) == 1 and "Caf" in entries[0].title
    entries[0].title.encode("utf-8")


async def test_utf16_with_bom_undeclared(pool: ParserPool) -> None:
    body = rss(2).replace('encoding="utf-8"', "").replace("Item 0", "Пример").encode("utf-16")
    parsed = await pool.parse(body, {"content-type": "application/xml"}, "https://e.com/")
    assert parsed.entries[0].title == "Пример"


@pytest.mark.parametrize("ref", ["&#xD800;", "&#0;", "&#x1;", "&#xDFFF;", "&#x7F;"])
async def test_bad_character_references_come_out_clean(pool: ParserPool, ref: str) -> None:
    body = rss(1).replace("<title>Item 0</title>", f"<title>A{ref}B</title>")
    body = body.replace("&lt;p&gt;Summary 0&lt;/p&gt;", f"S{ref}T")
    parsed = await pool.parse(body.encode(), XML, "https://example.com/feed")
    [entry] = normalize_entries(parsed, "f", datetime.now(UTC))
    assert entry.title == "AB" and entry.summary == "ST"


async def test_not_a_feed(pool: ParserPool) -> None:
    with pytest.raises(ParseError, match="not a feed"):
        await pool.parse(b"<html><body><p>Hello</p></body></html>", {}, "https://e.com/")


def _author_bomb(size: int = 60_000) -> bytes:
    author = "a@" + "a." * size  # feedparser's e-mail regex backtracks quadratically
    return rss(1, extra="").replace("<guid>", f"<author>{author}!</author><guid>").encode()


def _entity_bomb(refs: int = 1_000_000) -> bytes:
    # A "safe" entity (feedparser keeps it), kept under expat's 100x amplification limit:
    # 3 MB of references expand to 250 M characters.
    head = '<?xml version="1.0"?><!DOCTYPE rss [<!ENTITY e "' + "x" * 250 + '">]>'
    return (
        head + '<rss version="2.0"><channel><title>t</title><item><title>a</title>'
        "<description>" + "&e;" * refs + "</description></item></channel></rss>"
    ).encode()


@pytest.mark.slow
@pytest.mark.parametrize("make", [_author_bomb, _entity_bomb], ids=["author-regex", "entities"])
async def test_pathological_inputs_killed_pool_survives(make: object) -> None:
    assert callable(make)
    body = make()
    async with ParserPool(workers=2, cpu_time=2.0, wall_time=3.0, memory=512 << 20) as pool:
        started = time.monotonic()
        with pytest.raises(ParseError):
            await pool.parse(body, XML, "https://example.com/bad")
        assert time.monotonic() - started < 3.0 + 2.0
        # the other worker, and a replacement for the dead one, keep parsing
        results = await asyncio.gather(
            *(pool.parse(rss(2).encode(), XML, "https://e.com/") for _ in range(4))
        )
        assert all(len(r.entries) == 2 for r in results)
        assert pool.restarts >= 1


async def test_wall_clock_kill(pool: ParserPool) -> None:
    fast = ParserPool(workers=1, cpu_time=30.0, wall_time=0.5)
    async with fast:
        with pytest.raises(ParseError, match="wall"):
            await fast.parse(_author_bomb(40_000), XML, "https://e.com/")
        parsed = await fast.parse(rss(1).encode(), XML, "https://e.com/")
        assert len(parsed.entries) == 1


async def test_closed_pool_refuses() -> None:
    pool = ParserPool(workers=1)
    async with pool:
        pass
    with pytest.raises(ParseError):
        await pool.parse(rss(1).encode(), XML, "https://e.com/")


async def test_parse_entries_equals_parse_then_normalize(
    pool: ParserPool, shared_dir: Path
) -> None:
    """The worker-side normalization gives exactly what normalizing in the bot would."""
    now = datetime(2026, 1, 1, tzinfo=UTC)
    files = sorted((shared_dir / "corpora" / "feedparser" / "wellformed").rglob("*.xml"))[::7]
    compared = 0
    for path in files:
        body = path.read_bytes()
        try:
            parsed = await pool.parse(body, {}, "http://feed.example/x.xml")
        except ParseError:
            continue
        meta, entries = await pool.parse_entries(body, {}, "http://feed.example/x.xml", "f", now)
        assert entries == normalize_entries(parsed, "f", now), path.name
        assert (meta.title, meta.ttl, meta.version) == (parsed.title, parsed.ttl, parsed.version)
        compared += 1
    assert compared > 100
