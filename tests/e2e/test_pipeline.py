"""One poll at a time, with real parts: a local feed server, aiohttp, the parser pool, the store."""

from __future__ import annotations

import time
from collections.abc import AsyncIterator
from dataclasses import dataclass, field
from pathlib import Path

import pytest

from bot.config import parse_rules
from bot.feed.fetch import Fetcher, FetchLimits, make_session
from bot.feed.parse import ParserPool
from bot.match import compile_rules
from bot.pipeline import Pipeline, Rules
from bot.store import Store
from tests.e2e.harness import rss
from tests.feed.server import FeedServer

STORY = ("s1", "Putin and Kim join Xi at Beijing parade", "Heads of state attend.")
OTHER = ("o1", "Markets", "Flat.")


def make_rules(url: str, backfill: str | None = None) -> Rules:
    extra = f", backfill: {backfill}" if backfill else ""
    config = parse_rules(
        f"""
feeds:
  - {{id: local, url: "{url}", interval: 60s{extra}}}
rules:
  - {{id: parade, query: 'parade AND Beijing'}}
"""
    )
    return Rules(config, compile_rules(config.rules, config.entities))


@dataclass
class World:
    server: FeedServer
    store: Store
    pipeline: Pipeline
    told: list[str] = field(default_factory=list)
    woken: list[int] = field(default_factory=list)

    async def due_chats(self) -> list[int]:
        return [d.chat_id for d in await self.store.outbox.due(time.time() + 1)]


@pytest.fixture
async def world(db_url: str) -> AsyncIterator[World]:
    async with FeedServer() as server, Store.open(db_url) as store, ParserPool(workers=1) as pool:
        session = make_session("newsbot-test")
        try:
            fetcher = Fetcher(session, FetchLimits(deadline=5))
            pipeline = Pipeline(
                store, fetcher, pool, make_rules(server.url("/feed")), failing_streak=3
            )
            w = World(server, store, pipeline)
            pipeline.on_alerts = lambda: w.woken.append(1)

            async def tell(text: str) -> None:
                w.told.append(text)

            pipeline.notify_admins = tell
            await store.feeds.sync_from_rules(pipeline.rules.config.feeds, time.time())
            await pipeline.load_states()
            await store.chats.ensure(7, "private", None, time.time())
            await store.chats.subscribe(7, "parade", None, time.time())
            yield w
        finally:
            await session.close()


async def test_first_poll_is_silent_later_polls_alert(world: World) -> None:
    world.server.body("/feed", rss([STORY]), etag='"1"')
    first = await world.pipeline.poll("local")
    assert (first.ok, first.new, first.alerts) == (True, 1, 0)
    world.server.body(
        "/feed", rss([("s2", "Beijing parade: the guest list", "26 leaders."), STORY]), etag='"2"'
    )
    second = await world.pipeline.poll("local")
    assert (second.new, second.alerts) == (1, 1)
    assert await world.due_chats() == [7] and world.woken == [1]


async def test_backfill_alerts_on_first_poll(world: World) -> None:
    world.pipeline.set_rules(make_rules(world.server.url("/feed"), backfill="all"))
    world.server.body("/feed", rss([STORY, OTHER]), etag='"1"')
    report = await world.pipeline.poll("local")
    assert (report.new, report.alerts) == (2, 1)


async def test_not_modified_costs_no_parse_and_sends_validators(world: World) -> None:
    world.server.body(
        "/feed", rss([STORY]), etag='"v1"', last_modified="Wed, 03 Sep 2025 01:00:00 GMT"
    )
    await world.pipeline.poll("local")
    report = await world.pipeline.poll("local")
    assert report.not_modified
    last = world.server.requests[-1].headers
    assert last.get("If-None-Match") == '"v1"'
    assert last.get("If-Modified-Since") == "Wed, 03 Sep 2025 01:00:00 GMT"
    await world.pipeline.flush()
    state = await world.store.feeds.get("local")
    assert state is not None and state.polls == 2 and state.not_modified == 1


async def test_guid_churn_does_not_alert(world: World) -> None:
    world.server.body("/feed", rss([OTHER]), etag='"1"')
    await world.pipeline.poll("local")
    world.server.body("/feed", rss([STORY]), etag='"2"')
    assert (await world.pipeline.poll("local")).alerts == 1
    # the feed re-issues the same story (same link) under a new guid
    churned = rss([STORY]).replace(b"<guid>s1</guid>", b"<guid>s1-reissued</guid>")
    world.server.body("/feed", churned, etag='"3"')
    assert (await world.pipeline.poll("local")).alerts == 0


async def test_flood_becomes_five_alerts_and_a_digest(world: World) -> None:
    world.server.body("/feed", rss([OTHER]), etag='"1"')
    await world.pipeline.poll("local")
    burst = [(f"b{i}", f"Beijing parade update {i}", "Live.") for i in range(12)]
    world.server.body("/feed", rss(burst), etag='"2"')
    report = await world.pipeline.poll("local")
    assert (report.new, report.alerts) == (12, 6)


async def test_failing_feed_tells_admins_once_each_way(world: World) -> None:
    world.server.status("/feed", 503)
    reports = [await world.pipeline.poll("local") for _ in range(5)]
    assert all(not r.ok for r in reports) and "503" in (reports[0].error or "")
    assert len(world.told) == 1 and "failed 3 times" in world.told[0]
    await world.pipeline.flush()
    state = await world.store.feeds.get("local")
    assert state is not None and state.failures == 5 and state.next_poll is not None
    assert state.next_poll > time.time()  # backs off, keeps trying
    world.server.body("/feed", rss([OTHER]), etag='"1"')
    assert (await world.pipeline.poll("local")).ok
    assert (await world.pipeline.poll("local")).ok
    assert len(world.told) == 2 and "working again" in world.told[1]


async def test_retry_after_is_honoured(world: World) -> None:
    world.server.status("/feed", 429, headers={"Retry-After": "7200"})
    report = await world.pipeline.poll("local")
    assert report.next_poll is not None and report.next_poll - time.time() > 7000


async def test_permanent_redirect_is_followed_then_adopted(world: World) -> None:
    world.server.body("/new", rss([OTHER]), etag='"1"')
    world.server.redirect("/feed", "/new", status=301)
    for _ in range(3):
        assert (await world.pipeline.poll("local")).ok
    await world.pipeline.flush()
    state = await world.store.feeds.get("local")
    assert state is not None and state.fetch_url == world.server.url("/new")
    before = len(world.server.requests)
    await world.pipeline.poll("local")
    assert [r.path for r in world.server.requests[before:]] == ["/new"]


async def test_temporary_redirect_is_never_adopted(world: World) -> None:
    world.server.body("/new", rss([OTHER]), etag='"1"')
    world.server.redirect("/feed", "/new", status=302)
    for _ in range(4):
        assert (await world.pipeline.poll("local")).ok
    await world.pipeline.flush()
    state = await world.store.feeds.get("local")
    assert state is not None and state.moved_to is None


async def test_hot_reload_swaps_rules_and_keeps_them_on_error(tmp_path: Path) -> None:
    from bot.app import open_app
    from bot.settings import Settings

    rules = tmp_path / "rules.yaml"
    rules.write_text(
        "feeds:\n  - {id: a, url: 'http://127.0.0.1:9/'}\nrules:\n  - {id: r1, query: parade}\n"
    )
    settings = Settings(rules_path=str(rules), database_url=f"sqlite:///{tmp_path}/db.sqlite")
    async with open_app(settings) as app:
        told: list[str] = []

        async def tell(text: str) -> None:
            told.append(text)

        app.notify_admins = tell  # type: ignore[method-assign]
        rules.write_text(
            "feeds:\n  - {id: a, url: 'http://127.0.0.1:9/'}\n"
            "rules:\n  - {id: r2, query: Beijing}\n"
        )
        await app.check_rules()
        assert [r.id for r in app.pipeline.rules.config.rules] == ["r2"]
        rules.write_text("feeds: []\nrules:\n  - {id: r3, query: '(parade'}\n")
        await app.check_rules()
        assert [r.id for r in app.pipeline.rules.config.rules] == ["r2"]
        assert len(told) == 1 and "rules.yaml:3:" in told[0] and "r3" in told[0]


async def test_routing_follows_every_rules_reload(world: World) -> None:
    """Issue 12, item 14: the routing table is rebuilt for each new rules object (it was keyed
    on id(), which CPython reuses once the old object is freed)."""
    pipeline = world.pipeline
    for n in range(20):
        config = parse_rules(
            f'feeds: [{{id: local, url: "http://x/{n}"}}]\n'
            f"rules: [{{id: r{n}, title: Title {n}, query: 'parade'}}]\n"
        )
        ruleset = compile_rules(config.rules, config.entities)
        pipeline.rules = None  # type: ignore[assignment]  # the old rules are freed here ...
        pipeline.set_rules(Rules(config, ruleset))  # ... and this one may take their address
        assert pipeline.routing().rule_titles == {f"r{n}": f"Title {n}"}


async def test_watches_compile_as_one_set_leaving_out_one_that_does_not(world: World) -> None:
    """Issue 12, items 13 and 15: every watch compiled once, together; a watch that does not
    compile (an entity the rules file no longer has) is left out, found by the rule id its
    ``Problem`` carries (each query used to be compiled again on its own to find it)."""
    chats, now = world.store.chats, time.time()
    await chats.ensure(8, "private", None, now)
    good = await chats.add_watch(8, None, "parade", now)
    bad = await chats.add_watch(8, None, "Beijing OR @gone", now)
    broken = await world.pipeline.refresh_watches()
    assert list(broken) == [bad]
    problem = broken[bad]
    assert (problem.pos, problem.rule_id, problem.offset) == (None, f"watch:{bad}", 11)
    assert problem.message.startswith("unknown entity '@gone'")
    watches = world.pipeline.watches
    assert watches.ruleset is not None and watches.ruleset.rule_ids == (f"watch:{good}",)
    assert dict(watches.titles) == {f"watch:{good}": "watch: parade"}
    assert not await world.pipeline.refresh_watches_if_changed()
