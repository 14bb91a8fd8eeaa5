"""Normalize parsed entries once, into :class:`bot.models.Entry` (pure).

* key: the entry's guid/id, else its canonical link, else ``sha256:`` of title + date;
  keys are cleaned and at most 512 characters (longer ones are hashed);
* link: resolved against the document URL, then :func:`bot.feed.links.canonical_link`
  (http/https only), else None;
* published: UTC, missing means None, a date in the future is clamped to ``now``;
* text: HTML reduced with :func:`bot.text.html_to_text`, control characters, NULs and lone
  surrogates removed; title at most 512 characters, summary 8 KB (8192 characters),
  author 256; an entry without a title uses the start of its summary, else its link.
* an entry whose key repeats within one document is dropped when its link or its title is
  that of an earlier entry with the key (a repeat); when both differ, the publisher reused one
  guid for another item: it is kept, and the store tells the two apart.
"""

from __future__ import annotations

import hashlib
from datetime import UTC, datetime
from urllib.parse import urljoin

from bot.feed.links import canonical_link
from bot.feed.parse import ParsedFeed, RawEntry
from bot.models import Entry
from bot.text import clean_text, html_to_text

TITLE_MAX = 512
SUMMARY_MAX = 8192
AUTHOR_MAX = 256
KEY_MAX = 512


def normalize_entries(parsed: ParsedFeed, feed_id: str, now: datetime) -> list[Entry]:
    """Entries of ``parsed`` as clean :class:`Entry` records, in document order, without
    repeats (see the module docstring)."""
    if now.tzinfo is None:
        now = now.replace(tzinfo=UTC)
    seen: dict[str, list[Entry]] = {}
    out: list[Entry] = []
    for raw in parsed.entries:
        entry = normalize_entry(raw, feed_id, now, parsed.url)
        earlier = seen.setdefault(entry.key, [])
        if any(entry.link == e.link or entry.title == e.title for e in earlier):
            continue
        earlier.append(entry)
        out.append(entry)
    return out


def normalize_entry(raw: RawEntry, feed_id: str, now: datetime, base: str = "") -> Entry:
    link = canonical_link(urljoin(base, raw.link) if base and raw.link else raw.link)
    if link is None and raw.id and raw.id.startswith(("http://", "https://")):
        link = canonical_link(raw.id)  # Atom ids are often the permalink
    title = _text(raw.title or "", raw.title_is_html, TITLE_MAX)
    body, body_html = (
        (raw.summary, raw.summary_is_html) if raw.summary else (raw.content, raw.content_is_html)
    )
    summary = _text(body, body_html, SUMMARY_MAX)
    published = _clamp(raw.published or raw.updated, now)
    if not title:
        title = clean_text(summary.split("\n", 1)[0], TITLE_MAX) or (link or "")
    author = clean_text(raw.author, AUTHOR_MAX) if raw.author else None
    return Entry(
        feed_id=feed_id,
        key=entry_key(raw, link, title, published),
        title=title,
        link=link,
        summary=summary,
        published=published,
        author=author or None,
    )


def entry_key(raw: RawEntry, link: str | None, title: str, published: datetime | None) -> str:
    """guid/id, else canonical link, else a hash of title + date (see module docstring)."""
    ident = clean_text(raw.id, entities=False) if raw.id else ""  # keys as stored before
    if ident:
        if len(ident) <= KEY_MAX:
            return ident
        return "sha256:" + hashlib.sha256(ident.encode("utf-8")).hexdigest()
    if link:
        if len(link) <= KEY_MAX:
            return link
        return "sha256:" + hashlib.sha256(link.encode("utf-8")).hexdigest()
    stamp = published.isoformat() if published else ""
    digest = hashlib.sha256(f"{title}\x1f{stamp}".encode()).hexdigest()
    return f"sha256:{digest}"


def _text(value: str, is_html: bool, limit: int) -> str:
    if not value:
        return ""
    return html_to_text(value, limit) if is_html else clean_text(value, limit)


def _clamp(when: datetime | None, now: datetime) -> datetime | None:
    if when is None:
        return None
    when = when.replace(tzinfo=UTC) if when.tzinfo is None else when.astimezone(UTC)
    return min(when, now)
