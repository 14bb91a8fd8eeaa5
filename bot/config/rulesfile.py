"""The rules file: YAML in, a validated ``RulesConfig`` out, or ``RulesError`` with every
problem as a ``Problem`` record (position, rule id, message; ``str()`` gives
``FILE:LINE:COL: message``).

    feeds:                       # required, a list
      - id: bbc-world            # required, unique: letters, digits, - _ .
        url: https://...         # http(s)://, or file:PATH (relative to this file) / file:///ABS
        name: BBC World          # optional display name
        interval: 5m             # optional (default 5m), minimum 1s
        backfill: 24h            # optional: alert on entries this recent on first poll ("all")
    entities:                    # optional: name -> list of aliases, used as @name in queries
      putin: ["Vladimir Putin", "Putin"]
    rules:                       # required, a list
      - id: parade               # required, unique
        title: Beijing parade    # optional
        query: 'parade AND (Beijing OR Tiananmen)'
        feeds: [bbc-world]       # optional; default every feed
        chats: [-1001234567890]  # optional: chats (e.g. channels) that always get this rule

Positions come from PyYAML's node marks, so an error points at the offending value; lists and
mappings nested deeper than ``MAX_NESTING`` are reported where the first too-deep one starts.
Query syntax is checked by the rule engine, which reports at ``query_pos`` plus the offset
inside the query.
"""

from __future__ import annotations

import math
import re
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import yaml

from bot.config.durations import parse_duration
from bot.errors import RulesError
from bot.models import FeedSpec, Problem, RulesConfig, RuleSpec, SourcePos

_ID = re.compile(r"[A-Za-z0-9][A-Za-z0-9_.-]{0,63}")
_MAX_FILE = 8 * 1024 * 1024
MAX_NESTING = 16  # levels of lists and mappings; the rules file needs 4
_TOP_KEYS = {"feeds", "entities", "rules"}
_FEED_KEYS = {"id", "url", "name", "interval", "backfill", "min_interval", "max_interval"}
_RULE_KEYS = {"id", "title", "query", "feeds", "chats"}


class _TooDeep(yaml.composer.ComposerError):
    pass


class _Loader(yaml.SafeLoader):
    """``SafeLoader`` that refuses nodes nested deeper than ``MAX_NESTING``: PyYAML composes
    recursively (three Python frames a level), so 1,000 levels raised RecursionError.  Aliases
    stay shared nodes (never expanded), so "billion laughs" files cost their size only."""

    def __init__(self, stream: str) -> None:
        super().__init__(stream)
        self._depth = 0

    def compose_node(self, parent: yaml.Node | None, index: Any) -> yaml.Node | None:
        if self._depth >= MAX_NESTING and not self.check_event(yaml.AliasEvent):
            event: Any = self.peek_event()  # type: ignore[no-untyped-call]
            raise _TooDeep(
                None,
                None,
                f"nested too deeply (more than {MAX_NESTING} levels of lists and mappings)",
                event.start_mark,
            )
        self._depth += 1
        try:
            return super().compose_node(parent, index)
        finally:
            self._depth -= 1


class _Problems:
    def __init__(self, source: str) -> None:
        self.source = source
        self.found: list[Problem] = []

    def pos(self, node: yaml.Node) -> SourcePos:
        mark = node.start_mark
        return SourcePos(self.source, mark.line + 1, mark.column + 1)

    def add(self, node: yaml.Node, message: str, rule_id: str | None = None) -> None:
        self.found.append(Problem(message, self.pos(node), rule_id))


def _at(source: str, message: str, mark: yaml.Mark | None = None) -> RulesError:
    """A problem of the whole file (at ``mark``, else at its start)."""
    line, col = (mark.line + 1, mark.column + 1) if mark is not None else (1, 1)
    return RulesError([Problem(message, SourcePos(source, line, col))])


def load_rules(path: str | Path) -> RulesConfig:
    """Read and validate a rules file. Raises ``RulesError`` listing every problem."""
    path = Path(path)
    try:
        raw = path.read_bytes()
    except OSError as exc:
        raise _at(str(path), f"cannot read rules file: {exc.strerror or exc}") from exc
    if len(raw) > _MAX_FILE:
        raise _at(str(path), f"rules file is larger than {_MAX_FILE // 1048576} MiB")
    try:
        text = raw.decode("utf-8")
    except UnicodeDecodeError as exc:
        raise _at(str(path), f"rules file is not UTF-8 ({exc.reason})") from exc
    return parse_rules(text, str(path), base_dir=path.parent)


def parse_rules(text: str, source: str = "<rules>", base_dir: Path | None = None) -> RulesConfig:
    problems = _Problems(source)
    try:
        root = yaml.compose(text, Loader=_Loader)
    except _TooDeep as exc:
        assert exc.problem_mark is not None
        raise _at(source, str(exc.problem), exc.problem_mark) from exc
    except yaml.MarkedYAMLError as exc:
        if exc.context_mark is not None and "quoted scalar" in (exc.context or ""):
            # the scanner fails where the file ends: point at the quote that never closes
            raise _at(source, "invalid YAML: unclosed quote", exc.context_mark) from exc
        mark = exc.problem_mark or exc.context_mark
        raise _at(source, f"invalid YAML: {exc.problem or exc.context}", mark) from exc
    except yaml.YAMLError as exc:
        raise _at(source, f"invalid YAML: {exc}") from exc
    except (RecursionError, MemoryError) as exc:  # not expected below MAX_NESTING; still a report
        raise _at(source, f"rules file too complex to read ({exc!r})") from exc
    if root is None:
        raise _at(source, "rules file is empty: it needs 'feeds' and 'rules'")
    top = _mapping(root, problems, "the rules file")
    if top is None:
        raise RulesError(problems.found)
    for key, (knode, _) in top.items():
        if key not in _TOP_KEYS:
            problems.add(knode, f"unknown key {key!r} (expected one of: feeds, entities, rules)")
    feeds = _feeds(top.get("feeds"), problems, base_dir or Path.cwd())
    entities = _entities(top.get("entities"), problems)
    rules = _rules(top.get("rules"), problems, {f.id for f in feeds})
    if "feeds" not in top:
        problems.add(root, "missing 'feeds': list the feeds to poll")
    if "rules" not in top:
        problems.add(root, "missing 'rules': list at least one rule")
    config = RulesConfig(feeds=tuple(feeds), rules=tuple(rules), entities=entities, source=source)
    if problems.found:
        # with what did parse, so the caller can check those queries too: everything at once
        raise RulesError(sorted(problems.found, key=lambda p: p.order), partial=config)
    return config


# --------------------------------------------------------------------------- node helpers


def _mapping(
    node: yaml.Node, p: _Problems, what: str
) -> dict[str, tuple[yaml.Node, yaml.Node]] | None:
    if not isinstance(node, yaml.MappingNode):
        p.add(node, f"{what} must be a mapping of keys to values")
        return None
    out: dict[str, tuple[yaml.Node, yaml.Node]] = {}
    for knode, vnode in node.value:
        key = knode.value if isinstance(knode, yaml.ScalarNode) else None
        if not isinstance(key, str):
            p.add(knode, f"{what}: keys must be plain names")
            continue
        if key in out:
            p.add(knode, f"{what}: duplicate key {key!r}")
            continue
        out[key] = (knode, vnode)
    return out


def _sequence(
    entry: tuple[yaml.Node, yaml.Node] | None, p: _Problems, what: str
) -> list[yaml.Node]:
    if entry is None:
        return []
    _, node = entry
    if isinstance(node, yaml.ScalarNode) and node.tag.endswith(":null"):
        return []
    if not isinstance(node, yaml.SequenceNode):
        p.add(node, f"{what} must be a list")
        return []
    return list(node.value)


def _scalar(node: yaml.Node, p: _Problems, what: str, rule_id: str | None = None) -> Any:
    if not isinstance(node, yaml.ScalarNode):
        p.add(node, f"{what} must be a single value, not a list or mapping", rule_id)
        return None
    return yaml.SafeLoader("").construct_object(node)  # the scalar, type-resolved as YAML does


def _string(node: yaml.Node, p: _Problems, what: str, rule_id: str | None = None) -> str | None:
    value = _scalar(node, p, what, rule_id)
    if value is None and isinstance(node, yaml.ScalarNode):
        p.add(node, f"{what} must not be empty", rule_id)
        return None
    if value is not None and not isinstance(value, str | int | float):
        p.add(node, f"{what} must be text", rule_id)
        return None
    return None if value is None else str(value)


def _ident(node: yaml.Node, p: _Problems, what: str) -> str | None:
    value = _string(node, p, what)
    if value is not None and not _ID.fullmatch(value):
        p.add(node, f"{what} {value!r} must be 1-64 letters, digits, '-', '_' or '.'")
        return None
    return value


def _query_pos(node: yaml.Node, p: _Problems) -> SourcePos:
    pos = p.pos(node)
    style = getattr(node, "style", None)
    if style in ("'", '"'):
        return SourcePos(pos.file, pos.line, pos.col + 1)
    if style in ("|", ">"):
        return SourcePos(pos.file, pos.line + 1, pos.col + 2)
    return pos


# --------------------------------------------------------------------------- sections


def _duration(node: yaml.Node, p: _Problems, what: str, allow_all: bool = False) -> float | None:
    value = _scalar(node, p, what)
    if allow_all and isinstance(value, str) and value.strip().lower() == "all":
        return math.inf
    try:
        return parse_duration(value)
    except ValueError as exc:
        p.add(node, f"{what}: {exc}")
        return None


def _url(node: yaml.Node, p: _Problems, base_dir: Path) -> str | None:
    url = _string(node, p, "feed url")
    if url is None:
        return None
    url = url.strip()
    lower = url.lower()
    if lower.startswith(("http://", "https://")):
        if len(url) > 2048 or " " in url:
            p.add(node, "feed url is not a valid URL (spaces or over 2048 characters)")
            return None
        return url
    if lower.startswith("file:"):
        rest = url[5:]
        if rest.startswith("//"):
            rest = rest[2:]
            if not rest.startswith("/"):
                p.add(node, "file URL must be file:///absolute/path or file:relative/path")
                return None
        target = Path(rest) if Path(rest).is_absolute() else (base_dir / rest)
        return target.resolve().as_uri()
    p.add(node, f"feed url {url!r} must start with http://, https:// or file:")
    return None


def _records(
    entry: tuple[yaml.Node, yaml.Node] | None,
    p: _Problems,
    what: str,
    allowed: set[str],
    required: tuple[str, str],
) -> Iterator[tuple[yaml.Node, dict[str, tuple[yaml.Node, yaml.Node]]]]:
    """The mappings of a list section (``feeds:``, ``rules:``) that have the required keys;
    unknown keys and missing ones are reported."""
    for node in _sequence(entry, p, f"'{what}s'"):
        m = _mapping(node, p, f"a {what}")
        if m is None:
            continue
        for key, (knode, _) in m.items():
            if key not in allowed:
                p.add(knode, f"{what}: unknown key {key!r} (expected {', '.join(sorted(allowed))})")
        if not all(k in m for k in required):
            p.add(node, f"a {what} needs both {required[0]!r} and {required[1]!r}")
            continue
        yield node, m


def _feeds(
    entry: tuple[yaml.Node, yaml.Node] | None, p: _Problems, base_dir: Path
) -> list[FeedSpec]:
    feeds: list[FeedSpec] = []
    seen: set[str] = set()
    for _node, m in _records(entry, p, "feed", _FEED_KEYS, ("id", "url")):
        fid = _ident(m["id"][1], p, "feed id")
        url = _url(m["url"][1], p, base_dir)
        if fid is not None and fid in seen:
            p.add(m["id"][1], f"duplicate feed id {fid!r}")
            continue
        interval = 300.0
        if "interval" in m:
            value = _duration(m["interval"][1], p, "interval")
            if value is not None and value < 1:  # 0 too: never silently the default
                p.add(m["interval"][1], f"interval must be at least 1s (got {value:g}s)")
            elif value is not None:
                interval = value
        bounds: dict[str, float | None] = {"min_interval": None, "max_interval": None}
        for key in bounds:
            if key in m:
                bounds[key] = _duration(m[key][1], p, key)
        backfill = (
            _duration(m["backfill"][1], p, "backfill", allow_all=True) if "backfill" in m else None
        )
        name = _string(m["name"][1], p, "feed name") if "name" in m else None
        if fid is None or url is None:
            continue
        seen.add(fid)
        feeds.append(
            FeedSpec(
                id=fid,
                url=url,
                interval=interval,
                name=name,
                backfill=backfill,
                trusted=True,
                min_interval=bounds["min_interval"],
                max_interval=bounds["max_interval"],
            )
        )
    return feeds


def _entities(
    entry: tuple[yaml.Node, yaml.Node] | None, p: _Problems
) -> dict[str, tuple[str, ...]]:
    if entry is None:
        return {}
    m = _mapping(entry[1], p, "'entities'")
    out: dict[str, tuple[str, ...]] = {}
    for name, (knode, vnode) in (m or {}).items():
        if not _ID.fullmatch(name):
            p.add(knode, f"entity name {name!r} must be letters, digits, '-', '_' or '.'")
            continue
        aliases: list[str] = []
        nodes = (
            [vnode]
            if isinstance(vnode, yaml.ScalarNode)
            else _sequence((knode, vnode), p, f"entity {name!r}")
        )
        for anode in nodes:
            alias = _string(anode, p, f"alias of {name!r}")
            if alias is not None and alias.strip():
                aliases.append(alias.strip())
        if not aliases:
            p.add(vnode, f"entity {name!r} needs at least one alias")
            continue
        out[name] = tuple(aliases)
    return out


def _rules(
    entry: tuple[yaml.Node, yaml.Node] | None, p: _Problems, feed_ids: set[str]
) -> list[RuleSpec]:
    rules: list[RuleSpec] = []
    seen: set[str] = set()
    for node, m in _records(entry, p, "rule", _RULE_KEYS, ("id", "query")):
        rid = _ident(m["id"][1], p, "rule id")
        duplicate = rid is not None and rid in seen
        if duplicate:  # reported, and its query still checked: every problem at once
            p.add(m["id"][1], f"duplicate rule id {rid!r}")
        qnode = m["query"][1]
        query = _string(qnode, p, "query", rid)
        title = _string(m["title"][1], p, "rule title") if "title" in m else None
        feeds: tuple[str, ...] | None = None
        if "feeds" in m:
            names = []
            for fnode in _sequence(m["feeds"], p, "rule feeds"):
                fid = _string(fnode, p, "feed id")
                if fid is not None and fid not in feed_ids:
                    p.add(fnode, f"unknown feed {fid!r}", rid)
                elif fid is not None:
                    names.append(fid)
            feeds = tuple(names)
        chats: list[int] = []
        for cnode in _sequence(m.get("chats"), p, "rule chats"):
            value = _scalar(cnode, p, "chat id")
            if isinstance(value, int) and not isinstance(value, bool):
                chats.append(value)
            else:
                p.add(cnode, f"chat id must be a whole number, got {value!r}", rid)
        if rid is None or query is None:
            continue
        seen.add(rid)
        rules.append(
            RuleSpec(
                id=rid,
                query=query,
                title=title,
                feeds=feeds,
                chats=tuple(chats),
                pos=p.pos(node),
                query_pos=_query_pos(qnode, p),
            )
        )
    return rules
