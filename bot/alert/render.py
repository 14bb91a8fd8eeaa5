"""Alert -> Telegram messages (pure: ``now`` and ``tz`` are parameters, no I/O).

One item renders as one HTML message::

    <b><a href="LINK">Title</a></b>
    Feed name · 12 min ago            (or "14:05 UTC, 3 Sep" once older than an hour)
    Matched: Rule A, Rule B

    …summary snippet around the first match, matched words in <b>…

Several items render as a digest: a header ("12 new alerts", "(2/3)" when split)
and one line per entry, ``• <a href="LINK">Title</a> — Feed``, split into as
many messages as needed; nothing is dropped.  Digest text does not depend on
``now``, so re-rendering the same alert always yields the same split (the
sender may resume a partly sent digest by index).

Guarantees for every ``Message``: the text Telegram shows after parsing the
HTML is non-empty and at most 4096 UTF-16 code units, and so is
``plain_fallback``; the HTML source is at most ``MAX_HTML_UTF16`` units with at
most ``MAX_ENTITIES`` tags.  Feed strings are cut on plain text before they are
escaped, and only http(s) links become ``<a href>``.
"""

from __future__ import annotations

from collections.abc import Iterable, Sequence
from dataclasses import dataclass
from datetime import UTC, datetime, tzinfo

from bot.alert import markup
from bot.alert.limits import (
    ELLIPSIS,
    MAX_ENTITIES,
    MAX_HTML_UTF16,
    MAX_TEXT_UTF16,
    cut_utf16,
    sanitize,
    truncate,
    utf16_len,
)
from bot.alert.markup import EMPTY, NEWLINE, Fragment
from bot.models import Alert, AlertItem, AlertKind, Message, Outlet, Span

# Per-field caps for a single-item alert, in UTF-16 units of visible text.
TITLE_MAX = 1024
FEED_MAX = 128
RULES_MAX = 512
SNIPPET_MAX = 700
OUTLETS_MAX = 8  # other outlets named in "Also reported by" (the rest: "+N")
OUTLET_NAME_MAX = 48
# Digest lines stay compact.
DIGEST_TITLE_MAX = 256
DIGEST_FEED_MAX = 64
_HEADER_RESERVE = 64  # units (text and HTML) kept free for a digest header
_MAX_HIGHLIGHTS = 40
UNTITLED = "(untitled)"


def render_alert(
    alert: Alert, now: datetime, tz: tzinfo | None = None, link_preview: bool = False
) -> list[Message]:
    """Render ``alert`` for Telegram: one message per item, or a split digest for several."""
    if len(alert.items) == 1:
        return [render_item(alert.items[0], now, tz, link_preview)]
    return render_digest(alert.items, kind=alert.kind)


# --------------------------------------------------------------------------- one item


@dataclass(frozen=True, slots=True)
class _Caps:
    title: int
    feed: int
    rules: int
    snippet: int
    with_link: bool = True
    outlets: int = OUTLETS_MAX  # other outlets named (with links); the rest are counted


_ATTEMPTS = (
    _Caps(TITLE_MAX, FEED_MAX, RULES_MAX, SNIPPET_MAX),
    _Caps(TITLE_MAX, FEED_MAX, RULES_MAX, SNIPPET_MAX // 2, outlets=5),
    _Caps(TITLE_MAX // 2, FEED_MAX, RULES_MAX // 2, SNIPPET_MAX // 4, outlets=3),
    _Caps(TITLE_MAX // 4, FEED_MAX // 2, RULES_MAX // 4, 0, outlets=2),
    _Caps(64, 64, 64, 0, with_link=False, outlets=0),  # always fits: < 450 units escaped
)


def render_item(
    item: AlertItem, now: datetime, tz: tzinfo | None = None, link_preview: bool = False
) -> Message:
    """One entry as one HTML message (see the module docstring for the layout)."""
    for caps in _ATTEMPTS:
        body = _item_fragment(item, now, tz, caps)
        if _fits(body):
            break
    return Message(
        text=body.html,
        parse_mode="HTML",
        plain_fallback=body.plain,
        disable_preview=not link_preview,
    )


def _fits(body: Fragment, reserve: int = 0) -> bool:
    return (
        0 < body.text_units <= MAX_TEXT_UTF16 - reserve
        and body.plain_units <= MAX_TEXT_UTF16 - reserve
        and body.html_units <= MAX_HTML_UTF16 - reserve
        and body.entities <= MAX_ENTITIES - (1 if reserve else 0)
    )


def _item_fragment(item: AlertItem, now: datetime, tz: tzinfo | None, caps: _Caps) -> Fragment:
    title = sanitize(item.title).strip() or UNTITLED
    title = _one_line(truncate(title, caps.title))
    url = item.link if caps.with_link else None
    headline = markup.wrap("b", markup.link(markup.text(title), url, plain_url=False))
    if caps.with_link and markup.safe_url(url):
        headline = Fragment(headline.html, headline.text, f"{headline.plain}\n{url}", 2)

    meta = [truncate(_one_line(sanitize(item.feed_name).strip()), caps.feed)]
    when = format_published(item.published, now, tz)
    if when:
        meta.append(when)
    lines = [headline, markup.text(" · ".join(m for m in meta if m))]

    rules = ", ".join(_one_line(sanitize(r).strip()) for r in item.rule_titles if r.strip())
    if rules:
        lines.append(markup.text("Matched: ") + markup.bold(truncate(rules, caps.rules)))
    if item.also:
        lines.append(_also(item.also, caps.outlets, caps.with_link))

    summary = sanitize(item.summary)
    snippet = _snippet(summary, _ranges(item.spans, "summary", len(summary)), caps.snippet)
    if snippet.text.strip():
        lines += [EMPTY, snippet]
    return markup.join((line for line in lines if line.text or line is EMPTY), NEWLINE)


def _one_line(value: str) -> str:
    return " ".join(value.split())


def _also(outlets: Sequence[Outlet], named: int, with_links: bool) -> Fragment:
    """``Also reported by: Daily World, Evening Gazette, +3`` (names linked to their story):
    the list is shortened to fit, the message never broken."""
    shown = [
        markup.link(
            markup.text(truncate(_one_line(sanitize(o.name).strip()) or "?", OUTLET_NAME_MAX)),
            o.link if with_links else None,
            plain_url=False,
        )
        for o in outlets[:named]
    ]
    rest = len(outlets) - len(shown)
    if rest:
        shown.append(markup.text(f"+{rest}" if shown else f"{rest} other outlets"))
    return markup.text("Also reported by: ") + markup.join(shown, markup.text(", "))


def _ranges(spans: Iterable[Span], field: str, length: int) -> list[tuple[int, int]]:
    """The spans of ``field``, clipped to the text, sorted and merged."""
    ranges = sorted(
        (max(0, s.start), min(length, s.end))
        for s in spans
        if s.field == field and min(length, s.end) > max(0, s.start)
    )
    merged: list[tuple[int, int]] = []
    for start, end in ranges:
        if merged and start <= merged[-1][1]:
            merged[-1] = (merged[-1][0], max(merged[-1][1], end))
        else:
            merged.append((start, end))
    return merged


def _snippet(summary: str, ranges: Sequence[tuple[int, int]], max_units: int) -> Fragment:
    """At most ``max_units`` of ``summary`` around the first match, matches in bold."""
    if not summary.strip() or max_units < 8:
        return EMPTY
    start = 0
    if ranges and utf16_len(summary[: ranges[0][1]]) > max_units - 8:
        first = ranges[0][0]
        start = max(0, first - max_units // 4)
        gap = summary.find(" ", start, first)  # begin on a word boundary when one is near
        if 0 <= gap - start <= 20:
            start = gap + 1
    while start < len(summary) and summary[start].isspace():
        start += 1
    prefix = ELLIPSIS if start > 0 else ""
    body = summary[start:]
    room = max_units - utf16_len(prefix)
    if utf16_len(body) <= room:
        kept, suffix = body.rstrip(), ""
    else:
        kept = cut_utf16(body, room - utf16_len(ELLIPSIS))
        space = kept.rfind(" ")
        if space >= len(kept) * 0.8:
            kept = kept[:space]
        kept, suffix = kept.rstrip(), ELLIPSIS
    shifted = [
        (max(0, s - start), min(len(kept), e - start))
        for s, e in ranges
        if min(len(kept), e - start) > max(0, s - start)
    ][:_MAX_HIGHLIGHTS]
    return markup.text(prefix) + markup.highlighted(kept, shifted) + markup.text(suffix)


def format_published(published: datetime | None, now: datetime, tz: tzinfo | None = None) -> str:
    """``"just now"``, ``"12 min ago"`` within the hour, else ``"14:05 UTC, 3 Sep"``."""
    if published is None:
        return ""
    published = _aware(published)
    now = _aware(now)
    age = (now - published).total_seconds()
    if 0 <= age < 60:
        return "just now"
    if 60 <= age < 3600:
        return f"{int(age // 60)} min ago"
    local = published.astimezone(tz or UTC)
    local_now = now.astimezone(tz or UTC)
    zone = local.tzname() or "UTC"
    year = f" {local.year}" if local.year != local_now.year else ""
    return f"{local:%H:%M} {zone}, {local.day} {local:%b}{year}"


def _aware(moment: datetime) -> datetime:
    return moment if moment.tzinfo is not None else moment.replace(tzinfo=UTC)


# --------------------------------------------------------------------------- digests


def render_digest(
    items: Sequence[AlertItem], kind: AlertKind = AlertKind.ALERT, header: str | None = None
) -> list[Message]:
    """Several items as compact messages, one line each, split at Telegram's limits;
    ``header`` (plain text, escaped here) replaces "N new alerts" (/search)."""
    lines = [_digest_line(item) for item in items]
    chunks: list[list[Fragment]] = []
    current: Fragment | None = None
    for line in lines:
        candidate = line if current is None else current + NEWLINE + line
        if current is not None and not _fits(candidate, reserve=_HEADER_RESERVE):
            chunks.append([current])
            candidate = line
        current = candidate
    if current is not None:
        chunks.append([current])
    total = len(chunks)
    noun = "new alert" if len(items) == 1 else "new alerts"
    label = "Digest: " if kind == AlertKind.DIGEST else ""
    messages = []
    for number, (body,) in enumerate(chunks, start=1):
        part = f" ({number}/{total})" if total > 1 else ""
        title = f"{label}{len(items)} {noun}" if header is None else header
        message = markup.bold(f"{title}{part}") + NEWLINE + body
        messages.append(
            Message(
                text=message.html,
                parse_mode="HTML",
                plain_fallback=message.plain,
                disable_preview=True,
            )
        )
    return messages


def _digest_line(item: AlertItem) -> Fragment:
    """One story: ``• Title — Feed (+3 outlets)``."""
    title = _one_line(truncate(sanitize(item.title).strip() or UNTITLED, DIGEST_TITLE_MAX))
    feed = truncate(_one_line(sanitize(item.feed_name).strip()), DIGEST_FEED_MAX)
    line = markup.text("• ") + markup.link(markup.text(title), item.link)
    if feed:
        line = line + markup.text(f" — {feed}")
    if item.also:
        count = len(item.also)
        line = line + markup.text(f" (+{count} outlet{'' if count == 1 else 's'})")
    return line
