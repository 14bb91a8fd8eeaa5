"""The names rule: headlines naming different places of the same kind tell different events,
read on the story's headlines (not on places its summaries mention in passing), and a
leader's name stands for their country."""

from __future__ import annotations

from bot.story import StoryIndex
from tests.story.reports import record, report


def test_a_place_the_story_only_mentions_is_another_event() -> None:
    index = StoryIndex()
    story = [
        report(
            1,
            "Cyclone Mira hits the northern Philippines",
            "Winds of 200 km/h tore roofs off in Mindanao; the storm is heading towards Hong Kong.",
        ),
        report(
            2,
            "Cyclone Mira makes landfall in the Philippines",
            "The weather agency warned of storm surges before Mira moves on to Hong Kong.",
            0.5,
        ),
        report(
            3,
            "Cyclone Mira batters the Philippines, heads for Hong Kong",
            "Power lines were down across Mindanao as Mira crossed the island overnight.",
            1.0,
        ),
    ]
    first = [record(index, r) for r in story]
    assert first == [1, 1, 1]
    hong_kong = report(
        4,
        "Cyclone Mira makes landfall in Hong Kong",
        "The observatory issued its highest warning as the cyclone neared the city.",
        20.0,
    )
    assert record(index, hong_kong) == 4


def test_a_leader_stands_for_their_country() -> None:
    index = StoryIndex()
    talks = report(
        1,
        "Putin and Kim hold talks in Beijing",
        "The Russian and North Korean leaders met at a state guesthouse, the Kremlin said.",
    )
    duty = report(
        2,
        "Kim tells Putin helping Russia is a 'brotherly duty'",
        "Kim Jong Un said North Korea would do everything to help Russia, at talks in Beijing.",
        0.5,
    )
    troops = report(
        3,
        "Putin thanks North Korean soldiers in talks with Kim",
        "Putin praised the North Korean troops who fought in the Kursk region, in Beijing.",
        1.0,
    )
    assert [record(index, r) for r in (talks, duty, troops)] == [1, 1, 1]
