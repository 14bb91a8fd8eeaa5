"""Run a workload module from the sources of the compiled modules, for the tests that
compare a mypyc build with its sources (tests/match/test_build.py, tests/story/test_build.py)."""

from __future__ import annotations

import json
import os
import subprocess
import sys
from pathlib import Path
from typing import Any

ROOT = Path(__file__).resolve().parents[1]


def run_from_sources(module: str) -> dict[str, Any]:
    """``python -m module`` with ``NEWSBOT_PURE_PYTHON=1``: the JSON it prints."""
    result = subprocess.run(
        [sys.executable, "-m", module],
        cwd=ROOT,
        env={**os.environ, "NEWSBOT_PURE_PYTHON": "1"},
        capture_output=True,
        check=True,
        timeout=100,
    )
    found: dict[str, Any] = json.loads(result.stdout)
    assert found["build"] == "pure Python (NEWSBOT_PURE_PYTHON is set)", found["build"]
    return found
