from __future__ import annotations

import random
from datetime import UTC, datetime, timedelta

import pytest
from hypothesis import given
from hypothesis import strategies as st

from bot.feed.schedule import (
    ERROR_CAP,
    MAX_DELAY,
    PollBounds,
    adaptive_delay,
    error_delay,
    first_poll,
    next_poll_after_error,
    next_poll_after_success,
    observed_gaps,
)

NOW = datetime(2024, 5, 1, tzinfo=UTC)


def delay(when: datetime) -> float:
    return (when - NOW).total_seconds()


def test_plain_interval_with_jitter() -> None:
    rng = random.Random(1)
    delays = [delay(next_poll_after_success(NOW, 300, rng=rng)) for _ in range(200)]
    assert all(270 <= d <= 330 for d in delays)
    assert max(delays) - min(delays) > 30  # jitter spreads polls


def test_busy_feed_polled_sooner_quiet_later() -> None:
    rng = random.Random(2)
    busy = delay(next_poll_after_success(NOW, 300, rng=rng, gaps=[60, 60, 60], jitter=0))
    quiet = delay(next_poll_after_success(NOW, 300, rng=rng, gaps=[86400] * 5, jitter=0))
    assert busy == 75.0  # gap/2 = 30, clamped at interval/4
    assert quiet == 2400.0  # clamped at interval*8


# (interval, gaps most recent first, expected delay before jitter)
ADAPTIVE: dict[str, tuple[float, list[float], float]] = {
    "no-gaps-interval": (300, [], 300),
    "one-gap-interval": (300, [60], 300),
    # the busy feed: two fresh items 3 s apart and one old one; not 8x the interval
    "two-gaps-busy-with-one-old-item": (2, [3, 3600], 1.5),
    "two-gaps-old-item-first": (2, [3600, 3], 1.5),
    "two-gaps-equal": (300, [200, 200], 100),
    "three-gaps-median": (300, [200, 400, 100_000], 200),
    "four-gaps-lower-middle": (300, [200, 400, 600, 100_000], 200),
    "one-outlier-in-many": (60, [40] * 9 + [86_400], 20),
    "zero-gaps-ignored": (300, [0, 0, 0, 400], 300),
    "busy-clamped-low": (300, [10, 10, 10], 75),
    "quiet-clamped-high": (300, [86_400, 86_400, 3], 2400),
}


@pytest.mark.parametrize("case", list(ADAPTIVE), ids=list(ADAPTIVE))
def test_adaptive_delay_is_robust(case: str) -> None:
    interval, gaps, expected = ADAPTIVE[case]
    assert adaptive_delay(interval, gaps, PollBounds.around(interval)) == expected


def test_busy_feed_with_one_old_item_polled_within_its_interval() -> None:
    """Issue #9 item 17: publishing every 3 s, interval 2 s, one old item and two fresh ones
    was left alone for 15.6 s (the mean of the two gaps, clamped at 8x the interval)."""
    published = [NOW, NOW - timedelta(seconds=3), NOW - timedelta(days=2)]
    rng = random.Random(7)
    delays = [
        delay(next_poll_after_success(NOW, 2, rng=rng, gaps=observed_gaps(published)))
        for _ in range(100)
    ]
    assert max(delays) <= 1.5 * 1.1


def test_bounds() -> None:
    assert PollBounds.around(300) == PollBounds(75, 2400)
    assert PollBounds.around(2) == PollBounds(1, 16)
    assert PollBounds.around(86400) == PollBounds(21600, MAX_DELAY)
    assert PollBounds.around(300, low=500, high=100) == PollBounds(100, 500)


def test_server_hints_honoured_within_bounds() -> None:
    rng = random.Random(3)
    assert delay(next_poll_after_success(NOW, 300, rng=rng, max_age=900, jitter=0)) == 900
    assert delay(next_poll_after_success(NOW, 300, rng=rng, ttl=3600, jitter=0)) == 2400
    assert delay(next_poll_after_success(NOW, 300, rng=rng, max_age=10, jitter=0)) == 300


def test_observed_gaps() -> None:
    times = [NOW - timedelta(minutes=m) for m in (0, 10, 30)] + [None, NOW]
    assert observed_gaps(times) == [600.0, 1200.0]


def test_error_backoff_exponential_capped_forever() -> None:
    rng = random.Random(4)
    delays = [error_delay(n, rng=rng, interval=60) for n in range(1, 40)]
    assert 30 <= delays[0] <= 60
    assert 60 <= delays[1] <= 120
    assert all(ERROR_CAP / 2 <= d <= ERROR_CAP for d in delays[12:])
    assert error_delay(10**9, rng=rng, interval=60) <= ERROR_CAP


def test_retry_after_wins() -> None:
    rng = random.Random(5)
    assert delay(next_poll_after_error(NOW, 1, rng=rng, interval=60, retry_after=3600)) == 3600
    capped = next_poll_after_error(NOW, 1, rng=rng, interval=60, retry_after=10**9)
    assert delay(capped) == MAX_DELAY


def test_first_poll_spread() -> None:
    rng = random.Random(6)
    firsts = [delay(first_poll(NOW, 600, rng=rng)) for _ in range(100)]
    assert all(0 <= d <= 600 for d in firsts) and max(firsts) - min(firsts) > 300


@given(
    interval=st.floats(0, 10**7),
    gaps=st.lists(st.floats(-1e6, 1e9), max_size=30),
    max_age=st.none() | st.floats(0, 1e12),
    ttl=st.none() | st.floats(0, 1e12),
    seed=st.integers(0, 2**32),
)
def test_success_delay_always_within_limits(
    interval: float, gaps: list[float], max_age: float | None, ttl: float | None, seed: int
) -> None:
    d = delay(
        next_poll_after_success(
            NOW, interval, rng=random.Random(seed), gaps=gaps, max_age=max_age, ttl=ttl
        )
    )
    assert 1.0 <= d <= MAX_DELAY


@given(
    failures=st.integers(-5, 10**6),
    interval=st.floats(0, 10**6),
    retry=st.none() | st.floats(0, 1e12),
    seed=st.integers(0, 2**32),
)
def test_error_delay_always_within_limits(
    failures: int, interval: float, retry: float | None, seed: int
) -> None:
    d = error_delay(failures, rng=random.Random(seed), interval=interval, retry_after=retry)
    assert 1.0 <= d <= MAX_DELAY
