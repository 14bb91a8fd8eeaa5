"""Which compiled modules run: the mypyc-compiled ones (see ``setup.py``) or their sources.

Two groups are compiled at install time when mypyc and a C compiler are there: the matcher's
``fold``, ``fuzzy`` and ``engine`` (``bot.match``) and the story index's ``terms``,
``check`` and ``index`` (``bot.story``).  The modules of a group call each other directly,
so they are used all together or not at all; the groups call each other as Python modules,
so either can run from its sources while the other runs compiled.  A group's modules are not
used (their ``.py`` sources are loaded in their place) when ``NEWSBOT_PURE_PYTHON`` is set,
or when a source no longer has the SHA-256 recorded when it was compiled (the package's
``_compiled.py``): an editable install whose sources were edited runs the edited code, never
a stale build.
"""

from __future__ import annotations

import hashlib
import importlib
import importlib.util
import os
import sys
from importlib.machinery import EXTENSION_SUFFIXES
from pathlib import Path

MODULES = ("fold", "fuzzy", "engine")  # the matcher's, in the order they import each other
HERE = Path(__file__).resolve().parent


def select(
    package: str, modules: tuple[str, ...] = MODULES, here: Path = HERE, what: str = "matcher"
) -> tuple[bool, str]:
    """Load the sources in place of the compiled ``modules`` of ``package`` (whose folder is
    ``here``) where those must not run; returns whether the compiled ones run, and which run
    in words (for benchmarks and logs).  ``what`` names the group in those words."""
    compiled, why = _decide(package, modules, here, what)
    if compiled:
        try:  # the extensions need mypyc's runtime module beside them: a partial install
            for name in modules:  # must fall back, not crash at the first import
                importlib.import_module(f"{package}.{name}")
        except Exception as exc:
            for name in modules:
                sys.modules.pop(f"{package}.{name}", None)
            compiled = False
            why = f"pure Python (the compiled modules failed to import: {exc})"
    if not compiled:
        for name in modules:
            full = f"{package}.{name}"
            spec = importlib.util.spec_from_file_location(full, here / f"{name}.py")
            assert spec is not None and spec.loader is not None
            module = importlib.util.module_from_spec(spec)
            sys.modules[full] = module
            spec.loader.exec_module(module)
    return compiled, why


def _decide(
    package: str, modules: tuple[str, ...] = MODULES, here: Path = HERE, what: str = "matcher"
) -> tuple[bool, str]:
    if os.environ.get("NEWSBOT_PURE_PYTHON"):
        return False, "pure Python (NEWSBOT_PURE_PYTHON is set)"
    for name in modules:
        spec = importlib.util.find_spec(f"{package}.{name}")
        origin = spec.origin if spec is not None else None
        if origin is None or not origin.endswith(tuple(EXTENSION_SUFFIXES)):
            return False, "pure Python (not compiled)"
    try:
        sources: dict[str, str] = importlib.import_module(f"{package}._compiled").SOURCES
    except (ImportError, AttributeError):
        return False, "pure Python (no record of the compiled sources)"
    if not sources:
        return False, f"pure Python (the last build did not compile the {what})"
    for name in modules:
        digest = hashlib.sha256((here / f"{name}.py").read_bytes()).hexdigest()
        if sources.get(name) != digest:
            return False, f"pure Python ({name}.py changed since it was compiled; reinstall)"
    return True, "compiled with mypyc"
