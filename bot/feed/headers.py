"""Pure readings of HTTP response headers: freshness (max-age / Expires) and Retry-After."""

from __future__ import annotations

import re
from collections.abc import Mapping
from datetime import UTC, datetime
from email.utils import parsedate_to_datetime

_MAX_AGE = re.compile(r"(?:^|,)\s*(?:s-maxage|max-age)\s*=\s*\"?(\d+)", re.IGNORECASE)
_NO_CACHE = re.compile(r"(?:^|,)\s*(?:no-cache|no-store)\b", re.IGNORECASE)


def http_date(value: str | None) -> datetime | None:
    """An HTTP-date as an aware UTC datetime, or None when absent or malformed."""
    if not value:
        return None
    try:
        parsed = parsedate_to_datetime(value.strip())
    except (TypeError, ValueError, IndexError):
        return None
    if parsed.tzinfo is None:
        parsed = parsed.replace(tzinfo=UTC)
    return parsed.astimezone(UTC)


def freshness(headers: Mapping[str, str], now: datetime) -> float | None:
    """Seconds the response stays fresh: Cache-Control max-age, else Expires - Date.

    ``no-cache``/``no-store`` and absent headers give None (no hint). Keys are lower-case.
    """
    cache_control = headers.get("cache-control", "")
    if _NO_CACHE.search(cache_control):
        return None
    # s-maxage and max-age both count; take the plain max-age when both are present.
    ages = {
        m.group(0).split("=")[0].strip(" ,").lower(): int(m.group(1))
        for m in _MAX_AGE.finditer(cache_control)
    }
    if "max-age" in ages:
        return float(ages["max-age"])
    if ages:
        return float(next(iter(ages.values())))
    expires = http_date(headers.get("expires"))
    if expires is None:
        return None
    base = http_date(headers.get("date")) or now
    return max(0.0, (expires - base).total_seconds())


def retry_after(value: str | None, now: datetime) -> float | None:
    """Retry-After as seconds from ``now``: delta-seconds or an HTTP-date; None if unusable."""
    if not value:
        return None
    value = value.strip()
    if value.isdigit():
        return float(value)
    when = http_date(value)
    if when is None:
        return None
    return max(0.0, (when - now).total_seconds())
