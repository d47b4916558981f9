"""Funding: budgets (资金池) per fund source, measure and year, and their movements (reserve, consume, release).

Revision ID: projects_0001
Revises: funding_0001
"""

import sqlalchemy as sa
from alembic import op

revision = "projects_0001"
down_revision = "funding_0001"
branch_labels = None
depends_on = None


def upgrade() -> None:
    op.create_table(
        "funding_budgets",
        sa.Column("id", sa.String(length=36), nullable=False),
        sa.Column("year", sa.Integer(), nullable=False),
        sa.Column("measure_id", sa.String(length=100), nullable=False),
        sa.Column("fund_source", sa.String(length=20), nullable=False),
        sa.Column("district", sa.String(length=50), server_default="", nullable=False),
        sa.Column("amount_fen", sa.BigInteger(), nullable=False),
        sa.Column("share_bp", sa.Integer(), nullable=False),
        sa.Column("reserved_fen", sa.BigInteger(), server_default="0", nullable=False),
        sa.Column("paid_fen", sa.BigInteger(), server_default="0", nullable=False),
        sa.Column("remaining_fen", sa.BigInteger(), nullable=False),
        sa.Column("document", sa.String(length=200), nullable=True),
        sa.Column("created_by", sa.String(length=100), nullable=False),
        sa.Column("version", sa.Integer(), server_default="1", nullable=False),
        sa.Column("created_at", sa.DateTime(timezone=True), server_default=sa.text("now()"), nullable=False),
        sa.CheckConstraint("amount_fen >= 0 AND reserved_fen >= 0 AND paid_fen >= 0", name="ck_funding_budget_money"),
        sa.CheckConstraint("remaining_fen >= 0", name="ck_funding_budget_not_overspent"),
        sa.CheckConstraint("share_bp > 0 AND share_bp <= 10000", name="ck_funding_budget_share"),
        sa.PrimaryKeyConstraint("id"),
    )
    op.create_index("ux_funding_budget_slot", "funding_budgets", ["year", "measure_id", "fund_source", "district"], unique=True)
    op.create_table(
        "funding_budget_entries",
        sa.Column("id", sa.String(length=36), nullable=False),
        sa.Column("budget_id", sa.String(length=36), nullable=False),
        sa.Column("application_id", sa.String(length=36), nullable=False),
        sa.Column("kind", sa.String(length=20), nullable=False),
        sa.Column("amount_fen", sa.BigInteger(), nullable=False),
        sa.Column("reference", sa.String(length=100), nullable=True),
        sa.Column("created_by", sa.String(length=100), nullable=False),
        sa.Column("created_at", sa.DateTime(timezone=True), server_default=sa.text("now()"), nullable=False),
        sa.CheckConstraint("amount_fen > 0", name="ck_funding_budget_entry_amount"),
        sa.PrimaryKeyConstraint("id"),
    )
    op.create_index("ix_funding_budget_entries_budget_id", "funding_budget_entries", ["budget_id"])
    op.create_index("ix_funding_budget_entries_application_id", "funding_budget_entries", ["application_id"])
    op.create_index("ux_funding_budget_reserve_once", "funding_budget_entries", ["budget_id", "application_id"], unique=True,
                    postgresql_where=sa.text("kind = 'reserve'"))


def downgrade() -> None:
    op.drop_table("funding_budget_entries")
    op.drop_table("funding_budgets")
