"""Titles granted on selection (e.g. 广州市四化赋能重点平台) and the per-kind, per-year number sequences."""

from __future__ import annotations

from sqlalchemy import Column, Date, DateTime, Index, Integer, PrimaryKeyConstraint, String, Table, func

from .tables import metadata

titles = Table(
    "titles",
    metadata,
    Column("id", String(36), primary_key=True),
    Column("number", String(60), nullable=False, unique=True),
    Column("kind", String(64), nullable=False),
    Column("name_zh", String(200), nullable=False),
    Column("organisation_id", String(36), nullable=False, index=True),
    Column("call_id", String(36)),
    Column("application_id", String(36)),
    Column("valid_from", Date, nullable=False),
    Column("valid_until", Date, nullable=False),
    Column("revoked_on", Date),
    Column("revocation_reason", String(1000)),
    Column("revoked_by", String(20)),
    Column("revocation_cycle_id", String(100)),
    Column("version", Integer, nullable=False, server_default="1"),
    Column("created_at", DateTime(timezone=True), nullable=False, server_default=func.now()),
    Index("uq_titles_application_id", "application_id", unique=True),  # one title per application (NULL: granted directly)
)

title_sequences = Table(
    "title_sequences",
    metadata,
    Column("kind", String(64), nullable=False),
    Column("year", Integer, nullable=False),
    Column("last", Integer, nullable=False),
    PrimaryKeyConstraint("kind", "year"),
)
