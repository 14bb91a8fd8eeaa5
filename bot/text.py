"""Plain-text helpers shared by every stage: HTML reduction and cleaning.

``html_to_text`` turns feed HTML into the plain text that matching and rendering
see: tags are dropped (block tags become line breaks), entities and numeric
character references are decoded, ``<script>``/``<style>`` bodies vanish.
``clean_text`` removes what must never reach storage or Telegram: NULs and
other control characters, lone surrogates, and collapses runs of spaces.
"""

from __future__ import annotations

import html
import re
from html.parser import HTMLParser

_BLOCK_TAGS = frozenset(
    "p div br li ul ol tr td th table h1 h2 h3 h4 h5 h6 blockquote pre section article "
    "header footer figure figcaption hr dd dt dl".split()
)
_SKIP_TAGS = frozenset({"script", "style", "template", "noscript", "iframe", "object"})
_CONTROL = re.compile(r"[\x00-\x08\x0b\x0c\x0e-\x1f\x7f-\x9f\ud800-\udfff]")
_SPACES = re.compile(r"[ \t\r\f\v\u00a0\u2000-\u200a\u202f\u205f\u3000]+")
_NEWLINES = re.compile(r"\s*\n\s*")
_LOOKS_LIKE_HTML = re.compile(r"<[a-zA-Z/!]|&(?:#\d+|#x[0-9a-fA-F]+|[a-zA-Z]{2,8});")


class _Reducer(HTMLParser):
    def __init__(self) -> None:
        super().__init__(convert_charrefs=True)
        self.parts: list[str] = []
        self._skip = 0

    def handle_starttag(self, tag: str, attrs: list[tuple[str, str | None]]) -> None:
        if tag in _SKIP_TAGS:
            self._skip += 1
        elif tag in _BLOCK_TAGS:
            self.parts.append("\n")

    def handle_startendtag(self, tag: str, attrs: list[tuple[str, str | None]]) -> None:
        if tag in _BLOCK_TAGS:
            self.parts.append("\n")

    def handle_endtag(self, tag: str) -> None:
        if tag in _SKIP_TAGS:
            self._skip = max(0, self._skip - 1)
        elif tag in _BLOCK_TAGS:
            self.parts.append("\n")

    def handle_data(self, data: str) -> None:
        if not self._skip:
            self.parts.append(data)


def html_to_text(value: str, limit: int | None = None) -> str:
    """Reduce HTML (or text with entities) to clean plain text, at most ``limit`` chars."""
    if not value:
        return ""
    if _LOOKS_LIKE_HTML.search(value):
        reducer = _Reducer()
        try:
            reducer.feed(value)
            reducer.close()
            value = "".join(reducer.parts)
        except Exception:  # html.parser is lenient; never let odd markup stop an entry
            value = html.unescape(re.sub(r"<[^>]*>", " ", value))
    return clean_text(value, limit)


def clean_text(value: str, limit: int | None = None) -> str:
    """Strip control characters and lone surrogates, fold blank runs, cap the length."""
    value = _CONTROL.sub("", value)
    value = _SPACES.sub(" ", value)
    value = _NEWLINES.sub("\n", value).strip()
    if limit is not None and len(value) > limit:
        value = value[: max(0, limit - 1)].rstrip() + "…"
    return value
