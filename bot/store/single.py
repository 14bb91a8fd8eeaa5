"""SQLite serves one ``newsbot run`` at a time: the run holds a lock file beside the database.

Two processes on one SQLite file would each poll every feed and each send at Telegram's full
rate; several instances need PostgreSQL (README, "Running several instances").  The lock is
an ``flock`` on ``<database>.lock``, which the kernel releases however the process ends
(``kill -9`` included), so a crashed run never blocks the next one.  The file holds the
holder's pid, for the message.  Other commands (``feeds``, ``opml``, ``db``...) do not take
it: they are short and safe beside a running bot.
"""

from __future__ import annotations

import contextlib
import fcntl
import os
from collections.abc import Iterator
from pathlib import Path

from bot.errors import ConfigError

from .db import async_url

_PREFIX = "sqlite+aiosqlite:///"


def sqlite_file(url: str) -> Path | None:
    """The database file of a SQLite URL, or None (PostgreSQL, in-memory SQLite)."""
    full = async_url(url)
    if not full.startswith(_PREFIX):
        return None
    path = full[len(_PREFIX) :].split("?", 1)[0]
    if not path or path == ":memory:":
        return None
    return Path(path)


def _lock_file(database: Path) -> Path:
    return database.with_name(database.name + ".lock")


@contextlib.contextmanager
def single_instance(url: str) -> Iterator[None]:
    """Hold the run lock of a SQLite database for the duration; ``ConfigError`` at once when
    another process holds it.  Nothing to hold for PostgreSQL."""
    path = sqlite_file(url)
    if path is None:
        yield
        return
    path.parent.mkdir(parents=True, exist_ok=True)
    lock = _lock_file(path)
    fd = os.open(lock, os.O_RDWR | os.O_CREAT, 0o644)
    try:
        try:
            fcntl.flock(fd, fcntl.LOCK_EX | fcntl.LOCK_NB)
        except BlockingIOError:
            holder = os.pread(fd, 32, 0).decode("ascii", "replace").strip() or "unknown"
            raise ConfigError(
                f"another newsbot (pid {holder}) is already running on {path}; SQLite serves "
                "one instance at a time. To run several, use PostgreSQL "
                "(NEWSBOT_DATABASE_URL=postgresql://..., README: Running several instances)"
            ) from None
        os.ftruncate(fd, 0)
        os.pwrite(fd, f"{os.getpid()}\n".encode(), 0)
        yield
    finally:
        os.close(fd)  # releases the lock


def run_lock_holder(url: str) -> int | None:
    """The pid of the ``newsbot run`` holding a SQLite database, or None (not running)."""
    path = sqlite_file(url)
    if path is None:
        return None
    try:
        fd = os.open(_lock_file(path), os.O_RDONLY)
    except FileNotFoundError:
        return None
    try:
        try:
            fcntl.flock(fd, fcntl.LOCK_SH | fcntl.LOCK_NB)
        except BlockingIOError:
            text = os.pread(fd, 32, 0).decode("ascii", "replace").strip()
            return int(text) if text.isdigit() else -1
        return None
    finally:
        os.close(fd)
