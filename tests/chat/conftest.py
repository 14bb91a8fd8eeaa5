"""Real python-telegram-bot polling the fake Bot API, with the chat handlers and a SQLite store."""

from __future__ import annotations

import asyncio
from collections.abc import AsyncIterator, Mapping
from dataclasses import dataclass, field, replace
from pathlib import Path

import pytest
from telegram.ext import Application, ApplicationBuilder

from bot.chat import ChatServices, RulesView, install
from bot.chat.ordering import ChatOrderedProcessor
from bot.chat.services import Status
from bot.chat.updates import UpdatePoller
from bot.devtools.fakebotapi import FakeBotAPI, SentMessage
from bot.errors import NewsbotError
from bot.match import compile_rules
from bot.models import Problem, RuleSpec
from bot.pipeline import Watches, compile_watches
from bot.settings import Settings
from bot.store import Store

TOKEN = "123:ABC"
OPERATOR = 900  # in NEWSBOT_ADMINS
ADMIN = 501  # a group administrator
MEMBER = 502  # a plain group member
USER = 42  # a private chat's user (chat id == user id)
GROUP = -100123  # supergroup
BASIC_GROUP = -4242
CHANNEL = -100777
FORUM = -100555
NOW = 1_700_000_000.0

_RULES = (
    RuleSpec("outages", "outage OR downtime", title="Outages"),
    RuleSpec("breach", '"data breach"', title="Data <breaches> & leaks"),
    RuleSpec("acme", "@acme"),
)
_ENTITIES = {"acme": ("Acme Corp", "ACME")}
RULES = RulesView(rules=_RULES, entities=_ENTITIES, ruleset=compile_rules(_RULES, _ENTITIES))


@dataclass
class Harness:
    api: FakeBotAPI
    store: Store
    services: ChatServices
    app: Application  # type: ignore[type-arg]
    watch_changes: int = 0
    watches: Watches = field(default_factory=Watches)  # compiled as the pipeline compiles them
    added: list[tuple[str, float | None, int]] = field(default_factory=list)
    removed: list[str] = field(default_factory=list)
    now: float = NOW

    async def send(
        self,
        chat_id: int,
        text: str,
        from_user_id: int | None = None,
        *,
        replies: int = 1,
        **kwargs: object,
    ) -> SentMessage:
        """Push a message and return the last of the ``replies`` messages it gets back."""
        before = len(self.api.sent_to(chat_id))
        self.api.push_message(chat_id, text, from_user_id=from_user_id, **kwargs)  # type: ignore[arg-type]
        await self.api.wait_for(lambda api: len(api.sent_to(chat_id)) >= before + replies, 5)
        return self.api.sent_to(chat_id)[-1]

    async def ignored(self, chat_id: int, text: str, from_user_id: int | None = None) -> None:
        """Push a message that must get no reply: a /help after it is the only answer."""
        before = len(self.api.sent_to(chat_id))
        self.api.push_message(chat_id, text, from_user_id=from_user_id)
        reply = await self.send(chat_id, "/help", from_user_id)
        assert len(self.api.sent_to(chat_id)) == before + 1, self.api.sent_to(chat_id)[before:]
        assert "Commands" in reply.plain_text


@pytest.fixture(autouse=True)
def _ptb_timedelta(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("PTB_TIMEDELTA", "1")


# what /status reports in these tests (a delivery state in angle brackets shows the escaping)
STATUS = Status(
    uptime=3725.5,
    rules=2,
    watches=1,
    feeds=3,
    failing=1,
    outbox={"pending": 4, "<odd> & state": 1},
    sent=5,
    retried=2,
)


def make_services(store: Store, harness_box: list[Harness], **overrides: object) -> ChatServices:
    async def watches_changed() -> Mapping[int, Problem]:
        harness = harness_box[0]
        harness.watch_changes += 1
        harness.watches = compile_watches(await store.chats.watches(), RULES.entities)
        return harness.watches.broken

    def rules() -> RulesView:
        return replace(RULES, watches=harness_box[0].watches.ruleset)

    async def add_feed(url: str, interval: float | None, user_id: int) -> str:
        if "10.0.0.1" in url:
            raise NewsbotError("the address 10.0.0.1 <private> is not allowed")
        harness_box[0].added.append((url, interval, user_id))
        return "example-com"

    async def remove_feed(feed_id: str) -> bool:
        harness_box[0].removed.append(feed_id)
        return feed_id == "example-com"

    async def status() -> Status:
        return STATUS

    values: dict[str, object] = {
        "store": store,
        "settings": Settings(admins=frozenset({OPERATOR})),
        "rules": rules,
        "watches_changed": watches_changed,
        "add_feed": add_feed,
        "remove_feed": remove_feed,
        "status": status,
        "clock": lambda: harness_box[0].now,
        "max_watches": 3,
        "max_query_length": 60,
    }
    values.update(overrides)
    return ChatServices(**values)  # type: ignore[arg-type]


@pytest.fixture
def service_overrides() -> dict[str, object]:
    return {}


@pytest.fixture
async def bot(tmp_path: Path, service_overrides: dict[str, object]) -> AsyncIterator[Harness]:
    async with FakeBotAPI(token=TOKEN) as api, Store.open(f"sqlite:///{tmp_path}/t.db") as store:
        box: list[Harness] = []
        services = make_services(store, box, **service_overrides)
        # built as bot.app builds it: no Updater (our UpdatePoller), chats handled concurrently
        app = (
            ApplicationBuilder()
            .token(TOKEN)
            .base_url(f"{api.url}/bot")
            .updater(None)
            .concurrent_updates(ChatOrderedProcessor())
            .build()
        )
        install(app, services)
        box.append(Harness(api, store, services, app))
        await app.initialize()
        await app.start()
        stop = asyncio.Event()
        # retries after a failed getUpdates at most 0.5 s apart (not up to 30 s): a test that
        # makes it fail a few times sees the same tries, sooner
        poller = asyncio.create_task(
            UpdatePoller(app.bot, app.update_queue.put, long_poll=1, cap=0.5).run(stop)
        )
        try:
            yield box[0]
        finally:
            stop.set()
            await poller
            await app.stop()
            await app.shutdown()
