from __future__ import annotations

import pytest

from bot.feed.links import canonical_link

CASES = [
    ("HTTP://Example.COM/a", "http://example.com/a"),
    ("https://example.com:443/a", "https://example.com/a"),
    ("http://example.com:80/a", "http://example.com/a"),
    ("http://example.com:8080/a", "http://example.com:8080/a"),
    ("https://example.com", "https://example.com/"),
    ("https://example.com/a#section", "https://example.com/a"),
    ("https://example.com/a?utm_source=x&utm_medium=y", "https://example.com/a"),
    ("https://example.com/a?id=3&utm_campaign=z&b=2", "https://example.com/a?id=3&b=2"),
    ("https://example.com/a?fbclid=abc", "https://example.com/a"),
    ("https://example.com/a?gclid=1&mc_cid=2&mc_eid=3&q=x", "https://example.com/a?q=x"),
    ("https://example.com/a?UTM_Source=x&page=2", "https://example.com/a?page=2"),
    ("https://example.com/Path/With%20Space?Q=Keep", "https://example.com/Path/With%20Space?Q=Keep"),
    ("https://user:pw@example.com/a", "https://example.com/a"),
    ("https://example.com./a", "https://example.com/a"),
    ("https://[2001:DB8::1]:443/a", "https://[2001:db8::1]/a"),
    ("  https://example.com/a  ", "https://example.com/a"),
    ("ftp://example.com/a", None),
    ("javascript:alert(1)", None),
    ("mailto:a@example.com", None),
    ("/relative/path", None),
    ("https://", None),
    ("https://example.com:99999/", None),
    ("", None),
    (None, None),
]  # fmt: skip


@pytest.mark.parametrize(("url", "expected"), CASES, ids=[str(c[0]) for c in CASES])
def test_canonical_link(url: str | None, expected: str | None) -> None:
    assert canonical_link(url) == expected
