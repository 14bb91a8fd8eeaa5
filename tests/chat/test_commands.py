"""Pure argument parsing and the command table."""

from __future__ import annotations

import pytest

from bot.chat import commands as c
from bot.chat.commands import COMMANDS, UsageError, split_command


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


def test_trial_compiles_rules_once_per_config(monkeypatch: pytest.MonkeyPatch) -> None:
    from bot.chat import trial
    from bot.chat.services import RulesView
    from bot.models import RuleSpec
    from bot.store import Watch

    calls: list[int] = []
    real = trial.compile_rules

    def counting(*args: object, **kwargs: object) -> object:
        calls.append(1)
        return real(*args, **kwargs)  # type: ignore[arg-type]

    monkeypatch.setattr(trial, "compile_rules", counting)
    rules = (RuleSpec("outages", "outage OR downtime", title="Outages"),)
    entities: dict[str, tuple[str, ...]] = {}
    t = trial.Trial()
    watches = [Watch(1, 42, None, "bank"), Watch(2, 42, None, "@gone")]  # @gone: no such entity
    for _ in range(3):  # a fresh view around the same config each time, as app.rules_view does
        hits = t.run(RulesView(rules, entities), watches, "Bank outage")
        assert [(h.kind, h.ref) for h in hits] == [("rule", "outages"), ("watch", "1")]
    assert len(calls) == 1
    t.run(RulesView(tuple(rules), {}), watches, "x")  # a reload: new entities mapping
    assert len(calls) == 2
