"""Durations as operators write them: ``30s``, ``5m``, ``1h``, ``2d``, ``1h30m``, or seconds.

Grammar (case-insensitive units, whitespace allowed around every part)::

    duration := number                 bare seconds: "90", "1.5"
              | (number unit)+         summed: "1h30m", "1h 30m", "1.5h"
    number   := digit+ ("." digit+)?   decimal digits, as ``str.isdecimal``
    unit     := s | m | h | d | w

A plain left-to-right scanner reads it: every character is looked at once, so parsing is
linear in the input whatever it holds (a backtracking regex for the same language took
tens of seconds on 73 characters, issue #9).
"""

from __future__ import annotations

import math

_UNITS = {"s": 1.0, "m": 60.0, "h": 3600.0, "d": 86400.0, "w": 604800.0}
_UNIT_CHARS = {**_UNITS, **{unit.upper(): size for unit, size in _UNITS.items()}}


def _short(value: object) -> str:
    """``repr(value)``, at most 40 characters of it (the value may be hostile chat input)."""
    shown = repr(value)
    return shown if len(shown) <= 40 else shown[:40] + "…"


def _reason(value: object) -> ValueError:
    return ValueError(f"expected a duration such as 30s, 5m or 1h, got {_short(value)}")


def _scan(text: str) -> float | None:
    """Seconds spelled by ``text`` (see the grammar above), or None if it is not a duration."""
    n = len(text)
    i = 0
    total = 0.0
    parts = 0
    while True:
        while i < n and text[i].isspace():
            i += 1
        if i == n:
            return total if parts else None
        start = i
        while i < n and text[i].isdecimal():
            i += 1
        if i == start:
            return None
        if i < n and text[i] == ".":
            fraction = i + 1
            i = fraction
            while i < n and text[i].isdecimal():
                i += 1
            if i == fraction:
                return None
        number = float(text[start:i])
        while i < n and text[i].isspace():
            i += 1
        if i < n and text[i] in _UNIT_CHARS:
            total += number * _UNIT_CHARS[text[i]]
            parts += 1
            i += 1
        elif i == n and parts == 0:
            return number  # bare seconds
        else:
            return None


def parse_duration(value: object) -> float:
    """Seconds in ``value``; raises ``ValueError`` with a readable reason."""
    if isinstance(value, bool):
        raise _reason(value)
    if isinstance(value, int | float):
        try:
            seconds = float(value)
        except OverflowError:
            seconds = math.inf
    elif isinstance(value, str):
        scanned = _scan(value)
        if scanned is None:
            raise _reason(value)
        seconds = scanned
    else:
        raise _reason(value)
    if not math.isfinite(seconds) or seconds < 0:
        raise ValueError(f"duration must be a positive number of seconds, got {_short(value)}")
    return seconds


def format_duration(seconds: float) -> str:
    """The shortest exact spelling: 300 -> '5m', 5400 -> '1h30m'."""
    if seconds == math.inf:
        return "all"
    whole = round(seconds)
    if whole == 0:
        return f"{seconds:g}s"
    parts = []
    for unit, size in (("d", 86400), ("h", 3600), ("m", 60), ("s", 1)):
        if whole >= size:
            parts.append(f"{whole // size}{unit}")
            whole %= size
    return "".join(parts)
