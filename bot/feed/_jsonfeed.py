"""JSON Feed 1.0 / 1.1 (https://jsonfeed.org) in the parser worker: standard library only.

A document is JSON when its first byte past whitespace (and a UTF-8 BOM) is ``{`` or ``[``;
it is a JSON Feed when its ``version`` names jsonfeed.org, or when it was served as
``application/feed+json``. It comes out as the same tuple the XML parsers give
(``_worker.parse_feedparser``), so the same caps and ``bot.feed.entries`` normalization apply:

* feed: ``title``, ``home_page_url`` as its link; version ``json1``, ``json11`` or ``json``;
* entry: ``id`` (numbers are taken as written), ``url`` else ``external_url`` as the link,
  ``title`` (plain text), ``summary`` (plain text, taken as HTML when it holds ``<``, as the
  XML path does), ``content_html`` else ``content_text`` as the content (the summary falls back
  to it), ``date_published`` / ``date_modified`` (RFC 3339; other spellings through
  feedparser's date parser, as for XML feeds), authors: 1.1 ``authors`` else 1.0 ``author``
  names, the item's else the feed's, joined with ", ".

Hostile input gives :class:`JSONFeedError` (a ``ValueError``; the pool's ``ParseError``),
never a crash: invalid JSON, nesting deeper than the interpreter's recursion limit, a top
level that is no object, ``items`` that is no array. Items that are no object are skipped;
fields of the wrong type are ignored. Numbers are never converted (a 10⁶-digit "id" costs
nothing), ``NaN``/``Infinity`` are null.
"""

from __future__ import annotations

import json
import re
from datetime import UTC, datetime
from typing import Any

VERSIONS = {
    "https://jsonfeed.org/version/1": "json1",
    "https://jsonfeed.org/version/1.1": "json11",
}
_JSON_TYPES = ("application/feed+json", "application/json")
# RFC 3339 date-time: fixed shape, no nested or overlapping quantifiers (linear)
_RFC3339 = re.compile(
    r"[0-9]{4}-[0-9]{2}-[0-9]{2}[Tt ][0-9]{2}:[0-9]{2}:[0-9]{2}(?:\.[0-9]{1,20})?"
    r"(?:[Zz]|[+-][0-9]{2}:[0-9]{2})?"
)
_WHITESPACE = b" \t\r\n"


class JSONFeedError(ValueError):
    """The document is JSON but not a usable JSON Feed."""


class _Number(str):
    """A JSON number, kept as written (only an ``id`` may be one)."""


def is_json(body: bytes) -> bool:
    """Whether the document is JSON rather than XML (its first significant byte)."""
    head = body[:1024].lstrip(_WHITESPACE)
    if head.startswith(b"\xef\xbb\xbf"):
        head = head[3:].lstrip(_WHITESPACE)
    return head[:1] in (b"{", b"[")


def parse_jsonfeed(
    body: bytes,
    headers: dict[str, str],
    *,
    short: int,
    long: int,
    max_entries: int,
    parse_date: Any = None,
) -> tuple[Any, ...]:
    """``(title, link, ttl, entries, bozo, version)`` like the XML parsers; raises
    JSONFeedError. ``short``/``long`` cap text fields, ``max_entries`` the entry count;
    ``parse_date`` is the lenient fallback for dates that are not RFC 3339."""
    text = body.decode("utf-8", errors="replace").lstrip("\ufeff")
    try:
        data = json.loads(
            text, parse_int=_Number, parse_float=_Number, parse_constant=lambda _: None
        )
    except RecursionError as exc:
        raise JSONFeedError("not a feed: JSON nested too deeply") from exc
    except ValueError as exc:
        raise JSONFeedError(f"not a feed: invalid JSON ({exc})"[:300]) from exc
    if not isinstance(data, dict):
        raise JSONFeedError(f"not a feed: JSON whose top level is {_kind(data)}, not an object")
    declared = data.get("version")
    version = VERSIONS.get(declared.strip(), "") if type(declared) is str else ""
    if not version:
        kind = headers.get("content-type", "").split(";", 1)[0].strip().lower()
        if kind != _JSON_TYPES[0] and not (
            type(declared) is str and declared.strip().startswith("https://jsonfeed.org/")
        ):
            raise JSONFeedError("not a feed: JSON without a jsonfeed.org version")
        version = "json"
    items = data.get("items", [])
    if not isinstance(items, list):
        raise JSONFeedError(f"not a feed: JSON Feed items is {_kind(items)}, not an array")
    feed_authors = _authors(data)
    entries = tuple(
        _entry(item, feed_authors, short, long, parse_date)
        for item in items[:max_entries]
        if isinstance(item, dict)
    )
    return (
        _str(data.get("title"), short),
        _str(data.get("home_page_url"), short),
        None,
        entries,
        None,
        version,
    )


def _entry(
    item: dict[str, Any], feed_authors: str | None, short: int, long: int, parse_date: Any
) -> tuple[Any, ...]:
    ident = item.get("id")
    ident = ident.strip()[:short] or None if isinstance(ident, str) else None  # str or _Number
    link = _str(item.get("url"), short) or _str(item.get("external_url"), short)
    summary = _str(item.get("summary"), long) or ""
    content_html = _str(item.get("content_html"), long)
    content, content_is_html = (
        (content_html, True) if content_html else (_str(item.get("content_text"), long), False)
    )
    published = _date(item.get("date_published"), parse_date)
    updated = _date(item.get("date_modified"), parse_date)
    author = _authors(item) or feed_authors
    return (
        ident,
        link,
        _str(item.get("title"), short),
        False,
        summary,
        "<" in summary,
        content or "",
        content_is_html,
        published or updated,
        updated,
        author[:short] if author else None,
    )


def _authors(obj: dict[str, Any]) -> str | None:
    """1.1 ``authors`` (an array), else 1.0 ``author`` (an object): their names."""
    many = obj.get("authors")
    people = many if isinstance(many, list) else [obj.get("author")]
    names = [
        p["name"].strip()
        for p in people[:100]
        if isinstance(p, dict) and type(p.get("name")) is str
    ]
    return ", ".join(n for n in names if n) or None


def _date(value: Any, parse_date: Any) -> tuple[int, ...] | None:
    if type(value) is not str or not value.strip() or len(value) > 100:
        return None
    value = value.strip()
    if _RFC3339.fullmatch(value):
        try:
            when = datetime.fromisoformat(value.upper().replace(" ", "T"))
            if when.tzinfo is None:
                when = when.replace(tzinfo=UTC)
            return tuple(when.astimezone(UTC).timetuple()[:6])
        except (ValueError, OverflowError):
            return None
    parsed = parse_date(value) if parse_date is not None else None
    return tuple(int(v) for v in parsed[:6]) if parsed else None


def _str(value: Any, cap: int) -> str | None:
    return value.strip()[:cap] or None if type(value) is str else None


def _kind(value: Any) -> str:
    if isinstance(value, list):
        return "an array"
    if isinstance(value, _Number):
        return "a number"
    if isinstance(value, str):
        return "a string"
    if isinstance(value, bool):
        return "a boolean"
    return "null" if value is None else "an object"
