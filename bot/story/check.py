"""The precise check: does report A tell the same event as report B?  A pure function of
the two reports' terms and the current term weights.

It decides on what headlines do when outlets report one event: each headline's weighted
terms are mostly found in the other report (title or summary opening) — *coverage*, both
ways, so a short headline cannot ride on a long summary; the reports share at least two
distinctive word terms (names, places, rare words), not only event words; and their
headline event classes neither miss each other entirely nor contradict (``arrive`` against
``leave``).  Numbers never count: tolls and tallies change while a story goes on."""

from __future__ import annotations

from collections import Counter
from collections.abc import Callable, Container, Iterable
from dataclasses import dataclass, field
from math import fsum
from typing import Final

from bot.story.gazetteer import LEADERS, NAMES
from bot.story.terms import EVENT_MARK, NEUTRAL_EVENTS, conflicting

__all__ = ["Probe", "Profile", "Thresholds", "Verdict", "check", "check_story"]


@dataclass(frozen=True, slots=True)
class Thresholds:
    """What the check asks (tuned on the tuning part of tests/story/data; see
    docs/stories.md)."""

    coverage: float = 0.2  # each headline's weight found in the other report, at least
    score: float = 0.55  # mean coverage of the two headlines, at least
    shared_words: int = 2  # shared word terms (not event classes), at least
    distinctive: float = 1.5  # ... of which one at least this prior (a rare word or name)
    # against the story as a whole (its reports' terms with counts: ``Profile``)
    drift: float = 0.5  # a pair's join also needs this score against the story (no chaining)
    story_coverage: float = 0.15  # a join on the story alone: each side's coverage, at least
    story_score: float = 0.425  # ... and their mean, at least
    summary: float = 0.3  # a new report's summary terms count this share of their weight
    disjoint: bool = True
    # each headline names a person, place or organisation (gazetteer) that the other report
    # lacks, of the same kind: the headlines name different things (Afghanistan / Peru)
    names: bool = True


DEFAULT: Final = Thresholds()
EVENT_WEIGHT: Final = 2.5  # the prior of an event-class term (see bot.story.index)
CORE: Final = 0.5  # a story's core: the terms of at least this share of its headlines


@dataclass(frozen=True, slots=True)
class Verdict:
    same: bool
    score: float
    shared: tuple[str, ...]  # shared word terms (in no particular order)
    reason: str


@dataclass(frozen=True, slots=True)
class Side:
    """What the check reads of one report."""

    title: frozenset[str]
    terms: frozenset[str]
    events: frozenset[str]
    language: str = ""  # guessed from stopwords ("" when unclear)


def _coverage(title: frozenset[str], other: frozenset[str], w: Callable[[str], float]) -> float:
    weights = [(w(t), t in other) for t in title]
    total = fsum(x for x, _ in weights)  # fsum: exact, so the same in any set order
    hit = fsum(x for x, shared in weights if shared)
    return hit / total if total > 0 else 0.0


class _Seldom:
    """Holds the terms at least ``need`` of a story's reports carry (a name outside is
    seldom named by the story)."""

    __slots__ = ("counts", "need")

    def __init__(self, counts: Counter[str], need: float) -> None:
        self.counts, self.need = counts, need

    def __contains__(self, term: object) -> bool:
        return bool(self.counts.get(term, 0) >= self.need)  # type: ignore[call-overload]


def _lacking(title: Iterable[str], other: Container[str]) -> dict[str, str]:
    """The gazetteer names of a headline that the other report lacks: kind -> the first
    such name (in sorted order, so the reason does not depend on set order)."""
    out: dict[str, str] = {}
    for t in title:
        kind = NAMES.get(t)
        if (
            kind is not None
            and t not in other
            and (kind not in out or t < out[kind])
            and not any(n in other for n in LEADERS.get(t, ()))  # Kim stands for North Korea
        ):
            out[kind] = t
    return out


def _classes(terms: frozenset[str]) -> frozenset[str]:
    """The event classes among a headline's terms (the neutral ones and those after a
    context word too: contradictions are read on all of them)."""
    return frozenset(t for t in terms if t[0] == EVENT_MARK)


def _apart(
    events: frozenset[str], title: frozenset[str], others: frozenset[str], terms: frozenset[str]
) -> bool:
    """Whether one headline's events are nowhere in the other report while the other's
    headline events are not in this headline: the two headlines tell different events."""
    return events.isdisjoint(terms) and others.isdisjoint(title)


def _names_differ(a: dict[str, str], b: dict[str, str]) -> str:
    for kind in sorted(a.keys() & b.keys()):
        return f"headlines name different things ({a[kind]} / {b[kind]})"
    return ""


def check(
    a: Side,
    b: Side,
    weight: Callable[[str], float],
    prior: Callable[[str], float],
    limits: Thresholds = DEFAULT,
) -> Verdict:
    """Whether ``a`` and ``b`` report the same event, with a score and the reason."""
    shared = [t for t in a.terms & b.terms if t[0] != EVENT_MARK]
    common = tuple(shared)
    if len(shared) < limits.shared_words or not any(prior(t) >= limits.distinctive for t in shared):
        return Verdict(False, 0.0, common, "too few distinctive words shared")
    if (
        limits.disjoint
        and a.events
        and b.events
        and (
            _apart(a.events, a.title, b.events, b.terms)
            or _apart(b.events, b.title, a.events, a.terms)
        )
    ):
        events = ", ".join(sorted(e[1:] for e in a.events | b.events))
        return Verdict(False, 0.0, common, f"headlines tell different events ({events})")
    clash = conflicting(_classes(a.title), _classes(b.title))
    if clash is not None:
        return Verdict(False, 0.0, common, f"events contradict ({clash[0][1:]} / {clash[1][1:]})")
    differ = limits.names and _names_differ(_lacking(a.title, b.terms), _lacking(b.title, a.terms))
    if differ:
        return Verdict(False, 0.0, common, differ)
    cov_a = _coverage(a.title, b.terms, weight)
    cov_b = _coverage(b.title, a.terms, weight)
    score = (cov_a + cov_b) / 2
    if min(cov_a, cov_b) < limits.coverage or score < limits.score:
        return Verdict(False, score, common, f"headlines cover each other {cov_a:.2f}/{cov_b:.2f}")
    return Verdict(True, score, common, f"headlines cover each other {cov_a:.2f}/{cov_b:.2f}")


@dataclass(slots=True)
class Profile:
    """A story as a whole: how many of its reports carry each term (``terms``: anywhere;
    ``titles``: in the headline), the prior mass of its headlines' terms (so that the
    share of it a new report carries is read off the new report's terms alone), and what
    ``settle`` derives from them: its core (the terms of at least ``CORE`` of its
    headlines), the core's event classes and the event classes of any of its headlines."""

    reports: int
    terms: Counter[str]
    titles: Counter[str]
    mass: float
    neutral_mass: float = 0.0  # of its headlines' terms that read the same in any language
    languages: Counter[str] = field(default_factory=Counter)
    need: float = 1.0  # CORE of its reports (at least one)
    core: frozenset[str] = frozenset()
    events: frozenset[str] = frozenset()
    told: frozenset[str] = frozenset()

    def settle(self) -> None:
        """Derive core and events again (after a report was added or dropped)."""
        need = self.need = max(1.0, CORE * self.reports)
        self.core = frozenset(t for t, k in self.titles.items() if k >= need)
        self.events = frozenset(
            t for t in self.core if t[0] == EVENT_MARK and t not in NEUTRAL_EVENTS
        )
        self.told = frozenset(
            t for t in self.titles if t[0] == EVENT_MARK and t not in NEUTRAL_EVENTS
        )


class Probe:
    """What ``check_story`` reads of the new report, weighed once per assignment: its side,
    its headline's terms with their weights (and their sum; the summary's terms count for
    ``summary`` of theirs), its word terms with their priors, which of those are
    distinctive, and — when a story is in other languages — the same restricted to the
    terms that read the same in any language (computed on first use)."""

    __slots__ = (
        "_neutral",
        "_same",
        "neutral_title",
        "neutral_weight",
        "rare",
        "side",
        "title",
        "title_weight",
        "words",
    )

    def __init__(
        self,
        side: Side,
        weight: Callable[[str], float],
        prior: Callable[[str], float],
        neutral: Callable[[str], bool],
        limits: Thresholds = DEFAULT,
    ) -> None:
        share = limits.summary
        title = tuple((t, weight(t)) for t in side.title)
        if share > 0:
            title += tuple((t, share * weight(t)) for t in side.terms - side.title)
        words = {t: prior(t) for t in side.terms if t[0] != EVENT_MARK}
        self.side = side
        self.title = title
        self.title_weight = fsum(x for _, x in title)
        self.words = words
        self.rare = frozenset(t for t, p in words.items() if p >= limits.distinctive)
        self._neutral = neutral
        self._same: frozenset[str] | None = None
        self.neutral_title: tuple[tuple[str, float], ...] = ()
        self.neutral_weight = 0.0

    @property
    def neutral(self) -> frozenset[str]:
        """Its terms that read the same in any language."""
        if self._same is None:
            neutral = self._neutral
            self._same = frozenset(t for t in self.side.terms if neutral(t))
            self.neutral_title = tuple((t, x) for t, x in self.title if t in self._same)
            self.neutral_weight = fsum(x for _, x in self.neutral_title)
        return self._same


def check_story(probe: Probe, story: Profile, limits: Thresholds = DEFAULT) -> Verdict:
    """Whether the probed report tells the event of ``story``, judged against all its
    reports at once: the new headline's weight found anywhere in the story, and the
    story's headline mass (terms weighed by how many of its headlines carry them) found in
    the new report.  A story's centre resists chaining: a report that only resembles its
    last report covers little of the headlines its other reports share."""
    a, terms, titles = probe.side, story.terms, story.titles
    # a report in a language none of the story's reports is in is judged on the terms that
    # read the same in any language (names, gazetteer concepts, event classes)
    cross = bool(a.language) and bool(story.languages) and a.language not in story.languages
    if cross:
        mine = probe.neutral
        title, total = probe.neutral_title, probe.neutral_weight
    else:
        mine, title, total = a.terms, probe.title, probe.title_weight
    hit = fsum(x for t, x in title if t in terms)
    cov_a = hit / total if total > 0 else 0.0
    if cov_a < limits.story_coverage:
        return Verdict(False, cov_a / 2, (), f"covers the story {cov_a:.2f}/-")
    shared = tuple(t for t in probe.words if t in terms)
    # across languages a headline's event told by the story's headlines reads the same too
    told_too = sum(1 for e in a.events if e in story.told) if cross else 0
    if len(shared) + told_too < limits.shared_words or probe.rare.isdisjoint(shared):
        return Verdict(False, 0.0, shared, "too few distinctive words shared with the story")
    core, events, told = story.core, story.events, story.told
    if (
        limits.disjoint
        and a.events
        and told
        and (
            (not any(e in terms for e in a.events) and told.isdisjoint(a.title))
            or (events and events.isdisjoint(a.events))
        )
    ):
        told_all = ", ".join(sorted(e[1:] for e in a.events | told))
        return Verdict(False, 0.0, shared, f"headlines tell different events ({told_all})")
    clash = conflicting(_classes(a.title), _classes(core))
    if clash is not None:
        return Verdict(False, 0.0, shared, f"events contradict ({clash[0][1:]} / {clash[1][1:]})")
    seldom = _Seldom(titles, story.need)  # names the story's headlines seldom carry
    differ = limits.names and _names_differ(_lacking(a.title, seldom), _lacking(core, a.terms))
    if differ:
        return Verdict(False, 0.0, shared, differ)
    words = probe.words
    got = fsum(words.get(t, EVENT_WEIGHT) * titles[t] for t in mine if t in titles)
    mass = story.neutral_mass if cross else story.mass
    cov_s = got / mass if mass > 0 else 0.0
    score = (cov_a + cov_s) / 2
    reason = f"covers the story {cov_a:.2f}/{cov_s:.2f}"
    if cov_s < limits.story_coverage or score < limits.story_score:
        return Verdict(False, score, shared, reason)
    return Verdict(True, score, shared, reason)
