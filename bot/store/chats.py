"""Chats, their subscriptions (rule ids), personal watches, and their delivery settings."""

from __future__ import annotations

from dataclasses import dataclass, replace
from typing import Any

import sqlalchemy as sa
from sqlalchemy.ext.asyncio import AsyncEngine

from bot.models import AlertState, ChatPrefs
from bot.store import schema
from bot.store.db import insert_ignore, write

C, S, W = schema.chats, schema.subscriptions, schema.watches
_PREF_FIELDS = ("muted_until", "digest", "quiet", "timezone", "link_preview", "title", "type")


@dataclass(frozen=True, slots=True)
class Subscription:
    chat_id: int
    rule_id: str
    thread_id: int | None


@dataclass(frozen=True, slots=True)
class Watch:
    id: int
    chat_id: int
    thread_id: int | None
    query: str


def _prefs(row: Any) -> ChatPrefs:
    return ChatPrefs(
        id=row.id,
        type=row.type,
        title=row.title,
        active=row.active,
        muted_until=row.muted_until,
        digest=row.digest,
        quiet=row.quiet,
        timezone=row.timezone,
        link_preview=row.link_preview,
    )


class ChatStore:
    def __init__(self, engine: AsyncEngine) -> None:
        self.engine = engine

    async def ensure(self, chat_id: int, type_: str, title: str | None, now: float) -> ChatPrefs:
        """Create the chat if new; reactivate it if it had gone (the user came back)."""
        async with write(self.engine) as conn:
            await conn.execute(
                insert_ignore(conn, C).values(id=chat_id, type=type_, title=title, created_at=now)
            )
            await conn.execute(
                C.update().where(C.c.id == chat_id).values(active=True, type=type_, title=title)
            )
            row = (await conn.execute(sa.select(C).where(C.c.id == chat_id))).one()
        return _prefs(row)

    async def get(self, chat_id: int) -> ChatPrefs | None:
        async with self.engine.connect() as conn:
            row = (await conn.execute(sa.select(C).where(C.c.id == chat_id))).first()
        return _prefs(row) if row else None

    async def update(self, chat_id: int, **values: Any) -> None:
        unknown = set(values) - set(_PREF_FIELDS)
        if unknown:
            raise ValueError(f"unknown chat settings: {sorted(unknown)}")
        async with write(self.engine) as conn:
            await conn.execute(C.update().where(C.c.id == chat_id).values(**values))

    async def deactivate(self, chat_id: int) -> None:
        """The chat blocked us or is gone: stop its subscriptions (kept, for if it comes back)."""
        async with write(self.engine) as conn:
            await conn.execute(C.update().where(C.c.id == chat_id).values(active=False))

    async def migrate(self, old_id: int, new_id: int, now: float) -> None:
        """A group became a supergroup: move everything it owns to the new id."""
        OB, K = schema.outbox, schema.alert_keys
        async with write(self.engine) as conn:
            row = (await conn.execute(sa.select(C).where(C.c.id == old_id))).first()
            prefs = _prefs(row) if row else ChatPrefs(id=old_id)
            prefs = replace(prefs, id=new_id, type="supergroup")
            await conn.execute(
                insert_ignore(conn, C).values(
                    id=new_id, type="supergroup", title=prefs.title, created_at=now
                )
            )
            await conn.execute(
                C.update()
                .where(C.c.id == new_id)
                .values(
                    active=True,
                    type="supergroup",
                    muted_until=prefs.muted_until,
                    digest=prefs.digest,
                    quiet=prefs.quiet,
                    timezone=prefs.timezone,
                    link_preview=prefs.link_preview,
                )
            )
            existing = {
                (r.rule_id, r.thread_id)
                for r in await conn.execute(
                    sa.select(S.c.rule_id, S.c.thread_id).where(S.c.chat_id == new_id)
                )
            }
            for r in (await conn.execute(sa.select(S).where(S.c.chat_id == old_id))).all():
                if (r.rule_id, r.thread_id) not in existing:
                    await conn.execute(
                        S.insert().values(
                            chat_id=new_id,
                            rule_id=r.rule_id,
                            thread_id=r.thread_id,
                            created_at=r.created_at,
                        )
                    )
            await conn.execute(S.delete().where(S.c.chat_id == old_id))
            await conn.execute(W.update().where(W.c.chat_id == old_id).values(chat_id=new_id))
            await conn.execute(
                OB.update()
                .where(
                    OB.c.chat_id == old_id,
                    OB.c.state.in_(
                        [AlertState.PENDING.value, AlertState.SENDING.value, AlertState.HELD.value]
                    ),
                )
                .values(chat_id=new_id, state=AlertState.PENDING.value, lease_until=None)
            )
            keys = [
                r.story_key
                for r in await conn.execute(sa.select(K.c.story_key).where(K.c.chat_id == old_id))
            ]
            if keys:
                await conn.execute(
                    insert_ignore(conn, K).values(
                        [{"chat_id": new_id, "story_key": k, "created_at": now} for k in keys]
                    )
                )
            await conn.execute(C.update().where(C.c.id == old_id).values(active=False))

    # ------------------------------------------------------------------ subscriptions

    async def subscribe(
        self, chat_id: int, rule_id: str, thread_id: int | None, now: float
    ) -> bool:
        async with write(self.engine) as conn:
            result = await conn.execute(
                insert_ignore(conn, S)
                .values(chat_id=chat_id, rule_id=rule_id, thread_id=thread_id or 0, created_at=now)
                .returning(S.c.rule_id)
            )
            return result.first() is not None

    async def unsubscribe(self, chat_id: int, rule_id: str, thread_id: int | None = None) -> bool:
        query = S.delete().where(S.c.chat_id == chat_id, S.c.rule_id == rule_id)
        if thread_id is not None:
            query = query.where(S.c.thread_id == thread_id)
        async with write(self.engine) as conn:
            return bool((await conn.execute(query)).rowcount)

    async def subscriptions(self, chat_id: int) -> list[Subscription]:
        async with self.engine.connect() as conn:
            rows = await conn.execute(
                sa.select(S).where(S.c.chat_id == chat_id).order_by(S.c.created_at, S.c.rule_id)
            )
            return [Subscription(r.chat_id, r.rule_id, r.thread_id or None) for r in rows]

    async def subscriber_count(self) -> int:
        async with self.engine.connect() as conn:
            return int((await conn.execute(sa.select(sa.func.count()).select_from(S))).scalar_one())

    # ------------------------------------------------------------------ watches

    async def add_watch(self, chat_id: int, thread_id: int | None, query: str, now: float) -> int:
        async with write(self.engine) as conn:
            result = await conn.execute(
                W.insert()
                .values(chat_id=chat_id, thread_id=thread_id or 0, query=query, created_at=now)
                .returning(W.c.id)
            )
            return int(result.scalar_one())

    async def remove_watch(self, chat_id: int, watch_id: int) -> bool:
        async with write(self.engine) as conn:
            result = await conn.execute(
                W.delete().where(W.c.chat_id == chat_id, W.c.id == watch_id)
            )
            return bool(result.rowcount)

    async def watches(self, chat_id: int | None = None) -> list[Watch]:
        query = sa.select(W).order_by(W.c.id)
        if chat_id is not None:
            query = query.where(W.c.chat_id == chat_id)
        async with self.engine.connect() as conn:
            return [
                Watch(r.id, r.chat_id, r.thread_id or None, r.query)
                for r in await conn.execute(query)
            ]
