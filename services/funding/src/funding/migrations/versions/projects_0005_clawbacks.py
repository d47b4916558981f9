"""Funding: claw-backs (追回) of paid awards.

Revision ID: projects_0005
Revises: projects_0004
"""

import sqlalchemy as sa
from alembic import op

revision = "projects_0005"
down_revision = "projects_0004"
branch_labels = None
depends_on = None


def upgrade() -> None:
    op.create_table(
        "funding_clawbacks",
        sa.Column("id", sa.String(length=36), nullable=False),
        sa.Column("application_id", sa.String(length=36), nullable=False),
        sa.Column("applicant_id", sa.String(length=100), nullable=False),
        sa.Column("district", sa.String(length=50), nullable=True),
        sa.Column("reason", sa.String(length=30), nullable=False),
        sa.Column("note", sa.String(length=2000), nullable=True),
        sa.Column("amount_fen", sa.BigInteger(), nullable=False),
        sa.Column("recovered_fen", sa.BigInteger(), server_default="0", nullable=False),
        sa.Column("state", sa.String(length=20), nullable=False),
        sa.Column("opened_by", sa.String(length=100), nullable=False),
        sa.Column("opened_on", sa.Date(), nullable=False),
        sa.Column("settled_on", sa.Date(), nullable=True),
        sa.Column("version", sa.Integer(), server_default="1", nullable=False),
        sa.Column("created_at", sa.DateTime(timezone=True), server_default=sa.text("now()"), nullable=False),
        sa.CheckConstraint("amount_fen > 0 AND recovered_fen >= 0", name="ck_funding_clawback_money"),
        sa.PrimaryKeyConstraint("id"),
    )
    op.create_index("ix_funding_clawbacks_application_id", "funding_clawbacks", ["application_id"])


def downgrade() -> None:
    op.drop_table("funding_clawbacks")
