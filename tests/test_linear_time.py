"""Every parser that sees untrusted text runs in linear time, measured (issue #9).

Each ``Case`` names a parser and an adversarial input shape: the classic ones repeat a
prefix of what a pattern looks for and never give it its closing part (``<a `` without
``>``, ``1s`` and two spaces without a valid end, ``<!--`` without ``-->``). The test times
the parser on the shape at size ``n`` and at ``FACTOR * n`` in the same run (best of
``RUNS``, the call repeated so the small size takes at least ``MIN_SECONDS``) and requires
``t(FACTOR * n) / t(n) < BOUND``: linear work gives about 4, quadratic about 16,
exponential far more. No absolute time is asserted. Times are this thread's CPU time, which
other processes on a busy machine do not inflate (wall time failed linear parsers at a load
of 9 on two cores: one preempted run of the large size was enough).

To cover another parser, append ``Case(id, parser, shape, n)`` to ``CASES``: ``parser``
takes one string (wrap it in a lambda if it needs more); ``shape(k)`` builds the input of
size k (repetitions of the hostile unit, usually); choose ``n`` so that ``FACTOR * n``
stays under any input cap the parser applies first (html_to_text reads 256 KiB), or the
large size would measure less work than it holds.
"""

from __future__ import annotations

import gc
import time
from collections.abc import Callable
from dataclasses import dataclass
from typing import Any

import pytest

from bot import text
from bot.alert import limits, markup
from bot.chat import commands, render
from bot.chat.trial import Hit, HitKind
from bot.config import durations
from bot.models import Span

FACTOR = 4
BOUND = 8.0  # twice the linear ratio, half the quadratic one
RUNS = 5
MIN_SECONDS = 0.01
ATTEMPTS = 3  # a shared machine can stall one measurement; a super-linear parser fails all
CLEARLY = 2 * BOUND  # a ratio beyond noise: no more runs needed (two such attempts fail)


@dataclass(frozen=True)
class Case:
    id: str
    parse: Callable[[str], Any]
    shape: Callable[[int], str]
    n: int


def _commands(name: str) -> Callable[..., Any]:
    """``commands.<name>``, looked up when called (so one missing parser fails one case)."""
    return lambda *args: getattr(commands, name)(*args)


def _test_result(value: str) -> Any:
    spans = tuple(Span("title", i, i + 3) for i in range(0, len(value), 7))
    return render.test_result(value, [Hit(HitKind.RULE, "Rule", "rule", spans)])


def _html(unit: str) -> Callable[[int], str]:
    return lambda k: unit * k


CASES = [
    # durations: the /mute argument of issue #9 and its relatives
    Case("duration-1s-two-spaces", durations.parse_duration, lambda k: "1s  " * k + "x", 3),
    Case("duration-1s-space", durations.parse_duration, lambda k: "1s " * k + "x", 1024),
    Case("duration-valid-parts", durations.parse_duration, lambda k: "1s " * k, 1024),
    Case("duration-digits", durations.parse_duration, lambda k: "1" * k + "x", 4096),
    Case("duration-spaces", durations.parse_duration, lambda k: " " * k + "x", 4096),
    Case("duration-fraction", durations.parse_duration, lambda k: "1." + "1" * k + "x", 4096),
    # chat commands: the command itself, then every argument parser
    Case("split_command-name", commands.split_command, lambda k: "/" + "a" * k, 1024),
    Case("split_command-at", commands.split_command, lambda k: "/a@" + "b" * k, 1024),
    Case("split_command-args", commands.split_command, lambda k: "/a " + "x  " * k, 1024),
    Case("parse_mute", _commands("parse_mute"), lambda k: "1s  " * k + "x", 256),
    Case("parse_timezone", _commands("parse_timezone"), lambda k: "Europe/" * k, 256),
    Case("parse_quiet", _commands("parse_quiet"), lambda k: "1:1-" * k, 256),
    Case("parse_addfeed", _commands("parse_addfeed"), lambda k: "http://a " + "1s  " * k, 256),
    Case("parse_addfeed-url", _commands("parse_addfeed"), lambda k: "https://" + "/" * k, 256),
    Case("parse_rule_id", lambda v: commands.parse_rule_id("subscribe", v), _html("a "), 256),
    Case("parse_index", _commands("parse_index"), _html("1"), 256),
    Case("parse_digest", _commands("parse_digest"), _html("hourly"), 256),
    Case("parse_preview", _commands("parse_preview"), _html("on"), 256),
    Case("parse_feed_id", _commands("parse_feed_id"), _html("a-"), 256),
    Case("parse_query", lambda v: commands.parse_query("watch", v), _html("a "), 256),
    # html_to_text: each construct opened again and again, never closed
    Case("html-a-space", text.html_to_text, _html("<a "), 2048),
    Case("html-long-name", text.html_to_text, lambda k: "<" + "a" * k, 8192),
    Case("html-end-tags", text.html_to_text, _html("</a "), 2048),
    Case("html-double-quote", text.html_to_text, _html('<a "'), 2048),
    Case("html-single-quote", text.html_to_text, _html("<a '"), 2048),
    Case("html-quoted-gt", text.html_to_text, _html("<a '>' "), 2048),
    Case("html-quote-inside-quote", text.html_to_text, _html("<a \"<b '"), 2048),
    Case("html-quoted-values", text.html_to_text, _html("<a x=\"y\" z='w' "), 2048),
    Case("html-quoted-lt", text.html_to_text, _html('<a x="<" '), 2048),
    Case("html-script-open", text.html_to_text, _html("<script"), 2048),
    Case("html-script-body", text.html_to_text, _html("<script>"), 2048),
    Case("html-script-close", text.html_to_text, lambda k: "<script>" + "</script " * k, 2048),
    Case("html-comment", text.html_to_text, _html("<!--"), 2048),
    Case("html-declaration", text.html_to_text, _html("<!"), 2048),
    Case("html-processing", text.html_to_text, _html("<?"), 2048),
    Case("html-cdata", text.html_to_text, _html("<![CDATA["), 2048),
    Case("html-entities", text.html_to_text, _html("&a" * 16 + " "), 512),
    Case("html-long-entity", text.html_to_text, _html("&" + "a" * 31), 1024),
    Case("html-charref", text.html_to_text, lambda k: "<p>&#" + "1" * k, 8192),
    Case("html-line-separators", text.html_to_text, _html("<p>\u2028"), 2048),
    # clean_text: plain feed text is not capped before it
    Case("clean-line-separators", text.clean_text, _html("\u2028"), 2048),
    Case("clean-spaced-separators", text.clean_text, _html(" \u2028"), 2048),
    Case("clean-run-then-newline", text.clean_text, lambda k: "x" + "\u2028" * k + "\n", 4096),
    Case("clean-entity-names", text.clean_text, _html("&a"), 4096),
    Case("clean-long-entity-name", text.clean_text, lambda k: "&" + "a" * k, 8192),
    Case("clean-nested-entities", text.clean_text, _html("&a&b;;"), 2048),
    Case("clean-controls", text.clean_text, _html("\x00 \ud800"), 4096),
    Case("excerpt", lambda v: text.excerpt(v), _html("a \n"), 4096),
    # alert rendering (feed text and links)
    Case("host-labels", markup._HOST.match, lambda k: "a." * k + "!", 2048),
    Case("host-hyphens", markup._HOST.match, lambda k: "a-" * k + "!", 2048),
    Case("safe_url", markup.safe_url, lambda k: "http://" + "a." * k + "!", 128),
    Case("sanitize", limits.sanitize, _html("\x00\ud800a"), 4096),
    Case("truncate-zwj", lambda v: limits.truncate(v, 100), _html("\u200d"), 4096),
    Case("truncate-flags", lambda v: limits.truncate(v, 101), _html("\U0001f1e6"), 4096),
    Case("truncate-marks", lambda v: limits.truncate(v, 100), _html("e\u0301"), 4096),
    # chat replies
    Case("split_message", lambda v: render.split_message([v], 200), _html("<b>&amp;x</b> "), 512),
    Case("test_result", _test_result, _html("a<b&"), 512),  # both sizes split
    Case("highlight", lambda v: render.highlight(v, [Span("title", 0, len(v))]), _html("<&"), 2048),
]


def _best(parse: Callable[[str], Any], value: str, repeat: int) -> float:
    """Fastest of ``RUNS`` timings of ``repeat`` calls; gives up early once clearly too slow."""
    best = float("inf")
    for _ in range(RUNS):
        start = time.thread_time()
        for _ in range(repeat):
            try:
                parse(value)
            except ValueError:  # refusing hostile input is a fine answer (UsageError too)
                pass
        best = min(best, time.thread_time() - start)
    return best


def _repeat(parse: Callable[[str], Any], value: str) -> int:
    """Calls needed for ``value`` to take at least ``MIN_SECONDS``."""
    repeat = 1
    while _best_once(parse, value, repeat) < MIN_SECONDS:
        repeat *= 2
    return repeat


def _best_once(parse: Callable[[str], Any], value: str, repeat: int) -> float:
    start = time.thread_time()
    for _ in range(repeat):
        try:
            parse(value)
        except ValueError:
            pass
    return time.thread_time() - start


def _ratio(case: Case) -> tuple[float, float, float]:
    small, large = case.shape(case.n), case.shape(case.n * FACTOR)
    repeat = _repeat(case.parse, small)
    t_small = _best(case.parse, small, repeat)
    t_large = _best_once(case.parse, large, repeat)  # one run first: enough to see a blow-up
    if t_large / t_small < CLEARLY:
        t_large = min(t_large, _best(case.parse, large, repeat))
    return t_small, t_large, t_large / t_small


@pytest.mark.parametrize("case", CASES, ids=[c.id for c in CASES])
def test_parser_time_is_linear(case: Case) -> None:
    enabled = gc.isenabled()
    gc.disable()
    ratios: list[float] = []
    try:
        for _ in range(ATTEMPTS):
            t_small, t_large, ratio = _ratio(case)
            ratios.append(ratio)
            if ratio < BOUND or (len(ratios) > 1 and min(ratios[-2:]) >= CLEARLY):
                break  # linear; or super-linear twice in a row, beyond any stall
    finally:
        if enabled:
            gc.enable()
    assert ratio < BOUND, (
        f"{case.id}: {len(case.shape(case.n))} chars {t_small * 1e3:.2f} ms, "
        f"{len(case.shape(case.n * FACTOR))} chars {t_large * 1e3:.2f} ms: "
        f"x{ratio:.1f} for x{FACTOR} input (attempts: {', '.join(f'x{r:.1f}' for r in ratios)})"
    )


def test_cases_are_unique_and_shapes_grow() -> None:
    assert len({c.id for c in CASES}) == len(CASES)
    for case in CASES:
        assert len(case.shape(case.n * FACTOR)) >= 3 * len(case.shape(case.n)), case.id
