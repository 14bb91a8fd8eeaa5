"""Settings from the environment: defaults, parsing, clear errors, the token never shown."""

from __future__ import annotations

import pytest

from bot.errors import ConfigError
from bot.settings import Settings, redact_url


def test_defaults_are_the_embedded_offline_setup() -> None:
    s = Settings.from_env({})
    assert s.token is None and s.api_url == "https://api.telegram.org"
    assert s.database_url == "sqlite:///state/newsbot.db" and s.rules_path == "rules/default.yaml"
    assert (s.flood_threshold, s.max_watches, s.max_query_length) == (5, 20, 500)


def test_values_are_read() -> None:
    s = Settings.from_env(
        {
            "TELEGRAM_BOT_TOKEN": "123:secret",
            "TELEGRAM_API_URL": "http://127.0.0.1:8081/",
            "NEWSBOT_ADMINS": "1, 2,3",
            "NEWSBOT_ALLOW_PRIVATE_FEEDS": "yes",
            "NEWSBOT_MAX_WATCHES": "3",
        }
    )
    assert s.api_url == "http://127.0.0.1:8081" and s.admins == {1, 2, 3}
    assert s.allow_private_feeds and s.max_watches == 3


@pytest.mark.parametrize(
    ("env", "message"),
    [
        ({"NEWSBOT_ADMINS": "alice"}, "NEWSBOT_ADMINS"),
        ({"TELEGRAM_API_URL": "ftp://x"}, "TELEGRAM_API_URL"),
        ({"NEWSBOT_FLOOD_THRESHOLD": "many"}, "NEWSBOT_FLOOD_THRESHOLD"),
    ],
)
def test_bad_values_say_which_variable(env: dict[str, str], message: str) -> None:
    with pytest.raises(ConfigError, match=message):
        Settings.from_env(env)


@pytest.mark.parametrize(
    ("env", "retention"),
    [
        ({}, 30 * 86400.0),
        ({"NEWSBOT_RETENTION": "90d"}, 90 * 86400.0),
        ({"NEWSBOT_RETENTION": "off"}, None),
        ({"NEWSBOT_RETENTION": "0"}, None),
        ({"NEWSBOT_RETENTION": "20", "NEWSBOT_STORY_WINDOW": "5s"}, 20.0),  # seconds: tests
    ],
    ids=["default", "days", "off", "zero", "seconds"],
)
def test_retention_is_a_duration_or_off(env: dict[str, str], retention: float | None) -> None:
    assert Settings.from_env(env).retention == retention


@pytest.mark.parametrize(
    ("env", "message"),
    [
        (
            {"NEWSBOT_RETENTION": "2d"},
            r"2d is not longer than the story window \(NEWSBOT_STORY_WINDOW, 2d\)",
        ),
        ({"NEWSBOT_RETENTION": "30d", "NEWSBOT_STORY_WINDOW": "31d"}, r"30d is not longer"),
        ({"NEWSBOT_RETENTION": "a month"}, r"NEWSBOT_RETENTION: expected a duration"),
        ({"NEWSBOT_RETENTION": "-5d"}, r"NEWSBOT_RETENTION: expected a duration"),
    ],
    ids=["window", "longer-window", "words", "negative"],
)
def test_a_retention_that_cannot_work_is_refused(env: dict[str, str], message: str) -> None:
    with pytest.raises(ConfigError, match=message):
        Settings.from_env(env)


def test_the_token_never_appears_in_repr() -> None:
    s = Settings.from_env({"TELEGRAM_BOT_TOKEN": "123:very-secret"})
    assert "very-secret" not in repr(s) and "<redacted>" in repr(s)
    assert redact_url("postgresql://bot:pw@db/x") == "postgresql://bot:***@db/x"
