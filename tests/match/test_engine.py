"""The engine's shortcuts against plain evaluation of the syntax tree.

The engine only evaluates rules whose trigger key hit, skips candidates whose required
literals are missing, and decides rules that are one literal or an OR of literals from the
hit alone (the "direct" fast path).  These tests compare it with a naive evaluator of the
parsed query over the folded words, and with the engine's own general path (every
shortcut disabled), on random rules and texts.
"""

from __future__ import annotations

from hypothesis import given, settings
from hypothesis import strategies as st
from rapidfuzz.distance import Levenshtein

from bot.match import compile_query, compile_rules, tokenize
from bot.match import nodes as n
from bot.match.engine import RuleSet
from bot.match.query import parse
from bot.models import RuleSpec

VOCAB = ["kim", "jong", "un", "putin", "xi", "parade", "beijing", "moscow", "summit", "tokyo"]
NOISE = ["Puten", "Bejing", "PARADE", "Kim-Jong-un", "Путин", "Xi's", "parades", "tokio", "the"]


def general(ruleset: RuleSet) -> RuleSet:
    """The same rules with every shortcut off: each candidate's program is evaluated."""
    return ruleset.without_shortcuts()


def _field_words(title: str, summary: str) -> dict[int, list[str]]:
    return {n.TITLE: tokenize(title).words, n.SUMMARY: tokenize(summary).words}


def _positions(node: n.Node, fields: dict[int, list[str]]) -> list[tuple[int, int, int]]:
    """(field, first word, last word + 1) of each occurrence of a positional node."""
    out: list[tuple[int, int, int]] = []
    if isinstance(node, n.Or):
        for child in node.children:
            out += _positions(child, fields)
        return out
    for field, words in fields.items():
        if isinstance(node, n.Phrase) and node.fields & field:
            size = len(node.words)
            for i in range(len(words) - size + 1):
                got = words[i : i + size]
                same = got[:-1] == list(node.words[:-1])
                last = (
                    got[-1].startswith(node.words[-1]) if node.prefix else got[-1] == node.words[-1]
                )
                if same and last:
                    out.append((field, i, i + size))
        elif isinstance(node, n.Fuzzy) and node.fields & field:
            for i, w in enumerate(words):
                if len(w) >= 2 and Levenshtein.distance(w, node.word) <= node.distance:
                    out.append((field, i, i + 1))
    return out


def naive(node: n.Node, fields: dict[int, list[str]]) -> bool:
    """Whether ``node`` is true of the entry, straight from the definitions."""
    if isinstance(node, n.And):
        return all(naive(c, fields) for c in node.children)
    if isinstance(node, n.Or):
        return any(naive(c, fields) for c in node.children)
    if isinstance(node, n.Not):
        return not naive(node.child, fields)
    if isinstance(node, n.Near):
        return any(
            fa == fb and max(b0 - a1, a0 - b1) <= node.distance
            for fa, a0, a1 in _positions(node.left, fields)
            for fb, b0, b1 in _positions(node.right, fields)
        )
    return bool(_positions(node, fields))


def _term(draw: st.DrawFn) -> str:
    word = draw(st.sampled_from(VOCAB))
    kind = draw(st.integers(0, 9))
    field = draw(st.sampled_from(["", "", "", "title:", "summary:"]))
    if kind <= 4:
        return field + word
    if kind <= 6:
        return f'{field}"{word} {draw(st.sampled_from(VOCAB))}"'
    if kind == 7:
        return f"{field}{word[:2]}*"
    return f"{field}{word}~" if len(word) >= 3 else field + word


@st.composite
def queries(draw: st.DrawFn, depth: int = 0) -> str:
    kind = draw(st.integers(0, 6 if depth < 2 else 0))
    if kind <= 1:
        return _term(draw)
    if kind == 2:
        return f"{draw(queries(depth + 1))} OR {draw(queries(depth + 1))}"
    if kind == 3:
        return f"({draw(queries(depth + 1))}) {draw(queries(depth + 1))}"
    if kind == 4:
        return f"{draw(queries(depth + 1))} NOT {_term(draw)}"
    if kind == 5:
        return f"({_term(draw)} OR {_term(draw)}) OR {_term(draw)}"
    side = f'"{draw(st.sampled_from(VOCAB))}"'
    return f"{_term(draw).split(':')[-1]} NEAR/{draw(st.integers(0, 3))} {side}"


texts = st.lists(st.sampled_from(VOCAB + NOISE + [",", "—", "."]), max_size=14).map(" ".join)


@settings(max_examples=300, deadline=None)
@given(st.lists(queries(), min_size=1, max_size=12), st.lists(st.tuples(texts, texts), max_size=6))
def test_engine_agrees_with_naive_evaluation(qs: list[str], entries: list[tuple[str, str]]) -> None:
    rules = [RuleSpec(f"r{i}", q) for i, q in enumerate(qs)]
    ruleset = compile_rules(rules, {})
    slow = general(ruleset)
    trees = [parse(q) for q in qs]
    for title, summary in entries:
        got = ruleset.match(title, summary)
        assert got == slow.match(title, summary)
        fields = _field_words(title, summary)
        expected = [f"r{i}" for i, tree in enumerate(trees) if naive(tree, fields)]
        assert [m.rule_id for m in got] == expected


@settings(max_examples=200, deadline=None)
@given(
    st.lists(st.sampled_from(VOCAB), min_size=1, max_size=4),
    st.lists(st.tuples(texts, texts), min_size=1, max_size=4),
)
def test_direct_path_equals_general_path(words: list[str], entries: list[tuple[str, str]]) -> None:
    queries_ = [" OR ".join(words), f'"{words[0]} {words[-1]}"', words[0], f"{words[0]}*"]
    ruleset = compile_rules([RuleSpec(f"r{i}", q) for i, q in enumerate(queries_)], {})
    assert all(rule.direct is not None for rule in ruleset.rules)
    slow = general(ruleset)
    for title, summary in entries:
        assert ruleset.match(title, summary) == slow.match(title, summary)


def test_which_rules_take_the_direct_path() -> None:
    assert compile_query('"Kim Jong Un" OR Putin OR parad*').rules[0].direct is not None
    assert compile_query("(Putin OR Xi) OR Kim").rules[0].direct is not None
    assert compile_query("title:Putin").rules[0].direct is None  # may hit in the summary only
    assert compile_query("Putin OR title:Xi").rules[0].direct is None
    assert compile_query("Putin~ OR Xi").rules[0].direct is None
    assert compile_query("Putin Xi").rules[0].direct is None


def test_trigger_prefers_keys_few_rules_use() -> None:
    rules = [RuleSpec(f"city{i}", f"Beijing AND topic{i}") for i in range(5)]
    rules.append(RuleSpec("near", "Pezeshkian NEAR/3 Beijing"))
    ruleset = compile_rules(rules, {})
    automaton = ruleset.triggers.automaton
    # "near" is triggered by Pezeshkian (one rule uses it), not by Beijing (six rules)
    assert ruleset.triggers.literal_rules[automaton.get(" pezeshkian ")] == (5,)
    assert 5 not in ruleset.triggers.literal_rules[automaton.get(" beijing ")]
    assert [m.rule_id for m in ruleset.match("Pezeshkian in Beijing", "")] == ["near"]
    assert [m.rule_id for m in ruleset.match("Beijing topic2", "")] == ["city2"]


def test_which_rules_take_the_leaves_path() -> None:
    # one term or an OR of terms that the direct path does not take: fuzzy or field-bound
    assert compile_query("Putin~ OR title:Xi").rules[0].leaves is not None
    assert compile_query("title:Putin").rules[0].leaves is not None
    assert compile_query("(Putin~ OR Xi) OR summary:parad*").rules[0].leaves is not None
    assert compile_query("Putin OR Xi").rules[0].leaves is None  # direct
    assert compile_query("Putin OR /xi/").rules[0].leaves is None
    assert compile_query("Putin~ Xi").rules[0].leaves is None
    ruleset = compile_query("Puten~ OR title:Xi")
    assert ruleset.match("Xi meets Putin", "") == general(ruleset).match("Xi meets Putin", "")
    assert [m.rule_id for m in ruleset.match("Putin", "")] == ["query"]
    assert ruleset.match("parade", "Xi") == []


def test_alternatives_drop_candidates_missing_a_whole_or() -> None:
    ruleset = compile_query('"Kim Jong" AND (parade OR summit) AND NOT (x OR y)')
    automaton = ruleset.triggers.automaton
    group = frozenset({automaton.get(" parade "), automaton.get(" summit ")})
    assert ruleset.rules[0].alternatives == (group,)  # not the NOT's OR
    assert compile_query("(parade OR summit) AND Kim~").rules[0].alternatives is not None
    # the group that makes the rule a candidate is met whenever the rule is one
    assert compile_query("(parade OR summit) NOT Kim").rules[0].alternatives is None
    assert compile_query("(parade OR Kim~) AND Xi").rules[0].alternatives is None
    assert [m.rule_id for m in ruleset.match("Kim Jong at the summit", "")] == ["query"]
    assert ruleset.match("Kim Jong at the talks", "") == []
