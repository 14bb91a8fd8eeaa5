"""Durations as operators write them: ``30s``, ``5m``, ``1h``, ``2d``, ``1h30m``, or seconds."""

from __future__ import annotations

import math
import re

_UNITS = {"s": 1.0, "m": 60.0, "h": 3600.0, "d": 86400.0, "w": 604800.0}
_PART = re.compile(r"(\d+(?:\.\d+)?)\s*([smhdw])", re.IGNORECASE)
_WHOLE = re.compile(r"(?:\s*\d+(?:\.\d+)?\s*[smhdw]\s*)+", re.IGNORECASE)


def parse_duration(value: object) -> float:
    """Seconds in ``value``; raises ``ValueError`` with a readable reason."""
    if isinstance(value, bool):
        raise ValueError(f"expected a duration such as 30s, 5m or 1h, got {value!r}")
    if isinstance(value, int | float):
        seconds = float(value)
    elif isinstance(value, str) and _WHOLE.fullmatch(value.strip()):
        seconds = sum(float(n) * _UNITS[u.lower()] for n, u in _PART.findall(value))
    elif isinstance(value, str) and re.fullmatch(r"\s*\d+(?:\.\d+)?\s*", value):
        seconds = float(value)
    else:
        raise ValueError(f"expected a duration such as 30s, 5m or 1h, got {value!r}")
    if not math.isfinite(seconds) or seconds < 0:
        raise ValueError(f"duration must be a positive number of seconds, got {value!r}")
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
