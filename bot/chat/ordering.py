"""Commands of different chats run concurrently; each chat's run in the order they arrived.

python-telegram-bot handles updates one at a time by default (one slow ``/addfeed`` made every
chat wait), or all at once with ``concurrent_updates`` (a chat's ``/subscribe`` could then
overtake its ``/start``). ``ChatOrderedProcessor`` sits between: each update joins its chat's
queue, one worker per chat with work runs them in order, and at most ``max_running`` run at
once across chats. A chat's queue is bounded: a flood of commands from one chat drops that
chat's newest updates (logged), never delays the others or grows memory without end.

python-telegram-bot calls ``do_process_update`` in arrival order (one task per update, started
in order; its semaphore is sized so that it never makes them wait), and here the update is
only queued, so arrival order is queue order.
"""

from __future__ import annotations

import asyncio
import logging
from collections import deque
from collections.abc import Awaitable, Coroutine
from typing import Any

from telegram import Update
from telegram.ext import BaseUpdateProcessor

log = logging.getLogger(__name__)

MAX_RUNNING = 16  # updates being handled at once, across chats
MAX_QUEUED = 50  # updates waiting in one chat's queue
_ACCEPT = 100_000  # python-telegram-bot's own semaphore: queuing never waits on it


def chat_key(update: object) -> int | None:
    """The chat whose order an update belongs to (None: no chat, runs on its own)."""
    if isinstance(update, Update):
        if update.effective_chat is not None:
            return update.effective_chat.id
        if update.effective_user is not None:
            return update.effective_user.id
    return None


class ChatOrderedProcessor(BaseUpdateProcessor):
    def __init__(self, max_running: int = MAX_RUNNING, max_queued: int = MAX_QUEUED) -> None:
        super().__init__(_ACCEPT)
        self.max_queued = max_queued
        self._running = asyncio.Semaphore(max_running)
        self._queues: dict[int | None, deque[Awaitable[Any]]] = {}
        self._workers: set[asyncio.Task[None]] = set()
        self.dropped = 0

    async def initialize(self) -> None:
        pass

    async def drain(self, timeout: float = 10.0) -> None:  # noqa: ASYNC109
        """Let the queued updates finish (at most ``timeout`` s), then cancel what is left.
        Call it before the bot shuts down: handlers still reply."""
        if self._workers:
            _, pending = await asyncio.wait(set(self._workers), timeout=timeout)
            for task in pending:
                task.cancel()
            await asyncio.gather(*pending, return_exceptions=True)

    async def shutdown(self) -> None:
        await self.drain(timeout=1.0)
        for queue in self._queues.values():
            while queue:
                _close(queue.popleft())
        self._queues.clear()

    async def do_process_update(self, update: object, coroutine: Awaitable[Any]) -> None:
        key = chat_key(update)
        if key is None:  # not tied to a chat: no order to keep
            async with self._running:
                await coroutine
            return
        queue = self._queues.get(key)
        if queue is None:
            queue = self._queues[key] = deque()
            task = asyncio.create_task(self._work(key, queue), name=f"chat:{key}")
            self._workers.add(task)
            task.add_done_callback(self._workers.discard)
        if len(queue) >= self.max_queued:
            self.dropped += 1
            log.warning("chat_id=%s: %d commands waiting; dropping one", key, len(queue))
            _close(coroutine)
            return
        queue.append(coroutine)

    async def _work(self, key: int, queue: deque[Awaitable[Any]]) -> None:
        try:
            while queue:
                coroutine = queue.popleft()
                async with self._running:
                    try:
                        await coroutine
                    except Exception:  # the application reports handler errors itself
                        log.exception("chat_id=%s: update failed", key)
        finally:
            if self._queues.get(key) is queue:
                del self._queues[key]
            while queue:  # cancelled while work was queued
                _close(queue.popleft())


def _close(awaitable: Awaitable[Any]) -> None:
    if isinstance(awaitable, Coroutine):
        awaitable.close()
