"""The routing planner, without a database: table-driven cases and properties."""

from __future__ import annotations

from collections import Counter

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from bot.models import AlertKind, Match, Span
from bot.route import Edit, Plan, Report, Route, Sent, plan

TITLES = {"parade": "Beijing parade", "putin": "Putin", "watch:7": "watch: Kim"}
ROUTES = (
    Route("parade", 1),
    Route("parade", 2),
    Route("putin", 2),
    Route("watch:7", 3, thread_id=9),
)


def report(entry: int, story: int, *rules: str, link: str | None = None) -> Report:
    matches = tuple(Match(r, (Span("title", 0, 3),)) for r in rules)
    return Report(entry, story, link or f"link:{entry}", matches)


def alerted(result: Plan) -> list[tuple[int, tuple[int, ...]]]:
    return [(a.chat_id, tuple(i.entry_id for i in a.items)) for a in result.alerts]


@pytest.mark.parametrize(
    ("reports", "sent", "alerts", "edits"),
    [
        ([report(10, 1, "parade")], [], [(1, (10,)), (2, (10,))], []),
        # a second outlet of the same story in a later poll: edits, no second message
        (
            [report(11, 1, "parade")],
            [Sent(1, 1, frozenset({"parade"})), Sent(2, 1, frozenset({"parade"}))],
            [],
            [Edit(1, 1), Edit(2, 1)],
        ),
        # two outlets in one poll: one alert (rendered with the other outlet when sent)
        ([report(10, 1, "parade"), report(11, 1, "parade")], [], [(1, (10,)), (2, (10,))], []),
        # a later report matching a rule the chat had not matched for this story: news
        (
            [report(11, 1, "parade", "putin")],
            [Sent(1, 1, frozenset({"parade"})), Sent(2, 1, frozenset({"parade"}))],
            [(2, (11,))],
            [Edit(1, 1)],
        ),
        # a report that matches nothing still extends the story for chats that have it
        ([report(12, 1)], [Sent(3, 1, frozenset({"watch:7"}))], [], [Edit(3, 1)]),
        # ledger rows from before stories (targets unknown): never a second alert
        ([report(13, 1, "parade", "putin")], [Sent(2, 1, None)], [(1, (13,))], [Edit(2, 1)]),
        # another story: a new alert
        ([report(14, 2, "parade")], [Sent(1, 1, frozenset({"parade"}))],
         [(1, (14,)), (2, (14,))], []),
    ],
    ids=["first-report", "second-outlet", "same-poll", "new-rule", "unmatched-report",
         "pre-stories-ledger", "other-story"],
)  # fmt: skip
def test_plan(
    reports: list[Report],
    sent: list[Sent],
    alerts: list[tuple[int, tuple[int, ...]]],
    edits: list[Edit],
) -> None:
    result = plan(reports, ROUTES, sent, titles=TITLES)
    assert alerted(result) == alerts
    assert list(result.edits) == edits


def test_new_rule_alert_names_only_the_new_rule() -> None:
    result = plan(
        [report(11, 1, "parade", "putin")], ROUTES, [Sent(2, 1, frozenset({"parade"}))],
        titles=TITLES,
    )  # fmt: skip
    (alert,) = [a for a in result.alerts if a.chat_id == 2]
    assert alert.items[0].rule_titles == ("Putin",)
    assert result.ledger == (
        Sent(1, 1, frozenset({"parade"})),
        Sent(2, 1, frozenset({"parade", "putin"})),
    )


def test_stories_off_alerts_every_report_but_never_one_link_twice() -> None:
    reports = [
        report(10, 1, "parade", link="link:a"),
        report(11, 1, "parade", link="link:b"),
        report(12, 1, "parade", link="link:a"),  # the same canonical link (so the same story)
    ]
    result = plan(reports, ROUTES, [], titles=TITLES, grouping={1: False})
    assert [e for c, e in alerted(result) if c == 1] == [(10,), (11,)]
    assert [e for c, e in alerted(result) if c == 2] == [(10,)]  # grouped: one per story
    assert (1, "link:a") in result.links and (1, "link:b") in result.links
    again = plan([report(13, 3, "parade", link="link:a")], ROUTES, [], titles=TITLES,
                 grouping={1: False}, claimed_links=result.links)  # fmt: skip
    assert [c for c, _ in alerted(again)] == [2]


def test_topics_and_flood_threshold() -> None:
    reports = [report(20 + n, 100 + n, "watch:7") for n in range(7)]
    result = plan(reports, ROUTES, [], titles=TITLES, flood_threshold=5)
    kinds = [(a.kind, len(a.items), a.thread_id) for a in result.alerts]
    assert kinds == [(AlertKind.ALERT, 1, 9)] * 5 + [(AlertKind.FLOOD, 2, 9)]


# ---------------------------------------------------------------------------- properties

CHATS = st.integers(1, 4)
TARGETS = st.sampled_from(["a", "b", "c"])
REPORTS = st.lists(
    st.tuples(st.integers(1, 6), st.lists(TARGETS, max_size=3, unique=True)), max_size=25
)
ROUTE_SETS = st.lists(st.builds(Route, TARGETS, CHATS), max_size=8, unique=True)


def _reports(raw: list[tuple[int, list[str]]]) -> list[Report]:
    return [report(100 + n, story, *targets) for n, (story, targets) in enumerate(raw)]


@settings(max_examples=300)
@given(REPORTS, REPORTS, ROUTE_SETS, st.integers(0, 3))
def test_a_story_reaches_a_chat_once_per_target_and_everything_owed_is_sent_or_edited(
    earlier: list[tuple[int, list[str]]],
    later: list[tuple[int, list[str]]],
    routes: list[Route],
    threshold: int,
) -> None:
    """Two polls in a row, the ledger of the first fed to the second."""
    first = plan(_reports(earlier), routes, [], titles={}, flood_threshold=threshold)
    second = plan(_reports(later), routes, first.ledger, titles={}, flood_threshold=threshold)
    ledger = {(s.chat_id, s.story_id): s.targets for s in first.ledger}
    ledger.update({(s.chat_id, s.story_id): s.targets for s in second.ledger})
    new_messages: Counter[tuple[int, int]] = Counter()
    for result in (first, second):
        for alert in result.alerts:
            for story in set(alert.stories):
                new_messages[(alert.chat_id, story)] += 1
    for (chat, story), count in new_messages.items():
        # a new message per story only for a target the chat had not had for it yet
        targets = ledger[(chat, story)]
        assert targets is not None and count <= len(targets), (chat, story, count)
    by_target: dict[str, set[int]] = {}
    for r in routes:
        by_target.setdefault(r.target, set()).add(r.chat_id)
    for n, (story, targets) in enumerate(later):
        for chat in {c for t in targets for c in by_target.get(t, ())}:
            owed = (chat, story)
            assert owed in ledger  # the chat has the story ...
            sent_now = any(a.chat_id == chat and story in a.stories for a in second.alerts)
            edited = Edit(chat, story) in second.edits
            had_before = owed in {(s.chat_id, s.story_id) for s in first.ledger}
            # ... and this poll's report of it is a new message, an edit, or part of one
            assert sent_now or edited or not had_before, (n, owed)
    assert len(set(second.edits)) == len(second.edits)
