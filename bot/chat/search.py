"""/search and the /watch count: replies about the kept history (``bot.history``).

A /search reply lists the matches as a digest does (``bot.alert.render_digest``: titles and
feed names sanitized, cut and escaped, only http(s) links linked), newest first, each line
with its feed and time; the query is quoted as an excerpt.
"""

from __future__ import annotations

import html
from collections.abc import Sequence
from datetime import UTC, datetime

from bot.alert import render_digest
from bot.alert.limits import sanitize, truncate
from bot.history import Found, Scan
from bot.models import AlertItem
from bot.text import excerpt

FEED_MAX = 40
QUERY_MAX = 60
WATCH_DAYS = 7  # the /watch reply counts the matches of this many days


def _when(epoch: float) -> str:
    return datetime.fromtimestamp(epoch, UTC).strftime("%Y-%m-%d %H:%M UTC")


def _partial(scan: Scan) -> str:
    return "" if scan.complete else f" (searched the latest {scan.scanned:,} entries)"


def search_reply(query: str, found: Sequence[Found], scan: Scan) -> list[str]:
    """HTML messages: the matches newest first, or a line saying there are none."""
    shown = excerpt(query, QUERY_MAX)
    if not found:
        return [f"No kept entry matches <code>{html.escape(shown)}</code>{_partial(scan)}."]
    items = [
        AlertItem(
            feed_name=f"{truncate(sanitize(f.feed_name).strip(), FEED_MAX)}, {_when(f.when)}",
            title=f.title,
            link=f.link,
            summary="",
            published=None,
            rule_titles=(),
        )
        for f in found
    ]
    noun = "match" if len(found) == 1 else "matches"
    header = f"Latest {len(found)} {noun} for {shown}{_partial(scan)}"
    return [m.text for m in render_digest(items, header=header)]


def watch_count_line(matched: int, scan: Scan) -> str:
    """One line for the /watch reply: what the new watch would have matched."""
    if scan.complete:
        noun = "entry" if matched == 1 else "entries"
        return f"In the last {WATCH_DAYS} days it would have matched {matched:,} {noun}."
    return (
        f"In the last {WATCH_DAYS} days it would have matched at least {matched:,} "
        f"(of the latest {scan.scanned:,} entries; /search shows the latest)."
    )
