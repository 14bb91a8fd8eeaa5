"""Write the golden feed corpus: ``python -m tests.feed.golden.make`` (from the repository root).

Our own test data, generated (``tests/feed/feedgen.py``) and hand-written (``NAMED``): RSS
0.9x/2.0, RSS 1.0 (RDF), Atom 0.3/1.0 and JSON Feed documents with entities, CDATA, HTML in
titles/summaries/authors, content:encoded, relative and odd links, many date spellings,
namespaces, broken documents (feedparser's loose parser) and hostile JSON. Each document
``cases/NNNN-name.{xml,json}`` has a golden file beside it, ``cases/NNNN-name.golden.json``,
carrying its response headers, document URL and the expectation: what feedparser (the
authority; JSON Feed: ``bot.feed._jsonfeed``) gives, through our normalization
(``bot.feed.entries``), with ``now`` fixed. ``tests/feed/test_golden.py`` checks the fast path,
feedparser and the real server + fetcher + parser pool against them.

Re-run after a deliberate change of behaviour (a feedparser upgrade, a normalization rule) and
review the diff: every changed expectation is a changed alert.
"""

from __future__ import annotations

import json
import shutil
import warnings
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

from bot.feed import _worker
from tests.feed.feedgen import RandomChooser, document, json_feed

CASES = Path(__file__).resolve().parent / "cases"
NOW = datetime(2030, 1, 1, tzinfo=UTC)
BASE_URL = "https://feeds.example.org/golden/"
XML_SEEDS = 260
JSON_SEEDS = 30

ATOM = "http://www.w3.org/2005/Atom"
RDF_HEAD = (
    '<rdf:RDF xmlns:rdf="http://www.w3.org/1999/02/22-rdf-syntax-ns#" '
    'xmlns="http://purl.org/rss/1.0/" xmlns:content="http://purl.org/rss/1.0/modules/content/" '
    'xmlns:dc="http://purl.org/dc/elements/1.1/">'
)
NAMED: dict[str, tuple[str | bytes, str]] = {
    # name: (document, content type)
    "rdf-content-encoded-only": (
        RDF_HEAD + '<channel rdf:about="https://e.net/"><title>R</title></channel>'
        '<item rdf:about="https://e.net/1"><title>One</title><link>https://e.net/1</link>'
        "<content:encoded><![CDATA[<p>Body <b>text</b></p>]]></content:encoded></item></rdf:RDF>",
        "application/rdf+xml",
    ),
    "rss-author-markup": (
        '<rss version="2.0"><channel><title>t</title><item><title>a</title>'
        '<link>https://e.com/1</link><author>by <a href="/u">Foo Bar</a></author></item>'
        "</channel></rss>",
        "application/rss+xml",
    ),
    "rss-link-uri-at-text-https": (
        '<rss version="2.0"><channel><title>t</title><item><title>a</title>'
        '<link uri="at://did:plc:abc/app.bsky.feed.post/1">https://bsky.app/post/1</link>'
        '<guid isPermaLink="false">g1</guid></item></channel></rss>',
        "application/rss+xml",
    ),
    "atom-link-href-at-text-https": (
        f'<feed xmlns="{ATOM}"><title>t</title><entry><id>urn:x:1</id><title>a</title>'
        '<link href="at://did:plc:abc/1">https://example.com/1</link></entry></feed>',
        "application/atom+xml",
    ),
    "rss-guid-reused-for-two-items": (
        '<rss version="2.0"><channel><title>t</title>'
        '<item><title>Kiel</title><link>https://n.example/kiel</link><guid isPermaLink="false">'
        "same</guid></item><item><title>Beijing</title><link>https://n.example/bj</link>"
        '<guid isPermaLink="false">same</guid></item></channel></rss>',
        "application/rss+xml",
    ),
    "atom03-feed": (
        '<feed version="0.3" xmlns="http://purl.org/atom/ns#"><title>Old Atom</title>'
        '<entry><title>One</title><link rel="alternate" type="text/html" '
        'href="https://old.example/1"/><id>tag:old.example,2004:1</id>'
        "<issued>2004-01-01T10:00:00Z</issued><modified>2004-01-02T10:00:00Z</modified>"
        '<content type="text/html" mode="escaped">&lt;p&gt;Escaped&lt;/p&gt;</content></entry>'
        "</feed>",
        "application/atom+xml",
    ),
    "rss091-netscape-doctype": (
        '<?xml version="1.0"?><!DOCTYPE rss PUBLIC "-//Netscape Communications//DTD RSS 0.91//EN"'
        ' "http://my.netscape.com/publish/formats/rss-0.91.dtd"><rss version="0.91"><channel>'
        "<title>Netscape</title><item><title>x</title><link>https://n.example/x</link></item>"
        "</channel></rss>",
        "text/xml",
    ),
    "cp1252-declared-as-utf8": (
        '<?xml version="1.0" encoding="utf-8"?><rss version="2.0"><channel><title>t</title>'
        "<item><title>Caf\u00e9 \u201cquoted\u201d</title></item></channel></rss>"
    ).encode("cp1252"),
    "iso-8859-1-declared": (
        '<?xml version="1.0" encoding="ISO-8859-1"?><rss version="2.0"><channel><title>t</title>'
        "<item><title>na\u00efve</title></item></channel></rss>"
    ).encode("latin-1"),
    "utf16-with-bom": (
        f'<feed xmlns="{ATOM}"><title>\u041f\u0440\u0438\u043c\u0435\u0440</title><entry>'
        "<id>1</id><title>\u0417\u0430\u0433\u043e\u043b\u043e\u0432\u043e\u043a</title>"
        "</entry></feed>"
    ).encode("utf-16"),
    "html-not-a-feed": (b"<html><body><p>Hello</p></body></html>", "text/html"),
    "json-api-not-a-feed": (b'{"data": [1, 2, 3]}', "application/json"),
    "json-deep-nesting": (b"[" * 50_000, "application/feed+json"),
    "json-items-not-array": (
        b'{"version": "https://jsonfeed.org/version/1.1", "items": {"id": 1}}',
        "application/feed+json",
    ),
    "json-feed-11-authors": (
        json.dumps(
            {
                "version": "https://jsonfeed.org/version/1.1",
                "title": "JSON",
                "authors": [{"name": "Desk"}],
                "items": [
                    {
                        "id": "1",
                        "url": "https://j.example/1?utm_source=x",
                        "title": "Hello",
                        "content_html": "<p>Hi <b>there</b></p>",
                        "date_published": "2029-03-01T10:00:00+02:00",
                        "authors": [{"name": "Ann"}, {"name": "Bo"}],
                    },
                    {"id": 2, "content_text": "No title, text only", "summary": "<i>s</i>"},
                ],
            }
        ).encode(),
        "application/feed+json",
    ),
}  # type: ignore[dict-item]


def expectation(
    body: bytes, headers: dict[str, str], url: str, *, fast_path: bool = False
) -> dict[str, Any]:
    """What the authority gives for this document, normalized (the golden expectation); with
    ``fast_path=True``, what the worker gives when the fast path may answer."""
    try:
        with warnings.catch_warnings():
            warnings.simplefilter("ignore")
            data = _worker.parse_normalized(
                body, headers, url, "golden", NOW.timestamp(), fast_path=fast_path
            )
    except Exception as exc:  # what the worker answers, and the pool raises as ParseError
        return {"error": f"{type(exc).__name__}: {exc}"[:500]}
    title, _link, ttl, rows, _bozo, version, _parser = data
    if not version and not rows:
        return {"error": "not a feed"}
    return expected(title, ttl, version, rows)


def expected(title: str | None, ttl: float | None, version: str, rows: Any) -> dict[str, Any]:
    """The golden form of a feed: its title, ttl, version and normalized entries."""
    return {
        "title": title,
        "ttl": ttl,
        "version": version,
        "entries": [
            {
                "key": key,
                "title": title_,
                "link": link,
                "summary": summary,
                "published": (
                    datetime.fromtimestamp(published, UTC).isoformat()
                    if published is not None
                    else None
                ),
                "author": author,
            }
            for key, title_, link, summary, published, author in rows
        ],
    }


def write(index: int, name: str, body: bytes, headers: dict[str, str], description: str) -> None:
    suffix = "json" if headers.get("content-type", "").endswith("json") else "xml"
    stem = f"{index:04d}-{name}"
    url = BASE_URL + f"{stem}.{suffix}"
    (CASES / f"{stem}.{suffix}").write_bytes(body)
    golden = {
        "description": description,
        "document": f"{stem}.{suffix}",
        "headers": headers,
        "url": url,
        "expect": expectation(body, headers, url),
    }
    text = json.dumps(golden, indent=1, ensure_ascii=False, sort_keys=True) + "\n"
    (CASES / f"{stem}.golden.json").write_text(text, encoding="utf-8")


def main() -> None:
    if CASES.exists():
        shutil.rmtree(CASES)
    CASES.mkdir()
    index = 0
    for name, value in NAMED.items():
        body, kind = value if isinstance(value, tuple) else (value, "application/rss+xml")
        data = body.encode() if isinstance(body, str) else body
        write(index, name, data, {"content-type": kind}, f"hand-written: {name}")
        index += 1
    for seed in range(XML_SEEDS):
        body, headers, version = document(RandomChooser(seed))
        headers.setdefault("content-type", "application/octet-stream")  # as servers send it
        write(index, version, body, headers, f"feedgen.document(RandomChooser({seed}))")
        index += 1
    for seed in range(JSON_SEEDS):
        body, headers, _ = json_feed(RandomChooser(10_000 + seed))
        write(
            index, "jsonfeed", body, headers, f"feedgen.json_feed(RandomChooser({10_000 + seed}))"
        )
        index += 1
    print(f"{index} documents with their golden files in {CASES}")


if __name__ == "__main__":
    main()
