"""The ``newsbot dev-telegram`` console's decisions, without I/O.

``parse_input(line, keyboards)`` turns what the user typed into an action: ``Say`` a text or
command, ``Tap`` a numbered inline button (``tap 2`` or ``#2``), ``Quit`` (``/quit``), or a
``Problem`` to show (a button number not on screen, a text too long for Telegram).

``render_message(...)`` turns a message the bot sent, as Telegram shows it (plain text plus
entities with UTF-16 offsets), into terminal text: bold, italic, underline, strikethrough and
code as ANSI styles when ``color`` is set, links followed by their URL, inline buttons listed
with their numbers. Control characters in anything the bot sent (feed titles reach it) are
replaced, so a message can never drive the terminal.

``Keyboards`` numbers buttons for the whole session: each message's buttons get fresh numbers
when it is shown or edited, the numbers of its previous keyboard stop working, and buttons of
older messages can still be tapped, as in Telegram.
"""

from __future__ import annotations

import re
from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from typing import Any

MAX_TEXT_UTF16 = 4096  # Telegram's limit for a message a user sends

RESET = "\x1b[0m"
_STYLES = {
    "bold": "1",
    "italic": "3",
    "underline": "4",
    "strikethrough": "9",
    "spoiler": "7",  # reverse video: "hidden until tapped"
    "code": "36",
    "pre": "36",
    "text_link": "4",
    "blockquote": "2",
}
# C0 (but tab and newline), DEL and C1: ESC sequences, carriage returns, bells, ...
_CONTROL = re.compile(r"[\x00-\x08\x0b-\x1f\x7f-\x9f]")
_TAP = re.compile(r"(?:tap\s+#?|#)\s*(\d{1,9})", re.IGNORECASE)  # anchored by fullmatch: linear


@dataclass(frozen=True, slots=True)
class Button:
    number: int  # the session-wide number the user types
    chat_id: int | str
    message_id: int
    text: str
    callback_data: str | None = None
    url: str | None = None


@dataclass(frozen=True, slots=True)
class Say:
    text: str


@dataclass(frozen=True, slots=True)
class Tap:
    button: Button


@dataclass(frozen=True, slots=True)
class Quit:
    pass


@dataclass(frozen=True, slots=True)
class Problem:
    message: str


Action = Say | Tap | Quit | Problem


class Keyboards:
    """The inline buttons on screen, by the number shown beside each."""

    def __init__(self) -> None:
        self._next = 1
        self._buttons: dict[int, Button] = {}
        self._by_message: dict[tuple[str, int], list[int]] = {}

    def show(
        self, chat_id: int | str, message_id: int, reply_markup: Mapping[str, Any] | None
    ) -> list[list[Button]]:
        """Number the buttons of a message's (new) keyboard, row by row; forget its old ones."""
        key = (str(chat_id), message_id)
        for number in self._by_message.pop(key, []):
            self._buttons.pop(number, None)
        rows: list[list[Button]] = []
        for raw_row in (reply_markup or {}).get("inline_keyboard") or []:
            row = []
            for raw in raw_row:
                button = Button(
                    number=self._next,
                    chat_id=chat_id,
                    message_id=message_id,
                    text=str(raw.get("text", "")),
                    callback_data=_str_or_none(raw.get("callback_data")),
                    url=_str_or_none(raw.get("url")),
                )
                self._next += 1
                self._buttons[button.number] = button
                self._by_message.setdefault(key, []).append(button.number)
                row.append(button)
            rows.append(row)
        return rows

    def get(self, number: int) -> Button | None:
        return self._buttons.get(number)

    def numbers(self) -> list[int]:
        return sorted(self._buttons)


def parse_input(line: str, keyboards: Keyboards) -> Action | None:
    """What the typed ``line`` does; ``None``: nothing (an empty line)."""
    text = line.strip()
    if not text:
        return None
    if text == "/quit":
        return Quit()
    tap = _TAP.fullmatch(text)
    if tap:
        number = int(tap.group(1))
        button = keyboards.get(number)
        if button is None:
            shown = keyboards.numbers()
            where = (
                f"the buttons on screen are {_ranges(shown)}" if shown else "no buttons are shown"
            )
            return Problem(f"there is no button #{number}: {where}")
        return Tap(button)
    if _utf16_len(text) > MAX_TEXT_UTF16:
        return Problem(
            f"Telegram messages are at most {MAX_TEXT_UTF16} characters; this one has "
            f"{_utf16_len(text)}"
        )
    return Say(text)


def render_message(
    text: str,
    entities: Sequence[Mapping[str, Any]],
    buttons: Sequence[Sequence[Button]],
    *,
    header: str,
    color: bool,
) -> str:
    """A bot message as terminal lines: ``header``, the text, then the buttons by number."""
    lines = [_style(header, "1;35", color), styled_text(text, entities, color=color)]
    for row in buttons:
        lines.append("  " + "   ".join(_button(b, color) for b in row))
    return "\n".join(lines)


def render_toast(text: str, *, show_alert: bool, color: bool) -> str:
    """A callback query's answer: a pop-up (``show_alert``) or a brief notice at the top."""
    label = "(alert box)" if show_alert else "(notice)"
    return _style(f"{label} {clean(text)}", "2", color)


def styled_text(text: str, entities: Sequence[Mapping[str, Any]], *, color: bool) -> str:
    """``text`` with its entities: ANSI styles when ``color``; links followed by <URL>."""
    index = _utf16_to_index(text)
    opens: dict[int, list[Mapping[str, Any]]] = {}
    closes: dict[int, list[Mapping[str, Any]]] = {}
    for entity in entities:
        try:
            start = index[int(entity["offset"])]
            end = index[int(entity["offset"]) + int(entity["length"])]
        except (KeyError, IndexError, TypeError, ValueError):
            continue  # not an entity of this text: show the text as it is
        if end > start:
            opens.setdefault(start, []).append(entity)
            closes.setdefault(end, []).append(entity)
    out: list[str] = []
    active: list[Mapping[str, Any]] = []
    for pos in range(len(text) + 1):
        ending = closes.get(pos, [])
        starting = opens.get(pos, [])
        if ending or starting:
            for entity in ending:
                active.remove(entity)
                url = entity.get("url")
                if entity.get("type") == "text_link" and isinstance(url, str):
                    if color:
                        out.append(RESET)
                    out.append(_style(f" <{clean(url)}>", "2", color))
            active.extend(starting)
            if color:
                codes = [_STYLES[e["type"]] for e in active if e.get("type") in _STYLES]
                out.append(RESET + (f"\x1b[{';'.join(codes)}m" if codes else ""))
        if pos < len(text):
            out.append(clean(text[pos]))
    if color:
        out.append(RESET)
    return "".join(out).replace(RESET + RESET, RESET)


def clean(text: str) -> str:
    """``text`` with every control character but tab and newline made harmless (U+FFFD)."""
    return _CONTROL.sub("\N{REPLACEMENT CHARACTER}", text)


def _button(button: Button, color: bool) -> str:
    label = f"[{button.number}] {clean(button.text)}"
    if button.url is not None:
        label += _style(f" <{clean(button.url)}>", "2", color)
    return label


def _style(text: str, codes: str, color: bool) -> str:
    return f"\x1b[{codes}m{text}{RESET}" if color else text


def _str_or_none(value: Any) -> str | None:
    return value if isinstance(value, str) else None


def _utf16_len(text: str) -> int:
    return len(text.encode("utf-16-le", "surrogatepass")) // 2


def _utf16_to_index(text: str) -> dict[int, int]:
    """UTF-16 offset -> index into ``text``, for every offset at a character boundary."""
    index: dict[int, int] = {}
    units = 0
    for i, char in enumerate(text):
        index[units] = i
        units += 2 if ord(char) > 0xFFFF else 1
    index[units] = len(text)
    return index


def _ranges(numbers: Sequence[int]) -> str:
    """``[1, 2, 3, 7]`` -> ``"#1-#3, #7"``."""
    parts: list[str] = []
    start = prev = numbers[0]
    for n in [*numbers[1:], None]:
        if n is not None and n == prev + 1:
            prev = n
            continue
        parts.append(f"#{start}" if start == prev else f"#{start}-#{prev}")
        if n is not None:
            start = prev = n
    return ", ".join(parts)
