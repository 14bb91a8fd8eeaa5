"""Several ``newsbot run`` on one PostgreSQL database (issue 11): one sender and one getUpdates
consumer among them, each alert once, and the roles move when an instance stops."""

from __future__ import annotations

from pathlib import Path

from tests.conftest import _empty
from tests.e2e.harness import Bot, polls, rss, servers, settings_for
from tests.e2e.test_alert_path import NEW, OLD, RULES, subscribe
from tests.waiting import wait_until

CHATS = [111, 112, -100333]
LATER = [("new-3", "Second Beijing parade rehearsal announced", "More troops.")]


async def test_two_instances_share_one_sender_and_one_update_consumer(
    postgres_url: str, tmp_path: Path
) -> None:
    await _empty(postgres_url)
    async with servers() as (feeds, api):
        feeds.body("/news", rss(OLD), etag='"v1"')
        rules = tmp_path / "rules.yaml"
        rules.write_text(RULES.format(good=feeds.url("/news"), extra=""))
        settings = settings_for(api, postgres_url, rules)
        await subscribe(postgres_url, {chat: ["parade"] for chat in CHATS})

        first = Bot(settings)
        async with first, Bot(settings):
            # a command is answered once, by whichever instance consumes getUpdates
            api.push_message(555, "/subscribe parade", from_user_id=555)
            await api.wait_for(lambda a: len(a.sent_to(555)) >= 1, timeout=30)
            # both have seen the feed once (the first sight alerts no one)
            await wait_until(lambda: _polled(postgres_url, 2), what="a first poll by each")
            feeds.body("/news", rss(NEW + OLD), etag='"v2"')
            for chat in [*CHATS, 555]:
                await api.wait_for(
                    lambda a, c=chat: any("Putin" in m.plain_text for m in a.sent_to(c)),
                    timeout=30,
                )
            # both instances poll: give them several rounds to send anything twice (waited on
            # the feed server: api.wait_for re-checks only on Bot API requests, so it would
            # notice these polls only when a getUpdates long poll ended)
            polled = len(feeds.requests)
            await feeds.wait_for(lambda: len(feeds.requests) >= polled + 6, within=30)
            for chat in [*CHATS, 555]:
                alerts = [m for m in api.sent_to(chat) if "Putin" in m.plain_text]
                assert len(alerts) == 1, f"chat {chat} got {len(alerts)} alerts"
            assert len(api.sent_to(555)) == 2  # the reply and the alert: nothing answered twice
            assert api.update_conflicts == 0  # never two getUpdates at once

            # the first instance stops: the other takes over whatever roles it held
            first.stop.set()
            assert first.task is not None
            await first.task
            feeds.body("/news", rss(LATER + NEW + OLD), etag='"v3"')
            for chat in CHATS:
                await api.wait_for(
                    lambda a, c=chat: any("rehearsal" in m.plain_text for m in a.sent_to(c)),
                    timeout=30,
                )
            api.push_message(556, "/subscribe parade", from_user_id=556)
            await api.wait_for(lambda a: len(a.sent_to(556)) >= 1, timeout=30)
            # at most the long poll the stopped instance abandoned, ended by its successor's
            assert api.update_conflicts <= 1
            handover = api.update_conflicts
        for chat in CHATS:
            assert len([m for m in api.sent_to(chat) if "rehearsal" in m.plain_text]) == 1
        # the last instance's stop: at most its own long poll, begun just before (not surely at
        # the Bot API: bot.chat.updates.SURELY_SENT), ended by the call confirming its updates
        assert api.update_conflicts <= handover + 1


async def _polled(url: str, times: int) -> bool:
    return await polls(url, "local") >= times
