"""The compiled story index (mypyc, see setup.py) against its own sources."""

from __future__ import annotations

import sys

import pytest

import bot.story
from tests.sources import run_from_sources

from . import workload


def test_build_says_which_modules_run() -> None:
    index = sys.modules["bot.story.index"]
    assert index.__file__ is not None
    compiled = bot.story.BUILD == "compiled with mypyc"
    assert index.__file__.endswith(".py") != compiled, (bot.story.BUILD, index.__file__)


@pytest.mark.skipif(
    not bot.story.COMPILED, reason=f"the story index runs from its sources: {bot.story.BUILD}"
)
def test_compiled_modules_decide_exactly_as_their_sources() -> None:
    pure = run_from_sources("tests.story.workload")
    compiled = workload.run()
    assert compiled["build"] == "compiled with mypyc"
    joined = [d for d in compiled["decisions"] if d[2] is not None]
    assert len(joined) > 150, len(joined)
    assert compiled["decisions"] == pure["decisions"]
