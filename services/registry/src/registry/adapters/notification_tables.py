"""In-app notifications per account, and scheduled reminders that become notifications when due."""

from __future__ import annotations

from sqlalchemy import BigInteger, Column, Date, DateTime, Identity, Index, String, Table, Text, UniqueConstraint, func, text

from .tables import metadata

notifications = Table(
    "notifications",
    metadata,
    Column("id", BigInteger, Identity(always=True), primary_key=True),
    Column("account_id", String(36), nullable=False),
    Column("kind", String(50), nullable=False),
    Column("title_zh", String(200), nullable=False),
    Column("body_zh", Text, nullable=False),
    Column("ref_type", String(50)),
    Column("ref_id", String(100)),
    Column("source_key", String(150), nullable=False, doc="event id or reminder id: one notice per account and source"),
    Column("created_at", DateTime(timezone=True), nullable=False, server_default=func.now()),
    Column("read_at", DateTime(timezone=True)),
    Column("email_status", String(20), nullable=False, server_default="pending"),
    Column("emailed_at", DateTime(timezone=True)),
    UniqueConstraint("account_id", "source_key", name="uq_notification_source"),
    Index("ix_notifications_inbox", "account_id", "created_at"),
    Index("ix_notifications_mail", "id", postgresql_where=text("email_status = 'pending'")),
)

reminders = Table(
    "reminders",
    metadata,
    Column("id", BigInteger, Identity(always=True), primary_key=True),
    Column("account_id", String(36), nullable=False),
    Column("kind", String(50), nullable=False),
    Column("remind_on", Date, nullable=False),
    Column("title_zh", String(200), nullable=False),
    Column("body_zh", Text, nullable=False),
    Column("ref_type", String(50)),
    Column("ref_id", String(100)),
    Column("fired_at", DateTime(timezone=True)),
    Column("cancelled_at", DateTime(timezone=True)),
    UniqueConstraint("account_id", "kind", "ref_id", name="uq_reminder"),
    Index("ix_reminders_due", "remind_on", postgresql_where=text("fired_at IS NULL AND cancelled_at IS NULL")),
)
