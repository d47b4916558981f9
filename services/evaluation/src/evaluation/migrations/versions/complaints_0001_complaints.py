"""Enterprises' complaints about providers (issue 15 §2): filed by the enterprise served, decided by a city officer;
upheld ones compute the ``complaints`` indicator.

Revision ID: complaints_0001
Revises: evalx_0001
"""

import sqlalchemy as sa
from alembic import op

revision = "complaints_0001"
down_revision = "evalx_0001"
branch_labels = None
depends_on = None


def upgrade() -> None:
    op.create_table(
        "evaluation_complaints",
        sa.Column("id", sa.String(length=36), nullable=False),
        sa.Column("provider_id", sa.String(length=100), nullable=False),
        sa.Column("enterprise_id", sa.String(length=100), nullable=False),
        sa.Column("district", sa.String(length=50), nullable=True),
        sa.Column("subject", sa.String(length=200), nullable=False),
        sa.Column("text", sa.String(length=4000), nullable=False),
        sa.Column("state", sa.String(length=20), nullable=False),
        sa.Column("filed_on", sa.Date(), nullable=False),
        sa.Column("filed_by", sa.String(length=100), nullable=False),
        sa.Column("decided_on", sa.Date(), nullable=True),
        sa.Column("decided_by", sa.String(length=100), nullable=True),
        sa.Column("decision_reason", sa.String(length=4000), nullable=True),
        sa.Column("version", sa.Integer(), server_default="1", nullable=False),
        sa.Column("created_at", sa.DateTime(timezone=True), server_default=sa.text("now()"), nullable=False),
        sa.PrimaryKeyConstraint("id"),
    )
    op.create_index(op.f("ix_evaluation_complaints_provider_id"), "evaluation_complaints", ["provider_id"])
    op.create_index(op.f("ix_evaluation_complaints_enterprise_id"), "evaluation_complaints", ["enterprise_id"])


def downgrade() -> None:
    op.drop_index(op.f("ix_evaluation_complaints_enterprise_id"), table_name="evaluation_complaints")
    op.drop_index(op.f("ix_evaluation_complaints_provider_id"), table_name="evaluation_complaints")
    op.drop_table("evaluation_complaints")
