"""The running instances of ``newsbot run`` on one database, for ``newsbot status``.

Each instance writes its row every ``HEARTBEAT`` seconds: when it was last seen, which
roles it holds (``bot.store.roles``) and how many feeds it polled in the last minute.  An
instance is live while its row was seen within ``LIVE_FOR`` seconds; a stopped instance
deletes its row, a killed one's row goes stale and is pruned by the others.
"""

from __future__ import annotations

from collections.abc import Iterable
from dataclasses import dataclass
from typing import Any

import sqlalchemy as sa

from bot.store import schema
from bot.store.db import Database

T = schema.instances
HEARTBEAT = 5.0
LIVE_FOR = 20.0
FORGET_AFTER = 3600.0  # a dead instance's row is deleted this long after it was last seen


@dataclass(frozen=True, slots=True)
class Instance:
    id: str
    host: str
    pid: int
    started: float
    seen: float
    roles: tuple[str, ...]
    polled: int  # feeds polled in the last minute

    def live(self, now: float) -> bool:
        return now - self.seen <= LIVE_FOR


class InstanceStore:
    def __init__(self, db: Database) -> None:
        self.db = db

    async def beat(
        self,
        instance_id: str,
        host: str,
        pid: int,
        started: float,
        now: float,
        roles: Iterable[str],
        polled: int,
    ) -> None:
        """Say this instance is alive (insert or update its row); prune long-dead rows."""
        values = {
            "host": host,
            "pid": pid,
            "started": started,
            "seen": now,
            "roles": ",".join(sorted(roles)),
            "polled": polled,
        }

        def tx(conn: sa.Connection) -> Any:
            updated = conn.execute(T.update().where(T.c.id == instance_id).values(**values))
            if not updated.rowcount:
                conn.execute(T.insert().values(id=instance_id, **values))
            conn.execute(T.delete().where(T.c.seen < now - FORGET_AFTER))

        await self.db.write(tx)

    async def leave(self, instance_id: str) -> None:
        def tx(conn: sa.Connection) -> Any:
            conn.execute(T.delete().where(T.c.id == instance_id))

        await self.db.write(tx)

    async def all(self) -> list[Instance]:
        async with self.db.read() as conn:
            rows = (await conn.execute(sa.select(T).order_by(T.c.started, T.c.id))).all()
        return [
            Instance(
                r.id,
                r.host,
                r.pid,
                r.started,
                r.seen,
                tuple(x for x in r.roles.split(",") if x),
                r.polled,
            )
            for r in rows
        ]
