"""Feeds added and removed while the bot runs (/addfeed, /removefeed), beside the pipeline.

    add(url)      http(s) URL, not polled yet -> fetch (SSRF-guarded) -> parse -> a free id
                  (``bot.config.opml``'s slug of the host, as OPML import names feeds) -> store
    remove(id)    chat and OPML feeds are deactivated; rules-file feeds are removed in the file

A feed added from a chat is untrusted: it is fetched with the SSRF guard now and at every poll.
The caller (the composition root) schedules the new feed and forgets the removed one.
"""

from __future__ import annotations

import re
import time
from collections.abc import Callable

from bot.config.opml import slug, unique_id
from bot.errors import FeedError
from bot.feed.fetch import Fetcher, NotModified
from bot.feed.parse import ParserPool
from bot.models import FeedSpec
from bot.store import Store

MAX_URL = 2048
DEFAULT_INTERVAL = 300.0  # seconds, when /addfeed names none
MIN_INTERVAL = 60.0  # a chat may not make the bot poll a server more often than this
MAX_NAME = 100


class FeedService:
    def __init__(
        self,
        store: Store,
        fetcher: Fetcher,
        parser: ParserPool,
        *,
        clock: Callable[[], float] = time.time,
    ) -> None:
        self.store = store
        self.fetcher = fetcher
        self.parser = parser
        self.clock = clock

    async def add(self, url: str, interval: float | None, added_by: int) -> FeedSpec:
        """Check (SSRF-guarded) that ``url`` serves a feed, then store it; FeedError says why
        not, in words for the chat."""
        url = url.strip()
        if not re.match(r"^https?://", url, re.IGNORECASE) or len(url) > MAX_URL:
            raise FeedError("give an http:// or https:// URL")
        existing = await self.store.feeds.find_url([url])
        if existing:
            raise FeedError(f"that feed is already polled as {existing}")
        result = await self.fetcher.fetch(url, guarded=True)
        if isinstance(result, NotModified):
            raise FeedError("the server answered 304 Not Modified to a first request")
        parsed = await self.parser.parse(result.body, result.headers, result.url)
        if not parsed.version and not parsed.entries:
            raise FeedError("that URL does not serve an RSS or Atom feed")
        taken = {f.spec.id for f in await self.store.feeds.all(active_only=False)}
        feed_id = unique_id(slug(url), taken)
        spec = FeedSpec(
            id=feed_id,
            url=url,
            interval=max(MIN_INTERVAL, interval or DEFAULT_INTERVAL),
            name=(parsed.title or feed_id)[:MAX_NAME],
            trusted=False,
        )
        if not await self.store.feeds.add(spec, "chat", added_by, self.clock()):
            raise FeedError("could not save the feed; try again")
        return spec

    async def remove(self, feed_id: str) -> bool:
        """Stop polling a chat or OPML feed; False if no active feed has that id."""
        state = await self.store.feeds.get(feed_id)
        if state is None or not state.active:
            return False
        if state.source == "rules":
            raise FeedError(f"{feed_id} is listed in the rules file; remove it there")
        return await self.store.feeds.remove(feed_id)
