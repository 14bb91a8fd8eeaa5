"""Retention: what is kept how long, and the pruner that removes the rest.

``NEWSBOT_RETENTION`` (default 30 days; ``off`` keeps everything) is how long history is kept.
With ``cutoff = now - retention``, a prune removes, in this order:

    story_alerts  (chat, story) ledger keys made before the cutoff whose story has no entry
                  seen since the cutoff, no edit still owed, and whose alert is not owed either
                  (a story alive within its window keeps its ledger: later reports still
                  become edits, never second alerts)
    alert_keys    (chat, link) claims of stories-off chats made before the cutoff
    outbox        rows sent or dead before the cutoff (their outbox_items with them) that no
                  kept ledger key names as the message to edit; pending, leased (sending) and
                  held rows are owed and stay, whatever their age
    entries       rows whose ``last_seen`` is before the cutoff, that no kept outbox row
                  carries, of no story with an edit owed, and that are not in their feed's
                  current document (below)

**Dedup survives pruning.** Dedup needs the rows of the items a feed still serves: an item
whose row was pruned would be new again. Every poll that brings a document marks the rows of
the items in it as seen (``entries.last_seen``, brought up to date when older than
``refresh``, a day at most) and the feed's ``document_at`` likewise. So every row of the
current document has ``last_seen >= document_at - refresh``, and a row is pruned only when
``last_seen < document_at - refresh`` as well as before the cutoff: an item the feed still
serves keeps its row however old it is, even while the feed answers 304 for months or fails
(its ``document_at`` stays where it was). A feed whose ``document_at`` is not known yet (a
database from before retention, until the feed's next document) keeps all its rows; entries
of a feed no longer in the feeds table go by the cutoff alone. An item that left its feed's
documents for longer than the retention and comes back is new again (it alerts once more).

Each batch (``batch`` rows) is its own short write transaction, and the event loop runs
between batches, so polling and delivery never wait long on a prune. Every DELETE repeats
its conditions, so a row that became needed between the batch's SELECT and its DELETE (an
item seen again on PostgreSQL, where writers run concurrently) stays. On PostgreSQL one
instance prunes at a time: the one that takes the session advisory lock ``PRUNE_KEY``
(``pg_try_advisory_lock``); the others skip that round.
"""

from __future__ import annotations

import asyncio
import functools
import logging
import time
from collections.abc import AsyncIterator, Awaitable, Callable
from contextlib import asynccontextmanager
from dataclasses import dataclass, field
from typing import Any

import sqlalchemy as sa

from bot.models import AlertKind, AlertState
from bot.store import schema
from bot.store.db import Database
from bot.store.entries import SEEN_REFRESH
from bot.store.roles import role_key

log = logging.getLogger(__name__)

E, F, OB, OI = schema.entries, schema.feeds, schema.outbox, schema.outbox_items
L, K = schema.story_alerts, schema.alert_keys
PRUNE_KEY = role_key("pruner")
BATCH = 500  # rows per transaction
PRUNE_EVERY = 600.0  # seconds between prunes (bot.app)
FINISHED = (AlertState.SENT.value, AlertState.DEAD.value)
OWED = (AlertState.PENDING.value, AlertState.SENDING.value, AlertState.HELD.value)
TABLES = ("story_alerts", "alert_keys", "outbox", "entries")


def refresh_for(retention: float | None) -> float:
    """How stale ``entries.last_seen`` may grow while the feed serves the entry: a day, or a
    quarter of a short retention (tests)."""
    return SEEN_REFRESH if retention is None else min(SEEN_REFRESH, retention / 4)


@dataclass(frozen=True, slots=True)
class Pruned:
    """What one prune removed (rows per table), or ``skipped``: another instance prunes."""

    removed: dict[str, int] = field(default_factory=dict)
    batches: int = 0
    skipped: bool = False

    @property
    def total(self) -> int:
        return sum(self.removed.values())


# --------------------------------------------------------------------------- the conditions


def _owed_stories() -> sa.Select[Any]:
    """Stories with an edit still owed: their entries and ledger keys stay."""
    ob = OB.alias()
    return sa.select(ob.c.story_id).where(
        ob.c.kind == AlertKind.EDIT.value, ob.c.state.in_(OWED), ob.c.story_id.is_not(None)
    )


def _ledger_prunable(cutoff: float, ledger: Any = L) -> sa.ColumnElement[bool]:
    e, ob = E.alias(), OB.alias()
    recent = sa.exists().where(e.c.story_id == ledger.c.story_id, e.c.seen_at >= cutoff)
    owed = sa.exists().where(ob.c.id == ledger.c.outbox_id, ob.c.state.in_(OWED))
    return sa.and_(
        ledger.c.created_at < cutoff,
        sa.not_(recent),
        sa.not_(owed),
        ledger.c.story_id.not_in(_owed_stories()),
    )


def _claims_prunable(cutoff: float) -> sa.ColumnElement[bool]:
    return K.c.created_at < cutoff


def _outbox_prunable(cutoff: float, row: Any = OB, then: bool = False) -> sa.ColumnElement[bool]:
    """``then``: once this prune's ledger keys are gone (what ``pending`` counts)."""
    ledger = L.alias()
    kept = [sa.not_(_ledger_prunable(cutoff, ledger))] if then else []
    carrier = sa.exists().where(ledger.c.outbox_id == row.c.id, *kept)
    return sa.and_(
        row.c.state.in_(FINISHED),
        row.c.created_at < cutoff,
        sa.func.coalesce(row.c.sent_at, row.c.created_at) < cutoff,
        sa.not_(carrier),
    )


def _entry_prunable(cutoff: float, refresh: float, then: bool = False) -> sa.ColumnElement[bool]:
    """``then``: once this prune's outbox rows are gone (what ``pending`` counts)."""
    document = (
        sa.select(F.c.document_at).where(F.c.id == E.c.feed_id).scalar_subquery()
    )  # NULL: the feed is gone (cutoff alone) or its document is not known yet (kept)
    feed_known = sa.exists().where(F.c.id == E.c.feed_id)
    if then:
        ob = OB.alias()
        carried = (
            sa.exists()
            .select_from(OI.join(ob, ob.c.id == OI.c.outbox_id))
            .where(OI.c.entry_id == E.c.id, sa.not_(_outbox_prunable(cutoff, ob, then=True)))
        )
    else:
        carried = sa.exists().where(OI.c.entry_id == E.c.id)
    return sa.and_(
        E.c.last_seen < cutoff,
        sa.or_(sa.not_(feed_known), E.c.last_seen < document - refresh),
        sa.not_(carried),
        sa.or_(E.c.story_id.is_(None), E.c.story_id.not_in(_owed_stories())),
    )


@dataclass(frozen=True, slots=True)
class _Table:
    """One table's prune: its candidates in keyset order, and how to delete them."""

    name: str
    order: tuple[sa.ColumnElement[Any], ...]  # unique keyset order
    key: tuple[sa.Column[Any], ...]  # the primary key
    prunable: Callable[[float], sa.ColumnElement[bool]]
    table: sa.Table


def _tables(refresh: float) -> list[_Table]:
    return [
        _Table(
            "story_alerts",
            (L.c.created_at, L.c.chat_id, L.c.story_id),
            (L.c.chat_id, L.c.story_id),
            _ledger_prunable,
            L,
        ),
        _Table(
            "alert_keys",
            (K.c.created_at, K.c.chat_id, K.c.story_key),
            (K.c.chat_id, K.c.story_key),
            _claims_prunable,
            K,
        ),
        _Table("outbox", (OB.c.id,), (OB.c.id,), _outbox_prunable, OB),
        _Table(
            "entries",
            (E.c.last_seen, E.c.id),
            (E.c.id,),
            lambda cutoff: _entry_prunable(cutoff, refresh),
            E,
        ),
    ]


def _batch(
    conn: sa.Connection, spec: _Table, cutoff: float, after: tuple[Any, ...] | None, size: int
) -> tuple[int, tuple[Any, ...] | None]:
    """Delete one batch: (rows deleted, where the next batch starts; None: no more)."""
    query = sa.select(*spec.order, *spec.key).where(spec.prunable(cutoff))
    if after is not None:
        query = query.where(sa.tuple_(*spec.order) > sa.tuple_(*after))
    found = conn.execute(query.order_by(*spec.order).limit(size)).all()
    if not found:
        return 0, None
    width = len(spec.order)
    keys = [tuple(row[width:]) for row in found]
    where = spec.prunable(cutoff)
    if len(spec.key) == 1:
        chosen = spec.key[0].in_([k[0] for k in keys])
    else:
        chosen = sa.tuple_(*spec.key).in_(keys)
    if spec.table is OB:  # the items of the rows deleted (the foreign key cascades too)
        gone = sa.select(OB.c.id).where(chosen, where)
        conn.execute(OI.delete().where(OI.c.outbox_id.in_(gone)))
    deleted = conn.execute(spec.table.delete().where(chosen, where)).rowcount or 0
    last = tuple(found[-1][:width])
    return int(deleted), (last if len(found) == size else None)


class Pruner:
    """Removes what the retention no longer keeps, a batch at a time (see the docstring)."""

    def __init__(
        self,
        db: Database,
        retention: float,
        *,
        refresh: float = SEEN_REFRESH,
        batch: int = BATCH,
        clock: Callable[[], float] = time.time,
        pause: float = 0.0,
        after_prune: Callable[[Database], Awaitable[Any]] | None = None,
    ) -> None:
        self.db = db
        self.retention = retention
        self.refresh = refresh
        self.batch = batch
        self.clock = clock
        self.pause = pause  # seconds between batches (the event loop runs in between)
        self.after_prune = after_prune
        self._tables = _tables(refresh)

    async def prune(self, now: float | None = None) -> Pruned:
        """One prune of everything older than the retention, batch by batch."""
        now = self.clock() if now is None else now
        cutoff = now - self.retention
        async with self._exclusive() as mine:
            if not mine:
                return Pruned(skipped=True)
            removed: dict[str, int] = {}
            batches = 0
            for spec in self._tables:
                after: tuple[Any, ...] | None = None
                total = 0
                while True:
                    step = functools.partial(_batch, spec=spec, cutoff=cutoff, after=after)
                    deleted, after = await self.db.write(functools.partial(step, size=self.batch))
                    batches += 1
                    total += deleted
                    await asyncio.sleep(self.pause)
                    if after is None:
                        break
                removed[spec.name] = total
        return Pruned(removed, batches)

    async def run(self) -> None:
        """The scheduler's job: prune, log what went, give SQLite's free pages back."""
        started = time.monotonic()
        try:
            pruned = await self.prune()
            if self.after_prune is not None and not pruned.skipped:
                await self.after_prune(self.db)
        except Exception as exc:  # the database's health reports outages; next round retries
            log.warning("prune failed: %s", exc)
            return
        if pruned.total:
            log.info(
                "pruned %s in %d batches (%.1fs)",
                ", ".join(f"{n} {t}" for t, n in pruned.removed.items() if n),
                pruned.batches,
                time.monotonic() - started,
            )

    async def pending(self, now: float | None = None) -> dict[str, int]:
        """What the next prune would remove now, per table (``newsbot db stats``)."""
        now = self.clock() if now is None else now
        cutoff = now - self.retention
        counts: dict[str, int] = {}
        after = {
            "outbox": _outbox_prunable(cutoff, then=True),
            "entries": _entry_prunable(cutoff, self.refresh, then=True),
        }
        async with self.db.read() as conn:
            for spec in self._tables:
                where = after.get(spec.name, spec.prunable(cutoff))
                query = sa.select(sa.func.count()).select_from(spec.table).where(where)
                counts[spec.name] = int((await conn.execute(query)).scalar_one())
        return counts

    @asynccontextmanager
    async def _exclusive(self) -> AsyncIterator[bool]:
        """PostgreSQL: whether this instance holds the prune lock (held until the end)."""
        if self.db.dialect != "postgresql":
            yield True
            return
        async with self.db.read() as conn:
            got = bool(await conn.scalar(sa.select(sa.func.pg_try_advisory_lock(PRUNE_KEY))))
            await conn.commit()
            try:
                yield got
            finally:
                if got:
                    await conn.scalar(sa.select(sa.func.pg_advisory_unlock(PRUNE_KEY)))
                    await conn.commit()
