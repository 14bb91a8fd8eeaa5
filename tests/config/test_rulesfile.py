"""The rules file: every problem reported at once, each at FILE:LINE:COL."""

from __future__ import annotations

import math
from pathlib import Path

import pytest

from bot.config import format_duration, load_rules, parse_duration, parse_rules
from bot.errors import RulesError

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
    problems = caught.value.problems
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
