"""The kept history, searched: what a query or a rules file would have matched.

    search(db, ruleset, limit=10)           the latest kept entries a query matches (/search)
    count(db, ruleset, since)               how many entries since then it matches (/watch)
    backtest(db, ruleset, since, latest=3)  per rule: how many matched, and the latest few

Entries are read newest first (by id: ids grow with time) in pages of ``PAGE`` rows and
matched with the live matcher (``RuleSet.match``: the full query language, a rule's
``feeds`` honoured) in a worker thread, so the event loop keeps running. A scan stops at the
first entry first seen before ``since``, once it has what it needs, or when its budget of
rows or seconds runs out: ``Scan.complete`` then says the figures are a lower bound.
Everything here reads; the history kept is what ``NEWSBOT_RETENTION`` keeps.
"""

from __future__ import annotations

import asyncio
import time
from collections.abc import Callable, Sequence
from dataclasses import dataclass, field
from typing import Any

import sqlalchemy as sa

from bot.match import RuleSet
from bot.store import schema
from bot.store.db import Database

PAGE = 2000
E, F = schema.entries, schema.feeds


@dataclass(frozen=True, slots=True)
class Found:
    """One stored entry a rule matched."""

    entry_id: int
    feed_id: str
    feed_name: str
    title: str
    link: str | None
    published: float | None
    seen_at: float

    @property
    def when(self) -> float:
        return self.published if self.published is not None else self.seen_at


@dataclass
class Scan:
    counts: dict[str, int] = field(default_factory=dict)  # rule id -> entries matched
    latest: dict[str, list[Found]] = field(default_factory=dict)  # newest first
    scanned: int = 0
    complete: bool = True  # False: a budget ran out first (before ``since``, or enough hits)


def _page(before: int | None) -> sa.Select[Any]:
    query = (
        sa.select(
            E.c.id,
            E.c.feed_id,
            sa.func.coalesce(F.c.name, E.c.feed_id).label("feed_name"),
            E.c.title,
            E.c.summary,
            E.c.link,
            E.c.published,
            E.c.seen_at,
        )
        .outerjoin(F, F.c.id == E.c.feed_id)
        .order_by(E.c.id.desc())
        .limit(PAGE)
    )
    return query if before is None else query.where(E.c.id < before)


def _match(ruleset: RuleSet, rows: Sequence[Any]) -> list[tuple[Any, list[str]]]:
    found = []
    for row in rows:
        rules = [m.rule_id for m in ruleset.match(row.title, row.summary or "", row.feed_id)]
        if rules:
            found.append((row, rules))
    return found


async def scan(
    db: Database,
    ruleset: RuleSet,
    *,
    since: float | None = None,
    latest: int = 3,
    enough: Callable[[Scan], bool] = lambda s: False,
    max_rows: int | None = None,
    max_seconds: float | None = None,
    clock: Callable[[], float] = time.monotonic,
) -> Scan:
    """Match the kept entries, newest first, back to ``since`` (None: all of them)."""
    result = Scan(counts=dict.fromkeys(ruleset.rule_ids, 0))
    started = clock()
    before: int | None = None
    while True:
        async with db.read() as conn:
            rows = (await conn.execute(_page(before))).all()
        if not rows:
            return result
        before = rows[-1].id
        reached = since is not None and rows[-1].seen_at < since
        if since is not None:
            rows = [r for r in rows if r.seen_at >= since]
        result.scanned += len(rows)
        for row, rules in await asyncio.to_thread(_match, ruleset, rows):
            for rule in rules:
                result.counts[rule] = result.counts.get(rule, 0) + 1
                kept = result.latest.setdefault(rule, [])
                if len(kept) < latest:
                    kept.append(
                        Found(
                            row.id,
                            row.feed_id,
                            row.feed_name,
                            row.title,
                            row.link,
                            row.published,
                            row.seen_at,
                        )
                    )
        if reached:
            return result
        if enough(result):
            return result  # all that was asked for: complete
        out_of_rows = max_rows is not None and result.scanned >= max_rows
        if out_of_rows or (max_seconds is not None and clock() - started >= max_seconds):
            result.complete = False
            return result


SEARCH_ROWS = 500_000  # entries one /search looks through at most
SEARCH_SECONDS = 5.0
COUNT_SECONDS = 3.0  # the /watch reply waits for its count at most this long


async def search(
    db: Database,
    ruleset: RuleSet,
    *,
    limit: int = 10,
    max_rows: int = SEARCH_ROWS,
    max_seconds: float = SEARCH_SECONDS,
) -> tuple[list[Found], Scan]:
    """The latest ``limit`` kept entries the one rule of ``ruleset`` matches, newest first."""
    (rule,) = ruleset.rule_ids
    found = await scan(
        db,
        ruleset,
        latest=limit,
        enough=lambda s: s.counts.get(rule, 0) >= limit,
        max_rows=max_rows,
        max_seconds=max_seconds,
    )
    return found.latest.get(rule, []), found


async def count(
    db: Database,
    ruleset: RuleSet,
    since: float,
    *,
    rule: str | None = None,
    max_seconds: float = COUNT_SECONDS,
) -> tuple[int, Scan]:
    """How many entries first seen since ``since`` rule ``rule`` of ``ruleset`` matches (by
    default its only rule; /watch counts one watch of the compiled set of every watch)."""
    if rule is None:
        (rule,) = ruleset.rule_ids
    found = await scan(db, ruleset, since=since, latest=0, max_seconds=max_seconds)
    return found.counts.get(rule, 0), found


async def backtest(db: Database, ruleset: RuleSet, since: float | None, latest: int = 3) -> Scan:
    """Every rule's matches among the entries first seen since ``since`` (no budget)."""
    return await scan(db, ruleset, since=since, latest=latest)
