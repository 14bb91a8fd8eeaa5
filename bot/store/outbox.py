"""The outbox: every alert owed to a chat, and its delivery state.

    pending ──claim──▶ sending ──▶ sent
       ▲  ▲              │  └────▶ dead      (chat blocked us, left, or was deleted)
       │  └──retry───────┘                   (429, 5xx, network; after a read timeout: maybe_sent)
       └──release── held                     (digest period or quiet hours)

A claim is a lease: rows in ``sending`` whose lease ran out (the sender crashed) are claimable
again, so after a crash an in-flight alert may be sent twice and no other alert is lost or
repeated. Claims are single-row conditional UPDATEs, safe with several senders on PostgreSQL.
"""

from __future__ import annotations

import json
from collections.abc import Sequence
from dataclasses import dataclass
from typing import Any

import sqlalchemy as sa

from bot.errors import EVERY_CHAT, FLOOD_CONTROL
from bot.models import Alert, AlertItem, AlertKind, AlertState, EditTarget, Outlet, Span
from bot.store import schema
from bot.store.db import Database
from bot.store.entries import entry_published

OB, OI, L = schema.outbox, schema.outbox_items, schema.story_alerts
PENDING, SENDING, SENT, HELD, DEAD = (s.value for s in AlertState)


@dataclass(frozen=True, slots=True)
class Due:
    id: int
    chat_id: int


def _claimable(now: float) -> sa.ColumnElement[bool]:
    return sa.or_(
        sa.and_(OB.c.state == PENDING, OB.c.not_before <= now),
        sa.and_(OB.c.state == SENDING, OB.c.lease_until < now),
    )


class OutboxStore:
    def __init__(self, db: Database) -> None:
        self.db = db
        self.engine = db.engine

    async def due(self, now: float, limit: int = 1000, per_chat: int = 20) -> list[Due]:
        """Claimable rows, oldest first, at most ``per_chat`` for any one chat (fairness)."""
        ranked = (
            sa.select(
                OB.c.id,
                OB.c.chat_id,
                sa.func.row_number().over(partition_by=OB.c.chat_id, order_by=OB.c.id).label("n"),
            )
            .where(_claimable(now))
            .subquery()
        )
        query = (
            sa.select(ranked.c.id, ranked.c.chat_id)
            .where(ranked.c.n <= per_chat)
            .order_by(ranked.c.id)
            .limit(limit)
        )
        async with self.db.read() as conn:
            return [Due(r.id, r.chat_id) for r in (await conn.execute(query)).all()]

    async def next_due_at(self) -> float | None:
        """When the earliest waiting row (pending, held or leased) becomes claimable."""
        async with self.db.read() as conn:
            pending = (
                await conn.execute(
                    sa.select(sa.func.min(OB.c.not_before)).where(OB.c.state.in_([PENDING, HELD]))
                )
            ).scalar()
            leased = (
                await conn.execute(
                    sa.select(sa.func.min(OB.c.lease_until)).where(OB.c.state == SENDING)
                )
            ).scalar()
        times = [t for t in (pending, leased) if t is not None]
        return min(times) if times else None

    async def recent_sends(self, since: float) -> list[tuple[int, float]]:
        """``(chat_id, sent_at)`` of the rows sent since ``since``, oldest first: what a new
        sender's rate limiter must count (the previous sender's last minute)."""
        query = (
            sa.select(OB.c.chat_id, OB.c.sent_at)
            .where(OB.c.state == SENT, OB.c.sent_at >= since)
            .order_by(OB.c.sent_at)
        )
        async with self.db.read() as conn:
            return [(r.chat_id, r.sent_at) for r in (await conn.execute(query)).all()]

    async def flood_holds(self, now: float) -> list[tuple[int, float]]:
        """``(chat_id, until)`` of the rows a sender put back after a 429 (flood control) that
        are still held: the holds a new sender must keep (they lived in the old one's
        limiter)."""
        query = sa.select(OB.c.chat_id, sa.func.max(OB.c.not_before).label("until")).where(
            OB.c.state == PENDING,
            OB.c.not_before > now,
            OB.c.error.like(f"{FLOOD_CONTROL}%"),
        )
        async with self.db.read() as conn:
            rows = (await conn.execute(query.group_by(OB.c.chat_id))).all()
        return [(r.chat_id, r.until) for r in rows]

    async def bot_wide_hold(self, now: float) -> float | None:
        """Until when a sender's bot-wide 429 hold (every chat held) still runs, read from the
        rows it put back under it; None if none does."""
        query = sa.select(sa.func.max(OB.c.not_before)).where(
            OB.c.state == PENDING,
            OB.c.not_before > now,
            OB.c.error.like(f"{FLOOD_CONTROL}%{EVERY_CHAT}"),
        )
        async with self.db.read() as conn:
            until = (await conn.execute(query)).scalar()
        return None if until is None else float(until)

    async def take_over(self, now: float) -> list[int]:
        """Make the rows another sender had leased claimable now; returns their chats.

        Called when this instance becomes the one sender: whoever leased them no longer is
        (it died, or lost the role), so waiting for their leases to run out would only delay
        them. A row that sender had already written to Telegram is sent again: at least once.
        """

        def tx(conn: sa.Connection) -> list[int]:
            leased = sa.select(OB.c.chat_id).where(OB.c.state == SENDING)
            chats = [r.chat_id for r in conn.execute(leased)]
            if chats:
                conn.execute(OB.update().where(OB.c.state == SENDING).values(lease_until=now - 1.0))
            return chats

        return await self.db.write(tx)

    async def claim(self, outbox_id: int, now: float, lease: float) -> Alert | None:
        """Lease one row for sending; None if another sender has it or it is no longer due."""

        def tx(conn: sa.Connection) -> Any:
            row = (
                conn.execute(
                    OB.update()
                    .where(OB.c.id == outbox_id, _claimable(now))
                    .values(state=SENDING, lease_until=now + lease, attempts=OB.c.attempts + 1)
                    .returning(
                        OB.c.id,
                        OB.c.chat_id,
                        OB.c.thread_id,
                        OB.c.attempts,
                        OB.c.maybe_sent,
                        OB.c.kind,
                        OB.c.parts_sent,
                        OB.c.story_id,
                    )
                )
            ).first()
            if row is None:
                return None
            if row.kind == AlertKind.EDIT.value:
                target = _edit_target(conn, row.chat_id, row.story_id)
                items = _items(conn, target.outbox_id) if target is not None else ()
                return row, items, target
            return row, _items(conn, outbox_id), None

        claimed = await self.db.write(tx)
        if claimed is None:
            return None
        row, items, target = claimed
        return Alert(
            id=row.id,
            chat_id=row.chat_id,
            thread_id=row.thread_id or None,
            items=items,
            attempts=row.attempts,
            maybe_sent=row.maybe_sent,
            kind=AlertKind(row.kind),
            parts_sent=row.parts_sent,
            edit_of=target,
        )

    async def mark_sent(self, outbox_id: int, now: float, message_id: int | None = None) -> None:
        def tx(conn: sa.Connection) -> Any:
            conn.execute(
                OB.update()
                .where(OB.c.id == outbox_id)
                .values(
                    state=SENT, sent_at=now, message_id=message_id, lease_until=None, error=None
                )
            )

        await self.db.write(tx)

    async def retry(
        self, outbox_id: int, not_before: float, error: str, maybe_sent: bool | None = None
    ) -> None:
        values: dict[str, object] = {
            "state": PENDING,
            "not_before": not_before,
            "lease_until": None,
            "error": error[:300],
        }
        if maybe_sent is not None:
            values["maybe_sent"] = maybe_sent

        def tx(conn: sa.Connection) -> Any:
            conn.execute(OB.update().where(OB.c.id == outbox_id).values(**values))

        await self.db.write(tx)

    async def part_sent(self, outbox_id: int, parts: int) -> None:
        """Remember how many messages of a split alert went out, so a retry skips them."""

        def tx(conn: sa.Connection) -> Any:
            conn.execute(OB.update().where(OB.c.id == outbox_id).values(parts_sent=parts))

        await self.db.write(tx)

    async def hold(self, outbox_id: int, until: float) -> None:
        def tx(conn: sa.Connection) -> Any:
            conn.execute(
                OB.update()
                .where(OB.c.id == outbox_id)
                .values(state=HELD, not_before=until, lease_until=None)
            )

        await self.db.write(tx)

    async def release_held(self, now: float) -> list[int]:
        """Combine each chat's held rows that are due into one digest row. Returns the chat ids."""

        def tx(conn: sa.Connection) -> Any:
            released: list[int] = []
            rows = (
                conn.execute(
                    sa.select(OB.c.id, OB.c.chat_id, OB.c.thread_id)
                    .where(OB.c.state == HELD, OB.c.not_before <= now)
                    .order_by(OB.c.id)
                )
            ).all()
            by_chat: dict[int, list[int]] = {}
            thread: dict[int, int] = {}
            for row in rows:
                by_chat.setdefault(row.chat_id, []).append(row.id)
                thread.setdefault(row.chat_id, row.thread_id)
            for chat_id, ids in by_chat.items():
                if len(ids) == 1:
                    conn.execute(
                        OB.update()
                        .where(OB.c.id == ids[0])
                        .values(state=PENDING, not_before=now, kind=AlertKind.DIGEST.value)
                    )
                else:
                    new_id = (
                        conn.execute(
                            OB.insert()
                            .values(
                                chat_id=chat_id,
                                thread_id=thread[chat_id],
                                state=PENDING,
                                kind=AlertKind.DIGEST.value,
                                not_before=now,
                                created_at=now,
                            )
                            .returning(OB.c.id)
                        )
                    ).scalar_one()
                    conn.execute(
                        OI.update().where(OI.c.outbox_id.in_(ids)).values(outbox_id=new_id)
                    )
                    conn.execute(  # the stories they carried are carried by the digest now
                        L.update().where(L.c.outbox_id.in_(ids)).values(outbox_id=new_id)
                    )
                    conn.execute(OB.delete().where(OB.c.id.in_(ids)))
                released.append(chat_id)
            return released

        chats: list[int] = await self.db.write(tx)
        return chats

    async def dead(self, outbox_id: int, error: str) -> None:
        """Telegram refused this alert for good: keep it, with why, but never resend it."""

        def tx(conn: sa.Connection) -> Any:
            conn.execute(
                OB.update()
                .where(OB.c.id == outbox_id)
                .values(state=DEAD, lease_until=None, error=error[:300])
            )

        await self.db.write(tx)

    async def kill_chat(self, chat_id: int, error: str) -> int:
        """The chat is gone: every row it is still owed becomes dead. Returns how many."""

        def tx(conn: sa.Connection) -> Any:
            result = conn.execute(
                OB.update()
                .where(OB.c.chat_id == chat_id, OB.c.state.in_([PENDING, SENDING, HELD]))
                .values(state=DEAD, lease_until=None, error=error[:300])
            )
            return int(result.rowcount or 0)

        return await self.db.write(tx)

    async def counts(self) -> dict[str, int]:
        async with self.db.read() as conn:
            rows = await conn.execute(sa.select(OB.c.state, sa.func.count()).group_by(OB.c.state))
            return {state: int(n) for state, n in rows.all()}


def _edit_target(conn: sa.Connection, chat_id: int, story_id: int | None) -> EditTarget | None:
    """The message that carried ``story_id`` to the chat, or None (nothing left to edit)."""
    if story_id is None:
        return None
    row = conn.execute(
        sa.select(OB.c.id, OB.c.kind, OB.c.state, OB.c.message_id)
        .join(L, L.c.outbox_id == OB.c.id)
        .where(L.c.chat_id == chat_id, L.c.story_id == story_id)
    ).first()
    if row is None:
        return None
    return EditTarget(row.id, AlertKind(row.kind), AlertState(row.state), row.message_id)


MAX_OUTLETS = 50  # other outlets loaded per story: the renderer shows a few and counts the rest


def _items(conn: sa.Connection, outbox_id: int) -> tuple[AlertItem, ...]:
    E, F = schema.entries, schema.feeds
    rows = conn.execute(
        sa.select(
            OI.c.rules,
            OI.c.spans,
            E.c.id,
            E.c.feed_id,
            E.c.story_id,
            E.c.title,
            E.c.link,
            E.c.summary,
            E.c.published,
            sa.func.coalesce(F.c.name, E.c.feed_id).label("feed_name"),
        )
        .join(E, E.c.id == OI.c.entry_id)
        .outerjoin(F, F.c.id == E.c.feed_id)
        .where(OI.c.outbox_id == outbox_id)
        .order_by(E.c.id)
    ).all()
    reports = _story_reports(conn, {r.story_id for r in rows if r.story_id is not None})
    return tuple(
        AlertItem(
            feed_name=r.feed_name,
            title=r.title,
            link=r.link,
            summary=r.summary,
            published=entry_published(r.published),
            rule_titles=tuple(json.loads(r.rules)),
            spans=_spans(r.spans),
            also=_outlets(reports.get(r.story_id, ()), r.id, r.feed_id),
        )
        for r in rows
    )


def _story_reports(conn: sa.Connection, stories: set[int]) -> dict[int, list[Any]]:
    """Every report of these stories, first reported first (at most a few hundred each)."""
    if not stories:
        return {}
    E, F = schema.entries, schema.feeds
    found: dict[int, list[Any]] = {}
    rows = conn.execute(
        sa.select(
            E.c.id,
            E.c.story_id,
            E.c.feed_id,
            E.c.link,
            sa.func.coalesce(F.c.name, E.c.feed_id).label("feed_name"),
        )
        .outerjoin(F, F.c.id == E.c.feed_id)
        .where(E.c.story_id.in_(sorted(stories)))
        .order_by(E.c.id)
    )
    for row in rows:
        reports = found.setdefault(row.story_id, [])
        if len(reports) < 4 * MAX_OUTLETS:
            reports.append(row)
    return found


def _outlets(reports: Sequence[Any], entry_id: int, feed_id: str) -> tuple[Outlet, ...]:
    """The other feeds that reported the story, once each, in the order they reported it."""
    seen = {feed_id}
    outlets: list[Outlet] = []
    for r in reports:
        if r.id == entry_id or r.feed_id in seen:
            continue
        seen.add(r.feed_id)
        outlets.append(Outlet(r.feed_name, r.link))
        if len(outlets) >= MAX_OUTLETS:
            break
    return tuple(outlets)


def _spans(raw: str) -> tuple[Span, ...]:
    out: list[Span] = []
    for item in json.loads(raw or "[]"):
        if isinstance(item, Sequence) and len(item) == 3:
            out.append(Span(str(item[0]), int(item[1]), int(item[2])))
    return tuple(out)
