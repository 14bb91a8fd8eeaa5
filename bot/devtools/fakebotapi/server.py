"""A local fake of the Telegram Bot API that real python-telegram-bot talks to over HTTP.

    async with FakeBotAPI(token="123:ABC") as api:
        bot = telegram.Bot("123:ABC", base_url=f"{api.url}/bot")
        ...
        await api.wait_for(lambda api: len(api.sent) >= 3, timeout=5)

Requests arrive as ``POST {url}/bot{token}/{method}`` with form-urlencoded,
multipart or JSON bodies (python-telegram-bot sends form data whose non-string
values are JSON-encoded).  Responses have Telegram's shapes:
``{"ok": true, "result": ...}`` or
``{"ok": false, "error_code": N, "description": "...", "parameters": {...}}``.

``sendMessage`` validates like Telegram (HTML parsed by ``entities.parse_html``,
non-empty, at most 4096 UTF-16 units after parsing) and records a
``SentMessage`` with the text a user would see.  Faults are injected with
``fail_next`` (one-shot or N times, per method and chat) and ``block_chat``.
"""

from __future__ import annotations

import asyncio
import itertools
import json
import time
from collections.abc import Callable, Mapping
from dataclasses import dataclass, field
from typing import Any, NamedTuple

from aiohttp import web

from bot.devtools.fakebotapi.entities import ParsedText, check_message_text

JSONDict = dict[str, Any]

# Parameters python-telegram-bot sends JSON-encoded inside form fields.
_JSON_PARAMS = frozenset(
    {
        "reply_markup",
        "link_preview_options",
        "entities",
        "allowed_updates",
        "reply_parameters",
        "commands",
        "scope",
        "caption_entities",
    }
)
_INT_PARAMS = frozenset(
    {"chat_id", "message_id", "offset", "limit", "timeout", "message_thread_id", "user_id"}
)
_BOOL_PARAMS = frozenset(
    {
        "disable_web_page_preview",
        "disable_notification",
        "protect_content",
        "drop_pending_updates",
        "show_alert",
        "allow_sending_without_reply",
    }
)
_SEND_METHODS = frozenset({"sendmessage", "editmessagetext", "editmessagereplymarkup"})

FAULT_KINDS = (
    "429",
    "5xx",
    "500",
    "502",
    "403_blocked",
    "403_kicked",
    "chat_not_found",
    "migrate",
    "parse_entities",
    "read_timeout",
    "hang",
    "conflict",
    "400",
)


class Call(NamedTuple):
    """One request the fake received."""

    method: str
    params: JSONDict
    at: float


@dataclass
class SentMessage:
    """One message the bot sent (or may have sent, see ``maybe_delivered``)."""

    chat_id: int | str
    text: str  # as the bot sent it (HTML source when parse_mode is HTML)
    parse_mode: str | None
    message_thread_id: int | None
    disable_web_page_preview: bool | None
    link_preview_options: JSONDict | None
    reply_markup: JSONDict | None
    at: float  # time.monotonic() when the request arrived
    message_id: int
    plain_text: str = ""  # what the user sees after entity parsing
    entities: tuple[JSONDict, ...] = ()
    maybe_delivered: bool = False  # delivered, but the client timed out before the answer
    entities_ignored: int = 0  # entities past the 100th, which Telegram silently ignores

    @property
    def preview_disabled(self) -> bool:
        if self.link_preview_options is not None:
            return bool(self.link_preview_options.get("is_disabled"))
        return bool(self.disable_web_page_preview)


@dataclass
class _Fault:
    kind: str
    method: str | None
    chat_id: int | str | None
    times: int
    retry_after: int = 3
    migrate_to_chat_id: int | None = None
    delay: float = 30.0
    description: str | None = None

    def matches(self, method: str, chat_id: Any) -> bool:
        if self.method is not None and self.method.lower() != method.lower():
            return False
        return self.chat_id is None or _same_chat(self.chat_id, chat_id)


def _same_chat(a: Any, b: Any) -> bool:
    return str(a) == str(b)


class TelegramError(Exception):
    def __init__(
        self, code: int, description: str, parameters: Mapping[str, Any] | None = None
    ) -> None:
        super().__init__(description)
        self.code = code
        self.description = description
        self.parameters = dict(parameters) if parameters else None

    def payload(self) -> JSONDict:
        body: JSONDict = {"ok": False, "error_code": self.code, "description": self.description}
        if self.parameters:
            body["parameters"] = self.parameters
        return body


@dataclass
class _Chat:
    id: int | str
    type: str
    title: str | None = None
    first_name: str | None = None
    username: str | None = None
    is_forum: bool = False

    def as_chat(self) -> JSONDict:
        chat: JSONDict = {"id": self.id, "type": self.type}
        if self.type == "private":
            chat["first_name"] = self.first_name or "User"
        else:
            chat["title"] = self.title or f"Chat {self.id}"
        if self.username:
            chat["username"] = self.username
        if self.is_forum:
            chat["is_forum"] = True
        return chat


def default_chat_type(chat_id: int | str) -> str:
    """Telegram's id conventions: users > 0, supergroups -100…, other negatives basic groups.

    Override with ``set_chat(chat_id, type=...)`` (e.g. for channels, which are -100… too).
    """
    if isinstance(chat_id, str):
        return "channel"
    if chat_id > 0:
        return "private"
    if str(chat_id).startswith("-100") and len(str(chat_id)) > 4:
        return "supergroup"
    return "group"


@dataclass
class FakeBotAPI:
    """The fake server; use as ``async with FakeBotAPI() as api``."""

    token: str = "123:ABC"  # noqa: S105 - a fake token for a fake server
    bot_username: str = "newsbot_test_bot"
    strict_html: bool = True  # raw ">" and bare "&" are errors (see entities.py)
    host: str = "127.0.0.1"
    port: int = 0  # 0: any free port
    reject_token: bool = False  # answer 401 Unauthorized to every call (a revoked token)

    sent: list[SentMessage] = field(default_factory=list, init=False, repr=False)
    calls: list[Call] = field(default_factory=list, init=False, repr=False)
    rejected: list[Call] = field(default_factory=list, init=False, repr=False)  # 401s answered
    edits: list[SentMessage] = field(default_factory=list, init=False, repr=False)
    callback_answers: list[JSONDict] = field(default_factory=list, init=False, repr=False)
    # calls answered with an error (faults included), with the error as sent
    refused: list[tuple[Call, JSONDict]] = field(default_factory=list, init=False, repr=False)
    commands: dict[str, list[JSONDict]] = field(default_factory=dict, init=False, repr=False)
    # getUpdates calls ended with 409 because another one began (two consumers of one token);
    # ``one_consumer=False`` lets a test run two pollers without Telegram's 409s
    update_conflicts: int = field(default=0, init=False)
    one_consumer: bool = True

    def __post_init__(self) -> None:
        self._runner: web.AppRunner | None = None
        self._port = 0
        self._waiters: set[asyncio.Future[None]] = set()
        self._closing: asyncio.Event | None = None
        self._faults: list[_Fault] = []
        self._blocked: set[str] = set()
        self._gone: set[str] = set()
        self._chats: dict[str, _Chat] = {}
        self._admins: dict[str, list[int]] = {}
        self._updates: list[JSONDict] = []
        self._update_ids = itertools.count(1)
        self._message_ids: dict[str, itertools.count[int]] = {}
        self._messages: dict[tuple[str, int], JSONDict] = {}
        self._too_old: set[tuple[str, int]] = set()
        self._callback_ids = itertools.count(1)
        self._update_polls = itertools.count(1)
        self._current_poll = 0  # the getUpdates call in progress, by number

    # ------------------------------------------------------------------ lifecycle

    async def __aenter__(self) -> FakeBotAPI:
        self._closing = asyncio.Event()
        app = web.Application()
        app.router.add_route("*", "/{tail:.*}", self._handle)
        self._runner = web.AppRunner(app, access_log=None, shutdown_timeout=2.0)
        await self._runner.setup()
        site = web.TCPSite(self._runner, self.host, self.port)
        try:
            await site.start()
        except BaseException:  # e.g. the port is taken: nothing is left open
            await self.close()
            raise
        address = self._runner.addresses[0]
        self._port = int(address[1])
        return self

    async def __aexit__(self, *exc_info: object) -> None:
        await self.close()

    async def close(self) -> None:
        if self._closing is not None:
            self._closing.set()
            self._wake()
        if self._runner is not None:
            runner, self._runner = self._runner, None
            await runner.cleanup()

    @property
    def url(self) -> str:
        return f"http://{self.host}:{self._port or self.port}"

    @property
    def bot_id(self) -> int:
        return int(self.token.split(":", 1)[0])

    @property
    def bot_user(self) -> JSONDict:
        return {
            "id": self.bot_id,
            "is_bot": True,
            "first_name": "Newsbot Test",
            "username": self.bot_username,
            "can_join_groups": True,
            "can_read_all_group_messages": False,
            "supports_inline_queries": False,
            "can_connect_to_business": False,
            "has_main_web_app": False,
        }

    # ------------------------------------------------------------------ test-side API

    async def wait_for(
        self,
        condition: Callable[[FakeBotAPI], bool],
        timeout: float = 5,  # noqa: ASYNC109 - the agreed test API
    ) -> None:
        """Wait until ``condition(api)`` holds (re-checked after every request)."""
        try:
            async with asyncio.timeout(timeout):
                await self._until(lambda: condition(self))
        except TimeoutError:
            methods = [c.method for c in self.calls[-10:]]
            raise AssertionError(
                f"condition not met within {timeout}s; {len(self.sent)} sent, "
                f"{len(self.calls)} calls, last methods {methods}"
            ) from None

    async def changed(self) -> None:
        """Return at the next change: a request handled, an update queued, the server closing."""
        await self._next_change()

    def fail_next(
        self,
        method: str | None = "sendMessage",
        chat_id: int | str | None = None,
        kind: str = "429",
        *,
        retry_after: int = 3,
        times: int = 1,
        migrate_to_chat_id: int | None = None,
        delay: float = 30.0,
        description: str | None = None,
    ) -> None:
        """Make the next ``times`` matching calls fail with ``kind`` (see FAULT_KINDS).

        ``method=None`` matches every method, ``chat_id=None`` every chat.
        ``read_timeout`` performs the call, then answers after ``delay`` seconds (or on close).
        ``hang`` never performs the call (nothing is delivered) and answers nothing for ``delay``
        seconds (then 502), or until the server closes: a request lost on the way.
        """
        if kind not in FAULT_KINDS:
            raise ValueError(f"unknown fault kind {kind!r}; one of {FAULT_KINDS}")
        self._faults.append(
            _Fault(
                kind=kind,
                method=method,
                chat_id=chat_id,
                times=times,
                retry_after=retry_after,
                migrate_to_chat_id=migrate_to_chat_id,
                delay=delay,
                description=description,
            )
        )

    def clear_faults(self) -> None:
        self._faults.clear()

    def block_chat(self, chat_id: int | str) -> None:
        """Every later send to this chat answers 403 "bot was blocked by the user"."""
        self._blocked.add(str(chat_id))

    def unblock_chat(self, chat_id: int | str) -> None:
        self._blocked.discard(str(chat_id))

    def delete_message(self, chat_id: int | str, message_id: int) -> None:
        """The user deleted a message: editing it answers "message to edit not found"."""
        self._messages.pop((str(chat_id), message_id), None)

    def age_message(self, chat_id: int | str, message_id: int) -> None:
        """The message is too old to edit (Telegram's 48 h limit for bots)."""
        self._too_old.add((str(chat_id), message_id))

    def delete_chat(self, chat_id: int | str) -> None:
        """Every later call naming this chat answers 400 "chat not found"."""
        self._gone.add(str(chat_id))

    def set_chat(
        self,
        chat_id: int | str,
        type: str | None = None,
        title: str | None = None,
        first_name: str | None = None,
        username: str | None = None,
        is_forum: bool = False,
    ) -> None:
        if type is not None and type not in ("private", "group", "supergroup", "channel"):
            raise ValueError(f"bad chat type {type!r}")
        self._chats[str(chat_id)] = _Chat(
            id=chat_id,
            type=type or default_chat_type(chat_id),
            title=title,
            first_name=first_name,
            username=username,
            is_forum=is_forum,
        )

    def chat_type(self, chat_id: int | str) -> str:
        return self._chat(chat_id).type

    def set_chat_admins(
        self, chat_id: int | str, user_ids: list[int], creator: int | None = None
    ) -> None:
        """Admins for getChatAdministrators/getChatMember; ``creator`` gets status "creator"."""
        ids = list(user_ids)
        if creator is not None and creator not in ids:
            ids.insert(0, creator)
        self._admins[str(chat_id)] = ids
        self._creators = getattr(self, "_creators", {})
        if creator is not None:
            self._creators[str(chat_id)] = creator

    def push_update(self, update: JSONDict) -> JSONDict:
        """Queue a raw update for getUpdates; ``update_id`` is assigned if missing."""
        update = dict(update)
        update.setdefault("update_id", next(self._update_ids))
        self._updates.append(update)
        self._wake()
        return update

    def push_message(
        self,
        chat_id: int | str,
        text: str,
        from_user_id: int | None = None,
        chat_type: str | None = None,
        message_thread_id: int | None = None,
        *,
        first_name: str = "Alice",
        username: str | None = "alice",
        entities: list[JSONDict] | None = None,
    ) -> JSONDict:
        """Queue a user's text message; commands get their ``bot_command`` entity."""
        if chat_type is not None or str(chat_id) not in self._chats:
            self.set_chat(chat_id, type=chat_type, first_name=first_name)
        chat = self._chat(chat_id)
        message: JSONDict = {
            "message_id": self._next_message_id(chat_id),
            "date": int(time.time()),
            "chat": chat.as_chat(),
            "text": text,
        }
        if chat.type != "channel":
            user: JSONDict = {
                "id": from_user_id if from_user_id is not None else _default_user(chat_id),
                "is_bot": False,
                "first_name": first_name,
            }
            if username:
                user["username"] = username
            message["from"] = user
        else:
            message["sender_chat"] = chat.as_chat()
        if message_thread_id is not None:
            message["message_thread_id"] = message_thread_id
            message["is_topic_message"] = True
        found = entities if entities is not None else _command_entities(text)
        if found:
            message["entities"] = found
        self._messages[(str(chat_id), message["message_id"])] = message
        kind = "channel_post" if chat.type == "channel" else "message"
        return self.push_update({kind: message})

    def push_callback_query(
        self, chat_id: int | str, from_user_id: int, data: str, message_id: int
    ) -> JSONDict:
        """Queue a button press on ``message_id`` in ``chat_id``."""
        message = self._messages.get((str(chat_id), message_id)) or {
            "message_id": message_id,
            "date": int(time.time()),
            "chat": self._chat(chat_id).as_chat(),
            "from": self.bot_user,
            "text": "",
        }
        query = {
            "id": str(next(self._callback_ids)),
            "from": {"id": from_user_id, "is_bot": False, "first_name": "Alice"},
            "chat_instance": f"ci{chat_id}",
            "data": data,
            "message": message,
        }
        return self.push_update({"callback_query": query})

    def sent_to(self, chat_id: int | str) -> list[SentMessage]:
        return [m for m in self.sent if _same_chat(m.chat_id, chat_id)]

    def calls_of(self, method: str) -> list[Call]:
        return [c for c in self.calls if c.method.lower() == method.lower()]

    # ------------------------------------------------------------------ internals

    def _chat(self, chat_id: int | str) -> _Chat:
        key = str(chat_id)
        if key not in self._chats:
            self.set_chat(chat_id)
        return self._chats[key]

    def _next_message_id(self, chat_id: int | str) -> int:
        counter = self._message_ids.setdefault(str(chat_id), itertools.count(1))
        return next(counter)

    def _wake(self) -> None:
        """Something changed: let every ``_until`` re-check its condition."""
        waiters, self._waiters = self._waiters, set()
        for waiter in waiters:
            if not waiter.done():
                waiter.set_result(None)

    async def _until(self, condition: Callable[[], bool]) -> None:
        """Return once ``condition()`` holds; re-checked after every change."""
        while not condition():
            await self._next_change()

    async def _next_change(self) -> None:
        waiter = asyncio.get_running_loop().create_future()
        self._waiters.add(waiter)
        try:
            await waiter
        finally:
            self._waiters.discard(waiter)

    async def _sleep(self, seconds: float) -> None:
        """Sleep, cut short when the server closes."""
        assert self._closing is not None
        try:
            async with asyncio.timeout(seconds):
                await self._closing.wait()
        except TimeoutError:
            pass

    async def _handle(self, request: web.Request) -> web.StreamResponse:
        at = time.monotonic()
        parts = request.path.split("/")
        # ['', 'bot<token>', '<method>']
        if len(parts) != 3 or not parts[1].startswith("bot"):
            return _json({"ok": False, "error_code": 404, "description": "Not Found"}, 404)
        token, method = parts[1][3:], parts[2]
        if token != self.token or self.reject_token:
            self.rejected.append(Call(method, {}, at))
            self._wake()
            return _json({"ok": False, "error_code": 401, "description": "Unauthorized"}, 401)
        try:
            params = await _read_params(request)
        except ValueError as exc:
            return _json(TelegramError(400, f"Bad Request: {exc}").payload(), 400)
        self.calls.append(Call(method, params, at))
        self._wake()
        try:
            fault = self._take_fault(method, params.get("chat_id"))
            if fault is not None and fault.kind == "read_timeout":
                result = self._dispatch(method, params, at, maybe_delivered=True)
                self._wake()
                await self._sleep(fault.delay)
                return _json({"ok": True, "result": result})
            if fault is not None and fault.kind == "hang":
                await self._sleep(fault.delay)
            if fault is not None:
                raise _fault_error(fault, params.get("chat_id"), self)
            result = self._dispatch(method, params, at)
            if method.lower() == "getupdates":
                result = await self._get_updates(params)
        except TelegramError as exc:
            self.refused.append((Call(method, params, at), exc.payload()))
            self._wake()
            return _json(exc.payload(), exc.code)
        self._wake()
        return _json({"ok": True, "result": result})

    def _take_fault(self, method: str, chat_id: Any) -> _Fault | None:
        for fault in self._faults:
            if fault.matches(method, chat_id):
                fault.times -= 1
                if fault.times <= 0:
                    self._faults.remove(fault)
                return fault
        return None

    def _dispatch(
        self, method: str, params: JSONDict, at: float, maybe_delivered: bool = False
    ) -> Any:
        name = method.lower()
        chat_id = params.get("chat_id")
        if chat_id is not None and str(chat_id) in self._gone:
            raise TelegramError(400, "Bad Request: chat not found")
        if name in _SEND_METHODS and chat_id is not None and str(chat_id) in self._blocked:
            raise TelegramError(403, "Forbidden: bot was blocked by the user")
        handler = _HANDLERS.get(name)
        if handler is None:
            raise TelegramError(404, "Not Found")
        if name == "sendmessage":
            return self._send_message(params, at, maybe_delivered)
        return handler(self, params)

    def _checked_text(self, params: JSONDict) -> tuple[str, str | None, ParsedText]:
        """The message text as Telegram would accept it, or its 400 error."""
        text = params.get("text")
        if not isinstance(text, str) or not text:
            raise TelegramError(400, "Bad Request: message text is empty")
        parse_mode = params.get("parse_mode") or None
        try:
            parsed = check_message_text(text, parse_mode, strict=self.strict_html)
        except ValueError as exc:
            raise TelegramError(400, str(exc)) from None
        return text, parse_mode, parsed

    def _send_message(self, params: JSONDict, at: float, maybe_delivered: bool) -> JSONDict:
        chat_id = params.get("chat_id")
        if chat_id is None or chat_id == "":
            raise TelegramError(400, "Bad Request: chat_id is empty")
        text, parse_mode, parsed = self._checked_text(params)
        chat = self._chat(chat_id)
        message_id = self._next_message_id(chat_id)
        record = SentMessage(
            chat_id=chat_id,
            text=text,
            parse_mode=parse_mode,
            message_thread_id=params.get("message_thread_id"),
            disable_web_page_preview=params.get("disable_web_page_preview"),
            link_preview_options=params.get("link_preview_options"),
            reply_markup=params.get("reply_markup"),
            at=at,
            message_id=message_id,
            plain_text=parsed.text,
            entities=parsed.entities,
            maybe_delivered=maybe_delivered,
            entities_ignored=parsed.dropped,
        )
        self.sent.append(record)
        message: JSONDict = {
            "message_id": message_id,
            "date": int(time.time()),
            "chat": chat.as_chat(),
            "from": self.bot_user,
            "text": parsed.text,
        }
        if parsed.entities:
            message["entities"] = list(parsed.entities[:100])
        if record.message_thread_id is not None:
            message["message_thread_id"] = record.message_thread_id
            message["is_topic_message"] = True
        if record.reply_markup:
            message["reply_markup"] = record.reply_markup
        if record.link_preview_options:
            message["link_preview_options"] = record.link_preview_options
        self._messages[(str(chat_id), message_id)] = message
        return message

    def _edit_text(self, params: JSONDict) -> JSONDict:
        message = self._find_message(params)
        text, parse_mode, parsed = self._checked_text(params)
        entities = list(parsed.entities)
        markup = params.get("reply_markup")
        if (
            message.get("text") == parsed.text
            and message.get("entities", []) == entities
            and message.get("reply_markup") == markup
        ):
            raise TelegramError(
                400,
                "Bad Request: message is not modified: specified new message content and reply "
                "markup are exactly the same as a current content and reply markup of the message",
            )
        message["text"] = parsed.text
        message["entities"] = entities
        message["edit_date"] = int(time.time())
        if markup:
            message["reply_markup"] = markup
        else:
            message.pop("reply_markup", None)
        self.edits.append(
            SentMessage(
                chat_id=params["chat_id"],
                text=text,
                parse_mode=parse_mode,
                message_thread_id=message.get("message_thread_id"),
                disable_web_page_preview=params.get("disable_web_page_preview"),
                link_preview_options=params.get("link_preview_options"),
                reply_markup=markup,
                at=time.monotonic(),
                message_id=message["message_id"],
                plain_text=parsed.text,
                entities=parsed.entities,
            )
        )
        return message

    def _edit_markup(self, params: JSONDict) -> JSONDict:
        message = self._find_message(params)
        markup = params.get("reply_markup")
        if message.get("reply_markup") == markup:
            raise TelegramError(
                400,
                "Bad Request: message is not modified: specified new message content and reply "
                "markup are exactly the same as a current content and reply markup of the message",
            )
        if markup:
            message["reply_markup"] = markup
        else:
            message.pop("reply_markup", None)
        return message

    def _find_message(self, params: JSONDict) -> JSONDict:
        if "inline_message_id" in params:
            raise TelegramError(400, "Bad Request: inline messages are not supported by the fake")
        key = (str(params.get("chat_id")), params.get("message_id"))
        message = self._messages.get(key)  # type: ignore[arg-type]
        if message is None:
            raise TelegramError(400, "Bad Request: message to edit not found")
        if key in self._too_old:
            raise TelegramError(400, "Bad Request: message can't be edited")
        return message

    async def _get_updates(self, params: JSONDict) -> list[JSONDict]:
        offset = int(params.get("offset") or 0)
        limit = max(1, min(100, int(params.get("limit") or 100)))
        timeout = max(0, int(params.get("timeout") or 0))
        if offset > 0:
            # confirmed updates are forgotten, as on Telegram
            self._updates = [u for u in self._updates if u["update_id"] >= offset]
        elif offset < 0:
            self._updates = self._updates[offset:]

        def pending() -> list[JSONDict]:
            return [u for u in self._updates if u["update_id"] >= offset][:limit]

        assert self._closing is not None
        closing = self._closing
        # As on Telegram, a getUpdates call ends the one still waiting with 409 Conflict.
        me = next(self._update_polls)
        if self.one_consumer:
            self._current_poll = me
            self._wake()  # a call still waiting sees it was overtaken
        if not pending() and timeout:
            try:
                async with asyncio.timeout(timeout):
                    await self._until(
                        lambda: (
                            bool(pending())
                            or closing.is_set()
                            or (self.one_consumer and self._current_poll != me)
                        )
                    )
            except TimeoutError:
                pass
        if self.one_consumer and self._current_poll != me and not closing.is_set():
            self.update_conflicts += 1
            raise TelegramError(
                409,
                "Conflict: terminated by other getUpdates request; make sure that only one bot "
                "instance is running",
            )
        return pending()

    # ------------------------------------------------------------------ simple methods

    def _get_chat(self, params: JSONDict) -> JSONDict:
        chat = self._chat(_required(params, "chat_id")).as_chat()
        chat.update(
            accent_color_id=0,
            max_reaction_count=11,
            accepted_gift_types={
                "unlimited_gifts": False,
                "limited_gifts": False,
                "unique_gifts": False,
                "premium_subscription": False,
                "gifts_from_channels": False,
            },
        )
        return chat

    def _member(self, chat_id: Any, user_id: int) -> JSONDict:
        user: JSONDict = (
            self.bot_user
            if user_id == self.bot_id
            else {"id": user_id, "is_bot": False, "first_name": f"User {user_id}"}
        )
        key = str(chat_id)
        creators: dict[str, int] = getattr(self, "_creators", {})
        if creators.get(key) == user_id:
            return {"status": "creator", "user": user, "is_anonymous": False}
        if user_id in self._admins.get(key, []):
            return {
                "status": "administrator",
                "user": user,
                "can_be_edited": False,
                "is_anonymous": False,
                "can_manage_chat": True,
                "can_delete_messages": True,
                "can_manage_video_chats": True,
                "can_restrict_members": True,
                "can_promote_members": False,
                "can_change_info": True,
                "can_invite_users": True,
                "can_post_stories": False,
                "can_edit_stories": False,
                "can_delete_stories": False,
                "can_post_messages": True,
                "can_edit_messages": True,
                "can_pin_messages": True,
            }
        if self._chat(chat_id).type == "private" and str(user_id) == key:
            return {"status": "member", "user": user}
        return {"status": "member", "user": user}

    def _get_chat_member(self, params: JSONDict) -> JSONDict:
        chat_id = _required(params, "chat_id")
        return self._member(chat_id, int(_required(params, "user_id")))

    def _get_chat_administrators(self, params: JSONDict) -> list[JSONDict]:
        chat_id = _required(params, "chat_id")
        if self._chat(chat_id).type == "private":
            raise TelegramError(400, "Bad Request: there are no administrators in the private chat")
        return [self._member(chat_id, uid) for uid in self._admins.get(str(chat_id), [])]

    def _set_my_commands(self, params: JSONDict) -> bool:
        self.commands[_commands_key(params)] = list(params.get("commands") or [])
        return True

    def _get_my_commands(self, params: JSONDict) -> list[JSONDict]:
        return self.commands.get(_commands_key(params), [])

    def _delete_my_commands(self, params: JSONDict) -> bool:
        self.commands.pop(_commands_key(params), None)
        return True

    def _answer_callback_query(self, params: JSONDict) -> bool:
        self.callback_answers.append(params)
        return True


def _commands_key(params: JSONDict) -> str:
    scope = params.get("scope") or {"type": "default"}
    return json.dumps([scope, params.get("language_code") or ""], sort_keys=True)


def _required(params: JSONDict, name: str) -> Any:
    value = params.get(name)
    if value is None or value == "":
        raise TelegramError(400, f"Bad Request: {name} is empty")
    return value


_HANDLERS: dict[str, Callable[[FakeBotAPI, JSONDict], Any]] = {
    "getme": lambda api, _: api.bot_user,
    "getupdates": lambda api, _: [],  # answered asynchronously in _handle
    "sendmessage": lambda api, _: None,  # handled in _dispatch (needs the arrival time)
    "setmycommands": FakeBotAPI._set_my_commands,
    "getmycommands": FakeBotAPI._get_my_commands,
    "deletemycommands": FakeBotAPI._delete_my_commands,
    "deletewebhook": lambda api, _: True,
    "setwebhook": lambda api, _: True,
    "getwebhookinfo": lambda api, _: {
        "url": "",
        "has_custom_certificate": False,
        "pending_update_count": len(api._updates),
    },
    "getchat": FakeBotAPI._get_chat,
    "getchatmember": FakeBotAPI._get_chat_member,
    "getchatadministrators": FakeBotAPI._get_chat_administrators,
    "answercallbackquery": FakeBotAPI._answer_callback_query,
    "editmessagetext": FakeBotAPI._edit_text,
    "editmessagereplymarkup": FakeBotAPI._edit_markup,
    "close": lambda api, _: True,
    "logout": lambda api, _: True,
}


def _fault_error(fault: _Fault, chat_id: Any, api: FakeBotAPI) -> TelegramError:
    kind = fault.kind
    if kind == "429":
        return TelegramError(
            429,
            f"Too Many Requests: retry after {fault.retry_after}",
            {"retry_after": fault.retry_after},
        )
    if kind in ("5xx", "502", "hang"):
        return TelegramError(502, fault.description or "Bad Gateway")
    if kind == "500":
        return TelegramError(500, fault.description or "Internal Server Error")
    if kind == "403_blocked":
        return TelegramError(403, "Forbidden: bot was blocked by the user")
    if kind == "403_kicked":
        chat_type = api.chat_type(chat_id) if chat_id is not None else "group"
        where = {"supergroup": "supergroup chat", "channel": "channel chat"}.get(
            chat_type, "group chat"
        )
        return TelegramError(403, f"Forbidden: bot was kicked from the {where}")
    if kind == "chat_not_found":
        return TelegramError(400, "Bad Request: chat not found")
    if kind == "migrate":
        new_id = fault.migrate_to_chat_id
        if new_id is None:
            new_id = int(f"-100{abs(int(chat_id or 1))}")
        return TelegramError(
            400,
            "Bad Request: group chat was upgraded to a supergroup chat",
            {"migrate_to_chat_id": new_id},
        )
    if kind == "parse_entities":
        return TelegramError(
            400,
            fault.description
            or 'Bad Request: can\'t parse entities: Unsupported start tag "x" at byte offset 0',
        )
    if kind == "conflict":
        return TelegramError(
            409,
            "Conflict: terminated by other getUpdates request; make sure that only one bot "
            "instance is running",
        )
    return TelegramError(400, fault.description or "Bad Request")


def _default_user(chat_id: int | str) -> int:
    if isinstance(chat_id, int) and chat_id > 0:
        return chat_id
    return 1000


def _command_entities(text: str) -> list[JSONDict]:
    if not text.startswith("/"):
        return []
    end = 1
    while end < len(text) and not text[end].isspace():
        end += 1
    if end == 1:
        return []
    return [
        {"type": "bot_command", "offset": 0, "length": len(text[:end].encode("utf-16-le")) // 2}
    ]


def _coerce(name: str, value: Any) -> Any:
    if not isinstance(value, str):
        return value
    if name in _JSON_PARAMS:
        try:
            return json.loads(value)
        except json.JSONDecodeError:
            raise ValueError(f"can't parse {name} JSON object") from None
    if name in _INT_PARAMS:
        try:
            return int(value)
        except ValueError:
            return value  # "@channelusername"
    if name in _BOOL_PARAMS:
        return value.lower() in ("true", "1")
    return value


async def _read_params(request: web.Request) -> JSONDict:
    params: JSONDict = {k: v for k, v in request.query.items()}
    if request.can_read_body:
        ctype = request.content_type
        if ctype == "application/json":
            body = await request.json()
            if not isinstance(body, dict):
                raise ValueError("JSON body must be an object")
            params.update(body)
        elif ctype in ("application/x-www-form-urlencoded", "multipart/form-data"):
            form = await request.post()
            for key, value in form.items():
                if isinstance(value, str):
                    params[key] = value
                elif isinstance(value, bytes | bytearray):
                    params[key] = bytes(value).decode()
                else:
                    params[key] = value.file.read().decode()
        else:
            await request.read()
    return {k: _coerce(k, v) for k, v in params.items()}


def _json(body: JSONDict, status: int = 200) -> web.Response:
    return web.json_response(body, status=status)
