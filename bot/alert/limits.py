"""Telegram's size limits and length-safe text cutting (pure).

Telegram counts a message's length in UTF-16 code units of the *parsed* text
(tags and entity escapes removed): at most ``MAX_TEXT_UTF16``.  Only the first
``MAX_ENTITIES`` formatting entities are honoured, and a message whose markup is
much longer than its text is refused ("Entities_too_long", roughly 9,500
characters of source), so the HTML source is kept under ``MAX_HTML_UTF16``.

Cutting happens on plain text, before escaping and tagging, so a cut never lands
inside a tag or an ``&amp;``.  Python strings index code points, so a slice never
splits a surrogate pair; ``cut_utf16`` also avoids splitting the common
grapheme clusters (combining marks, ZWJ emoji sequences, skin tones, flags).
"""

from __future__ import annotations

import re
import unicodedata

MAX_TEXT_UTF16 = 4096
MAX_ENTITIES = 100
MAX_HTML_UTF16 = 8000
MAX_URL_CHARS = 2048
ELLIPSIS = "…"

_UNSAFE = re.compile(r"[\x00-\x08\x0b-\x1f\x7f\ud800-\udfff]")
_ZWJ = "\u200d"


def utf16_len(text: str) -> int:
    """Length in UTF-16 code units, the unit of every Telegram limit."""
    return len(text.encode("utf-16-le", "surrogatepass")) // 2


def sanitize(text: str) -> str:
    """Blank control characters and lone surrogates, keeping every index (spans stay valid)."""
    return _UNSAFE.sub(lambda m: "\ufffd" if m.group() >= "\ud800" else " ", text)


def _joins_previous(char: str) -> bool:
    """True if ``char`` belongs to the grapheme before it (so we must not cut before it)."""
    if char == _ZWJ or "\ufe00" <= char <= "\ufe0f" or "\U0001f3fb" <= char <= "\U0001f3ff":
        return True
    if "\U000e0020" <= char <= "\U000e007f":  # emoji tag sequences
        return True
    return unicodedata.combining(char) != 0 or unicodedata.category(char) in ("Mn", "Me")


def _is_regional(char: str) -> bool:
    return "\U0001f1e6" <= char <= "\U0001f1ff"


def cut_utf16(text: str, limit: int) -> str:
    """Longest prefix of ``text`` with at most ``limit`` UTF-16 units, cut between graphemes."""
    if limit <= 0:
        return ""
    if utf16_len(text) <= limit:
        return text
    units = 0
    end = 0
    for char in text:
        width = 2 if ord(char) > 0xFFFF else 1
        if units + width > limit:
            break
        units += width
        end += 1
    # back off so the cut does not split a grapheme cluster
    while 0 < end < len(text) and (_joins_previous(text[end]) or text[end - 1] == _ZWJ):
        end -= 1
    run = 0
    while run < end and _is_regional(text[end - 1 - run]):
        run += 1
    if run % 2 and end < len(text) and _is_regional(text[end]):
        end -= 1  # do not separate a flag's two regional indicators
    return text[:end]


def truncate(text: str, limit: int, ellipsis: str = ELLIPSIS) -> str:
    """``text`` if it fits in ``limit`` UTF-16 units, else a cut (at a nearby space) + "…"."""
    if utf16_len(text) <= limit:
        return text
    room = limit - utf16_len(ellipsis)
    if room <= 0:
        return cut_utf16(ellipsis, limit)
    head = cut_utf16(text, room)
    space = max(head.rfind(" "), head.rfind("\n"))
    if space >= len(head) * 0.7:
        head = head[:space]
    return head.rstrip() + ellipsis
