"""``apply_poll``: a feed's next state from one poll's outcome (pure, no store)."""

from __future__ import annotations

import pytest

from bot.feed.outcome import PollOutcome, apply_poll
from bot.models import FeedSpec, FeedState

NOW = 1_756_000_000.0
FEED = FeedState(FeedSpec("f", "http://a/"), etag='"old"', failures=2, last_error="boom")


def test_a_success_clears_the_failures_and_keeps_the_cache_validators() -> None:
    after = apply_poll(FEED, PollOutcome(NOW, NOW + 60, ok=True, etag='"new"', new_entries=2))
    assert (after.failures, after.last_error, after.etag) == (0, None, '"new"')
    assert (after.polls, after.polled_once, after.last_new_entry) == (1, True, NOW)
    assert (after.last_attempt, after.last_success, after.next_poll) == (NOW, NOW, NOW + 60)


def test_not_modified_keeps_the_validators_and_counts_it() -> None:
    after = apply_poll(FEED, PollOutcome(NOW, NOW + 60, ok=True, not_modified=True))
    assert (after.etag, after.not_modified, after.last_new_entry) == ('"old"', 1, None)


def test_a_failure_counts_and_keeps_a_capped_error() -> None:
    after = apply_poll(FEED, PollOutcome(NOW, NOW + 60, ok=False, error="x" * 500))
    assert after.failures == 3 and after.last_error == "x" * 300
    assert after.last_success is None and after.etag == '"old"'


@pytest.mark.parametrize(
    ("seen", "moved_to", "streak"),
    [
        (["http://b/"] * 2, None, 2),
        (["http://b/"] * 3, "http://b/", 0),
        (["http://b/", None, "http://b/"], None, 1),  # a poll without it resets the streak
        (["http://b/", "http://c/", "http://c/"], None, 2),  # another URL starts again
    ],
    ids=["two-of-three", "adopted", "reset-by-none", "reset-by-other"],
)
def test_a_permanent_redirect_is_adopted_when_it_repeats(
    seen: list[str | None], moved_to: str | None, streak: int
) -> None:
    state = FEED
    for url in seen:
        state = apply_poll(state, PollOutcome(NOW, NOW + 60, ok=True, permanent_url=url))
    assert (state.moved_to, state.redirect_count, state.spec.url) == (moved_to, streak, "http://a/")
