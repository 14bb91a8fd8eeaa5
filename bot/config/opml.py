"""OPML in and out: the format feed readers use to exchange subscription lists.

Imported feeds come from the operator's own file, so like rules-file feeds they are trusted
(not SSRF-guarded). Only http(s) ``xmlUrl`` outlines are taken; nesting (folders) is flattened.

The file itself is untrusted XML (exported by some other program, or sent by anyone): it is
parsed by defusedxml, which refuses entity declarations (so no "billion laughs") and external
references, whatever the document's encoding; nothing is ever fetched. A document type
declaration without entities is accepted, as before. Every refusal is a ``ConfigError`` at
``PATH:LINE:COL``.
"""

from __future__ import annotations

import re
from collections.abc import Iterable, Sequence
from pathlib import Path
from urllib.parse import urlsplit
from xml.etree.ElementTree import Element, ParseError, TreeBuilder
from xml.sax.saxutils import quoteattr

from defusedxml import DefusedXmlException, EntitiesForbidden, ExternalReferenceForbidden
from defusedxml.ElementTree import DefusedXMLParser

from bot.errors import ConfigError
from bot.models import FeedSpec

MAX_OPML = 16 * 1024 * 1024


def read_opml(path: str | Path) -> list[FeedSpec]:
    """The usable feeds of an OPML file (see ``read_opml_report`` for what was skipped)."""
    return read_opml_report(path)[0]


def read_opml_report(path: str | Path) -> tuple[list[FeedSpec], list[str]]:
    """The usable feeds, and one ``PATH:LINE: reason`` per outline that could not be used
    (no feed URL, a relative one, a scheme other than http(s)). Folders are not reported."""
    path = Path(path)
    try:
        data = path.read_bytes()
    except OSError as exc:
        raise ConfigError(f"{path}: cannot read: {exc.strerror or exc}") from exc
    if len(data) > MAX_OPML:
        raise ConfigError(f"{path}: larger than {MAX_OPML // 1048576} MiB")
    root = _parse(data, path)
    specs: list[FeedSpec] = []
    skipped: list[str] = []
    taken: set[str] = set()
    for outline in root.iter("outline"):
        where = f"{path}:{outline.get(_LINE, '?')}"
        url = (outline.get("xmlUrl") or "").strip()
        name = (outline.get("title") or outline.get("text") or "").strip() or None
        label = f" ({name})" if name else ""
        if not url:
            if len(outline) == 0:  # a folder has outlines inside; a feed needs a URL
                skipped.append(f"{where}: outline{label} has no xmlUrl: skipped")
            continue
        if not re.match(r"^https?://", url, re.IGNORECASE):
            scheme = urlsplit(url).scheme
            why = (
                f"has the scheme {scheme!r}, not http(s)"
                if scheme
                else "is a relative URL, not an absolute http(s) one"
            )
            skipped.append(f"{where}: outline{label}: xmlUrl {url[:200]!r} {why}: skipped")
            continue
        specs.append(FeedSpec(id=unique_id(slug(name or url), taken), url=url, name=name))
        taken.add(specs[-1].id)
    return specs, skipped


_LINE = "{newsbot}line"  # an attribute no OPML file has: the line an outline starts on


class _LineBuilder(TreeBuilder):
    """Records each element's line (expat's position when the start tag is seen)."""

    expat: object = None

    def start(self, tag: str, attrs: dict[str, str]) -> Element:
        if self.expat is not None:
            attrs = {**attrs, _LINE: str(self.expat.CurrentLineNumber)}  # type: ignore[attr-defined]
        return super().start(tag, attrs)


_REFUSED = {
    EntitiesForbidden: "entity declarations are not allowed in OPML",
    ExternalReferenceForbidden: "external references are not allowed in OPML",
}


def _parse(data: bytes, path: Path) -> Element:
    builder = _LineBuilder()
    parser = DefusedXMLParser(
        target=builder, forbid_dtd=False, forbid_entities=True, forbid_external=True
    )
    builder.expat = parser.parser
    try:
        parser.feed(data)
        root: Element = parser.close()
    except ParseError as exc:
        line, col = exc.position
        raise ConfigError(f"{path}:{line}:{col + 1}: not valid XML: {exc}") from exc
    except DefusedXmlException as exc:  # raised inside expat: its position is the construct's
        expat = parser.parser
        where = f"{expat.CurrentLineNumber}:{expat.CurrentColumnNumber + 1}"
        why = _REFUSED.get(type(exc), f"not allowed in OPML: {exc}")
        raise ConfigError(f"{path}:{where}: {why}") from exc
    return root


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
