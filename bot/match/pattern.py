"""``/regex/`` terms: RE2 (linear time, no backtracking) with bounded program size.

A regex runs on the *folded* text of a field: lower case, accents removed, Cyrillic and
Greek transliterated, punctuation dropped, words separated by one space (no space between
the characters of scripts written without spaces).  It is compiled case-insensitively.
Patterns are capped at ``MAX_PATTERN`` characters and ``MAX_MEM`` bytes of compiled
program; matching is linear in the text, and at most ``MAX_MATCHES`` matches per field are
collected.
"""

from __future__ import annotations

from functools import lru_cache
from typing import Any

import re2

MAX_PATTERN = 500
MAX_MEM = 1 << 20
MAX_MATCHES = 50


class PatternError(ValueError):
    """RE2 rejected the pattern; the message says why."""


@lru_cache(maxsize=4096)
def compile_pattern(pattern: str) -> Any:
    """Compile ``pattern`` with RE2 or raise ``PatternError``."""
    if len(pattern) > MAX_PATTERN:
        raise PatternError(f"regex is too long ({len(pattern)} characters, at most {MAX_PATTERN})")
    options = re2.Options()
    options.log_errors = False
    options.case_sensitive = False
    options.max_mem = MAX_MEM
    try:
        return re2.compile(pattern, options)
    except re2.error as exc:
        detail = exc.args[0] if exc.args else "rejected"
        if isinstance(detail, bytes):
            detail = detail.decode("utf-8", "replace")
        raise PatternError(f"invalid regex: {detail}") from exc
