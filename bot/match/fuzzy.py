"""Fuzzy terms (``word~``, ``word~1``): which fuzzy terms does an entry word satisfy?

Terms are bucketed by length; a word is compared (rapidfuzz Levenshtein with
``score_cutoff``) only with terms whose length is within the largest distance of its own.
News vocabulary repeats heavily, so the answer per distinct word is memoized (bounded:
replaced by an empty memo when full).  Per entry, two C-level set operations on the
entry's word list find the words never seen before and the words known to satisfy some
term.  The memo is one tuple swapped as a whole and sets and dicts are only grown in place,
operations that are atomic under the GIL, so sharing a RuleSet between threads stays safe.
"""

from __future__ import annotations

from collections.abc import Sequence

from rapidfuzz import process
from rapidfuzz.distance import Levenshtein

MAX_DISTANCE = 2
CACHE_SIZE = 100_000


class FuzzyIndex:
    """Fuzzy terms numbered 0..n-1 (their fuzzy ids)."""

    def __init__(self, terms: Sequence[tuple[str, int]]) -> None:
        buckets: dict[int, tuple[list[str], list[int], list[int]]] = {}
        for fid, (word, distance) in enumerate(terms):
            words, fids, distances = buckets.setdefault(len(word), ([], [], []))
            words.append(word)
            fids.append(fid)
            distances.append(distance)
        self._buckets = buckets
        self._memo = _Memo()

    def __len__(self) -> int:
        return sum(len(b[0]) for b in self._buckets.values())

    def matches(self, words: Sequence[str]) -> dict[str, tuple[int, ...]]:
        """The words of ``words`` that satisfy some fuzzy term, with the terms' ids."""
        memo = self._memo
        if not memo.known.issuperset(words):
            fresh = {w: self._compute(w) for w in set(words).difference(memo.known)}
            if len(memo.known) + len(fresh) > CACHE_SIZE:
                memo = self._memo = _Memo()
            for w, fids in fresh.items():  # answers first, then "known": readers see both
                if fids:
                    memo.found[w] = fids
                    memo.hit_words.add(w)
            memo.known.update(fresh)
            out = {w: fids for w, fids in fresh.items() if fids}
            for w in memo.hit_words.intersection(words):
                out[w] = memo.found[w]
            return out
        hit = memo.hit_words.intersection(words)
        if not hit:
            return {}
        found = memo.found
        return {w: found[w] for w in hit}

    def _compute(self, word: str) -> tuple[int, ...]:
        size = len(word)
        if size < 2:
            return ()
        found: list[int] = []
        for length in range(size - MAX_DISTANCE, size + MAX_DISTANCE + 1):
            bucket = self._buckets.get(length)
            if bucket is None:
                continue
            words, fids, distances = bucket
            for _, score, i in process.extract(
                word, words, scorer=Levenshtein.distance, score_cutoff=MAX_DISTANCE, limit=None
            ):
                if score <= distances[i]:
                    found.append(fids[i])
        return tuple(sorted(found))


class _Memo:
    """Words already compared with every term; those within reach of some term, and which."""

    __slots__ = ("found", "hit_words", "known")

    def __init__(self) -> None:
        self.known: set[str] = set()
        self.hit_words: set[str] = set()
        self.found: dict[str, tuple[int, ...]] = {}
