"""Clustering quality on the hand-written labelled set (tests/story/data/labelled.jsonl):
pairwise and B-cubed precision/recall, feeding the reports in publication order exactly as
the store does (expire, assign, then add).

Issue 10's targets are pairwise precision >= 0.95 and recall >= 0.85.  The clusterer meets
the precision on the whole set and both on the tuning part, but not yet the recall on the
whole set (the held-out third lags): the target is asserted in its own xfail test (strict,
so reaching it turns the suite red until the marker goes), and the figures reached today
are asserted as floors so that they cannot slip."""

from __future__ import annotations

from pathlib import Path

import pytest

from bot.story import StoryIndex
from bot.story.evaluate import Scores, cluster, held_out, load, score

DATA = Path(__file__).parent / "data" / "labelled.jsonl"


def _cluster() -> tuple[dict[int, str], dict[int, int]]:
    rows = load(DATA)
    return {x.report.id: x.label for x in rows}, cluster(rows, StoryIndex())


@pytest.fixture(scope="module")
def scores() -> dict[str, Scores]:
    labels, pred = _cluster()
    tune = {i: lab for i, lab in labels.items() if not held_out(lab)}
    held = {i: lab for i, lab in labels.items() if held_out(lab)}
    return {"all": score(labels, pred), "tune": score(tune, pred), "held": score(held, pred)}


def test_the_set_is_big_and_varied_enough() -> None:
    rows = load(DATA)
    labels = {x.label for x in rows}
    assert len(rows) >= 300 and len(labels) >= 40
    assert sum(1 for x in rows if not x.report.title.isascii()) >= 10  # de, fr, ru
    assert len({x.report.feed_id for x in rows}) >= 10


def test_precision_first_floors(scores: dict[str, Scores]) -> None:
    for name, s in scores.items():
        print(name, s.line())
    assert scores["tune"].pair_precision >= 0.97
    assert scores["tune"].pair_recall >= 0.88
    assert scores["held"].pair_precision >= 0.95
    assert scores["all"].pair_precision >= 0.95
    assert scores["all"].b3_precision >= 0.97
    assert scores["all"].pair_recall >= 0.80
    assert scores["all"].b3_recall >= 0.86


@pytest.mark.xfail(
    strict=True,
    reason=(
        "issue 10 target not reached yet: pairwise recall 0.843 on the whole set (0.751 held "
        "out); retuning at the 0.95 precision rule gives R 0.911 but P 0.937 (docs/stories.md)"
    ),
)
def test_issue_targets(scores: dict[str, Scores]) -> None:
    assert scores["all"].pair_precision >= 0.95
    assert scores["all"].pair_recall >= 0.85
