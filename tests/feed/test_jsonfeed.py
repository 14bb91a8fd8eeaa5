"""JSON Feed 1.0/1.1 through the real local server, the fetcher and the parser pool.

Entries come out exactly as an XML feed's would (same caps, same normalization); hostile JSON
is a clear ParseError and the workers survive it.
"""

from __future__ import annotations

import json
from datetime import UTC, datetime
from typing import Any

import pytest

from bot.errors import ParseError
from bot.feed.entries import SUMMARY_MAX, TITLE_MAX
from bot.feed.parse import ParserPool
from bot.models import Entry
from tests.feed.conftest import Served

FEED_JSON = "application/feed+json"
V11 = "https://jsonfeed.org/version/1.1"
V10 = "https://jsonfeed.org/version/1"


NAN_MARK = "__nan__"


def doc(items: list[Any], version: str | None = V11, **top: Any) -> str:
    data: dict[str, Any] = {"title": "JSON News", "home_page_url": "https://example.org/"}
    if version is not None:
        data["version"] = version
    data.update(top)
    data["items"] = items
    return json.dumps(data)


def utc(*parts: int) -> datetime:
    return datetime(*parts, tzinfo=UTC)


async def test_json_feed_11(served: Served) -> None:
    items = [
        {
            "id": "tag:example.org,2029:1",
            "url": "https://example.org/a?utm_source=json",
            "title": "First & foremost",
            "content_html": "<p>Hello <b>world</b></p>",
            "content_text": "ignored: html is preferred",
            "summary": "A short summary",
            "date_published": "2029-03-01T10:00:00+02:00",
            "date_modified": "2029-03-02T00:00:00Z",
            "authors": [{"name": "Ann"}, {"url": "https://b.example"}, {"name": " Bo "}],
        },
        {
            "id": 2,
            "external_url": "/relative/2",
            "content_text": "Only text <not a tag>\nsecond line",
            "date_modified": "2029-03-03T04:05:06.789Z",
        },
        {"id": "3", "url": "https://example.org/3", "content_html": "<p>No title here</p>"},
    ]
    feed, entries = await served(doc(items, authors=[{"name": "Desk"}]), FEED_JSON)
    assert (feed.title, feed.link, feed.version, feed.ttl) == (
        "JSON News",
        "https://example.org/",
        "json11",
        None,
    )
    assert entries == [
        Entry(
            "f",
            "tag:example.org,2029:1",
            "First & foremost",
            "https://example.org/a",
            "A short summary",
            utc(2029, 3, 1, 8),
            "Ann, Bo",
        ),
        Entry(
            "f",
            "2",
            "Only text <not a tag>",
            entries[1].link,
            "Only text <not a tag>\nsecond line",
            utc(2029, 3, 3, 4, 5, 6),
            "Desk",
        ),
        Entry("f", "3", "No title here", "https://example.org/3", "No title here", None, "Desk"),
    ]
    # relative links resolve against the document URL, as for XML feeds
    assert entries[1].link is not None and entries[1].link.endswith("/relative/2")
    assert entries[1].link.startswith("http://127.0.0.1:")


async def test_json_feed_10_author_and_plain_json_type(served: Served) -> None:
    items = [
        {
            "id": "a",
            "url": "https://example.org/a",
            "title": "Old style",
            "content_text": "text",
            "author": {"name": "Carla", "url": "mailto:c@example.org"},
            "date_published": "Tue, 05 Mar 2029 10:00:00 GMT",  # not RFC 3339: feedparser's
        }
    ]
    feed, [entry] = await served(doc(items, version=V10), "application/json; charset=utf-8")
    assert feed.version == "json1"
    assert (entry.author, entry.published) == ("Carla", utc(2029, 3, 5, 10))


async def test_feed_json_type_without_version(served: Served) -> None:
    feed, [entry] = await served(doc([{"id": "x", "title": "t"}], version=None), FEED_JSON)
    assert feed.version == "json" and entry.title == "t"


async def test_json_feed_served_as_text_plain_and_with_bom(served: Served) -> None:
    body = b"\xef\xbb\xbf \n" + doc([{"id": "x", "title": "Caf\u00e9"}]).encode()
    feed, [entry] = await served(body, "text/plain")
    assert feed.version == "json11" and entry.title == "Café"


async def test_utf16_json_feed(served: Served) -> None:
    body = doc([{"id": "x", "title": "Пример"}]).encode("utf-16")
    _, [entry] = await served(body, FEED_JSON)
    assert entry.title == "Пример"


async def test_caps_and_normalization_as_for_xml(served: Served) -> None:
    items: list[dict[str, Any]] = [
        {
            "id": "i0",
            "url": "https://example.org/0",
            "title": "T" * 5000,
            "summary": "<p>" + "word " * 5000 + "</p>",
            "date_published": "2999-01-01T00:00:00Z",  # the future: clamped to now
        }
    ]
    items += [{"id": f"i{i}", "title": f"t{i}"} for i in range(1, 1500)]
    _, entries = await served(doc(items), FEED_JSON)
    assert len(entries) == 1000  # the worker's entry cap
    first = entries[0]
    assert len(first.title) == TITLE_MAX and len(first.summary) <= SUMMARY_MAX
    assert not first.summary.startswith("<p>")  # a summary holding "<" is HTML
    assert first.published == datetime(2030, 1, 1, tzinfo=UTC)  # the fixture's now


async def test_wrong_field_types_are_ignored(served: Served) -> None:
    items: list[Any] = [
        "not an object",
        None,
        {
            "id": {"no": "object ids"},
            "url": ["https://example.org/list"],
            "external_url": "https://example.org/ext",
            "title": 5,
            "summary": False,
            "content_html": {"x": 1},
            "content_text": "kept",
            "date_published": 1_700_000_000,
            "date_modified": "not a date",
            "authors": "Somebody",
            "author": {"name": 7},
        },
        {"id": 12345678901234567890123456789, "title": "big", "summary": NAN_MARK},
    ]
    text = doc(items, authors={"name": "not an array"}).replace(f'"{NAN_MARK}"', "NaN")
    _, entries = await served(text, FEED_JSON)
    assert [(e.key, e.title, e.link, e.summary, e.published, e.author) for e in entries] == [
        ("https://example.org/ext", "kept", "https://example.org/ext", "kept", None, None),
        ("12345678901234567890123456789", "big", None, "", None, None),
    ]


HOSTILE: dict[str, tuple[bytes, str, str]] = {
    # name: (body, content type, ParseError message part)
    "deep-array": (b"[" * 200_000, FEED_JSON, "nested too deeply"),
    "deep-in-item": (
        doc([{"id": "1", "title": "x"}]).replace('"x"', "[" * 100_000 + "]" * 100_000).encode(),
        FEED_JSON,
        "nested too deeply",
    ),
    "invalid": (b'{"version": "https://jsonfeed.org/version/1.1", "items": [', FEED_JSON,
                "invalid JSON"),
    "top-level-array": (b'[{"id": 1}]', FEED_JSON, "top level is an array"),
    "items-not-array": (doc([]).replace('"items": []', '"items": {"id": 1}').encode(),
                        FEED_JSON, "items is an object, not an array"),
    "items-number": (doc([]).replace('"items": []', '"items": 1e999').encode(), FEED_JSON,
                     "items is a number"),
    "json-api-not-feed": (b'{"data": [1, 2, 3]}', "application/json",
                          "without a jsonfeed.org version"),
    "not-utf8": (b'{"version": 1.1, "items": "\xff\xfe"}', "application/json",
                 "without a jsonfeed.org version"),
}  # fmt: skip


@pytest.mark.parametrize("name", list(HOSTILE), ids=list(HOSTILE))
async def test_hostile_json_is_a_clear_parse_error(
    served: Served, pool: ParserPool, name: str
) -> None:
    body, content_type, message = HOSTILE[name]
    with pytest.raises(ParseError, match="not a feed") as caught:
        await served(body, content_type)
    assert message in str(caught.value)
    # the worker answered (no crash, no kill): nothing was restarted, the pool parses on
    assert pool.restarts == 0
    _, [entry] = await served(doc([{"id": "ok", "title": "fine"}]), FEED_JSON)
    assert entry.title == "fine" and pool.restarts == 0
