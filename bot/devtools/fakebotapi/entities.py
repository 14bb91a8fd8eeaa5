"""Telegram's HTML parse mode, re-implemented from tdlib's ``parse_html`` for the fake Bot API.

``parse_html(text)`` returns what a user would see: the plain text and the
message entities (offsets and lengths in UTF-16 code units), or raises
``EntityParseError`` with the message Telegram puts after
``"Bad Request: can't parse entities: "``.

Accepted, as in Telegram: tags ``b strong i em u ins s strike del span
tg-spoiler a code pre blockquote tg-emoji`` (lower or upper case), ``<span>``
only with ``class="tg-spoiler"``, ``<code class="language-x">`` inside ``<pre>``,
``<blockquote expandable>``; entities ``&lt; &gt; &amp; &quot;`` and numeric
``&#N;`` / ``&#xN;``.  Errors use tdlib's wording and UTF-8 byte offsets.

One deliberate difference: with ``strict=True`` (the default) a raw ``>`` or an
``&`` that starts no recognised entity is an error too.  Telegram passes those
through, but the documentation says they must be escaped and our renderer
always escapes them, so a stray one means a bug.  ``<a href>`` with anything but
an http(s) URL with a dotted host (or tg://) keeps its text and loses the link,
as Telegram does.  Entities past the 100th are reported in ``ParsedText.dropped``:
Telegram accepts the message but ignores them.
"""

from __future__ import annotations

import re
from dataclasses import dataclass, field
from typing import Any

ALLOWED_TAGS = frozenset(
    "a b strong i em u ins s strike del span tg-spoiler code pre blockquote tg-emoji".split()
)
_ENTITY_TYPES = {
    "b": "bold",
    "strong": "bold",
    "i": "italic",
    "em": "italic",
    "u": "underline",
    "ins": "underline",
    "s": "strikethrough",
    "strike": "strikethrough",
    "del": "strikethrough",
    "span": "spoiler",
    "tg-spoiler": "spoiler",
    "code": "code",
    "pre": "pre",
    "blockquote": "blockquote",
    "tg-emoji": "custom_emoji",
}
_NAMED = {"lt": "<", "gt": ">", "amp": "&", "quot": '"'}
# http(s) with a dotted host (Telegram drops e.g. http://localhost links), or tg://
_LINK = re.compile(
    r"^(?:https?://(?:[^\s/?#@]*@)?[^\s/?#@:]+\.[^\s/?#@:]+(?::\d+)?(?:[/?#]\S*)?|tg://\S+)$",
    re.IGNORECASE,
)
_SPACE = " \t\r\n\f\v"
MAX_MESSAGE_UTF16 = 4096
MAX_ENTITIES = 100  # Telegram keeps the first 100 entities and silently ignores the rest


class EntityParseError(ValueError):
    """The text is not valid Telegram HTML; ``str(exc)`` is tdlib's message."""


@dataclass(frozen=True, slots=True)
class ParsedText:
    text: str
    entities: tuple[dict[str, Any], ...] = field(default=())
    dropped: int = 0  # entities beyond MAX_ENTITIES (still listed here; Telegram ignores them)

    @property
    def utf16_len(self) -> int:
        return utf16_len(self.text)


def utf16_len(text: str) -> int:
    """Length in UTF-16 code units, the unit of every Telegram limit."""
    return len(text.encode("utf-16-le", "surrogatepass")) // 2


def _decode_entity(text: str, pos: int) -> tuple[str, int] | None:
    """Decode the entity starting with ``&`` at ``pos``: (character, next position)."""
    end = pos + 1
    n = len(text)
    if end < n and text[end] == "#":
        end += 1
        value = 0
        digits = 0
        if end < n and text[end] == "x":
            end += 1
            while end < n and text[end] in "0123456789abcdefABCDEF":
                value = value * 16 + int(text[end], 16)
                end += 1
                digits += 1
                if value >= 0x10FFFF:
                    return None
        else:
            while end < n and text[end].isascii() and text[end].isdigit():
                value = value * 10 + int(text[end])
                end += 1
                digits += 1
                if value >= 0x10FFFF:
                    return None
        if not digits or value == 0 or end - pos >= 10 or 0xD800 <= value <= 0xDFFF:
            return None
        char = chr(value)
    else:
        while end < n and text[end].isascii() and text[end].isalpha():
            end += 1
        named = _NAMED.get(text[pos + 1 : end])
        if named is None:
            return None
        char = named
    if end < n and text[end] == ";":
        end += 1
    return char, end


class _Parser:
    def __init__(self, source: str, strict: bool) -> None:
        self.src = source
        self.strict = strict
        self.out: list[str] = []
        self.utf16 = 0
        self.entities: list[dict[str, Any]] = []
        # (tag, argument, utf16 offset at start)
        self.stack: list[tuple[str, str, int]] = []

    def byte_offset(self, pos: int) -> int:
        return len(self.src[:pos].encode("utf-8", "surrogatepass"))

    def fail(self, message: str) -> EntityParseError:
        return EntityParseError(message)

    def emit(self, chars: str) -> None:
        self.out.append(chars)
        self.utf16 += utf16_len(chars)

    def char_at(self, i: int) -> str:
        return self.src[i] if i < len(self.src) else ""

    def run(self) -> ParsedText:
        src = self.src
        i = 0
        n = len(src)
        while i < n:
            c = src[i]
            if c == "&":
                decoded = _decode_entity(src, i)
                if decoded is not None:
                    self.emit(decoded[0])
                    i = decoded[1]
                    continue
                if self.strict:
                    raise self.fail(
                        f'Character "&" must be escaped as "&amp;" at byte offset '
                        f"{self.byte_offset(i)}"
                    )
            if c == ">" and self.strict:
                raise self.fail(
                    f'Character ">" must be escaped as "&gt;" at byte offset {self.byte_offset(i)}'
                )
            if c != "<":
                j = i + 1
                while j < n and src[j] not in "<&>":
                    j += 1
                self.emit(src[i:j])
                i = j
                continue
            if self.char_at(i + 1) != "/":
                i = self.start_tag(i)
            else:
                i = self.end_tag(i)
        if self.stack:
            raise self.fail(f'Can\'t find end tag corresponding to start tag "{self.stack[-1][0]}"')
        return self.finish()

    def start_tag(self, begin: int) -> int:
        src = self.src
        i = begin + 1
        while self.char_at(i) and self.char_at(i) not in _SPACE and self.char_at(i) != ">":
            i += 1
        if not self.char_at(i):
            raise self.fail(f"Unclosed start tag at byte offset {self.byte_offset(begin)}")
        tag = src[begin + 1 : i].lower()
        if tag not in ALLOWED_TAGS:
            raise self.fail(
                f'Unsupported start tag "{tag}" at byte offset {self.byte_offset(begin)}'
            )
        argument = ""
        expandable = False
        while self.char_at(i) != ">":
            while self.char_at(i) and self.char_at(i) in _SPACE:
                i += 1
            if self.char_at(i) == ">":
                break
            attr_begin = i
            while self.char_at(i) and self.char_at(i) not in _SPACE and self.char_at(i) not in "=>":
                i += 1
            name = src[attr_begin:i]
            if not name:
                raise self.fail(
                    f'Empty attribute name in the tag "{tag}" at byte offset '
                    f"{self.byte_offset(begin)}"
                )
            while self.char_at(i) and self.char_at(i) in _SPACE:
                i += 1
            if self.char_at(i) != "=":
                if tag == "blockquote" and name == "expandable":
                    expandable = True
                    if not self.char_at(i):
                        raise self.fail(
                            f"Unclosed start tag at byte offset {self.byte_offset(begin)}"
                        )
                    continue
                raise self.fail(
                    f'Expected equal sign in declaration of an attribute of the tag "{tag}" '
                    f"at byte offset {self.byte_offset(begin)}"
                )
            i += 1
            while self.char_at(i) and self.char_at(i) in _SPACE:
                i += 1
            if not self.char_at(i):
                raise self.fail(
                    f'Unclosed start tag "{tag}" at byte offset {self.byte_offset(begin)}'
                )
            value_chars: list[str] = []
            quote = self.char_at(i)
            if quote not in "'\"":
                token_begin = i
                while self.char_at(i) and (self.char_at(i).isalnum() or self.char_at(i) in ".-"):
                    i += 1
                value_chars.append(src[token_begin:i].lower())
                if self.char_at(i) not in _SPACE + ">" or not self.char_at(i):
                    offset = self.byte_offset(token_begin)
                    raise self.fail(f"Unexpected end of name token at byte offset {offset}")
            else:
                i += 1
                while self.char_at(i) and self.char_at(i) != quote:
                    if self.char_at(i) == "&":
                        decoded = _decode_entity(src, i)
                        if decoded is not None:
                            value_chars.append(decoded[0])
                            i = decoded[1]
                            continue
                    value_chars.append(src[i])
                    i += 1
                if self.char_at(i) == quote:
                    i += 1
            if not self.char_at(i):
                raise self.fail(f"Unclosed start tag at byte offset {self.byte_offset(begin)}")
            value = "".join(value_chars)
            if tag == "a" and name == "href":
                argument = value
            elif tag == "code" and name == "class" and value.startswith("language-"):
                argument = value[len("language-") :]
            elif tag == "span" and name == "class" and value.startswith("tg-"):
                argument = value[len("tg-") :]
            elif tag == "tg-emoji" and name == "emoji-id":
                argument = value
            elif tag == "pre" and name == "language":  # accepted by tdlib too
                argument = value
        if tag == "span" and argument != "spoiler":
            raise self.fail(
                f'Tag "span" must have class "tg-spoiler" at byte offset {self.byte_offset(begin)}'
            )
        if tag == "blockquote" and expandable:
            argument = "expandable"
        self.stack.append((tag, argument, self.utf16))
        return i + 1

    def end_tag(self, begin: int) -> int:
        if not self.stack:
            raise self.fail(f"Unexpected end tag at byte offset {self.byte_offset(begin)}")
        i = begin + 2
        while self.char_at(i) and self.char_at(i) not in _SPACE and self.char_at(i) != ">":
            i += 1
        end_name = self.src[begin + 2 : i]
        while self.char_at(i) and self.char_at(i) in _SPACE:
            i += 1
        if self.char_at(i) != ">":
            raise self.fail(f"Unclosed end tag at byte offset {self.byte_offset(begin)}")
        tag, argument, offset = self.stack.pop()
        if end_name and end_name.lower() != tag:
            raise self.fail(
                f"Unmatched end tag at byte offset {self.byte_offset(begin)}, "
                f'expected "</{tag}>", found "</{end_name}>"'
            )
        length = self.utf16 - offset
        if length > 0:
            self.add_entity(tag, argument, offset, length)
        return i + 1

    def add_entity(self, tag: str, argument: str, offset: int, length: int) -> None:
        entity: dict[str, Any] = {"offset": offset, "length": length}
        if tag == "a":
            url = argument
            if not url:
                url = "".join(self.out)[-length:] if length else ""
            if url.lower().startswith("tg://user?id="):
                entity["type"] = "text_mention"
                entity["user"] = {
                    "id": int(url.split("=", 1)[1] or 0),
                    "is_bot": False,
                    "first_name": "User",
                }
            elif _LINK.match(url):
                entity["type"] = "text_link"
                entity["url"] = url
            else:
                return  # Telegram silently drops links it does not accept
        elif tag == "code" and self.stack and self.stack[-1][0] == "pre":
            # <pre><code class="language-x">: the language moves onto the pre entity
            if argument:
                pre_tag, _, pre_offset = self.stack[-1]
                self.stack[-1] = (pre_tag, argument, pre_offset)
            return
        elif tag == "blockquote":
            entity["type"] = "expandable_blockquote" if argument else "blockquote"
        elif tag == "tg-emoji":
            entity["type"] = "custom_emoji"
            entity["custom_emoji_id"] = argument
        else:
            entity["type"] = _ENTITY_TYPES[tag]
            if tag == "pre" and argument:
                entity["language"] = argument
        self.entities.append(entity)

    def finish(self) -> ParsedText:
        text = "".join(self.out)
        ordered = sorted(self.entities, key=lambda e: (e["offset"], -e["length"]))
        return ParsedText(text=text, entities=tuple(ordered), dropped=max(0, len(ordered) - 100))


def parse_html(text: str, *, strict: bool = True) -> ParsedText:
    """Parse Telegram HTML like Telegram does; raise ``EntityParseError`` if it would refuse."""
    return _Parser(text, strict).run()


def parse_message_text(text: str, parse_mode: str | None, *, strict: bool = True) -> ParsedText:
    """What Telegram makes of ``sendMessage(text, parse_mode)``, before the length check.

    Leading and trailing whitespace is trimmed (entities are shifted), as Telegram does.
    """
    if parse_mode is None or parse_mode == "":
        parsed = ParsedText(text)
    elif parse_mode.lower() == "html":
        parsed = parse_html(text, strict=strict)
    else:
        raise EntityParseError(f"Unsupported parse_mode {parse_mode!r} in the fake server")
    return _strip(parsed)


def _strip(parsed: ParsedText) -> ParsedText:
    text = parsed.text
    lead = len(text) - len(text.lstrip())
    stripped = text.strip()
    if not lead and stripped == text:
        return parsed
    shift = utf16_len(text[:lead])
    total = utf16_len(stripped)
    entities = []
    for entity in parsed.entities:
        start = max(0, entity["offset"] - shift)
        end = min(total, entity["offset"] + entity["length"] - shift)
        if end > start:
            entities.append({**entity, "offset": start, "length": end - start})
    return ParsedText(stripped, tuple(entities))


def check_message_text(text: str, parse_mode: str | None, *, strict: bool = True) -> ParsedText:
    """Validate like sendMessage; raise ``ValueError`` with Telegram's description on refusal."""
    try:
        text.encode("utf-8")
    except UnicodeEncodeError:
        raise ValueError("Bad Request: strings must be encoded in UTF-8") from None
    try:
        parsed = parse_message_text(text, parse_mode, strict=strict)
    except EntityParseError as exc:
        raise ValueError(f"Bad Request: can't parse entities: {exc}") from None
    if not parsed.text:
        raise ValueError("Bad Request: message text is empty")
    if parsed.utf16_len > MAX_MESSAGE_UTF16:
        raise ValueError("Bad Request: message is too long")
    return parsed
