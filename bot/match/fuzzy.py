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
        self._hit_words: set[str] = set()  # cached words with a non-empty answer

    def __len__(self) -> int:
        return sum(len(b[0]) for b in self._buckets.values())

    def lookup(self, word: str) -> tuple[int, ...]:
        """Fuzzy ids of the terms within their distance of ``word``."""
        return self.matches({word}).get(word, ())

    def matches(self, words: set[str]) -> dict[str, tuple[int, ...]]:
        """The words of ``words`` that satisfy some fuzzy term, with the terms' ids.

        Set operations against the memo keep the per-entry cost C-level for known words.
        """
        cache = self._cache
        hit_words = self._hit_words
        fresh = {word: self._compute(word) for word in words.difference(cache)}
        if fresh:
            if len(cache) + len(fresh) > CACHE_SIZE:
                cache.clear()
                hit_words.clear()
            cache.update(fresh)
            hit_words.update(w for w, found in fresh.items() if found)
        out = {w: found for w in words.intersection(hit_words) if (found := cache.get(w))}
        out.update((w, found) for w, found in fresh.items() if found)
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
