"""Fuzzy terms (``word~``, ``word~1``): which fuzzy terms does an entry word satisfy?

Terms are bucketed by length; a word is compared (rapidfuzz Levenshtein with
``score_cutoff``) only with terms whose length is within the largest distance of its own.
News vocabulary repeats heavily, so the answer per distinct word is memoized in a bounded
dict (cleared when full); reads and writes of a dict are atomic under the GIL, so sharing a
RuleSet between threads stays safe.
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
        self._cache: dict[str, tuple[int, ...]] = {}

    def __len__(self) -> int:
        return sum(len(b[0]) for b in self._buckets.values())

    def lookup(self, word: str) -> tuple[int, ...]:
        """Fuzzy ids of the terms within their distance of ``word``."""
        found = self._cache.get(word)
        if found is None:
            found = self._compute(word)
            if len(self._cache) >= CACHE_SIZE:
                self._cache.clear()
            self._cache[word] = found
        return found

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
