"""Story clustering: quality on the labelled set beside two baselines, and speed with a
large window beside the all-pairs baseline, all measured in this run.

    PYTHONPATH=. python bench/stories.py            # quality and speed
    PYTHONPATH=. python bench/stories.py --tune     # the thresholds' grid search (tuning part)

Quality (tests/story/data/labelled.jsonl, reports fed in publication order, assign then
add, as the store does): pairwise and B-cubed precision/recall of StoryIndex, of a plain
TF-IDF cosine clusterer (single pass: a report joins the story of its most similar earlier
report within the window when the cosine reaches a threshold) and of exact-title matching.

Speed: entries/s assigned and added with 10,000 and 100,000 synthetic reports of history in
the window (headlines built from vocabularies of people, places, events and objects; the
best of three batches of 2,000 new reports, as the machine is shared), and the all-pairs
baseline (the same precise check against every stored report) timed on a
smaller history, its per-entry cost extrapolated to 100,000.
"""

from __future__ import annotations

import dataclasses
import itertools
import math
import random
import sys
import time
from collections import Counter
from pathlib import Path

from bot.match.fold import tokenize
from bot.story import BUILD, Report, StoryIndex
from bot.story.check import DEFAULT, Side, Thresholds, check
from bot.story.evaluate import Labelled, Scores, cluster, held_out, load, score
from bot.story.terms import analyse

DATA = Path(__file__).resolve().parent.parent / "tests" / "story" / "data" / "labelled.jsonl"
WINDOW = 48 * 3600.0


# ---------------------------------------------------------------------- quality


def ours(rows: list[Labelled], thresholds: Thresholds = DEFAULT) -> dict[int, int]:
    return cluster(rows, StoryIndex(thresholds=thresholds))


def tfidf(rows: list[Labelled], threshold: float) -> dict[int, int]:
    """Single-pass TF-IDF cosine (hand-rolled sparse vectors; idf over the whole set, which
    flatters the baseline: it sees the future's document frequencies)."""
    docs = {
        x.report.id: Counter(tokenize(x.report.title + " " + x.report.summary).words) for x in rows
    }
    df: Counter[str] = Counter()
    for c in docs.values():
        df.update(c.keys())
    n = len(docs)
    vecs: dict[int, dict[str, float]] = {}
    for i, c in docs.items():
        v = {t: (1 + math.log(k)) * math.log(n / df[t]) for t, k in c.items()}
        norm = math.sqrt(sum(x * x for x in v.values())) or 1.0
        vecs[i] = {t: x / norm for t, x in v.items()}
    story: dict[int, int] = {}
    seen: list[Labelled] = []
    for x in rows:
        v = vecs[x.report.id]
        best, best_id = 0.0, None
        for y in seen:
            if x.report.published - y.report.published > WINDOW:
                continue
            u = vecs[y.report.id]
            cos = sum(w * u.get(t, 0.0) for t, w in v.items())
            if cos > best:
                best, best_id = cos, y.report.id
        story[x.report.id] = (
            story[best_id] if best_id is not None and best >= threshold else x.report.id
        )
        seen.append(x)
    return story


def exact_title(rows: list[Labelled]) -> dict[int, int]:
    first: dict[str, int] = {}
    return {
        x.report.id: first.setdefault(" ".join(tokenize(x.report.title).words), x.report.id)
        for x in rows
    }


def quality() -> None:
    rows = load(DATA)
    labels = {x.report.id: x.label for x in rows}
    held = {i: lab for i, lab in labels.items() if held_out(lab)}
    tune = {i: lab for i, lab in labels.items() if not held_out(lab)}

    def show(name: str, pred: dict[int, int]) -> None:
        s: Scores = score(labels, pred)
        print(f"  {name:<26} all:  {s.line()}")
        print(f"  {'':<26} tune: {score(tune, pred).line()}")
        print(f"  {'':<26} held: {score(held, pred).line()}")

    print(f"quality on {DATA.name}")
    show("StoryIndex", ours(rows))
    for th in (0.3, 0.5):
        show(f"TF-IDF cosine >= {th}", tfidf(rows, th))
    show("exact title", exact_title(rows))


def tune(floor: float = 0.97) -> None:
    """The grid search the thresholds were chosen by: scored on the tuning part only (the
    held-out stories are not looked at), the highest pairwise recall at precision >= 0.97
    (margin over the 0.95 target), then the highest precision.  ``--floor 0.95`` selects
    at the issue's own precision target instead.  The thresholds in use and why the latest
    grid's top point was not taken: docs/stories.md, Tuning."""
    rows = load(DATA)
    tune_labels = {x.report.id: x.label for x in rows if not held_out(x.label)}
    results = []
    for drift, s_cov, s_score, share, pair_score in itertools.product(
        (0.4, 0.5, 2.0),
        (0.15, 0.2, 0.25),
        (0.4, 0.425, 0.45, 0.475, 0.5, 0.55),
        (0.0, 0.2, 0.3, 0.4),
        (0.45, 0.55),
    ):
        limits = dataclasses.replace(
            DEFAULT,
            drift=drift,
            story_coverage=s_cov,
            story_score=s_score,
            summary=share,
            score=pair_score,
        )
        got = score(tune_labels, ours(rows, limits))
        results.append((got.pair_precision >= floor, got.pair_recall, got.pair_precision, limits))
    results.sort(key=lambda r: (r[0], r[1], r[2]), reverse=True)
    for _, recall, precision, limits in results[:10]:
        print(f"  tune: P {precision:.3f} R {recall:.3f}  {limits}")


# ---------------------------------------------------------------------- speed

PEOPLE = """Putin Xi Trump Modi Macron Merz Starmer Zelensky Erdogan Lula Kishida Albanese
Carney Sheinbaum Milei Ramaphosa Netanyahu Pezeshkian Kim Lagarde Powell Musk Huang Cook
Bezos Guterres Tusk Meloni Sanchez Orban Fico Vucic Aliyev Pashinyan Tokayev Prabowo
Marcos Anwar Shehbaz Ruto Tinubu Abiy Sisi Bin Salman Al Thani Rutte Costa Leyen""".split()
PLACES = """Beijing Moscow Kyiv Washington Paris Berlin London Tokyo Delhi Brasilia Ottawa
Canberra Mexico Buenos Aires Pretoria Ankara Tehran Riyadh Doha Cairo Nairobi Lagos Addis
Jakarta Manila Hanoi Bangkok Seoul Pyongyang Taipei Kabul Islamabad Dhaka Colombo Kathmandu
Tashkent Astana Baku Yerevan Tbilisi Warsaw Prague Vienna Budapest Rome Madrid Lisbon Dublin
Oslo Stockholm Helsinki Copenhagen Brussels Amsterdam Geneva Athens Lima Bogota Caracas
Santiago Havana Quito Kinshasa Khartoum Tripoli Tunis Algiers Rabat Dakar Accra Luanda""".split()
EVENTS = """meets visits arrives leaves signs rejects approves warns condemns praises hosts
criticises announces unveils launches cancels postpones delays wins loses resigns appoints
fires sues bans blocks backs opposes threatens""".split()
OBJECTS = """trade deal pipeline summit tariffs sanctions ceasefire election budget reform
treaty alliance loan aid package talks vote referendum probe inquiry strike protest merger
takeover contract stake satellite rocket missile drone vaccine outbreak flood fire storm
drought heatwave quake wildfire blackout crash derailment cyberattack""".split()
ADJ = """new major historic surprise controversial landmark fragile rare first final
emergency record massive limited joint bilateral regional global""".split()


def synthetic(n: int, start_id: int, t0: float, rng: random.Random) -> list[Report]:
    out = []
    for k in range(n):
        who, where = rng.sample(PEOPLE, 2), rng.sample(PLACES, 2)
        title = (
            f"{who[0]} {rng.choice(EVENTS)} {rng.choice(ADJ)} {rng.choice(OBJECTS)} "
            f"in {where[0]} with {who[1]}"
        )
        summary = (
            f"{who[0]} and {who[1]} {rng.choice(EVENTS)} a {rng.choice(ADJ)} "
            f"{rng.choice(OBJECTS)} on {rng.choice(OBJECTS)} in {where[0]}, officials in "
            f"{where[1]} said, after weeks of {rng.choice(OBJECTS)} and "
            f"{rng.choice(OBJECTS)}."
        )
        published = t0 + (k / max(1, n)) * (WINDOW * 0.9)
        out.append(Report(start_id + k, title, summary, published, f"feed{k % 500}", None))
    return out


def fill(index: StoryIndex, history: list[Report]) -> None:
    for r in history:
        joined = index.assign(r)
        index.add(r, joined.story if joined is not None else r.id)


def rate(index: StoryIndex, fresh: list[Report]) -> float:
    start = time.perf_counter()
    for r in fresh:
        joined = index.assign(r)
        index.add(r, joined.story if joined is not None else r.id)
    return len(fresh) / (time.perf_counter() - start)


def all_pairs_cost(history: list[Report], fresh: list[Report]) -> float:
    """Seconds per new entry comparing against every stored report with the same check."""
    index = StoryIndex()
    fill(index, history)  # for the weights
    sides = []
    for r in history:
        a = analyse(r.title, r.summary)
        sides.append(Side(a.title, a.terms, a.events))
    start = time.perf_counter()
    for r in fresh:
        a = analyse(r.title, r.summary)
        side = Side(a.title, a.terms, a.events)
        for other in sides:
            check(side, other, index.weight, index.prior)
    return (time.perf_counter() - start) / len(fresh)


def speed(sizes: tuple[int, ...]) -> None:
    rng = random.Random(10)
    t0 = 1_756_700_000.0
    print("speed (assign + add, entries/s; synthetic history in the window)")
    rates = {}
    for n in sizes:
        index = StoryIndex()
        history = synthetic(n, 1, t0, rng)
        start = time.perf_counter()
        fill(index, history)
        built = time.perf_counter() - start
        rates[n] = 0.0
        for batch in range(3):  # best of three batches: the machine is shared
            fresh = synthetic(2_000, n + 1 + batch * 2_000, t0 + WINDOW * 0.9, rng)
            rates[n] = max(rates[n], rate(index, fresh))
        print(f"  history {n:>7,}: {rates[n]:>9,.0f} entries/s   (history built in {built:.1f} s)")
    lo, hi = min(sizes), max(sizes)
    print(f"  ratio {hi:,} / {lo:,}: {rates[hi] / rates[lo]:.2f}   (1.00 = flat)")
    small = 2_000
    cost = all_pairs_cost(synthetic(small, 1, t0, rng), synthetic(100, small + 1, t0, rng))
    print(
        f"  all-pairs baseline: {1 / cost:,.0f} entries/s at {small:,} history; "
        f"extrapolated to {hi:,}: {1 / (cost * hi / small):,.1f} entries/s"
    )


if __name__ == "__main__":
    if "--tune" in sys.argv:
        tune(float(sys.argv[sys.argv.index("--floor") + 1]) if "--floor" in sys.argv else 0.97)
        sys.exit()
    print(f"story index: {BUILD} (NEWSBOT_PURE_PYTHON=1 runs the sources)")
    quality()
    speed((10_000, 100_000) if "--quick" not in sys.argv else (1_000, 10_000))
