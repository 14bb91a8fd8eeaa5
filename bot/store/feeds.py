"""Feeds: their specs, HTTP cache state, health and next poll."""

from __future__ import annotations

from collections.abc import Iterable, Sequence
from dataclasses import dataclass
from typing import Any

import sqlalchemy as sa
from sqlalchemy.ext.asyncio import AsyncEngine

from bot.models import FeedSpec, FeedState
from bot.store import schema
from bot.store.db import insert_ignore

T = schema.feeds


def _row_to_state(row: Any) -> FeedState:
    spec = FeedSpec(
        id=row.id,
        url=row.url,
        interval=row.interval,
        name=row.name,
        trusted=row.trusted,
    )
    return FeedState(
        spec=spec,
        source=row.source,
        active=row.active,
        etag=row.etag,
        last_modified=row.last_modified,
        moved_to=row.moved_to,
        redirect_url=row.redirect_url,
        redirect_count=row.redirect_count,
        polled_once=row.polled_once,
        last_attempt=row.last_attempt,
        last_success=row.last_success,
        last_new_entry=row.last_new_entry,
        failures=row.failures,
        last_error=row.last_error,
        failing_notified=row.failing_notified,
        next_poll=row.next_poll,
        polls=row.polls,
        not_modified=row.not_modified,
        publish_gap=row.publish_gap,
    )


@dataclass(frozen=True, slots=True)
class PollOutcome:
    """What one poll changed about a feed, written in one short transaction."""

    now: float
    next_poll: float
    ok: bool
    not_modified: bool = False
    etag: str | None = None
    last_modified: str | None = None
    new_entries: int = 0
    error: str | None = None
    permanent_url: str | None = None  # a 301/308 seen this time
    publish_gap: float | None = None


class FeedStore:
    def __init__(self, engine: AsyncEngine) -> None:
        self.engine = engine

    async def sync_from_rules(self, specs: Sequence[FeedSpec], now: float) -> None:
        """Make the rules-file feeds present and active; deactivate rules feeds no longer listed."""
        async with self.engine.begin() as conn:
            existing = {
                r.id: r for r in (await conn.execute(sa.select(T.c.id, T.c.url, T.c.source))).all()
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
                    await conn.execute(T.update().where(T.c.id == spec.id).values(**values))
                else:
                    await conn.execute(T.insert().values(id=spec.id, created_at=now, **values))
            listed = {s.id for s in specs}
            gone = [fid for fid, r in existing.items() if r.source == "rules" and fid not in listed]
            if gone:
                await conn.execute(T.update().where(T.c.id.in_(gone)).values(active=False))

    async def add(self, spec: FeedSpec, source: str, added_by: int | None, now: float) -> bool:
        """Add a feed (chat, OPML). False if the id is taken."""
        async with self.engine.begin() as conn:
            result = await conn.execute(
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

    async def remove(self, feed_id: str) -> bool:
        async with self.engine.begin() as conn:
            result = await conn.execute(
                T.update().where(T.c.id == feed_id, T.c.active.is_(True)).values(active=False)
            )
            return bool(result.rowcount)

    async def get(self, feed_id: str) -> FeedState | None:
        async with self.engine.connect() as conn:
            row = (await conn.execute(sa.select(T).where(T.c.id == feed_id))).first()
        return _row_to_state(row) if row else None

    async def all(self, active_only: bool = True) -> list[FeedState]:
        query = sa.select(T).order_by(T.c.id)
        if active_only:
            query = query.where(T.c.active.is_(True))
        async with self.engine.connect() as conn:
            return [_row_to_state(r) for r in (await conn.execute(query)).all()]

    async def find_url(self, urls: Iterable[str]) -> str | None:
        async with self.engine.connect() as conn:
            row = (
                await conn.execute(
                    sa.select(T.c.id).where(T.c.url.in_(list(urls)), T.c.active.is_(True))
                )
            ).first()
        return row.id if row else None

    async def start_attempt(self, feed_id: str, now: float) -> None:
        async with self.engine.begin() as conn:
            await conn.execute(T.update().where(T.c.id == feed_id).values(last_attempt=now))

    async def record_poll(
        self, feed_id: str, outcome: PollOutcome, confirm_redirects: int = 3
    ) -> None:
        """Store a poll's outcome. A permanent redirect seen ``confirm_redirects`` times in a row
        becomes the URL fetched from then on (``moved_to``; the configured URL is kept, and a new
        configured URL clears it); a temporary redirect or none resets that streak."""
        async with self.engine.begin() as conn:
            row = (
                await conn.execute(
                    sa.select(T.c.redirect_url, T.c.redirect_count, T.c.url, T.c.moved_to).where(
                        T.c.id == feed_id
                    )
                )
            ).first()
            if row is None:
                return
            values: dict[str, Any] = {
                "last_attempt": outcome.now,
                "next_poll": outcome.next_poll,
                "polls": T.c.polls + 1,
            }
            if outcome.ok:
                values.update(
                    last_success=outcome.now,
                    failures=0,
                    last_error=None,
                    polled_once=True,
                )
                if outcome.not_modified:
                    values["not_modified"] = T.c.not_modified + 1
                else:
                    values.update(etag=outcome.etag, last_modified=outcome.last_modified)
                if outcome.new_entries:
                    values["last_new_entry"] = outcome.now
                if outcome.publish_gap is not None:
                    values["publish_gap"] = outcome.publish_gap
            else:
                values.update(failures=T.c.failures + 1, last_error=(outcome.error or "")[:300])
            current = row.moved_to or row.url
            if outcome.ok and outcome.permanent_url and outcome.permanent_url != current:
                count = row.redirect_count + 1 if row.redirect_url == outcome.permanent_url else 1
                if count >= confirm_redirects:
                    values.update(
                        moved_to=outcome.permanent_url, redirect_url=None, redirect_count=0
                    )
                else:
                    values.update(redirect_url=outcome.permanent_url, redirect_count=count)
            elif outcome.ok:
                values.update(redirect_url=None, redirect_count=0)
            await conn.execute(T.update().where(T.c.id == feed_id).values(**values))

    async def set_failing_notified(self, feed_id: str, value: bool) -> None:
        async with self.engine.begin() as conn:
            await conn.execute(T.update().where(T.c.id == feed_id).values(failing_notified=value))
