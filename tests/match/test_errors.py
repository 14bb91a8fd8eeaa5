"""Malformed queries: exact messages and positions; the parser only ever raises QueryError."""

from __future__ import annotations

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from bot.errors import QueryError, RulesError
from bot.match import compile_query, compile_rules
from bot.models import Problem, RuleSpec, SourcePos

ENTITIES = {"xi": ["Xi Jinping"], "kim": ["Kim Jong Un"]}

# (query, message, 0-based offset, id)
ERRORS = [
    ("", "empty query", 0, "empty"),
    ("   ", "empty query", 0, "blank"),
    ("(Putin OR Xi", "unclosed '('", 0, "unclosed-paren"),
    ("Putin (Xi", "unclosed '('", 6, "unclosed-paren-inner"),
    ("Putin) Xi", "unmatched ')'", 5, "unmatched-paren"),
    ("Putin ()", "empty group '()'", 6, "empty-group"),
    ("AND Putin", "AND needs a term, phrase or group on both sides", 0, "dangling-and-left"),
    ("Putin AND", "AND needs a term, phrase or group on both sides", 6, "dangling-and-right"),
    ("Putin OR", "OR needs a term, phrase or group on both sides", 6, "dangling-or"),
    ("Putin OR OR Xi", "OR needs a term, phrase or group on both sides", 6, "double-or"),
    ("(Putin AND) Xi", "AND needs a term, phrase or group on both sides", 7, "and-before-paren"),
    ("Putin NOT", "NOT needs a term, phrase or group after it", 6, "dangling-not"),
    ("NEAR/3 Xi", "NEAR/3 needs a term or phrase on both sides", 0, "near-no-left"),
    ("Putin NEAR/3", "NEAR/3 needs a term or phrase on both sides", 6, "near-no-right"),
    ("Putin NEAR/3 NOT Xi", "NEAR/3 needs a term or phrase on both sides", 6, "near-not"),
    ("Putin NEAR/51 Xi", "NEAR distance must be between 0 and 50", 11, "near-out-of-range"),
    ("Putin NEAR/x Xi", "NEAR/ needs a whole number of words, e.g. NEAR/5", 11, "near-not-number"),
    (
        "Putin NEAR/3 (Xi AND Kim)",
        "NEAR/3 joins terms, phrases or OR-groups of them, not AND, NOT or NEAR expressions",
        6,
        "near-and-side",
    ),
    ("title:Putin NEAR/3 summary:Xi", "NEAR/3 sides are in different fields", 12, "near-fields"),
    (
        "@nobody",
        "unknown entity '@nobody' (known: @kim, @xi; built-ins: `newsbot entities`)",
        0,
        "unknown-entity",
    ),
    ("Putin @", "'@' needs an entity name right after it", 6, "bare-at"),
    ("Putin /(?=x)/", "invalid regex: invalid perl operator: (?=", 6, "bad-regex"),
    ("Putin /abc", "unclosed regex: add a closing '/'", 6, "unclosed-regex"),
    ("//", "empty regex '//'", 0, "empty-regex"),
    ('Xi "Kim Jong', "unclosed quote", 3, "unclosed-quote"),
    ('Xi ""', "empty phrase: nothing to match inside the quotes", 3, "empty-phrase"),
    ("Xi~", "'Xi~': fuzzy matching needs a word of at least 3 letters", 0, "fuzzy-too-short"),
    ("Putin~2", "'Putin~2': ~2 needs a word of at least 6 letters", 0, "fuzzy-2-too-short"),
    ("Putin~3", "'Putin~3': fuzzy distance must be ~1 or ~2", 6, "fuzzy-3"),
    ("Jong-un~", "'Jong-un~': fuzzy matching works on one word, not a phrase", 0, "fuzzy-phrase"),
    ("x Pu~tin", "'~' is only allowed after a word, as word~ or word~1", 4, "tilde-inside"),
    ("a*", "prefix 'a*' is too short (at least 2 letters)", 0, "prefix-too-short"),
    ("Pu*tin", "'*' is only allowed at the end of a word", 2, "star-inside"),
    ("Putin -", "'-' has no letters or digits to match", 6, "no-letters"),
    ("title: Putin", "'title:' needs a term, phrase or group right after it", 0, "field-space"),
    (
        "title:(summary:Putin)",
        "'summary:' inside another field can never match",
        7,
        "field-conflict",
    ),
    ("(" * 40 + "x" + ")" * 40, "groups nested too deeply (at most 32)", 32, "too-deep"),
]


@pytest.mark.parametrize(
    ("query", "message", "pos"), [e[:3] for e in ERRORS], ids=[e[3] for e in ERRORS]
)
def test_query_errors(query: str, message: str, pos: int) -> None:
    with pytest.raises(QueryError) as info:
        compile_query(query, ENTITIES)
    assert (info.value.message, info.value.pos) == (message, pos)
    assert str(info.value) == f"{message} (at column {pos + 1})"


def test_max_length() -> None:
    with pytest.raises(QueryError) as info:
        compile_query("Putin OR Xi", max_length=5)
    assert info.value.pos == 5
    assert "too long" in info.value.message
    assert compile_query("Putin", max_length=5).rule_ids == ("query",)


def test_compile_rules_lists_every_problem_with_positions() -> None:
    rules = [
        RuleSpec("ok", "Putin"),
        RuleSpec("paren", "(Xi OR Kim", query_pos=SourcePos("rules.yml", 7, 12)),
        RuleSpec("entity", "Putin AND @nobody", query_pos=SourcePos("rules.yml", 9, 12)),
        RuleSpec("nopos", "Putin NEAR/3"),
        RuleSpec("ok", "Xi", query_pos=SourcePos("rules.yml", 13, 12)),
    ]
    with pytest.raises(RulesError) as info:
        compile_rules(rules, ENTITIES)
    assert not isinstance(info.value, QueryError)
    assert tuple(map(str, info.value.problems)) == (
        "rules.yml:7:12: rule 'paren': unclosed '('",
        "rules.yml:9:22: rule 'entity': unknown entity '@nobody' "
        "(known: @kim, @xi; built-ins: `newsbot entities`)",
        "rule 'nopos': NEAR/3 needs a term or phrase on both sides (at column 7)",
        "rules.yml:13:12: rule 'ok': duplicate rule id",
    )
    # the same problems as records: position (query column + offset), rule id, offset
    paren, entity, nopos, duplicate = info.value.problems
    assert paren == Problem("unclosed '('", SourcePos("rules.yml", 7, 12), "paren", 0)
    assert (entity.pos, entity.rule_id, entity.offset) == (
        SourcePos("rules.yml", 9, 22),
        "entity",
        10,
    )
    assert (nopos.pos, nopos.rule_id, nopos.offset) == (None, "nopos", 6)
    assert duplicate.message == "duplicate rule id" and duplicate.rule_id == "ok"


def test_entity_alias_without_letters() -> None:
    with pytest.raises(QueryError, match="alias '---' has no letters or digits"):
        compile_query("@bad", {"bad": ["---"]})


QUERY_ALPHABET = st.sampled_from(
    [
        "Putin", "Xi", "Kim", "Jong-un", " ", " ", "AND", "OR", "NOT", "NEAR/3", "NEAR/", "NEAR",
        "(", ")", '"', "“", "/", "\\", "@xi", "@", "title:", "summary:", "*", "~", "~1", "~9",
        "Pezeshkian", "习近平", "[", "?", "'s", "-", "\u00ad", "é", "0",
    ]
)  # fmt: skip


@pytest.fixture(autouse=True, scope="module")
def _people_loaded() -> None:
    """The built-in people load on first use (about a second): not inside a timed example
    (hypothesis's 200 ms deadline failed the first one that named ``@xi``)."""
    compile_query("@xi", ENTITIES)


@settings(max_examples=500)
@given(st.lists(QUERY_ALPHABET, max_size=20).map("".join))
def test_parser_only_raises_query_error_on_query_like_text(query: str) -> None:
    try:
        ruleset = compile_query(query, ENTITIES)
    except QueryError as exc:
        assert 0 <= exc.pos <= len(query)
    else:
        ruleset.match("Putin meets Xi Jinping", "Kim Jong-un 习近平 Pezeshkian")


@settings(max_examples=500)
@given(st.text())
def test_parser_only_raises_query_error_on_arbitrary_text(query: str) -> None:
    try:
        compile_query(query, ENTITIES)
    except QueryError as exc:
        assert 0 <= exc.pos <= len(query)
