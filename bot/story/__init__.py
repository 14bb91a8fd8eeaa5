"""Stories: reports of the same event by different outlets, grouped.

``StoryIndex`` (``bot.story.index``) keeps the window's reports in memory and says which story
a new ``Report`` joins (a ``Join``, with the reason) or that it starts one; how it decides is
in docs/stories.md.

``terms``, ``check`` and ``index`` run for every new entry; they are compiled with mypyc at
install time where possible (``setup.py``), like the matcher.  ``COMPILED`` says whether the
compiled modules run, ``BUILD`` which run and why (``bot.match._build``)."""

from __future__ import annotations

from pathlib import Path

from bot.match._build import select

# before anything imports them: the sources run in place of a stale or absent build
COMPILED, BUILD = select(
    __name__, ("terms", "check", "index"), Path(__file__).resolve().parent, "story index"
)

from bot.story.frequency import zipf  # noqa: E402 (after select)
from bot.story.index import StoryIndex  # noqa: E402
from bot.story.records import Join, Report  # noqa: E402


def warm() -> None:
    """Load the language frequency tables now (about half a second, once per process), so the
    first report recorded does not pay for it inside its transaction."""
    zipf("news")


__all__ = ["BUILD", "COMPILED", "Join", "Report", "StoryIndex", "warm"]
