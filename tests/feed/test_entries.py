from __future__ import annotations

import hashlib
from datetime import UTC, datetime, timedelta

import pytest
from hypothesis import given
from hypothesis import strategies as st

from bot.feed.entries import SUMMARY_MAX, TITLE_MAX, normalize_entries
from bot.feed.parse import ParsedFeed, RawEntry

NOW = datetime(2024, 5, 1, 12, 0, tzinfo=UTC)


def feed(*entries: RawEntry, url: str = "https://example.com/feed.xml") -> ParsedFeed:
    return ParsedFeed(title="t", link=None, ttl=None, entries=entries, url=url)


@pytest.mark.parametrize(
    ("raw", "key"),
    [
        (RawEntry(id="guid-1", link="https://e.com/a", title="T"), "guid-1"),
        (RawEntry(id=None, link="https://E.com/a?utm_source=x#f", title="T"), "https://e.com/a"),
        (RawEntry(id="  ", link="https://e.com/b", title="T"), "https://e.com/b"),
        (
            RawEntry(title="Only title", published=datetime(2024, 1, 1, tzinfo=UTC)),
            "sha256:" + hashlib.sha256(
                b"Only title\x1f2024-01-01T00:00:00+00:00").hexdigest(),
        ),
        (RawEntry(title="No date"), "sha256:" + hashlib.sha256(b"No date\x1f").hexdigest()),
        (RawEntry(id="x" * 600), "sha256:" + hashlib.sha256(b"x" * 600).hexdigest()),
        # an id keeps what text loses (an unexpanded &name;): stored keys stay the same
        (RawEntry(id="tag:e.com,2024:&story;1", title="T"), "tag:e.com,2024:&story;1"),
    ],
    ids=["guid", "canonical-link", "blank-guid", "title+date", "title-only", "long-id",
         "id-with-entity-reference"],
)  # fmt: skip
def test_entry_key_fallbacks(raw: RawEntry, key: str) -> None:
    [entry] = normalize_entries(feed(raw), "f", NOW)
    assert entry.key == key


def test_relative_link_resolved_against_document() -> None:
    [entry] = normalize_entries(feed(RawEntry(id="1", link="/post/1?fbclid=z")), "f", NOW)
    assert entry.link == "https://example.com/post/1"


def test_non_http_links_dropped() -> None:
    [entry] = normalize_entries(feed(RawEntry(id="1", link="javascript:x()")), "f", NOW)
    assert entry.link is None


def test_dates_utc_clamped_and_missing() -> None:
    future = NOW + timedelta(days=3)
    entries = normalize_entries(
        feed(
            RawEntry(id="a", published=future),
            RawEntry(id="b"),
            RawEntry(id="c", updated=datetime(2024, 1, 1, tzinfo=UTC)),
        ),
        "f",
        NOW,
    )
    assert [e.published for e in entries] == [NOW, None, datetime(2024, 1, 1, tzinfo=UTC)]


def test_html_reduced_and_capped() -> None:
    raw = RawEntry(
        id="1",
        title="<b>Bold</b> &amp; x" + "y" * 1000,
        title_is_html=True,
        summary="<p>Hello<script>evil()</script> <i>world</i></p>" + "z" * 20000,
        summary_is_html=True,
    )
    [entry] = normalize_entries(feed(raw), "f", NOW)
    assert entry.title.startswith("Bold & x") and len(entry.title) <= TITLE_MAX
    assert entry.summary.startswith("Hello world") and len(entry.summary) <= SUMMARY_MAX
    assert "evil" not in entry.summary


def test_content_used_when_no_summary_and_title_fallback() -> None:
    raw = RawEntry(id="1", content="<p>First line</p><p>second</p>", content_is_html=True)
    [entry] = normalize_entries(feed(raw), "f", NOW)
    assert entry.summary == "First line\nsecond" and entry.title == "First line"


def test_duplicate_keys_dropped() -> None:
    entries = normalize_entries(feed(RawEntry(id="1", title="a"), RawEntry(id="1")), "f", NOW)
    assert [e.title for e in entries] == ["a"]


def test_reused_guid_for_another_item_kept_for_the_store() -> None:
    """Same guid, link AND title both different: another item (the store derives its key);
    same guid with the same link or the same title: a repeat, dropped."""
    raws = [
        RawEntry(id="g", title="Parade", link="https://e.com/parade"),
        RawEntry(id="g", title="Kiel", link="https://e.com/kiel"),
        RawEntry(id="g", title="Parade", link="https://e.com/other"),
        RawEntry(id="g", title="Other", link="https://e.com/kiel?utm_source=x"),
        RawEntry(id="g", title="Kiel", link="https://e.com/kiel"),
    ]
    entries = normalize_entries(feed(*raws), "f", NOW)
    assert [(e.key, e.title) for e in entries] == [("g", "Parade"), ("g", "Kiel")]


@given(st.text(), st.text(), st.text())
def test_text_fields_always_clean(title: str, summary: str, author: str) -> None:
    raw = RawEntry(id=title, title=title, summary=summary, summary_is_html=True, author=author)
    [entry] = normalize_entries(feed(raw), "f", NOW)
    for value in (entry.title, entry.summary, entry.author or "", entry.key):
        value.encode("utf-8")
        assert not any(ord(c) < 32 and c != "\n" for c in value)
    assert len(entry.title) <= TITLE_MAX and len(entry.summary) <= SUMMARY_MAX
