"""Polling shared by several instances on one PostgreSQL database: each due feed is polled by
exactly one of them.

Every ``CLAIM_EVERY`` seconds (an APScheduler job), and whenever a poll ends while more were
due, an instance claims due feeds in the database, as many as it has free poll slots
(``FeedStore.claim_due``: ``FOR UPDATE SKIP LOCKED``, so instances claiming at once never
wait on each other nor take the same feed).
It polls each claimed feed with the pipeline, reading the feed's state afresh (another
instance may have polled it last: ETag, backoff, first-poll flag), then writes the new state,
whose ``next_poll`` is the schedule, and gives up the lease (``FeedStore.release``).

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
from typing import TYPE_CHECKING

from bot.errors import StoreError

if TYPE_CHECKING:  # the orchestration passes them in; no import of the layers above
    from bot.pipeline import Pipeline
    from bot.store import Store

log = logging.getLogger(__name__)

CLAIM_EVERY = 1.0  # seconds between claims
LEASE = 20.0  # seconds a claimed feed is this instance's (renewed while it is polled)
SLOTS = 32  # feeds polled at once by one instance


class SharedPolling:
    """This instance's part of polling: claim due feeds, poll them, release them."""

    def __init__(
        self,
        store: Store,
        pipeline: Pipeline,
        owner: str,
        *,
        slots: int = SLOTS,
        lease: float = LEASE,
        clock: Callable[[], float] = time.time,
    ) -> None:
        self.store = store
        self.pipeline = pipeline
        self.owner = owner
        self.slots = slots
        self.lease = lease
        self.clock = clock
        self.polling: dict[str, asyncio.Task[None]] = {}
        self._done: deque[float] = deque()  # when each recent poll finished
        self._claiming = asyncio.Lock()
        self._backlog = False  # the last claim filled every free slot: more may be due
        self._stopping = False  # drain() began: claim nothing more
        self._refills: set[asyncio.Task[None]] = set()

    async def tick(self) -> None:
        """Claim what is due and start polling it (an APScheduler job, and again whenever a
        poll ends while there is a backlog: slots never wait for the next second)."""
        async with self._claiming:
            free = self.slots - len(self.polling)
            if free <= 0 or self._stopping:
                return
            try:
                claimed = await self.store.feeds.claim_due(
                    self.owner, self.clock(), self.lease, free, busy=list(self.polling)
                )
            except Exception as exc:  # the database's health reports an outage
                log.debug("claiming due feeds failed: %s", exc)
                return
            self._backlog = len(claimed) == free
            for feed_id in claimed:
                task = asyncio.create_task(self._poll(feed_id), name=f"poll:{feed_id}")
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

    async def _poll(self, feed_id: str) -> None:
        try:
            self.pipeline.forget(feed_id)  # another instance may have polled it last
            await self.pipeline.poll(feed_id)
            await self.store.feeds.release(
                self.owner, feed_id, self.pipeline.current_state(feed_id)
            )
            self._done.append(self.clock())
        except StoreError:  # the database is away (its health says so, once): the lease runs
            pass  # out and the feed is claimed again when it is back
        except Exception:  # a bug: the lease runs out and someone polls it again
            log.exception("feed_id=%s: shared poll failed", feed_id)
        finally:
            self.polling.pop(feed_id, None)
            if self._backlog and not self._stopping:  # refill the slot now
                refill = asyncio.create_task(self.tick())
                self._refills.add(refill)
                refill.add_done_callback(self._refills.discard)

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
