"""Industry common solutions (行业共性解决方案) and annual work plans (年度转型工作计划).

Revision ID: matching_0004
Revises: matching_0003
"""

import sqlalchemy as sa
from alembic import op
from sqlalchemy.dialects import postgresql

revision = "matching_0004"
down_revision = "matching_0003"
branch_labels = None
depends_on = None


def upgrade() -> None:
    op.create_table(
        "solutions",
        sa.Column("id", sa.String(length=36), nullable=False),
        sa.Column("lead_organisation_id", sa.String(length=100), nullable=False),
        sa.Column("partner_organisation_ids", postgresql.JSONB(astext_type=sa.Text()), nullable=False),
        sa.Column("confirmations", postgresql.JSONB(astext_type=sa.Text()), nullable=False),
        sa.Column("title", sa.String(length=200), nullable=False),
        sa.Column("sector", sa.String(length=50), nullable=False),
        sa.Column("summary", sa.Text(), nullable=False),
        sa.Column("products", postgresql.JSONB(astext_type=sa.Text()), nullable=False),
        sa.Column("state", sa.String(length=30), nullable=False),
        sa.Column("published_on", sa.Date(), nullable=True),
        sa.Column("created_by", sa.String(length=100), nullable=False),
        sa.Column("created_at", sa.DateTime(timezone=True), server_default=sa.text("now()"), nullable=False),
        sa.Column("version", sa.Integer(), nullable=False),
        sa.PrimaryKeyConstraint("id"),
    )
    op.create_index("ix_solutions_lead_organisation_id", "solutions", ["lead_organisation_id"], unique=False)
    op.create_table(
        "work_plans",
        sa.Column("id", sa.String(length=36), nullable=False),
        sa.Column("organisation_id", sa.String(length=100), nullable=False),
        sa.Column("year", sa.Integer(), nullable=False),
        sa.Column("targets", postgresql.JSONB(astext_type=sa.Text()), nullable=False),
        sa.Column("filed_by", sa.String(length=100), nullable=False),
        sa.Column("filed_on", sa.Date(), nullable=False),
        sa.PrimaryKeyConstraint("id"),
    )
    op.create_index("ux_work_plans_year", "work_plans", ["organisation_id", "year"], unique=True)


def downgrade() -> None:
    op.drop_index("ux_work_plans_year", table_name="work_plans")
    op.drop_table("work_plans")
    op.drop_index("ix_solutions_lead_organisation_id", table_name="solutions")
    op.drop_table("solutions")
