"""Inflected forms of a name: what an entity alias matches besides itself.

``forms(alias)`` gives the folded word tuples of the alias and of its inflected forms; the
query parser turns an ``@entity`` into an OR of them, so they are ordinary keys of the one
automaton and every form is still a whole-word (or whole-phrase) match: ``Путина`` and
``Putins`` are ``@putin``, ``Putinism`` and ``Путинизм`` are not.

The forms come from suffix tables per script, chosen by the script of each word of the
alias (a rules file's aliases carry no language, and a Latin spelling is shared by many):

* **Cyrillic** (Russian, Ukrainian, Belarusian, Serbian): the case endings of nouns by the
  word's final letter (consonant: ``Путина``, ``Путину``, ``Путиным``, ``Вучићем``; ``-а``,
  ``-я``, ``-ь``, ``-й``, ``-о`` as in ``Лукашенка``; adjectival ``-ский``/``-ський``:
  ``Зеленского``, ``Зеленського``), generated in Cyrillic and then folded, so the Serbian
  forms also match their Serbian Latin spelling (``Вучића`` = ``Vučića``).  A name of several
  words gets each case on its last word alone (``Си Цзиньпина``, ``Ким Чен Ына``) and on
  every word together, the words before the last in that case's most common form
  (``Владимира Путина``, ``Владимиром Путиным``).  Words ending in other vowels do not decline
  (``Моди``, ``Шойгу``).
* **Latin**: on the last word, Turkish case suffixes (written after an apostrophe, which
  folding joins: ``Erdoğan’ın`` -> ``erdoganin``; both vowel-harmony variants), the German
  genitive ``-s`` (``Putins``) and the West/South Slavic endings of a consonant-final name
  (``Putina``, ``Putinem``, ``Putinowi``, ``Jinpingiem``).  The English possessive is
  folding's own rule.
* **Greek**: ``-ης`` / ``-ος`` / ``-ας`` names in the genitive, accusative and vocative
  (``Μητσοτάκη``, ``Κυριάκου``).
* **Arabic script**: the one-letter prefixes written joined to the next word (``و`` and,
  ``ب`` ``ل`` ``ك`` ``ف``) and their pairs on the first word (``وبوتين``).
* **Hebrew**: the joined prefixes ``ו ה ב ל מ ש כ`` and their common pairs with ``ו`` and
  ``ש`` (``לפוטין``, ``ולפוטין``).
* Chinese, Japanese, Korean: none needed; those scripts match as substrings.

Two guards keep precision: a one-word alias declines only when it folds to at least
``MIN_LETTERS`` letters (``Xi`` has no forms: ``Xia`` is someone else), and a one-word form
that is itself a common word of English, French, German, Spanish, Italian or Portuguese
(wordfreq Zipf >= ``COMMON``: ``trumps``, Spanish ``trampa`` from ``Трампа``) is left out,
except in the language that made it (German ``Putins`` stays).
"""

from __future__ import annotations

import sys
import unicodedata
from collections.abc import Callable
from functools import lru_cache
from itertools import islice, product

from .fold import tokenize

MIN_LETTERS = 4
COMMON = 3.0  # wordfreq Zipf: about once per 1,000,000 words
COMMON_IN = ("en", "fr", "de", "es", "it", "pt")
MAX_JOINT = 8  # forms of one case across the words of one alias

Case = tuple[str, ...]  # the endings (or forms) one case may take
Cases = tuple[Case, ...]

_CYR_VOWELS = "аеёиоуыэюяіїєў"
# final letters -> (how many letters to drop, endings per case: gen, dat, acc, ins, loc)
_ADJECTIVAL = ("ский", "цкий", "ской", "цкой", "ський", "цький", "скі", "цкі")
_CYRILLIC_CASES: dict[str, tuple[int, tuple[Case, ...]]] = {
    "consonant": (
        0,
        (("а",), ("у", "ові", "еві"), ("а",), ("ом", "ем", "ым", "им", "ам"), ("е", "і", "у")),
    ),
    "а": (1, (("ы", "и"), ("е", "і"), ("у",), ("ой", "ою", "ом"), ("е", "і"))),
    "я": (1, (("и", "і"), ("е", "і"), ("ю",), ("ей", "ею"), ("е", "і"))),
    "ь": (1, (("я",), ("ю", "еві"), ("я",), ("ем",), ("е", "і"))),
    "й": (1, (("я",), ("ю",), ("я",), ("ем", "єм"), ("е", "і"))),
    "ий": (1, (("я",), ("ю",), ("я",), ("ем", "єм"), ("и", "і"))),
    "о": (1, (("а",), ("у", "ові"), ("а",), ("ом",), ("е", "і", "у"))),
    "adjectival": (2, (("ого", "ага"), ("ому", "аму"), ("ого", "ага"), ("им", "ім"), ("ом", "ім"))),
}
_GREEK_CASES: dict[str, tuple[Case, ...]] = {  # gen, acc, voc
    "ης": (("η",), ("η",), ("η",)),
    "ής": (("ή",), ("ή",), ("ή",)),
    "ος": (("ου",), ("ο",), ("ε",)),
    "ός": (("ού",), ("ό",), ("έ",)),
    "ας": (("α",), ("α",), ("α",)),
    "άς": (("ά",), ("ά",), ("ά",)),
}
_TURKISH_AFTER_CONSONANT = "in un i u e a de da te ta den dan ten tan le la".split()
_TURKISH_AFTER_VOWEL = "nin nun yi yu ye ya de da te ta den dan ten tan yle yla le la".split()
_SLAVIC_LATIN = "a u em om owi ovi ie e".split()
_ARABIC_PREFIXES = ("و", "ف", "ب", "ل", "ك", "وب", "ول", "فب", "فل", "وك")
_HEBREW_PREFIXES = tuple("ו ה ב ל מ ש כ וה וב ול ומ וש שה".split())


def forms(alias: str) -> tuple[tuple[str, ...], ...]:
    """The folded words of ``alias`` first, then of each of its inflected forms (no repeats)."""
    return _forms(alias.strip())


@lru_cache(maxsize=16384)
def _forms(alias: str) -> tuple[tuple[str, ...], ...]:
    tokens = tokenize(alias)
    base = tuple(tokens.words)
    if not base:
        return ()
    raw = [alias[a:b] for a, b in tokens.spans]
    if len(raw) != len(base) or (len(base) == 1 and len(base[0]) < MIN_LETTERS):
        return (base,)
    out: dict[tuple[str, ...], None] = {base: None}
    for variant in _raw_variants(raw):
        words = tuple(tokenize(" ".join(variant)).words)
        if words and words not in out and len(words) == len(base):
            out[words] = None
    last = base[-1]
    if _script(raw[-1]) == "LATIN" and last.isascii() and last.isalpha():
        for w in _latin_forms(last):
            out[(*base[:-1], w)] = None
    german = base[-1] + "s"
    return tuple(
        k
        for k in out
        if k == base or len(k) > 1 or not _common(k[0], "de" if k[0] == german else "")
    )


def _raw_variants(raw: list[str]) -> list[list[str]]:
    """Inflected spellings of the alias's words, in their own scripts (folded afterwards)."""
    script = _script(raw[-1])
    if script == "CYRILLIC":
        return _cased(raw, _cyrillic_cases)
    if script == "GREEK":
        return _cased(raw, _greek_cases)
    first = _script(raw[0])
    if first == "ARABIC":
        return [[first_word, *raw[1:]] for first_word in _arabic_firsts(raw[0])]
    if first == "HEBREW":
        return [[p + raw[0], *raw[1:]] for p in _HEBREW_PREFIXES]
    return []


def _cased(raw: list[str], cases_of: Callable[[str], Cases | None]) -> list[list[str]]:
    """Each case on the last word alone, and on every word at once."""
    per_word: list[Cases | None] = [cases_of(w) for w in raw]
    last = per_word[-1]
    out: list[list[str]] = []
    if last is not None:
        for case in last:
            out.extend([*raw[:-1], form] for form in case)
    if len(raw) > 1 and any(p is not None for p in per_word[:-1]):
        slots = len(next(p for p in per_word if p is not None))
        for slot in range(slots):
            # the words before the last take their case's first (most common) form
            options = [
                (w,) if p is None else p[slot][:1] for w, p in zip(raw, per_word, strict=True)
            ]
            if last is not None:
                options[-1] = last[slot]
            out.extend(list(combo) for combo in islice(product(*options), MAX_JOINT))
    return out


def _cyrillic_cases(word: str) -> Cases | None:
    """The forms of one Cyrillic word per case (gen, dat, acc, ins, loc), or None."""
    if _script(word) != "CYRILLIC" or len(word) < 2:
        return None
    low = word.lower()
    if low.endswith(_ADJECTIVAL):
        kind = "adjectival"
        drop = 1 if low.endswith(("скі", "цкі")) else 2
    elif low.endswith(("ий", "ій")):
        kind, drop = "ий", 1
    elif low[-1] in "йьаяо":
        kind = low[-1]
        drop = _CYRILLIC_CASES[kind][0]
    elif low[-1] in _CYR_VOWELS:
        return None  # Моди, Шойгу, Си: indeclinable
    else:
        kind, drop = "consonant", 0
    stem = word[: len(word) - drop]
    upper = word.isupper() and len(word) > 1
    return tuple(
        tuple(stem + (e.upper() if upper else e) for e in case) for case in _CYRILLIC_CASES[kind][1]
    )


def _greek_cases(word: str) -> Cases | None:
    if _script(word) != "GREEK":
        return None
    low = word.lower()
    for ending, cases in _GREEK_CASES.items():
        if low.endswith(ending) and len(low) > len(ending) + 1:
            stem = word[: -len(ending)]
            return tuple(tuple(stem + e for e in case) for case in cases)
    return None


def _arabic_firsts(word: str) -> list[str]:
    """The first word of an Arabic-script alias with each joined prefix."""
    out = [p + word for p in _ARABIC_PREFIXES]
    if word.startswith("ال"):  # ل + ال is written لل: للسيسي
        out.extend(p + word[2:] for p in ("لل", "ولل", "فلل"))
    return out


def _latin_forms(word: str) -> list[str]:
    """Forms of one folded (ASCII) Latin word: Turkish suffixes, German -s, Slavic endings."""
    if not word.isalpha():
        return []
    vowel = word[-1] in "aeiouy"
    out = [word + s for s in (_TURKISH_AFTER_VOWEL if vowel else _TURKISH_AFTER_CONSONANT)]
    if word[-1] not in "sxz":
        out.append(word + "s")
    if not vowel:
        out.extend(word + e for e in _SLAVIC_LATIN)
        if word[-1] in "kg":  # Polish: Jinpingiem, Erdoganem
            out.append(word + "iem")
    return out


def _script(word: str) -> str:
    """The script of the first letter of ``word`` (``LATIN``, ``CYRILLIC``, ...)."""
    for c in word:
        if c.isalpha():
            return unicodedata.name(c, "?").split(" ", 1)[0]
    return ""


@lru_cache(maxsize=16384)
def _common(word: str, own: str) -> bool:
    """Whether ``word`` is a common word of a major Latin-script language other than ``own``
    (the language whose grammar made the form: ``Putins`` is common German *because* of
    Putin): then it is another word, not a form of the name (``trampa``, ``rubia``)."""
    if not word.isascii():
        return False
    from wordfreq import zipf_frequency  # data in the wheel; loaded on first use

    # the "small" lists hold every word down to Zipf 3 (COMMON), at about a seventh of the
    # memory of the default "large" ones (30 MB instead of 225 MB for the six languages);
    # over every form of every built-in person both give the same answers
    return any(
        zipf_frequency(word, lang, wordlist="small") >= COMMON for lang in COMMON_IN if lang != own
    )


def release_word_lists() -> None:
    """Drop the word lists wordfreq keeps once loaded (about 30 MB for the six languages):
    called when a compile is done.  ``_forms`` and ``_common`` keep their answers, so a
    recompile of the same names loads nothing; a name not seen yet loads its lists again."""
    wordfreq = sys.modules.get("wordfreq")
    if wordfreq is not None:
        wordfreq.get_frequency_dict.cache_clear()
