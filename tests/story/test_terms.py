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


OTHER = [
    # a headline opening with a context clause tells its event after the comma
    ("After three failures, Starship flight goes to plan", {"starship", "flight"}, {"failur"}),
    # French elision: "d'une" is "une", "l'attaque" is "attaque"
    ("Le Louvre fermé en raison d'une grève", {"louvr"}, {"dune"}),
    ("L'attaque de Paris", {"@attack", "paris"}, {"lattaqu"}),
    # numbers, written as ordinals or words, change while a story goes on
    ("Starship's 10th flight a success", {"starship", "success"}, {"10th"}),
    ("Hundreds evacuated as thousands flee", {"@evacuate"}, {"hundr", "thousand"}),
]


@pytest.mark.parametrize(("title", "has", "lacks"), OTHER, ids=[c[0] for c in OTHER])
def test_headline_terms(title: str, has: set[str], lacks: set[str]) -> None:
    got = analyse(title, "").title
    assert has <= got, sorted(got)
    assert not lacks & got, sorted(got)
