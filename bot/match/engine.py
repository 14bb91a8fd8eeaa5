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
    any (pure NOT, pure regex), are evaluated.  Among a rule's options the key fewest
    rules use is chosen (a word many rules mention, such as a city, is likely common in
    entries too).  A candidate is then dropped at C speed when one of its *required*
    literals (all of an AND's or a NEAR's literals) did not hit.  Rules that are one
    literal or an OR of literals, in either field, match whenever they are candidates
    (the *direct* path: no program runs, spans come from the hits).  Word indexes of
    literal hits are computed only for the rules evaluated, and character offsets only
    for the words of matching rules.
"""

from __future__ import annotations

from bisect import bisect_left, bisect_right
from collections.abc import Iterable, Sequence
from itertools import chain
from operator import itemgetter
from typing import Any, Final

from bot.models import Match, Span

from .fold import Tokens, is_solo, tokenize
from .fuzzy import FuzzyIndex
from .nodes import BOTH, SUMMARY, TITLE
from .pattern import MAX_MATCHES

Ranges = list[tuple[int, int]]  # word ranges [start, end) in the combined word list
MANY_LITERALS: Final = 16  # an OR of more literals is looked at through its hits


class Context:
    """What one ``match`` call knows about its entry, shared by every rule's program."""

    __slots__ = (
        "_found",
        "_hits",
        "_regex_texts",
        "_where",
        "_word_spans",
        "fuzzy",
        "nt",
        "summary",
        "text",
        "title",
        "words",
    )

    def __init__(
        self,
        title: Tokens,
        summary: Tokens,
        words: list[str],
        text: str,
        found: list[tuple[int, int]],
        fuzzy: dict[int, set[str]],
    ) -> None:
        self.title = title
        self.summary = summary
        self.words = words  # title words, "\n", summary words
        self.text = text  # " " + " ".join(words) + " ": what the automaton scanned
        self.nt = len(title.words)
        self._found = found  # the automaton's (end offset in text, literal id) hits
        self._hits: dict[int, list[int]] | None = None
        self.fuzzy = fuzzy  # fuzzy id -> entry words within its distance
        self._regex_texts: dict[int, tuple[str, list[int]]] = {}
        self._where: dict[str, Ranges] = {}  # fuzzy-hit word -> its word ranges
        self._word_spans: dict[tuple[str, int], tuple[Span, ...]] = {}

    @property
    def hits(self) -> dict[int, list[int]]:
        """Literal id -> offsets in ``text`` of the ends of its occurrences (built once, on
        first use: entries whose candidates are all fuzzy rules never need it)."""
        hits = self._hits
        if hits is None:
            hits = self._hits = {}
            for end, lid in self._found:
                at = hits.get(lid)
                if at is None:
                    hits[lid] = [end]
                else:
                    at.append(end)
        return hits

    def where(self, word: str) -> Ranges:
        """Word ranges of the occurrences of ``word`` in ``words`` (computed once per entry:
        fuzzy terms near the same word share them)."""
        found = self._where.get(word)
        if found is None:
            words = self.words
            found = []
            i = -1
            for _ in range(words.count(word)):
                i = words.index(word, i + 1)
                found.append((i, i + 1))
            self._where[word] = found
        return found

    def word_spans(self, word: str, fields: int) -> tuple[Span, ...]:
        """The spans of the occurrences of ``word`` in fields, merged as ``_spans`` merges
        (computed once per entry and fields: the fuzzy terms near a word share them).

        Where a field's words are the runs of its plain text (``Tokens.plain_runs``), an
        occurrence is found there with one ``str.find``, in order, without word indexes."""
        found = self._word_spans.get((word, fields))
        if found is None:
            out: list[Span] = []
            touching = False  # adjacent words (scripts without spaces) may need merging
            for tokens, name, field in (
                (self.title, "title", TITLE),
                (self.summary, "summary", SUMMARY),
            ):
                if not fields & field:
                    continue
                if tokens.plain_runs:  # separated by spaces: spans never touch
                    padded = tokens.padded()
                    key = " " + word + " "
                    size = len(word)
                    at = padded.find(key)
                    while at >= 0:
                        out.append(_new(Span, (name, at, at + size)))
                        at = padded.find(key, at + 1)
                    continue
                words = tokens.words
                n = words.count(word)
                if not n:
                    continue
                touching = True
                i = -1
                for _ in range(n):
                    i = words.index(word, i + 1)
                    out.append(_new(Span, (name, *tokens.span(i, i + 1))))
            found = _merge(out) if touching else tuple(out)
            self._word_spans[(word, fields)] = found
        return found

    def occurrences(self, lid: int, size: int, fields: int) -> Ranges:
        """Word ranges of the occurrences of literal ``lid`` (of ``size`` words) in fields.

        The index of the word an occurrence ends in is the number of spaces before its end
        in ``text``, less one (the leading space)."""
        ends = self.hits.get(lid)
        if not ends:
            return []
        count = self.text.count
        if fields == BOTH:
            return [(c - size, c) for c in [count(" ", 0, e) for e in ends]]
        if fields == TITLE:
            nt = self.nt
            return [(c - size, c) for c in [count(" ", 0, e) for e in ends] if c <= nt]
        nt = self.nt
        return [(c - size, c) for c in [count(" ", 0, e) for e in ends] if c > nt + 1]

    def fuzzy_positions(self, fid: int, fields: int) -> Ranges:
        """Word ranges of the entry words within reach of fuzzy term ``fid``, in fields."""
        near = self.fuzzy.get(fid)
        if not near:
            return []
        where = self.where
        out: Ranges = []
        if fields == BOTH:
            for w in near:
                out += where(w)
            return out
        nt, title = self.nt, fields == TITLE
        for w in near:
            out += [r for r in where(w) if (r[0] < nt) == title]
        return out

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


class Program:
    """A compiled query node. ``eval`` returns ``None`` when false, else the word ranges.

    A base class rather than a protocol: compiled (``bot.match._build``), a call through a
    base class is a direct call."""

    __slots__ = ()

    def eval(self, ctx: Context) -> Ranges | None:
        raise NotImplementedError


class Positional(Program):
    """A node with positions of its own: a term, or an OR of terms (a side of a NEAR)."""

    __slots__ = ()

    def positions(self, ctx: Context) -> Ranges:
        raise NotImplementedError


class Literal(Positional):
    __slots__ = ("fields", "lid", "size")

    def __init__(self, lid: int, size: int, fields: int) -> None:
        self.lid = lid
        self.size = size  # words in the phrase
        self.fields = fields

    def positions(self, ctx: Context) -> Ranges:
        return ctx.occurrences(self.lid, self.size, self.fields)

    def eval(self, ctx: Context) -> Ranges | None:
        return ctx.occurrences(self.lid, self.size, self.fields) or None


class FuzzyTerm(Positional):
    __slots__ = ("fid", "fields")

    def __init__(self, fid: int, fields: int) -> None:
        self.fid = fid
        self.fields = fields

    def positions(self, ctx: Context) -> Ranges:
        return ctx.fuzzy_positions(self.fid, self.fields)

    def eval(self, ctx: Context) -> Ranges | None:
        return self.positions(ctx) or None


class RegexTerm(Positional):
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


class AllOf(Program):
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


class AnyOf(Positional):
    __slots__ = ("by_lid", "children", "positional")

    def __init__(self, children: Sequence[Program]) -> None:
        self.children = tuple(children)
        # an OR of many literals (an entity's forms): its literals by id, so that only those
        # that hit are looked at
        self.by_lid: dict[int, list[Literal]] | None = None
        if len(children) > MANY_LITERALS and all(isinstance(c, Literal) for c in children):
            by_lid: dict[int, list[Literal]] = {}
            for c in children:
                assert isinstance(c, Literal)
                by_lid.setdefault(c.lid, []).append(c)
            self.by_lid = by_lid
        # an OR of terms: its ranges are all the terms' positions (a NEAR side, too)
        self.positional: tuple[Positional, ...] | None = None
        if all(isinstance(c, Literal | FuzzyTerm | RegexTerm) for c in children) or all(
            isinstance(c, Literal | FuzzyTerm | RegexTerm)
            or (isinstance(c, AnyOf) and c.positional is not None)
            for c in children
        ):
            self.positional = tuple(children)  # type: ignore[arg-type]

    def eval(self, ctx: Context) -> Ranges | None:
        if self.positional is not None:
            return self.positions(ctx) or None
        out: Ranges | None = None
        for child in self.children:
            found = child.eval(ctx)
            if found is not None:
                out = found if out is None else out + found
        return out

    def positions(self, ctx: Context) -> Ranges:
        assert self.positional is not None
        out: Ranges = []
        by_lid = self.by_lid
        if by_lid is not None:
            for lid in ctx.hits:
                hit = by_lid.get(lid)
                if hit is not None:
                    for c in hit:
                        out += ctx.occurrences(lid, c.size, c.fields)
            return out
        for child in self.positional:
            out += child.positions(ctx)
        return out


class NoneOf(Program):
    __slots__ = ("child",)

    def __init__(self, child: Program) -> None:
        self.child = child

    def eval(self, ctx: Context) -> Ranges | None:
        return [] if self.child.eval(ctx) is None else None


class Near(Program):
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


# A rule that is one literal, or an OR of literals, that may match in either field: it
# matches exactly when one of its literals hits, i.e. whenever it is a candidate.  Its
# literals as (literal id, words in the literal).
Direct = tuple[tuple[int, int], ...]
# A rule that is one literal or fuzzy term, or an OR of them (any fields): its ranges are
# the union of its terms' positions, and it matches when that is not empty.  Each term as
# (literal id, words in the literal, fields), or (-1 - fuzzy id, 1, fields).
Leaves = tuple[tuple[int, int, int], ...]


class CompiledRule:
    """One rule as the engine runs it: its program and the shortcuts that spare running it.

    Read-only once built (``bot.match.compile``).  A plain class rather than a frozen
    dataclass: compiled (``bot.match._build``), its attributes are fields of a C struct."""

    __slots__ = (
        "alternatives",
        "checked",
        "direct",
        "direct_by_lid",
        "feeds",
        "id",
        "leaves",
        "program",
        "requires",
    )

    def __init__(
        self,
        id: str,
        program: Program,
        *,
        feeds: frozenset[str] | None = None,
        requires: frozenset[int] | None = None,
        alternatives: tuple[frozenset[int], ...] | None = None,
        direct: Direct | None = None,
        leaves: Leaves | None = None,
    ) -> None:
        self.id: Final = id
        self.program: Final = program
        self.feeds: Final = feeds  # the only feeds whose entries it matches, or None: all
        self.requires: Final = requires  # literal ids that must all hit, or None
        # groups of literal ids one of each of which must hit, or None
        self.alternatives: Final = alternatives
        self.direct: Final = direct  # it matches whenever it is a candidate (see ``Direct``)
        self.leaves: Final = leaves  # else, it is one term or an OR of terms (see ``Leaves``)
        # a direct rule on many literals (an entity's forms): literal id -> words, so that
        # only the literals that hit are looked at
        self.direct_by_lid: Final = (
            dict(direct) if direct is not None and len(direct) > MANY_LITERALS else None
        )
        self.checked: Final = bool(feeds or requires or alternatives)  # see ``admits``

    def without_shortcuts(self) -> CompiledRule:
        return CompiledRule(self.id, self.program, feeds=self.feeds)

    def admits(self, lids: set[int] | frozenset[int], feed_id: str | None) -> bool:
        """Whether a candidate may match, by its feed and its literals that hit
        (``lids``): tests at C speed that discard most failing candidates unevaluated."""
        only, needed, groups = self.feeds, self.requires, self.alternatives
        if only is not None and feed_id is not None and feed_id not in only:
            return False
        if needed is not None and not lids >= needed:
            return False
        return groups is None or not any(map(lids.isdisjoint, groups))


class Triggers:
    """What makes rules candidates for an entry: every literal of every rule is a key of one
    Aho-Corasick automaton (value: the literal id), every fuzzy term one of the
    ``FuzzyIndex``; a hit makes the rules that need that key candidates; the rules that
    need no key are always candidates.  Read-only once built (``bot.match.compile``)."""

    __slots__ = ("always", "automaton", "fuzzy", "fuzzy_rules", "literal_rules")

    def __init__(
        self,
        automaton: Any,
        literal_rules: Sequence[tuple[int, ...]],
        fuzzy: FuzzyIndex | None,
        fuzzy_rules: Sequence[tuple[int, ...]],
        always: Iterable[int],
    ) -> None:
        self.automaton: Final = automaton  # None when no rule has a literal
        self.literal_rules: Final = tuple(literal_rules)  # literal id -> rule indexes
        self.fuzzy: Final = fuzzy
        self.fuzzy_rules: Final = tuple(fuzzy_rules)  # fuzzy id -> rule indexes
        self.always: Final = frozenset(always)


class RuleSet:
    """Compiled rules; build with ``compile_rules`` or ``compile_query``.  Read-only."""

    def __init__(self, rules: Sequence[CompiledRule], triggers: Triggers) -> None:
        self.rules: Final = tuple(rules)
        self.triggers: Final = triggers
        self._checked: Final = frozenset(ri for ri, r in enumerate(self.rules) if r.checked)
        self._ids: Final = tuple(r.id for r in self.rules)

    def without_shortcuts(self) -> RuleSet:
        """The same rules with every shortcut off: each candidate's program is evaluated (no
        required-literal tests, no direct or leaves path).  The engine's tests compare it
        with the full engine."""
        return RuleSet([r.without_shortcuts() for r in self.rules], self.triggers)

    @property
    def rule_ids(self) -> tuple[str, ...]:
        return self._ids

    def __len__(self) -> int:
        return len(self.rules)

    def __repr__(self) -> str:
        return f"<RuleSet of {len(self.rules)} rules>"

    def match(self, title: str, summary: str, feed_id: str | None = None) -> list[Match]:
        """The rules matching this entry, in rule order, with their spans."""
        t = tokenize(title)
        s = tokenize(summary)
        words = t.words + _SEPARATOR + s.words
        text = " " + " ".join(words) + " "
        found = self._literal_hits(text)
        lids: set[int] | frozenset[int] = set(map(_second, found)) if found else _NO_LIDS
        fuzzy = self._fuzzy_hits(words)
        todo = self._candidates(lids, fuzzy, feed_id)
        if not todo:
            return []
        return self._matches(todo, Context(t, s, words, text, found, fuzzy), lids)

    def _literal_hits(self, text: str) -> list[tuple[int, int]]:
        """The automaton's (end offset in text, literal id) hits."""
        automaton = self.triggers.automaton
        return [] if automaton is None else list(automaton.iter(text))

    def _fuzzy_hits(self, words: list[str]) -> dict[int, set[str]]:
        """Fuzzy id -> the entry's words within its distance."""
        index = self.triggers.fuzzy
        fuzzy: dict[int, set[str]] = {}
        if index is not None:
            for w, fids in index.matches(words).items():
                for fid in fids:
                    near_words = fuzzy.get(fid)
                    if near_words is None:
                        fuzzy[fid] = {w}
                    else:
                        near_words.add(w)
        return fuzzy

    def _candidates(
        self, lids: set[int] | frozenset[int], fuzzy: dict[int, set[str]], feed_id: str | None
    ) -> list[int]:
        """Indexes, in order, of the rules that the hits make candidates and that their
        feeds and required literals admit."""
        triggers = self.triggers
        candidates = triggers.always
        if lids:
            candidates = candidates.union(
                chain.from_iterable(map(triggers.literal_rules.__getitem__, lids))
            )
        if fuzzy:
            candidates = candidates.union(
                chain.from_iterable(map(triggers.fuzzy_rules.__getitem__, fuzzy))
            )
        if not candidates:
            return []
        todo = sorted(candidates)
        if self._checked.isdisjoint(candidates):
            return todo
        rules = self.rules
        return [ri for ri in todo if not rules[ri].checked or rules[ri].admits(lids, feed_id)]

    def _matches(
        self, todo: list[int], ctx: Context, lids: set[int] | frozenset[int]
    ) -> list[Match]:
        """The candidates that match, each with its spans; rules matching by the same words
        share their spans."""
        out: list[Match] = []
        done: dict[tuple[int, int] | tuple[tuple[int, int], ...], tuple[Span, ...]] = {}
        rules = self.rules
        for ri in todo:
            rule = rules[ri]
            if rule.direct is not None:  # the hit that made it a candidate decides
                ranges = _direct_ranges(rule, ctx, lids)
            elif rule.leaves is not None:  # the terms' positions, without the program
                ranges, parts = _leaf_ranges(rule.leaves, ctx, lids)
                if parts:
                    out.append(_new(Match, (rule.id, _with_words(ctx, ranges, parts))))
                    continue
                if not ranges:
                    continue
            else:
                found = rule.program.eval(ctx)
                if found is None:
                    continue
                ranges = found
            key = ranges[0] if len(ranges) == 1 else tuple(ranges)
            spans = done.get(key)
            if spans is None:
                spans = done[key] = _spans(ctx, ranges)
            out.append(_new(Match, (rule.id, spans)))
        return out


def _direct_ranges(rule: CompiledRule, ctx: Context, lids: set[int] | frozenset[int]) -> Ranges:
    """A direct rule's ranges: every occurrence of its literals that hit."""
    ranges: Ranges = []
    by_lid = rule.direct_by_lid
    if by_lid is None:
        assert rule.direct is not None
        for lid, size in rule.direct:
            ranges += ctx.occurrences(lid, size, BOTH)
    else:
        for lid in sorted(lids):
            size = by_lid.get(lid, 0)
            if size:
                ranges += ctx.occurrences(lid, size, BOTH)
    return ranges


def _leaf_ranges(
    leaves: Leaves, ctx: Context, lids: set[int] | frozenset[int]
) -> tuple[Ranges, list[tuple[Span, ...]]]:
    """A leaves rule's literal occurrences as word ranges, and its fuzzy terms' as the spans
    of the entry words near them (shared by the fuzzy terms near the same word)."""
    ranges: Ranges = []
    parts: list[tuple[Span, ...]] = []
    for term, size, fields in leaves:
        if term >= 0:
            if term in lids:
                ranges += ctx.occurrences(term, size, fields)
        else:
            close = ctx.fuzzy.get(-1 - term)
            if close:
                for w in close:
                    part = ctx.word_spans(w, fields)
                    if part:
                        parts.append(part)
    return ranges, parts


def _with_words(ctx: Context, ranges: Ranges, parts: list[tuple[Span, ...]]) -> tuple[Span, ...]:
    """The spans of literal ranges and of fuzzy-hit words together, merged."""
    if not ranges and len(parts) == 1:
        return parts[0]
    return _merge(chain(_spans(ctx, ranges), *parts))


_NO_LIDS: Final[frozenset[int]] = frozenset()
_second: Final = itemgetter(1)

_SEPARATOR: Final = ["\n"]
_new: Final = tuple.__new__  # builds a NamedTuple (Span, Match) without its Python-level __new__


def _spans(ctx: Context, ranges: Ranges) -> tuple[Span, ...]:
    """Word ranges -> merged character spans of the original title and summary."""
    nt = ctx.nt
    if not ranges:
        return ()
    if len(ranges) == 1:
        a, b = ranges[0]
        if a < nt:
            return (_new(Span, ("title", *ctx.title.span(a, b))),)
        return (_new(Span, ("summary", *ctx.summary.span(a - nt - 1, b - nt - 1))),)
    out: list[Span] = []
    field = ""
    start = end = -1
    title, summary = ctx.title, ctx.summary
    for a, b in sorted(set(ranges)):
        if a < nt:
            name = "title"
            s, e = title.span(a, b)
        else:
            name = "summary"
            s, e = summary.span(a - nt - 1, b - nt - 1)
        if name is field and s <= end:
            if e > end:
                end = e
            continue
        if field:
            out.append(_new(Span, (field, start, end)))
        field, start, end = name, s, e
    if field:
        out.append(_new(Span, (field, start, end)))
    return tuple(out)


_FIELD_ORDER: Final = {"title": 0, "summary": 1}


def _merge(spans: Iterable[Span]) -> tuple[Span, ...]:
    """Spans in order (title first), merged where they overlap or touch."""
    out: list[Span] = []
    for span in sorted(spans, key=lambda sp: (_FIELD_ORDER[sp[0]], sp[1], sp[2])):
        if out and out[-1][0] == span[0] and span[1] <= out[-1][2]:
            if span[2] > out[-1][2]:
                out[-1] = _new(Span, (span[0], out[-1][1], span[2]))
            continue
        out.append(span)
    return tuple(out)
