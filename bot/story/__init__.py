"""Stories: reports of the same event by different outlets, grouped.

``StoryIndex`` (``bot.story.index``) keeps the window's reports in memory and says which story
a new ``Report`` joins (a ``Join``, with the reason) or that it starts one; how it decides is
in docs/stories.md."""

from __future__ import annotations

from bot.story.frequency import zipf
from bot.story.index import StoryIndex
from bot.story.records import Join, Report


def warm() -> None:
    """Load the language frequency tables now (about half a second, once per process), so the
    first report recorded does not pay for it inside its transaction."""
    zipf("news")


__all__ = ["Join", "Report", "StoryIndex", "warm"]
