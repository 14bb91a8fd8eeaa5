"""The compiled rule set: ``RuleSet.match(title, summary, feed_id) -> [Match]`` (pure).

Semantics
    * Text and queries are folded the same way (``bot.match.fold``): case-insensitive;
      accents, diacritics, ligatures and full-width forms folded; Cyrillic and Greek
      transliterated to Latin (``Путин`` = ``Putin``); dashes, punctuation, quotes and any
      kind or number of spaces separate words; soft hyphens and zero-width characters are
      ignored; a final ``'s``/``’s`` is dropped, any other apostrophe joins (``Xi'an`` is
      one word, ``xian``).
    * Whole words only: ``Kim`` never matches ``Kimberly``.  A phrase is consecutive
      words with anything but letters and digits between them, so ``"Kim Jong Un"``
      matches ``Kim Jong-un`` and ``KIM JONG UN``, but not ``Kim Jongun``.  A hyphenated
      query word (``Jong-un``) is the phrase of its parts.
    * Scripts written without spaces (Chinese, Japanese, Korean, Thai...) are one word per
      character, so their terms match as substrings.
    * ``word*`` matches the words starting with ``word``; ``word~`` a word within
      min(2, len/3) edits (``word~1``, ``word~2`` set it).
    * ``/re/`` is RE2 (linear time) on the folded field text (``bot.match.pattern``).
    * ``title:``/``summary:`` restrict every term inside to that field; otherwise a term
      matches in either.  A phrase never spans the title/summary boundary.
    * ``A NEAR/n B``: an occurrence of A and one of B in the same field with at most n
      words between them, in either order.
    * NOT binds tightest, then AND (also adjacency), then OR; a rule with ``feeds`` only
      matches entries of those feeds (``feed_id=None`` disables the filter).
    * Spans: for a matching rule, every occurrence of every positive term that took part
      (all true branches of an OR; both sides of each qualifying NEAR pair), as offsets
      into the original title/summary strings, merged where they overlap.

Engine
    Every phrase, word and prefix of every rule is one key of a single Aho-Corasick
    automaton over the entry's folded words joined as ``" w1 w2 \\n s1 s2 "`` (keys are
    ``" w1 w2 "``, or ``" pre"`` for a prefix), so whole-word matching is free and the
    cost per entry grows with its length and hits, not with the number of rules.  Each
    rule has a set of *necessary* keys (literals or fuzzy terms, one of which must hit for
    the rule to match); only rules whose necessary keys hit, plus the few rules without
    any (pure NOT, pure regex), are evaluated.
"""

from __future__ import annotations

from bisect import bisect_left, bisect_right
from collections.abc import Sequence
from itertools import accumulate, chain, repeat
from operator import add
from typing import Any, Protocol

from bot.models import Match, Span

from .fold import Tokens, is_solo, tokenize
from .fuzzy import FuzzyIndex
from .nodes import BOTH, SUMMARY, TITLE
from .pattern import MAX_MATCHES

Ranges = list[tuple[int, int]]  # word ranges [start, end) in the combined word list


class Context:
    """What one ``match`` call knows about its entry, shared by every rule's program."""

    __slots__ = ("_regex_texts", "fuzzy", "hits", "nt", "summary", "title", "words")

    def __init__(
        self,
        title: Tokens,
        summary: Tokens,
        words: list[str],
        hits: dict[int, list[int]],
        fuzzy: dict[int, set[str]],
    ) -> None:
        self.title = title
        self.summary = summary
        self.words = words  # title words, "\n", summary words
        self.nt = len(title.words)
        self.hits = hits  # literal id -> indexes of the last word of each occurrence
        self.fuzzy = fuzzy  # fuzzy id -> entry words within its distance
        self._regex_texts: dict[int, tuple[str, list[int]]] = {}

    def in_field(self, start: int, fields: int) -> bool:
        return bool(fields & (TITLE if start < self.nt else SUMMARY))

    def regex_text(self, field: int) -> tuple[str, list[int]]:
        """The folded text of one field for regexes, and each word's offset in it."""
        cached = self._regex_texts.get(field)
        if cached is None:
            words = (self.title if field == TITLE else self.summary).words
            parts: list[str] = []
            starts: list[int] = []
            offset = 0
            for i, word in enumerate(words):
                if i and not (is_solo(word[0]) and is_solo(words[i - 1][0])):
                    parts.append(" ")
                    offset += 1
                starts.append(offset)
                parts.append(word)
                offset += len(word)
            cached = ("".join(parts), starts)
            self._regex_texts[field] = cached
        return cached


class Program(Protocol):
    """A compiled query node. ``eval`` returns ``None`` when false, else the word ranges."""

    def eval(self, ctx: Context) -> Ranges | None: ...


class Positional(Program, Protocol):
    def positions(self, ctx: Context) -> Ranges: ...


class Literal:
    __slots__ = ("fields", "lid", "size")

    def __init__(self, lid: int, size: int, fields: int) -> None:
        self.lid = lid
        self.size = size  # words in the phrase
        self.fields = fields

    def positions(self, ctx: Context) -> Ranges:
        ends = ctx.hits.get(self.lid)
        if not ends:
            return []
        back = self.size - 1
        if self.fields == BOTH:
            return [(e - back, e + 1) for e in ends]
        return [(e - back, e + 1) for e in ends if ctx.in_field(e, self.fields)]

    def eval(self, ctx: Context) -> Ranges | None:
        return self.positions(ctx) or None


class FuzzyTerm:
    __slots__ = ("fid", "fields")

    def __init__(self, fid: int, fields: int) -> None:
        self.fid = fid
        self.fields = fields

    def positions(self, ctx: Context) -> Ranges:
        near = ctx.fuzzy.get(self.fid)
        if not near:
            return []
        words = ctx.words
        out: Ranges = []
        for w in near:
            i = words.index(w)
            while True:
                if ctx.in_field(i, self.fields):
                    out.append((i, i + 1))
                try:
                    i = words.index(w, i + 1)
                except ValueError:
                    break
        return out

    def eval(self, ctx: Context) -> Ranges | None:
        return self.positions(ctx) or None


class RegexTerm:
    __slots__ = ("fields", "regex")

    def __init__(self, regex: Any, fields: int) -> None:
        self.regex = regex
        self.fields = fields

    def positions(self, ctx: Context) -> Ranges:
        out: Ranges = []
        for field in (TITLE, SUMMARY):
            if not self.fields & field:
                continue
            text, starts = ctx.regex_text(field)
            if not text:
                continue
            base = 0 if field == TITLE else ctx.nt + 1
            for count, m in enumerate(self.regex.finditer(text)):
                if count >= MAX_MATCHES:
                    break
                a, b = m.span()
                if text[a : a + 1] == " ":
                    a += 1
                first = bisect_right(starts, a) - 1
                last = bisect_left(starts, b)
                if a < b and first < last:
                    out.append((base + first, base + last))
        return out

    def eval(self, ctx: Context) -> Ranges | None:
        return self.positions(ctx) or None


class AllOf:
    __slots__ = ("children",)

    def __init__(self, children: Sequence[Program]) -> None:
        self.children = tuple(children)

    def eval(self, ctx: Context) -> Ranges | None:
        out: Ranges = []
        for child in self.children:
            found = child.eval(ctx)
            if found is None:
                return None
            out += found
        return out


class AnyOf:
    __slots__ = ("children",)

    def __init__(self, children: Sequence[Program]) -> None:
        self.children = tuple(children)

    def eval(self, ctx: Context) -> Ranges | None:
        out: Ranges | None = None
        for child in self.children:
            found = child.eval(ctx)
            if found is not None:
                out = found if out is None else out + found
        return out

    def positions(self, ctx: Context) -> Ranges:
        out: Ranges = []
        for child in self.children:
            assert isinstance(child, Literal | FuzzyTerm | RegexTerm | AnyOf)
            out += child.positions(ctx)
        return out


class NoneOf:
    __slots__ = ("child",)

    def __init__(self, child: Program) -> None:
        self.child = child

    def eval(self, ctx: Context) -> Ranges | None:
        return [] if self.child.eval(ctx) is None else None


class Near:
    __slots__ = ("distance", "left", "right")

    def __init__(self, left: Positional, right: Positional, distance: int) -> None:
        self.left = left
        self.right = right
        self.distance = distance

    def eval(self, ctx: Context) -> Ranges | None:
        lefts = self.left.positions(ctx)
        if not lefts:
            return None
        rights = self.right.positions(ctx)
        if not rights:
            return None
        nt, n = ctx.nt, self.distance
        out: Ranges = []
        for a in lefts:
            for b in rights:
                if (a[0] < nt) == (b[0] < nt) and max(b[0] - a[1], a[0] - b[1]) <= n:
                    out += (a, b)
        return out or None


class RuleSet:
    """Compiled rules; build with ``compile_rules`` or ``compile_query``.  Read-only."""

    def __init__(
        self,
        ids: Sequence[str],
        feeds: Sequence[frozenset[str] | None],
        programs: Sequence[Program],
        automaton: Any,
        literal_rules: Sequence[tuple[int, ...]],
        fuzzy: FuzzyIndex | None,
        fuzzy_rules: Sequence[tuple[int, ...]],
        always: Sequence[int],
        requires: Sequence[frozenset[int] | None],
    ) -> None:
        self._ids = tuple(ids)
        self._feeds = tuple(feeds)
        self._programs = tuple(programs)
        self._automaton = automaton
        self._literal_rules = tuple(literal_rules)
        self._fuzzy = fuzzy
        self._fuzzy_rules = tuple(fuzzy_rules)
        self._always = frozenset(always)
        self._requires = tuple(requires)  # literal ids that must all hit, or None

    @property
    def rule_ids(self) -> tuple[str, ...]:
        return self._ids

    def __len__(self) -> int:
        return len(self._ids)

    def __repr__(self) -> str:
        return f"<RuleSet of {len(self._ids)} rules>"

    def match(self, title: str, summary: str, feed_id: str | None = None) -> list[Match]:
        """The rules matching this entry, in rule order, with their spans."""
        t = tokenize(title)
        s = tokenize(summary)
        words = t.words + _SEPARATOR + s.words
        candidates: set[int] = set(self._always)
        hits: dict[int, list[int]] = {}
        if self._automaton is not None:
            found = list(self._automaton.iter(" " + " ".join(words) + " "))
            if found:
                # offset, in the joined text, of the space after each word
                ends = list(accumulate(map(add, map(len, words), repeat(1))))
                for end, lid in found:
                    i = bisect_left(ends, end)
                    at = hits.get(lid)
                    if at is None:
                        hits[lid] = [i]
                    else:
                        at.append(i)
                literal_rules = self._literal_rules
                candidates.update(chain.from_iterable([literal_rules[lid] for lid in hits]))
        fuzzy: dict[int, set[str]] = {}
        if self._fuzzy is not None:
            fuzzy_rules = self._fuzzy_rules
            for w, fids in self._fuzzy.matches(set(words)).items():
                for fid in fids:
                    near = fuzzy.get(fid)
                    if near is None:
                        fuzzy[fid] = {w}
                        candidates.update(fuzzy_rules[fid])
                    else:
                        near.add(w)
        if not candidates:
            return []
        ctx = Context(t, s, words, hits, fuzzy)
        out: list[Match] = []
        feeds, programs, ids, requires = self._feeds, self._programs, self._ids, self._requires
        hit_lids = hits.keys()
        for ri in sorted(candidates):
            only = feeds[ri]
            if only is not None and feed_id is not None and feed_id not in only:
                continue
            needed = requires[ri]
            if needed is not None and not hit_lids >= needed:
                continue
            ranges = programs[ri].eval(ctx)
            if ranges is not None:
                out.append(Match(ids[ri], _spans(ctx, ranges)))
        return out


_SEPARATOR = ["\n"]


def _spans(ctx: Context, ranges: Ranges) -> tuple[Span, ...]:
    """Word ranges -> merged character spans of the original title and summary."""
    nt = ctx.nt
    if len(ranges) == 1:
        a, b = ranges[0]
        if a < nt:
            return (Span("title", *ctx.title.span(a, b)),)
        return (Span("summary", *ctx.summary.span(a - nt - 1, b - nt - 1)),)
    out: list[Span] = []
    field = ""
    start = end = -1
    for a, b in sorted(set(ranges)):
        if a < nt:
            name, (s, e) = "title", ctx.title.span(a, b)
        else:
            name, (s, e) = "summary", ctx.summary.span(a - nt - 1, b - nt - 1)
        if name == field and s <= end:
            end = max(end, e)
            continue
        if field:
            out.append(Span(field, start, end))
        field, start, end = name, s, e
    if field:
        out.append(Span(field, start, end))
    return tuple(out)
