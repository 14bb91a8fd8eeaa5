"""The store on real SQLite and real PostgreSQL: dedup, the outbox ledger, leases, chats."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta

import pytest

from bot.feed.outcome import PollOutcome, apply_poll
from bot.models import Entry, FeedSpec, Match, Span
from bot.store import Routing, Store
from tests.waiting import wait_until

NOW = 1_756_864_800.0  # 2025-09-03 02:00 UTC


def entry(
    key: str,
    title: str = "Parade in Beijing",
    link: str | None = None,
    feed: str = "f1",
    published: datetime | None = None,
) -> Entry:
    return Entry(
        feed_id=feed,
        key=key,
        title=title,
        link=link or f"https://news.example/{key}",
        published=published or datetime(2025, 9, 3, 1, 0, tzinfo=UTC),
    )


def match_all(e: Entry) -> list[Match]:
    return [Match("parade", (Span("title", 0, 6),))]


async def setup(store: Store, chats: tuple[int, ...] = (1,)) -> None:
    await store.feeds.sync_from_rules(
        [FeedSpec("f1", "http://a/"), FeedSpec("f2", "http://b/")], NOW
    )
    for chat in chats:
        await store.chats.ensure(chat, "private", None, NOW)
        await store.chats.subscribe(chat, "parade", None, NOW)


async def record(store: Store, feed: str, entries: list[Entry], **kw: object) -> tuple[int, int]:
    result = await store.entries.record(
        feed,
        entries,
        now=NOW,
        alertable=lambda e: True,
        decide=match_all,
        routing=Routing({"parade": "Parade"}, **kw),  # type: ignore[arg-type]
    )
    return len(result.new), result.alerts


async def test_new_entries_alert_once_and_repeats_are_ignored(store: Store) -> None:
    await setup(store, chats=(1, 2))
    assert await record(store, "f1", [entry("a"), entry("b")]) == (2, 4)
    assert await record(store, "f1", [entry("a"), entry("b")]) == (0, 0)
    due = await store.outbox.due(NOW)
    assert sorted(d.chat_id for d in due) == [1, 1, 2, 2]


async def test_same_link_from_two_feeds_reaches_a_chat_once(store: Store) -> None:
    await setup(store)
    assert await record(store, "f1", [entry("a", link="https://x.example/story")]) == (1, 1)
    assert await record(store, "f2", [entry("zz", link="https://x.example/story", feed="f2")]) == (
        1,
        0,
    )


async def test_guid_churn_is_not_new(store: Store) -> None:
    await setup(store)
    published = datetime(2025, 9, 3, 1, 0, tzinfo=UTC)
    await record(store, "f1", [entry("a", title="Old story", published=published)])
    # same link under a new guid; same title and date under a new guid and link
    churned = [
        entry("a2", title="Old story", link="https://news.example/a", published=published),
        entry("a3", title="Old story", link="https://news.example/other", published=published),
    ]
    assert await record(store, "f1", churned) == (0, 0)
    # a different date with the same title is a new story
    later = published + timedelta(days=1)
    assert await record(
        store, "f1", [entry("a4", title="Old story", link="https://n.example/4", published=later)]
    ) == (1, 1)


async def test_flood_is_combined_into_one_digest_row(store: Store) -> None:
    await setup(store)
    entries = [entry(f"k{i}") for i in range(12)]
    new, alerts = await record(store, "f1", entries, flood_threshold=5)
    assert (new, alerts) == (12, 6)  # five single alerts, one digest of seven
    due = await store.outbox.due(NOW)
    claimed = [await store.outbox.claim(d.id, NOW, 30) for d in due]
    sizes = sorted(len(a.items) for a in claimed if a)
    assert sizes == [1, 1, 1, 1, 1, 7]
    assert [a.kind for a in claimed if a and len(a.items) == 7] == ["flood"]


async def test_muted_and_inactive_chats_get_nothing(store: Store) -> None:
    await setup(store, chats=(1, 2, 3))
    await store.chats.update(2, muted_until=NOW + 3600)
    await store.chats.deactivate(3)
    await record(store, "f1", [entry("a")])
    assert [d.chat_id for d in await store.outbox.due(NOW)] == [1]


async def test_claim_is_a_lease_that_expires(store: Store) -> None:
    await setup(store)
    await record(store, "f1", [entry("a")])
    (due,) = await store.outbox.due(NOW)
    first = await store.outbox.claim(due.id, NOW, lease=30)
    assert first is not None and first.attempts == 1
    assert await store.outbox.claim(due.id, NOW + 10, lease=30) is None  # still leased
    assert await store.outbox.due(NOW + 10) == []
    again = await store.outbox.claim(due.id, NOW + 31, lease=30)  # the sender crashed
    assert again is not None and again.attempts == 2
    await store.outbox.mark_sent(due.id, NOW + 32, 99)
    assert await store.outbox.claim(due.id, NOW + 100, lease=30) is None
    assert await store.outbox.counts() == {"sent": 1}


async def test_gone_chat_rows_die_and_migrated_chat_moves(store: Store) -> None:
    await setup(store, chats=(-100, -200))
    await record(store, "f1", [entry("a"), entry("b")])
    assert await store.outbox.kill_chat(-100, "Forbidden: bot was kicked") == 2
    await store.chats.migrate(-200, -1009, NOW)
    due = await store.outbox.due(NOW)
    assert sorted({d.chat_id for d in due}) == [-1009]
    assert [s.rule_id for s in await store.chats.subscriptions(-1009)] == ["parade"]
    assert await store.chats.subscriptions(-200) == []
    # the ledger moved too: the same story is not alerted again in the new chat
    assert await record(store, "f2", [entry("zz", link="https://news.example/a", feed="f2")]) == (
        1,
        0,
    )


async def test_held_rows_are_released_as_one_digest(store: Store) -> None:
    await setup(store)
    await record(store, "f1", [entry("a"), entry("b"), entry("c")])
    for due in await store.outbox.due(NOW):
        await store.outbox.claim(due.id, NOW, 30)
        await store.outbox.hold(due.id, NOW + 3600)
    assert await store.outbox.release_held(NOW + 10) == []
    assert await store.outbox.release_held(NOW + 3600) == [1]
    (due,) = await store.outbox.due(NOW + 3600)
    alert = await store.outbox.claim(due.id, NOW + 3600, 30)
    assert alert is not None and alert.kind == "digest" and len(alert.items) == 3


async def test_watches_route_to_their_chat(store: Store) -> None:
    await setup(store, chats=(1, 2))
    watch_id = await store.chats.add_watch(2, None, "parade", NOW)
    result = await store.entries.record(
        "f1",
        [entry("w")],
        now=NOW,
        alertable=lambda e: True,
        decide=lambda e: [Match(f"watch:{watch_id}")],
        routing=Routing(),
    )
    assert result.alerts == 1
    assert [d.chat_id for d in await store.outbox.due(NOW)] == [2]


async def record_poll(store: Store, feed_id: str, outcome: PollOutcome) -> None:
    """What the pipeline does after a poll: the pure next state, then the store writes it."""
    state = await store.feeds.get(feed_id)
    assert state is not None
    await store.feeds.save_states([apply_poll(state, outcome)])


async def test_permanent_redirect_is_adopted_after_it_repeats(store: Store) -> None:
    await setup(store)
    for _ in range(2):
        await record_poll(
            store, "f1", PollOutcome(NOW, NOW + 60, ok=True, permanent_url="http://new/")
        )
    state = await store.feeds.get("f1")
    assert state is not None and state.spec.url == "http://a/" and state.redirect_count == 2
    await record_poll(store, "f1", PollOutcome(NOW, NOW + 60, ok=True, permanent_url="http://new/"))
    state = await store.feeds.get("f1")
    assert state is not None and state.fetch_url == "http://new/" and state.spec.url == "http://a/"


async def test_saved_feed_states_read_back_exactly(store: Store) -> None:
    """States go through the driver's own executemany (no SQLAlchemy type processing): every
    kind of value must come back as it went in, on both databases."""
    from dataclasses import replace

    await setup(store)
    before = {s.spec.id: s for s in await store.feeds.all()}
    changed = [
        replace(
            before["f1"],
            etag='W/"x\'y"',
            last_modified="Wed, 03 Sep 2025 01:00:00 GMT",
            moved_to="http://moved/",
            redirect_url=None,
            redirect_count=2,
            polled_once=True,
            last_attempt=NOW + 0.25,
            last_success=NOW,
            last_new_entry=None,
            failures=0,
            last_error=None,
            failing_notified=False,
            next_poll=NOW + 600.5,
            polls=7,
            not_modified=5,
            publish_gap=3600.0,
        ),
        replace(
            before["f2"],
            failures=3,
            last_error="HTTPStatusError: 503 Service Unavailable",
            failing_notified=True,
            polled_once=False,
            publish_gap=None,
        ),
    ]
    await store.feeds.save_states(changed)
    after = {s.spec.id: s for s in await store.feeds.all()}
    assert after == {s.spec.id: s for s in changed}


@pytest.mark.parametrize("bad", ["", "x" * 300])
async def test_failure_is_recorded_with_one_line_error(store: Store, bad: str) -> None:
    await setup(store)
    await record_poll(store, "f1", PollOutcome(NOW, NOW + 60, ok=False, error=bad or "boom"))
    state = await store.feeds.get("f1")
    assert state is not None and state.failures == 1 and len(state.last_error or "") <= 300


async def test_rules_file_chats_skip_gone_and_muted_chats(store: Store) -> None:
    await setup(store, chats=())
    await store.chats.ensure(-1001, "channel", None, NOW)
    await store.chats.deactivate(-1001)
    await store.chats.ensure(-1002, "channel", None, NOW)
    await store.chats.update(-1002, muted_until=NOW + 60)
    routing = {"parade": (-1001, -1002, -1003)}  # -1003 was never seen: it still gets alerts
    assert await record(store, "f1", [entry("a")], static_chats=routing) == (1, 1)
    assert [d.chat_id for d in await store.outbox.due(NOW)] == [-1003]


async def test_sqlite_write_waits_off_the_event_loop_when_another_process_holds_the_lock(
    tmp_path: object,
) -> None:
    """Another writer (e.g. the CLI) holds the database: the write is retried in the writer
    thread, and the event loop is blocked for at most the short inline busy timeout."""
    import asyncio
    import sqlite3
    import time
    from pathlib import Path

    path = Path(str(tmp_path)) / "locked.db"
    async with Store.open(f"sqlite:///{path}") as store:
        await setup(store, chats=(1,))
        other = sqlite3.connect(path, isolation_level=None)
        other.execute("BEGIN IMMEDIATE")  # holds the write lock
        ticks: list[float] = []

        async def ticker() -> None:
            while True:
                ticks.append(time.monotonic())
                await asyncio.sleep(0.005)

        beat = asyncio.create_task(ticker())
        write = asyncio.create_task(record(store, "f1", [entry("a")]))
        start = len(ticks)
        # The loop keeps turning while the write waits for the lock. Were the write waiting
        # in the loop's thread (10 s busy timeout), no tick could happen before this times out.
        await wait_until(lambda: len(ticks) >= start + 30, within=5, what="the loop to turn")
        assert not write.done()  # still waiting for the lock, in the writer thread
        other.execute("COMMIT")
        other.close()
        assert await asyncio.wait_for(write, timeout=5) == (1, 1)
        beat.cancel()


def test_a_connection_closed_mid_operation_is_the_databases_fault() -> None:
    """asyncpg reports a connection cut mid-query as a plain DBAPIError; it was taken for a
    bug (an ERROR with a traceback) during a PostgreSQL outage."""
    import sqlalchemy as sa

    from bot.errors import StoreError
    from bot.store.db import as_store_error

    cut = sa.exc.DBAPIError(
        "SELECT 1", None, Exception("connection was closed in the middle of operation")
    )
    assert isinstance(as_store_error(cut), StoreError)
    assert (
        as_store_error(sa.exc.DBAPIError("SELECT 1", None, Exception("division by zero"))) is None
    )
