"""Feed leases (issue 11): instances claim due feeds, never the same one at once, and a dead
instance's feeds come back when its lease runs out."""

from __future__ import annotations

import asyncio
from dataclasses import replace

import pytest
import sqlalchemy as sa

from bot.models import FeedSpec, FeedState
from bot.store import Store

NOW = 1_800_000_000.0


async def feeds(store: Store, count: int) -> list[str]:
    specs = [
        FeedSpec(id=f"f{n:02d}", url=f"https://example.org/{n}", interval=60) for n in range(count)
    ]
    await store.feeds.sync_from_rules(specs, NOW)
    return [s.id for s in specs]


async def test_due_feeds_are_claimed_once_until_released_or_expired(db_url: str) -> None:
    async with Store.open(db_url) as store:
        ids = await feeds(store, 5)
        first = await store.feeds.claim_due("a", NOW, lease=20, limit=3)
        assert first == ids[:3]  # never polled: due, in id order
        second = await store.feeds.claim_due("b", NOW + 1, lease=20, limit=10)
        assert second == ids[3:]  # the leased ones are skipped
        assert await store.feeds.claim_due("c", NOW + 2, lease=20, limit=10) == []
        # a's poll of f00 ends: its state says the next poll is in a minute
        state = await store.feeds.get("f00")
        assert state is not None
        await store.feeds.release("a", "f00", replace(state, next_poll=NOW + 60))
        assert await store.feeds.claim_due("c", NOW + 3, lease=20, limit=10) == []
        # a renews f01 but dies with f02: f02 comes back when its lease runs out, f01 later
        await store.feeds.renew("a", ["f01"], NOW + 40)
        assert await store.feeds.claim_due("c", NOW + 25, lease=20, limit=10) == [
            "f02",
            "f03",
            "f04",
        ]
        assert await store.feeds.claim_due("d", NOW + 41, lease=20, limit=10) == ["f01"]
        # releasing is the owner's: another instance's release leaves d's lease alone
        await store.feeds.release("zzz", "f01", None)
        assert await store.feeds.claim_due("e", NOW + 42, lease=20, limit=10) == []
        # never-polled feeds first, then by due time
        assert await store.feeds.claim_due("e", NOW + 61, lease=20, limit=10) == [
            "f02",
            "f03",
            "f04",
            "f00",
        ]


async def test_concurrent_claims_never_share_a_feed(postgres_url: str) -> None:
    from tests.conftest import _empty

    await _empty(postgres_url)
    async with Store.open(postgres_url) as setup:
        ids = await feeds(setup, 40)
    stores = [Store.open(postgres_url) for _ in range(4)]
    opened = [await s.__aenter__() for s in stores]
    try:
        results = await asyncio.gather(
            *(
                # two claimers per connection pool, each its own instance: one instance's
                # claims are serialized (SharedPolling), and its own leases are its to reclaim
                store.feeds.claim_due(f"i{n}-{k}", NOW, lease=20, limit=8)
                for n, store in enumerate(opened)
                for k in range(2)
            )
        )
    finally:
        for s in stores:
            await s.__aexit__(None, None, None)
    claimed = [feed for batch in results for feed in batch]
    assert len(claimed) == len(set(claimed))  # SKIP LOCKED: no feed in two batches
    assert len(claimed) == 40 and set(claimed) == set(ids)  # 8 batches of up to 8 took all 40


async def test_an_instance_reclaims_its_own_lease_when_a_release_was_missed(db_url: str) -> None:
    """A release lost in a database outage must not hold the feed for the whole lease."""
    async with Store.open(db_url) as store:
        await feeds(store, 2)
        assert await store.feeds.claim_due("a", NOW, lease=20, limit=10) == ["f00", "f01"]
        # a still polls f01; its release of f00 never reached the database
        assert await store.feeds.claim_due("a", NOW + 1, lease=20, limit=10, busy=["f01"]) == [
            "f00"
        ]
        assert await store.feeds.claim_due("b", NOW + 2, lease=20, limit=10) == []


async def test_state_writes_and_releases_at_once_never_deadlock(postgres_url: str) -> None:
    """The state flush, lease renewals and a batch of lease releases write many feed rows
    each, at once; in different orders they deadlocked (bench/scaleout.py: 'deadlock
    detected'). All of them lock in feed id order."""
    from tests.conftest import _empty

    await _empty(postgres_url)
    async with Store.open(postgres_url) as store:
        ids = await feeds(store, 60)
        states = [await store.feeds.get(i) for i in ids]
        await store.feeds.claim_due("a", NOW, lease=20, limit=60)
        for n in range(20):
            done = [replace(st, polls=n) for st in states if st is not None]
            await asyncio.gather(
                store.feeds.save_states(done),
                store.feeds.save_states(done[::-1]),
                store.feeds.renew("a", ids[::-1], NOW + 40),
                store.feeds.release_many("a", {st.spec.id: st for st in done[::-1]}),
                store.feeds.renew("a", ids, NOW + 40),
            )
            await store.feeds.claim_due("a", NOW, lease=20, limit=60)  # leased again


class _SlowPipeline:
    """Stands in for the pipeline: each poll waits until the test lets it end."""

    def __init__(self) -> None:
        self.started: list[str] = []
        self.go = asyncio.Event()

    def adopt(self, state: object) -> None:
        pass

    async def poll(self, feed_id: str) -> None:
        self.started.append(feed_id)
        await self.go.wait()

    def current_state(self, feed_id: str) -> None:
        return None


async def test_draining_claims_nothing_more(db_url: str) -> None:
    """Stopping: the polls in flight finish, and the slots they free are not refilled (the
    fetcher closes next; a poll started then failed with 'Session is closed')."""
    from bot.feed.claims import SharedPolling
    from tests.waiting import wait_until

    async with Store.open(db_url) as store:
        await feeds(store, 6)
        pipeline = _SlowPipeline()
        shared = SharedPolling(store, pipeline, "a", slots=2, clock=lambda: NOW)  # type: ignore[arg-type]
        await shared.tick()  # a backlog: both slots taken, four more due
        await wait_until(lambda: len(pipeline.started) == 2, 5, "two polls")
        drain = asyncio.create_task(shared.drain(timeout=5))
        await asyncio.sleep(0)  # one turn of the loop: the drain begins (not a timed wait)
        pipeline.go.set()
        await asyncio.wait_for(drain, timeout=10)
        await asyncio.wait_for(asyncio.gather(*shared._refills), timeout=5)
        await asyncio.wait_for(asyncio.gather(*shared.polling.values()), timeout=5)
        assert pipeline.started == ["f00", "f01"] and not shared.polling


class _GatedPipeline:
    """Stands in for the pipeline: each poll waits until the test ends that one feed's."""

    def __init__(self) -> None:
        self.started: list[str] = []
        self.gates: dict[str, asyncio.Event] = {}
        self.states: dict[str, FeedState] = {}

    def adopt(self, state: FeedState) -> None:
        self.states[state.spec.id] = state

    async def poll(self, feed_id: str) -> None:
        self.started.append(feed_id)
        await self.gates.setdefault(feed_id, asyncio.Event()).wait()

    def current_state(self, feed_id: str) -> FeedState:
        return replace(self.states[feed_id], next_poll=NOW + 60)  # polled: due in a minute

    def end(self, feed_id: str) -> None:
        self.gates.setdefault(feed_id, asyncio.Event()).set()


async def test_with_a_backlog_slots_are_refilled_a_few_at_once(db_url: str) -> None:
    """A claim per ended poll cost more than the poll (a 304); with more feeds due, freed
    slots are claimed again once a quarter of them are free, in one claim."""
    from bot.feed.claims import SharedPolling
    from tests.waiting import wait_until

    async with Store.open(db_url) as store:
        await feeds(store, 20)
        claims: list[int] = []
        claim = store.feeds.claim

        async def counted(*args: object, **kwargs: object) -> object:
            got = await claim(*args, **kwargs)  # type: ignore[arg-type]
            claims.append(len(got))
            return got

        store.feeds.claim = counted  # type: ignore[method-assign]
        pipeline = _GatedPipeline()
        shared = SharedPolling(store, pipeline, "a", slots=8, clock=lambda: NOW)  # type: ignore[arg-type]
        assert shared.refill_at == 2
        await shared.tick()  # a backlog: all 8 slots taken, 12 more due
        await wait_until(lambda: len(pipeline.started) == 8, 5, "eight polls")
        pipeline.end("f00")
        await wait_until(lambda: "f00" not in shared.polling, 5, "the first poll's end")
        await asyncio.gather(*shared._refills)
        assert claims == [8] and len(shared.polling) == 7  # one slot free: not refilled yet
        pipeline.end("f01")
        await wait_until(lambda: len(pipeline.started) == 10, 5, "two more polls")
        assert claims == [8, 2]  # both free slots in one claim
        assert pipeline.started == [f"f{n:02d}" for n in range(10)]
        for feed_id in list(pipeline.gates) + [f"f{n:02d}" for n in range(20)]:
            pipeline.end(feed_id)
        await shared.drain(timeout=5)


async def test_a_dropped_lease_connection_is_replaced_without_an_outage(postgres_url: str) -> None:
    """Claims and releases run on a kept connection without a ping: when the server has
    closed it (a restart, an idle timeout), the next call opens another and succeeds."""
    from tests.conftest import _empty

    await _empty(postgres_url)
    async with Store.open(postgres_url) as store:
        await feeds(store, 4)
        assert await store.feeds.claim_due("a", NOW, lease=20, limit=2) == ["f00", "f01"]
        await store.feeds.release_many("a", {"f00": None})
        for name in ("claims", "releases"):
            pid = store.db.direct(name)._conn.get_server_pid()
            async with store.engine.connect() as conn:
                await conn.execute(sa.text("SELECT pg_terminate_backend(:p)"), {"p": pid})
        got = await store.feeds.claim_due("a", NOW + 1, lease=20, limit=2, busy=["f01"])
        assert got == ["f00", "f02"]
        state = await store.feeds.get("f01")
        await store.feeds.release_many("a", {"f01": replace(state, next_poll=NOW + 60)})  # type: ignore[type-var]
        assert store.health.ok
        got = await store.feeds.get("f01")
        assert got is not None and got.next_poll == NOW + 60


async def test_claims_with_the_database_away_fail_as_store_errors(postgres_url: str) -> None:
    """The database away: a claim or release raises StoreError and the health says so (the
    path every poll already handles); when it is back, claims work again."""
    from urllib.parse import urlsplit

    from bot.errors import StoreError
    from tests.conftest import _empty
    from tests.e2e.proxy import Proxy

    await _empty(postgres_url)
    target = urlsplit(postgres_url)
    async with Proxy(target.hostname or "", target.port or 5432) as px:
        user = f"{target.username}@" if target.username else ""
        url = f"{target.scheme}://{user}127.0.0.1:{px.port}{target.path}"
        async with Store.open(url) as store:
            await feeds(store, 3)
            assert await store.feeds.claim_due("a", NOW, lease=20, limit=1) == ["f00"]
            await px.cut()
            with pytest.raises(StoreError):
                await store.feeds.claim_due("a", NOW, lease=20, limit=1)
            assert not store.health.ok
            with pytest.raises(StoreError):
                await store.feeds.release_many("a", {"f00": None})
            await px.restore()
            assert await store.feeds.claim_due("a", NOW + 1, lease=20, limit=1, busy=["f00"]) == [
                "f01"
            ]
            assert store.health.ok


async def test_polls_ending_close_together_share_one_release(db_url: str) -> None:
    """A release waits a moment (``gather``) for other polls ending about then: one write
    for several polls instead of one each."""
    from bot.feed.claims import SharedPolling
    from tests.waiting import wait_until

    async with Store.open(db_url) as store:
        await feeds(store, 3)
        releases: list[list[str]] = []
        release_many = store.feeds.release_many

        async def counted(owner: str, polled: dict[str, object]) -> None:
            releases.append(sorted(polled))
            await release_many(owner, polled)  # type: ignore[arg-type]

        store.feeds.release_many = counted  # type: ignore[method-assign,assignment]
        pipeline = _GatedPipeline()
        # a long gather, so that the test never depends on how fast the machine is
        shared = SharedPolling(store, pipeline, "a", slots=3, gather=2.0, clock=lambda: NOW)  # type: ignore[arg-type]
        await shared.tick()
        await wait_until(lambda: len(pipeline.started) == 3, 5, "three polls")
        pipeline.end("f00")
        await wait_until(lambda: "f00" in shared._releasing, 5, "f00's release waiting")
        pipeline.end("f01")
        await wait_until(lambda: not shared.polling.keys() & {"f00", "f01"}, 10, "two releases")
        assert releases == [["f00", "f01"]]
        pipeline.end("f02")
        await shared.drain(timeout=10)


async def test_a_slot_is_free_while_its_release_is_written(db_url: str) -> None:
    """Under load a release's round-trip took long; the fetcher must not wait for it: the
    poll's slot is refilled meanwhile (the feed itself stays out of claims until written)."""
    from bot.feed.claims import SharedPolling
    from tests.waiting import wait_until

    async with Store.open(db_url) as store:
        await feeds(store, 4)
        written = asyncio.Event()
        release_many = store.feeds.release_many

        async def slow(owner: str, polled: dict[str, object]) -> None:
            await written.wait()
            await release_many(owner, polled)  # type: ignore[arg-type]

        store.feeds.release_many = slow  # type: ignore[method-assign,assignment]
        pipeline = _GatedPipeline()
        shared = SharedPolling(store, pipeline, "a", slots=2, gather=0, clock=lambda: NOW)  # type: ignore[arg-type]
        await shared.tick()
        await wait_until(lambda: pipeline.started == ["f00", "f01"], 5, "two polls")
        pipeline.end("f00")
        pipeline.end("f01")
        # both releases still unwritten: their slots went to the next two feeds
        await wait_until(lambda: len(pipeline.started) == 4, 5, "two more polls")
        assert pipeline.started == ["f00", "f01", "f02", "f03"]
        written.set()
        pipeline.end("f02")
        pipeline.end("f03")
        await shared.drain(timeout=10)
        states = {f: await store.feeds.get(f) for f in ("f00", "f01", "f02", "f03")}
        assert all(st is not None and st.next_poll == NOW + 60 for st in states.values())
