"""The enterprise file (一企一档): one timeline per organisation, assembled from every service's facts."""

from __future__ import annotations

from sqlalchemy import BigInteger, Column, DateTime, Identity, Index, String, Table, func
from sqlalchemy.dialects.postgresql import JSONB

from .tables import metadata

enterprise_file_entries = Table(
    "enterprise_file_entries",
    metadata,
    Column("id", BigInteger, Identity(always=True), primary_key=True),
    Column("organisation_id", String(100), nullable=False),
    Column("event_id", String(100), nullable=False, unique=True),
    Column("event_type", String(200), nullable=False),
    Column("source", String(50), nullable=False),
    Column("title_zh", String(200), nullable=False),
    Column("occurred_at", DateTime(timezone=True), nullable=False),
    Column("data", JSONB, nullable=False),
    Column("recorded_at", DateTime(timezone=True), nullable=False, server_default=func.now()),
    Index("ix_enterprise_file_org_time", "organisation_id", "occurred_at"),
)
