"""The rate limiter against a fake clock: limits, bursts, holds, memory, and a property test."""

from __future__ import annotations

from collections import defaultdict
from collections.abc import Iterable

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from bot.delivery.ratelimit import FloodHold, RateLimiter

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
        lim.hold_all(10.0, 3.0)
    for chat_id, expected in chat_delays.items():
        assert lim.delay(chat_id, 10.0) == pytest.approx(expected)
        assert lim.delay(chat_id, 12.999) > 0 or expected == 0
        assert lim.delay(chat_id, 13.0) == 0.0
    assert lim.ready_chats([USER, GROUP], 10.0) == [c for c, d in chat_delays.items() if d == 0]


def test_hold_never_shortens() -> None:
    lim = RateLimiter()
    lim.hold(USER, 20)
    lim.hold(USER, 5)
    lim.hold_all(0, 20)
    lim.hold_all(0, 5)
    assert lim.delay(USER, 10) == 10
    assert lim.delay(7, 10) == 10


# --------------------------------------------------------------------------- 429s and probes

# A scenario is a list of steps (now, op, chat, arg, expected):
#   refused     a 429 with retry_after=arg; expected (scope, hold_until, retry_at, started)
#   refused!    the same, said to be bot-wide by the caller
#   delay       expected lim.delay(chat, now)
#   take        the request goes (delay must be 0)
#   answered    Telegram answered (not 429); expected: the hold ended (True) or not
#   unanswered  no answer
#   ready       expected lim.ready_chats(arg, now)
DAY = 86400.0
Step = tuple[float, str, int, object, object]
FLOODS: dict[str, list[Step]] = {
    "one chat's day-long 429 holds that chat only, exactly": [
        (0.0, "refused", 1, DAY, ("chat", DAY, 300.0, False)),
        (10.0, "delay", 1, None, DAY - 10),
        (10.0, "delay", 2, None, 0.0),
        (DAY, "delay", 1, None, 0.0),
    ],
    "three chats in a second hold every chat, capped, then one probe": [
        (0.0, "refused", 1, DAY, ("chat", DAY, 300.0, False)),
        (0.4, "refused", 2, DAY, ("chat", 0.4 + DAY, 300.4, False)),
        (0.8, "refused", 3, DAY, ("all", 300.8, 300.8, True)),
        (100.0, "delay", 9, None, 200.8),
        (100.0, "delay", 1, None, 200.8),  # chat 1's own day is folded into the cap
        (300.8, "ready", 0, [1, 2, 3, 9], [1]),  # the probe goes alone
        (300.8, "take", 9, None, None),
        (300.9, "delay", 1, None, 120.0 - 0.1),  # everyone waits for the probe's answer
        (300.9, "answered", 1, None, False),  # not the probe: nothing ends
        (301.0, "answered", 9, None, True),  # (FloodHold: 3 refusals, asked for a day)
        (301.0, "delay", 1, None, 0.0),
        (301.0, "delay", 2, None, 0.0),
    ],
    "three chats over more than a second stay per-chat": [
        (0.0, "refused", 1, 5.0, ("chat", 5.0, 5.0, False)),
        (0.6, "refused", 2, 5.0, ("chat", 5.6, 5.6, False)),
        (1.2, "refused", 3, 5.0, ("chat", 6.2, 6.2, False)),
        (2.0, "delay", 9, None, 0.0),
    ],
    "a refused probe holds everyone again, capped again": [
        (0.0, "refused!", 1, DAY, ("all", 300.0, 300.0, True)),
        (300.0, "take", 2, None, None),
        (300.5, "refused", 2, DAY, ("all", 600.5, 600.5, False)),  # no second notice
        (400.0, "delay", 7, None, 200.5),
        (600.5, "take", 3, None, None),
        (600.6, "answered", 3, None, True),
        (600.6, "delay", 7, None, 0.0),
    ],
    "an unanswered probe lets the next request probe": [
        (0.0, "refused!", 1, 10.0, ("all", 10.0, 10.0, True)),
        (10.0, "take", 2, None, None),
        (10.0, "delay", 3, None, 120.0),
        (11.0, "unanswered", 2, None, None),
        (11.0, "delay", 3, None, 0.0),
        (11.0, "take", 3, None, None),
        (11.0, "delay", 4, None, 120.0),
        (11.5, "answered", 3, None, True),
    ],
    "a probe lost without a word times out, then another probes": [
        (0.0, "refused!", 1, 10.0, ("all", 10.0, 10.0, True)),
        (10.0, "take", 2, None, None),
        (130.0, "delay", 3, None, 0.0),
        (130.0, "take", 3, None, None),
        (130.0, "delay", 4, None, 120.0),
        (131.0, "answered", 2, None, False),  # the old probe's late answer proves nothing
        (131.0, "answered", 3, None, True),
    ],
    "a retry_after under the cap is kept exactly, then a probe": [
        (0.0, "refused!", 1, 2.0, ("all", 2.0, 2.0, True)),
        (1.999, "ready", 0, [1, 2], []),
        (2.0, "ready", 0, [1, 2], [1]),
    ],
    "429s of requests sent before the hold extend it without a new notice": [
        (0.0, "refused!", 1, 60.0, ("all", 60.0, 60.0, True)),
        (0.2, "refused", 2, 90.0, ("all", 90.2, 90.2, False)),
        (50.0, "delay", 5, None, 40.2),
    ],
    "after a hold ends, its 429s count toward no new one": [
        (0.0, "refused", 1, 0.5, ("chat", 0.5, 0.5, False)),
        (0.1, "refused", 2, 0.5, ("chat", 0.6, 0.6, False)),
        (0.2, "refused", 3, 0.5, ("all", 0.7, 0.7, True)),
        (0.7, "take", 4, None, None),
        (0.8, "answered", 4, None, True),
        (0.9, "refused", 5, 0.5, ("chat", 1.4, 1.4, False)),
    ],
}


@pytest.mark.parametrize("steps", list(FLOODS.values()), ids=list(FLOODS))
def test_flood_holds(steps: list[Step]) -> None:
    lim = RateLimiter(private_burst=10, group_burst=10)  # pacing out of the way
    for now, op, chat, arg, expected in steps:
        where = f"at {now}: {op} {chat}"
        if op in ("refused", "refused!"):
            assert isinstance(arg, float)
            r = lim.refused(chat, now, arg, bot_wide=op == "refused!")
            got = (r.scope, r.hold_until, r.retry_at, r.started is not None)
            assert got == pytest.approx(expected), where
        elif op == "delay":
            assert lim.delay(chat, now) == pytest.approx(expected), where
        elif op == "take":
            assert lim.delay(chat, now) == 0.0, where
            lim.take(chat, now)
        elif op == "answered":
            assert (lim.answered(chat, now) is not None) == expected, where
        elif op == "unanswered":
            lim.unanswered(chat, now)
        elif op == "ready":
            assert isinstance(arg, list)
            assert lim.ready_chats(arg, now) == expected, where
        else:
            raise AssertionError(op)


def test_a_hold_made_bot_wide_counts_the_429s_that_made_it() -> None:
    lim = RateLimiter()
    lim.refused(1, 0.0, 10.0)
    lim.refused(2, 0.1, 5000.0)
    started = lim.refused(3, 0.2, 20.0).started
    assert started == FloodHold(started=0.2, asked=5000.0, until=300.2, refusals=3)


def test_a_flood_hold_remembers_what_telegram_asked() -> None:
    lim = RateLimiter(bot_wide_cap=60)
    started = lim.refused(1, 0.0, 5000.0, bot_wide=True).started
    assert started == FloodHold(started=0.0, asked=5000.0, until=60.0, refusals=1)
    lim.take(2, 60.0)
    lim.refused(2, 60.5, 9000.0)
    assert lim.flood == FloodHold(started=0.0, asked=9000.0, until=120.5, refusals=2)
    lim.take(3, 120.5)
    assert lim.answered(3, 121.0) == FloodHold(0.0, 9000.0, 120.5, 2)
    assert lim.flood is None


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
    [
        {"global_rate": 0},
        {"private_rate": 0},
        {"group_burst": 0},
        {"group_window": -1},
        {"bot_wide_cap": 0},
    ],
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
