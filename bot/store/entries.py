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

import asyncio
import hashlib
import json
import threading
from collections.abc import Callable, Mapping, Sequence
from dataclasses import dataclass, field, replace
from datetime import UTC, datetime
from typing import Any, Protocol

import sqlalchemy as sa

from bot.models import AlertKind, AlertState, Entry, Match
from bot.route import Edit, NewAlert, Plan, Report, Route, Sent, plan
from bot.store import schema
from bot.store.db import Database, insert_ignore
from bot.story import Join as StoryJoin
from bot.story import Report as StoryReport

E = schema.entries
WATCH_PREFIX = "watch:"
STORY_WINDOW = 48 * 3600.0  # seconds: reports further apart are never one story
_CHUNK = 400


@dataclass(frozen=True, slots=True)
class Routing:
    """Who gets what: rule titles for the message, rules-file chats, and the flood threshold."""

    rule_titles: Mapping[str, str] = field(default_factory=dict)
    static_chats: Mapping[str, tuple[int, ...]] = field(default_factory=dict)
    flood_threshold: int = 5


@dataclass(frozen=True, slots=True)
class Assigned:
    """Which story an entry joined, and why: ``join`` is the clusterer's verdict, None when
    the entry started a story or shares a story's canonical link (``same_link``)."""

    entry_id: int
    key: str
    story_id: int
    join: StoryJoin | None = None
    same_link: bool = False


@dataclass(frozen=True, slots=True)
class Recorded:
    new: tuple[Entry, ...] = ()
    alerts: int = 0  # new messages owed (outbox rows)
    chats: frozenset[int] = frozenset()
    edits: int = 0  # messages already sent that are owed an update (more outlets)
    stories: tuple[Assigned, ...] = ()  # every inserted entry's story


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
_KNOWN = sa.select(E.c.id, E.c.key, E.c.story_key, E.c.title, E.c.published, E.c.last_seen).where(
    E.c.feed_id == sa.bindparam("feed_id"),
    sa.or_(
        E.c.key.in_(sa.bindparam("keys", expanding=True)),
        E.c.story_key.in_(sa.bindparam("links", expanding=True)),
        E.c.title.in_(sa.bindparam("titles", expanding=True)),
    ),
)


# the rows of items the feed serves again: seen now (retention goes by last_seen)
_SEEN_AGAIN = (
    E.update()
    .where(E.c.id.in_(sa.bindparam("ids", expanding=True)))
    .values(last_seen=sa.bindparam("now"))
)
_F = schema.feeds
_DOCUMENT_AT = (
    _F.update()
    .where(
        _F.c.id == sa.bindparam("feed_id"),
        sa.or_(_F.c.document_at.is_(None), _F.c.document_at < sa.bindparam("stale")),
    )
    .values(document_at=sa.bindparam("now"))
)
SEEN_REFRESH = 86400.0  # seconds: an entry's last_seen is brought up to date at most this often

_OB, _L = schema.outbox, schema.story_alerts
_STORY_OF_LINK = (
    sa.select(E.c.story_key, E.c.story_id)
    .where(E.c.story_key.in_(sa.bindparam("links", expanding=True)), E.c.story_id.is_not(None))
    .order_by(E.c.id)
)
_SET_STORY = (
    E.update().where(E.c.id == sa.bindparam("b_id")).values(story_id=sa.bindparam("story_id"))
)
# entries that began a story: their own id (one statement for the usual case)
_OWN_STORY = (
    E.update().where(E.c.id.in_(sa.bindparam("ids", expanding=True))).values(story_id=E.c.id)
)
_SINCE = (
    sa.select(
        E.c.id,
        E.c.title,
        E.c.summary,
        E.c.published,
        E.c.seen_at,
        E.c.feed_id,
        E.c.link,
        E.c.story_id,
    )
    .where(
        E.c.id > sa.bindparam("after"),
        E.c.story_id.is_not(None),
        sa.func.coalesce(E.c.published, E.c.seen_at) >= sa.bindparam("since"),
    )
    .order_by(E.c.id)
)
_LEDGER = sa.select(_L.c.chat_id, _L.c.story_id, _L.c.targets).where(
    _L.c.story_id.in_(sa.bindparam("ids", expanding=True))
)
_SET_TARGETS = (
    _L.update()
    .where(_L.c.chat_id == sa.bindparam("b_chat"), _L.c.story_id == sa.bindparam("b_story"))
    .values(targets=sa.bindparam("targets"))
)
_GROUPING = sa.select(_C.c.id, _C.c.stories).where(_C.c.id.in_(sa.bindparam("ids", expanding=True)))
_CLAIMS = sa.select(schema.alert_keys.c.chat_id, schema.alert_keys.c.story_key).where(
    schema.alert_keys.c.chat_id.in_(sa.bindparam("chats", expanding=True)),
    schema.alert_keys.c.story_key.in_(sa.bindparam("keys", expanding=True)),
)
_PENDING_EDITS = sa.select(_OB.c.chat_id, _OB.c.story_id).where(
    _OB.c.kind == AlertKind.EDIT.value,
    _OB.c.state == AlertState.PENDING.value,
    _OB.c.story_id.in_(sa.bindparam("ids", expanding=True)),
)


def _targets(targets: frozenset[str] | None) -> str | None:
    return None if targets is None else json.dumps(sorted(targets))


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


class StoryIndex(Protocol):
    """What the store needs of the story clusterer (``bot.story.StoryIndex``): the stories of
    the window in memory, kept in step with the table (``watermark``: the highest entry id it
    has seen; rows other writers added since are read before each assignment)."""

    watermark: int

    def assign(self, report: StoryReport) -> StoryJoin | None: ...

    def add(self, report: StoryReport, story: int) -> None: ...

    def expire(self, now: float) -> int: ...

    def clear(self) -> None: ...


class SameLinkOnly:
    """The stories of the canonical link alone (no clustering): what a chat got before
    stories, and the fallback of tests that do not exercise clustering."""

    watermark = 0

    def assign(self, report: StoryReport) -> StoryJoin | None:
        return None

    def add(self, report: StoryReport, story: int) -> None:
        self.watermark = max(self.watermark, report.id)

    def expire(self, now: float) -> int:
        return 0

    def clear(self) -> None:
        self.watermark = 0


PlanFn = Callable[..., Plan]


class EntryStore:
    def __init__(self, db: Database, seen_refresh: float = SEEN_REFRESH) -> None:
        self.db = db
        self.engine = db.engine
        # how stale an entry's last_seen may grow while its feed serves it (bot.store.retention
        # prunes by the same figure: both must agree)
        self.seen_refresh = seen_refresh
        # The story index is memory shared by write transactions, which may run on the event
        # loop's thread or the SQLite writer thread: one at a time touches it.
        self._index_lock = threading.Lock()

    async def record(
        self,
        feed_id: str,
        entries: Sequence[Entry],
        *,
        now: float,
        alertable: Callable[[Entry], bool],
        decide: Callable[[Entry], Sequence[Match]],
        routing: Routing,
        stories: StoryIndex | None = None,
        window: float = STORY_WINDOW,
        planner: PlanFn = plan,
    ) -> Recorded:
        """Record one poll's ``entries`` in one transaction: keep the new ones (dedup), give
        each its story (``stories``: same canonical link, else the clusterer), match the
        alertable ones (``decide``), and write what ``planner`` decides: alerts, edits of
        alerts already sent, and the ledgers."""
        if not entries:
            return Recorded()
        index = stories if stories is not None else SameLinkOnly()
        runs = 0

        def transaction(conn: sa.Connection) -> Recorded:
            nonlocal runs
            runs += 1
            if runs > 1:  # run again after a rollback: what the first run indexed is void
                index.clear()
            new, inserted = self._insert_new(conn, feed_id, entries, now)
            if not inserted:
                return Recorded()
            assigned = self._assign_stories(conn, index, inserted, now, window)
            stories = tuple(assigned.values())
            reports = [
                Report(i, assigned[i].story_id, e.story_key, tuple(decide(e)))
                for e, i in new
                if alertable(e)
            ]
            fresh = tuple(e for e, _ in new)
            if not reports:
                return Recorded(new=fresh, stories=stories)
            decided, known = self._plan(conn, reports, routing, now, planner)
            written, edited = self._apply(conn, decided, known, now)
            return Recorded(
                new=fresh,
                alerts=written,
                chats=frozenset(a.chat_id for a in decided.alerts),
                edits=edited,
                stories=stories,
            )

        try:
            return await self.db.write(transaction)
        except BaseException:
            # The index may hold reports the rollback took back: rebuild it from the table.
            index.clear()
            raise

    def _insert_new(
        self, conn: sa.Connection, feed_id: str, entries: Sequence[Entry], now: float
    ) -> tuple[list[tuple[Entry, int]], list[tuple[Entry, int]]]:
        """(new entries, every entry inserted: new and churned), with their row ids.

        The stored rows of the items the feed serves (by key, or by the derived key of a
        reused guid) are marked seen now when their mark is older than ``seen_refresh``, and
        so is the feed's ``document_at``: retention keeps what the feed still serves."""
        known = Known()
        stale = now - self.seen_refresh
        poll_keys = {e.key for e in entries}
        reused: set[str] | None = None
        seen_again: list[int] = []
        for chunk in _chunks(entries):
            query = {
                "feed_id": feed_id,
                "keys": [e.key for e in chunk],
                "links": [e.story_key for e in chunk],
                "titles": [e.title for e in chunk],
            }
            for row in conn.execute(_KNOWN, query):
                known.add(row.key, row.story_key, row.title, row.published)
                if row.last_seen is not None and row.last_seen >= stale:
                    continue
                if row.key not in poll_keys and row.key.startswith("reused:"):
                    if reused is None:
                        reused = {reused_key(e) for e in entries}
                    if row.key not in reused:
                        continue
                elif row.key not in poll_keys:
                    continue
                seen_again.append(row.id)
        for chunk in _chunks(sorted(set(seen_again))):
            conn.execute(_SEEN_AGAIN, {"ids": list(chunk), "now": now})
        conn.execute(_DOCUMENT_AT, {"feed_id": feed_id, "now": now, "stale": stale})
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
                    "last_seen": now,
                }
                for e in chunk
            ]
            # executemany: one cached statement that SQLAlchemy batches ("insertmanyvalues")
            result = conn.execute(insert_ignore(conn, E).returning(E.c.id, E.c.key), params)
            ids = {row.key: row.id for row in result}
            out.extend((e, ids[e.key]) for e in chunk if e.key in ids)
        fresh_keys = {e.key for e in fresh}
        return [(e, i) for e, i in out if e.key in fresh_keys], out

    # ------------------------------------------------------------------ stories

    def _assign_stories(
        self,
        conn: sa.Connection,
        index: StoryIndex,
        inserted: list[tuple[Entry, int]],
        now: float,
        window: float,
    ) -> dict[int, Assigned]:
        """Each inserted entry's story: the story of an entry with the same canonical link,
        else the one the clusterer finds, else a new story (its id: the entry's own)."""
        self._catch_up(conn, index, now, window)
        by_link: dict[str, int] = {}
        links = [e.story_key for e, _ in inserted if e.link]
        for chunk in _chunks(links):
            for row in conn.execute(_STORY_OF_LINK, {"links": list(chunk)}):
                by_link.setdefault(row.story_key, row.story_id)
        assigned: dict[int, Assigned] = {}
        with self._index_lock:  # pure work on the index: no statement runs under the lock
            for entry, entry_id in inserted:
                report = StoryReport(
                    id=entry_id,
                    title=entry.title,
                    summary=entry.summary,
                    published=_epoch(entry.published) or now,
                    feed_id=entry.feed_id,
                    link=entry.link,
                )
                story = by_link.get(entry.story_key) if entry.link else None
                joined = None
                # published before the window: no story of the window is that old, and no
                # later report can be close enough in time to join it
                current = report.published >= now - window
                if story is None and current:
                    joined = index.assign(report)
                if story is None:
                    story = joined.story if joined is not None else entry_id
                if entry.link:
                    by_link.setdefault(entry.story_key, story)
                same_link = joined is None and story != entry_id
                assigned[entry_id] = Assigned(entry_id, entry.key, story, joined, same_link)
                if current:
                    index.add(report, story)
        own = [i for i, a in assigned.items() if a.story_id == i]
        for chunk in _chunks(own):
            conn.execute(_OWN_STORY, {"ids": list(chunk)})
        joins = [
            {"b_id": i, "story_id": a.story_id} for i, a in assigned.items() if a.story_id != i
        ]
        if joins:
            conn.execute(_SET_STORY, joins)
        return assigned

    def _catch_up(self, conn: sa.Connection, index: StoryIndex, now: float, window: float) -> None:
        """Feed the index what it has not seen: the window's stories on first use, then the
        rows other writers (other instances) added since."""
        if isinstance(index, SameLinkOnly):
            return  # it keeps nothing: the canonical link is looked up in the table
        rows = conn.execute(_SINCE, {"after": index.watermark, "since": now - window}).all()
        self._index_rows(index, rows, now)

    async def warm(self, index: StoryIndex, now: float, window: float) -> int:
        """Load the window's stories into ``index`` before the first poll, off the event loop
        (the first recording transaction would otherwise do it, holding the loop)."""
        if isinstance(index, SameLinkOnly):
            return 0
        async with self.db.read() as conn:
            query = {"after": index.watermark, "since": now - window}
            rows = (await conn.execute(_SINCE, query)).all()
        await asyncio.to_thread(self._index_rows, index, rows, now)
        return len(rows)

    def _index_rows(self, index: StoryIndex, rows: Sequence[Any], now: float) -> None:
        with self._index_lock:
            index.expire(now)
            for seen in rows:
                if seen.story_id is None:
                    continue  # this transaction's own rows, assigned next
                index.add(
                    StoryReport(
                        id=seen.id,
                        title=seen.title,
                        summary=seen.summary,
                        published=seen.published if seen.published is not None else seen.seen_at,
                        feed_id=seen.feed_id,
                        link=seen.link,
                    ),
                    seen.story_id,
                )

    # ------------------------------------------------------------------ routing

    def _plan(
        self,
        conn: sa.Connection,
        reports: list[Report],
        routing: Routing,
        now: float,
        planner: PlanFn,
    ) -> tuple[Plan, set[tuple[int, int]]]:
        """Read what the planner needs — live routes, the stories' ledger, the chats'
        grouping choice, stories-off chats' link claims — and call it."""
        targets = {m.rule_id for r in reports for m in r.matches}
        routes = self._routes(conn, targets, routing, now)
        stories = sorted({r.story_id for r in reports})
        sent: list[Sent] = []
        for chunk in _chunks(stories):
            for row in conn.execute(_LEDGER, {"ids": list(chunk)}):
                have = None if row.targets is None else frozenset(json.loads(row.targets))
                sent.append(Sent(row.chat_id, row.story_id, have))
        chats = sorted({r.chat_id for r in routes} | {s.chat_id for s in sent})
        grouping: dict[int, bool] = {}
        for chunk in _chunks(chats):
            for chat in conn.execute(_GROUPING, {"ids": list(chunk)}):
                grouping[chat.id] = bool(chat.stories)
        off = [c for c, on in grouping.items() if not on]
        claimed: list[tuple[int, str]] = []
        if off:
            links = sorted({r.link_key for r in reports})
            for chunk in _chunks(links):
                query = {"chats": off, "keys": list(chunk)}
                claimed.extend((row.chat_id, row.story_key) for row in conn.execute(_CLAIMS, query))
        decided = planner(
            reports,
            routes,
            sent,
            titles=routing.rule_titles,
            flood_threshold=routing.flood_threshold,
            grouping=grouping,
            claimed_links=claimed,
        )
        return decided, {(x.chat_id, x.story_id) for x in sent}

    def _routes(
        self, conn: sa.Connection, targets: set[str], routing: Routing, now: float
    ) -> list[Route]:
        plain = [t for t in targets if not t.startswith(WATCH_PREFIX)]
        watch_ids = [int(t[len(WATCH_PREFIX) :]) for t in targets if t.startswith(WATCH_PREFIX)]
        routes: list[Route] = []
        for chunk in _chunks(plain):
            rows = conn.execute(_SUBSCRIBERS, {"ids": list(chunk), "now": now})
            routes.extend(Route(row.rule_id, row.chat_id, row.thread_id) for row in rows)
        for chunk in _chunks(watch_ids):
            rows = conn.execute(_WATCHERS, {"ids": list(chunk), "now": now})
            routes.extend(
                Route(f"{WATCH_PREFIX}{row.id}", row.chat_id, row.thread_id) for row in rows
            )
        static = {t: chats for t, chats in routing.static_chats.items() if t in targets}
        if static:
            # chats the rules file names get alerts unless they are known to be gone or muted
            wanted = sorted({c for chat_ids in static.values() for c in chat_ids})
            silent = {row.id for row in conn.execute(_SILENT, {"ids": wanted, "now": now})}
            for target, chat_ids in static.items():
                routes.extend(Route(target, c) for c in chat_ids if c not in silent)
        return routes

    def _apply(
        self, conn: sa.Connection, decided: Plan, known: set[tuple[int, int]], now: float
    ) -> tuple[int, int]:
        """Write the plan; the ledgers' unique keys settle a race with another writer: an
        alert whose ledger row was taken meanwhile is not written (its story gets an edit)."""
        lost_stories: set[tuple[int, int]] = set()
        K, L = schema.alert_keys, schema.story_alerts
        inserts = [s for s in decided.ledger if (s.chat_id, s.story_id) not in known]
        updates = [s for s in decided.ledger if (s.chat_id, s.story_id) in known]
        taken: set[tuple[int, int]] = set()
        for chunk in _chunks(inserts):
            result = conn.execute(
                insert_ignore(conn, L).returning(L.c.chat_id, L.c.story_id),
                [
                    {
                        "chat_id": s.chat_id,
                        "story_id": s.story_id,
                        "targets": _targets(s.targets),
                        "created_at": now,
                    }
                    for s in chunk
                ],
            )
            taken.update((row.chat_id, row.story_id) for row in result)
        lost_stories = {(s.chat_id, s.story_id) for s in inserts} - taken
        if updates:
            conn.execute(
                _SET_TARGETS,
                [
                    {"b_chat": s.chat_id, "b_story": s.story_id, "targets": _targets(s.targets)}
                    for s in updates
                ],
            )
        lost_links: set[tuple[int, str]] = set()
        if decided.links:
            claims = [{"chat_id": c, "story_key": k, "created_at": now} for c, k in decided.links]
            won: set[tuple[int, str]] = set()
            for chunk in _chunks(claims):
                result = conn.execute(
                    insert_ignore(conn, K).returning(K.c.chat_id, K.c.story_key), list(chunk)
                )
                won.update((row.chat_id, row.story_key) for row in result)
            lost_links = set(decided.links) - won
        alerts: list[NewAlert] = []
        edits = list(decided.edits)
        for alert in decided.alerts:
            keep = [
                n
                for n, (story, link) in enumerate(zip(alert.stories, alert.link_keys, strict=True))
                if (alert.chat_id, story) not in lost_stories
                and (alert.chat_id, link) not in lost_links
            ]
            if len(keep) == len(alert.items):
                alerts.append(alert)
            elif keep:
                alerts.append(
                    replace(
                        alert,
                        items=tuple(alert.items[n] for n in keep),
                        stories=tuple(alert.stories[n] for n in keep),
                        link_keys=tuple(alert.link_keys[n] for n in keep),
                    )
                )
        edits.extend(Edit(c, s) for c, s in sorted(lost_stories))
        written = self._write_alerts(conn, alerts, taken, now)
        return written, self._write_edits(conn, edits, now)

    def _write_alerts(
        self,
        conn: sa.Connection,
        alerts: list[NewAlert],
        new_ledger: set[tuple[int, int]],
        now: float,
    ) -> int:
        if not alerts:
            return 0
        OB, OI, L = schema.outbox, schema.outbox_items, schema.story_alerts
        result = conn.execute(
            OB.insert().returning(OB.c.id, sort_by_parameter_order=True),
            [
                {
                    "chat_id": a.chat_id,
                    "thread_id": a.thread_id,
                    "state": AlertState.PENDING.value,
                    "kind": a.kind.value,
                    "not_before": now,
                    "created_at": now,
                }
                for a in alerts
            ],
        )
        ids = [row.id for row in result]
        conn.execute(
            OI.insert(),
            [
                {
                    "outbox_id": oid,
                    "entry_id": item.entry_id,
                    "rules": json.dumps(list(item.rule_titles)),
                    "spans": json.dumps([[s.field, s.start, s.end] for s in item.spans]),
                }
                for oid, alert in zip(ids, alerts, strict=True)
                for item in alert.items
            ],
        )
        # the message to edit when more outlets report a story: the one that first carried it
        carriers = [
            {"b_chat": a.chat_id, "b_story": story, "outbox_id": oid}
            for oid, a in zip(ids, alerts, strict=True)
            for story in dict.fromkeys(a.stories)
            if (a.chat_id, story) in new_ledger
        ]
        if carriers:
            conn.execute(
                L.update()
                .where(
                    L.c.chat_id == sa.bindparam("b_chat"), L.c.story_id == sa.bindparam("b_story")
                )
                .values(outbox_id=sa.bindparam("outbox_id")),
                carriers,
            )
        return len(ids)

    def _write_edits(self, conn: sa.Connection, edits: list[Edit], now: float) -> int:
        """One pending edit per (chat, story) at most: it renders what is known when it goes."""
        if not edits:
            return 0
        OB = schema.outbox
        waiting: set[tuple[int, int]] = set()
        for chunk in _chunks(sorted({e.story_id for e in edits})):
            found = conn.execute(_PENDING_EDITS, {"ids": list(chunk)})
            waiting.update((row.chat_id, row.story_id) for row in found)
        rows = [
            {
                "chat_id": e.chat_id,
                "thread_id": 0,
                "state": AlertState.PENDING.value,
                "kind": AlertKind.EDIT.value,
                "story_id": e.story_id,
                "not_before": now,
                "created_at": now,
            }
            for e in edits
            if (e.chat_id, e.story_id) not in waiting
        ]
        if rows:
            conn.execute(OB.insert(), rows)
        return len(rows)

    async def story_of(self, feed_id: str, key: str) -> int | None:
        """The story of a stored entry (None: unknown entry, or recorded before stories)."""
        query = sa.select(E.c.story_id).where(E.c.feed_id == feed_id, E.c.key == key)
        async with self.db.read() as conn:
            return (await conn.execute(query)).scalar_one_or_none()

    async def key_of(self, entry_id: int) -> str | None:
        """The feed's own key (guid) of a stored entry."""
        async with self.db.read() as conn:
            query = sa.select(E.c.key).where(E.c.id == entry_id)
            return (await conn.execute(query)).scalar_one_or_none()

    async def count(self, feed_id: str | None = None) -> int:
        query = sa.select(sa.func.count()).select_from(E)
        if feed_id is not None:
            query = query.where(E.c.feed_id == feed_id)
        async with self.db.read() as conn:
            return int((await conn.execute(query)).scalar_one())


def entry_published(value: float | None) -> datetime | None:
    return datetime.fromtimestamp(value, UTC) if value is not None else None
