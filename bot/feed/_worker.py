"""Parser worker process: ``python -m bot.feed._worker CPU_SECONDS MEMORY_BYTES``.

Says it is ready (an empty frame) once its imports are done, then reads length-prefixed
``marshal`` frames ``(body, headers)`` on stdin and answers ``("ok", feed)`` or
``("error", message)`` frames on stdout. Only the standard library, feedparser and
fastfeedparser are imported; both run on bytes + headers, never on a URL or path. JSON
documents go to :mod:`bot.feed._jsonfeed` (JSON Feed 1.0/1.1) instead. fastfeedparser is a
fast path (:func:`parse_fast`) taken only when its answer matches feedparser's; anything in
doubt goes to feedparser (:func:`parse_feedparser`), the authority.

Limits: RLIMIT_AS caps memory for the process's life; RLIMIT_CPU's soft limit is re-armed
before every parse to "CPU used so far + budget", so one pathological input gets SIGXCPU
(and dies) while a long-lived worker never trips over its accumulated CPU time.
The parent adds a wall-clock kill on top.
"""

from __future__ import annotations

import codecs
import html
import marshal
import math
import re
import resource
import struct
import sys
import time
from typing import Any, BinaryIO

from bot.feed._jsonfeed import is_json, parse_jsonfeed

_HEADER = struct.Struct("!I")


def _read_exact(stream: BinaryIO, size: int) -> bytes | None:
    data = b""
    while len(data) < size:
        chunk = stream.read(size - len(data))
        if not chunk:
            return None
        data += chunk
    return data


def _when(entry: Any, *keys: str) -> tuple[int, ...] | None:
    for key in keys:
        value = entry.get(key)
        if value:
            try:
                return tuple(int(v) for v in value[:6])
            except (TypeError, ValueError):
                continue
    return None


_SHORT = 8 * 1024  # raw cap for ids, links, titles, authors (normalization caps further)
_LONG = 64 * 1024  # raw cap for summaries and content
_MAX_ENTRIES = 1000


def _text(value: Any, cap: int = _SHORT) -> str | None:
    return value[:cap] if isinstance(value, str) and value else None


def _is_html(detail: Any) -> bool:
    kind = detail.get("type", "") if hasattr(detail, "get") else ""
    return isinstance(kind, str) and "html" in kind


def _web_link(entry: Any) -> str | None:
    """feedparser's link, or, when that is no web address (``<link uri="at://...">``), the
    http(s) text of the <link> element it came from (kept by :func:`_keep_link_text`)."""
    link = _text(entry.get("link"))
    if link is None or _is_web_or_relative(link):
        return link
    for item in entry.get("links") or ():
        text = item.get(_LINK_TEXT) if hasattr(item, "get") else None
        if item.get("href") == link and isinstance(text, str):
            text = html.unescape(text).strip()
            if text[:8].lower().startswith(("http://", "https://")):
                return text[:_SHORT]
    return link


def _is_web_or_relative(link: str) -> bool:
    scheme, colon, _ = link.partition(":")
    if not colon or not scheme.isascii() or not scheme[:1].isalpha():
        return True  # no scheme: relative, resolved later against the document
    if not all(c.isalnum() or c in "+-." for c in scheme):
        return True  # "a/b:c" is a relative path, not a scheme
    return scheme.lower() in ("http", "https")


_LINK_TEXT = "newsbot_text"


def _keep_link_text() -> None:
    """Make feedparser keep the text of a <link> that has an href/uri/url attribute.

    feedparser takes the attribute and drops the element's text; the text is stored on the
    link's dict (``links[i]["newsbot_text"]``) and used only when the attribute is no web
    address. Idempotent; wraps feedparser's own start/end handlers, changing nothing else.
    """
    from feedparser.mixin import _FeedParserMixin as Mixin

    if getattr(Mixin, "_newsbot_link_text", False):
        return
    start_link, end_link = Mixin._start_link, Mixin._end_link

    def _start_link(self: Any, attrs_d: dict[str, str]) -> None:
        links = self._get_context().get("links") or []
        before = len(links)
        start_link(self, attrs_d)
        links = self._get_context().get("links") or []
        if "href" in attrs_d and self.inentry and len(links) > before:
            self.push(_LINK_TEXT, 0)  # plain text collection: feedparser saves nothing

    def _end_link(self: Any) -> None:
        if self.elementstack and self.elementstack[-1][0] == _LINK_TEXT:
            text = self.pop(_LINK_TEXT)
            links = self._get_context().get("links")
            if links and text:
                links[-1][_LINK_TEXT] = text
        else:
            end_link(self)

    Mixin._start_link = _start_link
    Mixin._end_link = _end_link
    Mixin._newsbot_link_text = True


def _entry(entry: Any) -> tuple[Any, ...]:
    content = ""
    content_html = False
    for item in entry.get("content") or ():
        value = item.get("value") if hasattr(item, "get") else None
        if isinstance(value, str) and value:
            content, content_html = value[:_LONG], _is_html(item)
            break
    summary = _text(entry.get("summary"), _LONG) or ""
    return (
        _text(entry.get("id")),
        _web_link(entry),
        _text(entry.get("title")),
        _is_html(entry.get("title_detail") or {}),
        summary,
        _is_html(entry.get("summary_detail") or {}) or bool(summary and "<" in summary),
        content,
        content_html,
        _when(entry, "published_parsed", "updated_parsed", "created_parsed"),
        _when(entry, "updated_parsed"),
        _text(entry.get("author")),
    )


_BOMS = (
    (codecs.BOM_UTF32_LE, "utf-32"),
    (codecs.BOM_UTF32_BE, "utf-32"),
    (codecs.BOM_UTF16_LE, "utf-16"),
    (codecs.BOM_UTF16_BE, "utf-16"),
)
_XML_DECL_ENCODING = re.compile(r"^(<\?xml[^>]*?encoding\s*=\s*)([\"'])[^\"']*\2")


def transcode_bom(body: bytes, headers: dict[str, str]) -> tuple[bytes, dict[str, str]]:
    """A UTF-16/32 byte-order mark is authoritative (XML 1.0 F.1, RFC 7303 3.3).

    feedparser prefers the HTTP charset or a UTF-8 default and then "successfully" reads
    UTF-16 as UTF-8 (NULs and all); so re-encode such documents to UTF-8 and say so.
    """
    for bom, codec in _BOMS:
        if body.startswith(bom):
            text = body.decode(codec, errors="replace")
            text = _XML_DECL_ENCODING.sub(r"\1\2utf-8\2", text, count=1)
            kind = headers.get("content-type", "application/xml").split(";", 1)[0].strip()
            headers = {**headers, "content-type": f"{kind or 'application/xml'}; charset=utf-8"}
            return text.encode("utf-8", errors="replace"), headers
    return body, headers


_CHARREF = re.compile(rb"&#(?:[xX]([0-9a-fA-F]{1,8})|([0-9]{1,10}));")


def _drop_bad_charref(match: re.Match[bytes]) -> bytes:
    hex_digits, decimal = match.groups()
    code = int(hex_digits, 16) if hex_digits else int(decimal)
    if code in (0x9, 0xA, 0xD) or (0x20 <= code < 0xD800) or (0xE000 <= code <= 0x10FFFF):
        if not 0x7F <= code <= 0x9F and code not in (0xFFFE, 0xFFFF):
            return match.group(0)
    return b""


def drop_bad_charrefs(body: bytes) -> bytes:
    """Remove character references XML forbids (``&#0;``, ``&#xD800;``, C0/C1 controls):
    feedparser would pass lone surrogates through or fail on them."""
    return _CHARREF.sub(_drop_bad_charref, body) if b"&#" in body else body


def prepare(body: bytes, headers: dict[str, str]) -> tuple[bytes, dict[str, str]]:
    """What both parsers see: BOM-transcoded, forbidden character references dropped."""
    body, headers = transcode_bom(body, headers)
    return drop_bad_charrefs(body), headers


def parse(body: bytes, headers: dict[str, str]) -> tuple[Any, ...]:
    body, headers = prepare(body, headers)
    if is_json(body):
        return parse_json(body, headers)
    fast = parse_fast(body, headers)
    return fast if fast is not None else parse_feedparser(body, headers)


def parse_json(body: bytes, headers: dict[str, str]) -> tuple[Any, ...]:
    """JSON Feed 1.0/1.1 (:mod:`bot.feed._jsonfeed`), with the XML parsers' caps."""
    from feedparser.datetimes import _parse_date

    return parse_jsonfeed(
        body, headers, short=_SHORT, long=_LONG, max_entries=_MAX_ENTRIES, parse_date=_parse_date
    )


def parse_feedparser(body: bytes, headers: dict[str, str]) -> tuple[Any, ...]:
    """The authority: feedparser on a :func:`prepare`-d document."""
    import feedparser

    _keep_link_text()
    # No Content-Location default: feedparser would resolve relative guids against it.
    result = feedparser.parse(
        body, response_headers=headers, sanitize_html=False, resolve_relative_uris=False
    )
    feed = result.get("feed", {})
    ttl_raw = feed.get("ttl")
    try:
        ttl = float(ttl_raw) * 60.0 if ttl_raw not in (None, "") else None
    except (TypeError, ValueError):
        ttl = None
    if ttl is not None and not math.isfinite(ttl):
        ttl = None
    bozo = result.get("bozo_exception") if result.get("bozo") else None
    entries = tuple(_entry(e) for e in result.get("entries", ())[:_MAX_ENTRIES])
    return (
        _text(feed.get("title")),
        _text(feed.get("link")),
        ttl,
        entries,
        f"{type(bozo).__name__}: {bozo}"[:500] if bozo is not None else None,
        result.get("version", "") or "",
    )


# ---------------------------------------------------------------------------
# Fast path: fastfeedparser (lxml + native core, ~30x faster) for documents plain enough that
# its answer provably matches feedparser's after normalization; anything else -> None and
# feedparser decides. Text values come from fastfeedparser; the semantics feedparser attaches
# to them (which link, guid-as-link, content types, html guessing, dates) are rebuilt here from
# one scan over the document's tags, and any shape not handled below is a fallback.

_OK_CHARSETS = frozenset({"utf-8", "utf8", "us-ascii", "ascii"})
_DECLARATION = re.compile(rb"<!(?!--|\[CDATA\[)")  # <!DOCTYPE, <!ENTITY, any other
_CONTROL = re.compile(rb"[\x00-\x08\x0b\x0c\x0e-\x1f]")
_C1 = re.compile(rb"\xc2[\x80-\x9f]")  # C1 controls in UTF-8: feedparser reads them as cp1252
_BARE_AMP = re.compile(rb"&(?!(?:amp|lt|gt|quot|apos|#[0-9]+|#[xX][0-9a-fA-F]+);)")
_XHTML = re.compile(rb"""type\s*=\s*["'][^"']*xhtml""", re.IGNORECASE)
_DECL = re.compile(rb"""\A(?:\xef\xbb\xbf)?\s*<\?xml\s[^>]*?encoding\s*=\s*["']([^"']*)""")
_CHARSET = re.compile(r"""charset\s*=\s*["']?([^"';\s]+)""", re.IGNORECASE)
_ENTRY_START = re.compile(rb"<(item|entry)[\s>/]")
_TAG = re.compile(
    rb"<!\[CDATA\[.*?\]\]>|<!--.*?-->|<\?.*?\?>|<(/?)([A-Za-z_][\w.:-]*)((?:\s[^>]*?)?)(/?)>",
    re.DOTALL,
)
_ATTR = re.compile(rb"""([\w.:-]+)\s*=\s*(?:"([^"]*)"|'([^']*)')""")
_TITLE_ATTRS = re.compile(rb"<title\s[^>]*=")
_ANY_TITLE = re.compile(rb"<(?:[\w.-]+:)?title[\s>/]")
_TTL = re.compile(rb"<ttl>\s*([0-9]{1,9})\s*</ttl>")
_ATOM_NS = b'xmlns="http://www.w3.org/2005/Atom"'
_RSS10_NS = b'xmlns="http://purl.org/rss/1.0/"'
_RSS_VERSIONS = {"0.91": "rss091u", "0.92": "rss092", "0.93": "rss093", "0.94": "rss094"}
_HTML_TYPES = frozenset({"text/html", "application/xhtml+xml"})
_TEXT_TYPES = frozenset({"text/plain"}) | _HTML_TYPES

# Dates: element -> feedparser's slot (published / updated / created; last one wins).
_DATES = {
    b"pubdate": 0, b"published": 0, b"issued": 0, b"dcterms:issued": 0,
    b"updated": 1, b"modified": 1, b"lastbuilddate": 1, b"dc:date": 1, b"dcterms:modified": 1,
    b"created": 2, b"dcterms:created": 2,
}  # fmt: skip
# Elements feedparser gives meaning to (by local name, any prefix, any depth inside an item):
# allowed only where listed in _RSS_CHILDREN / _ATOM_CHILDREN, at most once unless repeatable.
_MEANINGFUL = frozenset(
    b"title link id guid summary description content encoded body fullitem abstract author "
    b"creator contributor name email uri date pubdate published updated modified issued created "
    b"lastbuilddate source item entry subtitle info tagline expirationdate".split()
)
_RSS_CHILDREN = {b"title", b"link", b"guid", b"description", b"content:encoded", b"author",
                 b"dc:creator", b"source", *(k for k in _DATES if b"dcterms" not in k)}  # fmt: skip
_ATOM_CHILDREN = {b"title", b"link", b"id", b"summary", b"content", b"author",
                  b"published", b"updated"}  # fmt: skip
_REPEATABLE = frozenset({b"link", *_DATES})  # Atom links; dates (last one wins)


def _looks_like_html(value: str, looks_like_html: Any) -> bool:
    return ("<" in value or "&" in value) and bool(looks_like_html(value))


def _attrs(raw: bytes) -> dict[bytes, str] | None:
    out: dict[bytes, str] = {}
    for match in _ATTR.finditer(raw):
        value = match.group(2) if match.group(2) is not None else match.group(3)
        if b"&" in value or b"<" in value or _CONTROL.search(value) or b"\t" in value:
            return None  # needs entity/whitespace normalization: not worth it
        out[match.group(1).lower()] = value.decode("utf-8").replace("\n", " ").replace("\r", " ")
    return out


class _Item:
    __slots__ = ("attrs", "children", "dates", "emails", "seen")

    def __init__(self, attrs: dict[bytes, str]) -> None:
        self.attrs = attrs
        self.children: list[tuple[bytes, dict[bytes, str], int]] = []  # name, attrs, order
        self.dates: list[tuple[int, str | None]] = []  # slot, raw text (None: not plain)
        self.emails: list[str | None] = []
        self.seen: set[bytes] = set()


def _scan(body: bytes, atom: bool) -> list[_Item] | None:
    """Items with their meaningful children; None when the shape needs feedparser."""
    allowed = _ATOM_CHILDREN if atom else _RSS_CHILDREN
    stack: list[bytes] = []
    items: list[_Item] = []
    item: _Item | None = None
    depth0 = 0
    open_text: tuple[int, int] | None = None  # a date/email element whose text we want
    for match in _TAG.finditer(body):
        close, qname, raw_attrs, empty = match.groups()
        if qname is None:
            continue
        name = qname.lower()
        if close:
            if not stack or stack[-1] != qname:
                return None  # not well-formed: feedparser's loose parser decides
            stack.pop()
            if item is not None and open_text is not None and len(stack) == open_text[1]:
                text = body[open_text[0] : match.start()]
                value = None if b"<" in text or b"&" in text else text.decode("utf-8").strip()
                if name == b"email":
                    item.emails.append(value)
                else:
                    item.dates.append((_DATES[name], value))
                open_text = None
            if item is not None and len(stack) == depth0:
                items.append(item)
                item = None
            continue
        depth = len(stack)
        if not empty:
            stack.append(qname)
        if item is None:
            if name in (b"item", b"entry"):
                attrs = _attrs(raw_attrs) if raw_attrs else {}
                if attrs is None or any(
                    k != b"rdf:about" and not k.startswith(b"xmlns") for k in attrs
                ):
                    return None
                if empty:
                    return None
                item, depth0 = _Item(attrs), depth
            continue
        level = depth - depth0
        if level >= 2 and stack[depth0 + 1].lower() in allowed - {b"author"}:
            return None  # markup inside a text element: fastfeedparser keeps only its head
        local = name.rsplit(b":", 1)[-1]
        if local not in _MEANINGFUL:
            continue
        if level == 1 and name in allowed:
            if name in item.seen and name not in _REPEATABLE:
                return None
            item.seen.add(name)
            attrs = _attrs(raw_attrs) if raw_attrs else {}
            if attrs is None:
                return None
            item.children.append((name, attrs, match.start()))
            if name in _DATES and not empty:
                open_text = (match.end(), depth)
            elif name in _DATES:
                item.dates.append((_DATES[name], ""))
        elif (
            atom
            and level == 2
            and name in (b"name", b"email", b"uri")
            and stack[depth - 1] == (b"author")
        ):
            if name == b"email" and not empty:
                open_text = (match.end(), depth)
        else:
            return None
    if stack or item is not None:
        return None
    return items


def _root(body: bytes) -> tuple[str, bytes] | None:
    """The document element: ("rss20", ...) etc., or None for anything else."""
    for match in _TAG.finditer(body, 0, 4096):
        if match.group(2) is None:
            continue
        close, qname, raw_attrs, _ = match.groups()
        if close:
            return None
        if qname == b"rss":
            attrs = (_attrs(raw_attrs) if raw_attrs else {}) or {}
            declared = attrs.get(b"version", "")
            version = _RSS_VERSIONS.get(declared) or ("rss20" if declared.startswith("2.") else "")
            return (version, qname) if version else None
        if qname == b"feed" and _ATOM_NS in raw_attrs:
            return "atom10", qname
        if qname == b"rdf:RDF" and _RSS10_NS in raw_attrs:
            return "rss10", qname
        return None
    return None


def _plain_utf8(body: bytes, headers: dict[str, str]) -> bool:
    charset = _CHARSET.search(headers.get("content-type", ""))
    if charset and charset.group(1).lower() not in _OK_CHARSETS:
        return False
    declared = _DECL.match(body)
    if declared and declared.group(1).decode("ascii", "replace").lower() not in _OK_CHARSETS:
        return False
    try:
        body.decode("utf-8")
    except UnicodeDecodeError:
        return False
    return True


def _fp_text(value: str) -> str:
    """feedparser re-reads UTF-8 that was mis-decoded as Latin-1; so do we."""
    if value.isascii():
        return value
    try:
        return value.encode("iso-8859-1").decode("utf-8")
    except (UnicodeEncodeError, UnicodeDecodeError):
        return value


def _content_type(attrs: dict[bytes, str], default: str) -> str:
    kind = attrs.get(b"type", default).lower()
    return {"text": "text/plain", "plain": "text/plain", "html": "text/html"}.get(kind, kind)


def _fast_entry(
    item: _Item, parsed: Any, version: str, looks_like_html: Any, urljoin: Any, when: Any
) -> tuple[Any, ...] | None:
    atom = version == "atom10"
    kids = {name: (attrs, pos) for name, attrs, pos in item.children}
    title = _fp_text(parsed.get("title") or "")
    title_type = _content_type(kids.get(b"title", ({}, 0))[0], "text/plain")
    if title_type not in _TEXT_TYPES:
        return None
    if not atom and title_type == "text/plain" and _looks_like_html(title, looks_like_html):
        title_type = "text/html"

    # id: <guid>/<id> (resolved like a URI when it is a permalink), else rdf:about
    id_tag = b"id" if atom else b"guid"
    ident: str | None = None
    guid_is_link = False
    if id_tag in kids:
        ident = parsed.get("id") or None
        guid_is_link = atom or kids[id_tag][0].get(b"ispermalink", "true") == "true"
        if ident is None:
            return None
        if guid_is_link:
            ident = urljoin("", ident)
    elif b"rdf:about" in item.attrs:
        ident = item.attrs[b"rdf:about"] or None
    # link: RSS <link> text; Atom: the last rel=alternate link of an html type; else the guid
    link: str | None = None
    if atom:
        for name, attrs, _ in item.children:
            if name != b"link":
                continue
            if b"href" not in attrs:
                return None
            rel = attrs.get(b"rel", "alternate")
            kind = attrs.get(b"type", "application/atom+xml" if rel == "self" else "text/html")
            if rel == "alternate" and _content_type({b"type": kind}, "") in _HTML_TYPES:
                link = urljoin("", attrs[b"href"].strip()) or None
    elif b"link" in kids:
        if kids[b"link"][0] or not parsed.get("link"):
            return None
        link = urljoin("", parsed["link"])
    if link is not None and not _is_web_or_relative(link):
        return None  # the authority may take the <link>'s text instead (_web_link)
    if link is None and guid_is_link and ident:
        link = ident

    # summary: the item's own; else a copy of its content (feedparser's summary fallback)
    sum_tag, content_tag = (
        (b"summary", b"content") if atom else (b"description", b"content:encoded")
    )
    content, content_type = "", ""
    if content_tag in kids:
        content_type = _content_type(kids[content_tag][0], "text/plain" if atom else "text/html")
        if content_type not in _TEXT_TYPES or b"src" in kids[content_tag][0]:
            return None
        if sum_tag in kids and kids[sum_tag][1] > kids[content_tag][1]:
            return None  # summary after content: feedparser files it as content
        values = parsed.get("content") or ()
        content = _fp_text(values[0].get("value") or "") if values else ""
    summary, summary_html = "", False
    if sum_tag in kids:
        summary = _fp_text(parsed.get("description") or "")
        if not summary and content:
            return None
        kind = _content_type(kids[sum_tag][0], "text/plain" if atom else "text/html")
        if kind not in _TEXT_TYPES:
            return None
        if not atom and kind == "text/plain" and _looks_like_html(summary, looks_like_html):
            kind = "text/html"
        summary_html = "html" in kind or "<" in summary
    elif content:
        summary, summary_html = content, "<" in content

    # dates: feedparser's own parser on the raw text, feedparser's slots
    slots: list[Any] = [None, None, None]
    present = [False, False, False]
    for slot, raw in item.dates:
        if raw is None:
            return None
        slots[slot], present[slot] = (when(raw) if raw else None), True
    published = next((tuple(s[:6]) for s in slots if s), None)
    # feedparser's updated_parsed falls back to published_parsed when it was never set
    last = slots[1] if present[1] else slots[0]
    updated = tuple(last[:6]) if last else None

    author = _fp_text(parsed.get("author") or "") or None
    if author is not None and len(author) > _SHORT:
        return None  # feedparser's e-mail regex meets this one: let it hit the same limits
    if atom and item.emails:
        email = item.emails[-1]
        if email is None or len(item.emails) > 1:
            return None
        author = f"{author} ({email})" if author and email else (author or email or None)
    elif not atom and b"author" in kids and b"dc:creator" in kids:
        return None
    return (
        _text(ident),
        _text(link),
        _text(title.strip()),
        "html" in title_type,
        summary[:_LONG],
        summary_html,
        content[:_LONG],
        "html" in content_type,
        published,
        updated,
        _text(author),
    )


def parse_fast(body: bytes, headers: dict[str, str]) -> tuple[Any, ...] | None:
    """The fast path on a :func:`prepare`-d document, or None when feedparser must decide."""
    if _DECLARATION.search(body) or b"xml:base" in body or _CONTROL.search(body):
        return None
    if (b"\xc2" in body and _C1.search(body)) or _BARE_AMP.search(body):
        return None
    if "content-location" in headers or (b"xhtml" in body.lower() and _XHTML.search(body)):
        return None
    if not _plain_utf8(body, headers):
        return None
    root = _root(body)
    if root is None:
        return None
    version = root[0]
    items = _scan(body, version == "atom10")
    if items is None:
        return None
    expected = min(len(_ENTRY_START.findall(body)), _MAX_ENTRIES)
    if len(items) != len(_ENTRY_START.findall(body)):
        return None

    import fastfeedparser
    from feedparser.datetimes import _parse_date
    from feedparser.mixin import _FeedParserMixin
    from feedparser.urls import _urljoin

    try:
        result = fastfeedparser.parse(body, include_tags=False, include_media=False)
    except Exception:  # any doubt: feedparser decides
        return None
    parsed_entries = result.get("entries") or []
    if len(parsed_entries) != len(items) or len(items[:_MAX_ENTRIES]) != expected:
        return None
    entries = []
    for item, parsed in zip(items[:_MAX_ENTRIES], parsed_entries, strict=False):
        entry = _fast_entry(
            item, parsed, version, _FeedParserMixin.looks_like_html, _urljoin, _parse_date
        )
        if entry is None:
            return None
        entries.append(entry)
    feed = result.get("feed") or {}
    first = _ENTRY_START.search(body)
    head = body[: first.start() if first else len(body)]
    if _TITLE_ATTRS.search(head) or (not feed.get("title") and _ANY_TITLE.search(head)):
        return None  # dc:title, typed (base64, html) feed titles: feedparser decides
    ttl_match = _TTL.search(body, 0, first.start() if first else len(body))
    ttl = float(ttl_match.group(1)) * 60.0 if ttl_match and version != "atom10" else None
    return (
        _text(_fp_text(feed.get("title") or "").strip()),
        _text(feed.get("link")),
        ttl,
        tuple(entries),
        None,
        version,
    )


def parse_normalized(
    body: bytes, headers: dict[str, str], url: str, feed_id: str, now: float
) -> tuple[Any, ...]:
    """Parse, then normalize here too (bot.feed.entries: pure), so the bot's event loop only
    rebuilds records: entries come back as plain tuples in ``Entry`` field order, with
    ``published`` as epoch seconds."""
    from datetime import UTC, datetime

    from bot.feed.entries import normalize_entries
    from bot.feed.parse import feed_from_tuple

    parsed = feed_from_tuple(parse(body, headers), url)
    entries = normalize_entries(parsed, feed_id, datetime.fromtimestamp(now, UTC))
    return (
        parsed.title,
        parsed.link,
        parsed.ttl,
        tuple(
            (
                e.key,
                e.title,
                e.link,
                e.summary,
                e.published.timestamp() if e.published is not None else None,
                e.author,
            )
            for e in entries
        ),
        parsed.bozo,
        parsed.version,
    )


def main() -> None:
    cpu_budget = float(sys.argv[1]) if len(sys.argv) > 1 else 10.0
    memory = int(sys.argv[2]) if len(sys.argv) > 2 else 0
    if memory > 0:
        resource.setrlimit(resource.RLIMIT_AS, (memory, memory))
    import fastfeedparser  # noqa: F401  (warm up before the first job)
    import feedparser  # noqa: F401

    stdin, stdout = sys.stdin.buffer, sys.stdout.buffer
    stdout.write(_HEADER.pack(0))  # ready: the parent's wall clock starts with the first job
    stdout.flush()
    _, cpu_hard = resource.getrlimit(resource.RLIMIT_CPU)
    while True:
        head = _read_exact(stdin, _HEADER.size)
        if head is None:
            return
        frame = _read_exact(stdin, _HEADER.unpack(head)[0])
        if frame is None:
            return
        body, headers, *normalize = marshal.loads(frame)  # noqa: S302 - from our parent only
        usage = resource.getrusage(resource.RUSAGE_SELF)
        soft = math.ceil(usage.ru_utime + usage.ru_stime + cpu_budget)
        if cpu_hard != resource.RLIM_INFINITY:
            soft = min(soft, cpu_hard)
        resource.setrlimit(resource.RLIMIT_CPU, (soft, cpu_hard))
        started = time.monotonic()
        try:
            if normalize:
                answer: tuple[Any, ...] = ("ok", parse_normalized(body, headers, *normalize))
            else:
                answer = ("ok", parse(body, headers))
        except MemoryError:
            answer = ("fatal", "out of memory")
        except Exception as exc:  # any parser failure is this feed's ParseError
            answer = ("error", f"{type(exc).__name__}: {exc}"[:500])
        del body
        try:
            out = marshal.dumps((*answer, time.monotonic() - started))
        except ValueError:
            out = marshal.dumps(("error", "unserializable parse result", 0.0))
        stdout.write(_HEADER.pack(len(out)) + out)
        stdout.flush()


if __name__ == "__main__":
    main()
