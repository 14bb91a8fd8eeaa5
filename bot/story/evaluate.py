"""Scoring a clustering against labels: pairwise and B-cubed precision and recall.  Used by
the labelled-set test and bench/stories.py (and handy when tuning with
``newsbot stories``)."""

from __future__ import annotations

import json
import zlib
from collections import Counter
from collections.abc import Callable, Iterable, Mapping
from dataclasses import dataclass
from datetime import datetime
from pathlib import Path

from bot.story.index import StoryIndex
from bot.story.records import Report

__all__ = ["Labelled", "Scores", "held_out", "load", "run", "score"]


@dataclass(frozen=True, slots=True)
class Labelled:
    report: Report
    label: str


@dataclass(frozen=True, slots=True)
class Scores:
    pair_precision: float
    pair_recall: float
    b3_precision: float
    b3_recall: float
    entries: int
    stories: int

    def line(self) -> str:
        return (
            f"pairwise P {self.pair_precision:.3f} R {self.pair_recall:.3f}  "
            f"B-cubed P {self.b3_precision:.3f} R {self.b3_recall:.3f}  "
            f"({self.entries} entries, {self.stories} stories)"
        )


def load(path: Path) -> list[Labelled]:
    """The labelled JSON lines (id, title, summary, published ISO 8601, feed, story), in
    publication order."""
    out = []
    for line in path.read_text(encoding="utf-8").splitlines():
        if not line.strip():
            continue
        row = json.loads(line)
        published = datetime.fromisoformat(row["published"].replace("Z", "+00:00"))
        report = Report(
            id=int(row["id"]),
            title=row["title"],
            summary=row.get("summary") or "",
            published=published.timestamp(),
            feed_id=row["feed"],
            link=None,
        )
        out.append(Labelled(report, row["story"]))
    out.sort(key=lambda x: (x.report.published, x.report.id))
    return out


def held_out(label: str) -> bool:
    """Whether a story label belongs to the held-out third (never looked at when tuning)."""
    return zlib.crc32(label.encode()) % 3 == 0


def run(
    rows: Iterable[Labelled],
    assign: Callable[[Report], int | None],
    add: Callable[[Report, int], None],
) -> dict[int, int]:
    """Feed the reports in order as the store does (assign, then add); report id → story."""
    story_of: dict[int, int] = {}
    for row in rows:
        joined = assign(row.report)
        story = joined if joined is not None else row.report.id
        story_of[row.report.id] = story
        add(row.report, story)
    return story_of


def cluster(rows: Iterable[Labelled], index: StoryIndex) -> dict[int, int]:
    """``run`` with a ``StoryIndex``, expiring as time moves on: report id → story."""

    def assign(r: Report) -> int | None:
        joined = index.assign(r)
        return joined.story if joined is not None else None

    def add(r: Report, story: int) -> None:
        index.expire(r.published)
        index.add(r, story)

    return run(rows, assign, add)


def score(labels: Mapping[int, str], clusters: Mapping[int, int]) -> Scores:
    """Pairwise and B-cubed precision/recall of ``clusters`` over the ids of ``labels``."""
    ids = list(labels)
    pred = {i: clusters[i] for i in ids}
    both = Counter((labels[i], pred[i]) for i in ids)
    gold = Counter(labels[i] for i in ids)
    got = Counter(pred[i] for i in ids)

    def pairs(counts: Iterable[int]) -> int:
        return sum(n * (n - 1) // 2 for n in counts)

    tp = pairs(both.values())
    pp = pairs(got.values())
    gp = pairs(gold.values())
    b3p = sum(both[(labels[i], pred[i])] / got[pred[i]] for i in ids) / len(ids)
    b3r = sum(both[(labels[i], pred[i])] / gold[labels[i]] for i in ids) / len(ids)
    return Scores(
        pair_precision=tp / pp if pp else 1.0,
        pair_recall=tp / gp if gp else 1.0,
        b3_precision=b3p,
        b3_recall=b3r,
        entries=len(ids),
        stories=len(gold),
    )
