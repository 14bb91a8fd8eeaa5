"""Stories.

Every entry belongs to a story (``entries.story_id``, the id of its first entry),
chats choose grouping (``chats.stories``), an outbox row of kind "edit" names the story whose
alert it edits (``outbox.story_id``), and ``story_alerts`` records which stories reached which
chat and the message that carried each.

The v1 rows are carried over as the v1 release understood them: its story identity was the
canonical link (``story_key``), so an old entry's story is the first entry with the same link;
its ledger ``alert_keys`` (chat, link) becomes ``story_alerts`` (chat, story) with ``targets``
NULL (all of the chat's rules and watches) and, as the message to edit, the first outbox row
that carried an entry of that story to that chat. Old outbox rows are alerts, floods and
digests, never edits: their ``story_id`` stays NULL. ``alert_keys`` stays (chats with stories
off use it). ``meta.schema_version`` becomes 2 so the v1 release refuses this database.

``entries.story_id`` stays nullable: the recorder inserts an entry, then sets its story in the
same transaction (a new story's id is the entry's own id).

Revision ID: 0002
Revises: 0001
"""

from __future__ import annotations

import sqlalchemy as sa
from alembic import op

revision = "0002"
down_revision = "0001"
branch_labels = None
depends_on = None

meta = sa.table("meta", sa.column("key", sa.String), sa.column("value", sa.Text))
entries = sa.table(
    "entries",
    sa.column("id", sa.BigInteger),
    sa.column("story_key", sa.Text),
    sa.column("story_id", sa.BigInteger),
)
alert_keys = sa.table(
    "alert_keys",
    sa.column("chat_id", sa.BigInteger),
    sa.column("story_key", sa.Text),
    sa.column("created_at", sa.Float),
)
outbox = sa.table("outbox", sa.column("id", sa.BigInteger), sa.column("chat_id", sa.BigInteger))
outbox_items = sa.table(
    "outbox_items", sa.column("outbox_id", sa.BigInteger), sa.column("entry_id", sa.BigInteger)
)


def upgrade() -> None:
    with op.batch_alter_table("entries") as batch:
        batch.add_column(sa.Column("story_id", sa.BigInteger))
        batch.create_index("ix_entries_story_id", ["story_id"])
    with op.batch_alter_table("chats") as batch:
        batch.add_column(sa.Column("stories", sa.Boolean, nullable=False, server_default=sa.true()))
    with op.batch_alter_table("outbox") as batch:
        batch.add_column(sa.Column("story_id", sa.BigInteger))
    story_alerts = op.create_table(
        "story_alerts",
        sa.Column("chat_id", sa.BigInteger, primary_key=True),
        sa.Column("story_id", sa.BigInteger, primary_key=True),
        sa.Column("targets", sa.Text),
        sa.Column("outbox_id", sa.BigInteger),
        sa.Column("created_at", sa.Float, nullable=False),
    )
    op.create_index("ix_story_alerts_story", "story_alerts", ["story_id"])
    assert story_alerts is not None

    first = entries.alias("earliest")
    op.execute(
        entries.update().values(
            story_id=sa.select(sa.func.min(first.c.id))
            .where(first.c.story_key == entries.c.story_key)
            .scalar_subquery()
        )
    )

    story = (
        sa.select(sa.func.min(first.c.id))
        .where(first.c.story_key == alert_keys.c.story_key)
        .scalar_subquery()
    )
    carried = entries.alias("carried")
    carrier = (
        sa.select(sa.func.min(outbox_items.c.outbox_id))
        .select_from(
            outbox_items.join(outbox, outbox.c.id == outbox_items.c.outbox_id).join(
                carried, carried.c.id == outbox_items.c.entry_id
            )
        )
        .where(outbox.c.chat_id == alert_keys.c.chat_id)
        .where(carried.c.story_key == alert_keys.c.story_key)
        .scalar_subquery()
    )
    known = sa.exists().where(first.c.story_key == alert_keys.c.story_key)
    op.execute(
        story_alerts.insert().from_select(
            ["chat_id", "story_id", "targets", "outbox_id", "created_at"],
            sa.select(
                alert_keys.c.chat_id,
                story,
                sa.null(),
                carrier,
                alert_keys.c.created_at,
            ).where(known),
        )
    )
    op.execute(meta.update().where(meta.c.key == "schema_version").values(value="2"))


def downgrade() -> None:
    op.execute(meta.update().where(meta.c.key == "schema_version").values(value="1"))
    op.drop_index("ix_story_alerts_story", table_name="story_alerts")
    op.drop_table("story_alerts")
    with op.batch_alter_table("outbox") as batch:
        batch.drop_column("story_id")
    with op.batch_alter_table("chats") as batch:
        batch.drop_column("stories")
    with op.batch_alter_table("entries") as batch:
        batch.drop_index("ix_entries_story_id")
        batch.drop_column("story_id")
