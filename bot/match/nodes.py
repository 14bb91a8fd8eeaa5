"""The query syntax tree: what the parser produces and the compiler consumes.

Field restrictions are already pushed down to the leaves (``fields`` is a bit mask of
``TITLE`` and ``SUMMARY``) and ``@entity`` references are already expanded into an
``Or`` of their aliases, so the tree has no field or entity nodes.
"""

from __future__ import annotations

from dataclasses import dataclass

TITLE = 1
SUMMARY = 2
BOTH = TITLE | SUMMARY


@dataclass(frozen=True, slots=True)
class Phrase:
    """Folded words that must appear consecutively; ``prefix``: the last word is a prefix."""

    words: tuple[str, ...]
    fields: int
    pos: int
    prefix: bool = False


@dataclass(frozen=True, slots=True)
class Fuzzy:
    """One folded word matched by any word within ``distance`` edits."""

    word: str
    distance: int
    fields: int
    pos: int


@dataclass(frozen=True, slots=True)
class Regex:
    """An RE2 pattern run on the folded text of each allowed field."""

    pattern: str
    fields: int
    pos: int


@dataclass(frozen=True, slots=True)
class And:
    children: tuple[Node, ...]


@dataclass(frozen=True, slots=True)
class Or:
    children: tuple[Node, ...]


@dataclass(frozen=True, slots=True)
class Not:
    child: Node
    pos: int


@dataclass(frozen=True, slots=True)
class Near:
    """``left`` and ``right`` in the same field with at most ``distance`` words between."""

    left: Node
    right: Node
    distance: int
    pos: int


Node = Phrase | Fuzzy | Regex | And | Or | Not | Near
Positional = (Phrase, Fuzzy, Regex)


def is_positional(node: Node) -> bool:
    """Whether ``node`` matches at word positions (a leaf or an OR of leaves): a NEAR side."""
    if isinstance(node, Or):
        return all(is_positional(c) for c in node.children)
    return isinstance(node, Positional)


def fields_of(node: Node) -> int:
    """The fields any leaf of ``node`` may match in."""
    if isinstance(node, Phrase | Fuzzy | Regex):
        return node.fields
    if isinstance(node, And | Or):
        mask = 0
        for c in node.children:
            mask |= fields_of(c)
        return mask
    if isinstance(node, Not):
        return fields_of(node.child)
    return fields_of(node.left) & fields_of(node.right)
