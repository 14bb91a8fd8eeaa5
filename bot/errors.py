"""newsbot's one exception tree. Causes are chained (``raise X from exc``);
only ``bot.cli`` turns these into exit codes and messages.

    NewsbotError
    ├── ConfigError                 settings or environment are unusable
    ├── RulesError                  a rules file is invalid (carries every problem found)
    │   └── QueryError              one rule's query is malformed (rule id + position)
    ├── FeedError                   one feed could not be polled; never stops the others
    │   ├── FetchError
    │   │   ├── BlockedAddressError the URL resolves to a refused address (SSRF guard)
    │   │   ├── TooLargeError       body or decoded body over the cap
    │   │   ├── FetchTimeoutError   overall deadline passed
    │   │   ├── TooManyRedirectsError
    │   │   └── HTTPStatusError     4xx/5xx (carries status and retry_after)
    │   └── ParseError              not a feed, or the parser was killed at its limits
    ├── StoreError                  the database refused or is unreachable
    │   └── SchemaMissingError      the tables are gone (the database was dropped and re-created)
    └── DeliveryError               a message could not be delivered
        ├── ChatGoneError           403 / chat not found: the chat is dead
        ├── ChatMigratedError       the group became a supergroup with ``new_chat_id``
        ├── RejectedError           Telegram refused this message for good (400)
        │   └── MessageGoneError    the message to edit was deleted or is too old to edit
        └── RetryLaterError         429 / 5xx / network: try again after ``retry_after``
            ├── MaybeSentError      timed out after the request was written: it may have arrived
            └── UnreachableError    the Bot API cannot be reached, or rejects the token: nothing
                                    was sent, and nothing will be until it answers again
"""

from __future__ import annotations

from collections.abc import Sequence

from bot.models import Problem, RulesConfig


class NewsbotError(Exception):
    """Base of every error newsbot raises on purpose."""


class ConfigError(NewsbotError):
    pass


class RulesError(NewsbotError):
    """A rules file is invalid. ``problems`` are ``Problem`` records (``str()`` of each is the
    ``FILE:LINE:COL: message`` line users see); ``partial`` is what did parse, when known, so
    its queries can be checked too and every problem reported at once."""

    def __init__(self, problems: Sequence[Problem], partial: RulesConfig | None = None) -> None:
        self.problems = tuple(problems)
        self.partial = partial
        super().__init__("\n".join(map(str, self.problems)))


class QueryError(RulesError):
    """A query is malformed. ``pos`` is the 0-based offset into the query text."""

    def __init__(self, message: str, pos: int = 0, rule_id: str | None = None) -> None:
        self.message = message
        self.pos = pos
        self.rule_id = rule_id
        super().__init__([Problem(message, rule_id=rule_id, offset=pos)])

    @property
    def problem(self) -> Problem:
        return self.problems[0]


class FeedError(NewsbotError):
    pass


class FetchError(FeedError):
    pass


class BlockedAddressError(FetchError):
    pass


class TooLargeError(FetchError):
    pass


class FetchTimeoutError(FetchError):
    pass


class TooManyRedirectsError(FetchError):
    pass


class HTTPStatusError(FetchError):
    def __init__(self, status: int, message: str = "", retry_after: float | None = None):
        self.status = status
        self.retry_after = retry_after
        super().__init__(f"HTTP {status}{': ' + message if message else ''}")


class ParseError(FeedError):
    pass


class StoreError(NewsbotError):
    pass


class SchemaMissingError(StoreError):
    pass


class DeliveryError(NewsbotError):
    pass


class ChatGoneError(DeliveryError):
    pass


class ChatMigratedError(DeliveryError):
    def __init__(self, new_chat_id: int) -> None:
        self.new_chat_id = new_chat_id
        super().__init__(f"chat migrated to {new_chat_id}")


class RejectedError(DeliveryError):
    pass


class MessageGoneError(RejectedError):
    pass


FLOOD_CONTROL = "flood control:"  # how a 429's error text starts (stored with the row)
EVERY_CHAT = " [every chat held]"  # how it ends when the 429 held every chat (a bot-wide hold)


class RetryLaterError(DeliveryError):
    def __init__(self, message: str, retry_after: float | None = None, bot_wide: bool = False):
        self.retry_after = retry_after
        self.bot_wide = bot_wide
        super().__init__(message)


class MaybeSentError(RetryLaterError):
    pass


class UnreachableError(RetryLaterError):
    """Nothing was sent, to this chat or any: the connection to the Bot API failed (refused,
    connect timeout, DNS) or it rejected the bot token."""
