"""Funding: payment orders (拨付指令) per award and tranche, the payee's account encrypted at rest.

Revision ID: projects_0004
Revises: projects_0003
"""

import sqlalchemy as sa
from alembic import op

revision = "projects_0004"
down_revision = "projects_0003"
branch_labels = None
depends_on = None


def upgrade() -> None:
    op.create_table(
        "funding_payment_orders",
        sa.Column("id", sa.String(length=36), nullable=False),
        sa.Column("application_id", sa.String(length=36), nullable=False),
        sa.Column("applicant_id", sa.String(length=100), nullable=False),
        sa.Column("district", sa.String(length=50), nullable=True),
        sa.Column("tranche", sa.String(length=20), nullable=False),
        sa.Column("amount_fen", sa.BigInteger(), nullable=False),
        sa.Column("payee_name", sa.String(length=300), nullable=False),
        sa.Column("payee_account_enc", sa.Text(), nullable=False),
        sa.Column("payee_account_tail", sa.String(length=4), nullable=False),
        sa.Column("state", sa.String(length=20), nullable=False),
        sa.Column("ordered_by", sa.String(length=100), nullable=False),
        sa.Column("ordered_on", sa.Date(), nullable=False),
        sa.Column("paid_by", sa.String(length=100), nullable=True),
        sa.Column("paid_on", sa.Date(), nullable=True),
        sa.Column("bank_reference", sa.String(length=100), nullable=True),
        sa.Column("version", sa.Integer(), server_default="1", nullable=False),
        sa.Column("created_at", sa.DateTime(timezone=True), server_default=sa.text("now()"), nullable=False),
        sa.CheckConstraint("amount_fen > 0", name="ck_funding_payment_amount"),
        sa.PrimaryKeyConstraint("id"),
        sa.UniqueConstraint("application_id", "tranche", name="ux_funding_payment_tranche"),
    )
    op.create_index("ix_funding_payment_orders_application_id", "funding_payment_orders", ["application_id"])


def downgrade() -> None:
    op.drop_table("funding_payment_orders")
