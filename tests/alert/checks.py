"""Every rendered message is checked with the fake Bot API's Telegram HTML parser."""

from __future__ import annotations

from collections.abc import Sequence

from bot.alert import MAX_ENTITIES, MAX_HTML_UTF16
from bot.devtools.fakebotapi import ParsedText, check_message_text, utf16_len
from bot.models import Message


def validate(messages: Sequence[Message]) -> list[ParsedText]:
    """Assert Telegram would accept each message (and its fallback); return what users see."""
    seen = []
    for message in messages:
        assert message.parse_mode == "HTML"
        parsed = check_message_text(message.text, "HTML")  # raises on refusal
        assert utf16_len(parsed.text) <= 4096
        assert len(parsed.entities) <= MAX_ENTITIES
        assert utf16_len(message.text) <= MAX_HTML_UTF16
        fallback = check_message_text(message.plain_fallback, None)
        assert utf16_len(fallback.text) <= 4096
        seen.append(parsed)
    return seen
