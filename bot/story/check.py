"""The precise check: does report A tell the same event as report B?  A pure function of
the two reports' terms and the current term weights.

It decides on what headlines do when outlets report one event: each headline's weighted
terms are mostly found in the other report (title or summary opening) — *coverage*, both
ways, so a short headline cannot ride on a long summary; the reports share at least two
distinctive word terms (names, places, rare words), not only event words; and their
headline event classes neither miss each other entirely nor contradict (``arrive`` against
``leave``).  Numbers never count: tolls and tallies change while a story goes on."""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass
from typing import Final

from bot.story.terms import EVENT_MARK, conflicting

__all__ = ["Thresholds", "Verdict", "check"]


@dataclass(frozen=True, slots=True)
class Thresholds:
    """What the check asks (tuned on the tuning part of tests/story/data; see
    docs/stories.md)."""

    coverage: float = 0.2  # each headline's weight found in the other report, at least
    score: float = 0.45  # mean coverage of the two headlines, at least
    shared_words: int = 2  # shared word terms (not event classes), at least
    distinctive: float = 1.5  # ... of which one at least this prior (a rare word or name)
    seed: float = 0.5  # mean coverage with the story's first report, at least (no drift)
    disjoint: bool = True
    # a headline term this rare (a name, a place) that the other report lacks, on both
    # sides: the headlines name different things (Afghanistan's quake is not Peru's)
    names: float = 3.5


DEFAULT: Final = Thresholds()


@dataclass(frozen=True, slots=True)
class Verdict:
    same: bool
    score: float
    shared: tuple[str, ...]  # shared word terms
    reason: str


@dataclass(frozen=True, slots=True)
class Side:
    """What the check reads of one report."""

    title: frozenset[str]
    terms: frozenset[str]
    events: frozenset[str]


def _coverage(title: frozenset[str], other: frozenset[str], w: Callable[[str], float]) -> float:
    total = hit = 0.0
    for t in title:
        x = w(t)
        total += x
        if t in other:
            hit += x
    return hit / total if total > 0 else 0.0


def _lacking(
    title: frozenset[str], other: frozenset[str], prior: Callable[[str], float], at: float
) -> str:
    """The rarest headline word term the other report lacks, if one is at least ``at``."""
    best, name = at, ""
    for t in title:
        if t not in other and t[0] != EVENT_MARK:
            p = prior(t)
            if p > best or (p == best and (not name or t < name)):
                best, name = p, t
    return name


def check(
    a: Side,
    b: Side,
    weight: Callable[[str], float],
    prior: Callable[[str], float],
    limits: Thresholds = DEFAULT,
) -> Verdict:
    """Whether ``a`` and ``b`` report the same event, with a score and the reason."""
    shared = [t for t in a.terms & b.terms if t[0] != EVENT_MARK]
    common = tuple(sorted(shared))
    if len(shared) < limits.shared_words or not any(prior(t) >= limits.distinctive for t in shared):
        return Verdict(False, 0.0, common, "too few distinctive words shared")
    if limits.disjoint and a.events and b.events and not (a.events & b.events):
        events = ", ".join(sorted(e[1:] for e in a.events | b.events))
        return Verdict(False, 0.0, common, f"headlines tell different events ({events})")
    clash = conflicting(a.events, b.events)
    if clash is not None:
        return Verdict(False, 0.0, common, f"events contradict ({clash[0][1:]} / {clash[1][1:]})")
    own_a = _lacking(a.title, b.terms, prior, limits.names)
    own_b = _lacking(b.title, a.terms, prior, limits.names)
    if own_a and own_b:
        return Verdict(False, 0.0, common, f"headlines name different things ({own_a} / {own_b})")
    cov_a = _coverage(a.title, b.terms, weight)
    cov_b = _coverage(b.title, a.terms, weight)
    score = (cov_a + cov_b) / 2
    if min(cov_a, cov_b) < limits.coverage or score < limits.score:
        return Verdict(False, score, common, f"headlines cover each other {cov_a:.2f}/{cov_b:.2f}")
    return Verdict(True, score, common, f"headlines cover each other {cov_a:.2f}/{cov_b:.2f}")
