"""Retention (issue 13) on real SQLite and PostgreSQL, with a fake clock (``now`` passed in):
items a feed still serves are never alerted again after their rows age; dropped items' rows
and their delivered alerts are pruned; what is owed survives; stories keep working across
their window; a prune beside polling and delivery loses nothing; one pruner at a time."""

from __future__ import annotations

import asyncio
from collections.abc import Sequence
from datetime import UTC, datetime
from typing import Any

import pytest
import sqlalchemy as sa

from bot.models import Entry, FeedSpec, Match, Span
from bot.store import Routing, Store
from bot.store.retention import Pruner

DAY = 86400.0
T0 = 1_756_864_800.0  # 2025-09-03 02:00 UTC
KEEP = 3 * DAY
REFRESH = KEEP / 4


def item(feed: str, key: str, at: float, link: str | None = None) -> Entry:
    return Entry(
        feed_id=feed,
        key=key,
        title=f"Report {key} from {feed}",
        link=link or f"https://{feed}.example/{key}",
        published=datetime.fromtimestamp(at, UTC),
    )


def everything(e: Entry) -> list[Match]:
    """Rule "all" matches every entry; rule "f1" those of feed f1."""
    found = [Match("all", (Span("title", 0, 6),))]
    return [*found, Match("f1")] if e.feed_id == "f1" else found


ROUTING = Routing({"all": "Everything", "f1": "Feed one"}, flood_threshold=1000)


async def poll(store: Store, feed: str, entries: Sequence[Entry], now: float) -> tuple[str, ...]:
    """Record one poll's document; the keys it found new."""
    recorded = await store.entries.record(
        feed, list(entries), now=now, alertable=lambda e: True, decide=everything, routing=ROUTING
    )
    return tuple(e.key for e in recorded.new)


async def deliver(store: Store, now: float, chats: set[int] | None = None) -> list[int]:
    """Send what is due (to ``chats`` only, when given); the outbox ids sent."""
    sent = []
    for due in await store.outbox.due(now):
        if chats is not None and due.chat_id not in chats:
            continue
        alert = await store.outbox.claim(due.id, now, 60.0)
        if alert is not None:
            await store.outbox.mark_sent(due.id, now + 1, message_id=due.id)
            sent.append(due.id)
    return sent


async def setup(
    store: Store, feeds: Sequence[str] = ("f1",), chats: Sequence[int] = (1,), rule: str = "all"
) -> None:
    await store.feeds.sync_from_rules([FeedSpec(f, f"http://{f}.example/") for f in feeds], T0)
    for chat in chats:
        await store.chats.ensure(chat, "private", None, T0)
        await store.chats.subscribe(chat, rule, None, T0)


async def count(store: Store, table: str, where: str = "") -> int:
    async with store.db.read() as conn:
        sql = f"SELECT count(*) FROM {table}" + (f" WHERE {where}" if where else "")
        return int((await conn.execute(sa.text(sql))).scalar_one())


async def keys(store: Store) -> set[str]:
    async with store.db.read() as conn:
        return {r.key for r in await conn.execute(sa.text("SELECT key FROM entries"))}


def pruner(store: Store, **kw: Any) -> Pruner:
    return Pruner(store.db, KEEP, refresh=store.entries.seen_refresh, **kw)


@pytest.fixture
async def store(db_url: str) -> Any:
    async with Store.open(db_url, seen_refresh=REFRESH) as opened:
        yield opened


# ---- dedup survives pruning ---------------------------------------------------------------


async def test_an_item_the_feed_still_serves_is_never_alerted_again(store: Store) -> None:
    await setup(store)
    pinned = item("f1", "pinned", T0)
    assert await poll(store, "f1", [pinned, item("f1", "gone", T0)], T0) == ("pinned", "gone")
    await deliver(store, T0)
    # thirty days of polls: the pinned item stays in the document, new items come and go
    for day in range(1, 31):
        now = T0 + day * DAY
        new = item("f1", f"d{day}", now)
        assert await poll(store, "f1", [pinned, new], now) == (f"d{day}",)
        await deliver(store, now)
        await pruner(store).prune(now)
    now = T0 + 31 * DAY
    assert "pinned" in await keys(store)
    assert "gone" not in await keys(store)  # dropped on day 1: pruned
    assert await poll(store, "f1", [pinned], now) == ()
    assert await count(store, "outbox", "state = 'pending'") == 0


async def test_a_feed_answering_304_for_months_keeps_its_document(store: Store) -> None:
    """No document for 90 days (304s, or failures): its items are still what it serves."""
    await setup(store)
    document = [item("f1", "a", T0), item("f1", "b", T0)]
    await poll(store, "f1", document, T0)
    await deliver(store, T0)
    later = T0 + 90 * DAY
    pruned = await pruner(store).prune(later)
    assert pruned.removed["entries"] == 0
    assert await poll(store, "f1", [*document, item("f1", "c", later)], later) == ("c",)


async def test_a_reused_guid_keeps_both_rows_while_served(store: Store) -> None:
    await setup(store)
    first = item("f1", "g", T0)
    await poll(store, "f1", [first], T0)
    other = Entry(feed_id="f1", key="g", title="Another story", link="https://f1.example/other")
    assert len(await poll(store, "f1", [other], T0 + DAY)) == 1  # under its derived key
    for day in range(2, 20):
        await poll(store, "f1", [other], T0 + day * DAY)
        await deliver(store, T0 + day * DAY)
        await pruner(store).prune(T0 + day * DAY)
    assert await poll(store, "f1", [other], T0 + 20 * DAY) == ()


async def test_entries_of_a_feed_gone_from_the_table_go_by_age(store: Store) -> None:
    await setup(store)
    await poll(store, "f1", [item("f1", "a", T0)], T0)
    await deliver(store, T0)
    async with store.db.engine.begin() as conn:
        await conn.execute(sa.text("DELETE FROM feeds WHERE id = 'f1'"))
    assert (await pruner(store).prune(T0 + 4 * DAY)).removed["entries"] == 1


async def test_rows_from_before_retention_wait_for_their_feeds_next_document(
    store: Store,
) -> None:
    """document_at NULL (a database upgraded to 0004): the feed's rows stay until it serves a
    document again; then only what that document lacks goes."""
    await setup(store)
    await poll(store, "f1", [item("f1", "a", T0), item("f1", "b", T0)], T0)
    await deliver(store, T0)
    async with store.db.engine.begin() as conn:
        await conn.execute(sa.text("UPDATE feeds SET document_at = NULL"))
    assert (await pruner(store).prune(T0 + 10 * DAY)).removed["entries"] == 0
    await poll(store, "f1", [item("f1", "a", T0)], T0 + 10 * DAY)
    assert (await pruner(store).prune(T0 + 12 * DAY)).removed["entries"] == 1
    assert await keys(store) == {"a"}


# ---- what goes, what stays ----------------------------------------------------------------


async def test_dropped_items_and_their_delivered_alerts_are_pruned(store: Store) -> None:
    await setup(store, chats=(1, 2))
    await poll(store, "f1", [item("f1", f"k{n}", T0) for n in range(7)], T0)
    await deliver(store, T0)
    await poll(store, "f1", [item("f1", "new", T0 + DAY)], T0 + DAY)  # the 7 are gone
    await deliver(store, T0 + DAY)
    assert await count(store, "outbox") == 16 and await count(store, "story_alerts") == 16
    going = {"story_alerts": 14, "alert_keys": 0, "outbox": 14, "entries": 7}
    assert await pruner(store).pending(T0 + KEEP + DAY / 2) == going  # what db stats says
    pruned = await pruner(store, batch=3).prune(T0 + KEEP + DAY / 2)
    assert pruned.removed == {"story_alerts": 14, "alert_keys": 0, "outbox": 14, "entries": 7}
    assert pruned.batches > 4  # batches of three
    assert await keys(store) == {"new"}
    assert await count(store, "outbox_items") == 2
    assert await pruner(store).pending(T0 + KEEP + DAY / 2) == {
        "story_alerts": 0,
        "alert_keys": 0,
        "outbox": 0,
        "entries": 0,
    }


async def test_owed_alerts_and_their_entries_survive(store: Store) -> None:
    """Pending (chat 2 never delivered), held (chat 3) and leased (chat 4) rows stay with
    their entries, however old; chat 1's delivered ones go."""
    await setup(store, chats=(1, 2, 3, 4))
    await poll(store, "f1", [item("f1", "a", T0), item("f1", "b", T0)], T0)
    await deliver(store, T0, chats={1})
    for due in await store.outbox.due(T0):
        if due.chat_id == 3:
            await store.outbox.claim(due.id, T0, 60.0)
            await store.outbox.hold(due.id, T0 + 365 * DAY)
        elif due.chat_id == 4:
            await store.outbox.claim(due.id, T0 + 60 * DAY, 60.0)
    await poll(store, "f1", [item("f1", "c", T0 + DAY)], T0 + DAY)
    later = T0 + 60 * DAY + 30
    pruned = await pruner(store).prune(later)
    assert pruned.removed["outbox"] == 2 and pruned.removed["entries"] == 0
    assert await keys(store) == {"a", "b", "c"}
    assert await count(store, "outbox", "state = 'pending' AND chat_id = 2") == 3
    assert await count(store, "outbox", "state = 'held'") == 2
    assert await count(store, "outbox", "state = 'sending'") == 2
    for due in await store.outbox.due(later):  # the owed alerts still carry their entries
        if due.chat_id == 2:
            alert = await store.outbox.claim(due.id, later, 60.0)
            assert alert is not None and len(alert.items) == 1
            assert alert.items[0].title.startswith("Report ")


async def test_a_story_alive_in_its_window_keeps_its_ledger(store: Store) -> None:
    """Chat 1 got the story on day 0; outlets keep reporting it (same link) every day. After
    the retention its ledger key stays while the story has fresh reports: the next report is
    an edit of that alert, not a second alert. A story gone quiet loses its key."""
    await setup(store, feeds=[f"f{n}" for n in range(8)])
    link = "https://wire.example/parade"
    assert await poll(store, "f0", [item("f0", "p", T0, link)], T0) == ("p",)
    await poll(store, "f0", [item("f0", "quiet", T0)], T0)
    await deliver(store, T0)
    await poll(store, "f0", [item("f0", "other", T0 + DAY)], T0 + DAY)  # both leave f0
    for day in range(2, 7):
        now = T0 + day * DAY
        await poll(store, f"f{day}", [item(f"f{day}", "p", now, link)], now)
        await deliver(store, now)
        await pruner(store).prune(now)
    assert await count(store, "story_alerts") == 1  # the quiet stories' keys are gone
    assert await count(store, "outbox", "kind = 'alert'") == 1  # p's: its edits rewrite it
    now = T0 + 7 * DAY
    recorded = await store.entries.record(
        "f7",
        [item("f7", "p", now, link)],
        now=now,
        alertable=lambda e: True,
        decide=everything,
        routing=ROUTING,
    )
    assert recorded.alerts == 0 and recorded.edits == 1


async def test_an_owed_edit_keeps_its_story(store: Store) -> None:
    await setup(store, feeds=("f1", "f2"))
    link = "https://wire.example/x"
    await poll(store, "f1", [item("f1", "x", T0, link)], T0)
    await deliver(store, T0)
    await poll(store, "f1", [item("f1", "y", T0 + DAY)], T0 + DAY)
    await poll(store, "f2", [item("f2", "x", T0 + DAY, link)], T0 + DAY)  # an edit, owed
    assert await count(store, "outbox", "kind = 'edit' AND state = 'pending'") == 1
    pruned = await pruner(store).prune(T0 + 10 * DAY)
    assert pruned.removed["story_alerts"] == 0 and pruned.removed["outbox"] == 0
    assert "x" in await keys(store)


# ---- beside polling and delivery ----------------------------------------------------------

STEP = DAY / 4
STEPS = 48  # twelve days: four retentions


def document(feed: str, step: int) -> list[Entry]:
    """A sliding window of five items, plus one the feed serves from the first step on."""
    window = [item(feed, f"s{n}", T0 + n * STEP) for n in range(max(0, step - 4), step + 1)]
    return [item(feed, "pinned", T0), *window] if feed.endswith("0") else window


async def run_beside(stores: Sequence[Store], feeds: Sequence[str]) -> dict[str, Any]:
    """Polls (feeds split among the stores), delivery to chat 1 (chat 2's, of feed f1, stay owed)
    and one pruner per store, concurrently, with tiny batches, over STEPS steps of a fake
    clock. Returns what was found new and what was delivered."""
    new: list[tuple[str, str]] = []
    delivered: list[tuple[int, str, str]] = []
    skipped = 0
    removed: dict[str, int] = {}
    clock = [T0]
    done = asyncio.Event()

    async def polling(store: Store, mine: Sequence[str]) -> None:
        for step in range(STEPS):
            clock[0] = T0 + step * STEP
            for feed in mine:
                found = await poll(store, feed, document(feed, step), clock[0])
                new.extend((feed, k) for k in found)
                await asyncio.sleep(0)

    async def delivery(store: Store) -> None:
        while not done.is_set():
            now = clock[0]
            for due in await store.outbox.due(now):
                if due.chat_id != 1:
                    continue
                alert = await store.outbox.claim(due.id, now, 60.0)
                if alert is None:
                    continue
                delivered.extend((due.chat_id, i.feed_name, i.title) for i in alert.items)
                await store.outbox.mark_sent(due.id, now)
            await asyncio.sleep(0.001)

    async def pruning(store: Store) -> None:
        nonlocal skipped
        while not done.is_set():
            pruned = await pruner(store, batch=4).prune(clock[0])
            skipped += pruned.skipped
            for table, n in pruned.removed.items():
                removed[table] = removed.get(table, 0) + n
            await asyncio.sleep(0.001)

    share = [feeds[n :: len(stores)] for n in range(len(stores))]
    workers = [asyncio.create_task(delivery(stores[0]))]
    workers += [asyncio.create_task(pruning(s)) for s in stores]
    await asyncio.gather(*(polling(s, m) for s, m in zip(stores, share, strict=True)))
    # deliver what is left
    for _ in range(200):
        if not any(d.chat_id == 1 for d in await stores[0].outbox.due(clock[0])):
            break
        await asyncio.sleep(0.01)
    done.set()
    await asyncio.gather(*workers)
    return {"new": new, "delivered": delivered, "skipped": skipped, "pruned": removed}


async def check_nothing_lost(store: Store, feeds: Sequence[str], ran: dict[str, Any]) -> None:
    every_item = {(f, e.key) for f in feeds for s in range(STEPS) for e in document(f, s)}
    assert sorted(ran["new"]) == sorted(every_item)  # each item new exactly once
    titles = [t for _, _, t in ran["delivered"]]
    assert sorted(titles) == sorted({e.title for f in feeds for e in documents(f)})
    # chat 2's alerts (feed f1's items) are all still owed, each with its entry
    owed = len({k for f, k in every_item if f == "f1"})
    assert await count(store, "outbox", "chat_id = 2 AND state = 'pending'") == owed
    assert (
        await count(
            store,
            "outbox_items oi JOIN outbox o ON o.id = oi.outbox_id"
            " JOIN entries e ON e.id = oi.entry_id",
            "o.chat_id = 2",
        )
        == owed
    )
    # the rows retention allows to go went: dropped items, chat 1's alerts sent before the cutoff
    assert ran["pruned"]["entries"] > 0 and ran["pruned"]["outbox"] > 0
    final = T0 + (STEPS - 1) * STEP
    await pruner(store).prune(final)
    sent_before = f"chat_id = 1 AND coalesce(sent_at, created_at) < {final - KEEP}"
    assert await count(store, "outbox", sent_before) == 0


def documents(feed: str) -> list[Entry]:
    seen: dict[str, Entry] = {}
    for step in range(STEPS):
        for e in document(feed, step):
            seen.setdefault(e.key, e)
    return list(seen.values())


async def test_a_prune_beside_polling_and_delivery_loses_nothing(store: Store) -> None:
    feeds = ["f0", "f1", "f2"]
    await setup(store, feeds=feeds)
    await setup(store, feeds=feeds, chats=(2,), rule="f1")
    ran = await run_beside([store], feeds)
    await check_nothing_lost(store, feeds, ran)


async def test_two_instances_prune_beside_polling_and_delivery(postgres_url: str) -> None:
    """PostgreSQL: two stores (two instances) poll half the feeds each and prune at once."""
    from tests.conftest import _empty

    await _empty(postgres_url)
    feeds = ["f0", "f1", "f2", "f3"]
    async with (
        Store.open(postgres_url, seen_refresh=REFRESH) as one,
        Store.open(postgres_url, seen_refresh=REFRESH) as two,
    ):
        await setup(one, feeds=feeds)
        await setup(one, feeds=feeds, chats=(2,), rule="f1")
        ran = await run_beside([one, two], feeds)
        await check_nothing_lost(one, feeds, ran)


async def test_one_pruner_at_a_time_on_postgresql(postgres_url: str) -> None:
    from tests.conftest import _empty

    await _empty(postgres_url)
    async with (
        Store.open(postgres_url, seen_refresh=REFRESH) as one,
        Store.open(postgres_url, seen_refresh=REFRESH) as two,
    ):
        first = pruner(one)
        async with first._exclusive() as mine:
            assert mine
            assert (await pruner(two).prune(T0)).skipped
        assert not (await pruner(two).prune(T0)).skipped
