"""Funding: transformation projects (数字化改造项目), their reports and findings, the catalogue's admitted versions.

Revision ID: projects_0002
Revises: projects_0001
"""

import sqlalchemy as sa
from alembic import op
from sqlalchemy.dialects import postgresql

revision = "projects_0002"
down_revision = "projects_0001"
branch_labels = None
depends_on = None


def upgrade() -> None:
    op.create_table(
        "funding_catalog_versions",
        sa.Column("product_id", sa.String(length=100), nullable=False),
        sa.Column("version", sa.Integer(), nullable=False),
        sa.Column("organisation_id", sa.String(length=100), nullable=False),
        sa.Column("catalogue_number", sa.String(length=100), nullable=False),
        sa.Column("name", sa.String(length=300), nullable=False),
        sa.Column("packages", postgresql.JSONB(), nullable=False),
        sa.Column("admitted_on", sa.Date(), nullable=False),
        sa.Column("recorded_at", sa.DateTime(timezone=True), server_default=sa.text("now()"), nullable=False),
        sa.PrimaryKeyConstraint("product_id", "version"),
    )
    op.create_index("ix_funding_catalog_versions_organisation_id", "funding_catalog_versions", ["organisation_id"])
    op.create_table(
        "funding_projects",
        sa.Column("id", sa.String(length=36), nullable=False),
        sa.Column("enterprise_id", sa.String(length=100), nullable=False),
        sa.Column("enterprise_uscc", sa.String(length=18), nullable=False),
        sa.Column("district", sa.String(length=50), nullable=True),
        sa.Column("traction_unit_id", sa.String(length=100), nullable=False),
        sa.Column("title_id", sa.String(length=100), nullable=False),
        sa.Column("state", sa.String(length=30), nullable=False),
        sa.Column("contract_number", sa.String(length=100), nullable=False),
        sa.Column("contract_amount_fen", sa.BigInteger(), nullable=False),
        sa.Column("declared_investment_fen", sa.BigInteger(), nullable=False),
        sa.Column("approved_investment_fen", sa.BigInteger(), nullable=True),
        sa.Column("verified_actual_investment_fen", sa.BigInteger(), nullable=True),
        sa.Column("lines", postgresql.JSONB(), nullable=False),
        sa.Column("milestones", postgresql.JSONB(), nullable=False),
        sa.Column("price_flagged", sa.Boolean(), server_default="false", nullable=False),
        sa.Column("flag", sa.String(length=1000), nullable=True),
        sa.Column("progress_percent", sa.Integer(), server_default="0", nullable=False),
        sa.Column("contracted_on", sa.Date(), nullable=True),
        sa.Column("checked_by", sa.String(length=100), nullable=True),
        sa.Column("checked_on", sa.Date(), nullable=True),
        sa.Column("completed_on", sa.Date(), nullable=True),
        sa.Column("created_by", sa.String(length=100), nullable=False),
        sa.Column("version", sa.Integer(), server_default="1", nullable=False),
        sa.Column("created_at", sa.DateTime(timezone=True), server_default=sa.text("now()"), nullable=False),
        sa.CheckConstraint("contract_amount_fen >= 0 AND declared_investment_fen >= 0 AND approved_investment_fen >= 0 "
                           "AND verified_actual_investment_fen >= 0", name="ck_funding_project_money"),
        sa.PrimaryKeyConstraint("id"),
    )
    op.create_index("ix_funding_projects_enterprise_id", "funding_projects", ["enterprise_id"])
    op.create_index("ix_funding_projects_traction_unit_id", "funding_projects", ["traction_unit_id"])
    op.create_table(
        "funding_project_reports",
        sa.Column("id", sa.String(length=36), nullable=False),
        sa.Column("project_id", sa.String(length=36), nullable=False),
        sa.Column("kind", sa.String(length=20), nullable=False),
        sa.Column("percent", sa.Integer(), nullable=True),
        sa.Column("milestone", sa.String(length=200), nullable=True),
        sa.Column("text", sa.String(length=4000), nullable=False),
        sa.Column("reported_on", sa.Date(), nullable=False),
        sa.Column("reported_by", sa.String(length=100), nullable=False),
        sa.Column("created_at", sa.DateTime(timezone=True), server_default=sa.text("now()"), nullable=False),
        sa.PrimaryKeyConstraint("id"),
    )
    op.create_index("ix_funding_project_reports_project_id", "funding_project_reports", ["project_id"])


def downgrade() -> None:
    op.drop_table("funding_project_reports")
    op.drop_table("funding_projects")
    op.drop_table("funding_catalog_versions")
