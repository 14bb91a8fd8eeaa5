"""Feed stage: fetch (HTTP, caps, SSRF guard) -> parse (worker processes) -> entries.

Kept import-free on purpose: the parser worker (``bot.feed._worker``) is started with
``python -m`` and must not pull aiohttp or the rest of the bot in.
"""
