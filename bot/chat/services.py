"""What the chat layer needs from the rest of the bot, injected by the composition root."""

from __future__ import annotations

import time
from collections.abc import Awaitable, Callable, Mapping
from dataclasses import dataclass

from bot.match import RuleSet
from bot.models import Problem, RuleSpec
from bot.settings import Settings
from bot.store import Store


@dataclass(frozen=True)
class RulesView:
    """The current rules as the chat layer sees them (hot reload swaps the whole view).

    The compiled sets are the running bot's own (the rules file compiled once per reload,
    the watches once per change): commands match with them and compile nothing."""

    rules: tuple[RuleSpec, ...]  # rules-file order; these ids are the subscribable ones
    entities: Mapping[str, tuple[str, ...]]
    ruleset: RuleSet  # ``rules`` compiled
    watches: RuleSet | None = None  # every chat's watches compiled (ids ``watch:N``); None: none

    def get(self, rule_id: str) -> RuleSpec | None:
        for rule in self.rules:
            if rule.id == rule_id:
                return rule
        return None


@dataclass
class ChatServices:
    store: Store
    settings: Settings  # .admins (bot operators), .anyone_can_add_feeds
    rules: Callable[[], RulesView]  # current rules (hot reload swaps it)
    # called after a watch is added or removed: compiles them all again; returns the watches
    # left out because they do not compile (watch id -> why)
    watches_changed: Callable[[], Awaitable[Mapping[int, Problem]]]
    # (url, interval_seconds, user_id) -> new feed id; raises NewsbotError with a readable message
    add_feed: Callable[[str, float | None, int], Awaitable[str]] | None = None
    remove_feed: Callable[[str], Awaitable[bool]] | None = None
    status: Callable[[], Awaitable[str]] | None = None  # plain text for /status
    clock: Callable[[], float] = time.time
    max_watches: int = 20
    max_query_length: int = 500
