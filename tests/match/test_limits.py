"""Size limits of queries: huge inputs get a clear error, never a crash or a quadratic parse.

pyahocorasick frees its trie recursively, one C stack frame per character of the longest key:
a key of ~520,000 characters overflowed an 8 MiB stack (SIGSEGV when the rule set was freed).
The crashing inputs run in a subprocess, so a crash is a failed test, not a dead pytest."""

from __future__ import annotations

import os
import subprocess
import sys
import textwrap
import time
from pathlib import Path

import pytest

from bot.errors import QueryError, RulesError
from bot.match import compile_query, compile_rules
from bot.match.query import MAX_PHRASE_WORDS, MAX_QUERY, MAX_TERM, _lex
from bot.models import RuleSpec, SourcePos
from bot.pipeline import compile_rules_file

ROOT = Path(__file__).resolve().parents[2]
WORDS = " ".join(f"w{i}" for i in range(MAX_PHRASE_WORDS + 1))  # one word too many


def run(*args: str, code: str | None = None) -> subprocess.CompletedProcess[str]:
    env = {k: v for k, v in os.environ.items() if not k.startswith(("TELEGRAM_", "NEWSBOT_"))}
    command = [sys.executable, "-X", "faulthandler"]
    command += ["-c", textwrap.dedent(code)] if code is not None else ["-m", "bot", *args]
    return subprocess.run(
        command, capture_output=True, text=True, cwd=ROOT, env=env, timeout=100, check=False
    )


def rules_file(tmp_path: Path, query: str) -> Path:
    path = tmp_path / "big.yaml"
    path.write_text(
        "feeds:\n  - id: f\n    url: https://example.com/feed\n"
        f"rules:\n  - id: big\n    query: '{query}'\n",
        encoding="utf-8",
    )
    return path


HUGE = [
    ('"' + " ".join(f"w{i}" for i in range(100_000)) + '"', "phrase-100000-words"),
    ("a" * 1_000_000, "word-1MB"),
    (" OR ".join(f"w{i}" for i in range(125_000)), "or-125000-terms"),
]


@pytest.mark.parametrize("query", [h[0] for h in HUGE], ids=[h[1] for h in HUGE])
def test_check_rejects_a_huge_query_and_exits_cleanly(tmp_path: Path, query: str) -> None:
    path = rules_file(tmp_path, query)
    result = run("check", str(path))
    assert result.returncode == 1, (result.returncode, result.stderr[-2000:])
    assert result.stderr == (
        f"{path}:6:{13 + MAX_QUERY}: rule 'big': query is too long "
        f"({len(query)} characters, at most {MAX_QUERY})\n"
    )


def test_rules_file_phrase_limit_has_its_position(tmp_path: Path) -> None:
    path = rules_file(tmp_path, f'Putin "{WORDS}"')
    with pytest.raises(RulesError) as info:
        compile_rules_file(path)
    assert tuple(map(str, info.value.problems)) == (
        f"{path}:6:19: rule 'big': phrase has too many words "
        f"({MAX_PHRASE_WORDS + 1}, at most {MAX_PHRASE_WORDS})",
    )


def test_an_automaton_key_can_never_be_deep() -> None:
    """The compiler is the one place keys enter the automaton: it refuses a deep one whatever
    tree it is given (here a phrase no parser would produce)."""
    result = run(
        code="""
        from bot.errors import QueryError
        from bot.match.compile import _build
        from bot.match.nodes import BOTH, Phrase
        from bot.models import RuleSpec
        try:
            ruleset = _build([(RuleSpec("r", "x"), Phrase(("a" * 600_000,), BOTH, 7))])
        except QueryError as exc:
            print(exc.message, exc.pos)
        else:
            del ruleset
            print("built")
        """
    )
    assert result.returncode == 0, (result.returncode, result.stderr[-2000:])
    assert result.stdout == "term is too long (600000 characters, at most 500) 7\n"


def test_the_longest_allowed_key_is_freed_on_a_small_thread_stack() -> None:
    """The limit leaves a wide margin: the deepest trie allowed is built and freed in a thread
    with a 64 KiB stack (the measured cost is ~16 bytes of stack per character)."""
    result = run(
        code=f"""
        import threading
        from bot.match import compile_query
        def work():
            ruleset = compile_query('"' + "x" * {MAX_TERM} + '"')
            assert ruleset.match("x" * {MAX_TERM}, "")
            del ruleset
            print("freed")
        threading.stack_size(64 * 1024)
        thread = threading.Thread(target=work)
        thread.start()
        thread.join()
        """
    )
    assert (result.returncode, result.stdout) == (0, "freed\n"), result.stderr[-2000:]


LIMITS = [
    (
        "x" * (MAX_QUERY + 1),
        f"query is too long ({MAX_QUERY + 1} characters, at most {MAX_QUERY})",
        MAX_QUERY,
        "query",
    ),
    (
        f'Putin "{WORDS}"',
        f"phrase has too many words ({MAX_PHRASE_WORDS + 1}, at most {MAX_PHRASE_WORDS})",
        6,
        "phrase-words",
    ),
    (
        f"Putin {WORDS.replace(' ', '-')}",
        f"phrase has too many words ({MAX_PHRASE_WORDS + 1}, at most {MAX_PHRASE_WORDS})",
        6,
        "hyphenated-words",
    ),
    (
        f"Putin {'a' * (MAX_TERM + 1)}",
        f"term is too long ({MAX_TERM + 1} characters, at most {MAX_TERM})",
        6,
        "word",
    ),
    (
        f"Putin {'a' * (MAX_TERM + 1)}~",
        f"term is too long ({MAX_TERM + 1} characters, at most {MAX_TERM})",
        6,
        "fuzzy",
    ),
    (
        f"Putin {'a' * (MAX_TERM + 1)}*",
        f"term is too long ({MAX_TERM + 1} characters, at most {MAX_TERM})",
        6,
        "prefix",
    ),
    (
        f'"{" ".join(["abcdefghijk"] * MAX_PHRASE_WORDS)}"',
        f"phrase is too long ({12 * MAX_PHRASE_WORDS - 1} characters, at most {MAX_TERM})",
        0,
        "phrase-chars",
    ),
    (
        "Putin @long",
        f"entity '@long' alias 2 has too many words ({MAX_PHRASE_WORDS + 1},"
        f" at most {MAX_PHRASE_WORDS})",
        6,
        "entity-alias",
    ),
]


@pytest.mark.parametrize(
    ("query", "message", "pos"), [c[:3] for c in LIMITS], ids=[c[3] for c in LIMITS]
)
def test_size_limits_are_query_errors(query: str, message: str, pos: int) -> None:
    """The same limits hold for /watch (compile_query) and the rules file (compile_rules)."""
    entities = {"long": ["Putin", WORDS]}
    with pytest.raises(QueryError) as info:
        compile_query(query, entities)
    assert (info.value.message, info.value.pos) == (message, pos)
    rule = RuleSpec("r", query, query_pos=SourcePos("rules.yml", 4, 12))
    with pytest.raises(RulesError) as many:
        compile_rules([rule], entities)
    assert tuple(map(str, many.value.problems)) == (f"rules.yml:4:{12 + pos}: rule 'r': {message}",)


def test_the_largest_allowed_sizes_compile() -> None:
    words = " ".join(f"w{i}" for i in range(MAX_PHRASE_WORDS))
    ruleset = compile_query(f'"{words}" OR {"a" * MAX_TERM}')
    assert [m.rule_id for m in ruleset.match(words.upper(), "")] == ["query"]
    terms = " OR ".join(f"w{i}" for i in range(MAX_QUERY // 8))
    assert compile_query(terms[:MAX_QUERY].rsplit(" OR ", 1)[0]).match("w7", "")


DEEP_ERRORS = [
    ("(" * 100_000 + "x" + ")" * 100_000, "query is too long (200001 characters, at most "
     f"{MAX_QUERY})", MAX_QUERY, "parens-100000"),
    ("(" * 4_000 + "x" + ")" * 4_000, "groups nested too deeply (at most 32)", 32, "parens-4000"),
    ("x NEAR y NEAR z", "NEAR joins terms, phrases or OR-groups of them, "
     "not AND, NOT or NEAR expressions", 9, "near-chain"),
]  # fmt: skip


@pytest.mark.parametrize(
    ("query", "message", "pos"), [d[:3] for d in DEEP_ERRORS], ids=[d[3] for d in DEEP_ERRORS]
)
def test_deep_nesting_is_a_query_error(query: str, message: str, pos: int) -> None:
    with pytest.raises(QueryError) as info:
        compile_query(query)
    assert (info.value.message, info.value.pos) == (message, pos)


FLAT = [
    ("NOT " * 2_000 + "x", True, "not-even"),
    ("NOT " * 2_001 + "x", False, "not-odd"),
    ("title:" * 1_600 + "x", True, "fields"),
]


@pytest.mark.parametrize(("query", "matches"), [f[:2] for f in FLAT], ids=[f[2] for f in FLAT])
def test_long_chains_of_prefix_operators_stay_flat(query: str, matches: bool) -> None:
    assert len(query) <= MAX_QUERY
    assert bool(compile_query(query).match("x", "")) is matches


def _best_of_3(query: str) -> float:
    best = float("inf")
    for _ in range(3):
        start = time.perf_counter()
        _lex(query)
        best = min(best, time.perf_counter() - start)
    return best


def test_field_prefixes_lex_in_linear_time() -> None:
    """``title:title:...x`` used to rescan the rest of the run at each prefix (quadratic:
    8,000 prefixes took 66 s); 4x the prefixes must take well under 16x the time."""
    small = _best_of_3("title:" * 2_000 + "x")
    large = _best_of_3("title:" * 8_000 + "x")
    assert large < 8 * small, (small, large)
