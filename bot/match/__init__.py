"""Matching: query language -> compiled ``RuleSet``; ``ruleset.match(title, summary)``.

Semantics are documented in ``bot.match.engine`` (and ``docs/matching.md``); the grammar in
``bot.match.query``; folding in ``bot.match.fold``.

    ruleset = compile_rules(rules, entities)      # RulesError listing every problem
    ruleset.match(title, summary, feed_id) -> [Match]
    compile_query(query, entities, max_length=...)  # one rule "query"; QueryError(pos)
"""

from __future__ import annotations

from .compile import compile_query, compile_rules
from .engine import RuleSet
from .fold import fold, tokenize

__all__ = ["RuleSet", "compile_query", "compile_rules", "fold", "tokenize"]
