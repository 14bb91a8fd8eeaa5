"""Delivery: the outbox sender, its transports and the rate limiter."""
