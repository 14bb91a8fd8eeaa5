"""Plain-text helpers shared by every stage: HTML reduction and cleaning.

``html_to_text`` turns feed HTML into the plain text that matching and rendering
see: tags are dropped (block tags become line breaks), entities and numeric
character references are decoded, ``<script>``/``<style>`` bodies and comments vanish.
``clean_text`` removes what must never reach storage or Telegram: NULs and
other control characters, lone surrogates, and collapses runs of spaces.
"""

from __future__ import annotations

import html
import re

_BLOCK_TAGS = frozenset(
    "p div br li ul ol tr td th table h1 h2 h3 h4 h5 h6 blockquote pre section article "
    "header footer figure figcaption hr dd dt dl".split()
)
_SKIPPED = re.compile(
    r"<(script|style|template|noscript|iframe|object)\b[^>]*>.*?(?:</\1\s*>|$)"
    r"|<!--.*?(?:-->|$)",
    re.IGNORECASE | re.DOTALL,
)
_CDATA = re.compile(r"<!\[CDATA\[(.*?)(?:\]\]>|$)", re.DOTALL)
_TAG = re.compile(r"<(/?)([a-zA-Z][a-zA-Z0-9:-]*)(?:[^>\"']|\"[^\"]*\"|'[^']*')*>|<[!?][^>]*>")
_CONTROL = re.compile(r"[\x00-\x08\x0b\x0c\x0e-\x1f\x7f-\x9f\ud800-\udfff]")
_SPACES = re.compile(r"[ \t\r\f\v\u00a0\u2000-\u200a\u202f\u205f\u3000]+")
_NEWLINES = re.compile(r"\s*\n\s*")
_LOOKS_LIKE_HTML = re.compile(r"<[a-zA-Z/!?]|&(?:#\d+|#x[0-9a-fA-F]+|[a-zA-Z][a-zA-Z0-9]{1,31});?")
_MAX_HTML = 256 * 1024  # HTML beyond this is not read: text is capped far below it anyway


def _tag(match: re.Match[str]) -> str:
    name = match.group(2)
    return "\n" if name and name.lower() in _BLOCK_TAGS else ""


def html_to_text(value: str, limit: int | None = None) -> str:
    """Reduce HTML (or text with entities) to clean plain text, at most ``limit`` chars.

    Regular expressions, not a DOM: script/style bodies and comments vanish, block tags become
    line breaks, other tags disappear, then entities and character references are decoded.
    Every pattern is linear in its input, and the input is capped at 256 KiB first.
    """
    if not value:
        return ""
    if _LOOKS_LIKE_HTML.search(value):
        value = value[:_MAX_HTML]
        value = _SKIPPED.sub(" ", value)
        value = _CDATA.sub(lambda m: m.group(1), value)
        value = _TAG.sub(_tag, value)
        value = html.unescape(value)
    return clean_text(value, limit)


def clean_text(value: str, limit: int | None = None) -> str:
    """Strip control characters and lone surrogates, fold blank runs, cap the length."""
    value = _CONTROL.sub("", value)
    value = _SPACES.sub(" ", value)
    value = _NEWLINES.sub("\n", value).strip()
    if limit is not None and len(value) > limit:
        value = value[: max(0, limit - 1)].rstrip() + "…"
    return value
