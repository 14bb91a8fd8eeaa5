"""A local fake Telegram Bot API server (aiohttp) and Telegram's HTML entity parser, for tests.

from tests.fakebotapi import FakeBotAPI, parse_html, check_message_text
"""

from tests.fakebotapi.entities import (
    MAX_MESSAGE_UTF16,
    EntityParseError,
    ParsedText,
    check_message_text,
    parse_html,
    parse_message_text,
    utf16_len,
)
from tests.fakebotapi.server import FAULT_KINDS, Call, FakeBotAPI, SentMessage

__all__ = [
    "FAULT_KINDS",
    "MAX_MESSAGE_UTF16",
    "Call",
    "EntityParseError",
    "FakeBotAPI",
    "ParsedText",
    "SentMessage",
    "check_message_text",
    "parse_html",
    "parse_message_text",
    "utf16_len",
]
