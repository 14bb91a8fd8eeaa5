"""The authority: feedparser, and the one reading of its result both parsers answer with.

Runs in the parser worker (standard library and feedparser only), on bytes + response headers
that :func:`bot.feed._worker.prepare` has made safe. :func:`parse_feedparser` returns the
worker's feed tuple ``(title, link, ttl, entries, bozo, version)``; every entry goes through
:func:`entry_tuple`, which the fast path (:mod:`bot.feed._fast`) calls too, on the entry dict it
rebuilt, so caps and readings (which content, HTML or not, which dates) cannot drift apart.
"""

from __future__ import annotations

import html
import math
from typing import Any

SHORT = 8 * 1024  # raw cap for ids, links, titles, authors (normalization caps further)
LONG = 64 * 1024  # raw cap for summaries and content
MAX_ENTRIES = 1000


def _when(entry: Any, *keys: str) -> tuple[int, ...] | None:
    for key in keys:
        value = entry.get(key)
        if value:
            try:
                return tuple(int(v) for v in value[:6])
            except (TypeError, ValueError):
                continue
    return None


def capped(value: Any, cap: int = SHORT) -> str | None:
    return value[:cap] if isinstance(value, str) and value else None


def _is_html(detail: Any) -> bool:
    kind = detail.get("type", "") if hasattr(detail, "get") else ""
    return isinstance(kind, str) and "html" in kind


def _web_link(entry: Any) -> str | None:
    """feedparser's link, or, when that is no web address (``<link uri="at://...">``), the
    http(s) text of the <link> element it came from (kept by :func:`_keep_link_text`)."""
    link = capped(entry.get("link"))
    if link is None or is_web_or_relative(link):
        return link
    for item in entry.get("links") or ():
        text = item.get(LINK_TEXT) if hasattr(item, "get") else None
        if item.get("href") == link and isinstance(text, str):
            text = html.unescape(text).strip()
            if text[:8].lower().startswith(("http://", "https://")):
                return text[:SHORT]
    return link


def is_web_or_relative(link: str) -> bool:
    scheme, colon, _ = link.partition(":")
    if not colon or not scheme.isascii() or not scheme[:1].isalpha():
        return True  # no scheme: relative, resolved later against the document
    if not all(c.isalnum() or c in "+-." for c in scheme):
        return True  # "a/b:c" is a relative path, not a scheme
    return scheme.lower() in ("http", "https")


LINK_TEXT = "newsbot_text"


def _keep_link_text() -> None:
    """Make feedparser keep the text of a <link> that has an href/uri/url attribute.

    feedparser takes the attribute and drops the element's text; the text is stored on the
    link's dict (``links[i]["newsbot_text"]``) and used only when the attribute is no web
    address. Idempotent; wraps feedparser's own start/end handlers, changing nothing else.
    """
    from feedparser.mixin import _FeedParserMixin as Mixin

    if getattr(Mixin, "_newsbot_link_text", False):
        return
    start_link, end_link = Mixin._start_link, Mixin._end_link

    def _start_link(self: Any, attrs_d: dict[str, str]) -> None:
        links = self._get_context().get("links") or []
        before = len(links)
        start_link(self, attrs_d)
        links = self._get_context().get("links") or []
        if "href" in attrs_d and self.inentry and len(links) > before:
            self.push(LINK_TEXT, 0)  # plain text collection: feedparser saves nothing

    def _end_link(self: Any) -> None:
        if self.elementstack and self.elementstack[-1][0] == LINK_TEXT:
            text = self.pop(LINK_TEXT)
            links = self._get_context().get("links")
            if links and text:
                links[-1][LINK_TEXT] = text
        else:
            end_link(self)

    Mixin._start_link = _start_link
    Mixin._end_link = _end_link
    Mixin._newsbot_link_text = True


def entry_tuple(entry: Any) -> tuple[Any, ...]:
    """One feedparser entry dict as the worker's entry tuple (see ``parse.feed_from_tuple``)."""
    content = ""
    content_html = False
    for item in entry.get("content") or ():
        value = item.get("value") if hasattr(item, "get") else None
        if isinstance(value, str) and value:
            content, content_html = value[:LONG], _is_html(item)
            break
    summary = capped(entry.get("summary"), LONG) or ""
    return (
        capped(entry.get("id")),
        _web_link(entry),
        capped(entry.get("title")),
        _is_html(entry.get("title_detail") or {}),
        summary,
        _is_html(entry.get("summary_detail") or {}) or bool(summary and "<" in summary),
        content,
        content_html,
        _when(entry, "published_parsed", "updated_parsed", "created_parsed"),
        _when(entry, "updated_parsed"),
        capped(entry.get("author")),
    )


def ttl_seconds(raw: Any) -> float | None:
    """RSS <ttl> (minutes, as feedparser stored it) in seconds; None unless a finite number."""
    try:
        ttl = float(raw) * 60.0 if raw not in (None, "") else None
    except (TypeError, ValueError):
        return None
    return ttl if ttl is not None and math.isfinite(ttl) else None


def parse_feedparser(body: bytes, headers: dict[str, str]) -> tuple[Any, ...]:
    """The authority: feedparser on a :func:`prepare`-d document."""
    import feedparser

    _keep_link_text()
    # No Content-Location default: feedparser would resolve relative guids against it.
    result = feedparser.parse(
        body, response_headers=headers, sanitize_html=False, resolve_relative_uris=False
    )
    feed = result.get("feed", {})
    bozo = result.get("bozo_exception") if result.get("bozo") else None
    entries = tuple(entry_tuple(e) for e in result.get("entries", ())[:MAX_ENTRIES])
    return (
        capped(feed.get("title")),
        capped(feed.get("link")),
        ttl_seconds(feed.get("ttl")),
        entries,
        f"{type(bozo).__name__}: {bozo}"[:500] if bozo is not None else None,
        result.get("version", "") or "",
    )
