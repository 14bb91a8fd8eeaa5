"""Operator configuration: the rules file and durations."""

from bot.config.durations import format_duration, parse_duration
from bot.config.rulesfile import load_rules, parse_rules

__all__ = ["format_duration", "load_rules", "parse_duration", "parse_rules"]
