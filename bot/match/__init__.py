"""Matching: query language -> compiled ``RuleSet``; ``ruleset.match(title, summary)``.

Semantics are documented in ``bot.match.engine`` (and ``docs/matching.md``); the grammar in
``bot.match.query``; folding in ``bot.match.fold``.

    ruleset = compile_rules(rules, entities)      # RulesError listing every problem
    ruleset.match(title, summary, feed_id) -> [Match]
    compile_query(query, entities, max_length=...)  # one rule "query"; QueryError(pos)

``fold``, ``fuzzy`` and ``engine`` are compiled with mypyc at install time where possible;
``COMPILED`` says whether the compiled modules run, ``BUILD`` which run and why
(``bot.match._build``).
"""

from __future__ import annotations

from ._build import select

COMPILED, BUILD = select(__name__)  # BUILD: "compiled with mypyc" or "pure Python (why)"

from .compile import check_query, compile_query, compile_rules  # noqa: E402 (after select)
from .engine import RuleSet  # noqa: E402
from .fold import fold, tokenize  # noqa: E402

__all__ = [
    "BUILD",
    "COMPILED",
    "RuleSet",
    "check_query",
    "compile_query",
    "compile_rules",
    "fold",
    "tokenize",
]
