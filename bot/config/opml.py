"""OPML in and out: the format feed readers use to exchange subscription lists.

Imported feeds come from the operator's own file, so like rules-file feeds they are trusted
(not SSRF-guarded). Only http(s) ``xmlUrl`` outlines are taken; nesting (folders) is flattened.
"""

from __future__ import annotations

import re
import xml.etree.ElementTree as ET
from collections.abc import Iterable, Sequence
from pathlib import Path
from urllib.parse import urlsplit
from xml.sax.saxutils import quoteattr

from bot.errors import ConfigError
from bot.models import FeedSpec

MAX_OPML = 16 * 1024 * 1024


def read_opml(path: str | Path) -> list[FeedSpec]:
    path = Path(path)
    try:
        data = path.read_bytes()
    except OSError as exc:
        raise ConfigError(f"{path}: cannot read: {exc.strerror or exc}") from exc
    if len(data) > MAX_OPML:
        raise ConfigError(f"{path}: larger than {MAX_OPML // 1048576} MiB")
    if b"<!ENTITY" in data:
        raise ConfigError(f"{path}: entity declarations are not allowed in OPML")
    try:
        root = ET.fromstring(data)  # noqa: S314 - no entities (checked above); expat caps expansion
    except ET.ParseError as exc:
        line, col = exc.position
        raise ConfigError(f"{path}:{line}:{col + 1}: not valid XML: {exc}") from exc
    specs: list[FeedSpec] = []
    taken: set[str] = set()
    for outline in root.iter("outline"):
        url = (outline.get("xmlUrl") or "").strip()
        if not re.match(r"^https?://", url, re.IGNORECASE):
            continue
        name = (outline.get("title") or outline.get("text") or "").strip() or None
        specs.append(FeedSpec(id=unique_id(slug(name or url), taken), url=url, name=name))
        taken.add(specs[-1].id)
    return specs


def slug(text: str) -> str:
    if "://" in text:
        text = (urlsplit(text).hostname or "feed").removeprefix("www.")
    return re.sub(r"[^a-z0-9]+", "-", text.lower()).strip("-")[:40] or "feed"


def unique_id(base: str, taken: Iterable[str]) -> str:
    used = set(taken)
    candidate, n = base, 2
    while candidate in used:
        candidate, n = f"{base}-{n}", n + 1
    return candidate


def export_opml(feeds: Sequence[FeedSpec]) -> str:
    lines = [
        '<?xml version="1.0" encoding="UTF-8"?>',
        '<opml version="2.0">',
        "  <head><title>newsbot feeds</title></head>",
        "  <body>",
    ]
    for feed in feeds:
        lines.append(
            f'    <outline type="rss" text={quoteattr(feed.display_name)} '
            f"title={quoteattr(feed.display_name)} xmlUrl={quoteattr(feed.url)}/>"
        )
    lines += ["  </body>", "</opml>", ""]
    return "\n".join(lines)
