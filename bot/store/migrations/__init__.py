"""The schema's history as Alembic revisions, run by ``bot.store.db.migrate`` (never by hand:
no ``alembic.ini``; ``newsbot db upgrade`` and ``newsbot run`` are the ways in).

    versions/0001_v1.py        the schema of the first release, as it was (frozen: never edit)
    versions/0002_stories.py   stories: entries.story_id, chats.stories, outbox.story_id and the
                               story_alerts ledger, filled from the v1 rows
    versions/0003_leases.py    several instances: feed leases and the instances table
    versions/0004_retention.py retention: entries.last_seen, feeds.document_at, prune indexes

A brand-new database is built by running every revision, so the revisions alone must give
``bot.store.schema.metadata``: tests/store/test_migrations.py compares them with Alembic's
autogenerate on SQLite and PostgreSQL. To change the schema, change ``schema.py`` and add a
revision ``NNNN_what.py`` beside the others (``down_revision`` = the previous one) written with
``op.batch_alter_table`` so SQLite can alter columns; a revision must not import ``schema``:
it describes the tables as they were when it was written.

Revisions run inside the caller's transaction (``env.py``), which on PostgreSQL holds an
advisory lock and on SQLite is ``BEGIN IMMEDIATE`` with foreign keys off (SQLite recreates a
table to alter it; a cascading foreign key would otherwise empty the tables that point at it).
"""
