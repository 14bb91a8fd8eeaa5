"""The rate limiter against a fake clock: limits, bursts, holds, memory, and a property test."""

from __future__ import annotations

from collections import defaultdict
from collections.abc import Iterable

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from bot.delivery.ratelimit import RateLimiter

EPS = 1e-9
USER, GROUP, CHANNEL = 42, -1001, -100200


def send_times(lim: RateLimiter, chat_id: int, count: int, start: float = 0.0) -> list[float]:
    """Send ``count`` messages to one chat as fast as the limiter allows."""
    now, times = start, []
    for _ in range(count):
        now += lim.delay(chat_id, now)
        assert lim.try_take(chat_id, now) == 0.0
        times.append(now)
    return times


@pytest.mark.parametrize(
    ("chat_id", "count", "expected"),
    [
        (USER, 6, [0, 0, 0, 1, 2, 3]),  # burst of 3, then 1/s
        (GROUP, 5, [0, 0, 0, 1, 2]),
        (CHANNEL, 23, [0, 0, 0, *range(1, 18), 60, 60, 60]),  # 20 in the minute, then the window
    ],
    ids=["private", "group", "channel-minute"],
)
def test_single_chat_schedule(chat_id: int, count: int, expected: list[float]) -> None:
    assert send_times(RateLimiter(), chat_id, count) == pytest.approx(expected)


def test_global_limit_is_a_strict_sliding_window() -> None:
    lim = RateLimiter()
    for chat in range(1, 31):
        assert lim.try_take(chat, 0.5) == 0.0
    assert lim.delay(31, 0.5) == pytest.approx(1.0)
    assert lim.delay(31, 1.49) == pytest.approx(0.01)
    assert lim.delay(31, 1.5) == 0.0
    assert lim.global_delay(1.0) == pytest.approx(0.5)


def test_private_idle_chat_gets_its_burst_back() -> None:
    lim = RateLimiter()
    send_times(lim, USER, 3)
    assert lim.delay(USER, 0) == pytest.approx(1)
    assert send_times(lim, USER, 3, start=3.0) == [3.0, 3.0, 3.0]


@pytest.mark.parametrize(
    ("hold", "chat_delays"),
    [
        ("chat", {USER: 3.0, GROUP: 0.0}),
        ("all", {USER: 3.0, GROUP: 3.0}),
    ],
)
def test_holds_block_exactly_until_retry_after(hold: str, chat_delays: dict[int, float]) -> None:
    lim = RateLimiter()
    if hold == "chat":
        lim.hold(USER, 13.0)
    else:
        lim.hold_all(13.0)
    for chat_id, expected in chat_delays.items():
        assert lim.delay(chat_id, 10.0) == pytest.approx(expected)
        assert lim.delay(chat_id, 12.999) > 0 or expected == 0
        assert lim.delay(chat_id, 13.0) == 0.0
    assert lim.ready_chats([USER, GROUP], 10.0) == [c for c, d in chat_delays.items() if d == 0]


def test_hold_never_shortens() -> None:
    lim = RateLimiter()
    lim.hold(USER, 20)
    lim.hold(USER, 5)
    lim.hold_all(20)
    lim.hold_all(5)
    assert lim.delay(USER, 10) == 10
    assert lim.delay(7, 10) == 10


def test_ready_chats_respects_global_room_and_order() -> None:
    lim = RateLimiter(global_rate=3)
    send_times(lim, USER, 3)  # global window now full until t=1
    assert lim.ready_chats([1, 2, 3], 0.5) == []
    assert lim.ready_chats([USER, 1, 1, 2, 3], 1.0) == [USER, 1, 2]  # dupes once, room 3
    lim.take(USER, 1.0)
    assert lim.ready_chats([USER, 1, 2, 3], 1.0) == [1, 2]  # USER paced to 1/s again


def test_idle_chats_are_forgotten() -> None:
    lim = RateLimiter()
    for chat in range(1, 5001):
        lim.take(chat, chat * 0.04)  # 25/s, inside the global limit
    assert len(lim) < 2100  # swept as it grew, long before 5000
    lim.hold(-5, 1000)
    remembered = len(lim)
    assert lim.forget_idle(500) == remembered - 1  # the held chat is kept
    assert len(lim) == 1
    assert lim.delay(-5, 500) == 500


def test_group_window_survives_sweeps() -> None:
    lim = RateLimiter()
    send_times(lim, GROUP, 20)
    assert lim.forget_idle(30) == 0  # the minute is not over: keep the window
    assert lim.delay(GROUP, 30) == pytest.approx(30)


@pytest.mark.parametrize(
    "kwargs",
    [{"global_rate": 0}, {"private_rate": 0}, {"group_burst": 0}, {"group_window": -1}],
)
def test_bad_settings(kwargs: dict[str, float]) -> None:
    with pytest.raises(ValueError):
        RateLimiter(**kwargs)  # type: ignore[arg-type]


# --------------------------------------------------------------------------- property


def max_in_window(times: list[float], window: float) -> int:
    """Most sends in any half-open window [t, t + window)."""
    best, j = 0, 0
    for i, start in enumerate(times):
        j = max(j, i)
        while j < len(times) and times[j] < start + window - EPS:
            j += 1
        best = max(best, j - i)
    return best


def check_limits(lim: RateLimiter, sends: Iterable[tuple[float, int]]) -> None:
    sends = list(sends)
    assert max_in_window([t for t, _ in sends], lim.global_window) <= lim.global_rate
    per_chat: dict[int, list[float]] = defaultdict(list)
    for t, chat in sends:
        per_chat[chat].append(t)
    for chat, times in per_chat.items():
        burst = lim.private_burst if chat > 0 else lim.group_burst
        for i in range(len(times)):  # any closed window: burst + T * rate
            for j in range(i, len(times)):
                assert j - i + 1 <= burst + (times[j] - times[i]) * 1.0 + EPS
        if chat < 0:
            assert max_in_window(times, lim.group_window) <= lim.group_per_minute


ALL_CHATS = [1, 2, 3, 77, -1, -2, -1001, -1002]


@st.composite
def scenarios(draw: st.DrawFn) -> list[tuple[int, float, bool, float | None]]:
    """Send attempts to a few chats: mostly back to back, sometimes waiting the exact delay."""
    pool = draw(st.lists(st.sampled_from(ALL_CHATS), min_size=1, max_size=4, unique=True))
    advance = st.one_of(
        st.just(0.0),
        st.just(0.0),
        st.sampled_from([0.001, 0.3, 0.5, 1.0, 2.9, 59.999]),
        st.floats(0, 3),
    )
    retry = st.one_of(st.none(), st.none(), st.none(), st.floats(0, 10))
    return draw(
        st.lists(
            st.tuples(st.sampled_from(pool), advance, st.booleans(), retry),
            min_size=1,
            max_size=400,
        )
    )


limiters = st.builds(
    RateLimiter,
    global_rate=st.sampled_from([3, 30]),
    private_burst=st.sampled_from([1, 3]),
    group_per_minute=st.sampled_from([2, 5, 20]),
    group_burst=st.sampled_from([1, 3]),
)


@settings(max_examples=300, deadline=None)
@given(steps=scenarios(), lim=limiters)
def test_sends_obeying_delay_never_break_a_sliding_window(
    steps: list[tuple[int, float, bool, float | None]], lim: RateLimiter
) -> None:
    now = 0.0
    sends: list[tuple[float, int]] = []
    for chat, advance, wait_exactly, retry_after in steps:
        now += advance
        delay = lim.delay(chat, now)
        if wait_exactly:
            now += delay
            delay = lim.delay(chat, now)
        if delay == 0.0:
            lim.take(chat, now)
            sends.append((now, chat))
            if retry_after is not None and retry_after < 1:
                lim.hold(chat, now + retry_after)
        if len(sends) % 50 == 49:
            lim.forget_idle(now)
    check_limits(lim, sends)


@settings(max_examples=100, deadline=None)
@given(steps=scenarios())
def test_no_send_inside_a_hold(steps: list[tuple[int, float, bool, float | None]]) -> None:
    lim = RateLimiter()
    now = 0.0
    holds: dict[int, list[tuple[float, float]]] = defaultdict(list)
    for chat, advance, wait_exactly, retry_after in steps:
        now += advance
        if wait_exactly:
            now += lim.delay(chat, now)
        if lim.try_take(chat, now) == 0.0:
            assert all(not (start <= now < end) for start, end in holds[chat])
            if retry_after is not None:
                lim.hold(chat, now + retry_after)
                holds[chat].append((now, now + retry_after))
