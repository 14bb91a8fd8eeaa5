"""The compiled matcher (mypyc, see setup.py) against its own sources."""

from __future__ import annotations

import subprocess
import sys

import pytest

import bot.match
from bot.match import BUILD, _build
from tests.sources import run_from_sources

from . import workload

COMPILED = bot.match.BUILD == "compiled with mypyc"
needs_compiled = pytest.mark.skipif(
    not COMPILED, reason=f"the matcher runs from its sources here: {bot.match.BUILD}"
)


def test_build_says_which_modules_run() -> None:
    engine = sys.modules["bot.match.engine"]
    assert engine.__file__ is not None
    assert engine.__file__.endswith(".py") != COMPILED, (bot.match.BUILD, engine.__file__)


def test_sources_are_chosen_when_asked(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("NEWSBOT_PURE_PYTHON", "1")
    assert _build._decide("bot.match") == (False, "pure Python (NEWSBOT_PURE_PYTHON is set)")


@needs_compiled
def test_a_source_edited_after_compiling_is_run_from_source(
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    from bot.match import _compiled  # type: ignore[attr-defined]

    monkeypatch.setitem(_compiled.SOURCES, "engine", "0" * 64)
    compiled, why = _build._decide("bot.match")
    assert not compiled
    assert why == "pure Python (engine.py changed since it was compiled; reinstall)"


@needs_compiled
@pytest.mark.slow
def test_compiled_modules_match_exactly_as_their_sources() -> None:
    pure = run_from_sources("tests.match.workload")
    compiled = workload.run()
    assert compiled["build"] == "compiled with mypyc"
    assert len(compiled["matches"]) > 1000
    assert compiled["matches"] == pure["matches"]


def test_a_missing_mypyc_runtime_falls_back_to_the_sources() -> None:
    """Issue 12, item 16: with the extensions present but mypyc's shared runtime module gone
    (a partial install), ``import bot.match`` crashed with ModuleNotFoundError."""
    if not BUILD.startswith("compiled"):
        pytest.skip(f"the matcher runs from its sources here: {BUILD}")
    code = (
        "import sys; sys.modules['newsbot_match__mypyc'] = None\n"
        "import bot.match as m\n"
        "print(m.BUILD)\n"
        "print(bool(m.compile_query('Putin').match('Putin in Beijing', '', None)))\n"
    )
    result = subprocess.run(
        [sys.executable, "-c", code], capture_output=True, text=True, timeout=120, check=False
    )
    assert result.returncode == 0, result.stderr
    build, matched = result.stdout.splitlines()
    assert build.startswith("pure Python (the compiled modules failed to import")
    assert matched == "True"
