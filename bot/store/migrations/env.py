"""Alembic's environment: run the revisions on the connection ``bot.store.db.migrate`` passes
in ``config.attributes["connection"]``, inside its transaction (and lock)."""

from alembic import context

from bot.store import schema

context.configure(
    connection=context.config.attributes["connection"],
    target_metadata=schema.metadata,
    render_as_batch=True,
)
with context.begin_transaction():
    context.run_migrations()
