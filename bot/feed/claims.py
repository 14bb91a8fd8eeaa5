"""Polling shared by several instances on one PostgreSQL database: each due feed is polled by
exactly one of them.

Every ``CLAIM_EVERY`` seconds (an APScheduler job), and whenever a poll ends while more were
due, an instance claims due feeds in the database, as many as it has free poll slots
(``FeedStore.claim``: ``FOR UPDATE SKIP LOCKED``, so instances claiming at once never
wait on each other nor take the same feed). While more are due, a quarter of the slots
freed is claimed again at once (one claim for several feeds, not one per poll; and one
refill waits at a time, taking every slot freed meanwhile).
It polls each claimed feed with the pipeline from the state the claim read (another
instance may have polled it last: ETag, backoff, first-poll flag), then writes the new state,
whose ``next_poll`` is the schedule, and gives up the lease (``FeedStore.release_many``).
A release waits ``GATHER`` (20 ms) for the polls ending about then, and polls that end
while one is being written are released together in the next: a busy instance writes one
statement for many polls, an idle one one per poll. A poll's slot is free once its fetch is
done: the release's round-trips never keep the fetcher waiting (the feed stays out of claims
until its release is written).

A lease lasts ``LEASE`` seconds and is renewed every ``LEASE / 3`` while the poll runs (a
fetch may take up to its 30 s deadline, parsing and recording more). When an instance dies,
its leases run out and the other instances claim its feeds: a feed is late by at most
``LEASE`` after a crash, and polled twice only if the dead instance had fetched it and not yet
written its state (its entries' unique keys keep alerts single even then).
"""

from __future__ import annotations

import asyncio
import logging
import time
from collections import deque
from collections.abc import Callable
from typing import TYPE_CHECKING, Protocol

from bot.errors import StoreError
from bot.models import FeedState

if TYPE_CHECKING:  # the composition root passes it in
    from bot.store import Store

log = logging.getLogger(__name__)

CLAIM_EVERY = 1.0  # seconds between claims
LEASE = 20.0  # seconds a claimed feed is this instance's (renewed while it is polled)
SLOTS = 32  # feeds polled at once by one instance (the app passes the pipeline's limit)
GATHER = 0.02  # seconds a release waits for other polls ending about then to share its write


class Poller(Protocol):
    """What shared polling needs of the pipeline (``bot.pipeline.Pipeline``), which sits
    above this stage and is passed in."""

    def adopt(self, state: FeedState) -> None: ...

    async def poll(self, feed_id: str) -> object: ...

    def current_state(self, feed_id: str) -> FeedState | None: ...


class SharedPolling:
    """This instance's part of polling: claim due feeds, poll them, release them."""

    def __init__(
        self,
        store: Store,
        pipeline: Poller,
        owner: str,
        *,
        slots: int = SLOTS,
        refill_at: int | None = None,
        gather: float = GATHER,
        lease: float = LEASE,
        clock: Callable[[], float] = time.time,
    ) -> None:
        self.store = store
        self.pipeline = pipeline
        self.owner = owner
        self.slots = slots
        # with a backlog, claim again once this many slots are free (default: a quarter)
        self.refill_at = max(1, slots // 4) if refill_at is None else refill_at
        self.gather = gather
        self.lease = lease
        self.clock = clock
        self.polling: dict[str, asyncio.Task[None]] = {}
        self._done: deque[float] = deque()  # when each recent poll finished
        self._claiming = asyncio.Lock()
        self._backlog = False  # the last claim filled every free slot: more may be due
        self._stopping = False  # drain() began: claim nothing more
        self._refills: set[asyncio.Task[None]] = set()
        self._refill_waiting = False  # a refill is started and has not claimed yet
        # polls ended, their state and lease not yet written: (state, who waits for it)
        self._releasing: dict[str, tuple[FeedState | None, asyncio.Future[None]]] = {}
        self._releaser: asyncio.Task[None] | None = None
        # polls whose fetch is over, waiting for their release to be written: their slot is
        # free (a database round-trip under load must not keep the fetcher waiting)
        self._ending: set[str] = set()

    def free_slots(self) -> int:
        return self.slots - len(self.polling) + len(self._ending)

    async def tick(self) -> None:
        """Claim what is due and start polling it (an APScheduler job, and again whenever a
        poll ends while there is a backlog: slots never wait for the next second)."""
        if self._stopping:
            return
        async with self._claiming:
            self._refill_waiting = False  # slots freed from now on need a claim after this one
            free = self.free_slots()
            if free <= 0 or self._stopping:
                return
            try:
                claimed = await self.store.feeds.claim(
                    self.owner,
                    self.clock(),
                    self.lease,
                    free,
                    busy=[*self.polling, *self._releasing],
                )
            except Exception as exc:  # the database's health reports an outage
                log.debug("claiming due feeds failed: %s", exc)
                return
            self._backlog = len(claimed) == free
            for state in claimed:
                feed_id = state.spec.id
                task = asyncio.create_task(self._poll(state), name=f"poll:{feed_id}")
                self.polling[feed_id] = task

    async def renew(self) -> None:
        """Extend the leases of the feeds being polled (an APScheduler job)."""
        if self.polling:
            try:
                await self.store.feeds.renew(
                    self.owner, list(self.polling), self.clock() + self.lease
                )
            except Exception as exc:
                log.debug("renewing feed leases failed: %s", exc)

    async def _poll(self, state: FeedState) -> None:
        feed_id = state.spec.id
        try:
            self.pipeline.adopt(state)  # another instance may have polled it last
            await self.pipeline.poll(feed_id)
            await self._release(feed_id, self.pipeline.current_state(feed_id))
            self._done.append(self.clock())
        except StoreError:  # the database is away (its health says so, once): the lease runs
            pass  # out and the feed is claimed again when it is back
        except Exception:  # a bug: the lease runs out and someone polls it again
            log.exception("feed_id=%s: shared poll failed", feed_id)
        finally:
            self.polling.pop(feed_id, None)
            self._refill()

    def _refill(self) -> None:
        """A slot is free: with a backlog, claim again once a few are (a claim for several
        feeds instead of one per poll; slots freed while a refill waits for its turn are its
        too)."""
        if (
            self._backlog
            and not self._stopping
            and not self._refill_waiting
            and self.free_slots() >= self.refill_at
        ):
            self._refill_waiting = True
            refill = asyncio.create_task(self.tick())
            self._refills.add(refill)
            refill.add_done_callback(self._refills.discard)

    async def _release(self, feed_id: str, state: FeedState | None) -> None:
        """Write the poll's state and give up the lease, with whatever else ends meanwhile;
        returns once it is written (raises what the write raised). The poll's slot is free
        meanwhile; the feed stays out of claims (``busy``) until it is written."""
        done = asyncio.get_running_loop().create_future()
        self._releasing[feed_id] = (state, done)
        if self._releaser is None or self._releaser.done():
            self._releaser = asyncio.create_task(self._write_releases(), name="release")
        self._ending.add(feed_id)
        try:
            self._refill()
            await done
        finally:
            self._ending.discard(feed_id)

    async def _write_releases(self) -> None:
        while self._releasing:
            await asyncio.sleep(self.gather)  # the polls ending meanwhile share this write
            batch, self._releasing = self._releasing, {}
            try:
                await self.store.feeds.release_many(
                    self.owner, {feed_id: state for feed_id, (state, _) in batch.items()}
                )
            except Exception as exc:  # each poll sees it, as it would its own write's
                for _, done in batch.values():
                    if not done.done():
                        done.set_exception(exc)
            else:
                for _, done in batch.values():
                    if not done.done():
                        done.set_result(None)

    def polled_last_minute(self) -> int:
        """How many polls this instance finished in the last 60 s (for ``newsbot status``)."""
        cutoff = self.clock() - 60.0
        while self._done and self._done[0] < cutoff:
            self._done.popleft()
        return len(self._done)

    async def drain(self, timeout: float = 15.0) -> None:  # noqa: ASYNC109
        """Let the polls in flight finish (stopping); the rest are cancelled. Nothing is
        claimed from now on: a slot freed while draining is not refilled (the fetcher closes
        next)."""
        self._stopping = True
        async with self._claiming:  # a claim under way starts its polls before this returns
            pass
        if not self.polling:
            return
        _, pending = await asyncio.wait(set(self.polling.values()), timeout=timeout)
        for task in pending:
            task.cancel()
