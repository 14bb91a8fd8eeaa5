"""Pure argument parsing and the command table."""

from __future__ import annotations

from typing import Any

import pytest

from bot.chat import commands as c
from bot.chat.commands import COMMANDS, UsageError, split_command
from tests.chat.conftest import USER, Harness


@pytest.mark.parametrize(
    ("text", "name", "addressee", "args"),
    [
        ("/list", "list", None, ""),
        ("/List@NewsBot", "list", "NewsBot", ""),
        ("/watch   a  AND  b ", "watch", None, "a  AND  b"),
        ('/watch@bot\n"x y"', "watch", "bot", '"x y"'),
    ],
    ids=["bare", "addressed", "spacing-kept", "newline"],
)
def test_split_command(text: str, name: str, addressee: str | None, args: str) -> None:
    parsed = split_command(text)
    assert parsed is not None
    assert (parsed.name, parsed.addressee, parsed.args) == (name, addressee, args)


@pytest.mark.parametrize("text", ["hello", "/", "/list-x", "/@bot"], ids=str)
def test_not_a_command(text: str) -> None:
    assert split_command(text) is None


@pytest.mark.parametrize(
    ("call", "expected"),
    [
        (lambda: c.parse_rule_id("subscribe", " outages "), "outages"),
        (lambda: c.parse_index("2"), 2),
        (lambda: c.parse_mute("2h"), 7200.0),
        (lambda: c.parse_mute("1h30m"), 5400.0),
        (lambda: c.parse_digest("Hourly"), "hourly"),
        (lambda: c.parse_quiet("22:00-7:00"), "22:00-07:00"),
        (lambda: c.parse_quiet("off"), None),
        (lambda: c.parse_timezone("Europe/Berlin"), "Europe/Berlin"),
        (lambda: c.parse_timezone("utc"), "UTC"),
        (lambda: c.parse_addfeed("https://e.com/f"), ("https://e.com/f", None)),
        (lambda: c.parse_addfeed("https://e.com/f 10m"), ("https://e.com/f", 600.0)),
        (lambda: c.parse_feed_id("ex"), "ex"),
    ],
    ids=[
        "rule",
        "index",
        "mute",
        "mute-compound",
        "digest",
        "quiet",
        "quiet-off",
        "tz",
        "tz-utc",
        "addfeed",
        "addfeed-interval",
        "feed-id",
    ],
)
def test_parsers_accept(call: object, expected: object) -> None:
    assert call() == expected  # type: ignore[operator]


@pytest.mark.parametrize(
    ("call", "command", "reason"),
    [
        (lambda: c.parse_rule_id("subscribe", ""), "subscribe", "missing"),
        (lambda: c.parse_rule_id("subscribe", "a b"), "subscribe", "one rule id"),
        (lambda: c.parse_index("0"), "unwatch", "not a watch number"),
        (lambda: c.parse_index("x"), "unwatch", "not a watch number"),
        (lambda: c.parse_mute("soon"), "mute", "not a duration"),
        (lambda: c.parse_mute("0m"), "mute", "longer than zero"),
        (lambda: c.parse_mute("400d"), "mute", "at most one year"),
        (lambda: c.parse_digest("weekly"), "digest", "not one of"),
        (lambda: c.parse_quiet("22-7"), "quiet", "HH:MM-HH:MM"),
        (lambda: c.parse_quiet("25:00-07:00"), "quiet", "HH:MM-HH:MM"),
        (lambda: c.parse_quiet("07:00-07:00"), "quiet", "same time"),
        (lambda: c.parse_timezone("Mars/Olympus"), "timezone", "not a known time zone"),
        (lambda: c.parse_timezone("../../etc/passwd"), "timezone", "not a known time zone"),
        (lambda: c.parse_addfeed("ftp://x"), "addfeed", "http://"),
        (lambda: c.parse_addfeed("https://e.com/f often"), "addfeed", "not an interval"),
        (lambda: c.parse_query("watch", ""), "watch", "query is missing"),
    ],
    ids=[
        "rule-missing",
        "rule-two",
        "index-zero",
        "index-word",
        "mute-word",
        "mute-zero",
        "mute-long",
        "digest",
        "quiet-hours",
        "quiet-25",
        "quiet-same",
        "tz-unknown",
        "tz-path",
        "addfeed-scheme",
        "addfeed-interval",
        "watch-empty",
    ],
)
def test_parsers_refuse(call: object, command: str, reason: str) -> None:
    with pytest.raises(UsageError) as info:
        call()  # type: ignore[operator]
    assert info.value.command.name == command
    assert reason in info.value.reason


def test_every_command_is_documented_with_an_example() -> None:
    from bot.chat.handlers import ChatHandlers

    for command in COMMANDS:
        assert command.summary and command.example.startswith(f"/{command.name}")
        assert callable(getattr(ChatHandlers, f"cmd_{command.name}")), command.name
    handled = {name[4:] for name in vars(ChatHandlers) if name.startswith("cmd_")}
    assert handled == {command.name for command in COMMANDS}


def test_menu_descriptions_fit_telegram_limits() -> None:
    from bot.chat import menu

    for entry in menu():
        assert 1 <= len(entry.command) <= 32 and entry.command.islower()
        assert 3 <= len(entry.description) <= 256


def test_callback_data_fits_telegram_and_round_trips() -> None:
    from bot.chat.handlers import callback_data, rule_for_callback
    from bot.models import RuleSpec

    rules = (RuleSpec("short", "a"), RuleSpec("x" * 64, "b"))
    for rule in rules:
        data = callback_data(rule.id)
        assert len(data.encode()) <= 64
        assert rule_for_callback(data, rules) is rule
    assert callback_data("short") == "sub:short"
    assert rule_for_callback("sub:gone", rules) is None


def test_trial_matches_the_compiled_sets_and_compiles_nothing(
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    """Issue 12, item 13: /test matches with the running bot's compiled rules and watches
    (it compiled the whole rules file again after every reload, on the event loop)."""
    from bot.chat import trial
    from bot.chat.services import RulesView
    from bot.match import compile as compile_module
    from bot.match import compile_rules
    from bot.models import RuleSpec
    from bot.pipeline import compile_watches
    from bot.store import Watch

    rules = (RuleSpec("outages", "outage OR downtime", title="Outages"),)
    mine = [Watch(1, 42, None, "bank"), Watch(2, 42, None, "@gone")]  # @gone: no such entity
    others = [Watch(3, 7, None, "outage")]  # another chat's watch: in the set, not in the answer
    watches = compile_watches([*mine, *others], {})
    assert set(watches.broken) == {2}
    view = RulesView(rules, {}, compile_rules(rules, {}), watches.ruleset)

    def no_compiling(*args: object) -> None:
        raise AssertionError("/test compiled a query")

    monkeypatch.setattr(compile_module, "parse", no_compiling)
    for _ in range(3):
        hits = trial.run(view, mine, "Bank outage")
        assert [(h.kind, h.ref, h.label) for h in hits] == [
            (trial.HitKind.RULE, "outages", "Outages"),
            (trial.HitKind.WATCH, "1", "bank"),
        ]


# --------------------------------------------------------------------------- hostile arguments

HOSTILE_MUTE = "1s  " * 18 + "x"  # 73 characters: 42-55 s in the old duration regex


@pytest.mark.parametrize(
    ("call", "command"),
    [
        (lambda a: c.parse_mute(a), "mute"),
        (lambda a: c.parse_timezone(a), "timezone"),
        (lambda a: c.parse_quiet(a), "quiet"),
        (lambda a: c.parse_digest(a), "digest"),
        (lambda a: c.parse_preview(a), "preview"),
        (lambda a: c.parse_index(a), "unwatch"),
        (lambda a: c.parse_rule_id("subscribe", a), "subscribe"),
        (lambda a: c.parse_rule_id("unsubscribe", a), "unsubscribe"),
        (lambda a: c.parse_feed_id(a), "removefeed"),
        (lambda a: c.parse_addfeed(a), "addfeed"),
        (lambda a: c.parse_query("watch", a), "watch"),
        (lambda a: c.parse_query("test", a), "test"),
    ],
    ids=lambda v: v if isinstance(v, str) else "parse",
)
def test_too_long_arguments_get_a_short_usage_reply(call: Any, command: str) -> None:
    cap = c.BY_NAME[command].max_args
    with pytest.raises(UsageError) as info:
        call("1s  " * (cap // 4 + 1) + "x")
    assert info.value.command.name == command
    assert info.value.reason == f"that is too long: at most {cap} characters."


def test_the_hostile_mute_argument_is_refused_before_parsing() -> None:
    with pytest.raises(UsageError, match="too long"):
        c.parse_mute(HOSTILE_MUTE)


@pytest.mark.parametrize(
    "call",
    [
        lambda: c.parse_timezone("Mars/" + "x" * 55),
        lambda: c.parse_digest("x" * 60),
        lambda: c.parse_preview("x" * 60),
        lambda: c.parse_index("x" * 60),
        lambda: c.parse_mute("1s  " * 7 + "x"),
        lambda: c.parse_addfeed("https://e.com/f " + "x" * 30),
    ],
    ids=["timezone", "digest", "preview", "unwatch", "mute", "addfeed"],
)
def test_reasons_quote_an_excerpt(call: Any) -> None:
    with pytest.raises(UsageError) as info:
        call()
    assert len(info.value.reason) < 100, info.value.reason


async def test_a_4000_character_test_is_answered_in_valid_messages(bot: Harness) -> None:
    text = ("Outage at <Bank> & data breach: ACME down; " * 100)[:4000]
    await bot.send(USER, "/watch bank")
    before = len(bot.api.sent_to(USER))
    await bot.send(USER, f"/test {text}", replies=2)
    await bot.send(USER, "/help")  # updates run in order: every /test reply came before it
    replies = bot.api.sent_to(USER)[before:-1]
    assert len(replies) >= 2
    assert replies[0].plain_text.startswith("4 matches:")  # outages, breach, acme, watch 1
    assert not any("went wrong" in r.plain_text for r in replies)
    assert all(len(r.plain_text) <= 4096 for r in replies)


@pytest.mark.parametrize(
    ("command", "expected"),
    [
        (f"/mute {HOSTILE_MUTE}", "too long: at most 32 characters"),
        ("/timezone " + "Europe/" * 500, "too long: at most 64 characters"),
        ("/timezone Mars/" + "x" * 55, "is not a known time zone"),
        ("/subscribe " + "x" * 60, "No rule 'xxxx"),
        ("/digest " + "x" * 60, "is not one of off, hourly, daily"),
        ("/unwatch 1" + "x" * 59, "not a watch number"),
    ],
    ids=["mute", "timezone-long", "timezone-unknown", "subscribe", "digest", "unwatch"],
)
async def test_long_arguments_get_short_replies(bot: Harness, command: str, expected: str) -> None:
    reply = await bot.send(USER, command)
    assert expected in reply.plain_text
    assert len(reply.plain_text) < 300


def test_a_watch_failing_after_parsing_is_still_found_and_left_out(
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    """A query the parser accepts but the builder refuses raises a QueryError that names no
    rule: the watch is then found by compiling each on its own, and the others still run."""
    from bot.errors import QueryError
    from bot.match import compile as compile_module
    from bot.pipeline import compile_watches
    from bot.store import Watch

    real = compile_module.check_size

    def refusing(words: Any, pos: int) -> None:
        if "boom" in words:
            raise QueryError("term refused by the builder", pos)
        real(words, pos)

    monkeypatch.setattr(compile_module, "check_size", refusing)
    watches = compile_watches([Watch(1, 42, None, "bank"), Watch(2, 42, None, "x OR boom")], {})
    assert watches.ruleset is not None and watches.ruleset.rule_ids == ("watch:1",)
    (problem,) = watches.broken.values()
    assert (problem.rule_id, problem.offset, problem.message) == (
        "watch:2",
        5,
        "term refused by the builder",
    )
