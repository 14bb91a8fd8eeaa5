"""Feeds: their specs, HTTP cache state, health and next poll."""

from __future__ import annotations

import asyncio
from collections.abc import Callable, Iterable, Mapping, Sequence
from typing import Any

import sqlalchemy as sa

from bot.models import FeedSpec, FeedState
from bot.store import schema
from bot.store.db import Database, insert_ignore

T = schema.feeds


def _row_to_state(row: Any) -> FeedState:
    """A feed's state from its row: a SQLAlchemy ``Row._mapping`` or an asyncpg ``Record``."""
    spec = FeedSpec(
        id=row["id"],
        url=row["url"],
        interval=row["interval"],
        name=row["name"],
        trusted=row["trusted"],
    )
    return FeedState(
        spec=spec,
        source=row["source"],
        active=row["active"],
        etag=row["etag"],
        last_modified=row["last_modified"],
        moved_to=row["moved_to"],
        redirect_url=row["redirect_url"],
        redirect_count=row["redirect_count"],
        polled_once=row["polled_once"],
        last_attempt=row["last_attempt"],
        last_success=row["last_success"],
        last_new_entry=row["last_new_entry"],
        failures=row["failures"],
        last_error=row["last_error"],
        failing_notified=row["failing_notified"],
        next_poll=row["next_poll"],
        polls=row["polls"],
        not_modified=row["not_modified"],
        publish_gap=row["publish_gap"],
    )


class FeedStore:
    def __init__(self, db: Database) -> None:
        self.db = db
        self.engine = db.engine
        self._dirty: dict[str, FeedState] = {}
        self._flushing = asyncio.Lock()

    async def sync_from_rules(self, specs: Sequence[FeedSpec], now: float) -> None:
        """Make the rules-file feeds present and active; deactivate rules feeds no longer listed."""

        def tx(conn: sa.Connection) -> Any:
            existing = {
                r.id: r for r in (conn.execute(sa.select(T.c.id, T.c.url, T.c.source))).all()
            }
            for spec in specs:
                values = {
                    "url": spec.url,
                    "name": spec.name,
                    "interval": spec.interval,
                    "trusted": True,
                    "active": True,
                    "source": "rules",
                }
                if spec.id in existing:
                    old = existing[spec.id]
                    if old.url != spec.url:  # the operator changed the URL: forget cache state
                        values.update(
                            etag=None,
                            last_modified=None,
                            redirect_url=None,
                            redirect_count=0,
                            next_poll=None,
                            moved_to=None,
                        )
                    conn.execute(T.update().where(T.c.id == spec.id).values(**values))
                else:  # another instance starting at the same moment may insert it first
                    added = conn.execute(
                        insert_ignore(conn, T).values(id=spec.id, created_at=now, **values)
                    )
                    if not added.rowcount:
                        conn.execute(T.update().where(T.c.id == spec.id).values(**values))
            listed = {s.id for s in specs}
            gone = [fid for fid, r in existing.items() if r.source == "rules" and fid not in listed]
            if gone:
                conn.execute(T.update().where(T.c.id.in_(gone)).values(active=False))

        await self.db.write(tx)

    async def add(self, spec: FeedSpec, source: str, added_by: int | None, now: float) -> bool:
        """Add a feed (chat, OPML). False if the id is taken."""

        def tx(conn: sa.Connection) -> Any:
            result = conn.execute(
                insert_ignore(conn, T)
                .values(
                    id=spec.id,
                    url=spec.url,
                    name=spec.name,
                    interval=spec.interval,
                    trusted=spec.trusted,
                    source=source,
                    added_by=added_by,
                    created_at=now,
                )
                .returning(T.c.id)
            )
            return result.first() is not None

        return await self.db.write(tx)

    async def remove(self, feed_id: str) -> bool:
        def tx(conn: sa.Connection) -> Any:
            result = conn.execute(
                T.update().where(T.c.id == feed_id, T.c.active.is_(True)).values(active=False)
            )
            return bool(result.rowcount)

        return await self.db.write(tx)

    # ---------------------------------------------------------------- leases (several instances)

    async def claim_due(
        self, owner: str, now: float, lease: float, limit: int, busy: Sequence[str] = ()
    ) -> list[str]:
        """The ids of :meth:`claim`'s feeds."""
        return [s.spec.id for s in await self.claim(owner, now, lease, limit, busy)]

    async def claim(
        self, owner: str, now: float, lease: float, limit: int, busy: Sequence[str] = ()
    ) -> list[FeedState]:
        """Claim up to ``limit`` active feeds that are due (``next_poll`` passed or never set)
        and not leased by another instance; they are ``owner``'s until ``now + lease``.
        ``owner``'s own leases count as free except on ``busy`` (the feeds it is polling):
        a release the database missed (an outage) does not hold a feed back.
        ``FOR UPDATE SKIP LOCKED`` lets instances claim at once without waiting on each other
        or taking the same feed.  Returns their states as the claim read them, so a poll
        needs no read of its own."""
        if limit <= 0:
            return []
        if self.db.dialect == "postgresql":  # the hot path: one statement, no SQLAlchemy
            ids = list(busy)
            return await self.db.direct("claims").run(
                lambda conn: _pg_claim(conn, owner, now, now + lease, limit, ids)
            )

        def tx(conn: sa.Connection) -> list[FeedState]:
            due = (
                sa.select(T)
                .where(
                    T.c.active.is_(True),
                    sa.or_(T.c.next_poll.is_(None), T.c.next_poll <= now),
                    sa.or_(
                        T.c.lease_until.is_(None),
                        T.c.lease_until < now,
                        sa.and_(T.c.lease_owner == owner, T.c.id.not_in(list(busy))),
                    ),
                )
                .order_by(T.c.next_poll.asc().nulls_first(), T.c.id)
                .limit(limit)
            )
            if conn.dialect.name == "postgresql":
                due = due.with_for_update(skip_locked=True)
            states = [_row_to_state(r._mapping) for r in conn.execute(due)]
            if states:
                conn.execute(
                    T.update()
                    .where(T.c.id.in_([s.spec.id for s in states]))
                    .values(lease_owner=owner, lease_until=now + lease)
                )
            return states

        return await self.db.write(tx)

    async def renew(self, owner: str, feed_ids: Sequence[str], until: float) -> None:
        """Extend ``owner``'s leases on ``feed_ids`` (a poll that runs long)."""
        if not feed_ids:
            return

        def tx(conn: sa.Connection) -> None:
            # a feed whose release is being written is skipped (its lease is ending anyway):
            # renewing never waits on it
            ids = _lock_in_order(conn, feed_ids, owner, skip_locked=True)
            if ids:
                conn.execute(T.update().where(T.c.id.in_(ids)).values(lease_until=until))

        await self.db.write(tx)

    async def release(self, owner: str, feed_id: str, state: FeedState | None) -> None:
        """Write the feed's state (its next poll among it) and give up the lease, in one
        transaction."""
        await self.release_many(owner, {feed_id: state})

    async def release_many(self, owner: str, polled: Mapping[str, FeedState | None]) -> None:
        """:meth:`release` for several feeds at once: their states and leases, one
        transaction (an instance's polls that end together cost one round of writes)."""
        states = [st for st in polled.values() if st is not None]
        if self.db.dialect == "postgresql":  # the hot path: one transaction, no SQLAlchemy
            for st in states:
                self._dirty.pop(st.spec.id, None)
            await self.db.direct("releases").run(
                lambda conn: _pg_release(conn, owner, list(polled), states)
            )
            return
        save = _state_writer(states) if states else None

        def tx(conn: sa.Connection) -> None:
            ids = _lock_in_order(conn, list(polled), owner)
            if save is not None:
                save(conn)
            if ids:
                conn.execute(
                    T.update().where(T.c.id.in_(ids)).values(lease_owner=None, lease_until=None)
                )

        for st in states:
            self._dirty.pop(st.spec.id, None)
        await self.db.write(tx)

    async def get(self, feed_id: str) -> FeedState | None:
        async with self.db.read() as conn:
            row = (await conn.execute(sa.select(T).where(T.c.id == feed_id))).first()
        return _row_to_state(row._mapping) if row else None

    async def all(self, active_only: bool = True) -> list[FeedState]:
        query = sa.select(T).order_by(T.c.id)
        if active_only:
            query = query.where(T.c.active.is_(True))
        async with self.db.read() as conn:
            return [_row_to_state(r._mapping) for r in (await conn.execute(query)).all()]

    async def find_url(self, urls: Iterable[str]) -> str | None:
        async with self.db.read() as conn:
            row = (
                await conn.execute(
                    sa.select(T.c.id).where(T.c.url.in_(list(urls)), T.c.active.is_(True))
                )
            ).first()
        return row.id if row else None

    def save_later(self, state: FeedState) -> None:
        """Queue a feed's state for the next :meth:`flush` (one transaction for many polls).
        Losing queued states in a crash costs a refetch, never an alert: entries and their
        alerts are committed by the poll itself."""
        self._dirty[state.spec.id] = state

    async def flush(self) -> int:
        """Write every queued state; returns how many."""
        async with self._flushing:
            if not self._dirty:
                return 0
            states, self._dirty = list(self._dirty.values()), {}
            try:
                await self.save_states(states)
            except Exception:
                for state in states:  # kept for the next flush, unless a newer one was queued
                    self._dirty.setdefault(state.spec.id, state)
                raise
            return len(states)

    async def save_states(self, states: Sequence[FeedState]) -> None:
        if not states:
            return
        await self.db.write(_state_writer(states))


def _lock_in_order(
    conn: sa.Connection, feed_ids: Sequence[str], owner: str, *, skip_locked: bool = False
) -> list[str]:
    """Lock ``owner``'s leased rows among ``feed_ids`` in id order (PostgreSQL) and return
    their ids. A multi-row UPDATE locks rows in whatever order its plan reads them; writers
    that all lock in id order first never deadlock each other."""
    query = (
        sa.select(T.c.id)
        .where(T.c.id.in_(sorted(feed_ids)), T.c.lease_owner == owner)
        .order_by(T.c.id)
    )
    if conn.dialect.name == "postgresql":
        query = query.with_for_update(skip_locked=skip_locked)
    return [r.id for r in conn.execute(query)]


def _state_writer(states: Sequence[FeedState]) -> Callable[[sa.Connection], Any]:
    """A write function storing ``states`` (one statement for all of them), in feed id order:
    two such writes at once (the state flush and a batch of lease releases, on PostgreSQL)
    then lock their rows in the same order and never deadlock."""
    params = [
        {
            "b_id": st.spec.id,
            "etag": st.etag,
            "last_modified": st.last_modified,
            "moved_to": st.moved_to,
            "redirect_url": st.redirect_url,
            "redirect_count": st.redirect_count,
            "polled_once": st.polled_once,
            "last_attempt": st.last_attempt,
            "last_success": st.last_success,
            "last_new_entry": st.last_new_entry,
            "failures": st.failures,
            "last_error": st.last_error,
            "failing_notified": st.failing_notified,
            "next_poll": st.next_poll,
            "polls": st.polls,
            "not_modified": st.not_modified,
            "publish_gap": st.publish_gap,
        }
        for st in sorted(states, key=lambda st: st.spec.id)
    ]

    def tx(conn: sa.Connection) -> Any:
        sql, order = _save_statement(conn.dialect)
        if order is None:
            conn.exec_driver_sql(sql, params)
        else:
            conn.exec_driver_sql(sql, [tuple(p[k] for k in order) for p in params])

    return tx


_STATE_COLUMNS = (
    "etag",
    "last_modified",
    "moved_to",
    "redirect_url",
    "redirect_count",
    "polled_once",
    "last_attempt",
    "last_success",
    "last_new_entry",
    "failures",
    "last_error",
    "failing_notified",
    "next_poll",
    "polls",
    "not_modified",
    "publish_gap",
)
_SAVE = (
    T.update()
    .where(T.c.id == sa.bindparam("b_id"))
    .values(**{k: sa.bindparam(k) for k in _STATE_COLUMNS})
)
_SAVE_SQL: dict[str, tuple[str, tuple[str, ...] | None]] = {}


def _save_statement(dialect: sa.Dialect) -> tuple[str, tuple[str, ...] | None]:
    """The feed-state UPDATE as the driver's own SQL, and its parameters' order (None: the
    driver takes them by name).  Saving thousands of states at once (a flush after a round
    of 304s), SQLAlchemy's per-row parameter processing cost more than the database did;
    the values are plain str/int/float/bool/None, which need none."""
    found = _SAVE_SQL.get(dialect.name)
    if found is None:
        compiled = _SAVE.compile(dialect=dialect)
        order = tuple(compiled.positiontup or ()) if compiled.positional else None
        found = _SAVE_SQL[dialect.name] = (compiled.string, order)
    return found


# ---------------------------------------------------------------- the lease hot path, PostgreSQL
# Claims and releases run many times a second on a busy instance: plain asyncpg statements on
# a kept connection (``bot.store.direct``), each prepared once, a list of feeds passed as
# arrays (one statement whatever its length). They do what the SQLAlchemy versions above do.

_SPEC_COLUMNS = ("id", "url", "interval", "name", "trusted", "source", "active")
_ROW = ", ".join(f'"{c}"' for c in (*_SPEC_COLUMNS, *_STATE_COLUMNS))
_PG_CLAIM = f"""
UPDATE feeds SET lease_owner = $1, lease_until = $2
WHERE id IN (
    SELECT id FROM feeds
    WHERE active
      AND (next_poll IS NULL OR next_poll <= $3)
      AND (lease_until IS NULL OR lease_until < $3
           OR (lease_owner = $1 AND NOT id = ANY($4::varchar[])))
    ORDER BY next_poll ASC NULLS FIRST, id
    LIMIT $5
    FOR UPDATE SKIP LOCKED
)
RETURNING {_ROW}
"""  # noqa: S608 (built from the column names above, no outside text)
_PG_LOCK = (
    "SELECT id, lease_owner FROM feeds WHERE id = ANY($1::varchar[])"
    " AND (lease_owner = $2 OR id = ANY($3::varchar[])) ORDER BY id FOR UPDATE"
)
_PG_TYPES = {
    "redirect_count": "int",
    "polled_once": "bool",
    "failures": "int",
    "failing_notified": "bool",
    "polls": "int",
    "not_modified": "int",
}
_PG_FLOATS = ("last_attempt", "last_success", "last_new_entry", "next_poll", "publish_gap")
# the states to write, one array per column ($2: the feeds' ids, $3...: the columns)
_PG_STATES = (
    "unnest($2::varchar[], "
    + ", ".join(
        f"${n}::{_PG_TYPES.get(c, 'float8' if c in _PG_FLOATS else 'text')}[]"
        for n, c in enumerate(_STATE_COLUMNS, start=3)
    )
    + ") AS v(id, "
    + ", ".join(_STATE_COLUMNS)
    + ")"
)
_PG_RELEASE = (
    "UPDATE feeds AS f SET "  # noqa: S608
    + ", ".join(f"{c} = v.{c}" for c in _STATE_COLUMNS)
    + ", lease_owner = CASE WHEN f.id = ANY($1::varchar[]) THEN NULL ELSE f.lease_owner END"
    + ", lease_until = CASE WHEN f.id = ANY($1::varchar[]) THEN NULL ELSE f.lease_until END"
    + f" FROM {_PG_STATES} WHERE f.id = v.id"
)
_PG_RELEASE_ALL = (
    "WITH locked AS (SELECT id, lease_owner FROM feeds WHERE id = ANY($2::varchar[])"  # noqa: S608
    " ORDER BY id FOR UPDATE)"
    " UPDATE feeds AS f SET "
    + ", ".join(f"{c} = v.{c}" for c in _STATE_COLUMNS)
    + ", lease_owner = CASE WHEN l.lease_owner = $1 THEN NULL ELSE f.lease_owner END"
    + ", lease_until = CASE WHEN l.lease_owner = $1 THEN NULL ELSE f.lease_until END"
    + f" FROM locked AS l, {_PG_STATES} WHERE f.id = l.id AND v.id = l.id"
)
_PG_UNLEASE = (
    "UPDATE feeds SET lease_owner = NULL, lease_until = NULL WHERE id = ANY($1::varchar[])"
)


async def _pg_claim(
    conn: Any, owner: str, now: float, until: float, limit: int, busy: list[str]
) -> list[FeedState]:
    """:meth:`FeedStore.claim` in one statement: the ``FOR UPDATE SKIP LOCKED`` select of the
    due feeds and the lease written on them, their rows returned."""
    records = await conn.fetch(_PG_CLAIM, owner, until, now, busy, limit)
    states = [_row_to_state(r) for r in records]
    states.sort(key=lambda st: (st.next_poll is not None, st.next_poll or 0.0, st.spec.id))
    return states


async def _pg_release(
    conn: Any, owner: str, feed_ids: list[str], states: Sequence[FeedState]
) -> None:
    """:meth:`FeedStore.release_many` in one transaction: lock the rows it writes (``owner``'s
    leased ones, and those it has a state for) in id order (writers that all do so never
    deadlock), write the states and clear ``owner``'s leases.

    Every feed with a state (the usual case): one statement, one round-trip. Its UPDATE
    writes only rows its ``locked`` part has locked, which locks them in id order as it
    hands them on; a feed without a state: the lock, the UPDATE of the states and the
    release of the rest in one explicit transaction."""
    ordered = sorted(states, key=lambda st: st.spec.id)
    stated = [st.spec.id for st in ordered]
    columns = [[getattr(st, c) for st in ordered] for c in _STATE_COLUMNS]
    if set(stated) == set(feed_ids):
        await conn.execute(_PG_RELEASE_ALL, owner, stated, *columns)
        return
    async with conn.transaction():
        locked = await conn.fetch(_PG_LOCK, feed_ids, owner, stated)
        ids = [r[0] for r in locked if r[1] == owner]
        if states:
            await conn.execute(_PG_RELEASE, ids, stated, *columns)
        rest = sorted(set(ids) - set(stated))
        if rest:
            await conn.execute(_PG_UNLEASE, rest)
