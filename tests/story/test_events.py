"""Event classes that contradict: the same people, different events."""

from __future__ import annotations

from bot.story import StoryIndex
from bot.story.terms import analyse, conflicting
from tests.story.reports import record, report


def test_withdrawing_from_a_contest_contradicts_winning_it() -> None:
    won = analyse("Swiatek wins Wimbledon title", "").title
    withdrew = analyse("Swiatek withdraws from Wimbledon", "").title
    assert conflicting(withdrew, won) is not None


def test_a_withdrawal_after_a_title_is_another_story() -> None:
    index = StoryIndex()
    final = [
        report(1, "Swiatek beats Anisimova to win Wimbledon title", "Iga Swiatek won 6-0 6-0."),
        report(2, "Iga Swiatek wins Wimbledon final", "Swiatek beat Amanda Anisimova.", 0.5),
        report(3, "Swiatek crowned Wimbledon champion", "Iga Swiatek beat Anisimova.", 1.0),
    ]
    assert [record(index, r) for r in final] == [1, 1, 1]
    later = report(
        4,
        "Swiatek withdraws from Bad Homburg tournament after Wimbledon win",
        "Iga Swiatek, the Wimbledon champion, pulled out of next week's event to rest.",
        20.0,
    )
    assert record(index, later) == 4
