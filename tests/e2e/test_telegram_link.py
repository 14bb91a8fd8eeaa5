"""The Bot API as a daemon meets it: unreachable at start, a token rejected at start or for a
while mid-run (issue #9, items 3, 4 and 6). The real bot, a local feed server, the fake Bot API.
"""

from __future__ import annotations

import asyncio
import logging
import os
import socket
import sys
import time
from pathlib import Path

import pytest

from bot.devtools.fakebotapi import FakeBotAPI
from bot.errors import ConfigError
from tests.e2e.harness import TOKEN, Bot, rss, servers, settings_for
from tests.feed.server import FeedServer
from tests.waiting import wait_until

ROOT = Path(__file__).resolve().parents[2]
ADMIN = 900
CHAT = -100444

RULES = """
feeds:
  - {{id: local, name: Local News, url: "{url}", interval: 1s}}
rules:
  - {{id: parade, title: Beijing parade, query: 'parade', chats: [{chat}]}}
"""
OLD = [("old-1", "Weather", "Sunny.")]
NEW = [("new-1", "Beijing parade begins", "Troops march.")]


def free_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return int(sock.getsockname()[1])


async def test_unreachable_bot_api_at_start_polls_feeds_and_delivers_when_it_comes_back(
    tmp_path: Path, caplog: pytest.LogCaptureFixture
) -> None:
    caplog.set_level(logging.INFO)
    port = free_port()  # nothing listens here yet
    async with FeedServer() as feeds:
        feeds.body("/news", rss(OLD), etag='"v1"')
        rules = tmp_path / "rules.yaml"
        rules.write_text(RULES.format(url=feeds.url("/news"), chat=CHAT))
        db_url = f"sqlite:///{tmp_path}/bot.db"
        api = FakeBotAPI(token=TOKEN, port=port)
        settings = settings_for(api, db_url, rules)
        assert settings.api_url == f"http://127.0.0.1:{port}"
        async with Bot(settings) as bot:
            await wait_until(lambda: feeds.paths().count("/news") >= 1, what="the first poll")
            feeds.body("/news", rss(NEW + OLD), etag='"v2"')
            await wait_until(lambda: _pending(db_url), what="the alert recorded in the outbox")
            assert bot.task is not None and not bot.task.done()  # still running
            async with api:  # the Bot API comes up
                await api.wait_for(lambda a: len(a.sent_to(CHAT)) == 1, timeout=45)
                api.push_message(555, "/help", from_user_id=555)
                await api.wait_for(lambda a: len(a.sent_to(555)) == 1, timeout=45)
                assert "Beijing parade begins" in api.sent_to(CHAT)[0].plain_text
    warnings = [r.getMessage() for r in caplog.records if "unreachable" in r.getMessage()]
    assert 1 <= len(warnings) <= 2, warnings  # one per state change (link, sender), not per try
    assert not [r for r in caplog.records if r.exc_info], "no tracebacks"


async def _pending(db_url: str) -> bool:
    from bot.store import Store

    async with Store.open(db_url) as store:
        return (await store.outbox.counts()).get("pending", 0) >= 1


async def test_a_token_rejected_for_a_while_mid_run_is_retried_and_admins_told_once(
    tmp_path: Path, caplog: pytest.LogCaptureFixture
) -> None:
    async with servers() as (feeds, api):
        feeds.body("/news", rss(OLD))
        rules = tmp_path / "rules.yaml"
        rules.write_text(RULES.format(url=feeds.url("/news"), chat=CHAT))
        settings = settings_for(
            api, f"sqlite:///{tmp_path}/bot.db", rules, admins=frozenset({ADMIN})
        )
        async with Bot(settings):
            api.push_message(555, "/help", from_user_id=555)
            await api.wait_for(lambda a: len(a.sent_to(555)) == 1, timeout=15)
            api.reject_token = True
            count = len(api.rejected)
            api.push_message(556, "/help", from_user_id=556)  # ends the long poll under way
            await api.wait_for(lambda a: len(a.rejected) >= count + 3, timeout=30)
            api.reject_token = False
            api.push_message(555, "/help", from_user_id=555)
            await api.wait_for(lambda a: len(a.sent_to(555)) == 2, timeout=45)
            await api.wait_for(lambda a: len(a.sent_to(ADMIN)) >= 1, timeout=15)
        notices = [m.plain_text for m in api.sent_to(ADMIN)]
        assert len(notices) == 1 and "rejected the bot token" in notices[0], notices
    assert TOKEN.split(":")[1] not in caplog.text


async def test_a_token_rejected_at_start_ends_the_run_with_its_reason(tmp_path: Path) -> None:
    async with FakeBotAPI(token="999:other") as api:
        rules = tmp_path / "rules.yaml"
        rules.write_text("feeds: []\nrules: []\n")
        settings = settings_for(api, f"sqlite:///{tmp_path}/bot.db", rules)
        bot = Bot(settings)
        await bot.__aenter__()
        assert bot.task is not None
        with pytest.raises(ConfigError, match="rejected the bot token"):
            await asyncio.wait_for(bot.task, timeout=30)


@pytest.mark.parametrize(
    ("path", "expected"),
    [("", "Telegram rejected the bot token (Unauthorized from"), ("/nowhere", "404 Not Found")],
    ids=["401", "404-wrong-api-url"],
)
async def test_a_rejected_token_is_one_clear_line_on_stderr_and_never_the_token(
    tmp_path: Path, path: str, expected: str
) -> None:
    secret = "987654:SECRET-never-printed"
    async with FakeBotAPI(token="111:other") as api:
        rules = tmp_path / "rules.yaml"
        rules.write_text("feeds: []\nrules: []\n")
        env = {
            **os.environ,
            "TELEGRAM_BOT_TOKEN": secret,
            "TELEGRAM_API_URL": api.url + path,
            "NEWSBOT_DATABASE_URL": f"sqlite:///{tmp_path}/bot.db",
            "NEWSBOT_RULES": str(rules),
            "PTB_TIMEDELTA": "1",
        }
        started = time.monotonic()
        proc = await asyncio.create_subprocess_exec(
            sys.executable,
            "-m",
            "bot",
            "run",
            cwd=ROOT,
            env=env,
            stdout=asyncio.subprocess.PIPE,
            stderr=asyncio.subprocess.PIPE,
        )
        _, err = await asyncio.wait_for(proc.communicate(), timeout=60)
    text = err.decode()
    assert proc.returncode == 2, text
    assert "SECRET" not in text and "987654" not in text, text
    assert "Traceback" not in text, text
    last = text.strip().splitlines()[-1]
    assert last.startswith("newsbot: ") and expected in last, text
    assert time.monotonic() - started < 60


async def test_429s_across_chats_reach_the_admins_of_the_real_bot(tmp_path: Path) -> None:
    """Issue 9, item 9, wired: the running bot gives its admin notices to the sender, so a
    bot-wide 429 hold is told to the admins when it begins and when it is over."""
    chats = [-100501, -100502, -100503]
    rules_text = RULES.replace("chats: [{chat}]", "chats: {chats}")
    async with servers() as (feeds, api):
        feeds.body("/news", rss(OLD))
        rules = tmp_path / "rules.yaml"
        rules.write_text(rules_text.format(url=feeds.url("/news"), chats=chats))
        settings = settings_for(
            api, f"sqlite:///{tmp_path}/bot.db", rules, admins=frozenset({ADMIN})
        )
        async with Bot(settings):
            await wait_until(lambda: feeds.paths().count("/news") >= 1, what="the first poll")
            api.fail_next(kind="429", times=3, retry_after=2)
            feeds.body("/news", rss(NEW + OLD))
            await api.wait_for(lambda a: all(len(a.sent_to(c)) == 1 for c in chats), timeout=45)
            await api.wait_for(lambda a: len(a.sent_to(ADMIN)) >= 2, timeout=15)
        notices = [m.plain_text for m in api.sent_to(ADMIN)]
    assert "flood control" in notices[0] and "Every chat is held" in notices[0], notices
    assert "over" in notices[1], notices
