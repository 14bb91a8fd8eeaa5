"""Benchmark the rule engine against one stdlib ``re`` per rule.  Run: python bench/matching.py

Builds deterministic synthetic rule sets (10, 1,000, 10,000 rules: names, phrases, boolean
queries, NEAR, fuzzy and prefix terms) and a corpus of news items from templates, then
prints entries/second for ``RuleSet.match`` (normalization included) beside the baseline
measured in the same run: one compiled ``re`` per rule (``\\b...\\b``, IGNORECASE) tried in
turn on title and summary.  The baseline is slow at 10,000 rules, so it runs on a sample
within a time budget.  Also prints compile time and memory at each size.

Built-in entities (issue 14): a second row per size replaces ``--builtins`` (default 10 %) of
the rules by queries on built-in people (``@putin``, ``@xi-jinping AND parade``, ...); its
``vs plain`` column is its rate over the plain row's, measured in the same run; a ``paired``
line after it measures the two rule sets again in alternating short slices (a shared
machine's speed drifts between two rows' measurements).  Then the same
again on the same items of which ``--named`` (default 20 %) also name one of those people in
one of their scripts (``Путина``, ``習近平``, ``Erdoğan’ın``), where the built-in rules match
and cost what matching costs.
"""

from __future__ import annotations

import argparse
import gc
import random
import re
import sys
import time
import tracemalloc
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent.parent))

from bot.match import BUILD, compile_rules
from bot.match.people import people as builtin_people
from bot.models import RuleSpec

SEED = 20250903
ONSETS = "b br ch d dr f g h j k kh l m n p r s sh t tr v z zh".split()
VOWELS = "a e i o u ai ia ou".split()
CODAS = ["", "", "n", "r", "s", "v", "k", "m", "sh", "ng"]
CITIES = (
    "Beijing Moscow Tehran Minsk Belgrade Bratislava Islamabad Baku Dushanbe Astana Tashkent "
    "Jakarta Kuala Lumpur Naypyidaw Phnom Penh Vientiane Hanoi Kathmandu Ulaanbaatar Pyongyang "
    "Seoul Tokyo Delhi Ankara Cairo Nairobi Lagos Brasilia Geneva Brussels Paris Berlin"
).split()
TOPICS = (
    "trade tariffs sanctions summit parade missile election protest drought floods "
    "inflation pipeline grain ceasefire talks treaty embargo reactor satellite "
    "vaccine strike refinery harvest border visa currency bonds oil gas wheat"
).split()
NOUNS = (
    "agreement ministers delegation cooperation security council forum alliance "
    "exercise corridor railway port bank fund exhibition anniversary memorial"
).split()
ADJECTIVES = (
    "military economic strategic regional bilateral joint national historic "
    "nuclear energy maritime digital green financial"
).split()
FILLER = (
    "the a of in on to with for and at by from after before during as officials said "
    "according reports state media on Tuesday Wednesday government spokesperson told "
    "reporters statement added also was were has have will would new first"
).split()
TEMPLATES_TITLE = [
    "{p1} meets {p2} in {city} as {topic} talks resume",
    "{p1} joins {p2} at {city} {adj} {noun}",
    "{city}: {p1} warns of {topic} after {adj} {noun}",
    "{p1}'s visit to {city} overshadowed by {topic}",
    "{p2} and {p1} sign {adj} {noun} on {topic}",
    "Leaders gather in {city} for {adj} {noun}",
]
TEMPLATES_SUMMARY = [
    "{p1} arrived in {city} on Tuesday for talks with {p2} on {topic} and the {adj} {noun}, "
    "state media said, adding that both sides would {filler}.",
    "The {adj} {noun} in {city} drew {n} heads of state, including {p1} and {p2}, "
    "as officials discussed {topic} and {topic2}. {filler}.",
    "According to a statement, {p2} told reporters that the {topic} dispute with {city} "
    "could be resolved before the {adj} {noun}. {p1} did not comment.",
    "{p1} and {p2} reviewed {topic} cooperation at the {adj} {noun}; "
    "the {topic2} corridor through {city} was also on the agenda. {filler}.",
]
ACCENTED = {"a": "á", "e": "é", "i": "í", "o": "ö", "u": "ü", "c": "č", "s": "š", "z": "ž"}


def syllable_name(rng: random.Random, parts: int) -> str:
    word = "".join(rng.choice(ONSETS) + rng.choice(VOWELS) for _ in range(parts))
    return (word + rng.choice(CODAS)).capitalize()


def make_people(rng: random.Random, count: int) -> list[str]:
    people = set()
    while len(people) < count:
        first = syllable_name(rng, rng.randint(1, 2))
        last = syllable_name(rng, rng.randint(2, 3))
        people.add(f"{first} {last}")
    return sorted(people)


def make_rules(rng: random.Random, people: list[str], count: int) -> list[RuleSpec]:
    rules = []
    for i in range(count):
        kind = rng.random()
        person = rng.choice(people)
        last = person.split()[-1]
        if kind < 0.40:
            query = f'"{person}"'
        elif kind < 0.55:
            query = f'"{rng.choice(ADJECTIVES)} {rng.choice(NOUNS)}" {rng.choice(CITIES)}'
        elif kind < 0.70:
            query = f'"{person}" AND ({rng.choice(TOPICS)} OR {rng.choice(TOPICS)})'
        elif kind < 0.78:
            query = f"{last} AND NOT {rng.choice(TOPICS)}"
        elif kind < 0.88:
            query = f"{last} NEAR/5 {rng.choice(CITIES)}"
        elif kind < 0.94:
            query = f"{last}~ OR title:{rng.choice(people).split()[-1]}"
        else:
            query = f"{last[:5]}* AND ({rng.choice(TOPICS)} OR {rng.choice(NOUNS)})"
        rules.append(RuleSpec(f"r{i}", query))
    return rules


def with_builtins(rng: random.Random, rules: list[RuleSpec], fraction: float) -> list[RuleSpec]:
    """``rules`` with ``fraction`` of them (evenly spread) replaced by built-in entity queries."""
    ids = sorted(builtin_people())
    out = list(rules)
    step = max(1, round(1 / fraction)) if fraction > 0 else 0
    for i in range(0, len(out), step) if step else ():
        a, b = rng.choice(ids), rng.choice(ids)
        query = rng.choice(
            [
                f"@{a}",
                f"@{a} AND {rng.choice(TOPICS)}",
                f"@{a} NEAR/5 {rng.choice(CITIES)}",
                f"(@{a} OR @{b}) AND (parade OR summit)",
                f"@{a} @{b}",
            ]
        )
        out[i] = RuleSpec(out[i].id, query)
    return out


def name_leaders(
    rng: random.Random, corpus: list[tuple[str, str]], share: float
) -> list[tuple[str, str]]:
    """``share`` of the items also name a built-in person, in one of their spellings,
    inflected where the language inflects (Russian genitive, Turkish suffix, German -s)."""
    table = list(builtin_people().values())
    out = []
    for title, summary in corpus:
        if rng.random() < share:
            person = rng.choice(table)
            lang, spellings = rng.choice(person.names)
            name = rng.choice(spellings)
            if lang in ("ru", "uk", "sr") and name[-1:].isalpha() and name[-1] not in "аоеиуя":
                name += "а"
            elif lang == "tr":
                name += "’ın"
            elif lang == "de" and not name.endswith("s"):
                name += "s"
            summary = f"{summary} {name} {rng.choice(FILLER)} {rng.choice(TOPICS)}."
        out.append((title, summary))
    return out


def decorate(rng: random.Random, text: str) -> str:
    """Make some items look like real feeds: curly quotes, accents, dashes, Cyrillic."""
    roll = rng.random()
    if roll < 0.25:
        text = text.replace("'", "\u2019").replace(" - ", " \u2014 ")
    elif roll < 0.35:
        text = "".join(ACCENTED.get(c, c) if rng.random() < 0.1 else c for c in text)
    elif roll < 0.40:
        text += " Москва и Пекин подписали соглашение."
    return text


def make_corpus(rng: random.Random, people: list[str], count: int) -> list[tuple[str, str]]:
    corpus = []
    for _ in range(count):
        fields = {
            "p1": rng.choice(people),
            "p2": rng.choice(people),
            "city": rng.choice(CITIES),
            "topic": rng.choice(TOPICS),
            "topic2": rng.choice(TOPICS),
            "adj": rng.choice(ADJECTIVES),
            "noun": rng.choice(NOUNS),
            "n": rng.randint(2, 30),
            "filler": " ".join(rng.choice(FILLER) for _ in range(rng.randint(8, 20))),
        }
        title = rng.choice(TEMPLATES_TITLE).format(**fields)
        summary = " ".join(
            rng.choice(TEMPLATES_SUMMARY).format(**fields) for _ in range(rng.randint(1, 2))
        )
        corpus.append((decorate(rng, title), decorate(rng, summary)))
    return corpus


def baseline_patterns(rules: list[RuleSpec]) -> list[re.Pattern[str]]:
    """One regex per rule: its words and phrases as alternatives between word boundaries."""
    patterns = []
    for rule in rules:
        terms = re.findall(r'"([^"]+)"|([^\s()"]+)', rule.query)
        literals = []
        for phrase, word in terms:
            text = (phrase or word).rstrip("*~")
            if text in ("AND", "OR", "NOT") or text.startswith("NEAR/"):
                continue
            text = text.split(":", 1)[-1]
            literals.append(r"\s+".join(map(re.escape, text.split())))
        patterns.append(re.compile(r"\b(?:" + "|".join(literals) + r")\b", re.IGNORECASE))
    return patterns


PAIRED_ROUNDS = 8


def rate_engine(ruleset, corpus, budget: float) -> tuple[float, float]:  # type: ignore[no-untyped-def]
    done = hits = 0
    start = time.process_time()
    while True:
        for title, summary in corpus:
            hits += len(ruleset.match(title, summary))
        done += len(corpus)
        elapsed = time.process_time() - start
        if elapsed >= budget:
            return done / elapsed, hits / done


def rate_baseline(patterns, corpus, budget: float) -> float:  # type: ignore[no-untyped-def]
    done = 0
    start = time.process_time()
    for title, summary in corpus:
        for p in patterns:
            if p.search(title) or p.search(summary):
                pass
        done += 1
        if time.process_time() - start >= budget:
            break
    return done / (time.process_time() - start)


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--sizes", default="10,1000,10000")
    parser.add_argument("--corpus", type=int, default=3000)
    parser.add_argument("--budget", type=float, default=3.0, help="seconds per measurement")
    parser.add_argument(
        "--builtins", type=float, default=0.1, help="share of rules on built-in entities (row 2)"
    )
    parser.add_argument(
        "--named",
        type=float,
        default=0.2,
        help="share of items that also name a built-in person (second corpus; 0: skip it)",
    )
    args = parser.parse_args()
    rng = random.Random(SEED)
    people = make_people(rng, 12000)
    mentioned = people[:3000] + make_people(random.Random(SEED + 1), 2000)
    corpus = make_corpus(rng, mentioned, args.corpus)
    words = sum(len((t + " " + s).split()) for t, s in corpus) / len(corpus)
    t0 = time.process_time()
    total = 0
    for i in range(10_000_000):
        total += i
    print(f"calibration: 10M-iteration Python loop in {time.process_time() - t0:.2f} s CPU")
    print("rates are entries per CPU second on one core, normalization included")
    hint = " (NEWSBOT_PURE_PYTHON=1 runs the sources)" if BUILD.startswith("compiled") else ""
    print(f"matcher: {BUILD}{hint}")
    print(f"corpus: {len(corpus)} items, {words:.0f} words per item on average")
    print(
        f"{'rules':>8} {'compile s':>9} {'memory MB':>9} {'engine/s':>9} "
        f"{'baseline/s':>10} {'ratio':>7} {'matches/item':>12} {'vs plain':>8}"
    )
    corpora = [("", corpus)]
    if args.named > 0:
        named = name_leaders(random.Random(SEED + 2), corpus, args.named)
        corpora.append((f"{args.named:.0%} named", named))
    for label, items in corpora:
        if label:
            print(f"corpus: the same items, {label} (a built-in person in one of their scripts)")
        for size in map(int, args.sizes.split(",")):
            rules = make_rules(random.Random(SEED + size), people, size)
            plain_rate = measure(f"{size}", rules, items, args.budget, None)
            if args.builtins > 0:
                mixed = with_builtins(random.Random(SEED + size + 1), rules, args.builtins)
                label = f"{size}+{args.builtins:.0%}@"
                measure(label, mixed, items, args.budget, plain_rate)
                paired(rules, mixed, items, args.budget)


def paired(
    plain: list[RuleSpec], mixed: list[RuleSpec], corpus: list[tuple[str, str]], budget: float
) -> None:
    """The built-in rows' "vs plain" again, measured so that a shared machine's changing
    speed falls on both alike: the two rule sets in alternating short slices, the best slice
    of each (one row each takes its whole budget at another moment, and this machine's speed
    was seen to change 2x between two such moments)."""
    a, b = compile_rules(plain, {}), compile_rules(mixed, {})
    best_a = best_b = 0.0
    for _ in range(PAIRED_ROUNDS):
        best_a = max(best_a, rate_engine(a, corpus, budget / PAIRED_ROUNDS)[0])
        best_b = max(best_b, rate_engine(b, corpus, budget / PAIRED_ROUNDS)[0])
    print(
        f"{'':>8} paired, {PAIRED_ROUNDS} alternating slices, best of each: "
        f"plain {best_a:.0f}/s, with built-ins {best_b:.0f}/s, vs plain {best_b / best_a:.2f}"
    )


def measure(
    label: str,
    rules: list[RuleSpec],
    corpus: list[tuple[str, str]],
    budget: float,
    plain_rate: float | None,
) -> float:
    """Compile ``rules``, measure them, print one row; returns the engine's rate."""
    gc.collect()
    t0 = time.process_time()
    ruleset = compile_rules(rules, {})
    compile_s = time.process_time() - t0
    del ruleset
    gc.collect()
    tracemalloc.start()
    ruleset = compile_rules(rules, {})
    memory = tracemalloc.get_traced_memory()[0] / 1e6
    tracemalloc.stop()
    engine_rate, per_item = rate_engine(ruleset, corpus, budget)
    patterns = baseline_patterns(rules)
    base_rate = rate_baseline(patterns, corpus, budget)
    versus = f"{engine_rate / plain_rate:>8.2f}" if plain_rate else f"{'':>8}"
    print(
        f"{label:>8} {compile_s:>9.2f} {memory:>9.1f} {engine_rate:>9.0f} "
        f"{base_rate:>10.1f} {engine_rate / base_rate:>7.1f} {per_item:>12.2f} {versus}"
    )
    return engine_rate


if __name__ == "__main__":
    main()
