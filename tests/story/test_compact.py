"""The index's compact bookkeeping gives what the plain one gave: a report's ``Side`` rebuilt
from the terms the index keeps, a story's core updated from a new report's terms
(``settle_added``) against ``Profile.settle`` recounting every headline term, and the
labelled set's assignments against a golden file.

The golden file (tests/story/data/labelled_stories.json: report id -> story) records what
the clusterer decided when it was written; a change meant to alter clustering rewrites it
with ``python -m tests.story.test_compact --update`` (and says so in its commit)."""

from __future__ import annotations

import copy
import json
import sys
from pathlib import Path

from bot.story import StoryIndex
from bot.story.check import Profile, Side
from bot.story.evaluate import cluster, load
from bot.story.index import _Doc
from bot.story.terms import analyse

DATA = Path(__file__).parent / "data"
LABELLED = DATA / "labelled.jsonl"
GOLDEN = DATA / "labelled_stories.json"


def test_a_side_rebuilt_from_the_kept_terms_is_the_analysed_one() -> None:
    for row in load(LABELLED):
        found = analyse(row.report.title, row.report.summary)
        doc = _Doc.of(1, row.report.published, found)
        assert doc.side() == Side(found.title, found.terms, found.events, found.language)
        assert len(doc.terms) == len(found.terms)


def test_a_story_core_updated_on_add_is_the_recounted_one() -> None:
    """Every story touched, after every add and expiry (a 6 h window: stories lose reports),
    has the core, events, need and told that ``Profile.settle`` recounts."""
    index = StoryIndex(window=6 * 3600.0)
    checked = 0
    for row in load(LABELLED):
        index.expire(row.report.published)
        joined = index.assign(row.report)
        story = joined.story if joined is not None else row.report.id
        index.add(row.report, story)
        for story in index._stories:
            profile = index._profile(story)  # a story of one report: made from its terms
            again = copy.deepcopy(profile)
            again.settle()
            assert (profile.need, profile.core, profile.events, profile.told) == (
                again.need,
                again.core,
                again.events,
                again.told,
            )
            checked += profile.reports > 1
    assert checked > 100  # stories of several reports were compared, not only singletons


def test_a_story_of_one_report_keeps_no_profile_until_a_second_joins() -> None:
    rows = [x.report for x in load(LABELLED)]
    index = StoryIndex()
    index.add(rows[0], rows[0].id)
    assert index._stories == {rows[0].id: rows[0].id}  # the report's id stands for its Profile
    assert index._profile(rows[0].id).reports == 1
    index.assign(rows[1])  # reading makes a Profile for the check, kept aside for the next
    assert index._stories == {rows[0].id: rows[0].id}
    assert index._made.keys() == {rows[0].id}
    index.add(rows[1], rows[0].id)
    assert isinstance(index._stories[rows[0].id], Profile)
    assert not index._made  # the story's own Profile counts from now on
    assert index._profile(rows[0].id).reports == 2
    assert index.expire(rows[1].published + index.window + 1) == 2
    assert not index._stories and not index._story_freq


def _assignments() -> dict[str, int]:
    return {str(k): v for k, v in cluster(load(LABELLED), StoryIndex()).items()}


def test_the_labelled_set_clusters_as_the_golden_file_says() -> None:
    want = json.loads(GOLDEN.read_text(encoding="utf-8"))
    got = _assignments()
    moved = sorted((int(k) for k in want if want[k] != got.get(k)), key=int)
    assert got.keys() == want.keys()
    assert not moved, f"reports assigned otherwise than {GOLDEN.name} says: {moved[:20]}"


if __name__ == "__main__" and sys.argv[1:] == ["--update"]:
    GOLDEN.write_text(json.dumps(_assignments(), indent=0) + "\n", encoding="utf-8")
    print(f"wrote {GOLDEN}")
