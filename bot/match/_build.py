"""Which matcher modules run: the mypyc-compiled ones (see ``setup.py``) or their sources.

``fold``, ``fuzzy`` and ``engine`` are compiled together at install time when mypyc and a
C compiler are there; compiled modules call each other directly, so they are used all
together or not at all.  They are not used (their ``.py`` sources are loaded in their
place) when ``NEWSBOT_PURE_PYTHON`` is set, or when a source no longer has the SHA-256
recorded when it was compiled: an editable install whose sources were edited runs the
edited code, never a stale build.
"""

from __future__ import annotations

import hashlib
import importlib.util
import os
import sys
from importlib.machinery import EXTENSION_SUFFIXES
from pathlib import Path

MODULES = ("fold", "fuzzy", "engine")  # in the order they import each other
HERE = Path(__file__).resolve().parent


def select(package: str) -> tuple[bool, str]:
    """Load the sources in place of the compiled modules where those must not run; returns
    whether the compiled ones run, and which run in words (for benchmarks and logs)."""
    compiled, why = _decide(package)
    if compiled:
        try:  # the extensions need mypyc's runtime module beside them: a partial install
            for name in MODULES:  # must fall back, not crash at the first import
                importlib.import_module(f"{package}.{name}")
        except Exception as exc:
            for name in MODULES:
                sys.modules.pop(f"{package}.{name}", None)
            compiled = False
            why = f"pure Python (the compiled modules failed to import: {exc})"
    if not compiled:
        for name in MODULES:
            full = f"{package}.{name}"
            spec = importlib.util.spec_from_file_location(full, HERE / f"{name}.py")
            assert spec is not None and spec.loader is not None
            module = importlib.util.module_from_spec(spec)
            sys.modules[full] = module
            spec.loader.exec_module(module)
    return compiled, why


def _decide(package: str) -> tuple[bool, str]:
    if os.environ.get("NEWSBOT_PURE_PYTHON"):
        return False, "pure Python (NEWSBOT_PURE_PYTHON is set)"
    for name in MODULES:
        spec = importlib.util.find_spec(f"{package}.{name}")
        origin = spec.origin if spec is not None else None
        if origin is None or not origin.endswith(tuple(EXTENSION_SUFFIXES)):
            return False, "pure Python (not compiled)"
    try:
        from ._compiled import SOURCES  # type: ignore[import-not-found,unused-ignore]
    except ImportError:
        return False, "pure Python (no record of the compiled sources)"
    if not SOURCES:
        return False, "pure Python (the last build did not compile the matcher)"
    for name in MODULES:
        digest = hashlib.sha256((HERE / f"{name}.py").read_bytes()).hexdigest()
        if SOURCES.get(name) != digest:
            return False, f"pure Python ({name}.py changed since it was compiled; reinstall)"
    return True, "compiled with mypyc"
