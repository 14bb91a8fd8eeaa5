"""Fast path: feedparser's strict reading of a plain feed, replayed on expat without feedparser.

feedparser (the authority) reads a well-formed document with expat through ``xml.sax`` and a
large state machine. For the documents this module accepts, it replays the part of that machine
which decides our fields, on the same expat events, with feedparser's own tables and helpers
(namespace table, handler names, ``_urljoin``, ``looks_like_html``, ``_parse_date``, the cp1252
map, ``parse_content_type``), and builds the entry dicts feedparser would build; both paths then
read them with the same :func:`bot.feed._authority.entry_tuple`. Anything outside that replay is
:class:`StepAside` and feedparser decides. Accepted (everything else steps aside):

* feedparser would decode the body as UTF-8 (or, for ASCII bodies, any ASCII-compatible
  codec): its own content-type / charset / XML-declaration rules, replayed; no
  ``Content-Location`` header, no ``<!DOCTYPE``/``<!ENTITY``, no ``base``/``xml:base``
  attribute (feedparser resolves against them), and expat accepts the document as feedparser
  would hand it over (else feedparser switches to its loose parser);
* element names resolved to feedparser's handler names exactly as it does (namespace URI ->
  its standard prefix, else the document's prefix, its prefix remapping included);
* root ``rss`` (one ``channel`` holding the items), ``rdf:RDF`` with version rss10/rss090
  (items beside the channel) or Atom 1.0 ``feed``; items/entries only there;
* inside an item: title, link(s), guid/id, one of description/summary, one of
  content:encoded/content, one author-like element (author, dc:creator, dc:author,
  itunes:author; with name/email/uri children or text), dates (published/updated/created
  families), each text element without child elements and without ``mode``/``src``; besides
  these only elements feedparser has no handler for (and whose key we never read) and a
  vetted list of handlers that write nothing we read (category, enclosure, source, media:*
  containers, some itunes:*);
* outside items, handler elements are leaves except image/textinput/author-like containers;
  the feed's title, link (incl. an Atom id's) and ttl follow feedparser's contexts, flags and
  title-depth rule.

Every scan here is linear: expat, ``str.find`` loops, and regexes without nested or
overlapping quantifiers.
"""

from __future__ import annotations

import codecs
import re
import xml.parsers.expat
from typing import Any

from bot.feed._authority import LINK_TEXT, MAX_ENTRIES, capped, entry_tuple, ttl_seconds

# codecs.lookup() names that read ASCII bytes as ASCII
_ASCII_COMPATIBLE = frozenset(
    {"utf-8", "ascii", "iso8859-1", "iso8859-15", "cp1252", "cp1250", "iso8859-2"}
)
_UTF16_NAMES = frozenset(
    "u16 utf-16 utf16 utf_16 u32 utf-32 utf32 utf_32 iso-10646-ucs-2 iso-10646-ucs-4 "
    "csucs4 csunicode ucs-2 ucs-4".split()
)
_XML_TYPES = frozenset(
    {"application/xml", "application/xml-dtd", "application/xml-external-parsed-entity"}
)
_FIRST_ELEMENT = re.compile(rb"<\w")  # feedparser's replace_doctype split (linear)
_NEW_DECL = b"<?xml version='1.0' encoding='utf-8'?>"
_QUERY_ENTITY = re.compile("&([A-Za-z0-9_]+);")  # feedparser's link fix-up (linear: \w-run + ;)
_VERSIONS = {"0.91": "rss091u", "0.92": "rss092", "0.93": "rss093", "0.94": "rss094"}
_ACCEPTED_VERSIONS = frozenset(
    {"rss090", "rss091u", "rss092", "rss093", "rss094", "rss20", "rss10", "rss", "atom10"}
)
_NETSCAPE = "http://my.netscape.com/rdf/simple/0.9/"
_RSS10 = "http://purl.org/rss/1.0/"
_ATOM10 = "http://www.w3.org/2005/atom"
_USERLAND = "http://backend.userland.com/rss"
_TEXT_TYPES = frozenset({"text/plain", "text/html"})
_HTML_TYPES = frozenset({"text/html", "application/xhtml+xml"})
_TITLES = frozenset({"title", "dc_title", "media_title"})
_PUBLISHED = frozenset({"pubdate", "published", "issued", "dcterms_issued"})
_UPDATED = frozenset({"updated", "modified", "lastbuilddate", "dc_date", "dcterms_modified"})
_CREATED = frozenset({"created", "dcterms_created"})
_DATE_SLOT = {
    **dict.fromkeys(_PUBLISHED, "published"),
    **dict.fromkeys(_UPDATED, "updated"),
    **dict.fromkeys(_CREATED, "created"),
}
_AUTHORS = frozenset({"author", "dc_creator", "dc_author", "itunes_author"})
_AUTHOR_PARTS = {"name": "name", "email": "email", "uri": "href", "url": "href", "homepage": "href"}
_SUMMARIES = {"description": "text/html", "summary": "text/plain"}  # name -> default type
_CONTENTS = {"content_encoded": "text/html", "content": "text/plain"}
# Handlers that write nothing entry_tuple reads and change no state an item depends on
# (read in feedparser 6.0: _base, mediarss, itunes, dc namespaces).
_HARMLESS = frozenset(
    "category enclosure media_content media_thumbnail media_group media_credit media_rating "
    "media_restriction media_license media_player media_keywords media_category "
    "itunes_explicit itunes_block itunes_keywords itunes_category itunes_image dc_subject "
    "expirationdate".split()
)
# ... and the same for these, as long as they hold no child element (content-like handlers
# would read children as markup)
_HARMLESS_LEAVES = frozenset(
    "rights copyright dc_rights language dc_language itunes_subtitle dc_publisher".split()
)
# Feed-level handler elements vetted as harmless to the feed's title, link and ttl and to the
# items: containers (their children are leaves) and leaves; any other handler steps aside
_FEED_CONTAINERS = frozenset(
    {"author", "contributor", "managingeditor", "itunes_owner", "dc_creator", "dc_author"}
)
_FEED_LEAVES = frozenset(
    "description subtitle tagline info feedburner_browserfriendly language dc_language "
    "copyright rights dc_rights webmaster dc_publisher itunes_author pubdate published issued "
    "lastbuilddate updated modified dc_date dcterms_modified dcterms_issued created "
    "dcterms_created category dc_subject keywords itunes_category itunes_keywords "
    "itunes_explicit itunes_block itunes_image itunes_subtitle itunes_summary generator cloud "
    "name email uri url homepage itunes_name itunes_email width height media_thumbnail "
    "media_content media_category media_keywords media_rating media_credit expirationdate "
    "newlocation".split()
)
# unprefixed elements that do not end feedparser's image / textinput context
_IMAGE_PARTS = frozenset({"title", "link", "description", "url", "href", "width", "height"})
_TEXTINPUT_PARTS = frozenset({"title", "link", "description", "name"})
_MAX_AUTHOR = 1024  # feedparser's e-mail regex is quadratic: long authors go to it, limits on
_MAX_DATE = 256


class StepAside(Exception):
    """The document needs feedparser."""


class _Tables:
    """feedparser's own tables, read once."""

    def __init__(self) -> None:
        from feedparser.api import StrictFeedParser
        from feedparser.datetimes import _parse_date
        from feedparser.encodings import parse_content_type
        from feedparser.html import _cp1252
        from feedparser.mixin import _FeedParserMixin
        from feedparser.urls import _urljoin
        from feedparser.util import FeedParserDict

        self.match = {k.lower(): v for k, v in _FeedParserMixin.namespaces.items()}
        self.handlers = frozenset(
            name[len(prefix) :]
            for name in dir(StrictFeedParser)
            for prefix in ("_start_", "_end_")
            if name.startswith(prefix)
        )
        self.relative = frozenset(_FeedParserMixin.can_be_relative_uri)
        self.looks_like_html = _FeedParserMixin.looks_like_html
        self.parse_date = _parse_date
        self.urljoin = _urljoin
        self.cp1252 = _cp1252
        self.parse_content_type = parse_content_type
        read = {
            "id", "link", "links", "title", "title_detail", "summary", "summary_detail",
            "content", "author", "published_parsed", "updated_parsed", "created_parsed",
        }  # fmt: skip
        keymap = FeedParserDict.keymap
        self.read_keys = frozenset(
            read
            | {
                key
                for key, target in keymap.items()
                if (target[0] if isinstance(target, list) else target) in read
            }
        )


_TABLES: _Tables | None = None


def _tables() -> _Tables:
    global _TABLES
    if _TABLES is None:
        _TABLES = _Tables()
    return _TABLES


def parse_fast(body: bytes, headers: dict[str, str]) -> tuple[Any, ...] | None:
    """``(title, link, ttl, entries, None, version)`` as feedparser would give it, or None
    when the document needs feedparser."""
    try:
        data = utf8_document(body, headers)
        return _Replay(_tables()).run(data)
    except StepAside:
        return None


# --------------------------------------------------------------------------- encoding


def utf8_document(body: bytes, headers: dict[str, str]) -> bytes:
    """The bytes feedparser's strict parser would see, when they are the UTF-8 reading of
    ``body``; else StepAside. Replays ``feedparser.encodings.convert_to_utf8``."""
    if "content-location" in headers:
        raise StepAside  # feedparser resolves links against it
    body, bom = _utf8_body(body)
    line_end = body.find(b"\n")
    xml_encoding = declared_encoding(body[: line_end if line_end >= 0 else len(body)])
    if xml_encoding is None:
        raise StepAside
    if bom and xml_encoding in _UTF16_NAMES:
        xml_encoding = bom
    proposed = (_rfc3023_encoding(headers, xml_encoding), xml_encoding, bom)
    _check_reads_as_utf8(proposed, body.isascii())
    return _redeclared(body)


def _utf8_body(body: bytes) -> tuple[bytes, str]:
    """The body without its UTF-8 byte-order mark, and "utf-8" when it had one; StepAside
    unless it is valid UTF-8 (or when it may be UTF-16/32: feedparser sniffs those)."""
    if body.startswith(codecs.BOM_UTF8):
        body, bom = body[3:], "utf-8"
    elif b"\x00" in body[:4]:
        raise StepAside  # feedparser's UTF-16/32 sniffing
    else:
        bom = ""
    try:
        body.decode("utf-8")
    except UnicodeDecodeError as exc:
        raise StepAside from exc
    return body, bom


def _rfc3023_encoding(headers: dict[str, str], xml_encoding: str) -> str:
    """The encoding RFC 3023 gives the document, as feedparser reads its media type."""
    mime, charset = _tables().parse_content_type(headers.get("content-type") or "")
    if mime in _XML_TYPES or (mime.startswith("application/") and mime.endswith("+xml")):
        return charset or xml_encoding or "utf-8"
    if mime.startswith("text/"):
        return charset or "us-ascii"
    if headers and "content-type" not in headers:
        return xml_encoding or "iso-8859-1"
    return xml_encoding or "utf-8"


def _check_reads_as_utf8(proposed: tuple[str, str, str], ascii_only: bool) -> None:
    """StepAside unless the first of the ``proposed`` encodings that feedparser would decode
    the body with gives its UTF-8 reading."""
    for name in dict.fromkeys(proposed):
        if not name:
            continue
        try:
            codec = codecs.lookup(name).name
        except LookupError:
            continue
        if codec == "utf-8" or (ascii_only and codec in _ASCII_COMPATIBLE):
            return  # decodes, to the UTF-8 reading
        if codec == "ascii":
            continue  # non-ASCII body: this one fails, feedparser tries the next
        raise StepAside  # would decode differently (or we cannot tell)
    raise StepAside  # feedparser would go on to chardet and guesses


def _redeclared(body: bytes) -> bytes:
    """The body with feedparser's UTF-8 declaration in place of its own; StepAside when a
    DOCTYPE or ENTITY comes before the first element."""
    data = _NEW_DECL + b"\n" + body
    if body.startswith(b"<?xml"):
        end = body.find(b">", 5)
        if end >= 0:
            data = _NEW_DECL + body[end + 1 :]
    first = _FIRST_ELEMENT.search(data)
    head = data[: first.start() + 1 if first else len(data)]
    if b"<!DOCTYPE" in head or b"<!ENTITY" in head:
        raise StepAside  # feedparser's replace_doctype rewrites these, even in comments
    return data


def declared_encoding(line: bytes) -> str | None:
    """What feedparser's ``RE_XML_PI_ENCODING`` (``^<\\?.*encoding=['"](.*?)['"].*\\?>`` on the
    first line) finds, lower-cased ("" for no match), computed in linear time; None when the
    line holds ``encoding=`` candidates the regex would try and reject (its worst case is
    cubic there: feedparser decides)."""
    if not line.startswith(b"<?"):
        return ""
    last_pi = line.rfind(b"?>")
    # the regex's greedy ".*" takes the LAST candidate that can match; lazy "(.*?)" the first
    # closing quote that still has a "?>" somewhere after it
    end = len(line)
    while True:
        i = line.rfind(b"encoding=", 2, end)
        if i < 0:
            return ""
        end = i  # the next candidate, if this one fails, lies before it
        if i + 9 >= len(line) or line[i + 9] not in b"'\"":
            continue
        quotes = [q for q in (line.find(b'"', i + 10), line.find(b"'", i + 10)) if q >= 0]
        close = min(quotes) if quotes else -1
        if close < 0 or last_pi < close + 1:
            return None  # a candidate the regex backtracks through: not ours to replay
        try:
            return line[i + 10 : close].decode("utf-8").lower()
        except UnicodeDecodeError:
            return None


# --------------------------------------------------------------------------- the replay


class _Frame:
    __slots__ = ("attrs", "ctype", "depth", "kind", "name", "pieces")

    def __init__(self, kind: str, name: str, depth: int, attrs: dict[str, str]) -> None:
        self.kind = kind
        self.name = name
        self.depth = depth
        self.attrs = attrs
        self.pieces: list[str] | None = None
        self.ctype = ""


class _Replay:
    """One document's replay of feedparser's strict parse (see the module docstring)."""

    def __init__(self, tables: _Tables) -> None:
        self.t = tables
        self.namespacemap: dict[str | None, str] = {}
        self.in_use: dict[str, str] = {}
        self.names: dict[str, tuple[str, str, bool]] = {}
        self.version = ""
        self.family = ""  # "rss", "rdf", "atom"
        self.stack: list[_Frame] = []
        self.depth = 0
        self.infeed = False
        self.inimage = False
        self.intextinput = False
        self.image_exists = False
        self.textinput_exists = False
        self.title_depth = -1
        self.guidislink = False
        self.channels = 0
        self.feed: dict[str, Any] = {}
        self.entries: list[dict[str, Any]] = []
        self.entry: dict[str, Any] | None = None
        self.counts: dict[str, int] = {}
        self.author: dict[str, str] = {}
        self.enders = {
            name[len("end_") :]: getattr(self, name)
            for name in dir(self)
            if name.startswith("end_")
        }

    def run(self, data: bytes) -> tuple[Any, ...]:
        parser = xml.parsers.expat.ParserCreate(None, " ")
        parser.namespace_prefixes = True
        parser.buffer_text = True
        parser.SetParamEntityParsing(xml.parsers.expat.XML_PARAM_ENTITY_PARSING_NEVER)
        parser.StartNamespaceDeclHandler = self.namespace
        parser.StartElementHandler = self.start
        parser.EndElementHandler = self.end
        parser.CharacterDataHandler = self.text
        parser.StartDoctypeDeclHandler = _refuse
        parser.EntityDeclHandler = _refuse
        try:
            parser.Parse(data, True)
        except xml.parsers.expat.ExpatError as exc:
            raise StepAside from exc  # feedparser would use its loose parser
        if self.version not in _ACCEPTED_VERSIONS or not self.family:
            raise StepAside
        entries = tuple(entry_tuple(e) for e in self.entries[:MAX_ENTRIES])
        return (
            capped(self.feed.get("title")),
            capped(self.feed.get("link")),
            ttl_seconds(self.feed.get("ttl")),
            entries,
            None,
            self.version,
        )

    # ---------------------------------------------------------------- names and attributes

    def namespace(self, prefix: str | None, uri: str | None) -> None:
        """feedparser's startPrefixMapping + track_namespace."""
        if not uri:
            return
        if any(c.isspace() for c in uri) or uri == "http://www.w3.org/1999/xlink":
            # spaces: expat's "uri local prefix" names split differently; xlink: feedparser
            # adds its declaration to the element's attributes
            raise StepAside
        self.names.clear()
        lower = uri.lower()
        if not self.version:
            if prefix is None and lower == _NETSCAPE:
                self.version = "rss090"
            elif lower == _RSS10:
                self.version = "rss10"
            elif lower == _ATOM10:
                self.version = "atom10"
        if "backend.userland.com/rss" in lower:
            uri = lower = _USERLAND
        if lower in self.t.match:
            self.namespacemap[prefix] = self.t.match[lower]
            self.in_use[self.t.match[lower]] = uri
        else:
            self.in_use[prefix or ""] = uri

    def resolve(self, expat_name: str) -> tuple[str, str, bool]:
        """(handler name, tag, unprefixed) as feedparser's startElementNS + unknown_starttag."""
        cached = self.names.get(expat_name)
        if cached is not None:
            return cached
        parts = expat_name.split(" ")
        if len(parts) == 1:
            uri, local = "", parts[0]
        else:
            uri, local = parts[0], parts[1]
        lower = uri.lower()
        if "backend.userland.com/rss" in lower:
            uri = lower = _USERLAND
        known = self.t.match.get(lower)
        local = local.lower()
        tag = local
        if known:
            tag = known.lower() + ":" + local
        elif uri:
            for name, value in self.in_use.items():
                if name and value == uri:
                    tag = (name + ":" + local).lower()
                    break
        prefix, colon, suffix = tag.partition(":")
        if not colon:
            prefix, suffix = "", tag
        prefix = self.namespacemap.get(prefix, prefix)
        resolved = (f"{prefix}_{suffix}" if prefix else suffix, tag, not prefix)
        self.names[expat_name] = resolved
        return resolved

    def attributes(self, raw: dict[str, str]) -> dict[str, str]:
        """feedparser's attrs_d: namespaced keys by standard prefix, then qnames; lower-cased
        keys, rel/type values lower-cased."""
        first: dict[str, str] = {}
        qnames: dict[str, str] = {}
        for key, value in raw.items():
            parts = key.split(" ")
            if len(parts) == 1:
                first[key] = value
                qnames[key] = value
                continue
            uri, local = parts[0], parts[1]
            std = self.t.match.get(uri.lower(), "")
            first[f"{std}:{local}" if std else local] = value
            qnames[f"{parts[2]}:{local}" if len(parts) == 3 else local] = value
        attrs: dict[str, str] = {}
        for key, value in (*first.items(), *qnames.items()):
            key = key.lower()
            attrs[key] = value.lower() if key in ("rel", "type") else value
        if "xml:base" in attrs or "base" in attrs:
            raise StepAside
        return attrs

    # ---------------------------------------------------------------- events

    def text(self, data: str) -> None:
        top = self.stack[-1] if self.stack else None
        if top is not None and top.pieces is not None:
            top.pieces.append(data)

    def start(self, expat_name: str, raw_attrs: dict[str, str]) -> None:
        name, tag, unprefixed = self.resolve(expat_name)
        attrs = self.attributes(raw_attrs) if raw_attrs else {}
        parent = self.stack[-1] if self.stack else None
        if parent is not None and parent.pieces is not None and parent.kind != "author":
            raise StepAside  # markup inside a text element
        self.depth += 1
        if unprefixed and tag not in _TEXTINPUT_PARTS:
            self.intextinput = False
        if unprefixed and tag not in _IMAGE_PARTS:
            self.inimage = False
        if parent is None:
            frame = self.root(name, attrs)
        elif self.entry is not None:
            frame = self.item_child(name, attrs, parent)
        else:
            frame = self.feed_child(name, attrs, parent)
        self.stack.append(frame)

    def end(self, expat_name: str) -> None:
        frame = self.stack.pop()
        handler = self.enders.get(frame.kind)
        if handler is not None:
            handler(frame, "".join(frame.pieces).strip() if frame.pieces is not None else "")
        self.depth -= 1

    # ---------------------------------------------------------------- document structure

    def root(self, name: str, attrs: dict[str, str]) -> _Frame:
        if name == "rss":
            if not self.version or not self.version.startswith("rss"):
                declared = attrs.get("version", "")
                self.version = _VERSIONS.get(declared) or (
                    "rss20" if declared.startswith("2.") else "rss"
                )
            self.family = "rss"
        elif name == "feed":
            self.infeed = True
            if self.version != "atom10":
                raise StepAside
            self.family = "atom"
        elif name == "rdf_rdf":
            if self.version not in ("rss10", "rss090"):
                raise StepAside
            self.family = "rdf"
        else:
            raise StepAside
        return _Frame("root", name, self.depth, attrs)

    def item_container(self, parent: _Frame) -> bool:
        if self.family == "rss":
            return parent.kind == "channel"
        return parent.kind == "root"

    def feed_child(self, name: str, attrs: dict[str, str], parent: _Frame) -> _Frame:
        if name in ("item", "entry"):
            if not self.item_container(parent) or self.inimage or self.intextinput:
                raise StepAside
            return self.start_item(name, attrs)
        if name == "channel":
            return self.start_channel(name, attrs, parent)
        if name in ("feed", "rss", "source", "itunes_link"):
            raise StepAside
        if parent.kind not in ("root", "channel", "unknown", "container"):
            raise StepAside  # a handler element with children (content markup, state)
        if name in ("image", "textinput"):
            return self.start_image_or_textinput(name, attrs, parent)
        return self.feed_element(name, attrs)

    def start_channel(self, name: str, attrs: dict[str, str], parent: _Frame) -> _Frame:
        self.channels += 1
        if parent.kind != "root" or self.channels > 1 or self.family == "atom":
            raise StepAside
        if "lastmod" in attrs or "href" in attrs:
            raise StepAside  # feedparser's CDF reading of channel attributes
        self.infeed = True
        return _Frame("channel", name, self.depth, attrs)

    def start_image_or_textinput(self, name: str, attrs: dict[str, str], parent: _Frame) -> _Frame:
        """Their own dicts in feedparser, which we do not keep; their titles are not the
        feed's."""
        if self.inimage or self.intextinput or parent.kind not in ("root", "channel"):
            raise StepAside
        if name == "image":
            self.image_exists, self.inimage = True, True
        else:
            self.textinput_exists, self.intextinput = True, True
        self.title_depth = -1
        return _Frame("container", name, self.depth, attrs)

    def feed_element(self, name: str, attrs: dict[str, str]) -> _Frame:
        """An element of the feed (or of its image/textinput) that is no entry."""
        if name in _TITLES:
            return self.text_frame("feed_title", name, attrs, "text/plain")
        if name == "link":
            return self.start_link(attrs, feed=True)
        if name in ("id", "guid"):
            self.guidislink = attrs.get("ispermalink", "true") == "true"
            return self.text_frame("feed_id", name, attrs, "")
        if name == "ttl" and name not in self.t.handlers:
            return self.start_ttl(name, attrs)
        if name in _FEED_CONTAINERS:
            return _Frame("container", name, self.depth, attrs)
        if name in _FEED_LEAVES:
            return _Frame("leaf", name, self.depth, attrs)
        if name in self.t.handlers or name in self.t.read_keys:
            raise StepAside  # a handler not vetted here (some crash feedparser: KeyError)
        return _Frame("unknown", name, self.depth, attrs)

    def start_ttl(self, name: str, attrs: dict[str, str]) -> _Frame:
        if attrs:  # feedparser keeps the attributes instead of the text, in any context
            context = self.feed_context()
            if context is not None:
                context["ttl"] = dict(attrs)
            return _Frame("leaf", name, self.depth, attrs)
        return self.text_frame("feed_ttl", name, attrs, "")

    def feed_context(self) -> dict[str, Any] | None:
        """feedparser's _get_context() outside entries: the feed's own dict, or None for the
        image/textinput dicts we do not keep."""
        if self.inimage and self.image_exists:
            return None
        if self.intextinput:
            return None
        return self.feed

    def store_feed(self, key: str, value: Any) -> None:
        context = self.feed_context()
        if context is not None and self.infeed:
            context[key] = value

    def text_frame(self, kind: str, name: str, attrs: dict[str, str], default: str) -> _Frame:
        frame = _Frame(kind, name, self.depth, attrs)
        frame.pieces = []
        if default:  # push_content: type, base64
            if attrs.get("mode", "") == "base64" or "src" in attrs:
                raise StepAside
            kind_ = _map_type(attrs.get("type", default))
            if kind_ not in _TEXT_TYPES:
                raise StepAside
            frame.ctype = kind_
        return frame

    def transform(self, element: str, value: str, frame: _Frame | None = None) -> str:
        """feedparser's pop() for an element expecting text (strict parser, UTF-8)."""
        if element in self.t.relative and value and (element != "id" or self.guidislink):
            value = self.t.urljoin("", value)
        if (
            frame is not None
            and frame.ctype == "text/plain"
            and not self.version.startswith("atom")
            and self.t.looks_like_html(value)
        ):
            frame.ctype = "text/html"
        if not value.isascii():
            try:
                value = value.encode("iso-8859-1").decode("utf-8")
            except (UnicodeEncodeError, UnicodeDecodeError):
                pass
            value = value.translate(self.t.cp1252)
        return value

    def end_feed_title(self, frame: _Frame, raw: str) -> None:
        value = self.transform("title", raw, frame)
        if self.infeed and not (-1 < self.title_depth <= frame.depth):
            self.store_feed("title", value)
        if value and frame.name != "media_title":
            self.title_depth = frame.depth

    def end_feed_id(self, frame: _Frame, raw: str) -> None:
        value = self.transform("id", raw)
        context = self.feed_context()
        if context is not None:
            if self.infeed:
                context["id"] = value
            if self.guidislink:  # _end_guid's _save: whatever the feed flag
                context.setdefault("link", value)

    def end_feed_ttl(self, frame: _Frame, raw: str) -> None:
        self.store_feed("ttl", self.transform("ttl", raw))

    def end_feed_link(self, frame: _Frame, raw: str) -> None:
        value = _QUERY_ENTITY.sub(r"&\g<1>", self.transform("link", raw))
        self.store_feed("link", value)

    def end_container(self, frame: _Frame, raw: str) -> None:
        if frame.name == "image":
            self.inimage = False
        elif frame.name == "textinput":
            self.intextinput = False

    def end_channel(self, frame: _Frame, raw: str) -> None:
        self.infeed = False

    def end_root(self, frame: _Frame, raw: str) -> None:
        if frame.name == "feed":
            self.infeed = False

    def start_link(self, attrs: dict[str, str], *, feed: bool) -> _Frame:
        """feedparser's _start_link: an href (url/uri/href attribute) or the element's text."""
        attrs = dict(attrs)
        rel = attrs.setdefault("rel", "alternate")
        kind = attrs.setdefault("type", "application/atom+xml" if rel == "self" else "text/html")
        href = attrs.get("url", attrs.get("uri", attrs.get("href")))
        if href:
            attrs.pop("url", None)
            attrs.pop("uri", None)
            attrs["href"] = href
        if "href" in attrs:
            link = self.t.urljoin("", attrs["href"])
            if rel == "alternate" and _map_type(kind) in _HTML_TYPES:
                if feed:
                    context = self.feed_context()
                    if context is not None:
                        context["link"] = link
                else:
                    assert self.entry is not None
                    self.entry["link"] = link
            frame = _Frame("href_link", "link", self.depth, {"href": link})
            if not feed:
                frame.pieces = []  # the worker keeps this text (_keep_link_text): no markup
            return frame
        if feed:
            if not self.infeed:
                return _Frame("leaf", "link", self.depth, attrs)
            return self.text_frame("feed_link", "link", attrs, "")
        return self.text_frame("item_link", "link", attrs, "")

    # ---------------------------------------------------------------- items

    def start_item(self, name: str, attrs: dict[str, str]) -> _Frame:
        if "lastmod" in attrs or "href" in attrs:
            raise StepAside  # feedparser's CDF reading of item attributes
        entry: dict[str, Any] = {}
        about = attrs.get(self.namespacemap.get("rdf", "rdf") + ":about")
        if about:
            entry["id"] = about
        self.entry = entry
        self.entries.append(entry)
        self.guidislink = False
        self.title_depth = -1
        self.counts = {}
        self.author = {}
        return _Frame("item", name, self.depth, attrs)

    def count(self, group: str) -> None:
        seen = self.counts.get(group, 0)
        if seen:
            raise StepAside  # repeated: feedparser's depth map and overwrites decide
        self.counts[group] = 1

    def item_child(self, name: str, attrs: dict[str, str], parent: _Frame) -> _Frame:
        level1 = parent.kind == "item"
        if parent.kind == "author":
            part = _AUTHOR_PARTS.get(name)
            if part is None:
                raise StepAside
            frame = _Frame("author_part", name, self.depth, attrs)
            frame.pieces = []
            return frame
        if (level1 and name in ("title", "link", "guid", "id")) or (
            level1 and (name in _SUMMARIES or name in _CONTENTS or name in _AUTHORS)
        ):
            return self.item_field(name, attrs)
        if level1 and name in _DATE_SLOT:
            frame = _Frame("item_date", name, self.depth, attrs)
            frame.pieces = []
            return frame
        if name == "source" and level1 and self.family != "atom":
            self.title_depth = -1
            frame = _Frame("source", name, self.depth, attrs)
            frame.pieces = []
            return frame
        if name in _HARMLESS:
            return _Frame("unknown", name, self.depth, attrs)
        if name in _HARMLESS_LEAVES:
            frame = _Frame("leaf", name, self.depth, attrs)
            frame.pieces = []  # collected only so that a child element steps aside
            return frame
        if name not in self.t.handlers and name not in self.t.read_keys:
            return _Frame("unknown", name, self.depth, attrs)
        raise StepAside

    def item_field(self, name: str, attrs: dict[str, str]) -> _Frame:
        if name == "title":
            self.count("title")
            return self.text_frame("item_title", name, attrs, "text/plain")
        if name == "link":
            return self.start_link(attrs, feed=False)
        if name in ("guid", "id"):
            self.count("id")
            self.guidislink = attrs.get("ispermalink", "true") == "true"
            return self.text_frame("item_id", name, attrs, "")
        if name in _SUMMARIES:
            self.count("summary")
            return self.text_frame("item_summary", name, attrs, _SUMMARIES[name])
        if name in _CONTENTS:
            self.count("content")
            return self.text_frame("item_content", name, attrs, _CONTENTS[name])
        self.count("author")
        frame = _Frame("author", name, self.depth, attrs)
        frame.pieces = []
        return frame

    def end_item(self, frame: _Frame, raw: str) -> None:
        entry = self.entry
        assert entry is not None
        if "updated_parsed" not in entry and "published_parsed" in entry:
            entry["updated_parsed"] = entry["published_parsed"]  # FeedParserDict.get's fallback
        self.entry = None

    def end_item_title(self, frame: _Frame, raw: str) -> None:
        assert self.entry is not None
        value = self.transform("title", raw, frame)
        self.entry["title"] = value
        self.entry["title_detail"] = {"type": frame.ctype}
        if value:
            self.title_depth = frame.depth

    def end_href_link(self, frame: _Frame, raw: str) -> None:
        """The authority's _keep_link_text: an entry link's text, read by _web_link."""
        if self.entry is not None and raw:
            links = self.entry.setdefault("links", [])
            links.append({"href": frame.attrs["href"], LINK_TEXT: raw})

    def end_item_link(self, frame: _Frame, raw: str) -> None:
        assert self.entry is not None
        value = self.transform("link", raw).replace("&amp;", "&")
        self.entry["link"] = _QUERY_ENTITY.sub(r"&\g<1>", value)

    def end_item_id(self, frame: _Frame, raw: str) -> None:
        assert self.entry is not None
        value = self.transform("id", raw)
        self.entry["id"] = value
        if self.guidislink:
            self.entry.setdefault("link", value)

    def end_item_summary(self, frame: _Frame, raw: str) -> None:
        assert self.entry is not None
        self.entry["summary"] = self.transform("summary", raw, frame)
        self.entry["summary_detail"] = {"type": frame.ctype}

    def end_item_content(self, frame: _Frame, raw: str) -> None:
        assert self.entry is not None
        value = self.transform("content", raw, frame)
        self.entry["content"] = [{"type": frame.ctype, "value": value}]
        self.entry.setdefault("summary", value)  # _end_content's copy (no summary_detail)

    def end_item_date(self, frame: _Frame, raw: str) -> None:
        assert self.entry is not None
        slot = _DATE_SLOT[frame.name]
        value = self.transform(slot, raw)
        if len(value) > _MAX_DATE:
            raise StepAside
        self.entry[slot + "_parsed"] = self.t.parse_date(value)

    def end_author_part(self, frame: _Frame, raw: str) -> None:
        part = _AUTHOR_PARTS[frame.name]
        self.author[part] = self.transform("href", raw) if part == "href" else raw

    def end_author(self, frame: _Frame, raw: str) -> None:
        """feedparser's author: "name (email)", name or email from child elements, else the
        element's own text (_end_author + _sync_author_detail)."""
        assert self.entry is not None
        value = self.transform("author", raw)
        detail = self.author
        name, email = detail.get("name"), detail.get("email")
        if detail and (name or email):
            value = f"{name} ({email})" if name and email else (name or email or "")
        elif not detail and len(value) > _MAX_AUTHOR:
            raise StepAside  # feedparser's quadratic e-mail regex meets it: its limits apply
        self.entry["author"] = value


def _map_type(kind: str) -> str:
    kind = kind.lower()
    return {"text": "text/plain", "plain": "text/plain", "html": "text/html"}.get(
        kind, "application/xhtml+xml" if kind == "xhtml" else kind
    )


def _refuse(*args: object) -> None:
    raise StepAside
