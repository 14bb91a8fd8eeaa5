"""OPML import: untrusted XML read with defusedxml; every refusal is a ConfigError at LINE:COL."""

from __future__ import annotations

import asyncio
from pathlib import Path

import pytest

from bot.config.opml import export_opml, read_opml
from bot.errors import ConfigError
from tests.feed.server import FeedServer

BODY = (
    '<opml version="2.0"><body><outline text="News">'
    '<outline text="BBC World" xmlUrl="https://feeds.bbci.co.uk/news/world/rss.xml"/>'
    '<outline text="Not a feed" xmlUrl="javascript:alert(1)"/>'
    '<outline title="Wire &amp; Co" text="ignored" xmlUrl="HTTP://wire.example/rss"/>'
    "</outline></body></opml>"
)
PROLOG = '<?xml version="1.0" encoding="{encoding}"?>\n'
LAUGHS = (
    '<!DOCTYPE opml [\n<!ENTITY lol0 "lol">\n'
    + "".join(f'<!ENTITY lol{i} "{f"&lol{i - 1};" * 10}">\n' for i in range(1, 10))
    + "]>\n"
)


def write(tmp_path: Path, text: str, encoding: str = "UTF-8") -> Path:
    path = tmp_path / "in.opml"
    path.write_bytes((PROLOG.format(encoding=encoding) + text).encode(encoding))
    return path


def test_reads_http_feeds_of_every_folder(tmp_path: Path) -> None:
    specs = read_opml(write(tmp_path, BODY))
    assert [(s.id, s.url, s.name) for s in specs] == [
        ("bbc-world", "https://feeds.bbci.co.uk/news/world/rss.xml", "BBC World"),
        ("wire-co", "HTTP://wire.example/rss", "Wire & Co"),
    ]
    assert read_opml(write(tmp_path, BODY, "UTF-16")) == specs
    again = tmp_path / "out.opml"
    again.write_text(export_opml(specs), encoding="utf-8")
    assert read_opml(again) == specs


ENTITY = "entity declarations are not allowed in OPML"
# (document after the prolog, encoding, expected message after "PATH:", id); expat reports a
# refused declaration where it is when it has read the entity's value
REFUSED = [
    ('<!DOCTYPE opml [<!ENTITY x "y">]>\n' + BODY, "UTF-8", f"2:28: {ENTITY}", "internal-entity"),
    (LAUGHS + BODY.replace("News", "&lol9;"), "UTF-8", f"3:15: {ENTITY}", "billion-laughs"),
    (LAUGHS + BODY.replace("News", "&lol9;"), "UTF-16", f"3:15: {ENTITY}", "billion-laughs-utf16"),
    (
        '<!DOCTYPE opml [<!ENTITY x SYSTEM "file:///etc/hostname">]>\n'
        + BODY.replace("News", "&x;"),
        "UTF-16",
        f"2:57: {ENTITY}",
        "external-entity-utf16",
    ),
    ("<opml><body><outline", "UTF-8", "2:13: not valid XML: unclosed token", "broken"),
]


@pytest.mark.parametrize(
    ("text", "encoding", "message"), [r[:3] for r in REFUSED], ids=[r[3] for r in REFUSED]
)
def test_refused_documents_are_config_errors_at_their_position(
    tmp_path: Path, text: str, encoding: str, message: str
) -> None:
    path = write(tmp_path, text, encoding)
    with pytest.raises(ConfigError) as caught:
        read_opml(path)
    assert str(caught.value).startswith(f"{path}:{message}")


async def test_nothing_is_fetched_for_external_references(tmp_path: Path) -> None:
    async with FeedServer() as server:
        server.body("/x.dtd", b'<!ENTITY x "fetched">')
        dtd = server.url("/x.dtd")
        plain = write(tmp_path, f'<!DOCTYPE opml SYSTEM "{dtd}">\n' + BODY)
        specs = await asyncio.to_thread(read_opml, plain)
        assert [s.id for s in specs] == ["bbc-world", "wire-co"]
        entity = write(
            tmp_path,
            f'<!DOCTYPE opml [<!ENTITY x SYSTEM "{dtd}">]>\n' + BODY.replace("News", "&x;"),
            "UTF-16",
        )
        with pytest.raises(ConfigError, match=ENTITY):
            await asyncio.to_thread(read_opml, entity)
        assert server.requests == []


def test_outlines_that_cannot_be_used_are_reported_with_their_line(tmp_path: Path) -> None:
    """Issue 12, item 3: non-http schemes, relative paths and missing URLs were dropped silently."""
    from bot.config.opml import read_opml_report

    path = write(
        tmp_path,
        """<opml version="2.0"><head/><body>
<outline text="News">
  <outline text="BBC" xmlUrl="https://feeds.bbci.co.uk/news/rss.xml"/>
  <outline text="Gopher" xmlUrl="gopher://x/feed"/>
  <outline text="Rel" xmlUrl="feeds/local.xml"/>
  <outline text="Nothing"/>
</outline>
</body></opml>""",
    )
    specs, skipped = read_opml_report(path)  # lines count the XML declaration (line 1)
    assert [s.url for s in specs] == ["https://feeds.bbci.co.uk/news/rss.xml"]
    assert skipped == [
        f"{path}:5: outline (Gopher): xmlUrl 'gopher://x/feed' has the scheme 'gopher', "
        "not http(s): skipped",
        f"{path}:6: outline (Rel): xmlUrl 'feeds/local.xml' is a relative URL, not an "
        "absolute http(s) one: skipped",
        f"{path}:7: outline (Nothing) has no xmlUrl: skipped",
    ]
