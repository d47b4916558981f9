"""Funding's own tables: policy versions, applications, the award ledger and the facts it consumes.

Money columns are BIGINT fen with a check >= 0; never a float or numeric. The ledger has one row per approved
application (unique), so a repeated request, a replayed event or two officials clicking at once never award twice.
"""

from __future__ import annotations

from sqlalchemy import (
    BigInteger,
    Boolean,
    CheckConstraint,
    Column,
    Date,
    DateTime,
    Index,
    Integer,
    String,
    Table,
    Text,
    UniqueConstraint,
    func,
    text,
)
from sqlalchemy.dialects.postgresql import JSONB

from .tables import metadata

# One row per content: ``<policy id>@<first 12 hex of the file's SHA-256>``; ``seq`` orders uploads.
policy_versions = Table(
    "funding_policy_versions",
    metadata,
    Column("version_id", String(120), primary_key=True),
    Column("seq", BigInteger, nullable=False, unique=True),
    Column("policy_id", String(100), nullable=False, index=True),
    Column("jurisdiction", String(50), nullable=False),
    Column("content_hash", String(64), nullable=False),
    Column("title", String(300), nullable=False),
    Column("status", String(20), nullable=False),
    Column("valid_from", Date, nullable=False),
    Column("valid_until", Date),
    Column("effective_from", Date, nullable=False),
    Column("yaml_text", Text, nullable=False),
    Column("shipped", Boolean, nullable=False, server_default="false"),
    Column("uploaded_by", String(100), nullable=False),
    Column("uploaded_at", DateTime(timezone=True), nullable=False, server_default=func.now()),
)

applications = Table(
    "funding_applications",
    metadata,
    Column("id", String(36), primary_key=True),
    Column("policy_version_id", String(120), nullable=False),
    Column("policy_id", String(100), nullable=False),
    Column("measure_id", String(100), nullable=False),
    Column("clause", String(100), nullable=False),
    Column("award_group", String(100), nullable=False),
    Column("applicant_id", String(100), nullable=False, index=True),
    Column("applicant_uscc", String(18), nullable=False),
    Column("applicant_kind", String(50), nullable=False),
    Column("district", String(50)),
    Column("project_id", String(100), nullable=False),
    Column("state", String(20), nullable=False),
    Column("applied_on", Date, nullable=False),
    Column("inputs", JSONB, nullable=False),
    Column("facts", JSONB, nullable=False, server_default="{}"),
    Column("created_by", String(100), nullable=False),
    Column("submitted_by", String(100)),
    Column("submitted_on", Date),
    Column("reviewed_by", String(100)),
    Column("reviewed_on", Date),
    Column("review_note", String(2000)),
    Column("decided_by", String(100)),
    Column("decided_on", Date),
    Column("reasons", JSONB),
    Column("computed_amount_fen", BigInteger),
    Column("amount_fen", BigInteger),
    Column("draft_policy", Boolean, nullable=False, server_default="false"),
    # what the decision relied on, frozen: policy version, inputs, facts, prior awards; and the trace it gave
    Column("frozen", JSONB),
    Column("trace", JSONB),
    Column("version", Integer, nullable=False, server_default="1"),
    Column("created_at", DateTime(timezone=True), nullable=False, server_default=func.now()),
    CheckConstraint("computed_amount_fen >= 0 AND amount_fen >= 0", name="ck_funding_application_money"),
    Index("ix_funding_applications_project", "project_id"),
)

# Evidence files (佐证材料) of an application: the bank's interest statement, contracts, invoices, acceptance reports.
evidence = Table(
    "funding_evidence",
    metadata,
    Column("id", String(36), primary_key=True),
    Column("application_id", String(36), nullable=False, index=True),
    Column("kind", String(50), nullable=False),
    Column("filename", String(300), nullable=False),
    Column("content_type", String(100), nullable=False),
    Column("size", BigInteger, nullable=False),
    Column("sha256", String(64), nullable=False),
    Column("storage_key", String(300), nullable=False),
    Column("uploaded_by", String(100), nullable=False),
    Column("uploaded_at", DateTime(timezone=True), nullable=False, server_default=func.now()),
)

# The award ledger: one row per approved application.
awards = Table(
    "funding_awards",
    metadata,
    Column("id", String(36), primary_key=True),
    Column("application_id", String(36), nullable=False),
    Column("applicant_id", String(100), nullable=False),
    Column("uscc", String(18), nullable=False, index=True),
    Column("policy_id", String(100), nullable=False),
    Column("policy_version_id", String(120), nullable=False),
    Column("measure_id", String(100), nullable=False),
    Column("award_group", String(100), nullable=False),
    Column("project_id", String(100), nullable=False, index=True),
    Column("district", String(50)),
    Column("decided_on", Date, nullable=False),
    Column("year", Integer, nullable=False),
    Column("amount_fen", BigInteger, nullable=False),
    Column("created_at", DateTime(timezone=True), nullable=False, server_default=func.now()),
    CheckConstraint("amount_fen >= 0", name="ck_funding_award_amount"),
    UniqueConstraint("application_id", name="ux_funding_award_application"),
)

# Facts consumed: diagnosis projects completed (S0 三(三)), assessment levels, traction-unit tiers.
diagnosis_completions = Table(
    "funding_diagnosis_completions",
    metadata,
    Column("project_id", String(100), primary_key=True),
    Column("enterprise_id", String(100), nullable=False),
    Column("provider_id", String(100), nullable=False),
    Column("completed_on", Date, nullable=False),
    Column("fee_fen", BigInteger),
    Column("level", Integer),
    CheckConstraint("fee_fen >= 0", name="ck_funding_diagnosis_fee"),
)

levels = Table(
    "funding_levels",
    metadata,
    Column("assessment_id", String(100), primary_key=True),
    Column("enterprise_id", String(100), nullable=False, index=True),
    Column("stage", String(20), nullable=False),
    Column("level", Integer, nullable=False),
    Column("official", Boolean, nullable=False),
    Column("recorded_at", DateTime(timezone=True), nullable=False, server_default=func.now()),
)

tiers = Table(
    "funding_tiers",
    metadata,
    Column("cycle_id", String(100), primary_key=True),
    Column("provider_id", String(100), primary_key=True),
    Column("year", Integer, nullable=False),
    Column("tier", String(10), nullable=False),
    Column("model_version", String(100), nullable=False),
)

# A project may have at most one open-or-approved application per measure (drafts and rejections aside).
Index("ux_funding_application_measure_project", applications.c.measure_id, applications.c.project_id, unique=True,
      postgresql_where=text("state IN ('submitted', 'reviewed', 'approved')"))
