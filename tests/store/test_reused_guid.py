"""Issue #9 item 14: a publisher reusing one guid for a different item (new link AND new title).

The second item is new (stored under a derived key); neither item alerts twice, however the
feed keeps serving them, together or apart, in either order. An edit (new title or new link,
not both) stays the same item. Real SQLite and PostgreSQL via the ``store`` fixture.
"""

from __future__ import annotations

from bot.models import Entry
from bot.store import Store
from tests.store.test_store import entry, record, setup

A = entry("g", title="Parade in Beijing", link="https://news.example/parade")
B = entry("g", title="Parade of ships in Kiel", link="https://news.example/kiel")


def edited(e: Entry, *, title: str | None = None, link: str | None = None) -> Entry:
    return entry(e.key, title=title or e.title, link=link or e.link)


async def test_reused_guid_across_polls_alerts_each_item_once(store: Store) -> None:
    await setup(store)
    assert await record(store, "f1", [A]) == (1, 1)
    assert await record(store, "f1", [B]) == (1, 1)  # was (0, 0): collapsed into A
    for poll in ([B, A], [A, B], [A], [B], [B, A]):
        assert await record(store, "f1", poll) == (0, 0)
    assert await store.entries.count("f1") == 2


async def test_reused_guid_within_one_poll(store: Store) -> None:
    await setup(store)
    assert await record(store, "f1", [B, A]) == (2, 2)
    assert await record(store, "f1", [A, B]) == (0, 0)
    assert await record(store, "f1", [A, A, B, B]) == (0, 0)


async def test_third_item_under_the_same_guid(store: Store) -> None:
    await setup(store)
    third = entry("g", title="Parade cancelled", link="https://news.example/cancelled")
    assert await record(store, "f1", [A]) == (1, 1)
    assert await record(store, "f1", [B, A]) == (1, 1)
    assert await record(store, "f1", [third, B, A]) == (1, 1)
    assert await record(store, "f1", [A, third, B]) == (0, 0)


async def test_an_edit_is_not_a_new_item(store: Store) -> None:
    await setup(store)
    assert await record(store, "f1", [A, B]) == (2, 2)
    for change in (
        edited(A, title="Parade in Beijing (updated)"),
        edited(A, link="https://news.example/parade-2"),
        edited(B, title="Parade of tall ships in Kiel"),
        edited(B, link="https://news.example/kiel?page=2"),
    ):
        assert await record(store, "f1", [change]) == (0, 0), change


async def test_same_guid_in_another_feed_is_that_feeds_own(store: Store) -> None:
    await setup(store)
    assert await record(store, "f1", [A]) == (1, 1)
    other = entry("g", title="Harbour news", link="https://other.example/1", feed="f2")
    assert await record(store, "f2", [other]) == (1, 1)
    assert await record(store, "f2", [other]) == (0, 0)
