"""The README stays true (issue 12, item 8): its settings table is what ``Settings`` reads, and
every command block marked as an example prints what it shows.

Marking an example: put ``<!-- example -->`` on the line before a ```console block. In the
block, a line starting with ``$ `` is a command; a line ending in ``\\`` continues on the next
line, and lines starting with ``> `` right after a command continue it too (a heredoc, as a
terminal shows it). Every other line is the output of the command above it: stdout and stderr
as the terminal shows them, trailing spaces ignored, where ``...`` stands for any text,
within a line or over several lines (doctest's ELLIPSIS), for what differs between runs:
times, durations, paths. A command that prints nothing has no output lines.

Each block runs in a fresh temporary directory holding a copy of ``rules/`` (so the shipped
rules files and their sample feeds are where the README says), its commands one after another
with the state they leave (``state/newsbot.db`` by default); ``newsbot`` and ``python`` are
this checkout's, with no ``TELEGRAM_*`` or ``NEWSBOT_*`` variable set: no token, no network
(the examples read ``file:`` feeds only). Only blocks that run offline in seconds are marked.
The same marker works in ``docs/*.md``.
"""

from __future__ import annotations

import doctest
import os
import re
import shutil
import subprocess
import sys
from dataclasses import dataclass
from pathlib import Path

import pytest

from bot.settings import Settings

ROOT = Path(__file__).resolve().parents[1]
DOCUMENTS = (ROOT / "README.md", *sorted((ROOT / "docs").glob("*.md")))
MARKER = "<!-- example -->"


def readme_settings() -> dict[str, str]:
    """``{variable: default}`` from the README's Configuration table."""
    text = (ROOT / "README.md").read_text()
    section = text.split("## Configuration", 1)[1].split("\n## ", 1)[0]
    rows = re.findall(r"^\| `([A-Z_]+)` \| ([^|]+) \|", section, re.MULTILINE)
    return {name: default.strip().strip("`") for name, default in rows}


def settings_variables() -> set[str]:
    source = (ROOT / "bot" / "settings.py").read_text()
    names = set(re.findall(r'env(?:\.get\(|, )"((?:NEWSBOT|TELEGRAM)_[A-Z_]+)"', source))
    names |= set(re.findall(r'_\w+\(env, "((?:NEWSBOT|TELEGRAM)_[A-Z_]+)"', source))
    return names | {"NEWSBOT_PURE_PYTHON"}  # read by bot/match/_build.py and setup.py


def test_the_readme_lists_every_setting_and_only_those() -> None:
    assert set(readme_settings()) == settings_variables()


def test_the_readme_defaults_are_the_settings_defaults() -> None:
    defaults = Settings.from_env({})
    shown = readme_settings()
    expected = {
        "NEWSBOT_RULES": defaults.rules_path,
        "NEWSBOT_DATABASE_URL": defaults.database_url,
        "TELEGRAM_API_URL": defaults.api_url,
        "NEWSBOT_FLOOD_THRESHOLD": str(defaults.flood_threshold),
        "NEWSBOT_SENDER_LEASE": f"{defaults.sender_lease:g}",
        "NEWSBOT_MAX_WATCHES": str(defaults.max_watches),
        "NEWSBOT_MAX_QUERY_LENGTH": str(defaults.max_query_length),
        "NEWSBOT_FAILING_STREAK": str(defaults.failing_streak),
        "NEWSBOT_DB_CONNECT_TIMEOUT": f"{defaults.db_connect_timeout:g}",
        "NEWSBOT_STORY_WINDOW": f"{defaults.story_window / 3600:g}h",
        "NEWSBOT_STORIES": str(int(defaults.stories)),
        "NEWSBOT_RETENTION": f"{(defaults.retention or 0) / 86400:g}d",
        "NEWSBOT_AUTO_UPGRADE": str(int(defaults.auto_upgrade)),
        "NEWSBOT_FAST_PARSER": str(int(defaults.fast_parser)),
        "NEWSBOT_ALLOW_PRIVATE_FEEDS": str(int(defaults.allow_private_feeds)),
        "NEWSBOT_ANYONE_CAN_ADD_FEEDS": str(int(defaults.anyone_can_add_feeds)),
    }
    assert {k: shown[k] for k in expected} == expected


# -- the examples ---------------------------------------------------------------------------


@dataclass(frozen=True)
class Command:
    line: int  # of its "$ " line in the document
    text: str  # as bash reads it: continuation lines joined with newlines
    shown: str  # the output lines below it, each ending in a newline


@dataclass(frozen=True)
class Block:
    path: Path
    line: int  # of the marker
    commands: tuple[Command, ...]
    problems: tuple[str, ...]  # what keeps the block from being read as commands and output

    @property
    def name(self) -> str:
        return f"{self.path.relative_to(ROOT)}:{self.line}"


def example_blocks(path: Path) -> list[Block]:
    lines = path.read_text().splitlines()
    blocks = []
    for index, line in enumerate(lines):
        if line.strip() != MARKER:
            continue
        where = f"{path.relative_to(ROOT)}:{index + 1}"
        body, problems = [], []
        if index + 1 < len(lines) and lines[index + 1] == "```console":
            end = index + 2
            while end < len(lines) and not lines[end].startswith("```"):
                end += 1
            if end == len(lines):
                problems.append(f"{where}: the ```console block is never closed")
            body = lines[index + 2 : end]
        else:
            problems.append(f"{where}: {MARKER} must be followed by a ```console block")
        commands, more = read_commands(body, first=index + 3, where=where)
        blocks.append(Block(path, index + 1, commands, (*problems, *more)))
    return blocks


def read_commands(
    lines: list[str], *, first: int, where: str
) -> tuple[tuple[Command, ...], list[str]]:
    commands: list[Command] = []
    problems = []
    i = 0
    if not lines:
        problems.append(f"{where}: the example has no command")
    while i < len(lines):
        if not lines[i].startswith("$ "):
            problems.append(f"{where}: line {first + i} is output before any `$ ` command")
            i += 1
            continue
        start = i
        text = [lines[i][2:]]
        i += 1
        while i < len(lines) and (text[-1].endswith("\\") or lines[i].startswith("> ")):
            text.append(lines[i][2:] if lines[i].startswith("> ") else lines[i])
            i += 1
        shown = []
        while i < len(lines) and not lines[i].startswith("$ "):
            shown.append(lines[i])
            i += 1
        commands.append(Command(first + start, "\n".join(text), "".join(f"{s}\n" for s in shown)))
    return tuple(commands), problems


EXAMPLES = [block for path in DOCUMENTS for block in example_blocks(path)]
CHECKER = doctest.OutputChecker()
# "..." stands for any text; nothing else is loose (no True for 1, no <BLANKLINE>)
FLAGS = doctest.ELLIPSIS | doctest.DONT_ACCEPT_TRUE_FOR_1 | doctest.DONT_ACCEPT_BLANKLINE
PRELUDE = 'newsbot() { "$README_PYTHON" -m bot "$@"; }\npython() { "$README_PYTHON" "$@"; }\n'


def trimmed(text: str) -> str:
    return "".join(f"{line.rstrip()}\n" for line in text.splitlines())


def test_every_example_marker_starts_a_console_block_of_commands() -> None:
    assert [problem for block in EXAMPLES for problem in block.problems] == []
    assert any(block.path.name == "README.md" for block in EXAMPLES)


@pytest.mark.parametrize("block", EXAMPLES, ids=[block.name for block in EXAMPLES])
def test_the_example_prints_what_it_shows(block: Block, tmp_path: Path) -> None:
    shutil.copytree(ROOT / "rules", tmp_path / "rules")
    env = {k: v for k, v in os.environ.items() if not k.startswith(("TELEGRAM_", "NEWSBOT_"))}
    env.update(
        README_PYTHON=sys.executable,
        PYTHONPATH=str(ROOT),
        PYTHONUNBUFFERED="1",  # stdout and stderr interleaved as a terminal shows them
        PYTHONIOENCODING="utf-8",
    )
    for command in block.commands:
        result = subprocess.run(
            ["bash", "-c", PRELUDE + command.text],
            cwd=tmp_path,
            env=env,
            stdout=subprocess.PIPE,
            stderr=subprocess.STDOUT,
            text=True,
            timeout=180,
            check=False,
        )
        want, got = trimmed(command.shown), trimmed(result.stdout)
        if not CHECKER.check_output(want, got, FLAGS):
            example = doctest.Example(command.text, want)
            diff = CHECKER.output_difference(example, got, FLAGS | doctest.REPORT_UDIFF)
            where = f"{block.path.relative_to(ROOT)}:{command.line}"
            pytest.fail(f"{where}: the output is not what the document shows\n{diff}")


def test_the_command_line_table_examples_are_run_by_marked_examples() -> None:
    """Each command with arguments in the example column of the README's Command line table is
    run, verbatim, by a marked example, so the table cannot show a command that fails or
    matches nothing."""
    section = (ROOT / "README.md").read_text().split("## Command line", 1)[1].split("\n## ", 1)[0]
    rows = [line.strip().strip("|") for line in section.splitlines() if line.startswith("|")]
    cells = [re.split(r"(?<!\\)\|", row)[-1] for row in rows]
    shown = {
        span.replace("\\|", "|")
        for cell in cells
        for span in re.findall(r"`((?:[^`\\]|\\.)+)`", cell)
        if span.startswith(("newsbot ", "echo ", "printf ")) and len(span.split()) > 2
    }
    run = {c.text for block in EXAMPLES if block.path.name == "README.md" for c in block.commands}
    assert shown, "no example commands found in the Command line table"
    assert shown - run == set()
