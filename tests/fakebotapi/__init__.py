"""The fake Telegram Bot API the tests talk to; it lives in ``bot.devtools.fakebotapi`` so that
``newsbot dev-telegram`` ships it too.

from tests.fakebotapi import FakeBotAPI, parse_html, check_message_text
"""

from bot.devtools.fakebotapi import (
    FAULT_KINDS,
    MAX_MESSAGE_UTF16,
    Call,
    EntityParseError,
    FakeBotAPI,
    ParsedText,
    SentMessage,
    check_message_text,
    parse_html,
    parse_message_text,
    utf16_len,
)

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
