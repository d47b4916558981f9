"""Funding: acceptance batches (验收批次), post-transformation assessments kept, a project's acceptance columns.

Revision ID: projects_0003
Revises: projects_0002
"""

import sqlalchemy as sa
from alembic import op
from sqlalchemy.dialects import postgresql

revision = "projects_0003"
down_revision = "projects_0002"
branch_labels = None
depends_on = None


def upgrade() -> None:
    op.create_table(
        "funding_acceptance_batches",
        sa.Column("id", sa.String(length=36), nullable=False),
        sa.Column("name", sa.String(length=200), nullable=False),
        sa.Column("year", sa.Integer(), nullable=False),
        sa.Column("opened_on", sa.Date(), nullable=False),
        sa.Column("closes_on", sa.Date(), nullable=False),
        sa.Column("created_by", sa.String(length=100), nullable=False),
        sa.Column("created_at", sa.DateTime(timezone=True), server_default=sa.text("now()"), nullable=False),
        sa.PrimaryKeyConstraint("id"),
    )
    op.create_table(
        "funding_post_assessments",
        sa.Column("assessment_id", sa.String(length=100), nullable=False),
        sa.Column("enterprise_id", sa.String(length=100), nullable=False),
        sa.Column("kind", sa.String(length=20), nullable=False),
        sa.Column("level", sa.Integer(), nullable=False),
        sa.Column("official", sa.Boolean(), nullable=False),
        sa.Column("taken_on", sa.Date(), nullable=False),
        sa.PrimaryKeyConstraint("assessment_id"),
    )
    op.create_index("ix_funding_post_assessments_enterprise_id", "funding_post_assessments", ["enterprise_id"])
    op.add_column("funding_projects", sa.Column("batch_id", sa.String(length=36), nullable=True))
    op.add_column("funding_projects", sa.Column("invoices", postgresql.JSONB(), nullable=True))
    op.add_column("funding_projects", sa.Column("invoiced_fen", sa.BigInteger(), nullable=True))
    op.add_column("funding_projects", sa.Column("assessment_id", sa.String(length=100), nullable=True))
    op.add_column("funding_projects", sa.Column("post_level", sa.Integer(), nullable=True))


def downgrade() -> None:
    for column in ("post_level", "assessment_id", "invoiced_fen", "invoices", "batch_id"):
        op.drop_column("funding_projects", column)
    op.drop_table("funding_post_assessments")
    op.drop_table("funding_acceptance_batches")
