"""When to poll a feed next (pure: ``now`` and a ``random.Random`` are passed in).

After a successful poll (:func:`next_poll_after_success`)::

    delay = configured interval
    if the feed's recent entries show a publish rhythm (g = the lower median of >= 2 gaps):
        delay = g / 2                       # busy feeds sooner, quiet feeds later
    delay = clamp(delay, bounds)            # default [interval/4, interval*8], within [1 s, 24 h]
    delay = max(delay, max-age, <ttl>)      # the server's freshness hints, capped at bounds.high
    delay *= uniform(1 - jitter, 1 + jitter) then clamp to [1 s, 24 h]   # jitter spreads polls

After a failed poll (:func:`next_poll_after_error`), with ``failures`` consecutive failures::

    delay = min(cap, interval * 2 ** (failures - 1)) * uniform(0.5, 1.0)   # "equal jitter"
    delay = max(delay, Retry-After)         # a 429/503's Retry-After is honoured up to 24 h

so errors back off exponentially up to ``cap`` (6 h) and the feed keeps being tried forever.
"""

from __future__ import annotations

import itertools
import random
import statistics
from collections.abc import Iterable, Sequence
from dataclasses import dataclass
from datetime import datetime, timedelta

MIN_DELAY = 1.0
MAX_DELAY = 24 * 3600.0
ERROR_CAP = 6 * 3600.0
JITTER = 0.1


@dataclass(frozen=True, slots=True)
class PollBounds:
    """The adaptive delay stays within [low, high] seconds."""

    low: float
    high: float

    @classmethod
    def around(
        cls, interval: float, low: float | None = None, high: float | None = None
    ) -> PollBounds:
        """Bounds for a configured interval: [interval/4, interval*8] unless given,
        always within [1 s, 24 h] and ``low <= high``."""
        lo = _clamp(low if low is not None else interval / 4, MIN_DELAY, MAX_DELAY)
        hi = _clamp(high if high is not None else interval * 8, MIN_DELAY, MAX_DELAY)
        return cls(min(lo, hi), max(lo, hi))


def observed_gaps(published: Iterable[datetime | None], limit: int = 20) -> list[float]:
    """Seconds between consecutive publish times of the ``limit`` most recent entries."""
    times = sorted({t for t in published if t is not None}, reverse=True)[: limit + 1]
    return [(a - b).total_seconds() for a, b in itertools.pairwise(times)]


def adaptive_delay(interval: float, gaps: Sequence[float], bounds: PollBounds) -> float:
    """Half the typical publish gap (at least 2 gaps needed), clamped to ``bounds``.

    The typical gap is the *lower* median: a gap that is actually observed, never an average
    of two. With two gaps, the plain median is their mean, so one old item next to two fresh
    ones (gaps 3 s and two days) made a busy feed wait the upper bound.
    """
    usable = [g for g in gaps if g > 0]
    delay = statistics.median_low(usable) / 2 if len(usable) >= 2 else interval
    return _clamp(delay, bounds.low, bounds.high)


def next_poll_after_success(
    now: datetime,
    interval: float,
    *,
    rng: random.Random,
    gaps: Sequence[float] = (),
    max_age: float | None = None,
    ttl: float | None = None,
    bounds: PollBounds | None = None,
    jitter: float = JITTER,
) -> datetime:
    """Next poll after a 200 or 304 (see the module docstring).

    ``interval``: configured seconds; ``gaps``: :func:`observed_gaps` of the feed's entries;
    ``max_age``: Cache-Control max-age / Expires (``Fetched.max_age``); ``ttl``: RSS <ttl> in
    seconds; ``bounds``: defaults to ``PollBounds.around(interval)``.
    """
    bounds = bounds or PollBounds.around(interval)
    delay = adaptive_delay(interval, gaps, bounds)
    for hint in (max_age, ttl):
        if hint is not None and hint > delay:
            delay = min(hint, bounds.high)
    delay *= rng.uniform(1 - jitter, 1 + jitter)
    return now + timedelta(seconds=_clamp(delay, MIN_DELAY, MAX_DELAY))


def error_delay(
    failures: int,
    *,
    rng: random.Random,
    interval: float,
    retry_after: float | None = None,
    cap: float = ERROR_CAP,
) -> float:
    """Seconds to wait after the ``failures``-th consecutive failure (1 = first)."""
    exponent = min(max(failures, 1) - 1, 64)
    base = min(cap, max(interval, MIN_DELAY) * 2.0**exponent)
    delay = base * rng.uniform(0.5, 1.0)
    if retry_after is not None and retry_after > delay:
        delay = retry_after
    return _clamp(delay, MIN_DELAY, MAX_DELAY)


def next_poll_after_error(
    now: datetime,
    failures: int,
    *,
    rng: random.Random,
    interval: float,
    retry_after: float | None = None,
    cap: float = ERROR_CAP,
) -> datetime:
    """Next poll after a failed one (fetch error, HTTP 4xx/5xx incl. 429/503, ParseError)."""
    delay = error_delay(failures, rng=rng, interval=interval, retry_after=retry_after, cap=cap)
    return now + timedelta(seconds=delay)


def first_poll(now: datetime, interval: float, *, rng: random.Random) -> datetime:
    """Spread feeds' first polls over one interval so a restart does not poll all at once."""
    return now + timedelta(seconds=rng.uniform(0, _clamp(interval, 0.0, MAX_DELAY)))


def _clamp(value: float, low: float, high: float) -> float:
    return max(low, min(high, value))
