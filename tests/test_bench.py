"""The benchmark scripts still run (tiny sizes): a change to the code they drive must not
leave one failing at start, as the compiled story index once did bench/growth.py (an
interpreted subclass of a compiled class).  Figures are not checked here."""

from __future__ import annotations

import os
import subprocess
import sys
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parents[1]


@pytest.mark.parametrize(
    ("script", "args", "shows"),
    [
        ("growth.py", ["--feeds", "5", "--per-day", "100", "--days", "2"], "retention off"),
        ("growth.py", ["--aging", "--per-day", "200", "--days", "3"], "aged / fresh"),
    ],
    ids=["growth", "growth-aging"],
)
def test_a_benchmark_runs_at_a_tiny_size(script: str, args: list[str], shows: str) -> None:
    result = subprocess.run(
        [sys.executable, str(ROOT / "bench" / script), *args],
        cwd=ROOT,
        env={**os.environ, "PYTHONPATH": str(ROOT)},
        capture_output=True,
        text=True,
        timeout=120,
        check=False,
    )
    assert result.returncode == 0, result.stderr[-2000:]
    assert shows in result.stdout
