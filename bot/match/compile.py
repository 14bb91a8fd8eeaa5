"""Rules -> one ``RuleSet``: parse every query, collect every problem, build the automaton.

Each distinct phrase/word/prefix of all rules becomes one Aho-Corasick key (see
``bot.match.engine``); each distinct fuzzy term one entry of the ``FuzzyIndex``.  A rule's
*necessary* keys are computed from its tree: a leaf is necessary for itself, an OR needs
one key of every branch, an AND (or NEAR) needs the keys of its most selective branch, a NOT
or a regex needs nothing; rules left without necessary keys are evaluated for every entry.

No key is longer than ``MAX_TERM`` characters (plus its two spaces), whatever tree it comes
from: pyahocorasick (2.3.1, as every version before it) frees its trie recursively in C, one
stack frame per character of the longest key, and a key of ~520,000 characters overflowed an
8 MiB stack (SIGSEGV when the rule set was freed: ``del``, a rules reload, process exit).
At ~16 bytes per character the deepest trie allowed needs ~8 KiB of stack.
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from typing import Any

import ahocorasick

from bot.errors import QueryError, RulesError
from bot.models import Problem, RuleSpec, SourcePos

from . import engine, nodes
from .fuzzy import FuzzyIndex
from .inflect import release_word_lists
from .pattern import compile_pattern
from .query import check_size, parse

__all__ = ["compile_query", "compile_rules"]

QUERY_RULE_ID = "query"
DUPLICATE_ID = "duplicate rule id"  # the problem of a rule whose id an earlier rule has
_Key = tuple[str, int]  # ("l", literal id) or ("f", fuzzy id)
_COST = {engine.Literal: 0, engine.FuzzyTerm: 1, engine.Near: 2, engine.AnyOf: 2}


def compile_rules(
    rules: Sequence[RuleSpec], entities: Mapping[str, Sequence[str]]
) -> engine.RuleSet:
    """Compile rules in order; raises ``RulesError`` listing every problem found."""
    problems: list[Problem] = []
    parsed: list[tuple[RuleSpec, nodes.Node]] = []
    seen: set[str] = set()
    for rule in rules:
        if rule.id in seen:
            problems.append(_problem(rule, DUPLICATE_ID, 0))
        seen.add(rule.id)
        try:
            parsed.append((rule, parse(rule.query, entities)))
        except QueryError as exc:
            problems.append(_problem(rule, exc.message, exc.pos))
    release_word_lists()  # the names' forms are made: their word lists are not needed now
    if problems:
        raise RulesError(problems)
    return _build(parsed)


def compile_query(
    query: str,
    entities: Mapping[str, Sequence[str]] | None = None,
    *,
    max_length: int | None = None,
) -> engine.RuleSet:
    """Compile one query on its own as a rule named "query"; raises QueryError. (The bot
    compiles /watch queries together, with ``compile_rules``.)"""
    if max_length is not None and len(query) > max_length:
        raise QueryError(
            f"query is too long ({len(query)} characters, at most {max_length})", max_length
        )
    try:
        parsed = parse(query, entities or {})
    finally:
        release_word_lists()
    return _build([(RuleSpec(QUERY_RULE_ID, query), parsed)])


def check_query(query: str, entities: Mapping[str, Sequence[str]]) -> None:
    """Raise QueryError if ``query`` would not compile, building nothing: every problem a
    query can have is found by parsing it (a /watch is checked so before it is stored, and
    compiled once, with every watch, after)."""
    try:
        parse(query, entities)
    finally:
        release_word_lists()


def _problem(rule: RuleSpec, message: str, offset: int) -> Problem:
    """At ``offset`` into the rule's query: in the rules file when its position is known."""
    pos = rule.query_pos
    at = SourcePos(pos.file, pos.line, pos.col + offset) if pos is not None else None
    return Problem(message, at, rule.id, offset)


class _Builder:
    def __init__(self) -> None:
        self.literals: dict[str, int] = {}  # automaton key -> literal id
        self.literal_chars: list[int] = []
        self.literal_uses: list[int] = []  # how many leaves of all rules use each literal
        self.fuzzy_terms: dict[tuple[str, int], int] = {}
        self.fuzzy_uses: list[int] = []
        # an OR node shared by several rules (an entity's expansion): its program and the
        # literals it uses, built once
        self.shared: dict[int, tuple[nodes.Or, engine.Program, list[int]]] = {}

    def program(self, node: nodes.Node) -> engine.Program:
        if isinstance(node, nodes.Phrase):
            check_size(node.words, node.pos)  # bounds the automaton's depth (see above)
            key = " " + " ".join(node.words) + ("" if node.prefix else " ")
            lid = self.literals.setdefault(key, len(self.literals))
            if lid == len(self.literal_chars):
                self.literal_chars.append(len(key))
                self.literal_uses.append(0)
            self.literal_uses[lid] += 1
            return engine.Literal(lid, len(node.words), node.fields)
        if isinstance(node, nodes.Fuzzy):
            check_size((node.word,), node.pos)
            term = (node.word, node.distance)
            fid = self.fuzzy_terms.setdefault(term, len(self.fuzzy_terms))
            if fid == len(self.fuzzy_uses):
                self.fuzzy_uses.append(0)
            self.fuzzy_uses[fid] += 1
            return engine.FuzzyTerm(fid, node.fields)
        if isinstance(node, nodes.Regex):
            return engine.RegexTerm(compile_pattern(node.pattern), node.fields)
        if isinstance(node, nodes.And):
            children = [self.program(c) for c in node.children]
            children.sort(key=lambda p: _COST.get(type(p), 3))  # cheap tests first
            return engine.AllOf(children)
        if isinstance(node, nodes.Or):
            known = self.shared.get(id(node))
            if known is not None and known[0] is node:
                for lid in known[2]:
                    self.literal_uses[lid] += 1
                return known[1]
            children = [self.program(c) for c in node.children]
            program = engine.AnyOf(children)
            lids = [c.lid for c in children if isinstance(c, engine.Literal)]
            if len(lids) == len(children) and len(lids) > 8:
                self.shared[id(node)] = (node, program, lids)
            return program
        if isinstance(node, nodes.Not):
            return engine.NoneOf(self.program(node.child))
        left, right = self.program(node.left), self.program(node.right)
        assert isinstance(left, engine.Literal | engine.FuzzyTerm | engine.RegexTerm | engine.AnyOf)
        assert isinstance(
            right, engine.Literal | engine.FuzzyTerm | engine.RegexTerm | engine.AnyOf
        )
        return engine.Near(left, right, node.distance)

    def necessary(self, program: engine.Program) -> frozenset[_Key] | None:
        """Keys one of which must hit for ``program`` to match; None: cannot tell."""
        if isinstance(program, engine.Literal):
            return frozenset({("l", program.lid)})
        if isinstance(program, engine.FuzzyTerm):
            return frozenset({("f", program.fid)})
        if isinstance(program, engine.AnyOf):
            union: set[_Key] = set()
            for child in program.children:
                keys = self.necessary(child)
                if keys is None:
                    return None
                union |= keys
            return frozenset(union)
        if isinstance(program, engine.AllOf | engine.Near):
            children = (
                program.children
                if isinstance(program, engine.AllOf)
                else (program.left, program.right)
            )
            options = [k for k in map(self.necessary, children) if k is not None]
            return min(options, key=self._selectivity, default=None)
        return None  # NOT, regex

    def _selectivity(self, keys: frozenset[_Key]) -> tuple[int, int, int]:
        """Fewer keys first, then keys used by fewer rules (a word that many rules mention,
        such as a city or a topic, is likely common in entries too), then longer literals.

        Many keys (more than ``MANY_LITERALS``: an entity's names and their inflected forms)
        count as one, used as often as the most used of them: they are spellings of one
        name, about as likely to occur as one of them, so ``@putin AND summit`` waits for a
        form of Putin rather than for every entry saying "summit"."""
        uses = [self.literal_uses[i] if kind == "l" else self.fuzzy_uses[i] for kind, i in keys]
        shortest = min((self.literal_chars[i] if kind == "l" else 4 for kind, i in keys), default=0)
        if len(keys) > engine.MANY_LITERALS:
            return (1, max(uses), -shortest)
        return (len(keys), sum(uses), -shortest)


def _build(parsed: Sequence[tuple[RuleSpec, nodes.Node]]) -> engine.RuleSet:
    builder = _Builder()
    programs = [builder.program(node) for _, node in parsed]
    # after every program: which keys are selective depends on how many rules use them
    keys = [builder.necessary(program) for program in programs]
    rules = [
        _rule(spec, program, needed)
        for (spec, _), program, needed in zip(parsed, programs, keys, strict=True)
    ]
    return engine.RuleSet(rules, _triggers(builder, keys))


def _rule(
    spec: RuleSpec, program: engine.Program, keys: frozenset[_Key] | None
) -> engine.CompiledRule:
    """One rule's program and shortcuts; ``keys``: those one of which makes it a candidate."""
    direct = _direct(program)
    return engine.CompiledRule(
        spec.id,
        program,
        feeds=frozenset(spec.feeds) if spec.feeds is not None else None,
        requires=_requires(program, keys),
        alternatives=_groups(program, keys),
        direct=direct,
        leaves=None if direct is not None else _leaves(program),
    )


def _requires(program: engine.Program, keys: frozenset[_Key] | None) -> frozenset[int] | None:
    """The literals that must all hit, but the one whose hit made the rule a candidate."""
    required = _required_literals(program)
    if keys is not None and len(keys) == 1:
        ((kind, i),) = keys
        if kind == "l":
            required -= {i}
    return required or None


def _groups(
    program: engine.Program, keys: frozenset[_Key] | None
) -> tuple[frozenset[int], ...] | None:
    """The ORs of literals one of each of which must hit, but those that every hit making
    the rule a candidate meets."""
    groups = set(_alternatives(program))
    if keys is not None and all(kind == "l" for kind, _ in keys):
        trigger = {i for _, i in keys}
        groups = {g for g in groups if not g >= trigger}
    return tuple(sorted(groups, key=sorted)) or None


def _triggers(builder: _Builder, keys: Sequence[frozenset[_Key] | None]) -> engine.Triggers:
    """Each key's rules (rules without keys: always candidates), and the automaton and fuzzy
    index that find the keys in an entry."""
    literal_rules: list[list[int]] = [[] for _ in builder.literals]
    fuzzy_rules: list[list[int]] = [[] for _ in builder.fuzzy_terms]
    always: list[int] = []
    for ri, needed in enumerate(keys):
        if needed is None:
            always.append(ri)
            continue
        for kind, i in needed:
            (literal_rules if kind == "l" else fuzzy_rules)[i].append(ri)
    return engine.Triggers(
        _automaton(builder.literals) if builder.literals else None,
        [tuple(r) for r in literal_rules],
        FuzzyIndex(list(builder.fuzzy_terms)) if builder.fuzzy_terms else None,
        [tuple(r) for r in fuzzy_rules],
        always,
    )


def _automaton(literals: Mapping[str, int]) -> Any:
    """The Aho-Corasick automaton of the literals' keys, each with its literal id."""
    automaton = ahocorasick.Automaton()
    for key, lid in literals.items():
        automaton.add_word(key, lid)
    automaton.make_automaton()
    return automaton


def _direct(program: engine.Program) -> engine.Direct | None:
    """The literals of a rule that is one literal or an OR of literals, none of them
    restricted to a field: such a rule matches whenever one of them hits."""
    if isinstance(program, engine.Literal):
        return ((program.lid, program.size),) if program.fields == nodes.BOTH else None
    if isinstance(program, engine.AnyOf):
        out: list[tuple[int, int]] = []
        for child in program.children:
            sub = _direct(child)
            if sub is None:
                return None
            out += sub
        return tuple(out)
    return None


def _leaves(program: engine.Program) -> engine.Leaves | None:
    """The terms of a rule that is one literal or fuzzy term or an OR of them (any fields):
    it matches where one of them occurs, so no program needs to run."""
    if isinstance(program, engine.Literal):
        return ((program.lid, program.size, program.fields),)
    if isinstance(program, engine.FuzzyTerm):
        return ((-1 - program.fid, 1, program.fields),)
    if isinstance(program, engine.AnyOf):
        out: list[tuple[int, int, int]] = []
        for child in program.children:
            sub = _leaves(child)
            if sub is None:
                return None
            out += sub
        return tuple(out)
    return None


def _alternatives(program: engine.Program) -> list[frozenset[int]]:
    """Groups of literal ids of which at least one each must hit for ``program`` to match:
    the ORs of literals inside its ANDs and NEARs (a literal alone is in the required
    literals already)."""
    if isinstance(program, engine.AllOf):
        return [g for child in program.children for g in _alternatives(child)]
    if isinstance(program, engine.Near):
        return _alternatives(program.left) + _alternatives(program.right)
    if isinstance(program, engine.AnyOf):
        group = _any_literal(program)
        return [group] if group is not None and len(group) > 1 else []
    return []


def _any_literal(program: engine.Program) -> frozenset[int] | None:
    """Literal ids one of which hits whenever ``program`` matches; None: none such."""
    if isinstance(program, engine.Literal):
        return frozenset({program.lid})
    if isinstance(program, engine.AnyOf):
        union: set[int] = set()
        for child in program.children:
            sub = _any_literal(child)
            if sub is None:
                return None
            union |= sub
        return frozenset(union)
    if isinstance(program, engine.AllOf | engine.Near):
        children = (
            program.children if isinstance(program, engine.AllOf) else (program.left, program.right)
        )
        options = [g for g in map(_any_literal, children) if g is not None]
        return min(options, key=len, default=None)
    return None


def _required_literals(program: engine.Program) -> frozenset[int]:
    """Literal ids that must all hit (somewhere in the entry) for ``program`` to match: a
    cheap set test that discards most failing candidates before their program runs."""
    if isinstance(program, engine.Literal):
        return frozenset({program.lid})
    if isinstance(program, engine.AllOf):
        return frozenset().union(*map(_required_literals, program.children))
    if isinstance(program, engine.Near):
        return _required_literals(program.left) | _required_literals(program.right)
    if isinstance(program, engine.AnyOf):
        return frozenset.intersection(*map(_required_literals, program.children))
    return frozenset()  # NOT, fuzzy, regex
