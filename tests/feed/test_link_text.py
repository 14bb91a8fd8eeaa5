"""A <link> whose attribute is not a web address keeps the alert's link from its text.

feedparser reads ``<link uri="at://...">https://...</link>`` (and ``href``/``url``) as the
attribute only; when that is no http(s) address, the element's own http(s) text is the link.
"""

from __future__ import annotations

import pytest

from tests.feed.conftest import Served

POST = "https://bsky.app/profile/alice.example/post/3k2a"
AT = "at://did:plc:abc123/app.bsky.feed.post/3k2a"
ATOM = "http://www.w3.org/2005/Atom"

CASES: dict[str, tuple[str, str, str | None]] = {
    # name: (document, content type, expected canonical link)
    "rss-uri-at-text-https": (
        '<rss version="2.0"><channel><title>t</title><item><title>a</title>'
        f'<link uri="{AT}">{POST}</link><guid isPermaLink="false">g1</guid></item>'
        "</channel></rss>",
        "application/rss+xml",
        POST,
    ),
    "rss-href-at-text-https-entities": (
        '<rss version="2.0"><channel><title>t</title><item><title>a</title>'
        f'<link href="{AT}"> {POST}?a=1&amp;b=2 </link><guid isPermaLink="false">g1</guid>'
        "</item></channel></rss>",
        "application/rss+xml",
        POST + "?a=1&b=2",
    ),
    "atom-uri-at-text-https": (
        f'<feed xmlns="{ATOM}"><title>t</title><entry><id>urn:x:1</id><title>a</title>'
        f'<link uri="{AT}">{POST}</link></entry></feed>',
        "application/atom+xml",
        POST,
    ),
    "rdf-uri-at-text-https": (
        '<rdf:RDF xmlns:rdf="http://www.w3.org/1999/02/22-rdf-syntax-ns#" '
        'xmlns="http://purl.org/rss/1.0/"><channel rdf:about="x"><title>t</title></channel>'
        f'<item rdf:about="urn:x:1"><title>a</title><link uri="{AT}">{POST}</link></item>'
        "</rdf:RDF>",
        "application/rdf+xml",
        POST,
    ),
    "uri-https-wins-over-text": (
        '<rss version="2.0"><channel><title>t</title><item><title>a</title>'
        '<link uri="https://example.com/attr">https://example.com/text</link>'
        '<guid isPermaLink="false">g1</guid></item></channel></rss>',
        "application/rss+xml",
        "https://example.com/attr",
    ),
    "text-not-a-web-address": (
        '<rss version="2.0"><channel><title>t</title><item><title>a</title>'
        f'<link uri="{AT}">javascript:alert(1)</link><guid isPermaLink="false">g1</guid>'
        "</item></channel></rss>",
        "application/rss+xml",
        None,
    ),
}


@pytest.mark.parametrize("name", list(CASES), ids=list(CASES))
async def test_link_text_when_attribute_is_not_web(served: Served, name: str) -> None:
    document, content_type, expected = CASES[name]
    _, [entry] = await served(document, content_type)
    assert entry.link == expected
