"""Feed documents built from choices: RSS 0.9x/2.0, RSS 1.0 (RDF), Atom 0.3/1.0, JSON Feed.

One generator serves two masters: the hypothesis property test (choices drawn by hypothesis,
so failures shrink) and the golden corpus (``tests/feed/golden/make.py``, choices from a seeded
``random.Random``). It writes every element the fast path (``bot.feed._fast``) replays, in
every order and multiplicity, with the values that trip parsers up (entities, CDATA, HTML in
titles/summaries/authors, mojibake, relative and odd links, many date spellings, types,
namespace prefixes), plus elements that must make it step aside.
"""

from __future__ import annotations

import json
import random
from collections.abc import Callable, Sequence
from typing import Any, Protocol, TypeVar

T = TypeVar("T")


class Chooser(Protocol):
    def choice(self, options: Sequence[T]) -> T: ...
    def integer(self, low: int, high: int) -> int: ...
    def chance(self, percent: int) -> bool: ...


class RandomChooser:
    def __init__(self, seed: int) -> None:
        self.rng = random.Random(seed)

    def choice(self, options: Sequence[T]) -> T:
        return options[self.rng.randrange(len(options))]

    def integer(self, low: int, high: int) -> int:
        return self.rng.randint(low, high)

    def chance(self, percent: int) -> bool:
        return self.rng.randrange(100) < percent


class DrawChooser:
    """Choices drawn through hypothesis' ``st.data()`` (integer draws shrink to the first
    option, so a failing document shrinks towards the plainest one)."""

    def __init__(self, data: Any) -> None:
        from hypothesis import strategies as st

        self.data = data
        self.integers = st.integers
        self.cache: dict[tuple[int, int], Any] = {}

    def integer(self, low: int, high: int) -> int:
        strategy = self.cache.get((low, high))
        if strategy is None:
            strategy = self.cache[(low, high)] = self.integers(low, high)
        return self.data.draw(strategy)  # type: ignore[no-any-return]

    def choice(self, options: Sequence[T]) -> T:
        return options[self.integer(0, len(options) - 1)]

    def chance(self, percent: int) -> bool:
        return self.integer(0, 99) >= 100 - percent  # shrinks to "no"


NS = {
    "dc": "http://purl.org/dc/elements/1.1/",
    "dcterms": "http://purl.org/dc/terms/",
    "content": "http://purl.org/rss/1.0/modules/content/",
    "atom": "http://www.w3.org/2005/Atom",
    "media": "http://search.yahoo.com/mrss/",
    "itunes": "http://www.itunes.com/dtds/podcast-1.0.dtd",
    "slash": "http://purl.org/rss/1.0/modules/slash/",
    "wfw": "http://wellformedweb.org/CommentAPI/",
    "georss": "http://www.georss.org/georss",
    "x": "urn:example:unknown",
}
RDF = "http://www.w3.org/1999/02/22-rdf-syntax-ns#"
RSS10 = "http://purl.org/rss/1.0/"
ATOM03 = "http://purl.org/atom/ns#"

# text fragments, already XML-escaped (each one well-formed inside an element)
WORDS = ["Parade", "in", "Beijing", "markets", "rally", "Kiel", "ships", "storm", "2029"]
FRAGMENTS = [
    "plain words",
    "Fish &amp; Chips",
    "AT&amp;amp;T",
    "a &lt; b &gt; c",
    "&lt;b&gt;bold&lt;/b&gt; move",
    "&lt;em&gt;big&lt;/em&gt; deal",
    "&lt;p&gt;para one&lt;/p&gt;&lt;p&gt;two&lt;/p&gt;",
    "&lt;script&gt;alert(1)&lt;/script&gt;",
    '&lt;a href="/u"&gt;link&lt;/a&gt;',
    "caf&#233; &#x2014; na&#xEF;ve",
    "&#60;i&#62;charref tags&#60;/i&#62;",
    "&quot;quoted&quot; &amp; &apos;single&apos;",
    "<![CDATA[<p>cdata <b>html</b> & raw</p>]]>",
    "<![CDATA[a < b && c]]>",
    "Caf\u00e9 \u201csmart\u201d \u2014 \u4e2d\u6587 \U0001f389",
    "\u00c3\u00a9 mojibake \u00c3\u00bc",
    "  \n\t padded \n ",
    "nbsp\u00a0here",
    "&amp;nbsp; literal",
    "line\u2028sep",
    "",
]
LINKS = [
    "https://example.com/news/1",
    "https://example.com/a?x=1&amp;y=2&amp;utm_source=rss",
    "http://Example.COM:80/Path/#frag",
    "/relative/path",
    "relative/page.html",
    "//cdn.example.com/x",
    "  https://example.com/padded  ",
    "https://example.com/q?a=&amp;amp;b",
    "https://example.com/&amp;ent;",
    "javascript:alert(1)",
    "mailto:someone@example.com",
    "https:///triple-slash",
    "https://example.com/caf\u00e9",
    "",
]
DATES = [
    "Mon, 03 Apr 2023 01:02:03 GMT",
    "Tue, 04 Apr 2023 23:59:59 +0200",
    "Sun, 06 Nov 1994 08:49:37 EST",
    "2024-04-01T10:00:00+02:00",
    "2024-04-01T10:00:00Z",
    "2024-04-01T10:00:00.123456Z",
    "2024-04-01",
    "1 Jan 2025 10:00 +0100",
    "Tue, 31 Feb 2023 00:00:00 GMT",
    "2024-13-45T99:99:99Z",
    "2999-01-01T00:00:00Z",
    "not a date",
    "",
    "  Wed, 05 Apr 2023 12:00:00 GMT  ",
]
IDS = [
    "tag:example.com,2024:1",
    "https://example.com/p/1",
    "p/2",
    "urn:uuid:1225c695-cfb8-4ebb-aaaa-80da344efa6a",
    "  spaced-id  ",
    "",
]
AUTHOR_TEXT = [
    "Jane Doe",
    "jane@example.com (Jane Doe)",
    'by &lt;a href="/u"&gt;Foo Bar&lt;/a&gt;',
    "J\u00f6rg M\u00fcller",
    "editor@example.com",
    "",
]


def _text(c: Chooser, parts: int = 3) -> str:
    return " ".join(c.choice(FRAGMENTS + WORDS) for _ in range(c.integer(1, parts)))


def _type_attr(c: Chooser, atom: bool) -> str:
    options = ["", "", "", ' type="text"', ' type="html"', ' type="text/html"', ' type="TEXT"']
    rare = [' type="xhtml"', ' type="application/octet-stream"', ' mode="base64"']
    return c.choice(options + (rare if c.chance(10) else []))


def _elem(name: str, body: str, attrs: str = "") -> str:
    return f"<{name}{attrs}>{body}</{name}>"


def _author_rss(c: Chooser, name: str) -> str:
    if c.chance(20):
        parts = []
        for part in ("name", "email", "uri"):
            if c.chance(60):
                value = c.choice(["Ann", "ann@example.org", "https://ann.example", "", "B &amp; C"])
                parts.append(_elem(part, value))
        return _elem(name, "".join(parts))
    if c.chance(5):
        return _elem(name, 'by <a href="/u">Foo Bar</a>')  # markup inside: feedparser's call
    return _elem(name, c.choice(AUTHOR_TEXT))


HARMLESS_RSS = [
    "<category>World</category>",
    '<category domain="x">Politics &amp; more</category>',
    '<enclosure url="https://example.com/a.mp3" length="123" type="audio/mpeg"/>',
    "<comments>https://example.com/c</comments>",
    '<media:thumbnail url="https://img.example.com/1.jpg"/>',
    '<media:content url="https://img.example.com/1.jpg" medium="image"/>',
    "<itunes:duration>12:34</itunes:duration>",
    "<slash:comments>4</slash:comments>",
    "<wfw:commentRss>https://example.com/c/rss</wfw:commentRss>",
    "<dc:subject>Topic</dc:subject>",
    '<source url="https://origin.example/rss">Origin</source>',
    "<x:custom>value</x:custom>",
    '<x:custom attr="1">value</x:custom>',
    '<media:group><media:content url="https://v.example/1.mp4"/></media:group>',
]
STEP_ASIDE_RSS = [
    "<media:title>Media title</media:title>",
    "<media:description>Media description</media:description>",
    "<itunes:summary>Pod summary</itunes:summary>",
    "<georss:point>45.256 -71.92</georss:point>",
    '<atom:link rel="alternate" href="https://example.com/atomlink"/>',
    '<link uri="at://did:plc:abc/post/1">https://bsky.app/post/1</link>',
    "<title_detail>weird</title_detail>",
    '<x:base xml:base="https://base.example/">b</x:base>',
]


WILD_ATTRS = ["", ' type="html"', ' rel="alternate"', ' href="https://h.example/"', ' url="u"',
              ' mode="base64"', ' isPermaLink="false"', ' term="t"', ' lastmod="2020-01-01"',
              ' src="s"', ' type="xhtml"']  # fmt: skip
WILD_TEXT = ["", "text", "https://t.example/x", "2024-01-01T00:00:00Z", "&lt;b&gt;x&lt;/b&gt;"]


def _wild_names() -> list[tuple[str, str]]:
    """An element for every handler feedparser has (and a few keys it reads), with the
    namespace declaration its prefix needs."""
    from feedparser.api import StrictFeedParser
    from feedparser.mixin import _FeedParserMixin

    uris: dict[str, str] = {}
    for uri, std in _FeedParserMixin.namespaces.items():
        uris.setdefault(std, uri)
    names = sorted(
        {n[7:] for n in dir(StrictFeedParser) if n.startswith("_start_")}
        | {n[5:] for n in dir(StrictFeedParser) if n.startswith("_end_")}
    )
    out = []
    for name in names:
        prefix, _, rest = name.partition("_")
        if rest and prefix in uris and prefix:
            out.append((f"{prefix}:{rest}", f' xmlns:{prefix}="{uris[prefix]}"'))
        else:
            out.append((name, ""))
    return [*out, ("links", ""), ("date_parsed", ""), ("title_detail", "")]


WILD = _wild_names()


def _wild(c: Chooser) -> str:
    """Any element feedparser gives meaning to, anywhere: the fast path must replay it
    exactly or step aside (some of these crash feedparser itself)."""
    name, decl = c.choice(WILD)
    inner = c.choice(WILD_TEXT)
    if c.chance(20):
        child, child_decl = c.choice(WILD)
        inner = f"<{child}{child_decl}>{c.choice(WILD_TEXT)}</{child}>"
    return f"<{name}{decl}{c.choice(WILD_ATTRS)}>{inner}</{name}>"


def _rss_item(c: Chooser, rdf: bool) -> str:
    parts: list[str] = []
    if c.chance(90):
        parts.append(_elem("title", _text(c), _type_attr(c, False) if c.chance(15) else ""))
    for _ in range(c.choice([0, 1, 1, 1, 2])):
        parts.append(_elem("link", c.choice(LINKS)))
    if not rdf or c.chance(20):
        if c.chance(75):
            perma = c.choice(
                ["", "", ' isPermaLink="false"', ' isPermaLink="true"', ' isPermaLink="True"']
            )
            parts.append(_elem("guid", c.choice(IDS + LINKS[:4]), perma))
    if c.chance(75):
        parts.append(
            _elem("description", _text(c, 5), _type_attr(c, False) if c.chance(10) else "")
        )
    if c.chance(45):
        parts.append(
            _elem("content:encoded", _text(c, 6), _type_attr(c, False) if c.chance(5) else "")
        )
    if c.chance(50):
        parts.append(
            _author_rss(c, c.choice(["author", "dc:creator", "dc:creator", "itunes:author"]))
        )
    for _ in range(c.choice([0, 1, 1, 2])):
        date = c.choice(
            ["pubDate", "dc:date", "dcterms:modified", "dcterms:created", "lastBuildDate"]
        )
        if rdf and date == "pubDate" and c.chance(50):
            date = "dc:date"
        parts.append(_elem(date, c.choice(DATES)))
    for _ in range(c.choice([0, 0, 1, 2, 3])):
        parts.append(c.choice(HARMLESS_RSS))
    if c.chance(6):
        parts.append(c.choice(STEP_ASIDE_RSS))
    if c.chance(8):
        parts.append(_wild(c))
    if c.chance(4):  # a repeated element
        parts.append(c.choice(parts) if parts else "<title>again</title>")
    if c.chance(3):
        parts.append("<title>Markup <b>inside</b> a title</title>")
    order = _shuffled(c, parts)
    about = f' rdf:about="{c.choice(LINKS[:3] + IDS[:2])}"' if rdf and c.chance(90) else ""
    lang = ' xml:lang="en"' if c.chance(5) else ""
    return f"<item{about}{lang}>{_sep(c).join(order)}</item>"


def _shuffled(c: Chooser, parts: list[str]) -> list[str]:
    remaining = list(parts)
    out = []
    while remaining:
        out.append(remaining.pop(c.integer(0, len(remaining) - 1)))
    return out


def _sep(c: Chooser) -> str:
    return c.choice(["", "", "\n", "\n    "])


def _declaration(c: Chooser, ascii_only: bool) -> str:
    options = [
        '<?xml version="1.0" encoding="utf-8"?>',
        '<?xml version="1.0" encoding="UTF-8"?>',
        "<?xml version='1.0'?>",
        "",
        '<?xml version="1.0" encoding="utf-8" standalone="yes"?>',
    ]
    if ascii_only:
        options += [
            '<?xml version="1.0" encoding="us-ascii"?>',
            '<?xml version="1.0" encoding="iso-8859-1"?>',
        ]
    return c.choice(options)


CONTENT_TYPES = [
    "application/rss+xml",
    "application/rss+xml; charset=utf-8",
    "application/xml",
    "text/xml",
    "text/xml; charset=UTF-8",
    "application/atom+xml",
    "text/html; charset=utf-8",
    "application/octet-stream",
    "",
]


def _namespaces(c: Chooser, names: Sequence[str]) -> str:
    decls = []
    for prefix in names:
        uri = NS[prefix]
        if prefix == "dc" and c.chance(5):
            decls.append(f' xmlns:dc="{NS["x"]}"')  # a standard prefix bound elsewhere
            continue
        decls.append(f' xmlns:{prefix}="{uri}"')
    return "".join(decls)


def _channel_head(c: Chooser, atom_prefix: bool) -> list[str]:
    head = []
    if c.chance(95):
        head.append(_elem("title", _text(c, 2), ' type="html"' if c.chance(3) else ""))
    if c.chance(85):
        head.append(_elem("link", c.choice(LINKS[:5])))
    if atom_prefix and c.chance(60):
        head.append(
            '<atom:link rel="self" type="application/rss+xml" href="https://example.com/feed"/>'
        )
    if c.chance(60):
        head.append(_elem("description", _text(c, 2)))
    if c.chance(30):
        head.append(_elem("ttl", c.choice(["30", " 60 ", "abc", "1e1", "0", "", "1_0", "inf"])))
    if c.chance(20):
        head.append(
            "<image><url>https://example.com/logo.png</url><title>Logo title</title>"
            "<link>https://example.com/</link></image>"
        )
    if c.chance(5):
        head.append(
            "<textInput><title>Search</title><name>q</name><link>https://e.com/s</link></textInput>"
        )
    if c.chance(20):
        head.append(_elem("lastBuildDate", c.choice(DATES)))
    if c.chance(10):
        head.append("<language>en-us</language>")
    if c.chance(4):
        head.append(_elem("title", "Second channel title"))
    if c.chance(4):
        head.append("<dc:title>DC channel title</dc:title>")
    if c.chance(8):
        head.append(_wild(c))
    return head


def rss(c: Chooser) -> tuple[str, str]:
    version = c.choice(["2.0", "2.0", "2.0", "0.91", "0.92", "0.93", "0.94", "2.0.1", "9"])
    prefixes = [
        "dc",
        "content",
        "atom",
        "media",
        "itunes",
        "slash",
        "wfw",
        "x",
        "georss",
        "dcterms",
    ]
    default_ns = ' xmlns="http://backend.userland.com/rss2"' if c.chance(5) else ""
    items = [_rss_item(c, rdf=False) for _ in range(c.integer(0, 6))]
    head = _channel_head(c, atom_prefix=True)
    if c.chance(10):  # channel elements after the items
        body = items + head
    else:
        body = head + items
    doc = (
        f'<rss version="{version}"{default_ns}{_namespaces(c, prefixes)}><channel>'
        f"{_sep(c).join(body)}</channel></rss>"
    )
    return doc, "rss" + version


def rdf(c: Chooser) -> tuple[str, str]:
    version_ns = RSS10 if c.chance(90) else "http://my.netscape.com/rdf/simple/0.9/"
    items = [_rss_item(c, rdf=True) for _ in range(c.integer(0, 5))]
    seq = "".join(f'<rdf:li resource="https://example.net/{i}"/>' for i in range(len(items)))
    channel = (
        '<channel rdf:about="https://example.net/">'
        + "".join(_channel_head(c, atom_prefix=False)[:3])
        + f"<items><rdf:Seq>{seq}</rdf:Seq></items></channel>"
    )
    parts = [channel, *items] if c.chance(90) else [*items, channel]
    prefixes = ["dc", "content", "x", "dcterms", "media", "itunes", "slash", "wfw", "georss"]
    doc = (
        f'<rdf:RDF xmlns:rdf="{RDF}" xmlns="{version_ns}"{_namespaces(c, prefixes)}>'
        f"{_sep(c).join(parts)}</rdf:RDF>"
    )
    return doc, "rss10"


def _atom_link(c: Chooser) -> str:
    rel = c.choice(
        [
            "",
            ' rel="alternate"',
            ' rel="self"',
            ' rel="enclosure"',
            ' rel="related"',
            ' rel="ALTERNATE"',
        ]
    )
    kind = c.choice(
        [
            "",
            ' type="text/html"',
            ' type="application/xhtml+xml"',
            ' type="image/png"',
            ' type="TEXT/HTML"',
        ]
    )
    href = c.choice(LINKS)
    extra = c.choice(["", ' hreflang="en"', ' title="t"', ' length="10"'])
    if c.chance(3):
        return f'<link{rel}{kind} href="at://did:plc:x/1">https://example.com/text</link>'
    return f'<link{rel}{kind} href="{href}"{extra}/>'


def _atom_author(c: Chooser) -> str:
    parts = []
    for part in ("name", "email", "uri"):
        if c.chance(65):
            parts.append(
                _elem(
                    part,
                    c.choice(
                        [
                            "Ann",
                            "ann@example.org",
                            "https://ann.example",
                            "",
                            "B &amp; C",
                            "J\u00f6rg",
                        ]
                    ),
                )
            )
    if c.chance(5):
        parts.append("<x:extra>e</x:extra>")
    inner = "".join(_shuffled(c, parts)) if parts else c.choice(["", "Text only"])
    return _elem("author", inner)


def _atom_entry(c: Chooser) -> str:
    parts: list[str] = []
    if c.chance(90):
        parts.append(_elem("title", _text(c), _type_attr(c, True)))
    for _ in range(c.choice([0, 1, 1, 2, 3])):
        parts.append(_atom_link(c))
    if c.chance(85):
        parts.append(_elem("id", c.choice(IDS + LINKS[:3])))
    if c.chance(60):
        parts.append(_elem("summary", _text(c, 4), _type_attr(c, True)))
    if c.chance(50):
        src = ' src="https://example.com/c"' if c.chance(3) else ""
        parts.append(_elem("content", _text(c, 5), _type_attr(c, True) + src))
    if c.chance(60):
        parts.append(_atom_author(c))
    for _ in range(c.choice([0, 1, 1, 2])):
        parts.append(_elem(c.choice(["published", "updated", "updated"]), c.choice(DATES)))
    for _ in range(c.choice([0, 0, 1, 2])):
        parts.append(
            c.choice(
                [
                    '<category term="world"/>',
                    "<x:custom>v</x:custom>",
                    "<rights>CC</rights>",
                    "<source><title>S</title></source>",
                ]
            )
        )
    if c.chance(4):
        parts.append(c.choice(parts) if parts else "<title>again</title>")
    if c.chance(8):
        parts.append(_wild(c))
    return f"<entry>{_sep(c).join(_shuffled(c, parts))}</entry>"


def atom(c: Chooser) -> tuple[str, str]:
    if c.chance(10):
        return atom03(c)
    head = []
    if c.chance(95):
        head.append(_elem("title", _text(c, 2), _type_attr(c, True) if c.chance(10) else ""))
    if c.chance(80):
        head.append(_atom_link(c))
    if c.chance(80):
        head.append(_elem("id", c.choice(IDS + LINKS[:2])))
    if c.chance(70):
        head.append(_elem("updated", c.choice(DATES)))
    if c.chance(30):
        head.append(_atom_author(c))
    if c.chance(8):
        head.append(_wild(c))
    entries = [_atom_entry(c) for _ in range(c.integer(0, 6))]
    lang = ' xml:lang="en"' if c.chance(10) else ""
    doc = (
        f'<feed xmlns="http://www.w3.org/2005/Atom"{_namespaces(c, ["x", "dc", "media"])}{lang}>'
        f"{_sep(c).join(head + entries)}</feed>"
    )
    return doc, "atom10"


def atom03(c: Chooser) -> tuple[str, str]:
    entries = "".join(
        f'<entry><title>{_text(c)}</title><link rel="alternate" type="text/html" '
        f'href="{c.choice(LINKS[:3])}"/><id>{c.choice(IDS[:3])}</id>'
        f"<issued>{c.choice(DATES)}</issued><modified>{c.choice(DATES)}</modified>"
        f"<summary>{_text(c, 3)}</summary></entry>"
        for _ in range(c.integer(1, 4))
    )
    return f'<feed version="0.3" xmlns="{ATOM03}"><title>Atom 0.3</title>{entries}</feed>', "atom03"


BROKEN = [
    lambda doc: doc.replace("&amp;", "&", 1),  # a bare ampersand: feedparser's loose parser
    lambda doc: doc.replace("</title>", "</titel>", 1),
    lambda doc: doc.replace("<item", "<x:nope><item", 1),  # undeclared... unclosed
    lambda doc: doc + "<trailing/>",
    lambda doc: '<!DOCTYPE rss [<!ENTITY e "entity text">]>' + doc.replace("plain words", "&e;", 1),
    lambda doc: doc.replace("Fish", "&nbsp;Fish", 1),
]


def document(c: Chooser, *, allow_broken: bool = True) -> tuple[bytes, dict[str, str], str]:
    """(body, response headers, family) of one generated XML feed."""
    family = c.choice(["rss", "rss", "rss", "rdf", "atom", "atom"])
    maker: Callable[[Chooser], tuple[str, str]] = {"rss": rss, "rdf": rdf, "atom": atom}[family]
    doc, version = maker(c)
    if allow_broken and c.chance(8):
        doc = c.choice(BROKEN)(doc)
    ascii_only = doc.isascii()
    declaration = _declaration(c, ascii_only)
    doc = declaration + _sep(c) + doc if declaration else doc
    kind = c.choice(CONTENT_TYPES)
    headers = {"content-type": kind} if kind else {}
    if c.chance(3):
        headers["content-location"] = "https://moved.example/feed"
    encoding = "utf-8"
    if "iso-8859-1" in declaration:
        encoding = "latin-1"
    body = doc.encode(encoding, errors="xmlcharrefreplace")
    if c.chance(3):
        body = "\ufeff".encode() + body
    return body, headers, version


def json_feed(c: Chooser) -> tuple[bytes, dict[str, str], str]:
    """(body, headers, version) of one generated JSON Feed."""
    version = c.choice(["https://jsonfeed.org/version/1.1", "https://jsonfeed.org/version/1", None])
    items: list[Any] = []
    for i in range(c.integer(0, 5)):
        item: dict[str, Any] = {"id": c.choice([f"id-{i}", i, f"https://example.org/{i}"])}
        for key, values in (
            ("url", ["https://example.org/a?utm_source=x", "/relative", "https://example.org/b"]),
            ("external_url", ["https://elsewhere.example/x"]),
            ("title", ["Title & more", "<b>html?</b> title", "Caf\u00e9", ""]),
            ("summary", ["A summary", "<p>html summary</p>", ""]),
            ("content_html", ["<p>Hello <b>world</b></p>", "<p>" + "word " * 50 + "</p>"]),
            ("content_text", ["Plain text\nsecond line", "a < b"]),
            ("date_published", ["2029-03-01T10:00:00+02:00", "2029-03-01T10:00:00Z", "bad"]),
            ("date_modified", ["2029-03-02T00:00:00.5Z", "Tue, 05 Mar 2029 10:00:00 GMT"]),
        ):
            if c.chance(60):
                item[key] = c.choice(values)
        if c.chance(40):
            item["authors"] = [
                {"name": c.choice(["Ann", "Bo", ""])} for _ in range(c.integer(1, 2))
            ]
        elif c.chance(30):
            item["author"] = {"name": "Old Style"}
        items.append(item)
    top: dict[str, Any] = {
        "title": "JSON feed",
        "home_page_url": "https://example.org/",
        "items": items,
    }
    if version:
        top["version"] = version
    if c.chance(30):
        top["authors"] = [{"name": "Desk"}]
    kind = (
        c.choice(["application/feed+json", "application/json"])
        if version
        else "application/feed+json"
    )
    return json.dumps(top, ensure_ascii=c.chance(50)).encode(), {"content-type": kind}, "json"
