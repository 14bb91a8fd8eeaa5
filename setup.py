"""Build hook: compile the matcher's per-entry code with mypyc; the project is in pyproject.toml.

``bot/match/fold.py``, ``fuzzy.py`` and ``engine.py`` run for every entry against every
rule set, and are plain typed Python.  mypyc (part of mypy) compiles them to C extensions
that run the same code about 1.4x faster.  Nothing else changes: the sources stay the
package's modules, and ``bot.match`` falls back to them (see ``bot/match/_build.py``)

* when ``NEWSBOT_PURE_PYTHON=1`` is set at install time (nothing is compiled) or at run time
  (the compiled modules are ignored);
* when mypyc or a C compiler is missing, or compiling fails (the extensions are optional);
* when a source file changed after it was compiled (an editable install being edited):
  the build records each compiled source's SHA-256, and a stale build is not used.
"""

from __future__ import annotations

import hashlib
import os
import sys
from pathlib import Path

from setuptools import setup
from setuptools.command.build_ext import build_ext

ROOT = Path(__file__).resolve().parent
COMPILED = ("bot/match/fold.py", "bot/match/fuzzy.py", "bot/match/engine.py")
STAMP = ROOT / "bot" / "match" / "_compiled.py"
METADATA_ONLY = {"egg_info", "dist_info", "sdist"}


def _stamp(modules: dict[str, str], build_lib: str | None = None) -> None:
    """Record which sources the extensions were built from (read by bot/match/_build.py), in
    the source tree (editable installs) and in the wheel being built."""
    lines = [
        '"""Written by setup.py when it compiles the matcher: the SHA-256 of each source."""',
        "",
        f"SOURCES: dict[str, str] = {modules!r}",
        "",
    ]
    targets = [STAMP]
    if build_lib and (Path(build_lib) / "bot" / "match").is_dir():
        targets.append(Path(build_lib) / "bot" / "match" / STAMP.name)
    for target in targets:
        target.write_text("\n".join(lines), encoding="utf-8")


_BUILT: dict[str, str] = {}  # the digests of the sources being compiled, once mypyc ran


class BuildExt(build_ext):
    """Record the compiled sources only once every extension was built by this run: until then
    (and for good if the C compiler fails, even with an older build left in place) the sources
    run."""

    def run(self) -> None:
        _stamp({}, self.build_lib)
        built = [Path(self.get_ext_fullpath(ext.name)) for ext in self.extensions or []]
        for path in built:  # what exists after the build, this build made
            path.unlink(missing_ok=True)
        super().run()
        if _BUILT and built and all(path.exists() for path in built):
            _stamp(_BUILT, self.build_lib)


def ext_modules() -> list[object]:
    if set(sys.argv[1:2]) & METADATA_ONLY:
        return []  # pip asks for metadata first: no need to type-check and compile for that
    if os.environ.get("NEWSBOT_PURE_PYTHON"):
        _stamp({})
        return []
    try:
        from mypyc.build import mypycify
    except ImportError:
        print("newsbot: mypyc not available, the matcher stays pure Python", file=sys.stderr)
        _stamp({})
        return []
    os.chdir(ROOT)
    digests = {
        Path(path).stem: hashlib.sha256((ROOT / path).read_bytes()).hexdigest() for path in COMPILED
    }
    try:
        extensions = mypycify(list(COMPILED), opt_level="3", group_name="newsbot_match")
    except (Exception, SystemExit) as exc:  # a type error mypyc refuses: stay pure Python
        print(f"newsbot: mypyc failed ({exc}), the matcher stays pure Python", file=sys.stderr)
        _stamp({})
        return []
    for extension in extensions:
        extension.optional = True  # no C compiler: install the pure-Python modules
    _BUILT.update(digests)
    return list(extensions)


setup(ext_modules=ext_modules(), cmdclass={"build_ext": BuildExt})
