"""Story terms of real-world spellings: German text as the matcher folds it (umlauts
dropped, genitive names, modal verbs), table-driven."""

from __future__ import annotations

import pytest

from bot.story.terms import analyse

CASES = [
    # (headline, terms it must carry, terms it must not)
    ("Gespräche in der Türkei", {"@talk", "turkey"}, set()),
    ("Rücktritt in Österreich", {"@resign", "austria"}, set()),
    ("Schüsse in Dänemark", {"@shoot", "denmark"}, set()),
    ("Ägypten: Überschwemmung", {"@flood", "egypt"}, set()),
    ("Tausende Flüge gestrichen, Züge stehen still", {"flight", "train"}, set()),
    ("Putin und Kim an Xis Seite", {"putin", "kim", "xi"}, {"xis"}),
    ("Pendler müssen auf Bus und Auto umsteigen", {"pendler", "bus"}, {"mussen"}),
    ("Europäische Zentralbank erhöht den Leitzins", {"ecb", "@raise", "rate"}, set()),
]


@pytest.mark.parametrize(("title", "has", "lacks"), CASES, ids=[c[0] for c in CASES])
def test_german_headline_terms(title: str, has: set[str], lacks: set[str]) -> None:
    got = analyse(title, "").title
    assert has <= got, sorted(got)
    assert not lacks & got, sorted(got)
