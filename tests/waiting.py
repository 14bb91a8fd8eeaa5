"""Waiting on conditions in tests: bounded, polled, with a reason when it times out."""

from __future__ import annotations

import asyncio
import time
from collections.abc import Callable
from typing import Any


async def wait_until(
    check: Callable[[], Any], within: float = 15.0, what: str = "", every: float = 0.02
) -> None:
    """Re-check a sync or async condition every ``every`` seconds; fail after ``within``."""
    deadline = time.monotonic() + within
    while True:
        result = check()
        if asyncio.iscoroutine(result):
            result = await result
        if result:
            return
        if time.monotonic() > deadline:
            raise AssertionError(f"timed out after {within}s waiting for {what or check}")
        await asyncio.sleep(every)
