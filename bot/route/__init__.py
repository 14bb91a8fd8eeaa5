"""Routing: who gets what, as a pure decision (``plan``) the store applies in its transaction."""

from bot.route.plan import Edit, Item, NewAlert, Plan, Report, Route, Sent, plan

__all__ = ["Edit", "Item", "NewAlert", "Plan", "Report", "Route", "Sent", "plan"]
