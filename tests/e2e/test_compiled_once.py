"""Issue 12, item 13, through the real bot: the rules file is compiled once per reload, in a
worker thread, and the chat commands match with that compiled set; /test compiles nothing
(it compiled the whole file again after every reload, on the event loop: 0.31 s at 10,000
rules) and a /watch is checked by parsing its query alone (nothing built; a bad one is never
stored), then compiled once, with every watch (it was compiled to check it, then again).

Compiling is counted where every compile starts, the query parser ``bot.match.compile``
calls for each rule; the thread it runs in is recorded too."""

from __future__ import annotations

import threading
from pathlib import Path

import pytest

from bot.devtools.fakebotapi import FakeBotAPI
from bot.match import compile as compile_module
from bot.match.nodes import Node
from tests.e2e.harness import Bot, rss, servers, settings_for
from tests.waiting import wait_until

USER = 4242
RULES = """
feeds:
  - {{id: local, url: "{url}", interval: 60s}}
rules:
  - {{id: parade, query: 'parade AND Beijing'}}
"""
MANY = 300  # rules after the reload


async def ask(api: FakeBotAPI, text: str) -> str:
    before = len(api.sent_to(USER))
    api.push_message(USER, text, from_user_id=USER)
    await api.wait_for(lambda a: len(a.sent_to(USER)) > before, timeout=15)
    return api.sent_to(USER)[-1].plain_text


async def test_rules_compiled_once_per_reload_and_shared_with_test_and_watch(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    parsed: list[tuple[str, bool]] = []  # (query, on the event loop's thread)
    real = compile_module.parse

    def counting(query: str, entities: object = None) -> Node:
        parsed.append((query, threading.current_thread() is threading.main_thread()))
        return real(query, entities)  # type: ignore[arg-type]

    monkeypatch.setattr(compile_module, "parse", counting)
    builds: list[int] = []  # rules in each rule set built, after the reload
    real_build = compile_module._build

    def counting_build(parsed_rules: list[tuple[object, Node]]) -> object:
        builds.append(len(parsed_rules))
        return real_build(parsed_rules)  # type: ignore[arg-type]

    monkeypatch.setattr(compile_module, "_build", counting_build)
    async with servers() as (feeds, api):
        feeds.body("/news", rss([("a", "Weather", "Sunny.")]), etag='"1"')
        rules = tmp_path / "rules.yaml"
        rules.write_text(RULES.format(url=feeds.url("/news")))
        async with Bot(settings_for(api, f"sqlite:///{tmp_path}/bot.db", rules)):
            assert "1 match" in await ask(api, "/test Beijing parade")

            many = "".join(
                f"  - {{id: r{n}, query: 'topic{n} AND (alpha OR beta)'}}\n" for n in range(MANY)
            )
            rules.write_text(RULES.format(url=feeds.url("/news")) + many)

            async def reloaded() -> bool:
                return "(r7)" in await ask(api, "/test topic7 alpha")

            await wait_until(reloaded, within=30, every=0.5, what="the reload")
            reload = [q for q, _ in parsed if q.startswith("topic")]
            assert len(reload) == MANY  # each rule's query compiled once
            assert not any(main for q, main in parsed if q.startswith("topic"))  # in a thread

            parsed.clear()
            builds.clear()
            for n in range(10):
                reply = await ask(api, f"/test topic{n} beta and a parade in Beijing")
                assert f"(r{n})" in reply and "(parade)" in reply, reply
            assert parsed == [] and builds == []  # /test compiled nothing

            assert "Watch 1 added" in await ask(api, "/watch bank AND fraud")
            # checked (parsed only, on the loop: at most 500 characters) before it is stored,
            # then compiled once, off the event loop, with every watch
            assert parsed == [("bank AND fraud", True), ("bank AND fraud", False)]
            assert builds == [1]  # one rule set built: the watches
            parsed.clear()
            assert "watch 1 bank AND fraud" in await ask(api, "/test bank fraud")
            assert parsed == []

            reply = await ask(api, "/watch bank AND (fraud")
            assert "column 10" in reply and "unclosed '('" in reply, reply
            assert parsed[-1] == ("bank AND (fraud", True)  # refused before it was stored
            assert "1. bank AND fraud" in (listed := await ask(api, "/list")), listed
            assert "(fraud" not in listed
