"""Built-in entities: world figures, each with their name as the outlets of many languages
print it, usable in any query as ``@id`` with no ``entities:`` section.

The table is data, ``people.yaml`` beside this module (its header says where the spellings
come from and how to update it).  A rules file's own ``entities:`` override any id, and
an alias written ``@id`` there stands for all of a built-in's names, so a rules file can
extend one: ``putin: ["@putin", "ВВП"]``.

    people()              -> {id: Person}, loaded once
    builtin_entities()    -> {id: aliases}, what the query parser looks up
    find("Путина")        -> [Person], the people a text names (inflected forms too), or
                             whose id or name contains it
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass
from functools import lru_cache
from pathlib import Path
from typing import Any

import yaml

from .fold import fold
from .inflect import forms

DATA = Path(__file__).with_name("people.yaml")
# the keys of ``names``, in the order they are listed
LANGUAGES = (
    "en",
    "fr",
    "de",
    "es",
    "tr",
    "pl",
    "sr-Latn",
    "ru",
    "uk",
    "be",
    "sr",
    "el",
    "zh-Hans",
    "zh-Hant",
    "ja",
    "ko",
    "ar",
    "fa",
    "he",
    "hi",
)
_ID_CHARS = frozenset("abcdefghijklmnopqrstuvwxyz0123456789-")


@dataclass(frozen=True, slots=True)
class Person:
    id: str
    name: str  # in English
    role: str
    country: str
    names: tuple[tuple[str, tuple[str, ...]], ...]  # (language, spellings), LANGUAGES order
    ambiguous: tuple[str, ...] = ()  # aliases knowingly shared with another person

    @property
    def aliases(self) -> tuple[str, ...]:
        """Every spelling once (``Путин`` and ``Putin`` fold alike but inflect differently)."""
        return tuple(dict.fromkeys(s for _, spellings in self.names for s in spellings))


class PeopleError(ValueError):
    """The table is malformed: says which entry and why."""


@lru_cache(maxsize=1)
def people() -> dict[str, Person]:
    """The built-in table, by id (loaded on first use, about 30 ms)."""
    return load(DATA.read_text(encoding="utf-8"), str(DATA))


@lru_cache(maxsize=1)
def builtin_entities() -> Mapping[str, tuple[str, ...]]:
    """``{id: aliases}`` of every built-in person."""
    return {pid: p.aliases for pid, p in people().items()}


def load(text: str, source: str = "people.yaml") -> dict[str, Person]:
    """Parse and check a people table; ``PeopleError`` names the first bad entry."""
    loader: Any = getattr(yaml, "CSafeLoader", yaml.SafeLoader)
    data = yaml.load(text, Loader=loader)  # noqa: S506 (a safe loader)
    if not isinstance(data, list):
        raise PeopleError(f"{source}: expected a list of people")
    out: dict[str, Person] = {}
    for number, entry in enumerate(data, 1):
        where = f"{source}: entry {number}"
        if not isinstance(entry, dict):
            raise PeopleError(f"{where}: expected a mapping")
        pid = entry.get("id")
        if not isinstance(pid, str) or not pid or not _ID_CHARS.issuperset(pid):
            raise PeopleError(f"{where}: id must be lower-case letters, digits and '-'")
        where = f"{source}: @{pid}"
        if pid in out:
            raise PeopleError(f"{where}: id listed twice")
        names = entry.get("names")
        if not isinstance(names, dict) or not names.get("en"):
            raise PeopleError(f"{where}: names must be a mapping with at least 'en'")
        unknown = sorted(set(names) - set(LANGUAGES))
        if unknown:
            raise PeopleError(f"{where}: unknown language {unknown[0]!r}")
        listed: list[tuple[str, tuple[str, ...]]] = []
        for lang in LANGUAGES:
            spellings = names.get(lang)
            if spellings is None:
                continue
            if isinstance(spellings, str):
                spellings = [spellings]
            if not isinstance(spellings, list) or not all(
                isinstance(s, str) and fold(s) for s in spellings
            ):
                raise PeopleError(f"{where}: {lang} must be a list of names with letters")
            listed.append((lang, tuple(s.strip() for s in spellings)))
        ambiguous = entry.get("ambiguous") or []
        out[pid] = Person(
            id=pid,
            name=str(entry.get("name") or names["en"][0]),
            role=str(entry.get("role") or ""),
            country=str(entry.get("country") or ""),
            names=tuple(listed),
            ambiguous=tuple(str(a) for a in ambiguous),
        )
    return out


def find(text: str, table: Mapping[str, Person] | None = None) -> list[Person]:
    """The people ``text`` names (any of their names or its inflected forms as whole words),
    then those whose id or a name contains ``text`` (folded); in table order."""
    table = people() if table is None else table
    words = fold(text).split()
    if not words:
        return list(table.values())
    joined = " " + " ".join(words) + " "
    named: list[Person] = []
    partial: list[Person] = []
    for person in table.values():
        if any(
            " " + " ".join(form) + " " in joined
            for alias in person.aliases
            for form in forms(alias)
        ):
            named.append(person)
        elif joined.strip() in person.id.replace("-", " ") or any(
            joined.strip() in fold(alias) for alias in (person.name, *person.aliases)
        ):
            partial.append(person)
    return named + partial
