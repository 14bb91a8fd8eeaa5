"""The records the store and the story index exchange."""

from __future__ import annotations

from dataclasses import dataclass


@dataclass(frozen=True, slots=True)
class Report:
    id: int
    title: str
    summary: str
    published: float
    feed_id: str
    link: str | None


@dataclass(frozen=True, slots=True)
class Join:
    story: int
    report: int
    score: float
    shared: tuple[str, ...]
    reason: str
