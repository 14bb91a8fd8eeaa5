"""How common a term is in the languages newsbot's feeds are written in: the prior half of
a term's weight (the other half is how many stories of the window carry it).

The frequencies come from ``wordfreq``'s "small" lists, shipped inside its wheel (nothing
is downloaded): English, German, French, Spanish and Russian, folded and normalized the way
report words are (``bot.story.terms``), the forms of one term summed, a term's frequency
its highest in any of the languages.  Loaded once per process on first use (about half a
second); the tables wordfreq caches while loading are released afterwards."""

from __future__ import annotations

import math
import threading
from typing import Final

from anyascii import anyascii

from bot.story.terms import normalize

__all__ = ["known", "prior", "zipf"]

LANGUAGES: Final = ("en", "de", "fr", "es", "ru")
UNKNOWN_ZIPF: Final = 1.5  # a word no list has: rare (a name, a place)
CEILING: Final = 7.0  # zipf 7 and up (the, of, and) weighs nothing
MIN_PRIOR: Final = 0.3

_lock = threading.Lock()
_zipf: dict[str, float] | None = None


def _load() -> dict[str, float]:
    import wordfreq  # imported here: its import and data cost only the clusterer's users

    best: dict[str, float] = {}
    values: dict[float, float] = {}
    for lang in LANGUAGES:
        sums: dict[str, float] = {}
        for i, bucket in enumerate(wordfreq.get_frequency_list(lang, "small")):
            freq = 10.0 ** (-i / 100.0)
            for word in bucket:
                lower = word.lower()
                folded = lower if lower.isascii() else anyascii(lower).replace("'", "")
                if not folded.isalpha():
                    continue
                key = normalize(folded)
                sums[key] = sums.get(key, 0.0) + freq
        wordfreq.get_frequency_list.cache_clear()  # one language's list in memory at a time
        for key, freq in sums.items():
            zipf = math.log10(freq) + 9.0
            if zipf > best.get(key, 0.0):
                best[key] = values.setdefault(zipf, zipf)  # equal figures: one float object
    return best


def _table() -> dict[str, float]:
    global _zipf
    if _zipf is None:
        with _lock:
            if _zipf is None:
                _zipf = _load()
    return _zipf


def zipf(term: str) -> float:
    """The term's Zipf frequency (log10 of occurrences per billion words)."""
    return _table().get(term, UNKNOWN_ZIPF)


def known(term: str) -> bool:
    """Whether the term is a word of one of the languages' lists (else a name, most
    likely, and spelled the same in every language)."""
    return term in _table()


def prior(term: str) -> float:
    """The language prior of a term's weight: ``CEILING - zipf``, at least ``MIN_PRIOR``."""
    return max(MIN_PRIOR, CEILING - zipf(term))
