"""Small feed documents for tests."""

from __future__ import annotations


def rss(items: int = 3, *, extra: str = "", ttl: int | None = None) -> str:
    body = "".join(
        f"<item><title>Item {i}</title><link>https://example.com/{i}?utm_source=x</link>"
        f"<guid>id-{i}</guid><description>&lt;p&gt;Summary {i}&lt;/p&gt;</description>"
        f"<pubDate>Mon, 03 Apr 2023 01:02:{i % 60:02d} GMT</pubDate></item>"
        for i in range(items)
    )
    ttl_tag = f"<ttl>{ttl}</ttl>" if ttl is not None else ""
    return (
        '<?xml version="1.0" encoding="utf-8"?><rss version="2.0"><channel>'
        f"<title>Test feed</title><link>https://example.com/</link>{ttl_tag}{extra}{body}"
        "</channel></rss>"
    )
