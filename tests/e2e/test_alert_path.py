"""The whole path, for real: local feed server -> bot -> fake Telegram, on SQLite and PostgreSQL."""

from __future__ import annotations

import logging
import time
from pathlib import Path

import pytest

from bot.store import Store
from tests.e2e.harness import TOKEN, Bot, polls, rss, servers, settings_for
from tests.waiting import wait_until

RULES = """
feeds:
  - {{id: local, name: Local News, url: "{good}", interval: 1s}}
{extra}
rules:
  - {{id: parade, title: Beijing parade, query: 'parade AND Beijing'}}
  - {{id: storms, title: Storms, query: 'typhoon'}}
"""

OLD = [
    ("old-1", "Rehearsal for the Beijing parade", "Troops rehearse."),
    ("old-2", "Weather", "Sunny."),
]
NEW = [
    ("new-1", "Putin and Kim join Xi at Beijing parade", "Twenty-six heads of state attend."),
    ("new-2", "Markets", "Flat."),
]


async def subscribe(db_url: str, chats: dict[int, list[str]]) -> None:
    async with Store.open(db_url) as store:
        for chat_id, rules in chats.items():
            await store.chats.ensure(
                chat_id, "private" if chat_id > 0 else "supergroup", None, time.time()
            )
            for rule in rules:
                await store.chats.subscribe(chat_id, rule, None, time.time())


async def test_new_match_reaches_subscribed_chats_once_and_restart_repeats_nothing(
    db_url: str, tmp_path: Path, caplog: pytest.LogCaptureFixture
) -> None:
    caplog.set_level(logging.DEBUG)
    async with servers() as (feeds, api):
        feeds.body("/news", rss(OLD), etag='"v1"')
        rules = tmp_path / "rules.yaml"
        rules.write_text(RULES.format(good=feeds.url("/news"), extra=""))
        settings = settings_for(api, db_url, rules)
        await subscribe(
            db_url, {111: ["parade"], -100333: ["parade", "storms"], 222: ["storms"], 444: []}
        )

        async with Bot(settings):
            # a real chat subscribes through Telegram, too
            api.push_message(555, "/subscribe parade", from_user_id=555)
            await api.wait_for(lambda a: len(a.sent_to(555)) >= 1, timeout=15)
            await wait_until(lambda: polls(db_url, "local"), what="first poll")
            assert api.sent_to(111) == []  # no flood on first sight: the old parade item is silent

            feeds.body("/news", rss(NEW + OLD), etag='"v2"')
            for chat in (111, -100333, 555):
                await api.wait_for(
                    lambda a, c=chat: any("Putin" in m.plain_text for m in a.sent_to(c)), timeout=15
                )
            seen = await polls(db_url, "local")
            await wait_until(lambda: _more(db_url, seen + 2), what="two more polls")

        for chat in (111, -100333, 555):
            alerts = [m for m in api.sent_to(chat) if "Putin" in m.plain_text]
            assert len(alerts) == 1, f"chat {chat} got {len(alerts)} alerts"
            assert alerts[0].parse_mode == "HTML"
            assert "Beijing parade" in alerts[0].plain_text  # the rule that matched is named
        assert api.sent_to(222) == [] and api.sent_to(444) == []

        # restart on the same store: nothing is alerted again
        before = len(api.sent)
        async with Bot(settings):
            seen = await polls(db_url, "local")
            await wait_until(lambda: _more(db_url, seen + 2), what="polls after restart")
        assert len(api.sent) == before
    assert TOKEN not in caplog.text and TOKEN.split(":")[1] not in caplog.text


async def _more(db_url: str, count: int) -> bool:
    return await polls(db_url, "local") >= count


async def test_broken_feeds_do_not_stop_the_others(db_url: str, tmp_path: Path) -> None:
    async with servers() as (feeds, api):
        feeds.body("/news", rss(OLD), etag='"v1"')
        feeds.status("/down", 500)
        feeds.body("/junk", b"\x00\xff not a feed <<<", etag='"j"')
        extra = "\n".join(
            f'  - {{id: {fid}, url: "{feeds.url(path)}", interval: 1s}}'
            for fid, path in (("down", "/down"), ("junk", "/junk"), ("nowhere", "/missing"))
        )
        rules = tmp_path / "rules.yaml"
        rules.write_text(RULES.format(good=feeds.url("/news"), extra=extra))
        await subscribe(db_url, {111: ["parade"]})
        async with Bot(settings_for(api, db_url, rules)):
            await wait_until(lambda: polls(db_url, "local"), what="first poll")
            feeds.body("/news", rss(NEW + OLD), etag='"v2"')
            await api.wait_for(
                lambda a: any("Putin" in m.plain_text for m in a.sent_to(111)), timeout=15
            )
        async with Store.open(db_url) as store:
            states = {f.spec.id: f for f in await store.feeds.all()}
        assert states["down"].failures >= 1 and "500" in (states["down"].last_error or "")
        assert states["nowhere"].failures >= 1
        assert states["local"].failures == 0
