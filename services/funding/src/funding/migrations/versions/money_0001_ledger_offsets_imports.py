"""Funding: the award ledger's entries (recoveries as negative entries), claw-back offsets, payment-file imports.

Revision ID: money_0001
Revises: projects_0005
"""

import sqlalchemy as sa
from alembic import op
from sqlalchemy.dialects import postgresql

revision = "money_0001"
down_revision = "projects_0005"
branch_labels = None
depends_on = None


def upgrade() -> None:
    op.add_column("funding_payment_orders", sa.Column("offset_fen", sa.BigInteger(), server_default="0", nullable=False))
    op.add_column("funding_payment_orders", sa.Column("confirmed_by", sa.String(length=20), nullable=True))
    op.add_column("funding_payment_orders", sa.Column("computation", postgresql.JSONB(astext_type=sa.Text()), nullable=True))
    op.add_column("funding_clawbacks", sa.Column("offset_fen", sa.BigInteger(), server_default="0", nullable=False))
    op.add_column("funding_clawbacks", sa.Column("offsettable", sa.Boolean(), server_default="false", nullable=False))
    op.add_column("funding_clawbacks", sa.Column("clause", sa.String(length=100), nullable=True))
    op.create_table(
        "funding_ledger_entries",
        sa.Column("id", sa.String(length=36), nullable=False),
        sa.Column("seq", sa.BigInteger(), sa.Identity(always=True), nullable=False),
        sa.Column("application_id", sa.String(length=36), nullable=False),
        sa.Column("applicant_id", sa.String(length=100), nullable=False),
        sa.Column("measure_id", sa.String(length=100), nullable=False),
        sa.Column("project_id", sa.String(length=100), nullable=False),
        sa.Column("district", sa.String(length=50), nullable=True),
        sa.Column("kind", sa.String(length=30), nullable=False),
        sa.Column("amount_fen", sa.BigInteger(), server_default="0", nullable=False),
        sa.Column("paid_fen", sa.BigInteger(), server_default="0", nullable=False),
        sa.Column("clause", sa.String(length=100), nullable=True),
        sa.Column("reference", sa.String(length=100), nullable=True),
        sa.Column("trace", postgresql.JSONB(astext_type=sa.Text()), nullable=True),
        sa.Column("created_by", sa.String(length=100), nullable=False),
        sa.Column("created_on", sa.Date(), nullable=False),
        sa.Column("created_at", sa.DateTime(timezone=True), server_default=sa.text("now()"), nullable=False),
        sa.PrimaryKeyConstraint("id"),
        sa.UniqueConstraint("seq"),
    )
    op.create_index("ix_funding_ledger_entries_application_id", "funding_ledger_entries", ["application_id"])
    op.create_table(
        "funding_payment_imports",
        sa.Column("id", sa.String(length=36), nullable=False),
        sa.Column("sha256", sa.String(length=64), nullable=False),
        sa.Column("filename", sa.String(length=300), nullable=False),
        sa.Column("imported_by", sa.String(length=100), nullable=False),
        sa.Column("imported_on", sa.Date(), nullable=False),
        sa.Column("report", postgresql.JSONB(astext_type=sa.Text()), nullable=False),
        sa.Column("created_at", sa.DateTime(timezone=True), server_default=sa.text("now()"), nullable=False),
        sa.PrimaryKeyConstraint("id"),
        sa.UniqueConstraint("sha256", name="ux_funding_payment_import_file"),
    )


def downgrade() -> None:
    op.drop_table("funding_payment_imports")
    op.drop_table("funding_ledger_entries")
    for column in ("offset_fen", "offsettable", "clause"):
        op.drop_column("funding_clawbacks", column)
    for column in ("offset_fen", "confirmed_by", "computation"):
        op.drop_column("funding_payment_orders", column)
