"""/test: which rules and watches would match a headline, with the spans that matched."""

from __future__ import annotations

import logging
from collections.abc import Sequence
from dataclasses import dataclass

from bot.chat.services import RulesView
from bot.errors import RulesError
from bot.match import RuleSet, compile_query, compile_rules
from bot.models import Span
from bot.store import Watch

log = logging.getLogger(__name__)

_WATCH_CACHE = 512


@dataclass(frozen=True, slots=True)
class Hit:
    kind: str  # "rule" or "watch"
    label: str  # rule title, or the watch's query
    ref: str  # rule id, or the watch's number in /list
    spans: tuple[Span, ...]


class Trial:
    """Compiles the rules-file rules once per ``RulesView`` and watches by query text.

    The cache key is the identity of the view's ``rules`` and ``entities`` (not of the view
    itself), so a composition root that builds a new view around the same config per call
    still compiles once per rules reload.
    """

    def __init__(self) -> None:
        self._key: tuple[object, object] | None = None
        self._ruleset: RuleSet | None = None
        self._watches: dict[str, RuleSet | None] = {}

    def _rules(self, view: RulesView) -> RuleSet | None:
        key = (view.rules, view.entities)
        if self._key is None or key[0] is not self._key[0] or key[1] is not self._key[1]:
            self._key, self._watches = key, {}
            try:
                self._ruleset = compile_rules(view.rules, view.entities)
            except RulesError as exc:  # the loader validated them; be robust anyway
                log.warning("rules do not compile for /test: %s", exc)
                self._ruleset = None
        return self._ruleset

    def _watch(self, view: RulesView, query: str) -> RuleSet | None:
        self._rules(view)  # resets the watch cache when the rules changed
        if query not in self._watches:
            if len(self._watches) >= _WATCH_CACHE:
                self._watches.clear()
            try:
                self._watches[query] = compile_query(query, view.entities)
            except RulesError:  # e.g. an entity the watch used was removed from the rules
                self._watches[query] = None
        return self._watches[query]

    def run(self, view: RulesView, watches: Sequence[Watch], text: str) -> list[Hit]:
        hits: list[Hit] = []
        ruleset = self._rules(view)
        if ruleset is not None:
            titles = {rule.id: rule.display_title for rule in view.rules}
            for match in ruleset.match(text, ""):
                hits.append(
                    Hit(
                        "rule", titles.get(match.rule_id, match.rule_id), match.rule_id, match.spans
                    )
                )
        for number, watch in enumerate(watches, 1):
            compiled = self._watch(view, watch.query)
            if compiled is None:
                continue
            for match in compiled.match(text, ""):
                hits.append(Hit("watch", watch.query, str(number), match.spans))
        return hits
