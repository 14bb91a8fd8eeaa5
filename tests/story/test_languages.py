"""Reports in another language than the story's: they join on what reads the same in any
language — a name and the headline's event — even when that is all they share."""

from __future__ import annotations

from bot.story import StoryIndex
from tests.story.reports import record, report


def test_a_name_and_the_event_carry_a_report_across_languages() -> None:
    index = StoryIndex()
    english = [
        report(
            1,
            "Earthquake in southern Peru kills dozens",
            "A magnitude 7 earthquake struck the Arequipa region on Sunday, officials said.",
        ),
        report(
            2,
            "Peru earthquake death toll rises to 40",
            "Officials in the Arequipa region said the toll from Sunday's earthquake rose.",
            1.0,
        ),
    ]
    assert [record(index, r) for r in english] == [1, 1]
    german = report(
        3,
        "Schweres Erdbeben in Peru: Dutzende Tote",
        "Nach dem Beben der Stärke 7 suchen Helfer in den Trümmern nach Überlebenden.",
        2.0,
    )
    assert record(index, german) == 1


def test_the_same_event_in_another_country_stays_apart() -> None:
    index = StoryIndex()
    record(
        index,
        report(1, "Earthquake in southern Peru kills dozens", "The quake struck Arequipa."),
    )
    german = report(2, "Schweres Erdbeben in Chile: Dutzende Tote", "Helfer suchen.", 1.0)
    assert record(index, german) == 2
