"""The story index: the window's reports in memory, and which story a new report joins.

Candidates come from an inverted index (term → the latest report ids carrying it) over the
new report's most distinctive terms, never from a scan of every stored report; the precise
check (``bot.story.check``) then runs on a bounded number of them.  A term's weight is its
language prior (``bot.story.frequency``) damped by how many stories of the window carry it:
"Putin" weighs less in a week when he is in thirty stories.

Memory is bounded by the window (reports older than ``window`` are dropped by ``expire``)
and by ``POSTINGS`` ids kept per term.  Per report the index keeps only what the checks
read: its story, date, language and terms, as one tuple of shared (interned) strings, the
headline's first; the sets the pair check reads are rebuilt for the few candidates that
need them.  A story of one report (most stories) keeps no ``Profile``: a check reads one
made from the report's terms.  A story's core (``Profile.settle``) is updated from the terms
a new report brings, not recounted over every headline term of the story."""

from __future__ import annotations

import heapq
from collections import Counter
from collections.abc import Callable, Iterable
from dataclasses import dataclass
from math import fsum
from operator import itemgetter
from typing import Final

from bot.story.check import (
    CORE,
    DEFAULT,
    EVENT_WEIGHT,
    Probe,
    Profile,
    Side,
    Thresholds,
    Verdict,
    check,
    check_story,
)
from bot.story.frequency import known
from bot.story.frequency import prior as language_prior
from bot.story.gazetteer import CANONICAL, NAMES
from bot.story.records import Join, Report
from bot.story.terms import EVENT_MARK, NEUTRAL_EVENTS, Analysis, analyse

__all__ = ["StoryIndex"]

WINDOW: Final = 48 * 3600.0
POSTINGS: Final = 16  # report ids kept per term (the latest)
QUERY_TERMS: Final = 8  # the new report's heaviest terms looked up
CANDIDATES: Final = 3  # stories given the precise checks, at most
RANKED: Final = 24  # reports sharing most query terms looked at to find those stories
EVENT_PRIOR: Final = EVENT_WEIGHT  # the prior of an event-class term ("@quake")
NAME_PRIOR: Final = 4.5  # the prior of a gazetteer name ("beijing", "peru"), however common
MADE: Final = 1024  # Profiles of one-report stories kept once made (about 2 MB at most)
DAMPING: Final = 2.0  # a term in every story of the window weighs 1/(1 + DAMPING) its prior


_COUNT: Final = itemgetter(1)
_NOT_NEEDED: Final = Verdict(False, 0.0, (), "pair not checked: the story decides")


class _Memo(dict[str, float]):
    """Term weights computed once per assignment (``__missing__`` computes; a hit is a
    plain dict lookup)."""

    def __init__(self, weight: Callable[[str], float]) -> None:
        super().__init__()
        self.weight = weight

    def __missing__(self, term: str) -> float:
        got = self[term] = self.weight(term)
        return got


@dataclass(frozen=True, slots=True)
class _Doc:
    """What the index keeps of a report: ``terms`` are its ``Side``'s terms, the ``titles``
    headline terms first (in the headline set's order)."""

    story: int
    published: float
    terms: tuple[str, ...]
    titles: int
    language: str

    @staticmethod
    def of(story: int, published: float, found: Analysis) -> _Doc:
        title = tuple(found.title)
        rest = tuple(t for t in found.terms if t not in found.title)
        return _Doc(story, published, title + rest, len(title), found.language)

    @property
    def title(self) -> tuple[str, ...]:
        return self.terms[: self.titles]

    def side(self) -> Side:
        """The report's ``Side`` again (its events are its headline's event classes but the
        neutral ones, as ``analyse`` makes them)."""
        title = frozenset(self.title)
        events = frozenset(t for t in title if t[0] == EVENT_MARK and t not in NEUTRAL_EVENTS)
        return Side(title, frozenset(self.terms), events, self.language)


def _tally(counts: dict[str, int], terms: Iterable[str]) -> None:
    """``counts.update(terms)`` for a Counter, as a plain loop (compiled: dict operations in
    C): ``Counter.update`` pays an ``isinstance(…, Mapping)`` check through the ABC machinery
    on every call, a dozen calls per report."""
    for t in terms:
        counts[t] = counts.get(t, 0) + 1


def _ones(terms: Iterable[str]) -> Counter[str]:
    """``Counter(dict.fromkeys(terms, 1))`` without Counter's update (see ``_tally``)."""
    out: Counter[str] = Counter()
    for t in terms:
        out[t] = 1
    return out


def settle_added(profile: Profile, title: Iterable[str]) -> None:
    """``profile.settle()`` after a report with headline terms ``title`` was counted in: the
    same result, read off the old core and the new terms (a report added never raises
    another term's count and never lowers the share a term needs, so only those can be in
    the new core).  tests/story/test_compact.py compares the two."""
    need = profile.need = max(1.0, CORE * profile.reports)
    titles = profile.titles
    title = tuple(title)
    core = frozenset(t for t in (*profile.core, *title) if titles[t] >= need)
    if core != profile.core:
        profile.core = core
        events = frozenset(t for t in core if t[0] == EVENT_MARK and t not in NEUTRAL_EVENTS)
        if events != profile.events:
            profile.events = events
    told = [t for t in title if t[0] == EVENT_MARK and t not in NEUTRAL_EVENTS]
    if told and not profile.told.issuperset(told):
        profile.told = profile.told.union(told)


class StoryIndex:
    """The stories of the window (see the module docstring).  ``assign`` reads only;
    ``add``, ``expire`` and ``clear`` change the index."""

    def __init__(
        self,
        window: float = WINDOW,
        *,
        thresholds: Thresholds = DEFAULT,
        postings: int = POSTINGS,
        candidates: int = CANDIDATES,
    ) -> None:
        self.window = window
        self.thresholds = thresholds
        self.postings_cap = postings
        self.candidates = candidates
        self.watermark = 0
        self._docs: dict[int, _Doc] = {}
        self._postings: dict[str, list[int]] = {}  # the latest ``postings`` ids, oldest first
        self._by_time: list[tuple[float, int]] = []
        # a story of one report is that report's id: its Profile (two kilobytes, and most
        # stories have one report) is made when a check reads it (``_profile``)
        self._stories: dict[int, Profile | int] = {}
        self._made: dict[int, Profile] = {}  # the Profiles made so, the latest ``MADE``
        self._story_freq: Counter[str] = Counter()
        self._priors: dict[str, float] = {}
        self._neutral: dict[str, bool] = {}
        self._memo: tuple[Report, Analysis] | None = None

    def __len__(self) -> int:
        return len(self._docs)

    # ------------------------------------------------------------------ weights

    def prior(self, term: str) -> float:
        """The term's language prior (``bot.story.frequency``; fixed for event classes and
        gazetteer names), memoized."""
        got = self._priors.get(term)
        if got is None:
            if term.startswith(EVENT_MARK):
                got = EVENT_PRIOR
            elif term in NAMES:
                got = NAME_PRIOR
            else:
                got = language_prior(term)
            if len(self._priors) > 500_000:
                self._priors.clear()
            self._priors[term] = got
        return got

    def neutral(self, term: str) -> bool:
        """Whether the term reads the same in any language: an event class, a gazetteer
        name or concept, or a word no language list knows (a name, most likely)."""
        got = self._neutral.get(term)
        if got is None:
            got = term[0] == EVENT_MARK or term in CANONICAL or not known(term)
            if len(self._neutral) > 500_000:
                self._neutral.clear()
            self._neutral[term] = got
        return got

    def weight(self, term: str) -> float:
        """The term's prior damped by the number of the window's stories that carry it."""
        stories = len(self._stories)
        if not stories:
            return self.prior(term)
        return self.prior(term) / (1.0 + DAMPING * self._story_freq.get(term, 0) / stories)

    def _weights(self, terms: Iterable[str]) -> _Memo:
        """``weight`` of each of ``terms`` (and of any other term on first use), computed in
        one pass: the same figures."""
        memo = _Memo(self.weight)
        stories = len(self._stories)
        priors, prior = self._priors, self.prior
        if not stories:
            for t in terms:
                got = priors.get(t)
                memo[t] = prior(t) if got is None else got
            return memo
        freq = self._story_freq.get
        for t in terms:
            got = priors.get(t)
            memo[t] = (prior(t) if got is None else got) / (1.0 + DAMPING * freq(t, 0) / stories)
        return memo

    # ------------------------------------------------------------------ reading

    def _analyse(self, report: Report) -> Analysis:
        memo = self._memo
        if memo is not None and memo[0] is report:
            return memo[1]
        got = analyse(report.title, report.summary)
        self._memo = (report, got)  # assign then add of one report analyse it once
        return got

    def verdicts(self, report: Report) -> list[tuple[int, Verdict, Verdict]]:
        """The candidate stories' verdicts, best candidates first: (the story's report
        that shares most of the new report's heaviest terms, the pair verdict against that
        report, the verdict against the story as a whole) — what ``assign`` decides on,
        and what an explanation can show."""
        found = self._analyse(report)
        side = Side(found.title, found.terms, found.events, found.language)
        memo = self._weights(found.terms)  # weights do not change during one assignment
        w = memo.__getitem__
        postings = self._postings
        query = [
            t
            for _, t in sorted(
                (-memo[t], t) for t in found.terms if t[0] != EVENT_MARK and t in postings
            )[:QUERY_TERMS]
        ]
        hits: dict[int, int] = {}
        for term in query:  # the heaviest terms first: ids sharing most of them rank first
            for rid in postings[term]:
                hits[rid] = hits.get(rid, 0) + 1
        for event in found.events:  # a headline event shared counts, for ids found already
            for rid in postings.get(event, ()):
                if rid in hits:
                    hits[rid] += 1
        need = self.thresholds.shared_words
        docs, window, published = self._docs, self.window, report.published
        best: dict[int, tuple[int, int]] = {}  # story -> (shared query terms, report id)
        for rid, n in sorted(hits.items(), key=_COUNT, reverse=True)[:RANKED]:
            if n < need:
                break
            doc = docs.get(rid)
            if doc is None or rid == report.id or abs(doc.published - published) > window:
                continue
            got = best.get(doc.story)
            if got is None or (n, rid) > got:
                best[doc.story] = (n, rid)
        ranked = sorted(((n, rid, story) for story, (n, rid) in best.items()), reverse=True)
        prior, limits = self.prior, self.thresholds
        out: list[tuple[int, Verdict, Verdict]] = []
        probe = Probe(side, w, prior, self.neutral, limits) if ranked else None
        for _, rid, story in ranked[: self.candidates]:
            assert probe is not None
            whole = check_story(probe, self._profile(story), limits)
            if whole.same or whole.score < limits.drift:
                pair = _NOT_NEEDED  # the pair cannot change the decision
            else:
                pair = check(side, docs[rid].side(), w, prior, limits)
            out.append((rid, pair, whole))
        return out

    def assign(self, report: Report) -> Join | None:
        """The story ``report`` belongs to, or None for a new story.  A story is joined when
        the report passes the check against the story as a whole, or passes it against one
        of its reports while staying near the whole (``drift``); of those, the best score
        wins.  Changes nothing."""
        limits = self.thresholds
        best: tuple[float, int, Verdict] | None = None
        for rid, pair, whole in self.verdicts(report):
            if whole.same:
                got = (whole.score, rid, whole)
            elif pair.same and whole.score >= limits.drift:
                got = (pair.score, rid, pair)
            else:
                continue
            if best is None or got[0] > best[0]:
                best = got
        if best is None:
            return None
        score, rid, verdict = best
        surface = self._analyse(report).surface
        heaviest = sorted(verdict.shared, key=lambda t: (-self.weight(t), t))[:6]
        shared = tuple(surface.get(t, t) for t in heaviest)
        return Join(
            story=self._docs[rid].story,
            report=rid,
            score=round(score, 3),
            shared=shared,
            reason=f"shares {', '.join(shared)}; {verdict.reason}",
        )

    # ------------------------------------------------------------------ writing

    def add(self, report: Report, story: int) -> None:
        """Index ``report`` as part of ``story`` (a report already indexed is left)."""
        self.watermark = max(self.watermark, report.id)
        if report.id in self._docs:
            return
        found = self._analyse(report)
        self._memo = None
        self._docs[report.id] = _Doc.of(story, report.published, found)
        heapq.heappush(self._by_time, (report.published, report.id))
        cap, postings, rid = self.postings_cap, self._postings, report.id
        for term in found.terms:
            if term[0] == EVENT_MARK and term not in found.events:
                continue
            posting = postings.get(term)
            if posting is None:
                postings[term] = [rid]
            else:
                posting.append(rid)
                if len(posting) > cap:
                    del posting[0]
        stories = self._stories
        entry = stories.get(story)
        if entry is None:
            stories[story] = rid
            _tally(self._story_freq, found.terms)  # every term is new to the story
            return
        if isinstance(entry, int):
            profile = stories[story] = self._profile(story)
            del self._made[story]  # counted in from now on: no longer the one report's
        else:
            profile = entry
        counts = profile.terms
        # terms new to the story (not ``terms - counts.keys()``: a set minus a keys view
        # walks the whole view, every term of a story of thousands of reports)
        _tally(self._story_freq, [t for t in found.terms if t not in counts])
        self._count(profile, found.terms, found.title, found.language)

    def _count(
        self, profile: Profile, terms: Iterable[str], title: Iterable[str], language: str
    ) -> None:
        """Count a report in ``profile`` (its ``_story_freq`` is the caller's)."""
        profile.reports += 1
        _tally(profile.terms, terms)
        _tally(profile.titles, title)
        profile.mass += fsum(self.prior(t) for t in title)
        profile.neutral_mass += fsum(self.prior(t) for t in title if self.neutral(t))
        if language:
            profile.languages[language] += 1
        settle_added(profile, title)

    def _profile(self, story: int) -> Profile:
        """The story's Profile; for a story of one report, made from its terms (the same
        figures ``add`` would have counted: the headline's terms in the same order)."""
        entry = self._stories[story]
        if isinstance(entry, Profile):
            return entry
        made = self._made.get(story)
        if made is not None:
            return made
        doc = self._docs[entry]
        title, prior, neutral = doc.title, self.prior, self.neutral
        profile = Profile(
            1,
            _ones(doc.terms),
            _ones(title),
            fsum(prior(t) for t in title),
            fsum(prior(t) for t in title if neutral(t)),
        )
        if doc.language:
            profile.languages[doc.language] = 1
        settle_added(profile, title)
        if len(self._made) >= MADE:
            self._made.clear()
        self._made[story] = profile
        return profile

    def expire(self, now: float) -> int:
        """Drop the reports published before ``now - window``; how many were dropped."""
        cutoff = now - self.window
        dropped = 0
        touched: set[int] = set()
        while self._by_time and self._by_time[0][0] < cutoff:
            _, rid = heapq.heappop(self._by_time)
            doc = self._docs.pop(rid, None)
            if doc is None:
                continue
            dropped += 1
            self._forget(doc, touched)
        for story in touched:  # once per story, however many of its reports went
            profile = self._stories.get(story)
            if isinstance(profile, Profile):
                profile.settle()
        return dropped

    def _uncount(self, terms: Iterable[str]) -> None:
        """A story that carried ``terms`` is gone: each is in one story fewer."""
        freq = self._story_freq
        for term in terms:
            freq[term] -= 1
            if freq[term] <= 0:
                del freq[term]

    def _forget(self, doc: _Doc, touched: set[int]) -> None:
        """Uncount ``doc``; its story, if it stays, is added to ``touched`` (to settle)."""
        docs = self._docs
        for term in doc.terms:
            posting = self._postings.get(term)
            if posting is not None:
                gone = 0
                while gone < len(posting) and posting[gone] not in docs:
                    gone += 1
                if gone == len(posting):
                    del self._postings[term]
                elif gone:
                    del posting[:gone]
        profile = self._stories.get(doc.story)
        if profile is None:
            return
        if isinstance(profile, int):  # its one report: every term leaves the story
            self._made.pop(doc.story, None)
            self._uncount(doc.terms)
            del self._stories[doc.story]
            return
        profile.reports -= 1
        if profile.reports <= 0:
            self._uncount(profile.terms)
            del self._stories[doc.story]
            return
        counts = profile.terms
        for term in doc.terms:
            counts[term] -= 1
            if counts[term] <= 0:
                del counts[term]
                self._story_freq[term] -= 1
                if self._story_freq[term] <= 0:
                    del self._story_freq[term]
        titles, title = profile.titles, doc.title
        for term in title:
            titles[term] -= 1
            if titles[term] <= 0:
                del titles[term]
        profile.mass = max(0.0, profile.mass - fsum(self.prior(t) for t in title))
        profile.neutral_mass = max(
            0.0,
            profile.neutral_mass - fsum(self.prior(t) for t in title if self.neutral(t)),
        )
        language = doc.language
        if language:
            profile.languages[language] -= 1
            if profile.languages[language] <= 0:
                del profile.languages[language]
        touched.add(doc.story)

    def clear(self) -> None:
        """Forget every report (the watermark too)."""
        self.watermark = 0
        self._docs.clear()
        self._postings.clear()
        self._by_time.clear()
        self._stories.clear()
        self._made.clear()
        self._story_freq.clear()
        self._memo = None
