"""Assessments, the consents that let an organisation fill one on an enterprise's behalf, and evidence."""

from __future__ import annotations

from sqlalchemy import Boolean, Column, DateTime, Index, Integer, String, Table, Text, func, text
from sqlalchemy.dialects.postgresql import JSONB

from .tables import metadata

assessments = Table(
    "assessments",
    metadata,
    Column("id", String(36), primary_key=True),
    Column("enterprise_id", String(100), nullable=False),
    Column("uscc", String(18), nullable=False),
    Column("district", String(50)),
    Column("sector", String(50)),
    Column("kind", String(10), nullable=False),
    Column("stage", String(30), nullable=False),
    Column("state", String(20), nullable=False),
    Column("edition_id", String(100), nullable=False),
    Column("edition_version", String(120), nullable=False),
    Column("answers", JSONB, nullable=False),
    Column("filled_by_org", String(100)),
    Column("created_by", String(100), nullable=False),
    # Set on submission:
    Column("pilot", Boolean),
    Column("official_record", Boolean),
    # False: a practice assessment of an unverified enterprise (revision practice_0001); null before then.
    Column("counts", Boolean),
    Column("result", JSONB),
    Column("level", Integer),
    Column("total_milli", Integer),
    Column("submitted_by", String(100)),
    Column("submitted_at", DateTime(timezone=True)),
    Column("version", Integer, nullable=False, server_default="1"),
    Column("created_at", DateTime(timezone=True), nullable=False, server_default=func.now()),
    Column("updated_at", DateTime(timezone=True), nullable=False, server_default=func.now()),
    Index("ix_assessments_enterprise", "enterprise_id", "state", "submitted_at"),
    Index("ix_assessments_filler", "filled_by_org"),
    Index("ix_assessments_district", "district", "state"),
)

consents = Table(
    "consents",
    metadata,
    Column("id", String(36), primary_key=True),
    Column("enterprise_id", String(100), nullable=False),
    Column("organisation_id", String(100), nullable=False),
    Column("granted_by", String(100), nullable=False),
    Column("granted_at", DateTime(timezone=True), nullable=False, server_default=func.now()),
    Column("revoked_by", String(100)),
    Column("revoked_at", DateTime(timezone=True)),
    Column("version", Integer, nullable=False, server_default="1"),
    # one standing consent per (enterprise, organisation)
    Index(
        "ux_consent_active", "enterprise_id", "organisation_id", unique=True, postgresql_where=text("revoked_at IS NULL")
    ),
)

evidence = Table(
    "evidence",
    metadata,
    Column("id", String(36), primary_key=True),
    Column("assessment_id", String(36), nullable=False, index=True),
    Column("target", String(20), nullable=False),
    Column("filename", String(300), nullable=False),
    Column("content_type", String(200), nullable=False),
    Column("size", Integer, nullable=False),
    Column("sha256", String(64), nullable=False),
    Column("storage_key", Text, nullable=False),
    Column("uploaded_by", String(100), nullable=False),
    Column("uploaded_at", DateTime(timezone=True), nullable=False, server_default=func.now()),
)
