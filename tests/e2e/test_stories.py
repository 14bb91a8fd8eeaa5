"""One story, one alert, for real: local feeds of three outlets -> the bot -> the fake Bot API.

A chat gets one message per story; later outlets edit it ("Also reported by: ..."); an edit of
a message the user deleted sends nothing; a later report that matches a rule the first did not
is a new alert; ``/stories off`` gives one alert per report; and an edit owed when the bot is
SIGKILLed is made after the restart, once, with no second message.
"""

from __future__ import annotations

import asyncio
import os
import signal
import time
from collections.abc import Sequence
from datetime import UTC, datetime
from email.utils import format_datetime
from pathlib import Path

import pytest

from bot.devtools.fakebotapi import FakeBotAPI
from bot.store import Store
from tests.e2e.harness import TOKEN, Bot, polls, servers, settings_for
from tests.e2e.test_crash import bot_process
from tests.feed.server import FeedServer
from tests.waiting import wait_until

RULES = """
feeds:
  - {{id: daily, name: Daily World, url: "{daily}", interval: 1s}}
  - {{id: gazette, name: Evening Gazette, url: "{gazette}", interval: 1s}}
  - {{id: post, name: Morning Post, url: "{post}", interval: 1s}}
rules:
  - {{id: parade, title: Beijing parade, query: 'parade AND Beijing'}}
  - {{id: kim, title: Kim Jong Un, query: '"Kim Jong Un"'}}
"""

OUTLETS = {"/daily": "Daily World", "/gazette": "Evening Gazette", "/post": "Morning Post"}
Item = tuple[str, str, str, str]  # guid, link, title, description

CALM: list[Item] = [("calm", "https://calm.example/1", "Weather", "Sunny.")]
# The same event as each outlet headlines it (different links: the clusterer joins them).
FIRST: Item = (
    "dw-1",
    "https://dailyworld.example/putin-parade",
    "Putin to attend Beijing military parade",
    "Russian President Vladimir Putin will attend China's Victory Day military parade in "
    "Beijing next week, the Kremlin said.",
)
SECOND: Item = (
    "eg-1",
    "https://gazette.example/world/putin-beijing-parade",
    "Putin will attend Beijing's military parade, Kremlin says",
    "Vladimir Putin will travel to Beijing for next week's Victory Day military parade, "
    "the Kremlin said on Tuesday.",
)
# A third outlet's report under the first one's link (the same canonical link is the same
# story whatever the wording): it names Kim Jong Un, which the first report did not.
THIRD: Item = (
    "mp-1",
    FIRST[1],
    "Kim Jong Un joins Putin at Beijing parade",
    "North Korea's Kim Jong Un will stand beside Putin and Xi at the parade in Beijing.",
)


def rss(items: Sequence[Item], title: str) -> bytes:
    now = format_datetime(datetime.now(UTC))
    body = "".join(
        f"<item><guid>{guid}</guid><title>{t}</title><link>{link}</link>"
        f"<description>{d}</description><pubDate>{now}</pubDate></item>"
        for guid, link, t, d in items
    )
    return (
        f'<?xml version="1.0" encoding="UTF-8"?><rss version="2.0"><channel><title>{title}'
        f"</title><link>https://local.example/</link>{body}</channel></rss>"
    ).encode()


def outlets(feeds: FeedServer, tmp_path: Path) -> Path:
    """Three outlets with nothing to report yet, and the rules file that polls them."""
    for path, name in OUTLETS.items():
        feeds.body(path, rss(CALM, name))
    rules = tmp_path / "rules.yaml"
    rules.write_text(RULES.format(**{path[1:]: feeds.url(path) for path in OUTLETS}))
    return rules


async def chats(db_url: str, subscriptions: dict[int, list[str]]) -> None:
    async with Store.open(db_url) as store:
        for chat_id, rules in subscriptions.items():
            await store.chats.ensure(chat_id, "private", None, time.time())
            for rule in rules:
                await store.chats.subscribe(chat_id, rule, None, time.time())


async def settled(db_url: str) -> bool:
    """Nothing owed: every outbox row sent or given up."""
    async with Store.open(db_url) as store:
        counts = await store.outbox.counts()
    return not (counts.get("pending", 0) or counts.get("sending", 0))


def texts(api: FakeBotAPI, chat: int) -> list[str]:
    return [m.plain_text for m in api.sent_to(chat)]


def edits(api: FakeBotAPI, chat: int) -> list[str]:
    return [m.plain_text for m in api.edits if str(m.chat_id) == str(chat)]


async def test_later_outlets_edit_the_alert_instead_of_repeating_it(
    db_url: str, tmp_path: Path
) -> None:
    grouped, deleted, two_rules, per_report = 111, 222, 333, 444
    async with servers() as (feeds, api):
        rules = outlets(feeds, tmp_path)
        await chats(
            db_url,
            {grouped: ["parade"], deleted: ["parade"], two_rules: ["parade", "kim"]},
        )
        async with Bot(settings_for(api, db_url, rules)):
            api.push_message(per_report, "/subscribe parade", from_user_id=per_report)
            api.push_message(per_report, "/stories off", from_user_id=per_report)
            await api.wait_for(lambda a: len(a.sent_to(per_report)) >= 2, timeout=15)
            assert "Stories off" in texts(api, per_report)[1]
            for feed in ("daily", "gazette", "post"):
                await wait_until(lambda f=feed: polls(db_url, f), what=f"first poll of {feed}")

            feeds.body("/daily", rss([FIRST, *CALM], "Daily World"))
            everyone = (grouped, deleted, two_rules, per_report)
            await api.wait_for(
                lambda a: all(any("Putin" in t for t in texts(a, c)) for c in everyone),
                timeout=15,
            )
            first_id = api.sent_to(deleted)[0].message_id
            api.delete_message(deleted, first_id)  # the user deleted the alert

            feeds.body("/gazette", rss([SECOND, *CALM], "Evening Gazette"))
            await api.wait_for(
                lambda a: (
                    any("Also reported by: Evening Gazette" in t for t in edits(a, grouped))
                    and len(a.sent_to(per_report)) >= 4
                ),
                timeout=15,
            )
            await wait_until(lambda: settled(db_url), what="the edits settled")
            assert len(api.sent_to(grouped)) == 1
            assert edits(api, deleted) == [] and len(api.sent_to(deleted)) == 1
            assert "Evening Gazette" in texts(api, per_report)[3]  # its own alert when off

            feeds.body("/post", rss([THIRD, *CALM], "Morning Post"))
            await api.wait_for(
                lambda a: (
                    any("Evening Gazette, Morning Post" in t for t in edits(a, grouped))
                    and len(a.sent_to(two_rules)) >= 2
                ),
                timeout=15,
            )
            await wait_until(lambda: settled(db_url), what="the third report settled")
            seen = await polls(db_url, "post")
            await wait_until(lambda: _polled(db_url, "post", seen + 2), what="two more polls")

    # one message per story; the edits carry the outlets, linked, in the order they came
    assert len(api.sent_to(grouped)) == 1
    last = [m for m in api.edits if str(m.chat_id) == str(grouped)][-1]
    assert last.message_id == api.sent_to(grouped)[0].message_id
    assert "Also reported by: Evening Gazette, Morning Post" in last.plain_text
    assert 'href="https://gazette.example/world/putin-beijing-parade"' in last.text
    # the deleted message: nothing was sent in its place
    assert len(api.sent_to(deleted)) == 1 and edits(api, deleted) == []
    # Kim Jong Un was news to the chat that follows him: a new alert for the same story
    assert "Kim Jong Un" in texts(api, two_rules)[1]
    # stories off: one alert per report, none for a link it already had
    alerts = [t for t in texts(api, per_report) if "Putin" in t]
    assert len(alerts) == 2, alerts


async def _polled(db_url: str, feed: str, count: int) -> bool:
    return await polls(db_url, feed) >= count


@pytest.mark.slow
async def test_an_edit_owed_at_a_sigkill_is_made_once_after_the_restart(tmp_path: Path) -> None:
    db_url = f"sqlite:///{tmp_path}/newsbot.db"
    log = tmp_path / "bot.log"
    async with servers() as (feeds, api):
        rules = outlets(feeds, tmp_path)
        await chats(db_url, {111: ["parade"]})
        env = os.environ | {
            "TELEGRAM_BOT_TOKEN": TOKEN,
            "TELEGRAM_API_URL": api.url,
            "NEWSBOT_DATABASE_URL": db_url,
            "NEWSBOT_RULES": str(rules),
            "NEWSBOT_SENDER_LEASE": "2",
        }
        with bot_process(env, log) as first:
            for feed in ("daily", "gazette", "post"):
                await wait_until(lambda f=feed: polls(db_url, f), within=20, what=feed)
            feeds.body("/daily", rss([FIRST, *CALM], "Daily World"))
            await api.wait_for(lambda a: len(a.sent_to(111)) == 1, timeout=15)
            # the edit is recorded, then its request is lost on the way: kill the bot mid-edit
            api.fail_next("editMessageText", kind="hang", delay=60)
            feeds.body("/post", rss([THIRD, *CALM], "Morning Post"))
            await api.wait_for(
                lambda a: any(c.method == "editMessageText" for c in a.calls), timeout=15
            )
            first.send_signal(signal.SIGKILL)
            await asyncio.to_thread(first.wait, 10)
        assert edits(api, 111) == []

        with bot_process(env, log) as second:
            await api.wait_for(lambda a: len(edits(a, 111)) >= 1, timeout=30)
            await wait_until(lambda: settled(db_url), within=15, what="the edit settled")
            second.send_signal(signal.SIGTERM)
            await asyncio.to_thread(second.wait, 30)
            assert second.returncode == 0, log.read_text()[-3000:]

    assert len(api.sent_to(111)) == 1  # no second message
    assert len(edits(api, 111)) == 1  # the edit made once
    assert "Also reported by: Morning Post" in edits(api, 111)[0]
    assert TOKEN.split(":")[1] not in log.read_text()
