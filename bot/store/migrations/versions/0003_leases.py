"""Instances sharing one database: feed leases and the live-instance registry.

``feeds.lease_owner``/``lease_until``: an instance claims a due feed with ``FOR UPDATE SKIP
LOCKED`` and holds it until it has polled it and written its state (or the lease runs out,
and another instance polls it). ``instances``: each running ``newsbot run`` says it is alive
(``seen``), which roles it holds and how many feeds it polled in the last minute, for
``newsbot status``. Both start empty; no existing row changes.

Revision ID: 0003
Revises: 0002
"""

from __future__ import annotations

import sqlalchemy as sa
from alembic import op

revision = "0003"
down_revision = "0002"
branch_labels = None
depends_on = None


def upgrade() -> None:
    with op.batch_alter_table("feeds") as batch:
        batch.add_column(sa.Column("lease_owner", sa.String(128)))
        batch.add_column(sa.Column("lease_until", sa.Float))
        batch.create_index("ix_feeds_next_poll", ["next_poll"])
    op.create_table(
        "instances",
        sa.Column("id", sa.String(128), primary_key=True),
        sa.Column("host", sa.Text, nullable=False),
        sa.Column("pid", sa.Integer, nullable=False),
        sa.Column("started", sa.Float, nullable=False),
        sa.Column("seen", sa.Float, nullable=False),
        sa.Column("roles", sa.Text, nullable=False, server_default=""),
        sa.Column("polled", sa.Integer, nullable=False, server_default="0"),
    )


def downgrade() -> None:
    op.drop_table("instances")
    with op.batch_alter_table("feeds") as batch:
        batch.drop_index("ix_feeds_next_poll")
        batch.drop_column("lease_until")
        batch.drop_column("lease_owner")
