"""A feed's state after one poll (pure): the poll's outcome in, the next ``FeedState`` out.

The pipeline decides the outcome (fetched or not modified, new entries, the error, the next
poll from ``bot.feed.schedule``), ``apply_poll`` turns it into the feed's new state, and the
store only writes that state.
"""

from __future__ import annotations

from dataclasses import dataclass, replace
from typing import Any

from bot.models import FeedState

CONFIRM_REDIRECTS = 3  # a permanent redirect seen this many polls in a row is adopted


@dataclass(frozen=True, slots=True)
class PollOutcome:
    """What one poll changed about a feed."""

    now: float
    next_poll: float
    ok: bool
    not_modified: bool = False
    etag: str | None = None
    last_modified: str | None = None
    new_entries: int = 0
    error: str | None = None
    permanent_url: str | None = None  # a 301/308 seen this time
    publish_gap: float | None = None


def apply_poll(
    state: FeedState, outcome: PollOutcome, confirm_redirects: int = CONFIRM_REDIRECTS
) -> FeedState:
    """A feed's state after one poll (pure). A permanent redirect seen ``confirm_redirects``
    times in a row becomes the URL fetched from then on (``moved_to``; the configured URL is
    kept, and a new configured URL clears it); a temporary redirect or none resets the streak."""
    changes: dict[str, Any] = {
        "last_attempt": outcome.now,
        "next_poll": outcome.next_poll,
        "polls": state.polls + 1,
    }
    if outcome.ok:
        changes.update(last_success=outcome.now, failures=0, last_error=None, polled_once=True)
        if outcome.not_modified:
            changes["not_modified"] = state.not_modified + 1
        else:
            changes.update(etag=outcome.etag, last_modified=outcome.last_modified)
        if outcome.new_entries:
            changes["last_new_entry"] = outcome.now
        if outcome.publish_gap is not None:
            changes["publish_gap"] = outcome.publish_gap
        moved = outcome.permanent_url
        if moved and moved != state.fetch_url:
            count = state.redirect_count + 1 if state.redirect_url == moved else 1
            if count >= confirm_redirects:
                changes.update(moved_to=moved, redirect_url=None, redirect_count=0)
            else:
                changes.update(redirect_url=moved, redirect_count=count)
        else:
            changes.update(redirect_url=None, redirect_count=0)
    else:
        changes.update(failures=state.failures + 1, last_error=(outcome.error or "")[:300])
    return replace(state, **changes)
