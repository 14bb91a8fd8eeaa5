"""Reply texts (Telegram HTML). Every user- or feed-supplied string goes through ``esc``.

A reply quotes at most an excerpt of what the user typed (``quote``: 40 characters), except
where showing it is the point (/test's highlights, /list's watches), and long replies are
split into valid messages (``split_message``). Pure: no Telegram objects, no I/O; ``now``
is passed in.
"""

from __future__ import annotations

import html
from collections.abc import Iterable, Iterator, Sequence
from datetime import UTC, datetime
from zoneinfo import ZoneInfo

from bot.chat.commands import BY_NAME, COMMANDS, Command, UsageError
from bot.chat.trial import Hit, HitKind
from bot.config.durations import format_duration
from bot.models import ChatPrefs, DigestMode, FeedState, Problem, RuleSpec, Span
from bot.store import Subscription, Watch
from bot.text import excerpt

MAX_UTF16 = 4096
_MIN_ROOM = 256  # a long line starts in the current message only if this much is left
CARET_WINDOW = 40  # characters of a long query shown either side of an error
MESSAGE_MAX = 200  # characters of an error message shown (it may quote the user's input)
TEST_MESSAGES = 3  # /test answers in at most this many messages


def quote(value: object, limit: int | None = None) -> str:
    """At most an excerpt of user input, escaped for HTML."""
    return esc(excerpt(str(value)) if limit is None else excerpt(str(value), limit))


def esc(value: object) -> str:
    return html.escape(str(value), quote=False)


def utf16_len(text: str) -> int:
    return len(text.encode("utf-16-le")) // 2


def split_message(lines: Iterable[str], limit: int = MAX_UTF16) -> list[str]:
    """Join lines into messages of at most ``limit`` UTF-16 units, breaking between lines.

    Lines are balanced Telegram HTML (every reply here is). A line too long for one message
    is split between HTML tokens, never inside a tag or an entity; the tags open at the
    split are closed at the end of one message and reopened at the start of the next.
    Sizes are counted on the HTML source, which is never shorter than the text Telegram
    shows. A message with nothing visible in it is left out (Telegram refuses those).
    """
    chunks: list[str] = []
    current: list[str] = []
    size = 0
    for line in lines:
        if utf16_len(line) < limit:
            pieces = [line]
        else:  # the first piece fills what the current message has left, if that is much
            room = limit - size - 1 if limit - size > _MIN_ROOM else limit - 1
            pieces = _split_line(line, limit - 1, room)
        for piece in pieces:
            length = utf16_len(piece) + 1
            if current and size + length > limit:
                chunks.append("\n".join(current))
                current, size = [], 0
            current.append(piece)
            size += length
    if current:
        chunks.append("\n".join(current))
    return [c for c in chunks if _visible(c)] or ["(empty)"]


def _tokens(html_text: str) -> Iterator[str]:
    """``html_text`` as tags, entities and runs of text (one linear scan)."""
    pos, n = 0, len(html_text)
    while pos < n:
        char = html_text[pos]
        end = -1
        if char == "<":
            end = html_text.find(">", pos)
        elif char == "&":
            end = html_text.find(";", pos, pos + 12)
        if end >= 0:
            yield html_text[pos : end + 1]
            pos = end + 1
            continue
        stop = pos + 1
        while stop < n and html_text[stop] not in "<&":
            stop += 1
        yield html_text[pos:stop]
        pos = stop


def _tag_name(tag: str) -> str:
    return tag[1:-1].split(None, 1)[0].lower() if len(tag) > 2 else ""


def _visible(html_text: str) -> bool:
    """True if Telegram would show something other than blanks for ``html_text``."""
    return any(not t.startswith("<") and not t.isspace() for t in _tokens(html_text))


def _split_line(line: str, limit: int, first: int) -> list[str]:
    """``line`` in pieces of at most ``limit`` UTF-16 units (the first: ``first``), split
    between HTML tokens.

    Tags open at a split are closed (innermost first) at the end of the piece and reopened
    at the start of the next, so every piece is balanced on its own. Text runs are cut
    between characters, at a space when one is near the end.
    """
    pieces: list[str] = []
    parts: list[str] = []
    stack: list[tuple[str, str]] = []  # (name, opening tag) of the tags open here
    room = first  # units this piece may have
    size = 0  # units in ``parts``
    closing = 0  # units of the closing tags ``stack`` needs
    added = 0  # tokens added since the piece began (its reopened tags aside)

    def flush() -> None:
        nonlocal parts, size, added, room
        pieces.append("".join(parts) + "".join(f"</{name}>" for name, _ in reversed(stack)))
        parts = [opening for _, opening in stack]
        size, added, room = sum(utf16_len(opening) for opening in parts), 0, limit

    def add(token: str) -> None:
        nonlocal size, added
        parts.append(token)
        size += utf16_len(token)
        added += 1

    for token in _tokens(line):
        if token.startswith("</"):
            add(token)
            if stack:
                closing -= utf16_len(f"</{stack.pop()[0]}>")
        elif token.startswith("<"):
            name = _tag_name(token)
            end_tag = utf16_len(f"</{name}>")
            if added and size + closing + utf16_len(token) + end_tag > room:
                flush()
            add(token)
            stack.append((name, token))
            closing += end_tag
        elif token.startswith("&"):
            if added and size + closing + utf16_len(token) > room:
                flush()
            add(token)
        else:
            while token:
                head = _cut(token, room - size - closing)
                if not head and not added:
                    head = token[0]  # always progress, even if the limit is absurdly small
                if head:
                    add(head)
                    token = token[len(head) :]
                if token:
                    flush()
    pieces.append("".join(parts))
    return pieces


def _cut(text: str, room: int) -> str:
    """The longest head of ``text`` within ``room`` UTF-16 units, ending at a space if one is
    in its last fifth."""
    if utf16_len(text) <= room:
        return text
    units = end = 0
    for char in text:
        units += 2 if ord(char) > 0xFFFF else 1
        if units > room:
            break
        end += 1
    space = text.rfind(" ", 0, end)
    if space >= 0 and space + 1 >= end * 0.8:
        end = space + 1
    return text[:end]


# --------------------------------------------------------------------------- time


def ago(ts: float | None, now: float) -> str:
    if ts is None:
        return "never"
    delta = now - ts
    if delta < 0:
        return f"in {format_duration(round(-delta))}"
    if delta < 1:
        return "just now"
    return f"{format_duration(round(delta))} ago"


def local_time(ts: float, timezone: str) -> str:
    try:
        zone = ZoneInfo(timezone)
    except (KeyError, ValueError, OSError):
        zone = ZoneInfo("UTC")
    return datetime.fromtimestamp(ts, UTC).astimezone(zone).strftime("%Y-%m-%d %H:%M %Z")


# --------------------------------------------------------------------------- help


def start_text(chat_type: str) -> str:
    where = "this chat" if chat_type == "private" else f"this {chat_type}"
    lines = [
        "<b>newsbot</b> watches news feeds and alerts "
        f"{where} when a story matches a rule you follow.",
        "",
        "How to begin:",
        "1. /rules shows the rules; tap one to subscribe.",
        f"2. /watch QUERY adds your own rule, e.g. <code>{esc(BY_NAME['watch'].example)}</code>",
        "3. /test TEXT shows what a headline would match.",
        "",
        "/help lists every command.",
    ]
    if chat_type in ("group", "supergroup"):
        lines.append("In groups only administrators change subscriptions, watches and settings.")
    return "\n".join(lines)


def _help_line(command: Command) -> str:
    return (
        f"<b>{esc(command.usage)}</b> — {esc(command.summary)}\n"
        f"    e.g. <code>{esc(command.example)}</code>"
    )


def help_text(operator: bool) -> str:
    lines = ["<b>Commands</b>"]
    lines += [_help_line(c) for c in COMMANDS if c.who in ("everyone", "chat_admin")]
    if operator:
        lines += ["", "<b>Operators</b>"]
        lines += [_help_line(c) for c in COMMANDS if c.who in ("operator", "feeds")]
    lines += [
        "",
        'Queries: words, "exact phrases", AND, OR, NOT, (groups), prefix*, fuzzy~, '
        "NEAR/n, title:word, /regex/ and @entity from the rules file.",
        "In groups only administrators change subscriptions, watches and settings.",
    ]
    return "\n".join(lines)


def usage(error: UsageError) -> str:
    command = error.command
    return (
        f"{esc(error.reason)}\nUsage: <code>{esc(command.usage)}</code>\n"
        f"Example: <code>{esc(command.example)}</code>"
    )


def unknown_command(name: str) -> str:
    return f"Unknown command /{quote(name)}. See /help for the commands."


def denied(command: Command) -> str:
    if command.who == "chat_admin":
        return f"Only chat administrators can use /{command.name} here."
    return f"Only the bot's operators can use /{command.name}."


NOT_A_COMMAND = "I only understand commands. See /help."
SOMETHING_WRONG = "Something went wrong. Please try again later."
DATABASE_AWAY = "The bot cannot reach its database right now. Please try again in a few minutes."
ADMINS_ONLY_BUTTON = "Only admins can change this."


# --------------------------------------------------------------------------- rules & subscriptions


def rule_line(rule: RuleSpec, subscribed: bool) -> str:
    mark = "✅" if subscribed else "▫️"
    title = f"<b>{esc(rule.display_title)}</b>"
    ident = f" — <code>{esc(rule.id)}</code>" if rule.title else ""
    return f"{mark} {title}{ident}"


def rules_text(rules: Sequence[RuleSpec], subscribed: set[str], can_change: bool) -> str:
    if not rules:
        return "There are no rules to subscribe to yet."
    head = (
        "<b>Rules</b> — tap a rule to subscribe or unsubscribe."
        if can_change
        else "<b>Rules</b> — administrators can tap a rule to subscribe this chat."
    )
    return "\n".join([head, *(rule_line(r, r.id in subscribed) for r in rules)])


def button_label(rule: RuleSpec, subscribed: bool) -> str:
    return f"{'✅' if subscribed else '➕'} {rule.display_title}"[:60]


def no_rule(rule_id: str) -> str:
    return f"No rule '{quote(rule_id)}'. See /rules."


def subscribed(rule: RuleSpec, created: bool, topic: bool) -> str:
    where = " in this topic" if topic else ""
    if not created:
        return f"Already subscribed to <b>{esc(rule.display_title)}</b>{where}."
    return f"Subscribed to <b>{esc(rule.display_title)}</b>{where}. /list shows everything."


def unsubscribed(rule_id: str, title: str | None, removed: bool) -> str:
    name = esc(title) if title else quote(rule_id)
    if not removed:
        return f"This chat is not subscribed to <b>{name}</b>."
    return f"Unsubscribed from <b>{name}</b>."


def list_text(
    rules: Sequence[RuleSpec],
    subs: Sequence[Subscription],
    watches: Sequence[Watch],
    prefs: ChatPrefs | None,
    now: float,
) -> list[str]:
    titles = {r.id: r.display_title for r in rules}
    order = {r.id: n for n, r in enumerate(rules)}
    subs = sorted(
        subs, key=lambda s: (order.get(s.rule_id, len(order)), s.rule_id, s.thread_id or 0)
    )
    lines = ["<b>Subscriptions</b>"]
    if not subs:
        lines.append("none — see /rules")
    for n, sub in enumerate(subs, 1):
        title = titles.get(sub.rule_id)
        name = (
            f"<b>{esc(title)}</b> (<code>{esc(sub.rule_id)}</code>)"
            if title
            else (f"<code>{esc(sub.rule_id)}</code> (no longer in the rules)")
        )
        topic = f" — topic {sub.thread_id}" if sub.thread_id else ""
        lines.append(f"{n}. {name}{topic}")
    lines += ["", "<b>Watches</b>"]
    if not watches:
        lines.append("none — add one with /watch QUERY")
    for n, watch in enumerate(watches, 1):
        topic = f" — topic {watch.thread_id}" if watch.thread_id else ""
        lines.append(f"{n}. <code>{esc(watch.query)}</code>{topic}")
    if prefs is not None:
        lines += ["", "<b>Settings</b>", *settings_lines(prefs, now)]
    return split_message(lines)


def settings_lines(prefs: ChatPrefs, now: float) -> list[str]:
    muted = (
        f"until {esc(local_time(prefs.muted_until, prefs.timezone))}"
        if prefs.muted_until and prefs.muted_until > now
        else "no"
    )
    return [
        f"muted: {muted}",
        f"digest: {esc(prefs.digest)}",
        f"quiet hours: {esc(prefs.quiet or 'off')}",
        f"time zone: {esc(prefs.timezone)}",
        f"link previews: {'on' if prefs.link_preview else 'off'}",
        f"stories: {'on (one alert per story)' if prefs.stories else 'off (one per report)'}",
    ]


# --------------------------------------------------------------------------- watches


def caret(query: str, pos: int) -> tuple[str, str]:
    """The line of ``query`` holding ``pos`` (windowed when long) and a caret line under it."""
    pos = max(0, min(pos, len(query)))
    start = query.rfind("\n", 0, pos) + 1
    end = query.find("\n", pos)
    line, col = query[start : end if end >= 0 else len(query)], pos - start
    if len(line) > 2 * CARET_WINDOW:
        left = max(0, col - CARET_WINDOW)
        right = min(len(line), col + CARET_WINDOW)
        prefix = "…" if left else ""
        line = prefix + line[left:right] + ("…" if right < len(line) else "")
        col = col - left + len(prefix)
    return line, " " * col + "^"


def query_error(query: str, problem: Problem, command: str = "watch") -> str:
    offset = problem.offset or 0
    line, mark = caret(query, offset)
    return (
        f"That query has a problem at column {offset + 1}: "
        f"{quote(problem.message, MESSAGE_MAX)}\n"
        f"<pre>{esc(line)}\n{esc(mark)}</pre>\n"
        f"Usage: <code>{esc(BY_NAME[command].usage)}</code>"
    )


def query_too_long(limit: int) -> str:
    return f"That query is too long: at most {limit} characters."


def too_many_watches(limit: int) -> str:
    return f"This chat already has {limit} watches, the most allowed. Remove one with /unwatch N."


def watch_added(number: int, query: str) -> str:
    return f"Watch {number} added: <code>{quote(query)}</code>\nRemove it with /unwatch {number}."


def watch_removed(number: int, query: str) -> str:
    return f"Watch {number} removed: <code>{quote(query)}</code>"


def no_watch(number: int, count: int) -> str:
    if not count:
        return "This chat has no watches. Add one with /watch QUERY."
    return f"There is no watch {number}; this chat has {count}. See /list."


# --------------------------------------------------------------------------- /test


def highlight(text: str, spans: Iterable[Span], field: str = "title") -> str:
    """``text`` escaped, with the spans of ``field`` in bold (overlaps merged)."""
    ranges = sorted(
        (max(0, s.start), min(len(text), s.end))
        for s in spans
        if s.field == field and s.end > s.start
    )
    merged: list[list[int]] = []
    for start, end in ranges:
        if merged and start <= merged[-1][1]:
            merged[-1][1] = max(merged[-1][1], end)
        elif start < end:
            merged.append([start, end])
    out, at = [], 0
    for start, end in merged:
        out.append(esc(text[at:start]))
        out.append(f"<b>{esc(text[start:end])}</b>")
        at = end
    out.append(esc(text[at:]))
    return "".join(out)


def test_result(text: str, hits: Sequence[Hit]) -> list[str]:
    """What /test answers: each hit with ``text`` highlighted.

    At most ``TEST_MESSAGES`` messages (a long text matching many rules would flood the
    chat), with a note of the hits left out; the first hit is always shown.
    """
    if not hits:
        return [f"Nothing matches: {quote(text)}"]
    head = f"{len(hits)} match{'es' if len(hits) != 1 else ''}:"
    lines = [_hit_line(text, hit) for hit in hits]

    def answer(shown: int) -> list[str]:
        rest = len(lines) - shown
        more = [f"…and {rest} more; /test a shorter text to see them all."] if rest else []
        return split_message([head, *lines[:shown], *more])

    # No more lines than TEST_MESSAGES could hold, then the most whose split fits in them.
    room, fits = TEST_MESSAGES * MAX_UTF16 - utf16_len(head), 0
    while fits < len(lines) and room > utf16_len(lines[fits]):
        room -= utf16_len(lines[fits]) + 1
        fits += 1
    low, high = 1, max(1, fits)
    while low < high:
        middle = (low + high + 1) // 2
        if len(answer(middle)) <= TEST_MESSAGES:
            low = middle
        else:
            high = middle - 1
    return answer(low)


def _hit_line(text: str, hit: Hit) -> str:
    if hit.kind == HitKind.RULE:
        label = f"rule <b>{esc(hit.label)}</b> (<code>{esc(hit.ref)}</code>)"
    else:
        label = f"watch {esc(hit.ref)} <code>{quote(hit.label)}</code>"
    return f"• {label}\n  {highlight(text, hit.spans)}"


# --------------------------------------------------------------------------- preferences


def muted(until: float, timezone: str) -> str:
    return f"Muted until {esc(local_time(until, timezone))}. /unmute resumes alerts."


UNMUTED = "Alerts resumed."


def digest_set(mode: DigestMode) -> str:
    if mode == DigestMode.OFF:
        return "Digest off: alerts arrive one by one."
    return f"Digest: {esc(mode)}."


def preview_set(on: bool) -> str:
    return "Link previews on." if on else "Link previews off."


def stories_set(on: bool) -> str:
    if on:
        return (
            "Stories on: one alert per story; when more outlets report it, that alert is "
            "updated with their names."
        )
    return "Stories off: one alert per report (never two for the same link)."


def quiet_set(quiet: str | None, timezone: str) -> str:
    if quiet is None:
        return "Quiet hours off."
    return f"Quiet hours {esc(quiet)} ({esc(timezone)}). Alerts are held and sent afterwards."


def timezone_set(name: str) -> str:
    return f"Time zone set to {quote(name)}."


# --------------------------------------------------------------------------- operators


def feeds_text(states: Sequence[FeedState], now: float) -> list[str]:
    if not states:
        return ["No feeds."]
    lines = [f"<b>Feeds</b> ({len(states)})"]
    for s in states:
        ratio = "-" if s.not_modified_ratio is None else f"{s.not_modified_ratio:.0%}"
        health = "✅" if s.failures == 0 else "⚠️"
        next_poll = ago(s.next_poll, now) if s.next_poll else "soon"
        name, ident = esc(s.spec.display_name), esc(s.spec.id)
        lines.append(
            f"{health} <b>{name}</b> (<code>{ident}</code>, {esc(s.source)})\n"
            f"  last attempt {ago(s.last_attempt, now)}, success {ago(s.last_success, now)}, "
            f"new entry {ago(s.last_new_entry, now)}\n"
            f"  failures {s.failures}, next poll {next_poll}, 304 ratio {ratio}"
        )
        if s.last_error:
            lines.append(f"  last error: {esc(s.last_error[:200])}")
    return split_message(lines)


def status_text(text: str) -> list[str]:
    return split_message(esc(line) for line in text.splitlines() or ["(no status)"])


def feed_checking(url: str) -> str:
    shown = url if len(url) <= 80 else url[:79] + "…"
    return f"Checking <code>{esc(shown)}</code>… I will reply when it is done."


def feed_added(feed_id: str) -> str:
    return f"Feed <code>{esc(feed_id)}</code> added. /feeds shows its health."


def feed_removed(feed_id: str, removed: bool) -> str:
    if not removed:
        return f"No active feed <code>{quote(feed_id)}</code>. See /feeds."
    return f"Feed <code>{quote(feed_id)}</code> removed."


def feed_refused(message: str) -> str:
    return f"Cannot add that feed: {quote(message, MESSAGE_MAX)}"


NOT_AVAILABLE = "That is not available on this bot."
