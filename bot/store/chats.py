"""Chats, their subscriptions (rule ids), personal watches, and their delivery settings."""

from __future__ import annotations

from dataclasses import dataclass, replace
from typing import Any

import sqlalchemy as sa

from bot.models import AlertState, ChatPrefs, DigestMode
from bot.store import schema
from bot.store.db import Database, insert_ignore

C, S, W, L = schema.chats, schema.subscriptions, schema.watches, schema.story_alerts
_PREF_FIELDS = (
    "muted_until",
    "digest",
    "quiet",
    "timezone",
    "link_preview",
    "stories",
    "title",
    "type",
)


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
        digest=DigestMode(row.digest),
        quiet=row.quiet,
        timezone=row.timezone,
        link_preview=row.link_preview,
        stories=row.stories,
    )


class ChatStore:
    def __init__(self, db: Database) -> None:
        self.db = db
        self.engine = db.engine

    async def ensure(self, chat_id: int, type_: str, title: str | None, now: float) -> ChatPrefs:
        """Create the chat if new; reactivate it if it had gone (the user came back)."""

        def tx(conn: sa.Connection) -> Any:
            conn.execute(
                insert_ignore(conn, C).values(id=chat_id, type=type_, title=title, created_at=now)
            )
            conn.execute(
                C.update().where(C.c.id == chat_id).values(active=True, type=type_, title=title)
            )
            return _prefs(conn.execute(sa.select(C).where(C.c.id == chat_id)).one())

        prefs: ChatPrefs = await self.db.write(tx)
        return prefs

    async def get(self, chat_id: int) -> ChatPrefs | None:
        async with self.db.read() as conn:
            row = (await conn.execute(sa.select(C).where(C.c.id == chat_id))).first()
        return _prefs(row) if row else None

    async def update(self, chat_id: int, **values: Any) -> None:
        unknown = set(values) - set(_PREF_FIELDS)
        if unknown:
            raise ValueError(f"unknown chat settings: {sorted(unknown)}")

        def tx(conn: sa.Connection) -> Any:
            conn.execute(C.update().where(C.c.id == chat_id).values(**values))

        await self.db.write(tx)

    async def deactivate(self, chat_id: int) -> None:
        """The chat blocked us or is gone: stop its subscriptions (kept, for if it comes back)."""

        def tx(conn: sa.Connection) -> Any:
            conn.execute(C.update().where(C.c.id == chat_id).values(active=False))

        await self.db.write(tx)

    async def migrate(self, old_id: int, new_id: int, now: float) -> None:
        """A group became a supergroup: move everything it owns to the new id."""
        OB, K = schema.outbox, schema.alert_keys

        def tx(conn: sa.Connection) -> Any:
            row = (conn.execute(sa.select(C).where(C.c.id == old_id))).first()
            prefs = _prefs(row) if row else ChatPrefs(id=old_id)
            prefs = replace(prefs, id=new_id, type="supergroup")
            conn.execute(
                insert_ignore(conn, C).values(
                    id=new_id, type="supergroup", title=prefs.title, created_at=now
                )
            )
            conn.execute(
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
                    stories=prefs.stories,
                )
            )
            existing = {
                (r.rule_id, r.thread_id)
                for r in conn.execute(
                    sa.select(S.c.rule_id, S.c.thread_id).where(S.c.chat_id == new_id)
                )
            }
            for r in (conn.execute(sa.select(S).where(S.c.chat_id == old_id))).all():
                if (r.rule_id, r.thread_id) not in existing:
                    conn.execute(
                        S.insert().values(
                            chat_id=new_id,
                            rule_id=r.rule_id,
                            thread_id=r.thread_id,
                            created_at=r.created_at,
                        )
                    )
            conn.execute(S.delete().where(S.c.chat_id == old_id))
            conn.execute(W.update().where(W.c.chat_id == old_id).values(chat_id=new_id))
            conn.execute(
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
                for r in conn.execute(sa.select(K.c.story_key).where(K.c.chat_id == old_id))
            ]
            if keys:
                conn.execute(
                    insert_ignore(conn, K).values(
                        [{"chat_id": new_id, "story_key": k, "created_at": now} for k in keys]
                    )
                )
            stories = [
                {"chat_id": new_id, "story_id": r.story_id, "targets": r.targets,
                 "outbox_id": r.outbox_id, "created_at": r.created_at}
                for r in conn.execute(sa.select(L).where(L.c.chat_id == old_id))
            ]  # fmt: skip
            if stories:  # the messages stay in the old chat: nothing there to edit any more
                conn.execute(insert_ignore(conn, L), [{**r, "outbox_id": None} for r in stories])
            conn.execute(C.update().where(C.c.id == old_id).values(active=False))

        await self.db.write(tx)

    # ------------------------------------------------------------------ subscriptions

    async def subscribe(
        self, chat_id: int, rule_id: str, thread_id: int | None, now: float
    ) -> bool:
        def tx(conn: sa.Connection) -> Any:
            result = conn.execute(
                insert_ignore(conn, S)
                .values(chat_id=chat_id, rule_id=rule_id, thread_id=thread_id or 0, created_at=now)
                .returning(S.c.rule_id)
            )
            return result.first() is not None

        return await self.db.write(tx)

    async def unsubscribe(self, chat_id: int, rule_id: str, thread_id: int | None = None) -> bool:
        query = S.delete().where(S.c.chat_id == chat_id, S.c.rule_id == rule_id)
        if thread_id is not None:
            query = query.where(S.c.thread_id == thread_id)

        def tx(conn: sa.Connection) -> Any:
            return bool((conn.execute(query)).rowcount)

        return await self.db.write(tx)

    async def subscriptions(self, chat_id: int) -> list[Subscription]:
        async with self.db.read() as conn:
            rows = await conn.execute(
                sa.select(S).where(S.c.chat_id == chat_id).order_by(S.c.created_at, S.c.rule_id)
            )
            return [Subscription(r.chat_id, r.rule_id, r.thread_id or None) for r in rows]

    # ------------------------------------------------------------------ watches

    async def add_watch(self, chat_id: int, thread_id: int | None, query: str, now: float) -> int:
        def tx(conn: sa.Connection) -> Any:
            result = conn.execute(
                W.insert()
                .values(chat_id=chat_id, thread_id=thread_id or 0, query=query, created_at=now)
                .returning(W.c.id)
            )
            return int(result.scalar_one())

        return await self.db.write(tx)

    async def remove_watch(self, chat_id: int, watch_id: int) -> bool:
        def tx(conn: sa.Connection) -> Any:
            result = conn.execute(W.delete().where(W.c.chat_id == chat_id, W.c.id == watch_id))
            return bool(result.rowcount)

        return await self.db.write(tx)

    async def watches(self, chat_id: int | None = None) -> list[Watch]:
        query = sa.select(W).order_by(W.c.id)
        if chat_id is not None:
            query = query.where(W.c.chat_id == chat_id)
        async with self.db.read() as conn:
            return [
                Watch(r.id, r.chat_id, r.thread_id or None, r.query)
                for r in await conn.execute(query)
            ]
