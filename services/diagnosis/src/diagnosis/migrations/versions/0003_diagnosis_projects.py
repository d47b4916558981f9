"""Diagnosis projects.

Revision ID: 0003
Revises: 0002
"""

import sqlalchemy as sa
from alembic import op

revision = "0003"
down_revision = "0002"
branch_labels = None
depends_on = None


def upgrade() -> None:
    op.create_table(
        "diagnosis_projects",
        sa.Column("id", sa.String(length=36), nullable=False),
        sa.Column("enterprise_id", sa.String(length=100), nullable=False),
        sa.Column("provider_id", sa.String(length=100), nullable=False),
        sa.Column("title_id", sa.String(length=100), nullable=False),
        sa.Column("district", sa.String(length=50), nullable=True),
        sa.Column("state", sa.String(length=20), nullable=False),
        sa.Column("assigned_on", sa.Date(), nullable=False),
        sa.Column("assigned_by", sa.String(length=100), nullable=False),
        sa.Column("completed_on", sa.Date(), nullable=True),
        sa.Column("assessment_id", sa.String(length=100), nullable=True),
        sa.Column("report_id", sa.String(length=100), nullable=True),
        sa.Column("cancel_reason", sa.String(length=1000), nullable=True),
        sa.Column("version", sa.Integer(), server_default="1", nullable=False),
        sa.Column("created_at", sa.DateTime(timezone=True), server_default=sa.text("now()"), nullable=False),
        sa.PrimaryKeyConstraint("id"),
    )
    op.create_index(
        "ux_diagnosis_project_open",
        "diagnosis_projects",
        ["enterprise_id"],
        unique=True,
        postgresql_where=sa.text("state = 'assigned'"),
    )


def downgrade() -> None:
    op.drop_table("diagnosis_projects")
