"""Reports for the story tests, and recording them as the store does."""

from __future__ import annotations

from bot.story import Report, StoryIndex

HOUR = 3600.0
T0 = 1_756_700_000.0


def report(i: int, title: str, summary: str = "", hours: float = 0.0) -> Report:
    return Report(i, title, summary, T0 + hours * HOUR, f"feed{i}", f"https://example.com/{i}")


def record(index: StoryIndex, r: Report) -> int:
    """What the store does: assign, then add under the story found (or a new one)."""
    joined = index.assign(r)
    story = joined.story if joined is not None else r.id
    index.add(r, story)
    return story
