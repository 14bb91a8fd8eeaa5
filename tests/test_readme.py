"""The README stays true: its settings table is what ``Settings`` reads (issue 12, item 8)."""

from __future__ import annotations

import re
from pathlib import Path

from bot.settings import Settings

ROOT = Path(__file__).resolve().parents[1]


def readme_settings() -> dict[str, str]:
    """``{variable: default}`` from the README's Configuration table."""
    text = (ROOT / "README.md").read_text()
    section = text.split("## Configuration", 1)[1].split("\n## ", 1)[0]
    rows = re.findall(r"^\| `([A-Z_]+)` \| ([^|]+) \|", section, re.MULTILINE)
    return {name: default.strip().strip("`") for name, default in rows}


def settings_variables() -> set[str]:
    source = (ROOT / "bot" / "settings.py").read_text()
    names = set(re.findall(r'env(?:\.get\(|, )"((?:NEWSBOT|TELEGRAM)_[A-Z_]+)"', source))
    names |= set(re.findall(r'_\w+\(env, "((?:NEWSBOT|TELEGRAM)_[A-Z_]+)"', source))
    return names | {"NEWSBOT_PURE_PYTHON"}  # read by bot/match/_build.py and setup.py


def test_the_readme_lists_every_setting_and_only_those() -> None:
    assert set(readme_settings()) == settings_variables()


def test_the_readme_defaults_are_the_settings_defaults() -> None:
    defaults = Settings.from_env({})
    shown = readme_settings()
    expected = {
        "NEWSBOT_RULES": defaults.rules_path,
        "NEWSBOT_DATABASE_URL": defaults.database_url,
        "TELEGRAM_API_URL": defaults.api_url,
        "NEWSBOT_FLOOD_THRESHOLD": str(defaults.flood_threshold),
        "NEWSBOT_SENDER_LEASE": f"{defaults.sender_lease:g}",
        "NEWSBOT_MAX_WATCHES": str(defaults.max_watches),
        "NEWSBOT_MAX_QUERY_LENGTH": str(defaults.max_query_length),
        "NEWSBOT_FAILING_STREAK": str(defaults.failing_streak),
        "NEWSBOT_DB_CONNECT_TIMEOUT": f"{defaults.db_connect_timeout:g}",
        "NEWSBOT_STORY_WINDOW": f"{defaults.story_window / 3600:g}h",
        "NEWSBOT_STORIES": str(int(defaults.stories)),
        "NEWSBOT_RETENTION": f"{(defaults.retention or 0) / 86400:g}d",
        "NEWSBOT_AUTO_UPGRADE": str(int(defaults.auto_upgrade)),
        "NEWSBOT_FAST_PARSER": str(int(defaults.fast_parser)),
        "NEWSBOT_ALLOW_PRIVATE_FEEDS": str(int(defaults.allow_private_feeds)),
        "NEWSBOT_ANYONE_CAN_ADD_FEEDS": str(int(defaults.anyone_can_add_feeds)),
    }
    assert {k: shown[k] for k in expected} == expected
