"""Retention: what the pruner goes by, and the indexes that let it find old rows in batches.

``entries.last_seen``: the last time the feed served the entry (kept within a day); filled
with ``seen_at`` for the rows already there. ``feeds.document_at``: when the feed last served
a document whose entries' ``last_seen`` were brought up to date; NULL until its next poll
with a body, and while it is NULL none of that feed's rows is pruned (which of them its
current document holds is not known yet). Indexes: entries by ``last_seen``, outbox items by
entry, the story ledger by carrier message and age, the link ledger by age. No row is removed.

Filling ``last_seen`` rewrites every entry once: on a large database the upgrade holds the
write lock for as long as that takes (about a second per 100,000 entries on SQLite).

Revision ID: 0004
Revises: 0003
"""

from __future__ import annotations

import sqlalchemy as sa
from alembic import op

revision = "0004"
down_revision = "0003"
branch_labels = None
depends_on = None


def upgrade() -> None:
    with op.batch_alter_table("feeds") as batch:
        batch.add_column(sa.Column("document_at", sa.Float))
    with op.batch_alter_table("entries") as batch:
        batch.add_column(sa.Column("last_seen", sa.Float))
    op.execute("UPDATE entries SET last_seen = seen_at")
    op.create_index("ix_entries_last_seen", "entries", ["last_seen", "id"])
    op.create_index("ix_outbox_items_entry", "outbox_items", ["entry_id"])
    op.create_index("ix_story_alerts_outbox", "story_alerts", ["outbox_id"])
    op.create_index("ix_story_alerts_created", "story_alerts", ["created_at"])
    op.create_index("ix_alert_keys_created", "alert_keys", ["created_at"])


def downgrade() -> None:
    op.drop_index("ix_alert_keys_created", "alert_keys")
    op.drop_index("ix_story_alerts_created", "story_alerts")
    op.drop_index("ix_story_alerts_outbox", "story_alerts")
    op.drop_index("ix_outbox_items_entry", "outbox_items")
    op.drop_index("ix_entries_last_seen", "entries")
    with op.batch_alter_table("entries") as batch:
        batch.drop_column("last_seen")
    with op.batch_alter_table("feeds") as batch:
        batch.drop_column("document_at")
