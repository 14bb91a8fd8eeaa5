"""Composition root: opens every resource in one place, runs until a stop signal, closes in reverse.

    store (SQLAlchemy engine) → HTTP session → parser pool → Telegram application (or console)
    → sender task → scheduler (one job per feed, plus the rules-file watcher)

With no ``TELEGRAM_BOT_TOKEN`` alerts are printed to the terminal (the console is a chat that
every rule routes to), so the whole pipeline runs offline on the embedded SQLite default.
"""

from __future__ import annotations

import asyncio
import contextlib
import logging
import os
import random
import secrets
import signal
import socket
import time
from collections.abc import AsyncIterator, Callable, Coroutine
from contextlib import AsyncExitStack, asynccontextmanager
from dataclasses import dataclass, field, replace
from datetime import UTC, datetime
from pathlib import Path
from typing import Any, TextIO

from apscheduler.schedulers.asyncio import AsyncIOScheduler
from telegram.ext import Application, ApplicationBuilder

from bot.chat import ChatServices, RulesView, install, register_commands
from bot.chat.ordering import ChatOrderedProcessor
from bot.chat.services import InstancesStatus, Status
from bot.chat.updates import LinkChange, LinkState, TokenRejected, UpdatePoller, connect, describe
from bot.delivery.admins import AdminNotices
from bot.delivery.sender import Sender
from bot.delivery.transport import ConsoleTransport, TelegramTransport, Transport
from bot.errors import ConfigError, NewsbotError, RulesError, StoreError
from bot.feed.claims import CLAIM_EVERY, LEASE, SharedPolling
from bot.feed.fetch import Fetcher, FetchLimits, make_session
from bot.feed.parse import ParserPool
from bot.feed.schedule import first_poll
from bot.feed_service import FeedService
from bot.logs import protect
from bot.match import BUILD as MATCHER_BUILD
from bot.pipeline import STORE_RETRY, Pipeline, Rules, compile_rules_file
from bot.settings import Settings
from bot.store import Health, Store
from bot.store.instances import HEARTBEAT
from bot.store.retention import PRUNE_EVERY, Pruner, refresh_for
from bot.store.roles import Roles
from bot.store.single import single_instance
from bot.store.space import convert_once
from bot.store.space import release as release_space
from bot.store.stats import status_line
from bot.story import StoryIndex
from bot.story import warm as warm_stories

log = logging.getLogger(__name__)

RULES_CHECK_EVERY = 2.0  # seconds between looks at the rules file
WATCHES_EVERY = 5.0  # several instances: seconds between looks for watches others added
STATE_FLUSH_EVERY = 1.0  # seconds between batched writes of feed states
FIRST_POLL_SPREAD = 10.0  # seconds over which startup polls are spread
IDLE_WAIT = 5.0  # seconds between the sender's looks at an empty outbox
SHARED_IDLE_WAIT = 1.0  # ... with several instances: alerts others record do not wake it


@dataclass
class App:
    settings: Settings
    store: Store
    pipeline: Pipeline
    sender: Sender
    feeds: FeedService  # /addfeed, /removefeed
    notify_admins: Callable[[str], Coroutine[Any, Any, None]]  # bot.delivery.admins
    rules_path: Path
    rules_stamp: tuple[int, int] | None  # the rules file as last read (mtime, size)
    telegram: Application[Any, Any, Any, Any, Any, Any] | None = None
    scheduler: AsyncIOScheduler | None = None
    started: float = field(default_factory=time.time)
    _inflight: set[asyncio.Task[Any]] = field(default_factory=set)
    fatal: NewsbotError | None = None  # why the run must end (a rejected bot token)
    _tasks: set[asyncio.Task[None]] = field(default_factory=set)  # admin notices, schema repair
    _recreating: bool = False
    roles: Roles = field(default_factory=Roles)  # cluster-wide roles this instance holds
    # several instances (PostgreSQL): this one's part of polling, and its name
    shared: SharedPolling | None = None
    instance_id: str = field(
        default_factory=lambda: f"{socket.gethostname()}:{os.getpid()}:{secrets.token_hex(3)}"
    )

    # ------------------------------------------------------------------ polling

    async def poll_all_once(self) -> None:
        """``run --once``: every feed once, one after another in the rules file's order (then
        the other feeds), so when two outlets carry one story the first listed alerts."""
        order = {feed_id: n for n, feed_id in enumerate(self.pipeline.rules.feeds)}
        feeds = sorted(await self.store.feeds.all(), key=lambda f: order.get(f.spec.id, len(order)))
        for feed in feeds:
            await self.pipeline.poll(feed.spec.id)

    def schedule_feed(self, feed_id: str, interval: float, next_poll: float | None) -> None:
        assert self.scheduler is not None
        now = time.time()
        if next_poll is not None and next_poll > now:
            when = datetime.fromtimestamp(next_poll, UTC)
        else:
            when = first_poll(
                datetime.now(UTC), min(interval, FIRST_POLL_SPREAD), rng=random.Random()
            )
        self.scheduler.add_job(
            self._poll_job,
            "interval",
            seconds=max(1.0, interval),
            args=[feed_id],
            id=_job_id(feed_id),
            next_run_time=when,
            max_instances=1,
            coalesce=True,
            misfire_grace_time=None,
            replace_existing=True,
        )

    async def _poll_job(self, feed_id: str) -> None:
        task = asyncio.current_task()
        if task is not None:
            self._inflight.add(task)
        try:
            report = await self.pipeline.poll(feed_id)
            job = self.scheduler.get_job(_job_id(feed_id)) if self.scheduler else None
            if job is not None and report.next_poll is not None:
                job.modify(next_run_time=datetime.fromtimestamp(report.next_poll, UTC))
        finally:
            if task is not None:
                self._inflight.discard(task)

    async def sync_jobs(self) -> None:
        """One scheduler job per active feed, at its interval (one instance, SQLite); with
        several instances the feeds table is the schedule (``bot.feed.claims``)."""
        assert self.scheduler is not None
        if self.shared is not None:
            return
        feeds = await self.store.feeds.all()
        wanted = {_job_id(f.spec.id) for f in feeds}
        for job in self.scheduler.get_jobs():
            if job.id.startswith("feed:") and job.id not in wanted:
                job.remove()
        for feed in feeds:
            spec = self.pipeline.rules.feeds.get(feed.spec.id, feed.spec)
            job = self.scheduler.get_job(_job_id(feed.spec.id))
            if job is None:
                self.schedule_feed(feed.spec.id, spec.interval, feed.next_poll)
            elif job.trigger.interval.total_seconds() != max(1.0, spec.interval):
                self.schedule_feed(feed.spec.id, spec.interval, None)

    async def send(self, done: asyncio.Event) -> None:
        """The sender role: take over what the previous sender left leased, then send."""
        try:
            now = time.time()
            taken = await self.store.outbox.take_over(now)
            if taken:
                log.info("took over %d alerts the previous sender had in flight", len(taken))
            # Telegram's limits count the previous sender's last minute too (its in-flight
            # sends as if made now)
            recent = await self.store.outbox.recent_sends(now - 60.0)
            self.sender.seed([*recent, *((chat, now) for chat in taken)])
            # and a 429's retry_after holds across the takeover: every instance respects it
            holds = await self.store.outbox.flood_holds(now)
            self.sender.seed_holds(holds, now, await self.store.outbox.bot_wide_hold(now))
        except StoreError:
            pass  # the sender retries the database itself
        await self.sender.run(done)

    def share_polling(self, scheduler: AsyncIOScheduler) -> None:
        """PostgreSQL: claim due feeds with leases instead of one job per feed, say this
        instance is alive, and pick up watches other instances added."""
        # as many feeds leased at once as the pipeline polls at once (it polls that many on
        # SQLite too): with fewer, a poll's round-trips to the database left slots idle
        self.shared = SharedPolling(
            self.store, self.pipeline, self.instance_id, slots=self.pipeline.max_polls
        )
        now = datetime.now(UTC)
        for job, every, name in (
            (self.shared.tick, CLAIM_EVERY, "feed-claims"),
            (self.shared.renew, LEASE / 3, "feed-leases"),
            (self.beat, HEARTBEAT, "instance-beat"),
            (self.watch_others, WATCHES_EVERY, "watches-sync"),
        ):
            scheduler.add_job(
                job,
                "interval",
                seconds=every,
                id=name,
                next_run_time=now,
                max_instances=1,
                coalesce=True,
            )

    async def beat(self) -> None:
        """Write this instance's row in ``instances`` (``newsbot status``)."""
        polled = self.shared.polled_last_minute() if self.shared is not None else 0
        try:
            await self.store.instances.beat(
                self.instance_id,
                socket.gethostname(),
                os.getpid(),
                self.started,
                time.time(),
                self.roles.held,
                polled,
            )
        except StoreError:
            pass  # the database's health reports the outage

    async def watch_others(self) -> None:
        try:
            await self.pipeline.refresh_watches_if_changed()
        except StoreError:
            pass

    # ------------------------------------------------------------------ rules hot reload

    async def check_rules(self) -> None:
        try:
            stamp = file_stamp(self.rules_path)
        except OSError as exc:
            log.warning("rules file %s: %s; keeping the running rules", self.rules_path, exc)
            return
        if stamp == self.rules_stamp:
            return
        self.rules_stamp = stamp
        try:
            rules = await asyncio.to_thread(compile_rules_file, self.rules_path)
        except RulesError as exc:
            text = "\n".join(map(str, exc.problems))
            log.error("rules file changed but is invalid; keeping the running rules:\n%s", text)
            await self.notify_admins(f"Rules file rejected, running rules kept:\n{text}")
            return
        if rules.digest == self.pipeline.rules.digest:
            return
        self.pipeline.set_rules(rules)
        try:
            await self.pipeline.flush()
            await self.store.feeds.sync_from_rules(rules.config.feeds, time.time())
            await self.pipeline.load_states()
            await self.pipeline.refresh_watches()
            if self.scheduler is not None:
                await self.sync_jobs()
        except StoreError:  # the database is away: finish the reload once it is back
            self.rules_stamp = None
            self.pipeline.set_rules(replace(rules, digest=""))
            return
        log.info(
            "rules reloaded: %d feeds, %d rules", len(rules.config.feeds), len(rules.config.rules)
        )

    # ------------------------------------------------------------------ database health

    def database_health(self, health: Health) -> None:
        """The database stopped or started answering (``Database`` calls this once per change):
        tell the admins once each way; create the tables again if they are gone."""
        if health.ok:
            self._background(self.notify_admins("The database is back; polling again."))
            return
        self._background(
            self.notify_admins(
                f"The database is unreachable: {health.reason}. Feeds are not polled and chat "
                "commands fail until it is back; nothing already stored is lost."
            )
        )
        if health.schema_missing and not self._recreating:
            self._background(self._recreate_schema())

    async def _recreate_schema(self) -> None:
        """The database was dropped and created again: make the tables and the rules-file
        feeds again, then carry on (retried until the database answers)."""
        self._recreating = True
        try:
            while self.store.health.schema_missing:
                try:
                    log.warning("the database has no newsbot tables: creating them again")
                    await self.store.recreate_schema()
                    await self.store.feeds.sync_from_rules(
                        self.pipeline.rules.config.feeds, time.time()
                    )
                    self.pipeline.forget()
                    await self.pipeline.load_states()
                    await self.pipeline.refresh_watches()
                    if self.scheduler is not None:
                        await self.sync_jobs()
                except StoreError:
                    await asyncio.sleep(STORE_RETRY)
        finally:
            self._recreating = False

    def _background(self, coroutine: Coroutine[Any, Any, None]) -> None:
        task = asyncio.create_task(coroutine)
        self._tasks.add(task)
        task.add_done_callback(self._tasks.discard)

    async def finish_background(self) -> None:
        if self._tasks:
            _, late = await asyncio.wait(set(self._tasks), timeout=5)
            for task in late:
                task.cancel()

    # ------------------------------------------------------------------ chat services

    async def add_feed(self, url: str, interval: float | None, user_id: int) -> str:
        """/addfeed: the feed service checks and stores it; it is polled from now on."""
        spec = await self.feeds.add(url, interval, user_id)
        self.pipeline.forget(spec.id)
        if self.scheduler is not None:
            self.schedule_feed(spec.id, spec.interval, None)
        return spec.id

    async def remove_feed(self, feed_id: str) -> bool:
        """/removefeed: the feed service deactivates it; it is not polled from now on."""
        removed = await self.feeds.remove(feed_id)
        self.pipeline.forget(feed_id)
        if removed and self.scheduler is not None and self.scheduler.get_job(_job_id(feed_id)):
            self.scheduler.remove_job(_job_id(feed_id))
        return removed

    async def status(self) -> Status:
        """/status: the facts (``bot.chat.render.status_text`` words them)."""
        feeds = await self.store.feeds.all()
        counts = await self.store.outbox.counts()
        instances = None
        if self.store.db.dialect == "postgresql":
            now = time.time()
            live = [i for i in await self.store.instances.all() if i.live(now)]
            instances = InstancesStatus(
                live=len(live),
                held=tuple(sorted(self.roles.held)),
                polled=self.shared.polled_last_minute() if self.shared else 0,
            )
        return Status(
            uptime=time.time() - self.started,
            rules=len(self.pipeline.rules.config.rules),
            watches=len(self.pipeline.watches.titles),
            feeds=len(feeds),
            failing=sum(1 for f in feeds if f.failures),
            outbox=counts,
            sent=self.sender.stats.sent,
            retried=self.sender.stats.retried,
            database=await status_line(self.store.db, self.settings.retention, time.time()),
            instances=instances,
        )

    def rules_view(self) -> RulesView:
        """The running rules and watches, compiled (once per reload, once per watch change)."""
        rules = self.pipeline.rules
        return RulesView(
            rules=rules.config.rules,
            entities=rules.config.entities,
            ruleset=rules.ruleset,
            watches=self.pipeline.watches.ruleset,
        )

    # ------------------------------------------------------------------ the Telegram link

    def chat_services(self) -> ChatServices:
        return ChatServices(
            store=self.store,
            settings=self.settings,
            rules=self.rules_view,
            watches_changed=self.pipeline.refresh_watches,
            add_feed=self.add_feed,
            remove_feed=self.remove_feed,
            status=self.status,
            max_watches=self.settings.max_watches,
            max_query_length=self.settings.max_query_length,
        )

    async def telegram_link(self, stop: asyncio.Event) -> None:
        """Reach the Bot API (retrying while it is unreachable: feeds are polled and alerts
        recorded meanwhile), then receive updates until ``stop``. A token rejected before the
        first answer ends the run with that reason (``fatal``)."""
        tg = self.telegram
        assert tg is not None
        try:
            if not await connect(tg.bot, stop, api_url=self.settings.api_url):
                return
        except TokenRejected as exc:
            self.fatal = ConfigError(str(exc))
            log.error("%s", exc)
            stop.set()
            return
        await tg.initialize()
        try:
            await register_commands(tg.bot)
        except Exception as exc:  # the menu is a convenience: never a reason to stop
            log.warning("could not set the command menu: %s", describe(exc))
        await tg.start()
        poller = UpdatePoller(tg.bot, tg.update_queue.put, on_change=self._link_changed)
        # one instance consumes getUpdates (a second would get 409 Conflict): bot.store.roles
        await self.roles.run(self.store.db, "updates", poller.run, stop)

    async def close_telegram(self) -> None:
        """Stop handling updates (queued commands finish), then close the bot's connections."""
        tg = self.telegram
        if tg is None:
            return
        if tg.running:
            await tg.stop()
        processor = tg.update_processor
        if isinstance(processor, ChatOrderedProcessor):
            await processor.drain(timeout=10)
        await tg.shutdown()  # a no-op when initialize() never ran
        await tg.bot.shutdown()  # ... and then the bot's connections are still open

    async def _link_changed(self, change: LinkChange) -> None:
        if change.new == LinkState.CONFLICT:
            await self.notify_admins(
                "Another process is receiving this bot's updates (409 Conflict from getUpdates):"
                " commands may be answered by it instead. Only one newsbot may run per token."
            )
        elif change.new == LinkState.UP and change.old == LinkState.TOKEN_REJECTED:
            began = datetime.fromtimestamp(change.since, UTC).strftime("%H:%M:%S")
            ended = datetime.fromtimestamp(change.at, UTC).strftime("%H:%M:%S UTC")
            await self.notify_admins(
                f"Telegram rejected the bot token from {began} to {ended} "
                f"({change.at - change.since:.0f} s). Commands sent meanwhile are answered now;"
                " alerts waited in the outbox."
            )


def _job_id(feed_id: str) -> str:
    return f"feed:{feed_id}"


def file_stamp(path: Path) -> tuple[int, int]:
    """What tells a changed file from the one read last: (mtime in ns, size)."""
    st = path.stat()
    return (st.st_mtime_ns, st.st_size)


def build_telegram(settings: Settings) -> Application[Any, Any, Any, Any, Any, Any]:
    """python-telegram-bot's Application for our handlers, without its Updater (updates come
    from ``bot.chat.updates.UpdatePoller``), handling chats concurrently in per-chat order."""
    assert settings.token
    return (
        ApplicationBuilder()
        .token(settings.token)
        .base_url(f"{settings.api_url}/bot")
        .base_file_url(f"{settings.api_url}/file/bot")
        .connection_pool_size(64)
        # one send takes at most 5 + 5 + 10 + 15 = 35 s: well inside the sender's 60 s lease
        .pool_timeout(5)
        .connect_timeout(5)
        .write_timeout(10)
        .read_timeout(15)
        .get_updates_read_timeout(10)  # on top of the long poll's own 30 s
        .updater(None)
        .concurrent_updates(ChatOrderedProcessor())
        .build()
    )


@asynccontextmanager
async def open_app(settings: Settings, *, out: TextIO | None = None) -> AsyncIterator[App]:
    """Open every resource; close them in reverse order however the body ends."""
    rules_path = Path(settings.rules_path)
    rules_stamp = file_stamp(rules_path)  # before reading: a change meanwhile is seen later
    rules = compile_rules_file(rules_path)
    async with AsyncExitStack() as stack:
        apps: list[App] = []  # the database's health reaches the app once it exists
        store = await stack.enter_async_context(
            Store.open(
                settings.database_url,
                connect_timeout=settings.db_connect_timeout,
                on_health=lambda health: apps[0].database_health(health) if apps else None,
                upgrade=settings.auto_upgrade,
                seen_refresh=refresh_for(settings.retention),
            )
        )
        if settings.retention is not None:
            await convert_once(store.db)  # SQLite: give pruned pages back (bot.store.space)
        session = make_session(settings.user_agent)
        stack.push_async_callback(session.close)
        fetcher = Fetcher(session, FetchLimits(), allow_private=settings.allow_private_feeds)
        parser = await stack.enter_async_context(
            ParserPool(workers=2, fast_path=settings.fast_parser)
        )
        telegram_app = build_telegram(settings) if settings.token else None
        notify_admins = AdminNotices(telegram_app.bot if telegram_app else None, settings.admins)
        transport: Transport = (
            TelegramTransport(telegram_app.bot) if telegram_app else ConsoleTransport(out)
        )
        sender = Sender(
            store,
            transport,
            lease=settings.sender_lease,
            notify_admins=notify_admins,
            idle_wait=SHARED_IDLE_WAIT if store.db.dialect == "postgresql" else IDLE_WAIT,
        )
        pipeline = Pipeline(
            store,
            fetcher,
            parser,
            rules,
            console=telegram_app is None,
            flood_threshold=settings.flood_threshold,
            failing_streak=settings.failing_streak,
            on_alerts=sender.wake,
            notify_admins=notify_admins,
            stories=StoryIndex(window=settings.story_window) if settings.stories else None,
            story_window=settings.story_window,
        )
        app = App(
            settings,
            store,
            pipeline,
            sender,
            FeedService(store, fetcher, parser),
            notify_admins,
            rules_path,
            rules_stamp,
            telegram=telegram_app,
        )
        apps.append(app)
        stack.push_async_callback(app.finish_background)
        await store.feeds.sync_from_rules(rules.config.feeds, time.time())
        await pipeline.load_states()
        await pipeline.refresh_watches()
        if pipeline.stories is not None:
            started = time.monotonic()
            await asyncio.to_thread(warm_stories)
            loaded = await store.entries.warm(pipeline.stories, time.time(), settings.story_window)
            log.info(
                "stories: %d reports of the window indexed in %.1fs",
                loaded,
                time.monotonic() - started,
            )
        try:
            yield app
        finally:
            await pipeline.flush()


async def _connect_once(app: App, within: float = 30.0) -> bool:
    """``run --once``: reach the Bot API within ``within`` seconds, or go on without it."""
    assert app.telegram is not None
    gave_up = asyncio.Event()
    loop = asyncio.get_running_loop()
    timer = loop.call_later(within, gave_up.set)
    try:
        return await connect(app.telegram.bot, gave_up, api_url=app.settings.api_url)
    except TokenRejected as exc:
        raise ConfigError(str(exc)) from None
    finally:
        timer.cancel()


async def run_once(settings: Settings, *, out: TextIO | None = None) -> int:
    """Poll every feed once, deliver what is due, exit (1 if alerts are left undelivered)."""
    protect(settings.token)  # from here on no log record carries the token (bot.logs)
    with single_instance(settings.database_url):
        return await _run_once(settings, out)


async def _run_once(settings: Settings, out: TextIO | None) -> int:
    async with open_app(settings, out=out) as app:
        async with contextlib.AsyncExitStack() as stack:
            if app.telegram is not None:
                stack.push_async_callback(app.telegram.bot.shutdown)
                if not await _connect_once(app):
                    await app.poll_all_once()
                    log.error("Bot API unreachable: alerts wait in the outbox for the next run")
                    return 1
            await app.poll_all_once()
            drained = await app.sender.drain(timeout=120)
        return 0 if drained else 1


async def run_forever(
    settings: Settings, *, out: TextIO | None = None, stop: asyncio.Event | None = None
) -> int:
    """Run until ``stop`` (SIGINT/SIGTERM). Feeds are polled and alerts recorded whether or not
    the Bot API answers; a token the Bot API rejects at start ends the run (ConfigError)."""
    protect(settings.token)  # from here on no log record carries the token (bot.logs)
    with single_instance(settings.database_url):
        return await _run_forever(settings, out, stop or asyncio.Event())


async def _run_forever(settings: Settings, out: TextIO | None, stop: asyncio.Event) -> int:
    loop = asyncio.get_running_loop()
    for sig in (signal.SIGINT, signal.SIGTERM):
        with contextlib.suppress(NotImplementedError, RuntimeError):
            loop.add_signal_handler(sig, stop.set)
    async with open_app(settings, out=out) as app:
        tg = app.telegram
        async with AsyncExitStack() as stack:
            link_task: asyncio.Task[None] | None = None
            if tg is not None:
                install(tg, app.chat_services())
                stack.push_async_callback(app.close_telegram)  # last: the sender still sends
            # one instance sends, so Telegram's limits hold for all of them (bot.store.roles)
            sender_task = asyncio.create_task(
                app.roles.run(app.store.db, "sender", app.send, stop), name="sender"
            )
            scheduler = AsyncIOScheduler(timezone=UTC)
            app.scheduler = scheduler
            scheduler.start()
            scheduler.add_job(
                app.pipeline.flush,
                "interval",
                seconds=STATE_FLUSH_EVERY,
                id="state-flush",
                max_instances=1,
                coalesce=True,
            )
            scheduler.add_job(
                app.check_rules,
                "interval",
                seconds=RULES_CHECK_EVERY,
                id="rules-watch",
                max_instances=1,
                coalesce=True,
            )
            if settings.retention is not None:  # what is kept how long: bot.store.retention
                pruner = Pruner(
                    app.store.db,
                    settings.retention,
                    refresh=app.store.entries.seen_refresh,
                    after_prune=release_space,
                )
                scheduler.add_job(
                    pruner.run,
                    "interval",
                    seconds=PRUNE_EVERY,
                    id="prune",
                    max_instances=1,
                    coalesce=True,
                )
            if app.store.db.dialect == "postgresql":
                app.share_polling(scheduler)
            else:
                await app.sync_jobs()
            if tg is not None:
                link_task = asyncio.create_task(app.telegram_link(stop), name="telegram")
            log.info(
                "newsbot running: %d feeds, %d rules, %s; matcher %s",
                len(await app.store.feeds.all()),
                len(app.pipeline.rules.config.rules),
                "Telegram" if tg else "alerts to the terminal",
                MATCHER_BUILD,
            )
            await stop.wait()
            log.info("stopping: finishing in-flight polls")
            if link_task is not None:
                await link_task
            if app.shared is not None:  # before the scheduler stops: leases are renewed meanwhile
                await app.shared.drain()
            scheduler.shutdown(wait=False)
            if app.shared is not None:
                with contextlib.suppress(StoreError):
                    await app.store.instances.leave(app.instance_id)
            if app._inflight:
                _, pending = await asyncio.wait(set(app._inflight), timeout=15)
                for task in pending:
                    task.cancel()
            await asyncio.wait_for(sender_task, timeout=30)
    if app.fatal is not None:
        raise app.fatal
    return 0


__all__ = ["App", "NewsbotError", "Rules", "open_app", "run_forever", "run_once"]
