"""Building Telegram HTML safely: escaped fragments that know their own sizes (pure).

A ``Fragment`` carries, side by side, the HTML source, the text Telegram will
show after parsing it, the plain-text fallback (links written out), and its
entity count, so callers can check every limit before they join fragments.
Feed-supplied strings only ever enter through ``text``/``bold``/``link``,
which escape them; links are only made for http(s) URLs (``safe_url``).
"""

from __future__ import annotations

import html
import re
from collections.abc import Iterable
from dataclasses import dataclass
from urllib.parse import urlsplit

from bot.alert.limits import MAX_URL_CHARS, utf16_len

_HOST = re.compile(r"^(?:[^\W_](?:[\w-]*[^\W_])?\.)+[^\W\d_][\w-]*\.?$|^\d{1,3}(?:\.\d{1,3}){3}$")
_BAD_URL_CHARS = re.compile(r"[\s\x00-\x1f\x7f-\x9f\ud800-\udfff]")


def escape(text: str) -> str:
    """Escape text content for Telegram HTML (``&``, ``<``, ``>``)."""
    return html.escape(text, quote=False)


def safe_url(url: str | None) -> str | None:
    """``url`` if Telegram will accept it as a link target (absolute http/https), else None."""
    if not url or len(html.escape(url)) > MAX_URL_CHARS or _BAD_URL_CHARS.search(url):
        return None
    try:
        parts = urlsplit(url)
        host = parts.hostname
        parts.port  # noqa: B018 - raises ValueError on a malformed port
    except ValueError:
        return None
    if parts.scheme.lower() not in ("http", "https") or not host:
        return None
    if not (_HOST.match(host) or (host.startswith("[") or ":" in host)):
        return None
    return url


@dataclass(frozen=True, slots=True)
class Fragment:
    html: str  # Telegram HTML source
    text: str  # what Telegram shows after parsing ``html``
    plain: str  # plain-text fallback (links spelled out)
    entities: int = 0

    @property
    def text_units(self) -> int:
        return utf16_len(self.text)

    @property
    def html_units(self) -> int:
        return utf16_len(self.html)

    @property
    def plain_units(self) -> int:
        return utf16_len(self.plain)

    def __add__(self, other: Fragment) -> Fragment:
        return Fragment(
            self.html + other.html,
            self.text + other.text,
            self.plain + other.plain,
            self.entities + other.entities,
        )


EMPTY = Fragment("", "", "")
NEWLINE = Fragment("\n", "\n", "\n")


def text(value: str) -> Fragment:
    return Fragment(escape(value), value, value)


def bold(value: str) -> Fragment:
    if not value:
        return EMPTY
    return Fragment(f"<b>{escape(value)}</b>", value, value, 1)


def wrap(tag: str, inner: Fragment) -> Fragment:
    """``inner`` inside ``<tag>`` (tag names are ours, never feed data)."""
    if not inner.text:
        return inner
    return Fragment(f"<{tag}>{inner.html}</{tag}>", inner.text, inner.plain, inner.entities + 1)


def link(inner: Fragment, url: str | None, *, plain_url: bool = True) -> Fragment:
    """``inner`` linked to ``url`` when it is a safe http(s) URL; otherwise ``inner`` alone.

    The plain fallback gets the URL after the text (``plain_url``) so it is not lost.
    """
    href = safe_url(url)
    if href is None or not inner.text:
        return inner
    plain = f"{inner.plain} {href}" if plain_url else inner.plain
    return Fragment(
        f'<a href="{html.escape(href, quote=True)}">{inner.html}</a>',
        inner.text,
        plain,
        inner.entities + 1,
    )


def join(fragments: Iterable[Fragment], sep: Fragment = EMPTY) -> Fragment:
    result = EMPTY
    first = True
    for fragment in fragments:
        result = fragment if first else result + sep + fragment
        first = False
    return result


def highlighted(value: str, ranges: Iterable[tuple[int, int]]) -> Fragment:
    """``value`` with the (sorted, disjoint, in-range) ``ranges`` in bold."""
    parts: list[Fragment] = []
    pos = 0
    for start, end in ranges:
        if start > pos:
            parts.append(text(value[pos:start]))
        parts.append(bold(value[start:end]))
        pos = end
    if pos < len(value):
        parts.append(text(value[pos:]))
    return join(parts)
