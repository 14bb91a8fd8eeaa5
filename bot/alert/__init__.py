"""Alert rendering: ``Alert`` -> Telegram HTML ``Message``s within Telegram's limits (pure)."""

from bot.alert.limits import MAX_ENTITIES, MAX_HTML_UTF16, MAX_TEXT_UTF16, utf16_len
from bot.alert.render import format_published, render_alert, render_digest, render_item

__all__ = [
    "MAX_ENTITIES",
    "MAX_HTML_UTF16",
    "MAX_TEXT_UTF16",
    "format_published",
    "render_alert",
    "render_digest",
    "render_item",
    "utf16_len",
]
