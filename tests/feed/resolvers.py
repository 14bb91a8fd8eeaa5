"""A fake DNS for the SSRF tests: answers from a table, never from the network."""

from __future__ import annotations

import socket
from collections.abc import Sequence

from aiohttp.abc import AbstractResolver, ResolveResult

from bot.feed.ssrf import _result


class StaticResolver(AbstractResolver):
    """A resolver answering from a fixed table, in order per call (tests).

    ``answers[name]`` is a list of address lists: call *n* gets entry ``min(n, len-1)``.
    Unknown names raise ``OSError`` like a failed lookup.
    """

    def __init__(self, answers: dict[str, Sequence[Sequence[str]]]) -> None:
        self._answers = answers
        self.calls: list[str] = []

    async def resolve(
        self, host: str, port: int = 0, family: socket.AddressFamily = socket.AF_INET
    ) -> list[ResolveResult]:
        self.calls.append(host)
        rounds = self._answers.get(host.rstrip(".").lower())
        if not rounds:
            raise OSError(socket.EAI_NONAME, f"unknown host {host}")
        answer = rounds[min(self.calls.count(host) - 1, len(rounds) - 1)]
        return [_result(host, address, port) for address in answer]

    async def close(self) -> None:
        return None
