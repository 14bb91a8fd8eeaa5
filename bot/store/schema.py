"""The database schema (SQLAlchemy Core). Times are UTC epoch seconds (floats) so SQLite and
PostgreSQL store them alike. Every change ships as an Alembic revision in
``bot/store/migrations/versions/`` (``tests/store/test_migrations.py`` checks that the revisions
build exactly this metadata), so a running database upgrades in place.

    feeds ─┬─< entries ─┬─< outbox_items >─ outbox ──> chats
           │            └── (story_key)                 │
           └── HTTP cache + health                      ├─< subscriptions (rule ids)
                                                        └─< watches (personal queries)
    story_alerts (chat_id, story_id): the ledger of stories a chat got, and the message to
        edit when more outlets report one; alert_keys (chat_id, story_key): the ledger of
        canonical links, for chats with stories off.

What is kept how long: bot.store.retention (NEWSBOT_RETENTION) and docs/architecture.md.
"""

from __future__ import annotations

import sqlalchemy as sa

metadata = sa.MetaData()


def _serial_id() -> sa.Column[int]:
    """An auto-incrementing 64-bit id (SQLite wants INTEGER for its rowid alias)."""
    return sa.Column(
        "id",
        sa.BigInteger().with_variant(sa.Integer, "sqlite"),
        primary_key=True,
        autoincrement=True,
    )


meta = sa.Table(
    "meta",
    metadata,
    sa.Column("key", sa.String(64), primary_key=True),
    sa.Column("value", sa.Text, nullable=False),
)

feeds = sa.Table(
    "feeds",
    metadata,
    sa.Column("id", sa.String(64), primary_key=True),
    sa.Column("url", sa.Text, nullable=False),
    sa.Column("name", sa.Text),
    sa.Column("interval", sa.Float, nullable=False),
    sa.Column("source", sa.String(16), nullable=False, server_default="rules"),  # rules|chat|opml
    sa.Column("trusted", sa.Boolean, nullable=False, server_default=sa.true()),
    sa.Column("added_by", sa.BigInteger),
    sa.Column("active", sa.Boolean, nullable=False, server_default=sa.true()),
    # HTTP cache state
    sa.Column("etag", sa.Text),
    sa.Column("last_modified", sa.Text),
    sa.Column("moved_to", sa.Text),  # a confirmed permanent redirect: fetch this instead of url
    sa.Column("redirect_url", sa.Text),  # a permanent redirect seen, not yet confirmed
    sa.Column("redirect_count", sa.Integer, nullable=False, server_default="0"),
    # health and schedule
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
    sa.Column("publish_gap", sa.Float),  # smoothed seconds between new entries
    sa.Column("created_at", sa.Float, nullable=False),
    # several instances (PostgreSQL): who polls the feed now, until when (revision 0003)
    sa.Column("lease_owner", sa.String(128)),
    sa.Column("lease_until", sa.Float),
    # when the feed last served a document whose entries' ``last_seen`` were brought up to
    # date (revision 0004, bot.store.retention): older rows are not in its current document
    sa.Column("document_at", sa.Float),
    sa.Index("ix_feeds_next_poll", "next_poll"),
)

entries = sa.Table(
    "entries",
    metadata,
    _serial_id(),
    sa.Column("feed_id", sa.String(64), nullable=False),
    sa.Column("key", sa.Text, nullable=False),
    sa.Column("story_key", sa.Text, nullable=False),
    sa.Column("title", sa.Text, nullable=False),
    sa.Column("link", sa.Text),
    sa.Column("summary", sa.Text, nullable=False, server_default=""),
    sa.Column("published", sa.Float),
    sa.Column("seen_at", sa.Float, nullable=False),
    # the story: the id of its first entry (same canonical link, or the same event, see
    # bot.story); NULL only for rows written before stories, until the migration fills it
    sa.Column("story_id", sa.BigInteger),
    # the last time the feed served it, kept within a day (revision 0004): what retention
    # goes by, so an item a feed still serves keeps its row (dedup) however old it is
    sa.Column("last_seen", sa.Float),
    sa.UniqueConstraint("feed_id", "key", name="uq_entries_feed_key"),
    sa.Index("ix_entries_story", "story_key"),
    sa.Index("ix_entries_story_id", "story_id"),
    sa.Index("ix_entries_feed_title", "feed_id", "title"),
    sa.Index("ix_entries_last_seen", "last_seen", "id"),
)

chats = sa.Table(
    "chats",
    metadata,
    sa.Column("id", sa.BigInteger, primary_key=True, autoincrement=False),
    sa.Column("type", sa.String(16), nullable=False, server_default="private"),
    sa.Column("title", sa.Text),
    sa.Column("active", sa.Boolean, nullable=False, server_default=sa.true()),
    sa.Column("muted_until", sa.Float),
    sa.Column("digest", sa.String(8), nullable=False, server_default="off"),  # off|hourly|daily
    sa.Column("quiet", sa.String(16)),  # "HH:MM-HH:MM" local time
    sa.Column("timezone", sa.String(64), nullable=False, server_default="UTC"),
    sa.Column("link_preview", sa.Boolean, nullable=False, server_default=sa.false()),
    # one alert per story, edited as more outlets report it (/stories off: one per report)
    sa.Column("stories", sa.Boolean, nullable=False, server_default=sa.true()),
    sa.Column("created_at", sa.Float, nullable=False),
)

subscriptions = sa.Table(
    "subscriptions",
    metadata,
    sa.Column(
        "chat_id", sa.BigInteger, sa.ForeignKey("chats.id", ondelete="CASCADE"), primary_key=True
    ),
    sa.Column("rule_id", sa.String(64), primary_key=True),
    sa.Column("thread_id", sa.BigInteger, primary_key=True, server_default="0"),  # 0: no topic
    sa.Column("created_at", sa.Float, nullable=False),
)

watches = sa.Table(
    "watches",
    metadata,
    _serial_id(),
    sa.Column(
        "chat_id", sa.BigInteger, sa.ForeignKey("chats.id", ondelete="CASCADE"), nullable=False
    ),
    sa.Column("thread_id", sa.BigInteger, nullable=False, server_default="0"),
    sa.Column("query", sa.Text, nullable=False),
    sa.Column("created_at", sa.Float, nullable=False),
    sa.Index("ix_watches_chat", "chat_id"),
)

outbox = sa.Table(
    "outbox",
    metadata,
    _serial_id(),
    sa.Column("chat_id", sa.BigInteger, nullable=False),
    sa.Column("thread_id", sa.BigInteger, nullable=False, server_default="0"),
    sa.Column("state", sa.String(8), nullable=False),  # AlertState
    sa.Column("kind", sa.String(8), nullable=False, server_default="alert"),  # AlertKind
    sa.Column("story_id", sa.BigInteger),  # kind "edit": the story whose alert is edited
    sa.Column("parts_sent", sa.Integer, nullable=False, server_default="0"),
    sa.Column("not_before", sa.Float, nullable=False),
    sa.Column("lease_until", sa.Float),
    sa.Column("attempts", sa.Integer, nullable=False, server_default="0"),
    sa.Column("maybe_sent", sa.Boolean, nullable=False, server_default=sa.false()),
    sa.Column("created_at", sa.Float, nullable=False),
    sa.Column("sent_at", sa.Float),
    sa.Column("message_id", sa.BigInteger),
    sa.Column("error", sa.Text),
    sa.Index("ix_outbox_due", "state", "not_before"),
    sa.Index("ix_outbox_chat", "chat_id", "state"),
)

outbox_items = sa.Table(
    "outbox_items",
    metadata,
    sa.Column(
        "outbox_id", sa.BigInteger, sa.ForeignKey("outbox.id", ondelete="CASCADE"), primary_key=True
    ),
    sa.Column(
        "entry_id", sa.BigInteger, sa.ForeignKey("entries.id", ondelete="CASCADE"), primary_key=True
    ),
    sa.Column("rules", sa.Text, nullable=False),  # JSON list of rule titles
    sa.Column(
        "spans", sa.Text, nullable=False, server_default="[]"
    ),  # JSON [[field, start, end], ...]
    sa.Index("ix_outbox_items_entry", "entry_id"),
)

story_alerts = sa.Table(
    "story_alerts",
    metadata,
    sa.Column("chat_id", sa.BigInteger, primary_key=True),
    sa.Column("story_id", sa.BigInteger, primary_key=True),
    sa.Column("targets", sa.Text),  # JSON list of the rule and watch ids alerted; NULL: all
    sa.Column("outbox_id", sa.BigInteger),  # the message edited as more outlets report it
    sa.Column("created_at", sa.Float, nullable=False),
    sa.Index("ix_story_alerts_story", "story_id"),
    sa.Index("ix_story_alerts_outbox", "outbox_id"),
    sa.Index("ix_story_alerts_created", "created_at"),
)

alert_keys = sa.Table(
    "alert_keys",
    metadata,
    sa.Column("chat_id", sa.BigInteger, primary_key=True),
    sa.Column("story_key", sa.Text, primary_key=True),
    sa.Column("created_at", sa.Float, nullable=False),
    sa.Index("ix_alert_keys_created", "created_at"),
)

# the running instances (revision 0003): alive while ``seen`` is recent
instances = sa.Table(
    "instances",
    metadata,
    sa.Column("id", sa.String(128), primary_key=True),
    sa.Column("host", sa.Text, nullable=False),
    sa.Column("pid", sa.Integer, nullable=False),
    sa.Column("started", sa.Float, nullable=False),
    sa.Column("seen", sa.Float, nullable=False),
    sa.Column("roles", sa.Text, nullable=False, server_default=""),
    sa.Column("polled", sa.Integer, nullable=False, server_default="0"),
)
