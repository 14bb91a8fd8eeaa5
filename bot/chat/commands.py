"""The command table and pure parsing of command arguments (no Telegram, no I/O).

Every command is listed once in ``COMMANDS``: /help, the usage lines, the Telegram command
menu and the permission check are all generated from it. A parser returns the parsed
arguments or raises ``UsageError``; the handler turns that into a short usage reply.

Who may use a command (``Command.who``):

    everyone     anyone in the chat (/help, /rules, /list, /test, /search)
    chat_admin   changes this chat: the private chat's user, group/supergroup administrators,
                 anyone who can post in a channel, and NEWSBOT_ADMINS everywhere
    operator     NEWSBOT_ADMINS only (/feeds, /status)
    feeds        NEWSBOT_ADMINS, or anyone when NEWSBOT_ANYONE_CAN_ADD_FEEDS is set

Chat text is hostile. Every parser first checks the argument against its command's
``max_args`` (a short usage reply, nothing else runs on a longer one), then parses with
plain string operations or anchored, bounded patterns; a reason quotes at most an
``excerpt`` of what the user wrote.
"""

from __future__ import annotations

import math
import re
import zoneinfo
from dataclasses import dataclass
from typing import Literal

from bot.config.durations import parse_duration
from bot.models import DigestMode
from bot.text import excerpt

Who = Literal["everyone", "chat_admin", "operator", "feeds"]

MAX_MUTE = 366 * 86400.0

# Longest argument (characters after the command) each kind of command reads.
MAX_WORD = 64  # a rule id, feed id, watch number, mode or on/off
MAX_DURATION = 32  # "1h 30m"; the duration scanner is linear anyway
MAX_QUIET = 32  # "22:00-07:00"
MAX_TIMEZONE = 64  # the longest IANA name has 32 characters
MAX_URL = 2048 + 1 + MAX_DURATION  # /addfeed URL [INTERVAL]
MAX_TEXT = 4096  # /watch and /test (Telegram's own message limit; /watch has its own below it)


@dataclass(frozen=True, slots=True)
class Command:
    name: str
    args: str  # usage of the arguments, "" when none
    summary: str
    example: str  # a complete example, e.g. "/subscribe outages"
    who: Who = "everyone"
    menu: bool = True  # shown in Telegram's command menu
    max_args: int = MAX_WORD  # longest argument text the parser will look at

    @property
    def usage(self) -> str:
        return f"/{self.name} {self.args}".rstrip()


COMMANDS: tuple[Command, ...] = (
    Command("start", "", "what this bot does and how to begin", "/start"),
    Command("help", "", "every command, with examples", "/help"),
    Command("rules", "", "the rules you can subscribe to (tap to toggle)", "/rules"),
    Command("subscribe", "RULE_ID", "get alerts for a rule", "/subscribe outages", "chat_admin"),
    Command(
        "unsubscribe", "RULE_ID", "stop alerts for a rule", "/unsubscribe outages", "chat_admin"
    ),
    Command("list", "", "this chat's subscriptions, watches and settings", "/list"),
    Command(
        "watch",
        "QUERY",
        "a personal rule in the query language",
        '/watch "data breach" AND (bank OR insurer)',
        "chat_admin",
        max_args=MAX_TEXT,
    ),
    Command("unwatch", "N", "remove watch number N from /list", "/unwatch 1", "chat_admin"),
    Command(
        "search",
        "QUERY",
        "the latest kept entries a query matches",
        "/search earthquake AND japan",
        max_args=MAX_TEXT,
    ),
    Command(
        "test",
        "TEXT",
        "which rules and watches would match a headline",
        "/test Bank hit by data breach",
        max_args=MAX_TEXT,
    ),
    Command(
        "mute",
        "DURATION",
        "pause alerts for a while (30m, 2h, 1d)",
        "/mute 2h",
        "chat_admin",
        max_args=MAX_DURATION,
    ),
    Command("unmute", "", "resume alerts now", "/unmute", "chat_admin"),
    Command(
        "digest", "off|hourly|daily", "bundle alerts into a digest", "/digest hourly", "chat_admin"
    ),
    Command(
        "quiet",
        "HH:MM-HH:MM|off",
        "hold alerts during these hours",
        "/quiet 22:00-07:00",
        "chat_admin",
        max_args=MAX_QUIET,
    ),
    Command(
        "timezone",
        "Area/City",
        "time zone for quiet hours and digests",
        "/timezone Europe/Berlin",
        "chat_admin",
        max_args=MAX_TIMEZONE,
    ),
    Command("preview", "on|off", "show link previews under alerts", "/preview on", "chat_admin"),
    Command(
        "stories",
        "on|off",
        "one alert per story, updated as outlets report it (on), or one per report (off)",
        "/stories off",
        "chat_admin",
    ),
    Command("feeds", "", "feed health (operators)", "/feeds", "operator", menu=False),
    Command("status", "", "bot status (operators)", "/status", "operator", menu=False),
    Command(
        "addfeed",
        "URL [INTERVAL]",
        "add a feed",
        "/addfeed https://example.com/feed.xml 10m",
        "feeds",
        menu=False,
        max_args=MAX_URL,
    ),
    Command(
        "removefeed",
        "FEED_ID",
        "remove a feed added from chat",
        "/removefeed example-com",
        "feeds",
        menu=False,
    ),
)

BY_NAME: dict[str, Command] = {c.name: c for c in COMMANDS}


class UsageError(ValueError):
    """Bad arguments for ``command``; ``reason`` says what is wrong, in the user's terms."""

    def __init__(self, command: str, reason: str) -> None:
        self.command = BY_NAME[command]
        self.reason = reason
        super().__init__(f"/{command}: {reason}")


# --------------------------------------------------------------------------- the command itself

# Linear (constant, even): ``match`` is anchored and both runs are bounded at 64 characters.
_COMMAND = re.compile(r"/([A-Za-z0-9_]{1,64})(?:@([A-Za-z0-9_]{1,64}))?")


@dataclass(frozen=True, slots=True)
class CommandText:
    name: str  # lower-case, without "/" and "@bot"
    addressee: str | None  # the "@bot" part, without "@"
    args: str  # the raw text after the command, stripped (spacing inside kept)


def split_command(text: str) -> CommandText | None:
    """``/Watch@newsbot  a  b`` -> ("watch", "newsbot", "a  b"); None if not a command."""
    found = _COMMAND.match(text)
    if not found or (found.end() < len(text) and not text[found.end()].isspace()):
        return None
    return CommandText(found.group(1).lower(), found.group(2), text[found.end() :].strip())


# --------------------------------------------------------------------------- argument parsers


def _capped(command: str, args: str) -> str:
    """``args`` if it is short enough for ``command``; the check comes before any parsing."""
    limit = BY_NAME[command].max_args
    if len(args) > limit:
        raise UsageError(command, f"that is too long: at most {limit} characters.")
    return args


def _quoted(word: str) -> str:
    """A user's word for a reason: quoted, at most an excerpt of it."""
    return repr(excerpt(word))


def _one_word(command: str, args: str, what: str) -> str:
    words = _capped(command, args).split()
    if not words:
        raise UsageError(command, f"{what} is missing.")
    if len(words) > 1:
        raise UsageError(command, f"expected one {what}, got {len(words)} words.")
    return words[0]


def parse_rule_id(command: str, args: str) -> str:
    return _one_word(command, args, "rule id")


def parse_feed_id(args: str) -> str:
    return _one_word("removefeed", args, "feed id")


def parse_query(command: str, args: str) -> str:
    if not _capped(command, args):
        raise UsageError(
            command,
            "the query is missing." if command in ("watch", "search") else "the text is missing.",
        )
    return args


def parse_index(args: str) -> int:
    word = _one_word("unwatch", args, "watch number")
    if not word.isdigit() or int(word) < 1:
        raise UsageError("unwatch", f"{_quoted(word)} is not a watch number (see /list).")
    return int(word)


def parse_mute(args: str) -> float:
    word = _capped("mute", args).strip()
    if not word:
        raise UsageError("mute", "the duration is missing.")
    try:
        seconds = parse_duration(word)
    except ValueError:
        raise UsageError(
            "mute", f"{_quoted(word)} is not a duration such as 30m, 2h or 1d."
        ) from None
    if seconds <= 0 or not math.isfinite(seconds):
        raise UsageError("mute", "the duration must be longer than zero.")
    if seconds > MAX_MUTE:
        raise UsageError("mute", "at most one year; use /unsubscribe to stop alerts for good.")
    return seconds


def parse_digest(args: str) -> DigestMode:
    word = _one_word("digest", args, "mode").lower()
    try:
        return DigestMode(word)
    except ValueError:
        choices = ", ".join(DigestMode)
        raise UsageError("digest", f"{_quoted(word)} is not one of {choices}.") from None


def parse_on_off(command: str, args: str) -> bool:
    word = _one_word(command, args, "on or off").lower()
    if word not in ("on", "off"):
        raise UsageError(command, f"{_quoted(word)} is not on or off.")
    return word == "on"


def parse_preview(args: str) -> bool:
    return parse_on_off("preview", args)


def parse_stories(args: str) -> bool:
    return parse_on_off("stories", args)


# Linear: fullmatch, anchored, at most 5 characters of alternatives with no loop.
_HHMM = re.compile(r"([01]?\d|2[0-3]):([0-5]\d)")


def parse_quiet(args: str) -> str | None:
    """``22:00-7:00`` -> ``"22:00-07:00"``; ``off`` -> None."""
    text = _capped("quiet", args).strip().lower().replace(" ", "")
    if text in ("off", "none"):
        return None
    if not text:
        raise UsageError("quiet", "the hours are missing.")
    start, sep, end = text.partition("-")
    first, second = _HHMM.fullmatch(start), _HHMM.fullmatch(end)
    if not sep or first is None or second is None:
        raise UsageError("quiet", "expected two times as HH:MM-HH:MM, or off.")
    a = f"{int(first.group(1)):02d}:{first.group(2)}"
    b = f"{int(second.group(1)):02d}:{second.group(2)}"
    if a == b:
        raise UsageError("quiet", "start and end are the same time.")
    return f"{a}-{b}"


def parse_timezone(args: str) -> str:
    name = _one_word("timezone", args, "time zone")
    if name.upper() == "UTC":
        return "UTC"
    try:
        zoneinfo.ZoneInfo(name)
    except (zoneinfo.ZoneInfoNotFoundError, ValueError, OSError):
        raise UsageError(
            "timezone", f"{_quoted(name)} is not a known time zone (e.g. Europe/Berlin)."
        ) from None
    return name


def parse_addfeed(args: str) -> tuple[str, float | None]:
    words = _capped("addfeed", args).split()
    if not words:
        raise UsageError("addfeed", "the feed URL is missing.")
    if len(words) > 2:
        raise UsageError("addfeed", "expected a URL and an optional interval.")
    url = words[0]
    if not re.match(r"https?://[^\s/]", url, re.IGNORECASE):  # anchored, no loop: O(1)
        raise UsageError("addfeed", "the URL must start with http:// or https://.")
    interval: float | None = None
    if len(words) == 2:
        try:
            interval = parse_duration(words[1])
        except ValueError:
            raise UsageError(
                "addfeed", f"{_quoted(words[1])} is not an interval such as 10m or 1h."
            ) from None
        if interval <= 0:
            raise UsageError("addfeed", "the interval must be longer than zero.")
    return url, interval
