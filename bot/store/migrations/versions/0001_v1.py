"""The schema of the first release.

As it was (``meta.schema_version`` = 1): a database made by that release has every table here
and no ``alembic_version``; ``bot.store.db.migrate`` stamps it at 0001. Never edit.

Revision ID: 0001
Revises: (none)
"""

from __future__ import annotations

import time

import sqlalchemy as sa
from alembic import op

revision = "0001"
down_revision = None
branch_labels = None
depends_on = None


def _serial_id() -> sa.Column[int]:
    return sa.Column(
        "id",
        sa.BigInteger().with_variant(sa.Integer, "sqlite"),
        primary_key=True,
        autoincrement=True,
    )


def upgrade() -> None:
    meta = op.create_table(
        "meta",
        sa.Column("key", sa.String(64), primary_key=True),
        sa.Column("value", sa.Text, nullable=False),
    )
    op.create_table(
        "feeds",
        sa.Column("id", sa.String(64), primary_key=True),
        sa.Column("url", sa.Text, nullable=False),
        sa.Column("name", sa.Text),
        sa.Column("interval", sa.Float, nullable=False),
        sa.Column("source", sa.String(16), nullable=False, server_default="rules"),
        sa.Column("trusted", sa.Boolean, nullable=False, server_default=sa.true()),
        sa.Column("added_by", sa.BigInteger),
        sa.Column("active", sa.Boolean, nullable=False, server_default=sa.true()),
        sa.Column("etag", sa.Text),
        sa.Column("last_modified", sa.Text),
        sa.Column("moved_to", sa.Text),
        sa.Column("redirect_url", sa.Text),
        sa.Column("redirect_count", sa.Integer, nullable=False, server_default="0"),
        sa.Column("polled_once", sa.Boolean, nullable=False, server_default=sa.false()),
        sa.Column("last_attempt", sa.Float),
        sa.Column("last_success", sa.Float),
        sa.Column("last_new_entry", sa.Float),
        sa.Column("failures", sa.Integer, nullable=False, server_default="0"),
        sa.Column("last_error", sa.Text),
        sa.Column("failing_notified", sa.Boolean, nullable=False, server_default=sa.false()),
        sa.Column("next_poll", sa.Float),
        sa.Column("polls", sa.Integer, nullable=False, server_default="0"),
        sa.Column("not_modified", sa.Integer, nullable=False, server_default="0"),
        sa.Column("publish_gap", sa.Float),
        sa.Column("created_at", sa.Float, nullable=False),
    )
    op.create_table(
        "entries",
        _serial_id(),
        sa.Column("feed_id", sa.String(64), nullable=False),
        sa.Column("key", sa.Text, nullable=False),
        sa.Column("story_key", sa.Text, nullable=False),
        sa.Column("title", sa.Text, nullable=False),
        sa.Column("link", sa.Text),
        sa.Column("summary", sa.Text, nullable=False, server_default=""),
        sa.Column("published", sa.Float),
        sa.Column("seen_at", sa.Float, nullable=False),
        sa.UniqueConstraint("feed_id", "key", name="uq_entries_feed_key"),
    )
    op.create_index("ix_entries_story", "entries", ["story_key"])
    op.create_index("ix_entries_feed_title", "entries", ["feed_id", "title"])
    op.create_table(
        "chats",
        sa.Column("id", sa.BigInteger, primary_key=True, autoincrement=False),
        sa.Column("type", sa.String(16), nullable=False, server_default="private"),
        sa.Column("title", sa.Text),
        sa.Column("active", sa.Boolean, nullable=False, server_default=sa.true()),
        sa.Column("muted_until", sa.Float),
        sa.Column("digest", sa.String(8), nullable=False, server_default="off"),
        sa.Column("quiet", sa.String(16)),
        sa.Column("timezone", sa.String(64), nullable=False, server_default="UTC"),
        sa.Column("link_preview", sa.Boolean, nullable=False, server_default=sa.false()),
        sa.Column("created_at", sa.Float, nullable=False),
    )
    op.create_table(
        "subscriptions",
        sa.Column(
            "chat_id",
            sa.BigInteger,
            sa.ForeignKey("chats.id", ondelete="CASCADE"),
            primary_key=True,
        ),
        sa.Column("rule_id", sa.String(64), primary_key=True),
        sa.Column("thread_id", sa.BigInteger, primary_key=True, server_default="0"),
        sa.Column("created_at", sa.Float, nullable=False),
    )
    op.create_table(
        "watches",
        _serial_id(),
        sa.Column(
            "chat_id",
            sa.BigInteger,
            sa.ForeignKey("chats.id", ondelete="CASCADE"),
            nullable=False,
        ),
        sa.Column("thread_id", sa.BigInteger, nullable=False, server_default="0"),
        sa.Column("query", sa.Text, nullable=False),
        sa.Column("created_at", sa.Float, nullable=False),
    )
    op.create_index("ix_watches_chat", "watches", ["chat_id"])
    op.create_table(
        "outbox",
        _serial_id(),
        sa.Column("chat_id", sa.BigInteger, nullable=False),
        sa.Column("thread_id", sa.BigInteger, nullable=False, server_default="0"),
        sa.Column("state", sa.String(8), nullable=False),
        sa.Column("kind", sa.String(8), nullable=False, server_default="alert"),
        sa.Column("parts_sent", sa.Integer, nullable=False, server_default="0"),
        sa.Column("not_before", sa.Float, nullable=False),
        sa.Column("lease_until", sa.Float),
        sa.Column("attempts", sa.Integer, nullable=False, server_default="0"),
        sa.Column("maybe_sent", sa.Boolean, nullable=False, server_default=sa.false()),
        sa.Column("created_at", sa.Float, nullable=False),
        sa.Column("sent_at", sa.Float),
        sa.Column("message_id", sa.BigInteger),
        sa.Column("error", sa.Text),
    )
    op.create_index("ix_outbox_due", "outbox", ["state", "not_before"])
    op.create_index("ix_outbox_chat", "outbox", ["chat_id", "state"])
    op.create_table(
        "outbox_items",
        sa.Column(
            "outbox_id",
            sa.BigInteger,
            sa.ForeignKey("outbox.id", ondelete="CASCADE"),
            primary_key=True,
        ),
        sa.Column(
            "entry_id",
            sa.BigInteger,
            sa.ForeignKey("entries.id", ondelete="CASCADE"),
            primary_key=True,
        ),
        sa.Column("rules", sa.Text, nullable=False),
        sa.Column("spans", sa.Text, nullable=False, server_default="[]"),
    )
    op.create_table(
        "alert_keys",
        sa.Column("chat_id", sa.BigInteger, primary_key=True),
        sa.Column("story_key", sa.Text, primary_key=True),
        sa.Column("created_at", sa.Float, nullable=False),
    )
    op.bulk_insert(
        meta,
        [
            {"key": "schema_version", "value": "1"},
            {"key": "created_at", "value": str(time.time())},
        ],
    )


def downgrade() -> None:
    for table in (
        "alert_keys",
        "outbox_items",
        "outbox",
        "watches",
        "subscriptions",
        "chats",
        "entries",
        "feeds",
        "meta",
    ):
        op.drop_table(table)
