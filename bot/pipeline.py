"""The orchestrator: the one module that wires every stage. Polling one feed reads top to bottom:

    state   = store.feeds.get(feed)                          # url, ETag, Last-Modified, health
    result  = fetcher.fetch(url, etag, last_modified)        # feed/fetch: new body | not modified
    parsed  = parser.parse(body, headers)                    # feed/parse: worker process, limits
    entries = normalize_entries(parsed)                      # feed/entries: keys, links, UTC, caps
    new     = store.entries.record(entries, decide=match)    # store: dedup + outbox rows, one txn
    store.feeds.save_later(apply_poll(state, outcome))       # feed/outcome (pure); batched
    sender.wake()                                            # delivery picks the new alerts up

A feed that fails is logged with its id and reason and backs off; it never stops the others.
On the first poll of a feed its entries are recorded as seen without alerting, unless the feed
sets ``backfill``. Rules are swapped atomically (``set_rules``) when the rules file changes.
"""

from __future__ import annotations

import asyncio
import functools
import hashlib
import logging
import math
import random
import time
from collections.abc import Awaitable, Callable, Mapping, Sequence
from dataclasses import dataclass, field, replace
from datetime import UTC, datetime
from pathlib import Path

from bot.config import load_rules
from bot.errors import FeedError, HTTPStatusError, RulesError, StoreError
from bot.feed.fetch import Fetcher, NotModified
from bot.feed.outcome import PollOutcome, apply_poll
from bot.feed.parse import ParserPool
from bot.feed.schedule import (
    PollBounds,
    next_poll_after_error,
    next_poll_after_success,
    observed_gaps,
)
from bot.match import RuleSet, compile_rules
from bot.match.compile import DUPLICATE_ID
from bot.models import Entry, FeedSpec, FeedState, Match, Problem, RulesConfig, RuleSpec
from bot.store import WATCH_PREFIX, Routing, Store, Watch
from bot.store.entries import STORY_WINDOW, StoryIndex

log = logging.getLogger(__name__)

CONSOLE_CHAT = 0  # the terminal, when no Telegram token is set: every rule routes to it
FAILING_STREAK = 5  # consecutive failures before admins are told (once; and once on recovery)
STORE_RETRY = 5.0  # seconds before a poll the database could not record is tried again


@dataclass(frozen=True, slots=True)
class Rules:
    """A validated, compiled rules file: swapped in whole, never edited."""

    config: RulesConfig
    ruleset: RuleSet
    digest: str = ""
    feeds: Mapping[str, FeedSpec] = field(default_factory=dict, compare=False)

    def __post_init__(self) -> None:
        object.__setattr__(self, "feeds", {f.id: f for f in self.config.feeds})


def compile_rules_file(path: str | Path) -> Rules:
    """Load and compile a rules file; RulesError lists every problem, YAML and query alike."""
    path = Path(path)
    try:
        config = load_rules(path)
    except RulesError as exc:
        partial = exc.partial
        if partial is not None and partial.rules:
            try:
                compile_rules(partial.rules, partial.entities)
            except RulesError as query_errors:
                # the file's own problems name a duplicate id already
                more = [q for q in query_errors.problems if q.message != DUPLICATE_ID]
                found = sorted({*exc.problems, *more}, key=lambda p: (*p.order, str(p)))
                raise RulesError(found, partial=partial) from exc
        raise
    ruleset = compile_rules(config.rules, config.entities)
    digest = hashlib.sha256(path.read_bytes()).hexdigest()
    return Rules(config=config, ruleset=ruleset, digest=digest)


@dataclass(frozen=True, slots=True)
class PollReport:
    feed_id: str
    ok: bool
    new: int = 0
    alerts: int = 0
    not_modified: bool = False
    error: str | None = None
    next_poll: float | None = None


@dataclass(frozen=True, slots=True)
class Watches:
    """Every chat's /watch queries compiled into one rule set (ids ``watch:N``): swapped whole.
    ``broken``: the watches left out because they do not compile (watch id -> why)."""

    ruleset: RuleSet | None = None
    titles: Mapping[str, str] = field(default_factory=dict)
    broken: Mapping[int, Problem] = field(default_factory=dict)


def compile_watches(watches: Sequence[Watch], entities: Mapping[str, Sequence[str]]) -> Watches:
    """Compile the watches into one rule set, each query once; a watch that does not compile
    (a typo just sent with /watch, or an entity the rules file no longer has) is left out,
    with its problem, and the others are compiled again without it."""
    by_rule = {f"{WATCH_PREFIX}{w.id}": w for w in watches}
    broken: dict[int, Problem] = {}
    while True:
        specs = [
            RuleSpec(id=rule_id, query=w.query)
            for rule_id, w in by_rule.items()
            if w.id not in broken
        ]
        if not specs:
            return Watches(broken=broken)
        try:
            ruleset = compile_rules(specs, entities)
        except RulesError as exc:
            found = {by_rule[p.rule_id].id: p for p in exc.problems if p.rule_id in by_rule}
            if not found:  # no problem named its watch (not expected): try each on its own
                found = _each_alone(specs, by_rule, entities)
            if not found.keys() - broken.keys():
                raise
            broken.update(found)
            continue
        titles = {spec.id: f"watch: {spec.query}" for spec in specs}
        return Watches(ruleset=ruleset, titles=titles, broken=broken)


def _each_alone(
    specs: Sequence[RuleSpec], by_rule: Mapping[str, Watch], entities: Mapping[str, Sequence[str]]
) -> dict[int, Problem]:
    found: dict[int, Problem] = {}
    for spec in specs:
        try:
            compile_rules([spec], entities)
        except RulesError as exc:
            found[by_rule[spec.id].id] = replace(exc.problems[0], rule_id=spec.id)
    return found


class Pipeline:
    def __init__(
        self,
        store: Store,
        fetcher: Fetcher,
        parser: ParserPool,
        rules: Rules,
        *,
        console: bool = False,
        flood_threshold: int = 5,
        failing_streak: int = FAILING_STREAK,
        on_alerts: Callable[[], None] = lambda: None,
        notify_admins: Callable[[str], Awaitable[None]] | None = None,
        clock: Callable[[], float] = time.time,
        rng: random.Random | None = None,
        max_concurrent_polls: int | None = None,
        stories: StoryIndex | None = None,
        story_window: float = STORY_WINDOW,
    ) -> None:
        self.store = store
        self.fetcher = fetcher
        self.parser = parser
        self.rules = rules
        self.console = console
        self.flood_threshold = flood_threshold
        self.failing_streak = failing_streak
        self.on_alerts = on_alerts
        self.notify_admins = notify_admins
        self.clock = clock
        self.rng = rng or random.Random()
        self.watches = Watches()
        self._states: dict[str, FeedState] = {}
        self._watch_signature: tuple[tuple[int, str], ...] | None = None
        self._watch_lock = asyncio.Lock()  # one refresh at a time: the newest list wins
        # Bodies, parse results and entries live only while a poll runs: bounding the polls in
        # progress bounds memory however many feeds fall due at once.  By default as many as
        # the fetcher has connections: more would only wait for a connection slot, and each
        # extra waiter costs a wake-up (the 304 round was 5-8% faster at 100 than at 128).
        self.max_polls = max_concurrent_polls or fetcher.max_connections  # polls at once
        self._polling = asyncio.Semaphore(self.max_polls)
        # the rules and watches the routing table was built from (the objects themselves: an
        # id() of a freed object can come back for another one)
        self._routing: tuple[Rules, Watches, Routing] | None = None
        # The stories of the window, in memory (rebuilt from the table when first used).
        self.stories = stories
        self.story_window = story_window

    # ------------------------------------------------------------------ rules and watches

    def set_rules(self, rules: Rules) -> None:
        self.rules = rules

    async def refresh_watches(self) -> Mapping[int, Problem]:
        """Compile every chat's /watch queries into one rule set (after one is added or
        removed, and after a rules reload: they use its entities), in a worker thread: there
        may be thousands. Returns the watches left out because they do not compile, by id."""
        async with self._watch_lock:
            watches = await self.store.chats.watches()
            entities = self.rules.config.entities
            compiled = (
                await asyncio.to_thread(compile_watches, watches, entities)
                if watches
                else Watches()
            )
            self._watch_signature = tuple((w.id, w.query) for w in watches)
            self.watches = compiled
        chats = {w.id: w.chat_id for w in watches}
        for watch_id, problem in compiled.broken.items():
            log.warning(
                "watch %s of chat_id=%s does not compile, left out: %s",
                watch_id,
                chats[watch_id],
                problem,
            )
        return compiled.broken

    def routing(self) -> Routing:
        """Rule titles and rules-file routes, rebuilt only when rules or watches change."""
        cached = self._routing
        if cached is not None and cached[0] is self.rules and cached[1] is self.watches:
            return cached[2]
        titles = {r.id: r.display_title for r in self.rules.config.rules}
        titles.update(self.watches.titles)
        static: dict[str, tuple[int, ...]] = {}
        for rule in self.rules.config.rules:
            chats = rule.chats + ((CONSOLE_CHAT,) if self.console else ())
            if chats:
                static[rule.id] = chats
        routing = Routing(titles, static, flood_threshold=self.flood_threshold)
        self._routing = (self.rules, self.watches, routing)
        return routing

    def decide(self, entry: Entry) -> list[Match]:
        """Which rules and watches match: pure, over the entry's title and summary."""
        matches = self.rules.ruleset.match(entry.title, entry.summary, entry.feed_id)
        if self.watches.ruleset is not None:
            matches.extend(self.watches.ruleset.match(entry.title, entry.summary))
        return matches

    # ------------------------------------------------------------------ feed states

    async def load_states(self) -> None:
        """Read every feed's state once; polls then keep it in memory and write it in batches."""
        self._states = {s.spec.id: s for s in await self.store.feeds.all(active_only=False)}

    def current_state(self, feed_id: str) -> FeedState | None:
        """The feed's state as the last poll left it (what ``flush`` will write)."""
        return self._states.get(feed_id)

    async def refresh_watches_if_changed(self) -> bool:
        """Recompile the watches when the database's list differs from the compiled one
        (another instance added or removed one); True if it did."""
        watches = await self.store.chats.watches()
        signature = tuple((w.id, w.query) for w in watches)
        if signature == self._watch_signature:
            return False
        await self.refresh_watches()
        return True

    def adopt(self, state: FeedState) -> None:
        """Poll from ``state`` next (read by the claim that leased the feed: another instance
        may have polled it last)."""
        self._states[state.spec.id] = state

    def forget(self, feed_id: str | None = None) -> None:
        """Drop cached state (the feed was added, removed or changed outside a poll)."""
        if feed_id is None:
            self._states.clear()
        else:
            self._states.pop(feed_id, None)

    async def _state(self, feed_id: str) -> FeedState | None:
        state = self._states.get(feed_id)
        if state is None:
            state = await self.store.feeds.get(feed_id)
            if state is not None:
                self._states[feed_id] = state
        return state

    def _save(self, state: FeedState, outcome: PollOutcome, **changes: object) -> FeedState:
        new = apply_poll(state, outcome)
        if changes:
            new = replace(new, **changes)  # type: ignore[arg-type]
        self._states[new.spec.id] = new
        self.store.feeds.save_later(new)
        return new

    async def flush(self) -> None:
        """Write the queued feed states; while the database is away they stay queued."""
        try:
            await self.store.feeds.flush()
        except StoreError:
            pass  # the database's health logged it and told the admins; retried next flush

    # ------------------------------------------------------------------ one poll

    async def poll(self, feed_id: str) -> PollReport:
        """Poll one feed end to end. Never raises for the feed's own failures."""
        async with self._polling:
            return await self._poll_one(feed_id)

    async def _poll_one(self, feed_id: str) -> PollReport:
        if not self.store.health.ok and not await self.store.ping():
            return self._store_away(feed_id)  # no fetch whose entries could not be recorded
        try:
            state = await self._state(feed_id)
        except StoreError:
            return self._store_away(feed_id)
        if state is None or not state.active:
            return PollReport(feed_id, ok=False, error="unknown or removed feed")
        spec = self.rules.feeds.get(feed_id, state.spec)
        try:
            report = await self._poll(state, spec)
        except StoreError:
            report = self._store_away(feed_id)  # not the feed's fault: no backoff, no notice
        except FeedError as exc:
            report = await self._failed(state, spec, exc)
        except Exception as exc:  # a bug must not stop the scheduler's other feeds
            log.exception("feed_id=%s: unexpected error while polling", feed_id)
            report = await self._failed(state, spec, exc)
        return report

    async def _poll(self, state: FeedState, spec: FeedSpec) -> PollReport:
        feed_id = spec.id
        result = await self.fetcher.fetch(
            state.fetch_url,
            etag=state.etag,
            last_modified=state.last_modified,
            guarded=not (spec.trusted and state.spec.trusted),
        )
        now = self.clock()
        bounds = _bounds(spec.interval, spec.min_interval, spec.max_interval)
        if isinstance(result, NotModified):
            next_at = next_poll_after_success(
                _dt(now), spec.interval, rng=self.rng, max_age=result.max_age, bounds=bounds
            ).timestamp()
            outcome = PollOutcome(
                now=now,
                next_poll=next_at,
                ok=True,
                not_modified=True,
                permanent_url=result.permanent_url,
            )
            await self._succeeded(state, outcome)
            return PollReport(feed_id, ok=True, not_modified=True, next_poll=next_at)
        parsed, entries = await self.parser.parse_entries(
            result.body, result.headers, result.url, feed_id, _dt(now)
        )
        recorded = await self.store.entries.record(
            feed_id,
            entries,
            now=now,
            alertable=self._alertable(state, spec, now),
            decide=self.decide,
            routing=self.routing(),
            stories=self.stories,
            window=self.story_window,
        )
        gaps = observed_gaps(e.published for e in entries)
        next_at = next_poll_after_success(
            _dt(self.clock()),
            spec.interval,
            rng=self.rng,
            gaps=gaps,
            max_age=result.max_age,
            ttl=parsed.ttl,
            bounds=bounds,
        ).timestamp()
        outcome = PollOutcome(
            now=now,
            next_poll=next_at,
            ok=True,
            etag=result.etag,
            last_modified=result.last_modified,
            new_entries=len(recorded.new),
            permanent_url=result.permanent_url,
        )
        await self._succeeded(state, outcome)
        if recorded.alerts or recorded.edits:
            self.on_alerts()
        log.info(
            "feed_id=%s: %d entries, %d new, %d alerts%s%s",
            feed_id,
            len(entries),
            len(recorded.new),
            recorded.alerts,
            f", {recorded.edits} updates" if recorded.edits else "",
            "" if state.polled_once else " (first poll)",
        )
        return PollReport(
            feed_id, ok=True, new=len(recorded.new), alerts=recorded.alerts, next_poll=next_at
        )

    def _alertable(self, state: FeedState, spec: FeedSpec, now: float) -> Callable[[Entry], bool]:
        """After the first poll every new entry may alert; on the first, only the backfill."""
        if state.polled_once:
            return lambda entry: True
        backfill = spec.backfill
        if backfill is None:
            return lambda entry: False
        if math.isinf(backfill):
            return lambda entry: True
        cutoff = now - backfill
        return lambda entry: entry.published is not None and entry.published.timestamp() >= cutoff

    def _store_away(self, feed_id: str) -> PollReport:
        """The database could not be used: the feed's state is left as it was (a fetched body
        is fetched again, its entries recorded then) and the poll is retried soon."""
        spec = self.rules.feeds.get(feed_id)
        retry = self.clock() + (min(STORE_RETRY, spec.interval) if spec else STORE_RETRY)
        return PollReport(feed_id, ok=False, error="database unreachable", next_poll=retry)

    async def _succeeded(self, state: FeedState, outcome: PollOutcome) -> None:
        if state.failing_notified:
            self._save(state, outcome, failing_notified=False)
            await self._tell_admins(f"Feed {state.spec.id} is working again.")
        else:
            self._save(state, outcome)

    async def _failed(self, state: FeedState, spec: FeedSpec, exc: Exception) -> PollReport:
        now = self.clock()
        failures = state.failures + 1
        retry_after = exc.retry_after if isinstance(exc, HTTPStatusError) else None
        next_at = next_poll_after_error(
            _dt(now), failures, rng=self.rng, interval=spec.interval, retry_after=retry_after
        ).timestamp()
        reason = _one_line(exc)
        log.warning("feed_id=%s: poll failed (%d in a row): %s", spec.id, failures, reason)
        outcome = PollOutcome(now=now, next_poll=next_at, ok=False, error=reason)
        if failures >= self.failing_streak and not state.failing_notified:
            self._save(state, outcome, failing_notified=True)
            await self._tell_admins(
                f"Feed {spec.id} has failed {failures} times in a row: {reason}"
            )
        else:
            self._save(state, outcome)
        return PollReport(spec.id, ok=False, error=reason, next_poll=next_at)

    async def _tell_admins(self, text: str) -> None:
        if self.notify_admins is None:
            log.warning("%s", text)
            return
        try:
            await self.notify_admins(text)
        except Exception:
            log.exception("could not notify admins")


@functools.lru_cache(maxsize=1024)
def _bounds(interval: float, low: float | None, high: float | None) -> PollBounds:
    return PollBounds.around(interval, low, high)


def _dt(epoch: float) -> datetime:
    return datetime.fromtimestamp(epoch, UTC)


def _one_line(exc: BaseException) -> str:
    text = str(exc) or exc.__class__.__name__
    return " ".join(text.split())[:300]


__all__ = [
    "CONSOLE_CHAT",
    "Pipeline",
    "PollReport",
    "Rules",
    "RulesError",
    "Watches",
    "compile_rules_file",
    "compile_watches",
]
