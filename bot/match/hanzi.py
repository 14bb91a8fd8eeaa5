"""Traditional and simplified Chinese fold together: one table, character by character.

Folding maps every traditional (Taiwan, Hong Kong) and Japanese-form character to its
simplified form, so ``習近平``, ``习近平`` and the Japanese ``習近平`` are the same words and a
query in either set finds text in either.  The table comes from OpenCC (Apache-2.0, the
converter maintained by BYVoid and used by Wikipedia's Chinese edition): its ``t2s``,
``tw2s`` and ``hk2s`` conversions and Japanese ``jp2t`` followed by ``t2s``, asked one
character at a time (about 60 ms, once per process, on the first CJK character folded).
Only one-to-one mappings are kept, so a folded text keeps its length and offsets; phrase-level
conversions (``乾隆``) are not needed for matching because a query and a text are folded by
the same table.  Updating: upgrade the ``OpenCC`` package.
"""

from __future__ import annotations

import threading

# Unified Ideographs, Extension A, compatibility ideographs, Extension B
RANGES = ((0x3400, 0x4DBF), (0x4E00, 0x9FFF), (0xF900, 0xFAFF), (0x20000, 0x2A6DF))
_CONVERSIONS = (("t2s",), ("tw2s",), ("hk2s",), ("jp2t", "t2s"))

_table: dict[str, str] | None = None
_lock = threading.Lock()


def simplified(c: str) -> str:
    """The simplified form of the one character ``c`` (itself when it has none)."""
    cp = ord(c)
    if not any(a <= cp <= b for a, b in RANGES):
        return c
    table = _table if _table is not None else _load()
    return table.get(c, c)


def _load() -> dict[str, str]:
    global _table
    with _lock:
        if _table is None:
            _table = build()
    return _table


def build() -> dict[str, str]:
    """Character -> simplified character, closed under itself (``simplified`` is idempotent)."""
    import opencc  # a C extension with its dictionaries in the wheel; loaded only when needed

    chars = [chr(cp) for a, b in RANGES for cp in range(a, b + 1)]
    joined = "\n".join(chars)
    table: dict[str, str] = {}
    for chain in _CONVERSIONS:
        text = joined
        for config in chain:
            text = opencc.OpenCC(config).convert(text)
        out = text.split("\n")
        if len(out) != len(chars):  # a conversion merged lines: skip it rather than misalign
            continue
        for a, b in zip(chars, out, strict=True):
            if a != b and len(b) == 1 and a not in table:
                table[a] = b
    for a, b in list(table.items()):
        seen = {a}
        while b in table and b not in seen:  # follow chains to a fixed point
            seen.add(b)
            b = table[b]
        if b == a:
            del table[a]
        else:
            table[a] = b
    return table
