"""Entries and the alerts they cause, recorded in one transaction.

``record`` is where deduplication happens, once (:func:`sort_new`): an entry is new only if
its key, its canonical link, or its title and date were never seen in that feed (feeds that
re-issue old items under new guids are recognized); an entry whose key is known but whose
link AND title both differ from what was stored is another item under a reused guid: new,
under a derived key. Matching runs inside the same transaction, so an entry is never recorded
as seen without the outbox rows it owes — a crash loses nothing. The ``alert_keys`` ledger
makes every story reach a chat once, however many outlets carry it and however many rules
match.
"""

from __future__ import annotations

import hashlib
import json
from collections.abc import Callable, Mapping, Sequence
from dataclasses import dataclass, field, replace
from datetime import UTC, datetime
from typing import Any

import sqlalchemy as sa

from bot.models import AlertState, Entry, Match
from bot.store import schema
from bot.store.db import Database, insert_ignore

E = schema.entries
WATCH_PREFIX = "watch:"
_CHUNK = 400


@dataclass(frozen=True, slots=True)
class Routing:
    """Who gets what: rule titles for the message, rules-file chats, and the flood threshold."""

    rule_titles: Mapping[str, str] = field(default_factory=dict)
    static_chats: Mapping[str, tuple[int, ...]] = field(default_factory=dict)
    flood_threshold: int = 5


@dataclass(frozen=True, slots=True)
class Recorded:
    new: tuple[Entry, ...] = ()
    alerts: int = 0  # outbox rows written
    chats: frozenset[int] = frozenset()


@dataclass(slots=True)
class _Pending:
    entry: Entry
    entry_id: int
    thread_id: int
    rules: list[str]
    spans: list[list[Any]]


def _epoch(value: datetime | None) -> float | None:
    return value.timestamp() if value is not None else None


def _chunks(items: Sequence[Any], size: int = _CHUNK) -> list[Sequence[Any]]:
    return [items[i : i + size] for i in range(0, len(items), size)]


# Built once: SQLAlchemy then reuses the compiled form without recomputing its cache key.
_C, _S, _W = schema.chats, schema.subscriptions, schema.watches
_LIVE = sa.and_(
    _C.c.active.is_(True),
    sa.or_(_C.c.muted_until.is_(None), _C.c.muted_until <= sa.bindparam("now")),
)
_SUBSCRIBERS = (
    sa.select(_S.c.chat_id, _S.c.rule_id, _S.c.thread_id)
    .join(_C, _C.c.id == _S.c.chat_id)
    .where(_S.c.rule_id.in_(sa.bindparam("ids", expanding=True)), _LIVE)
    .order_by(_S.c.created_at)
)
_WATCHERS = (
    sa.select(_W.c.id, _W.c.chat_id, _W.c.thread_id)
    .join(_C, _C.c.id == _W.c.chat_id)
    .where(_W.c.id.in_(sa.bindparam("ids", expanding=True)), _LIVE)
)
_SILENT = sa.select(_C.c.id).where(_C.c.id.in_(sa.bindparam("ids", expanding=True)), sa.not_(_LIVE))
_KNOWN = sa.select(E.c.key, E.c.story_key, E.c.title, E.c.published).where(
    E.c.feed_id == sa.bindparam("feed_id"),
    sa.or_(
        E.c.key.in_(sa.bindparam("keys", expanding=True)),
        E.c.story_key.in_(sa.bindparam("links", expanding=True)),
        E.c.title.in_(sa.bindparam("titles", expanding=True)),
    ),
)


@dataclass(slots=True)
class Known:
    """What the feed's stored rows say about a poll's keys, story keys and titles."""

    keys: set[str] = field(default_factory=set)
    story_keys: set[str] = field(default_factory=set)
    titles: set[str] = field(default_factory=set)
    dated_titles: set[tuple[str, float | None]] = field(default_factory=set)

    def add(self, key: str, story_key: str, title: str, published: float | None) -> None:
        self.keys.add(key)
        self.story_keys.add(story_key)
        self.titles.add(title)
        self.dated_titles.add((title, published))


def sort_new(entries: Sequence[Entry], known: Known) -> tuple[list[Entry], list[Entry]]:
    """One poll's entries as (fresh, churned), in feed order; anything else is already known.

    * a key never stored in the feed: fresh, unless its link (story key) or its title and
      date are stored under another key: then churned (an old item under a new guid:
      stored, never alerted);
    * a key already taken, in the store or earlier in this poll: the same item (an edit, a
      repeat) when its link or its title is one already seen; if BOTH differ, the publisher
      reused the guid for another item: fresh, under :func:`reused_key`.
    """
    fresh: list[Entry] = []
    churned: list[Entry] = []
    in_poll: dict[str, list[Entry]] = {}
    for e in entries:
        earlier = in_poll.setdefault(e.key, [])
        if any(e.link == o.link or e.title == o.title for o in earlier):
            continue  # a repeat (or an edit) of an item earlier in this poll
        earlier.append(e)
        if e.key in known.keys or len(earlier) > 1:
            if e.story_key in known.story_keys or e.title in known.titles:
                continue  # an item stored before, perhaps edited or under its derived key
            fresh.append(replace(e, key=reused_key(e)))
        elif e.story_key in known.story_keys or (
            e.published is not None and (e.title, _epoch(e.published)) in known.dated_titles
        ):
            churned.append(e)  # an old item under a new guid: remember the key, never alert
        else:
            fresh.append(e)
    return fresh, churned


def reused_key(entry: Entry) -> str:
    """The key of an item that came under a guid another item of the feed already has."""
    ident = f"{entry.key}\x1f{entry.link or ''}\x1f{entry.title}"
    return "reused:" + hashlib.sha256(ident.encode("utf-8", "surrogatepass")).hexdigest()


class EntryStore:
    def __init__(self, db: Database) -> None:
        self.db = db
        self.engine = db.engine

    async def record(
        self,
        feed_id: str,
        entries: Sequence[Entry],
        *,
        now: float,
        alertable: Callable[[Entry], bool],
        decide: Callable[[Entry], Sequence[Match]],
        routing: Routing,
    ) -> Recorded:
        """Record one poll's ``entries``; write outbox rows for new, alertable, matching ones."""
        if not entries:
            return Recorded()

        def transaction(conn: sa.Connection) -> Recorded:
            new = self._insert_new(conn, feed_id, entries, now)
            if not new:
                return Recorded()
            wanted = [(e, i) for e, i in new if alertable(e)]
            decided = [(e, i, list(decide(e))) for e, i in wanted]
            decided = [(e, i, m) for e, i, m in decided if m]
            if not decided:
                return Recorded(new=tuple(e for e, _ in new))
            per_chat = self._recipients(conn, decided, routing, now)
            alerts = self._write_outbox(conn, per_chat, routing.flood_threshold, now)
            return Recorded(new=tuple(e for e, _ in new), alerts=alerts, chats=frozenset(per_chat))

        return await self.db.write(transaction)

    def _insert_new(
        self, conn: sa.Connection, feed_id: str, entries: Sequence[Entry], now: float
    ) -> list[tuple[Entry, int]]:
        known = Known()
        for chunk in _chunks(entries):
            query = {
                "feed_id": feed_id,
                "keys": [e.key for e in chunk],
                "links": [e.story_key for e in chunk],
                "titles": [e.title for e in chunk],
            }
            for row in conn.execute(_KNOWN, query):
                known.add(row.key, row.story_key, row.title, row.published)
        fresh, churned = sort_new(entries, known)
        out: list[tuple[Entry, int]] = []
        for chunk in _chunks(fresh + churned):
            params = [
                {
                    "feed_id": feed_id,
                    "key": e.key,
                    "story_key": e.story_key,
                    "title": e.title,
                    "link": e.link,
                    "summary": e.summary,
                    "published": _epoch(e.published),
                    "seen_at": now,
                }
                for e in chunk
            ]
            # executemany: one cached statement that SQLAlchemy batches ("insertmanyvalues")
            result = conn.execute(insert_ignore(conn, E).returning(E.c.id, E.c.key), params)
            ids = {row.key: row.id for row in result}
            out.extend((e, ids[e.key]) for e in chunk if e.key in ids)
        fresh_keys = {e.key for e in fresh}
        return [(e, i) for e, i in out if e.key in fresh_keys]

    def _recipients(
        self,
        conn: sa.Connection,
        decided: list[tuple[Entry, int, list[Match]]],
        routing: Routing,
        now: float,
    ) -> dict[int, dict[str, _Pending]]:
        rule_ids = {m.rule_id for _, _, ms in decided for m in ms}
        plain = [r for r in rule_ids if not r.startswith(WATCH_PREFIX)]
        watch_ids = [int(r[len(WATCH_PREFIX) :]) for r in rule_ids if r.startswith(WATCH_PREFIX)]
        routes: dict[str, list[tuple[int, int]]] = {}
        for chunk in _chunks(plain):
            rows = conn.execute(_SUBSCRIBERS, {"ids": list(chunk), "now": now})
            for row in rows:
                routes.setdefault(row.rule_id, []).append((row.chat_id, row.thread_id))
        for chunk in _chunks(watch_ids):
            rows = conn.execute(_WATCHERS, {"ids": list(chunk), "now": now})
            for row in rows:
                routes.setdefault(f"{WATCH_PREFIX}{row.id}", []).append(
                    (row.chat_id, row.thread_id)
                )
        static = {
            rule_id: chat_ids
            for rule_id, chat_ids in routing.static_chats.items()
            if rule_id in rule_ids
        }
        if static:
            # chats the rules file names get alerts unless they are known to be gone or muted
            wanted = sorted({c for chat_ids in static.values() for c in chat_ids})
            silent = {row.id for row in conn.execute(_SILENT, {"ids": wanted, "now": now})}
            for rule_id, chat_ids in static.items():
                routes.setdefault(rule_id, []).extend((c, 0) for c in chat_ids if c not in silent)
        per_chat: dict[int, dict[str, _Pending]] = {}
        for entry, entry_id, matches in decided:
            for match in matches:
                title = routing.rule_titles.get(match.rule_id, match.rule_id)
                for chat_id, thread_id in routes.get(match.rule_id, ()):
                    pending = per_chat.setdefault(chat_id, {}).get(entry.story_key)
                    if pending is None:
                        per_chat[chat_id][entry.story_key] = _Pending(
                            entry,
                            entry_id,
                            thread_id,
                            [title],
                            [[s.field, s.start, s.end] for s in match.spans],
                        )
                    elif title not in pending.rules:
                        pending.rules.append(title)
        return per_chat

    def _write_outbox(
        self,
        conn: sa.Connection,
        per_chat: dict[int, dict[str, _Pending]],
        threshold: int,
        now: float,
    ) -> int:
        if not per_chat:
            return 0
        K = schema.alert_keys
        claims = [
            {"chat_id": chat_id, "story_key": key, "created_at": now}
            for chat_id, stories in per_chat.items()
            for key in stories
        ]
        owed: set[tuple[int, str]] = set()
        for chunk in _chunks(claims):
            result = conn.execute(
                insert_ignore(conn, K).returning(K.c.chat_id, K.c.story_key), list(chunk)
            )
            owed.update((row.chat_id, row.story_key) for row in result)
        groups: list[tuple[int, int, list[_Pending]]] = []  # chat, thread, items of one row
        for chat_id, stories in per_chat.items():
            items = [p for key, p in stories.items() if (chat_id, key) in owed]
            if not items:
                continue
            head, rest = items[: max(threshold, 0)], items[max(threshold, 0) :]
            groups.extend((chat_id, p.thread_id, [p]) for p in head)
            if rest:
                groups.append((chat_id, rest[0].thread_id, rest))
        if not groups:
            return 0
        OB, OI = schema.outbox, schema.outbox_items
        result = conn.execute(
            OB.insert().returning(OB.c.id, sort_by_parameter_order=True),
            [
                {
                    "chat_id": c,
                    "thread_id": t,
                    "state": AlertState.PENDING.value,
                    "kind": "flood" if len(items) > 1 else "alert",
                    "not_before": now,
                    "created_at": now,
                }
                for c, t, items in groups
            ],
        )
        ids = [row.id for row in result]
        items_params = [
            {
                "outbox_id": oid,
                "entry_id": p.entry_id,
                "rules": json.dumps(p.rules),
                "spans": json.dumps(p.spans),
            }
            for oid, (_, _, items) in zip(ids, groups, strict=True)
            for p in items
        ]
        conn.execute(OI.insert(), items_params)
        return len(ids)

    async def count(self, feed_id: str | None = None) -> int:
        query = sa.select(sa.func.count()).select_from(E)
        if feed_id is not None:
            query = query.where(E.c.feed_id == feed_id)
        async with self.db.read() as conn:
            return int((await conn.execute(query)).scalar_one())


def entry_published(value: float | None) -> datetime | None:
    return datetime.fromtimestamp(value, UTC) if value is not None else None
