"""Fuzzy terms (``word~``, ``word~1``): which fuzzy terms does an entry word satisfy?

Terms are bucketed by length; a word is compared (rapidfuzz Levenshtein with
``score_cutoff``) only with terms whose length is within the largest distance of its own.
News vocabulary repeats heavily, so the answer per distinct word is memoized (bounded:
replaced by an empty memo when full): per entry, one dict lookup per word finds the words
never seen before and the words known to satisfy some term.  The memo is one dict, swapped
as a whole when full and otherwise only grown by ``dict.update`` (atomic under the GIL), so
sharing a RuleSet between threads stays safe.
"""

from __future__ import annotations

from collections.abc import Sequence
from typing import Final

from rapidfuzz import process
from rapidfuzz.distance import Levenshtein

MAX_DISTANCE: Final = 2
CACHE_SIZE: Final = 100_000


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
        # every word compared so far -> the ids of the terms within its reach (often none)
        self._memo: dict[str, tuple[int, ...]] = {}

    def __len__(self) -> int:
        return sum(len(b[0]) for b in self._buckets.values())

    def matches(self, words: Sequence[str]) -> dict[str, tuple[int, ...]]:
        """The words of ``words`` that satisfy some fuzzy term, with the terms' ids."""
        memo = self._memo
        out: dict[str, tuple[int, ...]] = {}
        fresh: set[str] | None = None
        for word in words:  # one dict lookup per word (a C loop once compiled)
            fids = memo.get(word)
            if fids is None:
                if fresh is None:
                    fresh = set()
                fresh.add(word)
            elif fids:
                out[word] = fids
        if fresh is not None:
            computed = {w: self._compute(w) for w in fresh}
            if len(memo) + len(computed) > CACHE_SIZE:
                memo = self._memo = {}
            memo.update(computed)
            for w, fids in computed.items():
                if fids:
                    out[w] = fids
        return out

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
