"""/test: which rules and watches would match a headline, with the spans that matched.

Nothing is compiled here: the rules file and the watches are matched with the running bot's
compiled sets (``RulesView.ruleset``, ``RulesView.watches``), so a /test costs one match.
"""

from __future__ import annotations

import enum
from collections.abc import Sequence
from dataclasses import dataclass

from bot.chat.services import RulesView
from bot.models import Span
from bot.store import WATCH_PREFIX, Watch


class HitKind(enum.StrEnum):
    RULE = "rule"
    WATCH = "watch"


@dataclass(frozen=True, slots=True)
class Hit:
    kind: HitKind
    label: str  # rule title, or the watch's query
    ref: str  # rule id, or the watch's number in /list
    spans: tuple[Span, ...]


def run(view: RulesView, watches: Sequence[Watch], text: str) -> list[Hit]:
    """The rules-file rules that match ``text``, then the chat's ``watches`` that do (in
    /list order). A watch the compiled set lacks (it does not compile, or another instance
    added it moments ago) does not match."""
    titles = {rule.id: rule.display_title for rule in view.rules}
    hits = [
        Hit(HitKind.RULE, titles.get(m.rule_id, m.rule_id), m.rule_id, m.spans)
        for m in view.ruleset.match(text, "")
    ]
    if view.watches is not None and watches:
        numbers = {f"{WATCH_PREFIX}{w.id}": (n, w) for n, w in enumerate(watches, 1)}
        found = []
        for m in view.watches.match(text, ""):
            if m.rule_id in numbers:
                number, watch = numbers[m.rule_id]
                found.append((number, Hit(HitKind.WATCH, watch.query, str(number), m.spans)))
        hits.extend(hit for _, hit in sorted(found, key=lambda f: f[0]))
    return hits
