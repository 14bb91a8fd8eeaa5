"""``newsbot dev-telegram``: the console's decisions (pure), the fake it serves, and one real
session: the real bot against the dev tool's fake Bot API, driven by typed lines."""

from __future__ import annotations

import asyncio
import os
import re
import socket
import subprocess
import sys
from pathlib import Path

import pytest
import telegram
import telegram.error

from bot.devtools import dev_telegram
from bot.devtools.console import (
    Button,
    Keyboards,
    Problem,
    Quit,
    Say,
    Tap,
    clean,
    parse_input,
    render_message,
    styled_text,
)
from bot.devtools.dev_telegram import Console
from bot.devtools.fakebotapi import FakeBotAPI, check_message_text
from bot.errors import ConfigError
from bot.settings import Settings
from tests.e2e.harness import Bot, rss
from tests.feed.server import FeedServer
from tests.waiting import wait_until

ROOT = Path(__file__).resolve().parents[1]
USER = dev_telegram.USER_ID

RULES_KEYBOARD = {
    "inline_keyboard": [
        [{"text": "➕ Parade", "callback_data": "sub:parade"}],
        [{"text": "➕ Kim", "callback_data": "sub:kim"}, {"text": "Docs", "url": "https://x.org"}],
    ]
}


def keyboards_with_rules() -> Keyboards:
    keyboards = Keyboards()
    keyboards.show(USER, 3, RULES_KEYBOARD)  # buttons #1, #2, #3
    return keyboards


# ---------------------------------------------------------------------- typed lines


@pytest.mark.parametrize(
    ("line", "expected"),
    [
        ("hello there\n", Say("hello there")),
        ("  /subscribe parade  ", Say("/subscribe parade")),
        ("/rules", Say("/rules")),
        ("/quit", Quit()),
        ("tap 2", Tap(Button(2, USER, 3, "➕ Kim", callback_data="sub:kim"))),
        ("#1", Tap(Button(1, USER, 3, "➕ Parade", callback_data="sub:parade"))),
        ("TAP #3", Tap(Button(3, USER, 3, "Docs", url="https://x.org"))),
        ("tap 9", Problem("there is no button #9: the buttons on screen are #1-#3")),
        ("tap two", Say("tap two")),  # not a button number: a message like any other
        ("#hashtag", Say("#hashtag")),
        ("x" * 4097, Problem("Telegram messages are at most 4096 characters; this one has 4097")),
        ("😀" * 2049, Problem("Telegram messages are at most 4096 characters; this one has 4098")),
        ("   ", None),
        ("", None),
    ],
    ids=[
        "text",
        "command-trimmed",
        "rules",
        "quit",
        "tap-n",
        "hash-n",
        "tap-hash-upper",
        "no-such-button",
        "tap-word",
        "hashtag",
        "too-long",
        "too-long-utf16",
        "blank",
        "empty",
    ],
)
def test_a_typed_line_becomes_an_action(line: str, expected: object) -> None:
    assert parse_input(line, keyboards_with_rules()) == expected


def test_no_buttons_on_screen_is_said_so() -> None:
    assert parse_input("#1", Keyboards()) == Problem("there is no button #1: no buttons are shown")


def test_an_edited_keyboard_gets_new_numbers_and_older_messages_keep_theirs() -> None:
    keyboards = Keyboards()
    old = keyboards.show(USER, 1, {"inline_keyboard": [[{"text": "a", "callback_data": "a"}]]})
    first = keyboards.show(USER, 2, RULES_KEYBOARD)
    assert [[b.number for b in row] for row in first] == [[2], [3, 4]]
    edited = keyboards.show(USER, 2, {"inline_keyboard": [[{"text": "b", "callback_data": "b"}]]})
    assert [b.number for row in edited for b in row] == [5]
    assert keyboards.numbers() == [1, 5]  # message 2's old buttons are gone
    assert keyboards.get(1) == old[0][0]
    # the same message id in another chat is another message
    keyboards.show(-100123, 2, RULES_KEYBOARD)
    assert keyboards.numbers() == [1, 5, 6, 7, 8]
    assert keyboards.show(USER, 2, None) == [] and keyboards.numbers() == [1, 6, 7, 8]
    assert parse_input("#4", keyboards) == Problem(
        "there is no button #4: the buttons on screen are #1, #6-#8"
    )


# ---------------------------------------------------------------------- rendering


def shown(html: str, color: bool = False) -> str:
    """What the console prints for the bot's HTML, through the fake's own parser."""
    parsed = check_message_text(html, "HTML")
    return styled_text(parsed.text, parsed.entities, color=color)


def segments(colored: str) -> list[tuple[str, str]]:
    """ANSI-styled text as ``(style codes, text)`` runs; ``""`` is no style."""
    runs: list[tuple[str, str]] = []
    active: set[str] = set()
    for part in re.split(r"(\x1b\[[0-9;]*m)", colored):
        if part.startswith("\x1b["):
            codes = set(part[2:-1].split(";"))
            active = set() if codes == {"0"} else active | codes
        elif part:
            style = ";".join(sorted(active, key=int))
            if runs and runs[-1][0] == style:
                runs[-1] = (style, runs[-1][1] + part)
            else:
                runs.append((style, part))
    return runs


@pytest.mark.parametrize(
    ("html", "plain", "styled"),
    [
        ("plain &lt;text&gt; &amp; more", "plain <text> & more", [("", "plain <text> & more")]),
        ("<b>Bold</b> rest", "Bold rest", [("1", "Bold"), ("", " rest")]),
        (
            '<b><a href="https://news.example/a">Title</a></b>\nnext',
            "Title <https://news.example/a>\nnext",
            [("1;4", "Title"), ("2", " <https://news.example/a>"), ("", "\nnext")],
        ),
        (
            "😀 <i>x</i> <code>/subscribe</code>",  # offsets in UTF-16 units: the emoji is 2
            "😀 x /subscribe",
            [("", "😀 "), ("3", "x"), ("", " "), ("36", "/subscribe")],
        ),
        (
            "<s>a<u>b</u></s><tg-spoiler>c</tg-spoiler>",
            "abc",
            [("9", "a"), ("4;9", "b"), ("7", "c")],
        ),
        (
            '<a href="http://localhost/x">kept text</a>',  # Telegram drops undotted hosts
            "kept text",
            [("", "kept text")],
        ),
    ],
    ids=["escapes", "bold", "bold-link", "utf16-offsets", "nested", "dropped-link"],
)
def test_bot_html_is_shown_as_telegram_shows_it(
    html: str, plain: str, styled: list[tuple[str, str]]
) -> None:
    assert shown(html) == plain
    assert segments(shown(html, color=True)) == styled


def test_a_message_with_buttons_lists_them_by_number() -> None:
    buttons = keyboards_with_rules().show(USER, 3, RULES_KEYBOARD)
    text = render_message("Rules", (), buttons, header="bot · message 3", color=False)
    assert text.splitlines() == [
        "bot · message 3",
        "Rules",
        "  [4] ➕ Parade",
        "  [5] ➕ Kim   [6] Docs <https://x.org>",
    ]


def test_control_characters_from_the_bot_never_reach_the_terminal() -> None:
    hostile = "Title\x1b]0;owned\x07 \x1b[2J\r\x9b31m\ttab\nline"
    assert clean(hostile) == "Title\ufffd]0;owned\ufffd \ufffd[2J\ufffd\ufffd31m\ttab\nline"
    entities = [{"type": "bold", "offset": 0, "length": 5}]
    assert "\x1b]" not in styled_text(hostile, entities, color=True)
    buttons = [[Button(1, USER, 1, "\x1b[31mred", url="https://x.org/\x1b[0m")]]
    out = render_message("t", (), buttons, header="h", color=False)
    assert "\x1b" not in out


def test_entities_that_do_not_fit_the_text_are_ignored() -> None:
    bad = [
        {"type": "bold", "offset": 3, "length": 10},  # past the end
        {"type": "bold", "offset": 1, "length": 1},  # inside the surrogate pair of 😀
        {"type": "bold"},
        {"type": "unknown-kind", "offset": 0, "length": 1},
    ]
    assert styled_text("😀ab", bad, color=False) == "😀ab"


# ---------------------------------------------------------------------- the fake it serves


async def test_the_fake_listens_on_loopback_only_with_the_printed_token() -> None:
    api = dev_telegram.dev_server(0)
    assert api.host == "127.0.0.1"
    async with api:
        assert api.url.startswith("http://127.0.0.1:")
        banner = dev_telegram.banner(api.url)
        assert "FAKE" in banner
        assert f"TELEGRAM_API_URL={api.url} TELEGRAM_BOT_TOKEN={dev_telegram.TOKEN}" in banner
        assert Settings.from_env({"TELEGRAM_API_URL": api.url}).api_url == api.url


async def test_a_taken_port_or_a_bad_one_is_a_clear_error() -> None:
    with socket.socket() as taken:
        taken.bind(("127.0.0.1", 0))
        taken.listen()
        port = taken.getsockname()[1]
        with pytest.raises(ConfigError, match=f"--port {port}: cannot listen on 127.0.0.1:{port}"):
            await dev_telegram.serve(port, asyncio.Queue(), print)
    with pytest.raises(ConfigError, match="--port: 70000 is not a TCP port"):
        dev_telegram.dev_server(70000)


async def test_without_a_bot_typed_lines_are_queued_and_said_so() -> None:
    out: list[str] = []
    async with FakeBotAPI(token=dev_telegram.TOKEN) as api:
        console = Console(api, out.append)
        assert console.type("/rules") is True
        assert console.type("tap 1") is True
        assert console.type("/quit") is False
        assert [u["message"]["text"] for u in api._updates] == ["/rules"]
    assert out == [
        "(console) queued: no bot polls this fake yet (see the command above)",
        "(console) there is no button #1: no buttons are shown",
    ]


async def test_refusals_and_a_wrong_token_are_shown() -> None:
    out: list[str] = []
    async with FakeBotAPI(token=dev_telegram.TOKEN) as api:
        console = Console(api, out.append)
        async with telegram.Bot(dev_telegram.TOKEN, base_url=f"{api.url}/bot") as bot:
            with pytest.raises(telegram.error.BadRequest):
                await bot.send_message(USER, "<b>unclosed", parse_mode="HTML")
            await bot.send_message(USER, "fine")
        console.show_news()
        for _ in range(2):
            with pytest.raises(telegram.error.InvalidToken):
                async with telegram.Bot("999:other", base_url=f"{api.url}/bot"):
                    pass
        console.show_news()
    assert out[0].startswith(
        f"(console) the fake refused the bot's sendMessage to chat {USER}: 400 Bad Request: "
        "can't parse entities"
    )
    assert out[1] == "\nbot · message 1\nfine"
    assert out[2:] == [
        "(console) a bot called with another token and was answered 401 Unauthorized: "
        f"start it with TELEGRAM_BOT_TOKEN={dev_telegram.TOKEN}"  # once
    ]


def test_the_command_reads_stdin_until_eof(tmp_path: Path) -> None:
    env = {k: v for k, v in os.environ.items() if not k.startswith(("TELEGRAM_", "NEWSBOT_"))}
    result = subprocess.run(
        [sys.executable, "-m", "bot", "dev-telegram", "--port", "0"],
        input="hello\n",
        capture_output=True,
        text=True,
        cwd=ROOT,
        env=env,
        timeout=60,
    )
    assert result.returncode == 0, result.stderr
    assert "a FAKE Telegram Bot API on http://127.0.0.1:" in result.stdout
    assert "queued: no bot polls this fake yet" in result.stdout
    assert "the fake Bot API stopped" in result.stdout
    assert "\x1b" not in result.stdout  # not a terminal: no colours


# ---------------------------------------------------------------------- one real session

RULES = """
feeds:
  - {{id: local, name: Local News, url: "{url}", interval: 1s}}
rules:
  - {{id: parade, title: Beijing parade, query: 'parade'}}
  - {{id: kim, title: Kim, query: 'Kim'}}
"""


async def test_a_user_subscribes_gets_an_alert_and_taps_a_button(tmp_path: Path) -> None:
    out: list[str] = []
    lines: asyncio.Queue[str | None] = asyncio.Queue()
    started: list[tuple[FakeBotAPI, Console]] = []

    def printed(text: str) -> bool:
        return any(text in o for o in out)

    async with FeedServer() as feeds:
        feeds.body("/news", rss([("old-1", "Weather", "Sunny.")]), etag='"v1"')
        rules = tmp_path / "rules.yaml"
        rules.write_text(RULES.format(url=feeds.url("/news")))
        session = asyncio.create_task(
            dev_telegram.serve(0, lines, out.append, ready=lambda *both: started.append(both))
        )
        await wait_until(lambda: started, what="the fake is listening")
        api, console = started[0]
        settings = Settings(
            token=dev_telegram.TOKEN,
            api_url=api.url,
            rules_path=str(rules),
            database_url=f"sqlite:///{tmp_path}/bot.db",
        )
        async with Bot(settings):
            await wait_until(lambda: console.polled, within=30, what="the bot polls the fake")
            await wait_until(lambda: feeds.paths().count("/news") >= 1, what="the first poll")

            lines.put_nowait("/subscribe parade")
            await wait_until(lambda: printed("Subscribed to Beijing parade"), what="the reply")

            feeds.body("/news", rss([("new-1", "Beijing parade begins", "Troops march.")]))
            await wait_until(
                lambda: printed("Beijing parade begins <https://local.example/new-1>"),
                within=30,
                what="the alert, its link shown",
            )

            lines.put_nowait("/rules")
            await wait_until(lambda: printed("[2] "), what="the rules keyboard")
            keyboard = next(o for o in out if "[2] " in o)
            assert "[1] " in keyboard and "Kim" in keyboard.splitlines()[-1]
            lines.put_nowait("tap 2")
            await wait_until(lambda: printed("(notice) Subscribed to Kim"), what="the tap's answer")
            await wait_until(lambda: printed(", edited"), what="the keyboard edited")
            edited = next(o for o in out if ", edited" in o)
            assert "[3] " in edited and "[4] " in edited  # the new keyboard's numbers
        lines.put_nowait("/quit")
        assert await asyncio.wait_for(session, timeout=10) == 0
    assert not printed("refused"), out
    assert all("\x1b" not in o for o in out)


def test_the_readme_gives_the_command_the_tool_prints() -> None:
    readme = (ROOT / "README.md").read_text()
    section = readme.split("## Try the Telegram side locally", 1)[1].split("\n## ", 1)[0]
    command = next(c for c in re.findall(r"`([^`]+)`", section) if "newsbot run" in c)
    banner = dev_telegram.banner(f"http://127.0.0.1:{dev_telegram.DEFAULT_PORT}")
    printed = banner.split("start the bot against it:\n", 1)[1].split("\n\n", 1)[0]
    assert command == " ".join(line.strip(" \\") for line in printed.splitlines())
