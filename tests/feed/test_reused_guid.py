"""Issue #9 item 14 end to end: one guid reused for two items, served by the real local server,
fetched, parsed and normalized in the pool, recorded in the store (SQLite and PostgreSQL)."""

from __future__ import annotations

from bot.models import FeedSpec, Match, Span
from bot.store import Routing, Store
from tests.feed.conftest import Served

NOW = 1_893_456_000.0


def rss(*items: tuple[str, str]) -> str:
    body = "".join(
        f"<item><title>{title}</title><link>{link}</link>"
        '<guid isPermaLink="false">tag:example.com,2029:same</guid></item>'
        for title, link in items
    )
    return f'<rss version="2.0"><channel><title>t</title>{body}</channel></rss>'


PARADE = ("Parade in Beijing", "https://news.example/parade")
KIEL = ("Parade of ships in Kiel", "https://news.example/kiel")


async def test_reused_guid_served_feed(served: Served, store: Store) -> None:
    await store.feeds.sync_from_rules([FeedSpec("f", "http://a/")], NOW)
    await store.chats.ensure(1, "private", None, NOW)
    await store.chats.subscribe(1, "parade", None, NOW)

    async def poll(document: str) -> tuple[list[str], int]:
        _, entries = await served(document)
        recorded = await store.entries.record(
            "f",
            entries,
            now=NOW,
            alertable=lambda e: True,
            decide=lambda e: [Match("parade", (Span("title", 0, 6),))],
            routing=Routing({"parade": "Parade"}),
        )
        return [e.title for e in recorded.new], recorded.alerts

    assert await poll(rss(KIEL, PARADE)) == ([KIEL[0], PARADE[0]], 2)  # was one: collapsed
    assert await poll(rss(KIEL, PARADE)) == ([], 0)
    assert await poll(rss(PARADE)) == ([], 0)
    third = ("Parade cancelled", "https://news.example/cancelled")
    assert await poll(rss(third, KIEL, PARADE)) == ([third[0]], 1)
    assert await poll(rss(PARADE, third, KIEL)) == ([], 0)
