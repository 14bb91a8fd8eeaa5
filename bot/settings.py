"""Settings: one frozen object, read from the environment once and validated.

| variable                      | default                      |
|-------------------------------|------------------------------|
| TELEGRAM_BOT_TOKEN            | (unset: alerts go to stdout) |
| TELEGRAM_API_URL              | https://api.telegram.org     |
| NEWSBOT_RULES                 | rules/default.yaml           |
| NEWSBOT_DATABASE_URL          | sqlite:///state/newsbot.db   |
| NEWSBOT_ADMINS                | (none) comma-separated ids   |
| NEWSBOT_ALLOW_PRIVATE_FEEDS   | 0                            |
| NEWSBOT_ANYONE_CAN_ADD_FEEDS  | 0                            |
| NEWSBOT_FLOOD_THRESHOLD       | 5                            |
| NEWSBOT_SENDER_LEASE          | 60 (seconds)                 |
| NEWSBOT_FAILING_STREAK        | 5                            |
| NEWSBOT_MAX_WATCHES           | 20 per chat                  |
| NEWSBOT_MAX_QUERY_LENGTH      | 500 characters               |
| NEWSBOT_DB_CONNECT_TIMEOUT    | 10 (seconds)                 |
| NEWSBOT_FAST_PARSER           | 1 (0: feedparser only)       |
| NEWSBOT_AUTO_UPGRADE          | 1 (0: refuse an old schema)  |
| NEWSBOT_RETENTION             | 30d (off: keep everything)   |
"""

from __future__ import annotations

import os
from collections.abc import Mapping
from dataclasses import dataclass, field, replace
from typing import Any

from bot.config.durations import format_duration, parse_duration
from bot.errors import ConfigError

DEFAULT_API_URL = "https://api.telegram.org"
DEFAULT_DATABASE_URL = "sqlite:///state/newsbot.db"
DEFAULT_RULES = "rules/default.yaml"
DEFAULT_RETENTION = 30 * 86400.0  # seconds of history kept (bot.store.retention)


def _flag(value: str | None) -> bool:
    return (value or "").strip().lower() in {"1", "true", "yes", "on"}


def _duration(env: Mapping[str, str], name: str, default: float) -> float:
    raw = env.get(name, "").strip()
    if not raw:
        return default
    try:
        seconds = parse_duration(raw if not raw.isdigit() else int(raw))
    except ValueError as exc:
        raise ConfigError(f"{name}: {exc}") from exc
    if seconds <= 0:
        raise ConfigError(f"{name}: expected a duration above zero such as 48h, got {raw!r}")
    return seconds


RETENTION_OFF = frozenset({"off", "0", "none", "never"})


def _retention(env: Mapping[str, str], story_window: float) -> float | None:
    """How long history is kept (None: forever). It must outlive the story window: a story's
    reports and its ledger are what later reports of the same event join."""
    raw = env.get("NEWSBOT_RETENTION", "").strip()
    if raw.lower() in RETENTION_OFF:
        return None
    seconds = _duration(env, "NEWSBOT_RETENTION", DEFAULT_RETENTION)
    if seconds <= story_window:
        raise ConfigError(
            f"NEWSBOT_RETENTION: {format_duration(seconds)} is not longer than the story window"
            f" (NEWSBOT_STORY_WINDOW, {format_duration(story_window)}): a story's reports must"
            " be kept while later reports can join it; set a longer retention, or off"
        )
    return seconds


def _int(env: Mapping[str, str], name: str, default: int) -> int:
    raw = env.get(name, "").strip()
    if not raw:
        return default
    try:
        return int(raw)
    except ValueError as exc:
        raise ConfigError(f"{name}: expected a whole number, got {raw!r}") from exc


@dataclass(frozen=True, slots=True)
class Settings:
    token: str | None = field(default=None, repr=False)
    api_url: str = DEFAULT_API_URL
    rules_path: str = DEFAULT_RULES
    database_url: str = DEFAULT_DATABASE_URL
    admins: frozenset[int] = frozenset()
    allow_private_feeds: bool = False
    anyone_can_add_feeds: bool = False
    flood_threshold: int = 5
    sender_lease: float = 60.0  # seconds a claimed alert stays leased (longer than one send)
    failing_streak: int = 5  # consecutive poll failures before admins are told
    max_watches: int = 20  # personal /watch queries per chat
    max_query_length: int = 500  # characters in one /watch query
    fast_parser: bool = True  # the parser pool's fast path (bot.feed._fast); 0 turns it off
    db_connect_timeout: float = 10.0  # seconds to reach a PostgreSQL server
    stories: bool = True  # group reports of one event into one alert (bot.story)
    story_window: float = 48 * 3600.0  # seconds: reports further apart are never one story
    auto_upgrade: bool = True  # upgrade an older database schema at start (0: refuse instead)
    retention: float | None = DEFAULT_RETENTION  # seconds of history kept; None: forever
    user_agent: str = "newsbot/0.1 (+https://github.com/newsbot; feed alert bot)"

    def __repr__(self) -> str:
        token = "<redacted>" if self.token else None
        return (
            f"Settings(token={token!r}, api_url={self.api_url!r}, rules_path={self.rules_path!r},"
            f" database_url={redact_url(self.database_url)!r}, admins={sorted(self.admins)!r})"
        )

    @classmethod
    def from_env(cls, env: Mapping[str, str] | None = None, **overrides: Any) -> Settings:
        env = os.environ if env is None else env
        admins: set[int] = set()
        for part in env.get("NEWSBOT_ADMINS", "").replace(" ", "").split(","):
            if not part:
                continue
            try:
                admins.add(int(part))
            except ValueError as exc:
                raise ConfigError(
                    f"NEWSBOT_ADMINS: {part!r} is not a Telegram user id (a whole number)"
                ) from exc
        story_window = _duration(env, "NEWSBOT_STORY_WINDOW", 48 * 3600.0)
        api_url = env.get("TELEGRAM_API_URL", "").strip() or DEFAULT_API_URL
        if not api_url.startswith(("http://", "https://")):
            raise ConfigError(f"TELEGRAM_API_URL: expected an http(s) URL, got {api_url!r}")
        settings = cls(
            token=env.get("TELEGRAM_BOT_TOKEN", "").strip() or None,
            api_url=api_url.rstrip("/"),
            rules_path=env.get("NEWSBOT_RULES", "").strip() or DEFAULT_RULES,
            database_url=env.get("NEWSBOT_DATABASE_URL", "").strip() or DEFAULT_DATABASE_URL,
            admins=frozenset(admins),
            allow_private_feeds=_flag(env.get("NEWSBOT_ALLOW_PRIVATE_FEEDS")),
            anyone_can_add_feeds=_flag(env.get("NEWSBOT_ANYONE_CAN_ADD_FEEDS")),
            flood_threshold=_int(env, "NEWSBOT_FLOOD_THRESHOLD", 5),
            sender_lease=float(_int(env, "NEWSBOT_SENDER_LEASE", 60)),
            failing_streak=max(1, _int(env, "NEWSBOT_FAILING_STREAK", 5)),
            max_watches=max(0, _int(env, "NEWSBOT_MAX_WATCHES", 20)),
            max_query_length=max(10, _int(env, "NEWSBOT_MAX_QUERY_LENGTH", 500)),
            fast_parser=_flag(env.get("NEWSBOT_FAST_PARSER", "1")),
            db_connect_timeout=float(max(1, _int(env, "NEWSBOT_DB_CONNECT_TIMEOUT", 10))),
            stories=_flag(env.get("NEWSBOT_STORIES", "1")),
            story_window=story_window,
            auto_upgrade=_flag(env.get("NEWSBOT_AUTO_UPGRADE", "1")),
            retention=_retention(env, story_window),
        )
        return replace(settings, **overrides) if overrides else settings


def redact_url(url: str) -> str:
    """Hide a password in a database URL."""
    if "@" in url and "://" in url:
        scheme, rest = url.split("://", 1)
        creds, host = rest.rsplit("@", 1)
        user = creds.split(":", 1)[0]
        return f"{scheme}://{user}:***@{host}" if ":" in creds else url
    return url
