"""/addfeed and admin notices through the real bot: local feed server, fake Telegram, SQLite."""

from __future__ import annotations

from pathlib import Path

from bot.store import Store
from tests.e2e.harness import Bot, rss, servers, settings_for
from tests.waiting import wait_until

ADMIN = 4242
RULES = """
feeds:
  - {{id: local, url: "{url}", interval: 1s}}
rules:
  - {{id: parade, query: 'parade AND Beijing'}}
"""


async def test_addfeed_checks_the_url_and_guards_private_addresses(tmp_path: Path) -> None:
    db_url = f"sqlite:///{tmp_path}/bot.db"
    async with servers() as (feeds, api):
        feeds.body("/news", rss([("a", "Weather", "Sunny.")]), etag='"1"')
        feeds.body("/other", rss([("b", "Other", "News.")], title="Other Feed"), etag='"1"')
        feeds.body("/page", b"<html><body>not a feed</body></html>")
        rules = tmp_path / "rules.yaml"
        rules.write_text(RULES.format(url=feeds.url("/news")))

        # the default: chat-added URLs may not reach this machine (SSRF guard)
        settings = settings_for(api, db_url, rules, admins=frozenset({ADMIN}))
        async with Bot(settings):
            before = len(feeds.connections)
            api.push_message(ADMIN, f"/addfeed {feeds.url('/other')}", from_user_id=ADMIN)
            # "Checking …" at once, then the answer when the check is done
            await api.wait_for(lambda a: len(a.sent_to(ADMIN)) >= 2, timeout=15)
            assert api.sent_to(ADMIN)[0].plain_text.startswith("Checking")
            reply = api.sent_to(ADMIN)[-1].plain_text
            assert "loopback" in reply.lower(), reply
            # the refused URL was never connected to (only the bot's own rules-file polls were)
            assert not any(r.path == "/other" for r in feeds.requests)
            assert len(feeds.connections) >= before

        # an operator who allows private feeds: the URL is checked, then saved and polled
        settings = settings_for(
            api, db_url, rules, admins=frozenset({ADMIN}), allow_private_feeds=True
        )
        async with Bot(settings):
            sent = len(api.sent_to(ADMIN))
            api.push_message(ADMIN, f"/addfeed {feeds.url('/page')}", from_user_id=ADMIN)
            await api.wait_for(lambda a: len(a.sent_to(ADMIN)) > sent + 1, timeout=15)
            assert "feed" in api.sent_to(ADMIN)[-1].plain_text.lower()
            sent = len(api.sent_to(ADMIN))
            api.push_message(ADMIN, f"/addfeed {feeds.url('/other')} 2m", from_user_id=ADMIN)
            await api.wait_for(lambda a: len(a.sent_to(ADMIN)) > sent + 1, timeout=15)
            async with Store.open(db_url) as store:
                added = [f for f in await store.feeds.all() if f.source == "chat"]
            assert [f.spec.url for f in added] == [feeds.url("/other")]
            assert added[0].spec.interval == 120 and added[0].spec.trusted is False
            await wait_until(
                lambda: sum(r.path == "/other" for r in feeds.requests) >= 2, what="new feed polled"
            )


async def test_admins_are_told_once_when_a_feed_fails_and_once_when_it_recovers(
    tmp_path: Path,
) -> None:
    db_url = f"sqlite:///{tmp_path}/bot.db"
    async with servers() as (feeds, api):
        feeds.status("/news", 503)
        rules = tmp_path / "rules.yaml"
        rules.write_text(RULES.format(url=feeds.url("/news")))
        settings = settings_for(api, db_url, rules, admins=frozenset({ADMIN}), failing_streak=2)
        async with Bot(settings):
            await api.wait_for(
                lambda a: any("failed 2 times" in m.plain_text for m in a.sent_to(ADMIN)),
                timeout=20,
            )
            feeds.body("/news", rss([("a", "Weather", "Sunny.")]), etag='"1"')
            await api.wait_for(
                lambda a: any("working again" in m.plain_text for m in a.sent_to(ADMIN)), timeout=30
            )
        notices = [m.plain_text for m in api.sent_to(ADMIN)]
        assert sum("failed" in n for n in notices) == 1
        assert sum("working again" in n for n in notices) == 1
