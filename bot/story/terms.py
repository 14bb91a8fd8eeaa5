"""Report text to story terms: the folded words (``bot.match.fold``, so "Kim Jong-un" and
"Kim Jong Un" are one name) without stopwords and numbers, each normalized by a light
suffix rule, plus the event classes of ``bot.story.lexicon``.

Why a hand-written suffix rule rather than a Snowball stemmer: the pure-Python Snowball
stemmer costs tens of microseconds a word, and stemming the frequency lists at start would
take seconds; clustering needs only that two forms of a word meet (``kills``/``kill``,
``arrived``/``arrive``), not linguistics, and the same rule runs on both sides.

Untrusted text: title and summary are cut to ``TITLE_CHARS``/``SUMMARY_CHARS`` before
tokenizing (the tokenizer is linear), and only the first ``SUMMARY_WORDS`` words of the
summary count (its opening says what happened; the rest is background that would make
unrelated reports look alike)."""

from __future__ import annotations

import sys
from dataclasses import dataclass
from typing import Final

from bot.match.fold import Tokens, tokenize
from bot.story.gazetteer import LONGEST, PHRASES, STARTS, WORDS
from bot.story.lexicon import CONFLICTS, CONTEXT, EVENTS, NEUTRAL, STOPWORDS, STOPWORDS_BY_LANGUAGE

__all__ = ["Analysis", "analyse", "compound", "language", "normalize"]

TITLE_CHARS: Final = 500
SUMMARY_CHARS: Final = 2_000
TITLE_WORDS: Final = 40
SUMMARY_WORDS: Final = 60
TERM_CHARS: Final = 40  # a longer word is cut (memory: the index keys on terms)
EVENT_MARK: Final = "@"  # event-class terms: "@quake"; no folded word starts with it


def normalize(word: str) -> str:
    """A folded word's term: plural, past and gerund endings and a final ``e`` cut from
    ASCII words long enough to keep a stem of four letters (``arrives``, ``arrived``,
    ``arrive`` → ``arriv``)."""
    if not word.isascii() or not word.isalpha() or len(word) < 5:
        return word
    w = word
    if w.endswith("ies") and len(w) > 5:
        w = w[:-3] + "y"
    elif w.endswith("sses"):
        w = w[:-2]
    elif w.endswith(("ches", "shes", "xes", "zes")):
        w = w[:-2]
    elif w.endswith("s") and not w.endswith(("ss", "us", "is")):
        w = w[:-1]
    if w.endswith("ed") and len(w) > 5:
        w = w[:-2]
    elif w.endswith("ing") and len(w) > 6:
        w = w[:-3]
    if w.endswith("e") and len(w) > 4:
        w = w[:-1]
    return w


def _event_table() -> dict[str, frozenset[str]]:
    table: dict[str, set[str]] = {}
    for name, words in EVENTS.items():
        for word in words:
            for key in (word, normalize(word)):
                table.setdefault(key, set()).add(EVENT_MARK + name)
    return {k: frozenset(v) for k, v in table.items()}


_EVENT_OF: Final = _event_table()
_CONFLICTS: Final = frozenset(frozenset(EVENT_MARK + c for c in pair) for pair in CONFLICTS)
_NONE: Final[frozenset[str]] = frozenset()
_LANGUAGES_OF: Final = {
    word: tuple(lang for lang, words in STOPWORDS_BY_LANGUAGE.items() if word in words)
    for word in STOPWORDS
}
NEUTRAL_EVENTS: Final = frozenset(EVENT_MARK + c for c in NEUTRAL)
_CACHE: dict[str, tuple[str, frozenset[str]] | None] = {}
_CACHE_MAX: Final = 200_000
COMPOUND_CHARS: Final = 9  # a word no list knows this long may be a compound ...
PART_CHARS: Final = 4  # ... of two words this long at least ...
PART_ZIPF: Final = 3.0  # ... each at least this common in some language
COMPOUNDING: Final = frozenset({"de"})  # languages whose reports' compounds are split
_LINKS: Final = ("", "s", "es", "n")  # German linking elements: Arbeit-s-markt
_PARTS: dict[str, tuple[tuple[str, frozenset[str]], ...]] = {}


def compound(word: str) -> tuple[str, ...]:
    """The two terms of a compound word that no language list knows: ``bahnstreik`` →
    (``bahn``, ``streik``), ``lokfuhrergewerkschaft`` → (``lokfuhrer``, ``gewerkschaft``);
    () for any other word.

    German (and Dutch, Scandinavian) writes new compounds freely, so an outlet's
    "Bahnstreik" would share nothing with "Streik bei der Bahn".  A word the lists know is
    a word in its own right ("background", "Fernverkehr") and is left whole; names are
    unknown but seldom two common words glued.  The split with the more common rarer part
    wins; a few dict lookups per split point, and each word is split once (cached)."""
    if len(word) < COMPOUND_CHARS or not word.isascii() or not word.isalpha():
        return ()
    from bot.story.frequency import known, zipf  # lazy: frequency imports this module

    if known(normalize(word)):
        return ()
    best: tuple[str, ...] = ()
    best_zipf = PART_ZIPF
    for cut in range(PART_CHARS, len(word) - PART_CHARS + 1):
        right = normalize(word[cut:])
        right_zipf = zipf(right) if word[cut:] not in STOPWORDS else 0.0
        if right_zipf < best_zipf:
            continue
        for link in _LINKS:
            head = word[:cut]
            if link:
                if not head.endswith(link) or len(head) - len(link) < PART_CHARS:
                    continue
                head = head[: -len(link)]
            if head in STOPWORDS:
                continue
            left = normalize(head)
            got = min(zipf(left), right_zipf)
            if got >= best_zipf and (not best or got > best_zipf):
                best, best_zipf = (left, right), got
    return best


def _compound_terms(word: str) -> tuple[tuple[str, frozenset[str]], ...]:
    hit = _PARTS.get(word)
    if hit is None:
        hit = tuple((sys.intern(p), _EVENT_OF.get(p) or _NONE) for p in compound(word))
        if len(_PARTS) >= _CACHE_MAX:
            _PARTS.clear()
        _PARTS[word] = hit
    return hit


def _term(word: str) -> tuple[str, frozenset[str]] | None:
    """(term, event classes) of a folded word, or None for a word that carries nothing."""
    hit = _CACHE.get(word, _CACHE)
    if hit is not _CACHE:
        return hit  # type: ignore[return-value]
    out: tuple[str, frozenset[str]] | None
    if (
        word in STOPWORDS
        or word.isdigit()
        or (len(word) < 2 and word.isascii())
        or (word[-2:] in _ORDINAL and word[:-2].isdigit())  # "10th": a number too
    ):
        out = None
    else:
        # interned: the story index keeps every report's terms, and one string per term
        # (not one per cache generation) serves them all
        term = sys.intern(normalize(word[:TERM_CHARS]))
        out = (term, _EVENT_OF.get(word) or _EVENT_OF.get(term) or _NONE)
    if len(_CACHE) >= _CACHE_MAX:
        _CACHE.clear()
    _CACHE[word] = out
    return out


@dataclass(frozen=True, slots=True)
class Analysis:
    """A report's terms: ``title`` and ``terms`` (title and summary opening) hold word
    terms and event-class terms (a headline's words after a context word, "... ahead of
    the parade", count as summary words); ``events`` the title's event classes alone (not
    the ``NEUTRAL`` ones); ``surface``
    one folded word per word term, for explanations."""

    title: frozenset[str]
    terms: frozenset[str]
    events: frozenset[str]
    surface: dict[str, str]
    language: str


def language(words: list[str]) -> str:
    """The language whose stopwords the words use most (at least two of them), or "" when
    that is unclear."""
    counts: dict[str, int] = {}
    of = _LANGUAGES_OF
    for word in words:
        langs = of.get(word)
        if langs:
            for lang in langs:
                counts[lang] = counts.get(lang, 0) + 1
    if not counts:
        return ""
    ranked = sorted(counts.items(), key=lambda kv: -kv[1])
    if ranked[0][1] < 2 or (len(ranked) > 1 and ranked[1][1] == ranked[0][1]):
        return ""
    return ranked[0][0]


def _words(words: list[str], split: bool = False) -> list[tuple[str, str, frozenset[str]]]:
    """(term, surface word, event classes) of folded words: gazetteer forms (the longest
    first, up to ``LONGEST`` words) become their canonical name, other words their term."""
    out: list[tuple[str, str, frozenset[str]]] = []
    i, n = 0, len(words)
    phrases, single, starts, cache = PHRASES, WORDS, STARTS, _CACHE
    while i < n:
        word = words[i]
        if word in starts:  # a multi-word form first, the longest
            span = 0
            for k in range(min(LONGEST, n - i), 1, -1):
                got = phrases.get(tuple(words[i : i + k]))
                if got is not None:
                    out.append((got, word, _NONE))
                    span = k
                    break
            if span:
                i += span
                continue
        i += 1
        canonical = single.get(word)
        if canonical is not None:
            out.append((canonical, word, _NONE))
            continue
        hit = cache[word] if word in cache else _term(word)
        if hit is not None:
            out.append((hit[0], word, hit[1]))
            if split and len(word) >= COMPOUND_CHARS:
                for part, classes in _compound_terms(word):
                    out.append((part, word, classes))
    return out


_ORDINAL: Final = frozenset({"st", "nd", "rd", "th"})
_ELIDED: Final = frozenset({"l", "d", "j", "m", "n", "s", "t", "c", "qu"})  # l'armée, qu'il
_APOSTROPHES: Final = frozenset("'’")
_CLAUSE_END: Final = frozenset(",:;–—")


def _elide(tokens: Tokens) -> list[str]:
    """The folded words with a French (or Italian) elided article or pronoun cut off:
    "l'attaque" and "d'une" fold to ``lattaque`` and ``dune``; they give ``attaque`` and
    ``une``, as "attaque" alone does."""
    words, text = tokens.words, tokens.text
    if "'" not in text and "\u2019" not in text:
        return words  # the common case: no apostrophe, nothing elided
    spans = tokens.spans
    if len(spans) != len(words):
        return words
    out = list(words)
    for i, (start, end) in enumerate(spans):
        k = start + 1 if text[start + 1 : start + 2] in _APOSTROPHES else start + 2
        if k < end - 1 and text[k] in _APOSTROPHES:
            prefix = text[start:k].lower()
            if prefix in _ELIDED and out[i].startswith(prefix):
                out[i] = out[i][len(prefix) :]
    return out


def _lead(text: str, spans: list[tuple[int, int]], n: int) -> int:
    """Where a headline's opening context clause ends: the first word after the first
    comma, colon, semicolon or dash; 0 when there is none (the whole headline counts)."""
    if len(spans) < n or n == 0:
        return 0
    first_end = spans[0][1]
    stop = next((k for k in range(first_end, len(text)) if text[k] in _CLAUSE_END), -1)
    if stop < 0:
        return 0
    return next((i for i in range(1, n) if spans[i][0] > stop), 0)


def analyse(title: str, summary: str) -> Analysis:
    """The terms of a report (see the module docstring)."""
    surface: dict[str, str] = {}
    title_terms: set[str] = set()
    events: set[str] = set()
    head = tokenize(title[:TITLE_CHARS])
    words = _elide(head)[:TITLE_WORDS]
    summary_words = _elide(tokenize(summary[:SUMMARY_CHARS]))[:SUMMARY_WORDS]
    lang = language(words + summary_words[:30])
    split = lang in COMPOUNDING
    # a headline that opens with a context clause ("After three failures, Starship flight
    # goes to plan") tells its event after the clause's comma or colon
    lead = _lead(head.text, head.spans, len(words)) if words and words[0] in CONTEXT else 0
    context = next((i for i in range(lead, len(words)) if words[i] in CONTEXT), len(words))
    main, aside = words[lead:context], words[:lead] + words[context:]
    for term, word, classes in _words(main, split):
        if classes:
            events |= classes - NEUTRAL_EVENTS
            title_terms |= classes
        else:
            title_terms.add(term)
            surface.setdefault(term, word)
    terms = set(title_terms)
    # after a context word ("... after the parade") the headline tells another event: those
    # terms count as the summary's do
    for term, word, classes in _words(aside, split):
        if classes:
            terms |= classes
        else:
            terms.add(term)
            surface.setdefault(term, word)
    for term, word, classes in _words(summary_words, split):
        if classes:
            terms |= classes
        else:
            terms.add(term)
            surface.setdefault(term, word)
    return Analysis(frozenset(title_terms), frozenset(terms), frozenset(events), surface, lang)


def conflicting(a: frozenset[str], b: frozenset[str]) -> tuple[str, str] | None:
    """Two event classes that contradict, one only in ``a`` and one only in ``b``."""
    only_a, only_b = a - b, b - a
    if not only_a or not only_b:
        return None
    for x in only_a:
        for y in only_b:
            if frozenset((x, y)) in _CONFLICTS:
                return (x, y)
    return None
