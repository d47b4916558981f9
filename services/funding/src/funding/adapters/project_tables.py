"""Transformation projects (数字化改造项目), their progress reports and supervision findings, and the catalogue's
admitted product versions as funding knows them (with each package's price in fen, for the price corridor)."""

from __future__ import annotations

from sqlalchemy import BigInteger, Boolean, CheckConstraint, Column, Date, DateTime, Integer, String, Table, func
from sqlalchemy.dialects.postgresql import JSONB

from .tables import metadata

# One row per admitted product version (catalog's product admitted / changed facts); packages: code -> price_fen.
catalog_versions = Table(
    "funding_catalog_versions",
    metadata,
    Column("product_id", String(100), primary_key=True),
    Column("version", Integer, primary_key=True),
    Column("organisation_id", String(100), nullable=False, index=True),
    Column("catalogue_number", String(100), nullable=False),
    Column("name", String(300), nullable=False),
    Column("packages", JSONB, nullable=False),
    Column("admitted_on", Date, nullable=False),
    Column("recorded_at", DateTime(timezone=True), nullable=False, server_default=func.now()),
)

projects = Table(
    "funding_projects",
    metadata,
    Column("id", String(36), primary_key=True),
    Column("enterprise_id", String(100), nullable=False, index=True),
    Column("enterprise_uscc", String(18), nullable=False),
    Column("district", String(50)),
    Column("traction_unit_id", String(100), nullable=False, index=True),
    Column("title_id", String(100), nullable=False),
    Column("state", String(30), nullable=False),
    Column("contract_number", String(100), nullable=False),
    Column("contract_amount_fen", BigInteger, nullable=False),
    Column("declared_investment_fen", BigInteger, nullable=False),
    Column("approved_investment_fen", BigInteger),
    Column("verified_actual_investment_fen", BigInteger),
    Column("lines", JSONB, nullable=False),
    Column("milestones", JSONB, nullable=False),
    Column("price_flagged", Boolean, nullable=False, server_default="false"),
    # set when the traction unit's title was revoked while the project ran: flagged for a decision
    Column("flag", String(1000)),
    Column("progress_percent", Integer, nullable=False, server_default="0"),
    Column("contracted_on", Date),
    Column("checked_by", String(100)),
    Column("checked_on", Date),
    Column("completed_on", Date),
    # acceptance (S2 五(六)(七)): the batch, the invoices (tax-exclusive), the assessment it rests on
    Column("batch_id", String(36)),
    Column("invoices", JSONB),
    Column("invoiced_fen", BigInteger),
    Column("assessment_id", String(100)),
    Column("post_level", Integer),
    Column("created_by", String(100), nullable=False),
    Column("version", Integer, nullable=False, server_default="1"),
    Column("created_at", DateTime(timezone=True), nullable=False, server_default=func.now()),
    CheckConstraint("contract_amount_fen >= 0 AND declared_investment_fen >= 0 AND approved_investment_fen >= 0 "
                    "AND verified_actual_investment_fen >= 0", name="ck_funding_project_money"),
)

# Progress reports (by the traction unit) and supervision findings (监理, by the third party or the city).
project_reports = Table(
    "funding_project_reports",
    metadata,
    Column("id", String(36), primary_key=True),
    Column("project_id", String(36), nullable=False, index=True),
    Column("kind", String(20), nullable=False),
    Column("percent", Integer),
    Column("milestone", String(200)),
    Column("text", String(4000), nullable=False),
    Column("reported_on", Date, nullable=False),
    Column("reported_by", String(100), nullable=False),
    Column("created_at", DateTime(timezone=True), nullable=False, server_default=func.now()),
)

# Acceptance batches (验收批次, S2 五(六)): the city opens one; completed projects apply into it while it is open.
acceptance_batches = Table(
    "funding_acceptance_batches",
    metadata,
    Column("id", String(36), primary_key=True),
    Column("name", String(200), nullable=False),
    Column("year", Integer, nullable=False),
    Column("opened_on", Date, nullable=False),
    Column("closes_on", Date, nullable=False),
    Column("created_by", String(100), nullable=False),
    Column("created_at", DateTime(timezone=True), nullable=False, server_default=func.now()),
)

# Post-transformation assessments as funding knows them (diagnosis's assessment completed), with the day taken.
post_assessments = Table(
    "funding_post_assessments",
    metadata,
    Column("assessment_id", String(100), primary_key=True),
    Column("enterprise_id", String(100), nullable=False, index=True),
    Column("kind", String(20), nullable=False),
    Column("level", Integer, nullable=False),
    Column("official", Boolean, nullable=False),
    Column("taken_on", Date, nullable=False),
)
