"""setup.py compiles the matcher where it can, and says so where it must (issue 12, item 16).

Real builds of a copy of the project in a temporary folder.  Where mypyc must be missing, the
build runs with its import blocked; a build that tried to compile then fails under
``NEWSBOT_REQUIRE_COMPILED``, so "nothing was compiled" is checked, not assumed.
"""

from __future__ import annotations

import os
import shutil
import subprocess
import sys
import tarfile
import zipfile
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parents[2]
REQUIRED = "NEWSBOT_REQUIRE_COMPILED"
# setup.py as the build runs it, with ``import mypyc`` failing
WITHOUT_MYPYC = (
    "import runpy, sys; sys.modules['mypyc'] = None; sys.argv[0] = 'setup.py'; "
    "runpy.run_path('setup.py', run_name='__main__')"
)


def _project(tmp_path: Path) -> Path:
    """The project's build inputs, without any build output of the checkout."""
    tree = tmp_path / "project"
    tree.mkdir()
    for name in ("setup.py", "pyproject.toml", "README.md"):
        shutil.copy2(ROOT / name, tree / name)
    shutil.copytree(
        ROOT / "bot",
        tree / "bot",
        ignore=shutil.ignore_patterns("*.so", "__pycache__", "_compiled.py"),
    )
    return tree


def _setup(tree: Path, *args: str, mypyc: bool, **env: str) -> subprocess.CompletedProcess[str]:
    clean = {k: v for k, v in os.environ.items() if k not in (REQUIRED, "NEWSBOT_PURE_PYTHON")}
    command = ["setup.py"] if mypyc else ["-c", WITHOUT_MYPYC]
    return subprocess.run(
        [sys.executable, *command, *args],
        cwd=tree,
        env={**clean, **env},
        capture_output=True,
        text=True,
        timeout=120,
        check=False,
    )


def _stamp(path: Path) -> str:
    return path.read_text().split("SOURCES: dict[str, str] = ", 1)[1].strip()


def test_sdist_never_compiles(tmp_path: Path) -> None:
    """``setup.py -q sdist`` compiled the matcher: an option before the command hid it."""
    tree = _project(tmp_path)
    result = _setup(tree, "-q", "sdist", mypyc=False, **{REQUIRED: "1"})
    assert result.returncode == 0, result.stderr
    assert "newsbot:" not in result.stderr
    assert not (tree / "build").exists()
    (archive,) = (tree / "dist").glob("*.tar.gz")
    with tarfile.open(archive) as tar:
        names = tar.getnames()
    assert "newsbot-0.1.0/bot/match/engine.py" in names
    assert not [n for n in names if n.endswith((".so", ".c"))]


def test_without_mypyc_the_build_keeps_the_sources(tmp_path: Path) -> None:
    tree = _project(tmp_path)
    result = _setup(tree, "build_ext", "--inplace", mypyc=False)
    assert result.returncode == 0, result.stderr
    assert (
        "newsbot: mypyc is not installed; the matcher and the story index stay pure Python"
        in result.stderr
    )
    assert not list(tree.rglob("*.so"))
    assert _stamp(tree / "bot" / "match" / "_compiled.py") == "{}"
    assert _stamp(tree / "bot" / "story" / "_compiled.py") == "{}"


@pytest.mark.parametrize(
    ("mypyc", "env", "why"),
    [
        (False, {}, "mypyc is not installed"),
        (True, {"NEWSBOT_PURE_PYTHON": "1"}, "NEWSBOT_PURE_PYTHON is set"),
    ],
    ids=["mypyc-missing", "pure-python-asked"],
)
def test_required_compilation_fails_saying_why(
    tmp_path: Path, mypyc: bool, env: dict[str, str], why: str
) -> None:
    """CI sets NEWSBOT_REQUIRE_COMPILED: a mypy upgrade that stops mypyc compiling the matcher
    fails the install instead of leaving it pure Python unnoticed."""
    tree = _project(tmp_path)
    result = _setup(tree, "build_ext", "--inplace", mypyc=mypyc, **env, **{REQUIRED: "1"})
    assert result.returncode != 0
    assert f"newsbot: {REQUIRED} is set and nothing was compiled: {why}" in result.stderr
    assert not list(tree.rglob("*.so"))


@pytest.mark.slow
def test_a_wheel_built_without_a_c_compiler_is_pure_python(tmp_path: Path) -> None:
    """Without a working C compiler the wheel still got a platform tag
    (``cp311-cp311-linux_x86_64``) and its files in ``platlib``, with no extension in it.
    Built as pip builds it: in an isolated environment with the build requirements of
    pyproject.toml; mypyc runs, then ``CC=false`` fails (~30 s)."""
    tree = _project(tmp_path)
    env = {k: v for k, v in os.environ.items() if k not in (REQUIRED, "PYTHONPATH")}
    result = subprocess.run(
        [sys.executable, "-m", "pip", "wheel", "-q", "--no-deps", "-w", "dist", "."],
        cwd=tree,
        env={**env, "CC": "false"},
        capture_output=True,
        text=True,
        timeout=300,
        check=False,
    )
    assert result.returncode == 0, result.stderr
    (wheel,) = (tree / "dist").glob("*.whl")
    assert wheel.name == "newsbot-0.1.0-py3-none-any.whl"
    with zipfile.ZipFile(wheel) as archive:
        names = archive.namelist()
        metadata = archive.read("newsbot-0.1.0.dist-info/WHEEL").decode()
        stamps = [archive.read(f"bot/{p}/_compiled.py").decode() for p in ("match", "story")]
    assert "Root-Is-Purelib: true" in metadata
    assert "Tag: py3-none-any" in metadata
    assert "bot/match/engine.py" in names
    assert not [n for n in names if n.endswith(".so") or ".data/" in n]
    assert [s.split("SOURCES: dict[str, str] = ", 1)[1].strip() for s in stamps] == ["{}", "{}"]
