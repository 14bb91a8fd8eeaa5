"""A local fake Telegram Bot API server (aiohttp) and Telegram's HTML entity parser.

The Bot API the test suite talks to (its own tests: ``tests/fakebotapi``) and the server behind
``newsbot dev-telegram``. It answers with Telegram's shapes and validates HTML as Telegram does.

    from bot.devtools.fakebotapi import FakeBotAPI, parse_html, check_message_text
"""

from bot.devtools.fakebotapi.entities import (
    MAX_MESSAGE_UTF16,
    EntityParseError,
    ParsedText,
    check_message_text,
    parse_html,
    parse_message_text,
    utf16_len,
)
from bot.devtools.fakebotapi.server import FAULT_KINDS, Call, FakeBotAPI, SentMessage

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
