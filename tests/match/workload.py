"""A deterministic mix of rules and entries that exercises every part of the matcher.

``python -m tests.match.workload`` prints, as JSON, which modules ran (``bot.match.BUILD``)
and every entry's matches: ``test_build`` runs it under ``NEWSBOT_PURE_PYTHON=1`` and
compares with the compiled modules in its own process.
"""

from __future__ import annotations

import json
import random
from typing import Any

from bot.match import BUILD, compile_rules
from bot.models import RuleSpec

SEED = 20250903
WORDS = [
    "Putin", "Kim", "Jong", "Un", "Xi", "Jinping", "Vučić", "Lukashenko", "parade", "Beijing",
    "Tiananmen", "Moscow", "summit", "military", "Pezeshkian", "Prabowo", "Anwar", "Tokayev",
]  # fmt: skip
NOISE = [
    "Путин", "Kim-Jong-un", "Xi's", "Xi'an", "VUČIĆ", "Vucic", "習近平", "习近平检阅部队",
    "parades", "paradegoers", "Kimberly", "Beijng", "Puttin", "ﬁnance", "Ｘｉ", "soft\u00adhyphen",
    "leaders’", "Tian'anmen", "Lukashenka", "—", ",", ".", "&", "“Putin”", "Πούτιν",
]  # fmt: skip
ENTITIES = {"leaders": ["Putin", "Xi Jinping", "Kim Jong Un", "Путин", "习近平"]}


def _term(rng: random.Random) -> str:
    word = rng.choice(WORDS)
    field = rng.choice(["", "", "", "title:", "summary:"])
    kind = rng.randrange(10)
    if kind <= 3:
        return field + word
    if kind <= 5:
        return f'{field}"{word} {rng.choice(WORDS)}"'
    if kind == 6:
        return f"{field}{word[:3]}*"
    if kind == 7:
        return f"{field}{word}~" if len(word) >= 3 else field + word
    if kind == 8:
        return f"{field}@leaders"
    return f"{field}/{word[:4].lower()}[a-z]*/"


def _query(rng: random.Random, depth: int = 0) -> str:
    kind = rng.randrange(7 if depth < 2 else 1)
    if kind == 0:
        return _term(rng)
    if kind == 1:
        return f"{_query(rng, depth + 1)} OR {_query(rng, depth + 1)}"
    if kind == 2:
        return f"({_query(rng, depth + 1)}) {_query(rng, depth + 1)}"
    if kind == 3:
        return f"{_query(rng, depth + 1)} NOT {_term(rng)}"
    if kind == 4:
        return f"{_query(rng, depth + 1)} AND {_term(rng)}"
    if kind == 5:
        return f"({_term(rng)} OR {_term(rng)}) OR {_term(rng)}"
    return f'{rng.choice(WORDS)} NEAR/{rng.randrange(4)} "{rng.choice(WORDS)}"'


def _text(rng: random.Random, size: int) -> str:
    return " ".join(rng.choice(WORDS + NOISE) for _ in range(rng.randrange(size)))


def run() -> dict[str, Any]:
    rng = random.Random(SEED)
    rules = [RuleSpec(f"r{i}", _query(rng)) for i in range(200)]
    rules += [RuleSpec(f"f{i}", _term(rng), feeds=("a",)) for i in range(20)]
    ruleset = compile_rules(rules, ENTITIES)
    out = []
    for i in range(300):
        title, summary = _text(rng, 14), _text(rng, 60)
        for m in ruleset.match(title, summary, rng.choice(["a", "b", None])):
            out.append([i, m.rule_id, [list(s) for s in m.spans]])
    return {"build": BUILD, "matches": out}


if __name__ == "__main__":
    print(json.dumps(run()))
