"""Who gets what, decided once per poll as a pure function (``plan``): records in, intents out.

Inputs: the poll's new reports (entry, story, the rules and watches that matched), the chats
each rule or watch routes to (subscribers, watchers, rules-file chats; live ones only), what each
chat already got of these stories (the ledger), each chat's choice of grouping (``/stories``),
and the flood threshold. Output: the alerts to write (single, or one flood digest per chat for
the excess of a poll), the edits owed, and the ledger rows to write.

For a chat with stories on (the default), per report of story S:

    the chat never got S               -> a new alert; the ledger records S with the targets
                                          (rules and watches of the chat) that matched
    it got S, and the report matches a
    target of the chat that S did not  -> a new alert (that is news to the chat); ledger += it
    it got S, nothing new matched
    (or the report matched nothing)    -> an edit of the message already sent: the alert is
                                          rendered again with "Also reported by: ..."
    S got its alert in this same poll  -> nothing more: the alert, rendered when it is sent,
                                          lists every report of S known by then

For a chat with stories off, every report is its own alert, but never two for one canonical
link (the ``link`` ledger, as before stories). Reports are taken in the order given (feed
order), so the first report of a story is the one alerted. The store applies the plan in the
same transaction that recorded the entries; the ledger's unique keys settle a race between
two writers (an alert whose ledger row another writer took first becomes an edit).
"""

from __future__ import annotations

from collections.abc import Iterable, Mapping, Sequence
from dataclasses import dataclass, field

from bot.models import AlertKind, Match, Span


@dataclass(frozen=True, slots=True)
class Report:
    """One new entry of the poll, with its story and what matched it."""

    entry_id: int
    story_id: int
    link_key: str  # the canonical-link identity (``Entry.story_key``): stories-off dedup
    matches: tuple[Match, ...] = ()  # rule ids and ``watch:N`` ids; may be empty


@dataclass(frozen=True, slots=True)
class Route:
    """A rule or watch (``target``) delivers to this chat and topic (thread 0: none)."""

    target: str
    chat_id: int
    thread_id: int = 0


@dataclass(frozen=True, slots=True)
class Sent:
    """The ledger: ``chat_id`` already has an alert for ``story_id``, for these targets
    (None: recorded before stories were tracked per target: count every target as had)."""

    chat_id: int
    story_id: int
    targets: frozenset[str] | None


@dataclass(frozen=True, slots=True)
class Item:
    entry_id: int
    rule_titles: tuple[str, ...]
    spans: tuple[Span, ...]


@dataclass(frozen=True, slots=True)
class NewAlert:
    chat_id: int
    thread_id: int
    kind: AlertKind  # ALERT (one item) or FLOOD (the poll's excess for this chat)
    items: tuple[Item, ...]
    stories: tuple[int, ...]  # the story of each item (same order)
    link_keys: tuple[str, ...]  # the link identity of each item (same order)


@dataclass(frozen=True, slots=True)
class Edit:
    chat_id: int
    story_id: int


@dataclass(frozen=True, slots=True)
class Plan:
    alerts: tuple[NewAlert, ...] = ()
    edits: tuple[Edit, ...] = ()
    ledger: tuple[Sent, ...] = ()  # rows to write (new, or with more targets than before)
    links: tuple[tuple[int, str], ...] = ()  # (chat, link key) claims of stories-off chats

    def __bool__(self) -> bool:
        return bool(self.alerts or self.edits)


@dataclass(slots=True)
class _Pending:
    thread_id: int
    item: Item
    story_id: int
    link_key: str


@dataclass(slots=True)
class _ChatPlan:
    alerts: list[_Pending] = field(default_factory=list)
    planned: set[int] = field(default_factory=set)  # stories alerted in this plan


def plan(
    reports: Sequence[Report],
    routes: Iterable[Route],
    sent: Iterable[Sent],
    *,
    titles: Mapping[str, str],
    flood_threshold: int = 5,
    grouping: Mapping[int, bool] | None = None,
    claimed_links: Iterable[tuple[int, str]] = (),
) -> Plan:
    """The poll's intents (see the module docstring). ``grouping``: chat -> stories on
    (missing: on); ``claimed_links``: (chat, link key) pairs a stories-off chat already got."""
    by_target: dict[str, list[Route]] = {}
    for route in routes:
        by_target.setdefault(route.target, []).append(route)
    ledger: dict[tuple[int, int], frozenset[str] | None] = {
        (s.chat_id, s.story_id): s.targets for s in sent
    }
    by_story: dict[int, set[int]] = {}
    for chat_id, story_id in ledger:
        by_story.setdefault(story_id, set()).add(chat_id)
    links = set(claimed_links)
    grouping = grouping or {}
    chats: dict[int, _ChatPlan] = {}
    edits: dict[tuple[int, int], Edit] = {}
    written: dict[tuple[int, int], frozenset[str] | None] = {}
    new_links: list[tuple[int, str]] = []

    for report in reports:
        # what this report brings each chat: the targets that matched, with their spans
        matched: dict[int, tuple[int, dict[str, Match]]] = {}
        for match in report.matches:
            for route in by_target.get(match.rule_id, ()):
                targets = matched.setdefault(route.chat_id, (route.thread_id, {}))[1]
                targets.setdefault(match.rule_id, match)
        for chat_id, (thread_id, targets) in matched.items():
            chat = chats.setdefault(chat_id, _ChatPlan())
            if not grouping.get(chat_id, True):
                key = (chat_id, report.link_key)
                if key in links:
                    continue
                links.add(key)
                new_links.append(key)
                chat.alerts.append(_pending(report, thread_id, targets, titles))
                continue
            story = (chat_id, report.story_id)
            if story not in ledger:  # never got this story
                ledger[story] = written[story] = frozenset(targets)
                chat.planned.add(report.story_id)
                chat.alerts.append(_pending(report, thread_id, targets, titles))
                continue
            had = ledger[story]  # None: from before targets were kept: every target counts
            fresh = {} if had is None else {t: m for t, m in targets.items() if t not in had}
            if had is not None and fresh:  # a target of the chat this story had not matched
                ledger[story] = written[story] = had | frozenset(fresh)
                chat.alerts.append(_pending(report, thread_id, fresh, titles))
            elif report.story_id not in chat.planned:
                edits.setdefault(story, Edit(chat_id, report.story_id))
        # chats that got this story before but whose targets this report does not match
        for chat_id in by_story.get(report.story_id, ()):
            if chat_id in matched or not grouping.get(chat_id, True):
                continue
            if report.story_id not in chats.get(chat_id, _ChatPlan()).planned:
                edits.setdefault((chat_id, report.story_id), Edit(chat_id, report.story_id))

    alerts: list[NewAlert] = []
    threshold = max(flood_threshold, 0)
    for chat_id, chat in chats.items():
        head, rest = chat.alerts[:threshold], chat.alerts[threshold:]
        alerts.extend(_alert(chat_id, AlertKind.ALERT, [p]) for p in head)
        if rest:
            alerts.append(_alert(chat_id, AlertKind.FLOOD, rest))
    return Plan(
        alerts=tuple(alerts),
        edits=tuple(edits.values()),
        ledger=tuple(Sent(c, s, t) for (c, s), t in written.items()),
        links=tuple(new_links),
    )


def _pending(
    report: Report, thread_id: int, targets: Mapping[str, Match], titles: Mapping[str, str]
) -> _Pending:
    spans: list[Span] = []
    for match in targets.values():
        spans.extend(s for s in match.spans if s not in spans)
    names = tuple(dict.fromkeys(titles.get(t, t) for t in targets))
    return _Pending(
        thread_id, Item(report.entry_id, names, tuple(spans)), report.story_id, report.link_key
    )


def _alert(chat_id: int, kind: AlertKind, pending: Sequence[_Pending]) -> NewAlert:
    return NewAlert(
        chat_id=chat_id,
        thread_id=pending[0].thread_id,
        kind=kind,
        items=tuple(p.item for p in pending),
        stories=tuple(p.story_id for p in pending),
        link_keys=tuple(p.link_key for p in pending),
    )
