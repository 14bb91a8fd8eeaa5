"""The rules file: every problem reported at once, each at FILE:LINE:COL."""

from __future__ import annotations

import math
from pathlib import Path

import pytest

from bot.config import format_duration, load_rules, parse_duration, parse_rules, rulesfile
from bot.config.rulesfile import MAX_NESTING
from bot.errors import RulesError
from bot.models import Problem, SourcePos
from bot.pipeline import compile_rules_file

GOOD = """\
feeds:
  - id: bbc-world
    url: https://feeds.bbci.co.uk/news/world/rss.xml
    interval: 5m
    backfill: 24h
  - {id: local, url: "file:samples/x.xml", backfill: all}
entities:
  putin: ["Vladimir Putin", "Putin"]
rules:
  - id: parade
    title: Beijing military parade
    query: 'parade AND (Beijing OR Tiananmen)'
    feeds: [bbc-world]
    chats: [-1001234567890]
"""


def lines(error: RulesError) -> tuple[str, ...]:
    """The problems as users see them (``newsbot check``, the admins' reload notice)."""
    return tuple(map(str, error.problems))


def test_a_valid_file(tmp_path: Path) -> None:
    config = parse_rules(GOOD, "r.yaml", base_dir=tmp_path)
    bbc, local = config.feeds
    assert (bbc.interval, bbc.backfill) == (300, 86400)
    assert local.url == (tmp_path / "samples" / "x.xml").as_uri() and math.isinf(
        local.backfill or 0
    )
    (rule,) = config.rules
    assert rule.feeds == ("bbc-world",) and rule.chats == (-1001234567890,)
    assert rule.query_pos is not None and (rule.query_pos.line, rule.query_pos.col) == (12, 13)
    assert config.entities == {"putin": ("Vladimir Putin", "Putin")}


CASES = [
    ("empty file", "", ["r.yaml:1:1: rules file is empty"]),
    ("not a mapping", "- a\n", ["r.yaml:1:1: the rules file must be a mapping"]),
    ("bad yaml", "feeds: [\n", ["r.yaml:2:1: invalid YAML"]),
    ("unknown top key", "feeds: []\nrules: []\nfeed: []\n", ["r.yaml:3:1: unknown key 'feed'"]),
    (
        "missing url",
        "feeds:\n  - {id: a}\nrules: []\n",
        ["r.yaml:2:5: a feed needs both 'id' and 'url'"],
    ),
    (
        "bad scheme",
        "feeds:\n  - {id: a, url: 'ftp://x'}\nrules: []\n",
        ["r.yaml:2:18: feed url 'ftp://x'"],
    ),
    (
        "bad interval",
        "feeds:\n  - {id: a, url: 'http://x/', interval: 5x}\nrules: []\n",
        ["r.yaml:2:41: interval: expected a duration"],
    ),
    (
        "interval too small",
        "feeds:\n  - {id: a, url: 'http://x/', interval: 0.5s}\nrules: []\n",
        ["r.yaml:2:41: interval must be at least 1s"],
    ),
    (
        "interval zero (issue 12, item 4: was silently 300 s)",
        "feeds:\n  - {id: a, url: 'http://x/', interval: 0}\nrules: []\n",
        ["r.yaml:2:41: interval must be at least 1s (got 0s)"],
    ),
    (
        "unclosed quote (issue 12, item 5: pointed at the end of the file)",
        "feeds:\n  - {id: a, url: 'http://x/}\nrules:\n  - {id: r, query: x}\n",
        ["r.yaml:2:18: invalid YAML: unclosed quote"],
    ),
    (
        "duplicate feed",
        "feeds:\n  - {id: a, url: 'http://x/'}\n  - {id: a, url: 'http://y/'}\nrules: []\n",
        ["r.yaml:3:10: duplicate feed id 'a'"],
    ),
    (
        "unknown feed in rule",
        "feeds: []\nrules:\n  - {id: r, query: x, feeds: [nope]}\n",
        ["r.yaml:3:31: rule 'r': unknown feed 'nope'"],
    ),
    (
        "bad rule id",
        "feeds: []\nrules:\n  - {id: 'a b', query: x}\n",
        ["r.yaml:3:10: rule id 'a b'"],
    ),
    (
        "bad chat id",
        "feeds: []\nrules:\n  - {id: r, query: x, chats: [abc]}\n",
        ["r.yaml:3:31: rule 'r': chat id must be a whole number"],
    ),
    (
        "duplicate key",
        "feeds: []\nfeeds: []\nrules: []\n",
        ["r.yaml:2:1: the rules file: duplicate key 'feeds'"],
    ),
    (
        "several at once",
        "feeds:\n  - {id: a}\nrules:\n  - {query: x}\n",
        ["r.yaml:2:5: a feed needs", "r.yaml:4:5: a rule needs"],
    ),
]


@pytest.mark.parametrize(("text", "expected"), [c[1:] for c in CASES], ids=[c[0] for c in CASES])
def test_problems_have_positions(text: str, expected: list[str]) -> None:
    with pytest.raises(RulesError) as caught:
        parse_rules(text, "r.yaml")
    problems = [str(p) for p in caught.value.problems]  # the text users see
    assert len(problems) == len(expected), problems
    for line, want in zip(problems, expected, strict=True):
        assert line.startswith(want), (line, want)


def test_unreadable_and_non_utf8_files(tmp_path: Path) -> None:
    with pytest.raises(RulesError, match="cannot read rules file"):
        load_rules(tmp_path / "missing.yaml")
    bad = tmp_path / "latin1.yaml"
    bad.write_bytes("feeds: []\nrules: [{id: r, query: caf\xe9}]\n".encode("latin-1"))
    with pytest.raises(RulesError, match="not UTF-8"):
        load_rules(bad)


@pytest.mark.parametrize(
    ("text", "seconds"),
    [("30s", 30), ("5m", 300), ("1h30m", 5400), ("2d", 172800), (90, 90), ("1.5h", 5400)],
)
def test_durations(text: object, seconds: float) -> None:
    assert parse_duration(text) == seconds


@pytest.mark.parametrize("bad", ["", "5x", "m5", "-5m", True, None, "5 minutes"])
def test_bad_durations(bad: object) -> None:
    with pytest.raises(ValueError, match="duration"):
        parse_duration(bad)


def test_format_duration() -> None:
    assert [format_duration(s) for s in (300, 5400, 1, math.inf)] == ["5m", "1h30m", "1s", "all"]


# (text, line, column, id): where the node one level too deep starts (the top mapping is level 1)
DEEP = [
    ("feeds: []\nrules: " + "[" * 1000 + "]" * 1000 + "\n", 2, 8 + MAX_NESTING - 1, "flow-1000"),
    ("feeds: []\nrules:\n" + "- " * 1000 + "x\n", 3, 1 + 2 * (MAX_NESTING - 1), "block-1000"),
    (
        "feeds: []\nrules: []\nentities:\n"
        + "".join("  " * i + "a:\n" for i in range(1, 1001))
        + "  " * 1001
        + "x\n",
        MAX_NESTING + 2,
        2 * (MAX_NESTING - 1) + 1,
        "mappings-1000",
    ),
    ("feeds: []\nrules: " + "[" * 100_000, 2, 8 + MAX_NESTING - 1, "unclosed-100000"),
]


@pytest.mark.parametrize(("text", "line", "col"), [d[:3] for d in DEEP],
                         ids=[d[3] for d in DEEP])  # fmt: skip
def test_deep_nesting_is_a_problem_at_its_position(text: str, line: int, col: int) -> None:
    with pytest.raises(RulesError) as caught:
        parse_rules(text, "r.yaml")
    assert lines(caught.value) == (
        f"r.yaml:{line}:{col}: nested too deeply (more than {MAX_NESTING} levels of lists "
        "and mappings)",
    )


def test_deep_nesting_is_a_rules_error_for_reload_and_check(tmp_path: Path) -> None:
    """The hot reload tells the admins about RulesError only: a RecursionError escaped it."""
    path = tmp_path / "deep.yaml"
    path.write_text("feeds: []\nrules: " + "[" * 1000 + "]" * 1000 + "\n", encoding="utf-8")
    with pytest.raises(RulesError) as caught:
        compile_rules_file(path)
    assert lines(caught.value) == (
        f"{path}:2:{8 + MAX_NESTING - 1}: nested too deeply (more than {MAX_NESTING} levels "
        "of lists and mappings)",
    )


def test_a_recursion_error_is_still_a_rules_error(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setattr(rulesfile, "MAX_NESTING", 1_000_000)
    with pytest.raises(RulesError) as caught:
        parse_rules("feeds: []\nrules: " + "[" * 10_000, "r.yaml")
    (problem,) = lines(caught.value)
    assert problem.startswith("r.yaml:1:1: rules file too complex to read (RecursionError(")


def test_nesting_up_to_the_limit_is_read() -> None:
    text = (
        "feeds: []\nrules: []\nentities: {x: "
        + "[" * (MAX_NESTING - 2)
        + "]" * (MAX_NESTING - 2)
        + "}\n"
    )
    with pytest.raises(RulesError) as caught:
        parse_rules(text, "r.yaml")
    assert lines(caught.value) == (
        "r.yaml:3:15: entity 'x' needs at least one alias",
        "r.yaml:3:16: alias of 'x' must be a single value, not a list or mapping",
    )


def _laughs(levels: int) -> str:
    lines = ["feeds: []", "l0: &l0 [" + ", ".join(["lol"] * 10) + "]"]
    for i in range(1, levels):
        lines.append(f"l{i}: &l{i} [" + ", ".join([f"*l{i - 1}"] * 10) + "]")
    last = f"*l{levels - 1}"
    lines += [f"entities: {{boom: {last}}}", f"rules: {last}", ""]
    return "\n".join(lines)


@pytest.mark.timeout(30, method="thread")
def test_aliases_are_never_expanded() -> None:
    """A "billion laughs" file (10**30 leaves once expanded) is read in time linear in its
    size: aliases stay shared nodes, and only one level below each section is looked at."""
    with pytest.raises(RulesError) as caught:
        parse_rules(_laughs(30), "r.yaml")
    problems = lines(caught.value)
    assert problems[0] == "r.yaml:2:1: unknown key 'l0' (expected one of: feeds, entities, rules)"
    # an alias is its anchored node: positions point where l28 was defined (line 30)
    assert problems.count("r.yaml:30:6: alias of 'boom' must be a single value, not a list or "
                          "mapping") == 10  # fmt: skip
    assert problems.count("r.yaml:30:6: a rule must be a mapping of keys to values") == 10
    assert len(problems) == 30 + 1 + 10 + 10  # unknown keys, "boom" has no alias, 10 + 10


def test_a_self_referencing_alias_is_read() -> None:
    with pytest.raises(RulesError) as caught:
        parse_rules("feeds: []\nrules: &r [*r, *r]\n", "r.yaml")
    assert lines(caught.value) == ("r.yaml:2:8: a rule must be a mapping of keys to values",) * 2


def test_a_duplicate_rule_id_does_not_hide_that_rules_query_error(tmp_path: Path) -> None:
    """Issue 12, item 5: every problem at once, the duplicate's query error among them."""
    from bot.pipeline import compile_rules_file

    rules = tmp_path / "r.yaml"
    rules.write_text(
        "feeds: []\nrules:\n  - {id: r, query: parade}\n  - {id: r, query: '(parade'}\n"
    )
    with pytest.raises(RulesError) as caught:
        compile_rules_file(rules)
    problems = [p.replace(str(rules), "r.yaml") for p in lines(caught.value)]
    assert problems == [
        "r.yaml:4:10: duplicate rule id 'r'",
        "r.yaml:4:21: rule 'r': unclosed '('",
    ]


def test_problems_are_records_with_the_rule_and_the_position() -> None:
    """Issue 12, item 15: a problem carries its position and rule id as fields (it was a
    preformatted string, parsed back with a regex to sort), and what did parse comes along
    as a ``RulesConfig``."""
    text = (
        "feeds:\n  - {id: a, url: 'http://x/'}\n"
        "rules:\n  - {id: r, query: x, chats: [abc], feeds: [nope]}\n  - {id: 'a b', query: y}\n"
    )
    with pytest.raises(RulesError) as caught:
        parse_rules(text, "r.yaml")
    assert caught.value.problems == (  # in file order
        Problem("chat id must be a whole number, got 'abc'", SourcePos("r.yaml", 4, 31), "r"),
        Problem("unknown feed 'nope'", SourcePos("r.yaml", 4, 45), "r"),
        Problem(
            "rule id 'a b' must be 1-64 letters, digits, '-', '_' or '.'",
            SourcePos("r.yaml", 5, 10),
        ),
    )
    partial = caught.value.partial
    assert partial is not None
    assert [f.id for f in partial.feeds] == ["a"] and [r.id for r in partial.rules] == ["r"]
    assert lines(caught.value)[1] == "r.yaml:4:45: rule 'r': unknown feed 'nope'"


def test_query_problems_of_a_rules_file_keep_the_query_offset(tmp_path: Path) -> None:
    rules = tmp_path / "r.yaml"
    rules.write_text("feeds: []\nrules:\n  - {id: r, query: 'parade AND (x'}\n")
    with pytest.raises(RulesError) as caught:
        compile_rules_file(rules)
    (problem,) = caught.value.problems
    assert problem == Problem("unclosed '('", SourcePos(str(rules), 3, 32), "r", 11)
