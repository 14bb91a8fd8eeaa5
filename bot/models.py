"""Typed, immutable records that travel between the pipeline's stages.

    feed ──fetch/parse──▶ Entry ──match──▶ Match ──render──▶ Alert ──deliver──▶ chat

Every stage imports this module (and ``bot.errors``) and never another stage;
``bot.pipeline`` is the one place that wires the stages together.  No
feedparser dict, aiohttp response or SQLAlchemy row travels past the module
that produced it.
"""

from __future__ import annotations

import enum
from collections.abc import Mapping
from dataclasses import dataclass, field
from datetime import datetime
from typing import NamedTuple


@dataclass(frozen=True, slots=True)
class SourcePos:
    """Where something was written in a rules file (1-based line and column)."""

    file: str
    line: int
    col: int

    def __str__(self) -> str:
        return f"{self.file}:{self.line}:{self.col}"


@dataclass(frozen=True, slots=True)
class Problem:
    """One thing wrong with a rules file or a query, as fields; ``str()`` is the one place it
    becomes text (``FILE:LINE:COL: rule 'ID': message``), for the CLI, logs and chats.

    ``pos`` is where in the rules file (None for a query typed in a chat); ``offset`` is the
    0-based offset into the query text when the problem is inside a query."""

    message: str
    pos: SourcePos | None = None
    rule_id: str | None = None
    offset: int | None = None

    def __str__(self) -> str:
        rule = f"rule '{self.rule_id}': " if self.rule_id is not None else ""
        if self.pos is not None:
            return f"{self.pos}: {rule}{self.message}"
        column = f" (at column {self.offset + 1})" if self.offset is not None else ""
        return f"{rule}{self.message}{column}"

    @property
    def order(self) -> tuple[int, int]:
        """Sort key: file order (problems without a position first)."""
        return (self.pos.line, self.pos.col) if self.pos is not None else (0, 0)


# --------------------------------------------------------------------------- rules file


@dataclass(frozen=True, slots=True)
class FeedSpec:
    """A feed as the operator (rules file, OPML, /addfeed) declared it."""

    id: str
    url: str
    interval: float = 300.0  # seconds between polls, as configured
    name: str | None = None
    backfill: float | None = None  # seconds; math.inf means "all"; None: no backfill
    trusted: bool = True  # rules-file feeds are trusted; chat-added ones are SSRF-guarded
    min_interval: float | None = None  # adaptive bounds; None: derived from interval
    max_interval: float | None = None

    @property
    def display_name(self) -> str:
        return self.name or self.id


@dataclass(frozen=True, slots=True)
class RuleSpec:
    """One rule as written in the rules file; the query is still text."""

    id: str
    query: str
    title: str | None = None
    feeds: tuple[str, ...] | None = None  # None: every feed
    chats: tuple[int, ...] = ()  # chats (e.g. channels) the operator routes this rule to
    pos: SourcePos | None = None  # where the rule's `query:` value starts
    query_pos: SourcePos | None = None

    @property
    def display_title(self) -> str:
        return self.title or self.id


@dataclass(frozen=True, slots=True)
class RulesConfig:
    """A validated rules file."""

    feeds: tuple[FeedSpec, ...]
    rules: tuple[RuleSpec, ...]
    entities: Mapping[str, tuple[str, ...]] = field(default_factory=dict)
    source: str = "<rules>"


# --------------------------------------------------------------------------- entries


@dataclass(frozen=True, slots=True)
class Entry:
    """One normalized feed item. Text fields are plain text, cleaned and capped."""

    feed_id: str
    key: str  # stable per feed: guid/id, else canonical link, else hash(title+date)
    title: str
    link: str | None  # canonical http(s) link, or None
    summary: str = ""  # plain text (HTML already reduced)
    published: datetime | None = None  # UTC, never in the future
    author: str | None = None

    @property
    def story_key(self) -> str:
        """Identity across feeds: one alert per story even when outlets repeat it."""
        return f"link:{self.link}" if self.link else f"entry:{self.feed_id}:{self.key}"


# --------------------------------------------------------------------------- matching


class Span(NamedTuple):
    """A matched stretch of an entry's original text: ``text[start:end]`` of ``field``.

    A ``NamedTuple`` rather than a frozen dataclass: the matcher builds several per entry,
    and a tuple is built at C speed (immutable and typed all the same)."""

    field: str  # "title" or "summary"
    start: int
    end: int


class Match(NamedTuple):
    """One rule that matched one entry, with the spans that made it match.

    A ``NamedTuple`` for the same reason as ``Span``: the matcher builds one per matching
    rule of every entry."""

    rule_id: str
    spans: tuple[Span, ...] = ()


# --------------------------------------------------------------------------- alerts


class AlertKind(enum.StrEnum):
    ALERT = "alert"  # one entry
    FLOOD = "flood"  # the excess of one poll for one chat, as one digest
    DIGEST = "digest"  # held rows (digest period, quiet hours) released as one message
    EDIT = "edit"  # the alert already sent for a story, rendered again with its other reports


class AlertState(enum.StrEnum):
    PENDING = "pending"
    SENDING = "sending"
    SENT = "sent"
    HELD = "held"  # waiting for a digest period or quiet hours to end
    DEAD = "dead"  # the chat is gone; never sent


@dataclass(frozen=True, slots=True)
class Outlet:
    """Another outlet that reported the same story: its feed's name and its own link."""

    name: str
    link: str | None


@dataclass(frozen=True, slots=True)
class AlertItem:
    """What an alert says about one entry: the renderer's whole input."""

    feed_name: str
    title: str
    link: str | None
    summary: str
    published: datetime | None
    rule_titles: tuple[str, ...]
    spans: tuple[Span, ...] = ()
    also: tuple[Outlet, ...] = ()  # other outlets of the same story, first reported first


@dataclass(frozen=True, slots=True)
class EditTarget:
    """The message an edit rewrites: the alert that first carried the story to the chat."""

    outbox_id: int
    kind: AlertKind
    state: AlertState
    message_id: int | None


@dataclass(frozen=True, slots=True)
class Alert:
    """A claimed outbox row ready to send: one entry (or a digest of several) for one chat."""

    id: int
    chat_id: int
    thread_id: int | None
    items: tuple[AlertItem, ...]
    attempts: int = 0
    maybe_sent: bool = False  # an earlier attempt may have reached Telegram
    kind: AlertKind = AlertKind.ALERT
    parts_sent: int = 0  # messages of a split digest already delivered
    edit_of: EditTarget | None = None  # kind EDIT: the message to rewrite (None: gone)


@dataclass(frozen=True, slots=True)
class Message:
    """A rendered Telegram message."""

    text: str  # HTML, at most 4096 UTF-16 code units
    parse_mode: str | None = "HTML"
    plain_fallback: str = ""  # sent if Telegram cannot parse the HTML
    disable_preview: bool = True


# --------------------------------------------------------------------------- stored state


class DigestMode(enum.StrEnum):
    """A chat's ``/digest`` choice (stored as these strings in ``chats.digest``)."""

    OFF = "off"  # every alert at once
    HOURLY = "hourly"  # held until the next full hour, then one digest
    DAILY = "daily"  # held until the next 09:00 local time


@dataclass(frozen=True, slots=True)
class FeedState:
    """A feed as stored: its spec plus HTTP cache state and health. Times are epoch seconds."""

    spec: FeedSpec
    source: str = "rules"  # rules | chat | opml
    active: bool = True
    etag: str | None = None
    last_modified: str | None = None
    moved_to: str | None = None  # confirmed permanent redirect
    redirect_url: str | None = None
    redirect_count: int = 0
    polled_once: bool = False
    last_attempt: float | None = None
    last_success: float | None = None
    last_new_entry: float | None = None
    failures: int = 0
    last_error: str | None = None
    failing_notified: bool = False
    next_poll: float | None = None
    polls: int = 0
    not_modified: int = 0
    publish_gap: float | None = None

    @property
    def fetch_url(self) -> str:
        return self.moved_to or self.spec.url

    @property
    def not_modified_ratio(self) -> float | None:
        return self.not_modified / self.polls if self.polls else None


@dataclass(frozen=True, slots=True)
class ChatPrefs:
    """One chat's delivery settings."""

    id: int
    type: str = "private"  # private | group | supergroup | channel
    title: str | None = None
    active: bool = True
    muted_until: float | None = None
    digest: DigestMode = DigestMode.OFF
    quiet: str | None = None  # "HH:MM-HH:MM"
    timezone: str = "UTC"
    link_preview: bool = False
    stories: bool = True  # one alert per story, edited as outlets report it; off: per report
