"""The duration scanner: the language it accepts, hostile input, and a reference grammar."""

from __future__ import annotations

import re

import pytest
from hypothesis import given
from hypothesis import strategies as st

from bot.config.durations import parse_duration

ACCEPTED = [
    ("30s", 30.0),
    ("5m", 300.0),
    ("1h30m", 5400.0),
    ("1.5h", 5400.0),
    ("2d", 172800.0),
    ("1w", 604800.0),
    ("90", 90.0),
    ("0.5", 0.5),
    (" 1h 30m ", 5400.0),
    ("1 h 30 m", 5400.0),
    ("1H30M", 5400.0),
    ("1h1h", 7200.0),
    ("\u0663m", 180.0),  # Arabic-Indic 3: a decimal digit, as the regex's \d was
    ("1h\u2003", 3600.0),  # any Unicode space around a part
]


@pytest.mark.parametrize(("text", "seconds"), ACCEPTED, ids=[a[0] for a in ACCEPTED])
def test_accepted(text: str, seconds: float) -> None:
    assert parse_duration(text) == seconds


REFUSED = [
    "",
    "  ",
    "5x",
    "m5",
    "-5m",
    "5 minutes",
    "1.h",
    ".5h",
    "1h 30",
    "30 5m",
    "1..5h",
    "1ſ",  # U+017F matched [s] under IGNORECASE, then _UNITS['ſ'] raised KeyError
    "1s  " * 18 + "x",  # the /mute argument of issue #9 (42-55 s in the regex)
    "9" * 5000 + "s",  # infinite
]


@pytest.mark.parametrize("bad", REFUSED, ids=range(len(REFUSED)))
def test_refused_with_a_value_error(bad: str) -> None:
    with pytest.raises(ValueError, match="duration") as caught:
        parse_duration(bad)
    assert len(str(caught.value)) < 120  # quotes an excerpt, never the whole input


def test_huge_numbers_are_refused_not_overflowing() -> None:
    with pytest.raises(ValueError, match="positive number"):
        parse_duration(10**400)


# The grammar as the regular expressions that parse_duration used to be (exponential on
# long hostile input, fine on the short strings drawn below): the scanner must agree.
_WHOLE = re.compile(r"(?:\s*\d+(?:\.\d+)?\s*[smhdwSMHDW]\s*)+")
_PART = re.compile(r"(\d+(?:\.\d+)?)\s*([smhdwSMHDW])")
_BARE = re.compile(r"\s*\d+(?:\.\d+)?\s*")
_UNITS = {"s": 1.0, "m": 60.0, "h": 3600.0, "d": 86400.0, "w": 604800.0}


def _reference(value: str) -> float | None:
    if _WHOLE.fullmatch(value.strip()):
        return sum(float(n) * _UNITS[u.lower()] for n, u in _PART.findall(value))
    if _BARE.fullmatch(value):
        return float(value)
    return None


@given(st.text(alphabet="0123456789.smhdwSMHDWx \t\u0663\u2003-", max_size=14))
def test_agrees_with_the_reference_grammar(value: str) -> None:
    expected = _reference(value)
    if expected is None:
        with pytest.raises(ValueError):
            parse_duration(value)
    else:
        assert parse_duration(value) == pytest.approx(expected)
