"""When a chat wants its alerts: pure decisions about holding and retrying (``now`` passed in).

- ``/digest hourly``: alerts are held until the next full hour (chat's timezone), then sent as one
  digest message; ``daily``: until the next 09:00 local time.
- ``/quiet 23:00-07:00``: alerts arriving inside the window are held until it ends.
- Retries after 5xx, network errors or no answer back off exponentially with jitter, capped.
"""

from __future__ import annotations

import random
import re
from datetime import datetime, time, timedelta
from zoneinfo import ZoneInfo, ZoneInfoNotFoundError

from bot.models import ChatPrefs, DigestMode

DAILY_AT = time(9, 0)
_QUIET = re.compile(r"^([01]?\d|2[0-3]):([0-5]\d)-([01]?\d|2[0-3]):([0-5]\d)$")


def zone(name: str) -> ZoneInfo:
    try:
        return ZoneInfo(name)
    except (ZoneInfoNotFoundError, ValueError):
        return ZoneInfo("UTC")


def parse_quiet(value: str) -> tuple[time, time] | None:
    """``"23:00-07:00"`` -> (23:00, 07:00); None if malformed."""
    m = _QUIET.match(value.strip())
    if not m:
        return None
    return time(int(m.group(1)), int(m.group(2))), time(int(m.group(3)), int(m.group(4)))


def quiet_end(window: tuple[time, time], local: datetime) -> datetime | None:
    """The end of the quiet window containing ``local``, or None when outside it."""
    start, end = window
    if start == end:
        return None
    today_start = local.replace(hour=start.hour, minute=start.minute, second=0, microsecond=0)
    today_end = local.replace(hour=end.hour, minute=end.minute, second=0, microsecond=0)
    if start < end:
        return today_end if today_start <= local < today_end else None
    # the window crosses midnight
    if local >= today_start:
        return today_end + timedelta(days=1)
    if local < today_end:
        return today_end
    return None


def hold_until(prefs: ChatPrefs, now: float) -> float | None:
    """Epoch seconds until which a fresh alert for this chat waits, or None to send now."""
    tz = zone(prefs.timezone)
    local = datetime.fromtimestamp(now, tz)
    candidates: list[datetime] = []
    if prefs.digest == DigestMode.HOURLY:
        candidates.append(local.replace(minute=0, second=0, microsecond=0) + timedelta(hours=1))
    elif prefs.digest == DigestMode.DAILY:
        at = local.replace(hour=DAILY_AT.hour, minute=DAILY_AT.minute, second=0, microsecond=0)
        candidates.append(at if at > local else at + timedelta(days=1))
    if prefs.quiet:
        window = parse_quiet(prefs.quiet)
        end = quiet_end(window, local) if window else None
        if end is not None:
            candidates.append(end)
    return max(candidates).timestamp() if candidates else None


def backoff(attempts: int, rng: random.Random, base: float = 2.0, cap: float = 300.0) -> float:
    """Seconds before retry number ``attempts`` (1-based): jitter over the upper half of
    ``base * 2^(n-1)``, capped at ``cap``, never under ``base / 4``."""
    ceiling = min(cap, base * (2 ** max(0, attempts - 1)))
    return max(base / 4, rng.uniform(ceiling / 2, ceiling))
