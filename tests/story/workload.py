"""Every decision the story index makes on a fixed workload, for comparing its compiled
modules (mypyc, see setup.py) with their sources.

``python -m tests.story.workload`` prints, as JSON, which modules ran (``bot.story.BUILD``)
and, per report, the story it joined with the score and the reason (or none): the labelled
set, then synthetic reports in several languages past the window, so that expiry runs too.
``test_build`` runs it under ``NEWSBOT_PURE_PYTHON=1`` and compares with the compiled
modules in its own process."""

from __future__ import annotations

import json
import random
from pathlib import Path
from typing import Any

from bot.story import BUILD, Report, StoryIndex
from bot.story.evaluate import load

DATA = Path(__file__).parent / "data" / "labelled.jsonl"
WORDS = [
    "Putin", "Xi", "Kim", "parade", "Beijing", "earthquake", "toll", "rises", "talks", "arrives",
    "leaves", "Путин", "Пекин", "парад", "Erdbeben", "Gipfel", "sommet", "séisme", "2,200", "—",
]  # fmt: skip


def run() -> dict[str, Any]:
    index = StoryIndex()
    decisions: list[Any] = []
    reports = [x.report for x in load(DATA)]
    rng = random.Random(20251203)
    last = max(r.published for r in reports)
    for k in range(400):
        title = " ".join(rng.choice(WORDS) for _ in range(rng.randint(2, 9)))
        summary = " ".join(rng.choice(WORDS) for _ in range(rng.randint(0, 20)))
        when = last + k * 600.0
        reports.append(Report(100_000 + k, title, summary, when, f"feed{k % 7}", None))
    for r in reports:
        index.expire(r.published)
        joined = index.assign(r)
        story = joined.story if joined is not None else r.id
        index.add(r, story)
        decisions.append([r.id, story, None if joined is None else [joined.score, joined.reason]])
    return {"build": BUILD, "decisions": decisions}


if __name__ == "__main__":
    print(json.dumps(run()))
