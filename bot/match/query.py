"""The query language: text -> syntax tree (``bot.match.nodes``), or ``QueryError(pos)``.

Grammar (operators are upper case; lower-case ``and``/``or``/``not``/``near`` are words)::

    query   := or
    or      := and ("OR" and)*
    and     := unary (["AND"] unary)*          adjacent terms mean AND
    unary   := "NOT" unary | near               NOT binds tightest of the boolean operators
    near    := primary ["NEAR/n" primary]       sides: terms, phrases, OR-groups of them
    primary := FIELD primary | "(" or ")" | WORD | "PHRASE" | /REGEX/ | @ENTITY
    FIELD   := "title:" | "summary:"            no space before the term it applies to

A WORD is folded like entry text (``bot.match.fold``); when it folds to several words
(``Jong-un``) it is a phrase.  ``word*`` matches words starting with ``word`` (at least
two characters); ``word~`` matches words within min(2, len/3) edits, ``word~1`` and
``word~2`` set the distance (which may not exceed a third of the word's length).
``"..."`` (straight or curly quotes) is a phrase; nothing inside is an operator.
``@name`` is any alias of the entity ``name`` (the rules file's, else a built-in person's,
``bot.match.people``), or an inflected form of one (``bot.match.inflect``).  ``NEAR`` alone
is ``NEAR/5``.

Sizes are capped: a query has at most ``MAX_QUERY`` characters, groups nest at most
``MAX_DEPTH`` deep, a phrase (or alias, or hyphenated word) has at most ``MAX_PHRASE_WORDS``
words and a term at most ``MAX_TERM`` folded characters (see ``bot.match.compile`` for why).
"""

from __future__ import annotations

import difflib
from collections.abc import Mapping, Sequence
from dataclasses import dataclass

from bot.errors import QueryError

from .fold import tokenize
from .inflect import forms
from .nodes import (
    BOTH,
    SUMMARY,
    TITLE,
    And,
    Fuzzy,
    Near,
    Node,
    Not,
    Or,
    Phrase,
    Regex,
    fields_of,
    is_positional,
)
from .pattern import PatternError, compile_pattern
from .people import builtin_entities

QUOTES = '"\u201c\u201d\u201e\u201f\u00ab\u00bb'
MAX_NEAR = 50
DEFAULT_NEAR = 5
MAX_DEPTH = 32
MIN_PREFIX = 2
MAX_QUERY = 10_000
MAX_PHRASE_WORDS = 50
MAX_TERM = 500
_FIELDS = {"title:": TITLE, "summary:": SUMMARY}
_FIELD_CHARS = max(map(len, _FIELDS))
_SIDES = "needs a term, phrase or group on both sides"


@dataclass(frozen=True, slots=True)
class _Tok:
    kind: str  # ( ) AND OR NOT NEAR FIELD WORD PHRASE REGEX ENTITY
    text: str
    pos: int
    value: int = 0  # NEAR distance, FIELD mask


def _lex(q: str) -> list[_Tok]:
    toks: list[_Tok] = []
    i, n = 0, len(q)
    while i < n:
        c = q[i]
        if c.isspace():
            i += 1
        elif c in "()":
            toks.append(_Tok(c, c, i))
            i += 1
        elif c in QUOTES:
            j = i + 1
            while j < n and q[j] not in QUOTES:
                j += 1
            if j >= n:
                raise QueryError("unclosed quote", i)
            toks.append(_Tok("PHRASE", q[i + 1 : j], i))
            i = j + 1
        elif c == "/":
            j = i + 1
            while j < n and q[j] != "/":
                j += 2 if q[j] == "\\" else 1
            if j >= n:
                raise QueryError("unclosed regex: add a closing '/'", i)
            if j == i + 1:
                raise QueryError("empty regex '//'", i)
            toks.append(_Tok("REGEX", q[i + 1 : j], i))
            i = j + 1
        elif c == "@":
            j = i + 1
            while j < n and (q[j].isalnum() or q[j] in "_-."):
                j += 1
            while j > i + 1 and q[j - 1] in "-.":
                j -= 1  # "@putin." at the end of a sentence
            if j == i + 1:
                raise QueryError("'@' needs an entity name right after it", i)
            toks.append(_Tok("ENTITY", q[i + 1 : j], i))
            i = j
        else:
            head = q[i : i + _FIELD_CHARS].lower()  # not the whole run: title:title:... is linear
            field = next((f for f in _FIELDS if head.startswith(f)), None)
            if field is not None:
                after = i + len(field)
                if after >= n or q[after].isspace() or q[after] == ")":
                    raise QueryError(f"'{field}' needs a term, phrase or group right after it", i)
                toks.append(_Tok("FIELD", field, i, _FIELDS[field]))
                i = after
                continue
            j = i
            while j < n and not q[j].isspace() and q[j] not in "()" and q[j] not in QUOTES:
                j += 1
            word = q[i:j]
            if word in ("AND", "OR", "NOT"):
                toks.append(_Tok(word, word, i))
            elif word == "NEAR" or word.startswith("NEAR/"):
                toks.append(_Tok("NEAR", word, i, _near_distance(word, i)))
            else:
                toks.append(_Tok("WORD", word, i))
            i = j
    return toks


def _near_distance(word: str, pos: int) -> int:
    if word == "NEAR":
        return DEFAULT_NEAR
    digits = word[5:]
    if not digits.isascii() or not digits.isdigit():
        raise QueryError("NEAR/ needs a whole number of words, e.g. NEAR/5", pos + 5)
    value = int(digits)
    if value > MAX_NEAR:
        raise QueryError(f"NEAR distance must be between 0 and {MAX_NEAR}", pos + 5)
    return value


class _Parser:
    def __init__(self, query: str, entities: Mapping[str, Sequence[str]]) -> None:
        self.query = query
        self.entities = entities
        self.toks = _lex(query)
        self.i = 0
        self.depth = 0

    def peek(self) -> _Tok | None:
        return self.toks[self.i] if self.i < len(self.toks) else None

    def take(self) -> _Tok:
        tok = self.toks[self.i]
        self.i += 1
        return tok

    def starts_operand(self) -> bool:
        tok = self.peek()
        return tok is not None and tok.kind not in (")", "AND", "OR", "NEAR")

    def parse(self) -> Node:
        if not self.toks:
            raise QueryError("empty query", 0)
        node = self.parse_or(BOTH)
        tok = self.peek()
        if tok is not None:  # only ')' can stop parse_or early
            raise QueryError("unmatched ')'", tok.pos)
        return node

    def parse_or(self, fields: int) -> Node:
        parts = [self.parse_and(fields)]
        while (tok := self.peek()) is not None and tok.kind == "OR":
            self.take()
            if not self.starts_operand():
                raise QueryError(f"OR {_SIDES}", tok.pos)
            parts.append(self.parse_and(fields))
        return parts[0] if len(parts) == 1 else Or(tuple(parts))

    def parse_and(self, fields: int) -> Node:
        parts = [self.parse_unary(fields)]
        while (tok := self.peek()) is not None and tok.kind not in (")", "OR"):
            if tok.kind == "AND":
                self.take()
                if not self.starts_operand():
                    raise QueryError(f"AND {_SIDES}", tok.pos)
            parts.append(self.parse_unary(fields))
        return parts[0] if len(parts) == 1 else And(tuple(parts))

    def parse_unary(self, fields: int) -> Node:
        nots: list[_Tok] = []
        while (tok := self.peek()) is not None and tok.kind == "NOT":
            nots.append(self.take())
        if nots and not self.starts_operand():
            raise QueryError("NOT needs a term, phrase or group after it", nots[-1].pos)
        node = self.parse_near(fields)
        for tok in reversed(nots):
            node = node.child if isinstance(node, Not) else Not(node, tok.pos)
        return node

    def parse_near(self, fields: int) -> Node:
        left = self.parse_primary(fields)
        while (tok := self.peek()) is not None and tok.kind == "NEAR":
            self.take()
            if not self.starts_operand() or (nxt := self.peek()) is None or nxt.kind == "NOT":
                raise QueryError(f"{tok.text} needs a term or phrase on both sides", tok.pos)
            right = self.parse_primary(fields)
            if not (is_positional(left) and is_positional(right)):
                raise QueryError(
                    f"{tok.text} joins terms, phrases or OR-groups of them, "
                    "not AND, NOT or NEAR expressions",
                    tok.pos,
                )
            if not fields_of(left) & fields_of(right):
                raise QueryError(f"{tok.text} sides are in different fields", tok.pos)
            left = Near(left, right, tok.value, tok.pos)
        return left

    def parse_primary(self, fields: int) -> Node:
        tok = self.peek()
        if tok is None:  # callers check starts_operand first
            raise QueryError("query ends too early", len(self.query))
        self.take()
        while tok.kind == "FIELD":  # a loop, not recursion: title:title:...x stays flat
            fields &= tok.value
            if not fields:
                raise QueryError(f"'{tok.text}' inside another field can never match", tok.pos)
            nxt = self.peek()
            if nxt is None or nxt.kind in ("AND", "OR", "NOT", "NEAR", ")"):
                raise QueryError(
                    f"'{tok.text}' needs a term, phrase or group right after it", tok.pos
                )
            tok = self.take()
        kind = tok.kind
        if kind == "(":
            return self.parse_group(tok, fields)
        if kind == ")":
            raise QueryError("unmatched ')'", tok.pos)
        if kind in ("AND", "OR"):
            raise QueryError(f"{kind} {_SIDES}", tok.pos)
        if kind in ("NOT", "NEAR"):
            raise QueryError(f"{tok.text} needs a term or phrase on both sides", tok.pos)
        if kind == "PHRASE":
            words = tuple(tokenize(tok.text).words)
            if not words:
                raise QueryError("empty phrase: nothing to match inside the quotes", tok.pos)
            check_size(words, tok.pos)
            return Phrase(words, fields, tok.pos)
        if kind == "REGEX":
            try:
                compile_pattern(tok.text)
            except PatternError as exc:
                raise QueryError(str(exc), tok.pos) from exc
            return Regex(tok.text, fields, tok.pos)
        if kind == "ENTITY":
            return self.entity(tok, fields)
        return self.word(tok, fields)

    def parse_group(self, open_tok: _Tok, fields: int) -> Node:
        nxt = self.peek()
        if nxt is not None and nxt.kind == ")":
            raise QueryError("empty group '()'", open_tok.pos)
        if nxt is None:
            raise QueryError("unclosed '('", open_tok.pos)
        if self.depth >= MAX_DEPTH:
            raise QueryError(f"groups nested too deeply (at most {MAX_DEPTH})", open_tok.pos)
        self.depth += 1
        node = self.parse_or(fields)
        self.depth -= 1
        close = self.peek()
        if close is None or close.kind != ")":
            raise QueryError("unclosed '('", open_tok.pos)
        self.take()
        return node

    def entity(self, tok: _Tok, fields: int) -> Node:
        name = tok.text
        aliases = _lookup(self.entities, name)
        if aliases is None:
            aliases = _lookup(builtin_entities(), name)
        if aliases is None:
            raise QueryError(f"unknown entity '@{name}'{self.hint(name)}", tok.pos)
        key = (tuple(aliases), fields)
        node = _ENTITY_NODES.get(key)
        if node is None:
            node = _entity_node(name, aliases, fields, tok.pos)
            if len(_ENTITY_NODES) >= _MAX_ENTITY_NODES:
                _ENTITY_NODES.clear()
            _ENTITY_NODES[key] = node
        return node

    def hint(self, name: str) -> str:
        """What to say after "unknown entity": a close id, or the rules file's entities."""
        ids = [*self.entities, *builtin_entities()]
        close = difflib.get_close_matches(name.casefold()[:MAX_TERM], ids, n=3, cutoff=0.75)
        if close:
            return " (did you mean " + " or ".join("@" + c for c in close) + "?)"
        known = ", ".join("@" + k for k in sorted(self.entities)[:8])
        if known:
            return f" (known: {known}; built-ins: `newsbot entities`)"
        return " (not in the rules file's entities nor a built-in: see `newsbot entities`)"

    def word(self, tok: _Tok, fields: int) -> Node:
        text, pos = tok.text, tok.pos
        prefix = text.endswith("*")
        core = text[:-1] if prefix else text
        distance: int | None = None
        tilde = core.rfind("~")
        if not prefix and tilde > 0 and (core[tilde + 1 :] == "" or core[tilde + 1 :].isdigit()):
            suffix = core[tilde + 1 :]
            core = core[:tilde]
            distance = int(suffix) if suffix.isascii() and suffix else -1
            if suffix and (not suffix.isascii() or distance not in (1, 2)):
                raise QueryError(f"'{text}': fuzzy distance must be ~1 or ~2", pos + tilde + 1)
        for ch in "*~":
            at = core.find(ch)
            if at >= 0:
                where = "at the end of a word" if ch == "*" else "after a word, as word~ or word~1"
                raise QueryError(f"'{ch}' is only allowed {where}", pos + at)
        words = tuple(tokenize(core).words)
        if not words:
            raise QueryError(f"'{text}' has no letters or digits to match", pos)
        check_size(words, pos)
        if prefix:
            if len(" ".join(words)) < MIN_PREFIX:
                raise QueryError(
                    f"prefix '{text}' is too short (at least {MIN_PREFIX} letters)", pos
                )
            return Phrase(words, fields, pos, prefix=True)
        if distance is not None:
            return _fuzzy(text, words, distance, fields, pos)
        return Phrase(words, fields, pos)


# An entity's expansion (its aliases' forms: a few hundred phrases for a built-in person) is
# built once per alias list and field mask and shared by every rule that names it; the
# compiler shares its program too.  ``pos`` is the first use's (it only places errors, and
# an expansion with an error is never stored).
_ENTITY_NODES: dict[tuple[tuple[str, ...], int], Node] = {}
_MAX_ENTITY_NODES = 4096


def _entity_node(name: str, aliases: Sequence[str], fields: int, pos: int) -> Node:
    expanded: list[tuple[tuple[str, ...], ...]] = []
    for number, alias in enumerate(_expand(name, aliases, pos), 1):
        every = forms(alias)
        if not every:
            raise QueryError(f"entity '@{name}' alias {alias!r} has no letters or digits", pos)
        problem = size_problem(every[0])
        if problem is not None:
            raise QueryError(f"entity '@{name}' alias {number} {problem}", pos)
        expanded.append(every)
    # An inflected form of several words that contains a one-word form matches nothing
    # more (``Владимира Путина`` contains ``Путина``): it is left out, which keeps the
    # automaton small.  The aliases themselves stay, so spans still cover a full name.
    singles = {every[i][0] for every in expanded for i in range(len(every)) if len(every[i]) == 1}
    phrases: list[Node] = []
    seen: set[tuple[str, ...]] = set()
    for every in expanded:
        for i, words in enumerate(every):
            if words in seen or size_problem(words) is not None:
                continue
            if i and len(words) > 1 and not singles.isdisjoint(words):
                continue
            seen.add(words)
            phrases.append(Phrase(words, fields, pos))
    if not phrases:
        raise QueryError(f"entity '@{name}' has no aliases", pos)
    return phrases[0] if len(phrases) == 1 else Or(tuple(phrases))


def _lookup(entities: Mapping[str, Sequence[str]], name: str) -> Sequence[str] | None:
    """An entity's aliases by name, exact first, then ignoring case."""
    aliases = entities.get(name)
    if aliases is None:
        folded = name.casefold()
        aliases = next((v for k, v in entities.items() if k.casefold() == folded), None)
    return aliases


def _expand(name: str, aliases: Sequence[str], pos: int) -> list[str]:
    """The aliases, with ``@id`` (a built-in's names, to extend it) replaced by its names."""
    out: list[str] = []
    for alias in aliases:
        if alias.startswith("@"):
            builtin = _lookup(builtin_entities(), alias[1:].strip())
            if builtin is None:
                raise QueryError(f"entity '@{name}': {alias!r} is not a built-in entity", pos)
            out.extend(builtin)
        else:
            out.append(alias)
    return out


def _fuzzy(text: str, words: tuple[str, ...], distance: int, fields: int, pos: int) -> Node:
    if len(words) != 1:
        raise QueryError(f"'{text}': fuzzy matching works on one word, not a phrase", pos)
    word = words[0]
    allowed = min(2, len(word) // 3)
    if distance < 0:
        if allowed == 0:
            raise QueryError(f"'{text}': fuzzy matching needs a word of at least 3 letters", pos)
        distance = allowed
    elif distance > allowed:
        raise QueryError(
            f"'{text}': ~{distance} needs a word of at least {3 * distance} letters", pos
        )
    return Fuzzy(word, distance, fields, pos)


def size_problem(words: Sequence[str]) -> str | None:
    """What is wrong with the size of a term of ``words`` (folded), or None: at most
    ``MAX_PHRASE_WORDS`` words and ``MAX_TERM`` characters (words joined by one space)."""
    if len(words) > MAX_PHRASE_WORDS:
        return f"has too many words ({len(words)}, at most {MAX_PHRASE_WORDS})"
    chars = sum(map(len, words)) + len(words) - 1
    if chars > MAX_TERM:
        return f"is too long ({chars} characters, at most {MAX_TERM})"
    return None


def check_size(words: Sequence[str], pos: int) -> None:
    """Raise ``QueryError`` at ``pos`` when a term of ``words`` is over the size limits."""
    problem = size_problem(words)
    if problem is not None:
        raise QueryError(f"{'phrase' if len(words) > 1 else 'term'} {problem}", pos)


def parse(query: str, entities: Mapping[str, Sequence[str]] | None = None) -> Node:
    """Parse ``query`` into a syntax tree; raises ``QueryError`` with a 0-based offset."""
    if len(query) > MAX_QUERY:
        raise QueryError(
            f"query is too long ({len(query)} characters, at most {MAX_QUERY})", MAX_QUERY
        )
    return _Parser(query, entities or {}).parse()
