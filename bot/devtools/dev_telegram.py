"""``newsbot dev-telegram``: try the bot's Telegram side without Telegram.

A FAKE Bot API (``bot.devtools.fakebotapi``, the server the tests use: Telegram's answer shapes,
Telegram's HTML checks) listens on 127.0.0.1 only, with a fixed fake token. ``newsbot run``
started with ``TELEGRAM_API_URL`` and ``TELEGRAM_BOT_TOKEN`` pointing at it talks to it as to
Telegram. The terminal is one user's private chat with the bot: each typed line is sent as that
user's message, ``tap N`` presses inline button N, and what the bot sends (to this chat, or to
any other, marked with its id) is printed as it arrives, with refusals (say, bad HTML).

``Console`` is that chat, given the server and a ``write`` callable; ``serve`` runs it on
lines from a queue; ``main`` wires it to stdin and stdout.
"""

from __future__ import annotations

import asyncio
import contextlib
import os
import sys
import threading
from collections.abc import Callable
from typing import Any, TextIO

from bot.devtools.console import (
    Keyboards,
    Problem,
    Quit,
    Say,
    Tap,
    clean,
    parse_input,
    render_message,
    render_toast,
)
from bot.devtools.fakebotapi import FakeBotAPI, SentMessage
from bot.errors import ConfigError

HOST = "127.0.0.1"  # never reachable from another machine
DEFAULT_PORT = 8081
TOKEN = "123456:fake-dev-telegram-token"  # noqa: S105 - the fake's token, printed on purpose
USER_ID = 1000  # the console's user; a private chat's id is its user's id
DEV_DATABASE = "sqlite:///state/dev-telegram.db"  # keeps a real database's chats out of it
_SEND_METHODS = frozenset({"sendmessage", "editmessagetext", "editmessagereplymarkup"})


def dev_server(port: int = DEFAULT_PORT) -> FakeBotAPI:
    """The fake Bot API as ``newsbot dev-telegram`` runs it (enter it with ``async with``)."""
    if not 0 <= port <= 65535:
        raise ConfigError(f"--port: {port} is not a TCP port (0-65535; 0: any free port)")
    return FakeBotAPI(token=TOKEN, host=HOST, port=port, bot_username="newsbot_dev_fake_bot")


def banner(url: str) -> str:
    return (
        f"newsbot dev-telegram: a FAKE Telegram Bot API on {url} (this machine only; "
        "nothing here reaches Telegram).\n\n"
        "In another terminal, start the bot against it:\n"
        f"  TELEGRAM_API_URL={url} TELEGRAM_BOT_TOKEN={TOKEN} \\\n"
        f"  NEWSBOT_DATABASE_URL={DEV_DATABASE} NEWSBOT_ADMINS={USER_ID} \\\n"
        "  newsbot run --rules rules/example.yaml\n\n"
        f"Then type here as user {USER_ID}, in a private chat with the bot: text or commands "
        "(/rules, /subscribe parade).\n"
        "tap 2 (or #2) presses button [2]; /quit or Ctrl-D stops the fake."
    )


class Console:
    """One user's private chat with the bot, over the fake Bot API ``api``."""

    def __init__(
        self,
        api: FakeBotAPI,
        write: Callable[[str], None],
        *,
        user_id: int = USER_ID,
        color: bool = False,
    ) -> None:
        self.api = api
        self.write = write
        self.user_id = user_id
        self.color = color
        self.keyboards = Keyboards()
        self.polled = False  # a bot has called getUpdates
        self._told_token = False
        self._seen = {"calls": 0, "rejected": 0, "refused": 0, "answers": 0, "sent": 0, "edits": 0}

    def type(self, line: str) -> bool:
        """Act on one typed line; False: the user quits."""
        action = parse_input(line, self.keyboards)
        if isinstance(action, Quit):
            return False
        if isinstance(action, Problem):
            self.write(f"(console) {action.message}")
        elif isinstance(action, Say):
            self.api.push_message(
                self.user_id,
                action.text,
                from_user_id=self.user_id,
                first_name="Dev",
                username="dev_user",
            )
            self._tell_if_no_bot()
        elif isinstance(action, Tap):
            button = action.button
            if button.url is not None:
                self.write(f"(console) opens {clean(button.url)} in a browser; the bot is not told")
            elif button.callback_data is None:
                self.write("(console) this button sends nothing the fake can play")
            else:
                self.api.push_callback_query(
                    button.chat_id, self.user_id, button.callback_data, button.message_id
                )
                self._tell_if_no_bot()
        return True

    def show_news(self) -> None:
        """Write what happened on the fake since the last call."""
        api = self.api
        for call in self._new("calls", api.calls):
            if call.method.lower() == "getupdates" and not self.polled:
                self.polled = True
                self.write("(console) a bot is polling this fake: type away")
        if self._new("rejected", api.rejected) and not self._told_token:
            self._told_token = True
            self.write(
                "(console) a bot called with another token and was answered 401 Unauthorized: "
                f"start it with TELEGRAM_BOT_TOKEN={TOKEN}"
            )
        for call, error in self._new("refused", api.refused):
            description = str(error.get("description", ""))
            if call.method.lower() in _SEND_METHODS and "not modified" not in description:
                self.write(
                    "(console) the fake refused "
                    + clean(
                        f"the bot's {call.method} to chat {call.params.get('chat_id')}: "
                        f"{error.get('error_code')} {description}"
                    )
                )
        for answer in self._new("answers", api.callback_answers):
            if answer.get("text"):
                show_alert = bool(answer.get("show_alert"))
                text = str(answer["text"])
                self.write(render_toast(text, show_alert=show_alert, color=self.color))
        new = [(m, False) for m in self._new("sent", api.sent)]
        new += [(m, True) for m in self._new("edits", api.edits)]
        for message, edited in sorted(new, key=lambda pair: pair[0].at):
            self.write("\n" + self._render(message, edited))  # a blank line above each

    async def follow(self) -> None:
        """Show news as it happens, until cancelled."""
        while True:
            self.show_news()
            await self.api.changed()

    def _render(self, message: SentMessage, edited: bool) -> str:
        buttons = self.keyboards.show(message.chat_id, message.message_id, message.reply_markup)
        mine = str(message.chat_id) == str(self.user_id)
        header = "bot" if mine else f"bot → chat {clean(str(message.chat_id))}"
        header += f" · message {message.message_id}" + (", edited" if edited else "")
        return render_message(
            message.plain_text, message.entities, buttons, header=header, color=self.color
        )

    def _new(self, name: str, items: list[Any]) -> list[Any]:
        start = self._seen[name]
        self._seen[name] = len(items)
        return items[start:]

    def _tell_if_no_bot(self) -> None:
        if not self.polled:
            self.write("(console) queued: no bot polls this fake yet (see the command above)")


async def serve(
    port: int,
    lines: asyncio.Queue[str | None],
    write: Callable[[str], None],
    *,
    color: bool = False,
    ready: Callable[[FakeBotAPI, Console], None] | None = None,
) -> int:
    """Run the fake and the console until ``/quit`` or a ``None`` line (end of input)."""
    api = dev_server(port)
    try:
        await api.__aenter__()
    except OSError as exc:
        raise ConfigError(
            f"--port {port}: cannot listen on {HOST}:{port} ({exc.strerror or exc}); another "
            "newsbot dev-telegram may be running: choose another port with --port"
        ) from exc
    try:
        write(banner(api.url))
        console = Console(api, write, color=color)
        if ready is not None:
            ready(api, console)
        follower = asyncio.create_task(console.follow())
        try:
            while True:
                line = await lines.get()
                if line is None or not console.type(line):
                    break
        finally:
            follower.cancel()
            with contextlib.suppress(asyncio.CancelledError):
                await follower
        console.show_news()
    finally:
        await api.close()
    write(
        "(console) the fake Bot API stopped; a bot still running against it retries until it "
        "is back"
    )
    return 0


def main(port: int, inp: TextIO | None = None, out: TextIO | None = None) -> int:
    """``newsbot dev-telegram``: stdin is the user, stdout the chat."""
    inp = inp or sys.stdin
    out = out or sys.stdout
    tty = inp.isatty() and out.isatty()
    prompt = "you › " if tty else ""
    color = out.isatty() and not os.environ.get("NO_COLOR")
    line_buffer = _line_editing() if tty else None
    prompting = threading.Event()  # the prompt is on screen: the reader waits in input()

    def write(text: str) -> None:
        if prompting.is_set():  # over the prompt, then the prompt again with what was typed
            typed = line_buffer() if line_buffer else ""
            out.write(f"\r\x1b[K{text}\n{prompt}{typed}")
        else:
            out.write(text + "\n")
        out.flush()

    async def run() -> int:
        lines: asyncio.Queue[str | None] = asyncio.Queue()
        loop = asyncio.get_running_loop()
        reader = threading.Thread(
            target=_read_lines,
            args=(inp, prompt, prompting, loop, lines),
            name="stdin",
            daemon=True,
        )

        def ready(api: FakeBotAPI, console: Console) -> None:
            reader.start()  # after the banner, so the first prompt comes below it

        code = await serve(port, lines, write, color=color, ready=ready)
        if prompt:
            out.write("\n")
        return code

    return asyncio.run(run())


def _read_lines(
    inp: TextIO,
    prompt: str,
    prompting: threading.Event,
    loop: asyncio.AbstractEventLoop,
    lines: asyncio.Queue[str | None],
) -> None:
    """The stdin thread (a daemon: it never holds up the exit): each line, then None at EOF."""
    while True:
        try:
            if prompt:
                prompting.set()
                line: str | None = input(prompt)
            else:
                line = inp.readline() or None
        except EOFError:
            line = None
        finally:
            prompting.clear()
        try:
            loop.call_soon_threadsafe(lines.put_nowait, line)
        except RuntimeError:  # the loop is closed: the console is gone
            return
        if line is None:
            return


def _line_editing() -> Callable[[], str] | None:
    """Line editing and history for ``input()`` (GNU readline, where Python has it)."""
    try:
        import readline
    except ImportError:
        return None
    return readline.get_line_buffer
