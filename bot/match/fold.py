"""Folding and tokenization: the one definition of "the same word" for queries and entries.

A text becomes a list of *words*, each with the ``(start, end)`` span of the original text
it came from:

* A word is a run of letters and digits; combining marks and invisible format characters
  (soft hyphen, zero-width space/joiner, BOM...) stay inside the word and are dropped from
  its folded form, so ``Ki\\u00adm`` is ``kim``.  Underscores join too (``foo_bar`` is
  ``foobar``).  Everything else (spaces of every kind, dashes, punctuation, quotes,
  symbols) separates words.
* An apostrophe (``' ’ ‘ ʼ ′ ´``) between two letters joins them (``Xi'an`` is ``xian``,
  ``Tian'anmen`` is ``tiananmen``), except a final ``'s`` which is an English possessive
  and is dropped (``Putin's`` is ``putin``); a trailing apostrophe (``leaders’``) is
  punctuation.
* Folding: NFKC (full-width letters, ligatures, superscripts), lower case, Latin,
  Greek and Cyrillic letters transliterated to ASCII with anyascii (which also strips
  accents: ``Vučić`` → ``vucic``, ``İSTANBUL`` → ``istanbul``, ``ß`` → ``ss``,
  ``Путин`` → ``putin``); a Cyrillic word with a letter only Serbian (or Macedonian) has
  is transliterated as Serbian: ``Вучић`` → ``vucic``.  Traditional Chinese (and Japanese
  forms) fold to simplified (``習`` → ``习``, ``bot.match.hanzi``); Persian yeh/keheh, alef
  maksura and teh marbuta fold to the Arabic yeh, kaf and heh.  Other scripts are
  case-folded, lose generic combining diacritics (and Arabic/Hebrew vowel points) and
  keep their script's own marks; decimal digits of any script become ASCII digits.
* Scripts written without spaces (Han, Hiragana, Katakana, Hangul, Thai, Lao, Khmer,
  Myanmar, Bopomofo) yield one word per character, so a phrase of them matches as a
  substring: ``习近平`` is found in ``习近平检阅部队``.

``fold(fold(x)) == fold(x)`` for every string.  Pure ASCII text (after mapping typographic
quotes, dashes and spaces to ASCII) takes a fast path of C-level ``str`` operations whose
spans are only computed when a match needs them.
"""

from __future__ import annotations

import re
import unicodedata
from bisect import bisect_right
from functools import lru_cache
from itertools import accumulate, compress, repeat
from operator import add
from typing import Final

from anyascii import anyascii

from .hanzi import simplified

__all__ = ["Tokens", "fold", "is_solo", "tokenize"]

# ... and the Hebrew geresh and gershayim (ג׳ in transliterated names, צה״ל)
APOSTROPHES: Final = "'\u2019\u2018\u02bc\u2032\u00b4\u02b9\u05f3\u05f4"


def _char_class(predicate_categories: frozenset[str]) -> str:
    """A regex character-class body for every code point in the given categories."""
    ranges: list[tuple[int, int]] = []
    for cp in range(0x10000):  # the BMP only, so that re builds a fast bitmap
        if unicodedata.category(chr(cp)) in predicate_categories:
            if ranges and ranges[-1][1] == cp - 1:
                ranges[-1] = (ranges[-1][0], cp)
            else:
                ranges.append((cp, cp))
    return "".join(
        re.escape(chr(a)) if a == b else f"{re.escape(chr(a))}-{re.escape(chr(b))}"
        for a, b in ranges
    )


_INNER: Final = _char_class(frozenset({"Mn", "Mc", "Me", "Cf"}))
_APOS_CLASS: Final = re.escape(APOSTROPHES)
# A word: starts with a letter/digit, continues with letters, digits, underscores, marks
# and format characters; an apostrophe joins when a letter/digit follows it.
_WORD: Final = re.compile(rf"[^\W_][\w{_INNER}]*(?:[{_APOS_CLASS}][^\W_][\w{_INNER}]*)*")
_ASCII_WORD: Final = re.compile(r"[a-z0-9][a-z0-9_]*(?:'[a-z0-9][a-z0-9_]*)*")

# Typographic characters mapped to ASCII before choosing the fast path.
_TYPOGRAPHIC: Final = {
    # not U+02BC and U+02B9: they are letters (Lm), so "0\u02bc\u20180" is one word
    **dict.fromkeys("\u2019\u2018\u2032\u00b4", "'"),
    **dict.fromkeys("\u201c\u201d\u201e\u201f\u00ab\u00bb\u2033", '"'),
    **dict.fromkeys("\u2010\u2011\u2012\u2013\u2014\u2015\u2212\ufe58\ufe63\uff0d", "-"),
    **dict.fromkeys("\u00a0\u2000\u2001\u2002\u2003\u2004\u2005\u2006\u2007", " "),
    **dict.fromkeys("\u2008\u2009\u200a\u202f\u205f\u3000\u2028\u2029\u0085", " "),
    "\u2026": ".",
    "\u2022": "*",
    "\u00b7": ".",
    "\u20ac": "$",
    "\u00a3": "$",
    "\u00b0": " ",
}
# Fast-path stand-ins for non-ASCII characters, filled on first sight (see ``_stand_in``).
_STAND_INS: Final[dict[str, str]] = {}
_MAX_STAND_INS: Final = 20_000
_WORD_START: Final = re.compile(r"[^\W_]")
_WORD_INNER: Final = re.compile(rf"[\w{_INNER}]")
# ASCII bytes: upper case to lower case, punctuation (all but letters, digits, apostrophe
# and underscore) to spaces.
_ASCII_TABLE: Final = bytes(
    c if chr(c).isalnum() or chr(c) in "'_" else 0x20 for c in range(256)
).lower()

# Marks that are "diacritics" to fold away even outside Latin/Greek/Cyrillic.
_DROP_MARKS: Final = (
    (0x0300, 0x036F),
    (0x0483, 0x0489),
    (0x0591, 0x05C7),
    (0x0610, 0x061A),
    (0x064B, 0x065F),
    (0x0670, 0x0670),
    (0x093C, 0x093C),  # Devanagari nukta: ज़ = ज (writers use it inconsistently)
    (0x06D6, 0x06ED),
    (0x1AB0, 0x1AFF),
    (0x1DC0, 0x1DFF),
    (0x20D0, 0x20FF),
    (0xFE20, 0xFE2F),
)
# Scripts written without spaces between words: one word per character.
_SOLO: Final = (
    (0x0E00, 0x0EFF),  # Thai, Lao
    (0x1000, 0x109F),  # Myanmar
    (0x1100, 0x11FF),  # Hangul Jamo
    (0x1780, 0x17FF),  # Khmer
    (0x2E80, 0x2FDF),  # CJK radicals
    (0x3005, 0x3007),  # 々 〆 〇
    (0x3021, 0x3029),
    (0x3031, 0x3035),
    (0x3038, 0x303C),
    (0x3040, 0x31FF),  # Hiragana, Katakana, Bopomofo, Hangul compatibility jamo
    (0x3400, 0x4DBF),
    (0x4E00, 0x9FFF),
    (0xA960, 0xA97F),
    (0xAC00, 0xD7FF),  # Hangul syllables
    (0xF900, 0xFAFF),
    (0xFF66, 0xFFDC),  # half-width Katakana and Hangul
    (0x1B000, 0x1B16F),
    (0x20000, 0x323AF),
)
_TRANSLIT_SCRIPTS: Final = frozenset({"LATIN", "GREEK", "CYRILLIC"})

# Serbian (and Macedonian) Cyrillic: a word with a letter only these alphabets have is
# transliterated as Serbian Latin is written (``Вучић`` = ``Vučić`` -> ``vucic``), not as
# Russian (``vuchich``).  Each letter becomes one Latin code point (ǉ, ǌ, ǆ fold to lj, nj,
# dž), so a word keeps its length and its spans.
_SERBIAN_ONLY: Final = frozenset("ђјљњћџѓќѕЂЈЉЊЋЏЃЌЅ")
_SERBIAN: Final = str.maketrans(
    "чшжцхћђјљњџѓќѕЧШЖЦХЋЂЈЉЊЏЃЌЅ",
    "čšžchćđjǉǌǆǵḱǳČŠŽCHĆĐJǇǊǄǴḰǱ",
)
# Arabic-script letters that outlets of different languages write differently: Persian
# yeh and keheh are the Arabic ones, alef maksura is yeh, teh marbuta is heh (as search
# engines' Arabic and Persian normalizers do); tatweel (a stretching stroke) is dropped.
_ARABIC: Final = {
    "\u06cc": "\u064a",  # ی -> ي
    "\u0649": "\u064a",  # ى -> ي
    "\u06a9": "\u0643",  # ک -> ك
    "\u0629": "\u0647",  # ة -> ه
    "\u06c0": "\u0647",  # ۀ -> ه
    "\u06d5": "\u0647",  # ە -> ه
    "\u0640": "",  # tatweel
}

_IGNORE, _MARK_DROP, _MARK_KEEP, _SOLO_CHAR, _LETTER = range(5)


def _in(ranges: tuple[tuple[int, int], ...], c: str) -> bool:
    cp = ord(c)
    return any(a <= cp <= b for a, b in ranges)


def is_solo(c: str) -> bool:
    """Whether ``c`` belongs to a script written without spaces (one word per character)."""
    return _in(_SOLO, c)


def _fold_letter(c: str) -> tuple[str, bool]:
    """Fold one letter or digit; returns the folded text and whether it was transliterated."""
    out: list[str] = []
    translit = False
    for d in unicodedata.normalize("NFKC", c):
        if d.isascii():
            out.append(d.lower())
        elif d.isdecimal():
            out.append(str(unicodedata.decimal(d)))
        elif unicodedata.name(d, "").split(" ", 1)[0] in _TRANSLIT_SCRIPTS:
            out.append(anyascii(d).lower())
            translit = True
        else:
            e = unicodedata.normalize("NFD", d.casefold())
            kept = unicodedata.normalize("NFC", "".join(x for x in e if not _in(_DROP_MARKS, x)))
            out.append("".join(_ARABIC.get(x, x) for x in kept))
    return "".join(x for x in "".join(out) if x.isalnum() or _is_mark(x)), translit


def _is_mark(c: str) -> bool:
    return unicodedata.category(c) in ("Mn", "Mc", "Me")


@lru_cache(maxsize=8192)
def _char_info(c: str) -> tuple[int, str, bool]:
    """Classify one character of a word: (kind, folded text, transliterated)."""
    if c in APOSTROPHES or c == "_" or unicodedata.category(c) == "Cf":
        return _IGNORE, "", False
    n = unicodedata.normalize("NFKC", c)
    base = n if len(n) == 1 else c
    if _is_mark(base):
        return (_MARK_DROP if _in(_DROP_MARKS, base) else _MARK_KEEP), base, False
    if is_solo(base):
        return _SOLO_CHAR, simplified(base), False
    folded, translit = _fold_letter(c)
    for _ in range(3):  # reach a fixed point so that folding is idempotent
        again = "".join(_fold_letter(x)[0] if x.isalnum() else x for x in folded)
        if again == folded:
            break
        folded = again
    if any(is_solo(x) for x in folded):  # ㈠ -> 一, ㍻ -> 平成: words of their own
        return _SOLO_CHAR, "".join(map(simplified, folded)), False
    return _LETTER, folded, translit


def _solo_pieces(folded: str) -> list[str]:
    """A solo character's folded text as words: each solo character alone, other runs whole
    (``平成`` -> 平, 成; ``1月`` -> 1, 月)."""
    pieces: list[str] = []
    run = ""
    for x in folded:
        if is_solo(x):
            if run:
                pieces.append(run)
                run = ""
            pieces.append(x)
        else:
            run += x
    if run:
        pieces.append(run)
    return pieces


def _possessive_cut(raw: str) -> int:
    """Length of ``raw`` without a final English possessive ``'s``."""
    if len(raw) > 2 and raw[-1] in "sS" and raw[-2] in APOSTROPHES:
        return len(raw) - 2
    return len(raw)


@lru_cache(maxsize=65536)
def _fold_word(raw: str) -> tuple[tuple[str, int, int], ...]:
    """Fold one raw word into folded words with spans relative to ``raw``."""
    if not _SERBIAN_ONLY.isdisjoint(raw):
        return _fold_word(raw.translate(_SERBIAN))
    cut = _possessive_cut(raw)
    if raw.isascii():
        word = raw[:cut].lower().replace("'", "").replace("_", "")
        return ((word, 0, cut),) if word else ()
    words: list[tuple[str, int, int]] = []
    parts: list[str] = []
    start = end = 0
    solo = False  # the current word is one solo-script character (plus its marks)
    translit = False  # marks after a transliterated letter are dropped

    def flush() -> None:
        text = unicodedata.normalize("NFC", "".join(parts))
        i = 0
        while i < len(text) and not text[i].isalnum():
            i += 1  # a word never starts with a mark
        if i < len(text):
            words.append((text[i:], start, end))
        parts.clear()

    for i, c in enumerate(raw[:cut]):
        kind, folded, is_translit = _char_info(c)
        if kind == _IGNORE:
            continue
        if kind in (_MARK_DROP, _MARK_KEEP):
            if parts and kind == _MARK_KEEP and not translit:
                parts.append(folded)
                end = i + 1
            continue
        if kind == _SOLO_CHAR:
            if parts:
                flush()
            pieces = _solo_pieces(folded) if len(folded) > 1 else [folded]
            words.extend((piece, i, i + 1) for piece in pieces[:-1])
            parts.append(pieces[-1])
            start, end, solo, translit = i, i + 1, True, False
            continue
        if solo and parts:
            flush()
        if not parts:
            start = i
        solo = False
        if folded:
            parts.append(folded)
            translit = is_translit
        end = i + 1
    if parts:
        flush()
    return tuple(words)


class Tokens:
    """The folded words of one text, with lazily computed spans into the original text."""

    __slots__ = (
        "_ends",
        "_expand",
        "_lookups",
        "_padded",
        "_plain",
        "_starts",
        "plain_runs",
        "text",
        "words",
    )

    def __init__(
        self,
        text: str,
        words: list[str],
        spans: list[tuple[int, int]] | None,
        plain: str,
        expand: dict[str, int] | None = None,
        runs: bool = False,
    ) -> None:
        self.text = text
        self.words = words
        self._plain = plain  # fast path: lower-cased text, punctuation turned to spaces
        self._padded = ""  # " " + plain + " ", once a word is looked up
        self._expand = expand  # fast path: characters whose stand-in is k > 0 chars longer
        # ``runs``: the words are the runs of non-spaces of ``plain``, so a word can be found
        # on its own (a few such lookups are cheaper than locating every word)
        self.plain_runs = runs and expand is None
        self._lookups = 0 if self.plain_runs else _MANY
        self._starts: list[int] | None = None
        self._ends: list[int] | None = None  # None with _starts set: start + len(word)
        if spans is not None:
            self._starts = [a for a, _ in spans]
            self._ends = [b for _, b in spans]

    @property
    def spans(self) -> list[tuple[int, int]]:
        """``(start, end)`` of each word in the original text."""
        return [self.span(i, i + 1) for i in range(len(self.words))]

    def padded(self) -> str:
        """``" " + plain + " "``, where the words are the runs of non-spaces of the plain
        text (``plain_runs``) whose offsets are those of the original text: word ``w``
        occurs where ``" w "`` does, at its offset + 1 in ``padded``."""
        padded = self._padded
        if not padded:
            padded = self._padded = " " + self._plain + " "
        return padded

    def span(self, first: int, stop: int) -> tuple[int, int]:
        """Offsets in the original text of the words ``first`` to ``stop - 1``."""
        starts = self._starts
        if starts is None:
            if self._lookups < _MANY:
                self._lookups += 1
                words = self.words
                if stop == first + 1:  # one word (inlined ``_find``)
                    word = words[first]
                    padded = self.padded()
                    key = " " + word + " "
                    start = padded.find(key)
                    if words.index(word) != first:
                        for _ in range(words[:first].count(word)):
                            start = padded.find(key, start + 1)
                    return start, start + len(word)
                start = self._find(first)
                return start, self._find(stop - 1) + len(words[stop - 1])
            starts = self._locate()
        ends = self._ends
        end = ends[stop - 1] if ends is not None else starts[stop - 1] + len(self.words[stop - 1])
        return starts[first], end

    def _find(self, i: int) -> int:
        """Where word ``i`` starts, when the words are the runs of non-spaces of the plain
        text: its occurrence as a whole word in the plain text, counting the same word's
        earlier occurrences."""
        words = self.words
        word = words[i]
        key = " " + word + " "
        padded = self.padded()
        at = padded.find(key)  # the space before the word: its offset in plain
        if words.index(word) != i:
            for _ in range(words[:i].count(word)):
                at = padded.find(key, at + 1)
        return at

    def offsets(self) -> tuple[list[int], list[int] | None, list[str]]:
        """Start offsets of the words, end offsets (None: start + length of the word), and
        the words."""
        starts = self._starts
        if starts is None:
            starts = self._locate()
        return starts, self._ends, self.words

    def _locate(self) -> list[int]:
        plain = self._plain
        if self._expand is not None:
            return self._locate_expanded()
        if "'" not in plain and "_" not in plain:
            # C-level: offsets of the pieces of split(" "), keeping the non-empty ones
            pieces = plain.split(" ")
            offsets = accumulate(map(add, map(len, pieces), repeat(1)), initial=0)
            self._starts = starts = list(compress(offsets, pieces))
            return starts
        starts = []
        ends = []
        for m in _RUN.finditer(plain):
            run = m.group()
            if "'" in run or "_" in run:
                base = m.start()
                for w in _ASCII_WORD.finditer(run):
                    start = base + w.start()
                    starts.append(start)
                    ends.append(start + _possessive_cut(w.group()))
            else:
                starts.append(m.start())
                ends.append(m.end())
        self._ends = ends
        self._starts = starts
        return starts

    def _locate_expanded(self) -> list[int]:
        """Offsets when some stand-ins were longer than their characters (``ж`` → ``zh``):
        locate in the plain text, then subtract the growth of the stand-ins before each
        offset (an offset is never inside a stand-in, which has no separators)."""
        expand = self._expand
        assert expand is not None
        self._expand = None
        starts = self._locate()
        ends = self._ends
        if ends is None:
            ends = list(map(add, starts, map(len, self.words)))
        bounds: list[int] = []  # plain offset after each longer stand-in
        growth: list[int] = [0]  # total growth up to each bound
        total = 0
        for m in _longer(tuple(expand)).finditer(self.text):
            total += expand[m.group()]
            bounds.append(m.start() + total + 1)
            growth.append(total)
        # the words before the first longer stand-in keep their offsets
        first = bounds[0] if bounds else len(self._plain) + 1
        i = bisect_right(starts, first - 1)
        j = bisect_right(ends, first - 1)
        starts[i:] = [a - growth[bisect_right(bounds, a)] for a in starts[i:]]
        ends[j:] = [b - growth[bisect_right(bounds, b)] for b in ends[j:]]
        self._starts = starts
        self._ends = ends
        return starts


_RUN: Final = re.compile(r"[^ ]+")


@lru_cache(maxsize=1024)
def _longer(chars: tuple[str, ...]) -> re.Pattern[str]:
    """A pattern finding any of ``chars`` (characters whose stand-ins are longer)."""
    return re.compile("[" + "".join(map(re.escape, chars)) + "]")


_MANY: Final = 8  # single-word lookups in one text before locating all of its words


_NON_ASCII: Final = re.compile(r"[^\x00-\x7f]")


def tokenize(text: str) -> Tokens:
    """Split ``text`` into folded words (see the module docstring)."""
    ascii_text = text
    expand: dict[str, int] | None = None  # stand-ins longer than their character
    if not text.isascii():
        if "_" in text:
            return _tokenize_unicode(text)  # a non-ASCII word's span omits a final "_"
        extra = set(_NON_ASCII.findall(text))
        stand_ins = _STAND_INS
        for c in extra:
            to = stand_ins.get(c)
            if to is None:
                to = _stand_in(c)
                if len(stand_ins) < _MAX_STAND_INS:
                    stand_ins[c] = to
            if not to:
                return _tokenize_unicode(text)
            if len(to) > 1:
                if expand is None:
                    expand = {}
                expand[c] = len(to) - 1
            elif to == "s" and any(a + c in text for a in APOSTROPHES):
                return _tokenize_unicode(text)  # Cyrillic "Xi'с" has no possessive to drop
            ascii_text = ascii_text.replace(c, to)
    plain = ascii_text.encode("ascii").translate(_ASCII_TABLE).decode("ascii")
    runs = plain.split()
    if "'" not in plain and "_" not in plain:
        return Tokens(text, runs, None, plain, expand, runs=True)
    words = []
    for run in runs:
        if "'" in run or "_" in run:
            for raw in _ASCII_WORD.findall(run):
                cut = _possessive_cut(raw)
                words.append(raw[:cut].replace("'", "").replace("_", ""))
        else:
            words.append(run)
    return Tokens(text, words, None, plain, expand)


def _stand_in(c: str) -> str:
    """What the fast path puts in place of the non-ASCII character ``c``: ASCII text that
    the full tokenizer's result does not tell apart from ``c``, or "" when ``c`` needs the
    full tokenizer (marks, format characters, scripts that stay non-ASCII...).

    A letter or digit that folds to ASCII letters and digits (``č`` → ``c``, ``Ж`` →
    ``zh``, ``ß`` → ``ss``) stands for itself; a character that can be neither part of a
    word nor an apostrophe separates words, as a space does.
    """
    if c in _TYPOGRAPHIC:
        return _TYPOGRAPHIC[c]
    if c in _SERBIAN_ONLY:
        return ""  # the word is Serbian: its other letters fold differently (full tokenizer)
    if _WORD_START.match(c):
        kind, folded, _ = _char_info(c)
        if kind == _LETTER and folded.isascii() and folded.isalnum() and folded == folded.lower():
            return folded
        return ""
    if c in APOSTROPHES or _WORD_INNER.match(c):
        return ""
    return " "


def _tokenize_unicode(text: str) -> Tokens:
    words: list[str] = []
    spans: list[tuple[int, int]] = []
    for m in _WORD.finditer(text):
        base = m.start()
        for word, s, e in _fold_word(m.group()):
            words.append(word)
            spans.append((base + s, base + e))
    return Tokens(text, words, spans, "")


def fold(text: str) -> str:
    """The folded form of ``text``: its words joined by single spaces."""
    return " ".join(tokenize(text).words)
